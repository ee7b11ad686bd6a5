/*
 * commit.h -- discard the kept originals of an installed hotfix (the AIX
 * "apply, then commit" model): the space is freed and the hotfix can no
 * longer be rolled back.  Deliberately irreversible; --dry-run shows what
 * would be freed.
 */
#ifndef HFX_COMMIT_H
#define HFX_COMMIT_H

#include <stdint.h>

#include "context.h"
#include "error.h"

struct hfx_commit_result {
	size_t files;		/* originals discarded */
	uint64_t bytes;		/* their size */
	bool already;		/* it was committed before */
};

enum hfx_rc hfx_commit(struct hfx_ctx *ctx, const char *id,
		       struct hfx_commit_result *res, struct hfx_err *err);

#endif
