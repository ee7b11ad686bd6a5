/*
 * pipe.h -- hand a stream of files to a writer thread.
 *
 * Staging a package is two kinds of work: decompressing, parsing and
 * hashing the stream (CPU in the reading thread), and creating, writing
 * and closing the staged files (mostly kernel time).  The pipe lets them
 * run on two cores: the reader posts "begin file", "data" and "end file"
 * messages into a bounded queue of copied chunks, and one worker thread
 * runs the caller's callbacks for them, in order.
 *
 * Errors: the first error of a callback stops the worker's work (later
 * messages are only drained) and is returned by the next post and by
 * hfx_pipe_finish().  The callbacks run in the worker thread only, one at
 * a time, in the order posted; they must not touch what the reading
 * thread uses meanwhile.
 */
#ifndef HFX_PIPE_H
#define HFX_PIPE_H

#include <stddef.h>

#include "error.h"

struct hfx_pipe_ops {
	enum hfx_rc (*begin)(void *ud, void *item, struct hfx_err *err);
	enum hfx_rc (*data)(void *ud, void *item, const void *buf, size_t len,
			    struct hfx_err *err);
	enum hfx_rc (*end)(void *ud, void *item, struct hfx_err *err);
	void *ud;
};

struct hfx_pipe;

enum hfx_rc hfx_pipe_start(const struct hfx_pipe_ops *ops,
			   struct hfx_pipe **out, struct hfx_err *err);

/* Post messages; each returns the worker's first error, if any. */
enum hfx_rc hfx_pipe_begin(struct hfx_pipe *p, void *item, struct hfx_err *err);
enum hfx_rc hfx_pipe_data(struct hfx_pipe *p, const void *buf, size_t len,
			  struct hfx_err *err);
enum hfx_rc hfx_pipe_end(struct hfx_pipe *p, struct hfx_err *err);

/* Wait for the worker to finish everything posted, stop it, free the
 * pipe; returns the worker's first error.  `abandon` drops what is still
 * queued (after a reading error). */
enum hfx_rc hfx_pipe_finish(struct hfx_pipe *p, int abandon,
			    struct hfx_err *err);

#endif
