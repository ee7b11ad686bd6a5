/*
 * error.c -- caller-owned error records and the rc -> exit code table.
 *
 * The table below is the single place where engine results become the exit
 * codes of SPEC.md; the CLI never invents an exit code of its own except 2
 * for its own usage errors and 10 for "restart required", which is a
 * success with a flag, not an error.
 */
#include "error.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void hfx_err_clear(struct hfx_err *err)
{
	if (!err)
		return;
	err->code = HFX_OK;
	err->sys_errno = 0;
	err->msg[0] = '\0';
}

static enum hfx_rc err_vset(struct hfx_err *err, enum hfx_rc code, int sys,
			    const char *fmt, va_list ap)
{
	if (!err)
		return code;
	if (err->code != HFX_OK)	/* first error wins */
		return code;
	err->code = code;
	err->sys_errno = sys;
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	if (sys) {
		size_t n = strlen(err->msg);
		snprintf(err->msg + n, sizeof(err->msg) - n, ": %s",
			 strerror(sys));
	}
	return code;
}

enum hfx_rc hfx_err_set(struct hfx_err *err, enum hfx_rc code,
			const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	err_vset(err, code, 0, fmt, ap);
	va_end(ap);
	return code;
}

enum hfx_rc hfx_err_sys(struct hfx_err *err, enum hfx_rc code,
			const char *fmt, ...)
{
	int sys = errno;
	va_list ap;
	va_start(ap, fmt);
	err_vset(err, code, sys, fmt, ap);
	va_end(ap);
	return code;
}

void hfx_err_prefix(struct hfx_err *err, const char *fmt, ...)
{
	char prefix[256], old[HFX_ERR_MSG_MAX];
	va_list ap;

	if (!err || err->code == HFX_OK)
		return;
	va_start(ap, fmt);
	vsnprintf(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);
	memcpy(old, err->msg, sizeof(old));
	/* A message cut at HFX_ERR_MSG_MAX is still a useful message. */
	if (snprintf(err->msg, sizeof(err->msg), "%s: %s", prefix, old) < 0)
		err->msg[0] = '\0';
}

static const struct {
	enum hfx_rc rc;
	int exit_code;
	const char *name;
} rc_table[] = {
	{ HFX_OK,		    0, "ok" },
	{ HFX_ERR_FAILED,	    1, "failed" },
	{ HFX_ERR_IO,		    1, "io-error" },
	{ HFX_ERR_NOMEM,	    1, "out-of-memory" },
	{ HFX_ERR_DB,		    1, "database-error" },
	{ HFX_ERR_CONFIG,	    1, "config-error" },
	{ HFX_ERR_NOT_FOUND,	    1, "not-found" },
	{ HFX_ERR_USAGE,	    2, "usage" },
	{ HFX_ERR_PACKAGE,	    3, "package-rejected" },
	{ HFX_ERR_SIGNATURE,	    3, "signature-rejected" },
	{ HFX_ERR_MANIFEST,	    3, "manifest-rejected" },
	{ HFX_ERR_NOT_APPLICABLE,   4, "not-applicable" },
	{ HFX_ERR_BUSY,		    5, "busy" },
	{ HFX_ERR_SERVICE,	    6, "service-failed" },
	{ HFX_ERR_ROLLBACK_REFUSED, 7, "rollback-refused" },
	{ HFX_ERR_INTERRUPTED,	    1, "interrupted" },
};

int hfx_rc_exit_code(enum hfx_rc rc)
{
	for (size_t i = 0; i < sizeof(rc_table) / sizeof(rc_table[0]); i++)
		if (rc_table[i].rc == rc)
			return rc_table[i].exit_code;
	return 1;
}

const char *hfx_rc_name(enum hfx_rc rc)
{
	for (size_t i = 0; i < sizeof(rc_table) / sizeof(rc_table[0]); i++)
		if (rc_table[i].rc == rc)
			return rc_table[i].name;
	return "failed";
}
