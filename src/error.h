/*
 * error.h -- the one error enum of the hfx engine, and the caller-owned
 * error record every engine function fills.
 *
 * Design: every engine function returns an `enum hfx_rc` and, when it is
 * not HFX_OK, fills a `struct hfx_err` that the caller owns (usually on its
 * stack).  The message names the object at fault (a file, a package member,
 * a manifest line, a signer) so the CLI can print it as is.  There is no
 * errno-style global: the record travels with the call.
 *
 * The codes are chosen so that each maps onto exactly one exit code of
 * SPEC.md (hfx_rc_exit_code()); engine-internal distinctions that the user
 * does not need (I/O versus database versus out of memory) all map to 1.
 *
 * Invariant: the first error set wins.  hfx_err_set() on a record that
 * already holds an error keeps the original message, so cleanup code can
 * report secondary failures without hiding the cause.
 */
#ifndef HFX_ERROR_H
#define HFX_ERROR_H

#include <stddef.h>

enum hfx_rc {
	HFX_OK = 0,
	HFX_ERR_FAILED,		/* generic failure, nothing changed (exit 1) */
	HFX_ERR_IO,		/* a system call failed (exit 1) */
	HFX_ERR_NOMEM,		/* out of memory (exit 1) */
	HFX_ERR_DB,		/* database unreadable or unusable (exit 1) */
	HFX_ERR_CONFIG,		/* host configuration is malformed (exit 1) */
	HFX_ERR_NOT_FOUND,	/* no such hotfix / record (exit 1) */
	HFX_ERR_USAGE,		/* bad command line (exit 2) */
	HFX_ERR_PACKAGE,	/* package rejected: format, member, size, hash (exit 3) */
	HFX_ERR_SIGNATURE,	/* package rejected: signature or trust (exit 3) */
	HFX_ERR_MANIFEST,	/* manifest malformed (exit 3) */
	HFX_ERR_NOT_APPLICABLE,	/* hotfix does not apply here (exit 4) */
	HFX_ERR_BUSY,		/* another transaction holds the lock (exit 5) */
	HFX_ERR_SERVICE,	/* a service would not stop/start; put back (exit 6) */
	HFX_ERR_ROLLBACK_REFUSED, /* a later hotfix owns the files (exit 7) */
	HFX_ERR_INTERRUPTED,	/* a signal asked us to stop; put back (exit 1) */
};

#define HFX_ERR_MSG_MAX 1024

struct hfx_err {
	enum hfx_rc code;
	int sys_errno;			/* errno of the failing call, or 0 */
	char msg[HFX_ERR_MSG_MAX];
};

/* Reset a record to "no error". */
void hfx_err_clear(struct hfx_err *err);

/* Set code and message (printf-style); returns code so callers can write
 * `return hfx_err_set(err, HFX_ERR_IO, "...")`.  Keeps an earlier error. */
enum hfx_rc hfx_err_set(struct hfx_err *err, enum hfx_rc code,
			const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Like hfx_err_set, appending ": strerror(errno)" and recording errno. */
enum hfx_rc hfx_err_sys(struct hfx_err *err, enum hfx_rc code,
			const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Prefix an already-set message with context ("installing KB1: ...").  */
void hfx_err_prefix(struct hfx_err *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* The process exit code SPEC.md documents for this result. */
int hfx_rc_exit_code(enum hfx_rc rc);

/* A short stable name for the code ("package-rejected"), used in JSON. */
const char *hfx_rc_name(enum hfx_rc rc);

#endif
