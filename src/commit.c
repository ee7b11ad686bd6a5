/*
 * commit.c -- see commit.h.
 *
 * Order: the record first (one database transaction: committed = 1, every
 * backup path forgotten), then the files.  A crash in between leaves
 * unreferenced originals in the store -- wasted space, never a record
 * pointing at a file that is gone.
 */
#include "commit.h"
#include "fsutil.h"
#include "db.h"
#include "record.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static enum hfx_rc run_commit(struct hfx_ctx *ctx, const char *id,
			      struct hfx_commit_result *res, struct hfx_err *err)
{
	struct hfx_hotfix_rec *rec = NULL;
	enum hfx_rc rc;

	memset(res, 0, sizeof(*res));
	if (!ctx->db)
		return hfx_err_set(err, HFX_ERR_NOT_FOUND,
				   "%s is not installed (no hotfix is recorded on this root)",
				   id);
	rc = hfx_record_get(ctx->db, id, &rec, err);
	if (rc != HFX_OK)
		return rc;
	if (rec->committed) {
		res->already = true;
		hfx_record_free(rec);
		return HFX_OK;
	}
	for (size_t i = 0; i < rec->nfiles; i++)
		if (rec->files[i].backup) {
			res->files++;
			if (rec->files[i].old_size > 0)
				res->bytes += (uint64_t)rec->files[i].old_size;
		}
	if (ctx->opt.dry_run) {
		hfx_record_free(rec);
		return HFX_OK;
	}
	rc = hfx_db_begin(ctx->db, err);
	if (rc == HFX_OK)
		rc = hfx_record_mark_committed(ctx->db, id, err);
	if (rc == HFX_OK)
		rc = hfx_db_commit(ctx->db, err);
	else
		hfx_db_rollback(ctx->db);
	for (size_t i = 0; rc == HFX_OK && i < rec->nfiles; i++) {
		const char *backup = rec->files[i].backup;
		char *dir = NULL, *slash;
		const char *base;
		int dfd;

		if (!backup || hfx_path_split(backup, &dir, &base, err) != HFX_OK)
			continue;
		dfd = hfx_open_dir(ctx->rootfd, dir, HFX_RESOLVE_NO_SYMLINKS,
				   dir, err);
		hfx_err_clear(err);
		if (dfd >= 0) {
			if (unlinkat(dfd, base, 0) == 0)
				fsync(dfd);
			close(dfd);
		}
		/* Prune now-empty directories up to the hotfix's own. */
		while ((slash = strrchr(dir, '/')) &&
		       strcmp(slash + 1, id) != 0 &&
		       unlinkat(ctx->rootfd, dir, AT_REMOVEDIR) == 0)
			*slash = '\0';
		if (slash && strcmp(slash + 1, id) == 0)
			unlinkat(ctx->rootfd, dir, AT_REMOVEDIR);
		free(dir);
	}
	hfx_record_free(rec);
	return rc;
}

enum hfx_rc hfx_commit(struct hfx_ctx *ctx, const char *id,
		       struct hfx_commit_result *res, struct hfx_err *err)
{
	enum hfx_rc rc = run_commit(ctx, id, res, err);
	char msg[HFX_ERR_MSG_MAX];

	if (ctx->opt.dry_run)
		return rc;
	if (rc != HFX_OK)
		snprintf(msg, sizeof(msg), "%s", err->msg);
	else if (res->already)
		snprintf(msg, sizeof(msg), "already committed");
	else
		snprintf(msg, sizeof(msg),
			 "committed: %zu original file(s) discarded", res->files);
	hfx_ctx_log(ctx, "commit", id, rc, hfx_rc_exit_code(rc), msg, -1);
	return rc;
}
