/*
 * query.h -- "is this fix present?", answered from the record AND from the
 * files themselves; and `verify`, which compares installed files with the
 * record.
 *
 * States (SPEC.md):
 *   installed       recorded, and every file at or above its version
 *   superseded      recorded as superseded, or a later hotfix that
 *                   supersedes it is installed
 *   present         not recorded, but every file at or above the versions
 *                   (a service pack or a manual update brought them)
 *   partial         some files below, missing, or changed since install
 *   absent          not recorded and no file at the versions (or, asked by
 *                   ID without a record, nothing to compare with)
 *   not-applicable  the product (directory or a replaced file) is not here
 *
 * Exit codes: 0 for installed/superseded/present, 1 for partial/absent,
 * 4 for not-applicable.
 */
#ifndef HFX_QUERY_H
#define HFX_QUERY_H

#include <stdbool.h>
#include <stddef.h>

#include "context.h"
#include "error.h"

enum hfx_state {
	HFX_STATE_INSTALLED,
	HFX_STATE_SUPERSEDED,
	HFX_STATE_PRESENT,
	HFX_STATE_PARTIAL,
	HFX_STATE_ABSENT,
	HFX_STATE_NOT_APPLICABLE,
};

const char *hfx_state_name(enum hfx_state s);
int hfx_state_exit_code(enum hfx_state s);

struct hfx_query_file {
	char *path;		/* root-relative */
	char installed_version[24];	/* "absent", "unknown" or a version */
	char required_version[24];
	bool ok;
	const char *problem;	/* NULL, "missing", "lower", "changed" */
};

struct hfx_query_result {
	char *id, *title;
	enum hfx_state state;
	bool recorded;
	bool restart_required;
	char *superseded_by;
	char *note;
	struct hfx_query_file *files;
	size_t nfiles;
};

/* Query by hotfix ID (from the record) or by package file (its signed
 * manifest, checked against the files and the record). */
enum hfx_rc hfx_query_id(struct hfx_ctx *ctx, const char *id,
			 struct hfx_query_result *res, struct hfx_err *err);
enum hfx_rc hfx_query_package(struct hfx_ctx *ctx, const char *path,
			      struct hfx_query_result *res,
			      struct hfx_err *err);
void hfx_query_result_free(struct hfx_query_result *res);

/* ---- verify ------------------------------------------------------------ */

struct hfx_verify_file {
	char *hotfix;
	char *path;
	const char *status;	/* ok, changed, missing, downgraded */
	char expected_version[24], found_version[24];
};

struct hfx_verify_result {
	struct hfx_verify_file *files;
	size_t n, nbad;
	size_t nhotfixes;
};

/* Verify the given hotfixes (all installed ones if n == 0).  With `full`,
 * every file is hashed; otherwise a file whose inode, size, mtime and
 * ctime match the record is taken as unchanged. */
enum hfx_rc hfx_verify(struct hfx_ctx *ctx, char *const *ids, size_t n,
		       bool full, struct hfx_verify_result *res,
		       struct hfx_err *err);
void hfx_verify_result_free(struct hfx_verify_result *res);

#endif
