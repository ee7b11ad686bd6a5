/*
 * query.c -- the honest answer to "is this fix present?", and verify.
 *
 * A query never trusts the record alone: it looks at every file the
 * hotfix names (PE version, else recorded version, else unknown) and at the
 * record, and reports a state that agrees with both -- a record whose
 * files were since downgraded is "partial", files that a service pack
 * brought to the right versions without any record are "present".
 *
 * Query is the command run most often (by fleet tools, on every machine),
 * so it reads the database once through indexed lookups, opens only the
 * hotfix's files, and hashes a file only when it has no PE version.
 */
#include "grow.h"
#include "query.h"
#include "db.h"
#include "fileinfo.h"
#include "install.h"
#include "manifest.h"
#include "procscan.h"
#include "record.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *const state_names[] = {
	[HFX_STATE_INSTALLED] = "installed",
	[HFX_STATE_SUPERSEDED] = "superseded",
	[HFX_STATE_PRESENT] = "present",
	[HFX_STATE_PARTIAL] = "partial",
	[HFX_STATE_ABSENT] = "absent",
	[HFX_STATE_NOT_APPLICABLE] = "not-applicable",
};

const char *hfx_state_name(enum hfx_state s)
{
	return state_names[s];
}

int hfx_state_exit_code(enum hfx_state s)
{
	switch (s) {
	case HFX_STATE_INSTALLED:
	case HFX_STATE_SUPERSEDED:
	case HFX_STATE_PRESENT:
		return 0;
	case HFX_STATE_NOT_APPLICABLE:
		return 4;
	default:
		return 1;
	}
}

void hfx_query_result_free(struct hfx_query_result *res)
{
	free(res->id);
	free(res->title);
	free(res->superseded_by);
	free(res->note);
	for (size_t i = 0; i < res->nfiles; i++)
		free(res->files[i].path);
	free(res->files);
	memset(res, 0, sizeof(*res));
}

static const struct hfx_file_rec *rec_file(const struct hfx_hotfix_rec *rec,
					   const char *target)
{
	for (size_t i = 0; rec && i < rec->nfiles; i++)
		if (strcmp(rec->files[i].target, target) == 0)
			return &rec->files[i];
	return NULL;
}

/* Boot time of the running system (0 if unknown). */
static int64_t boot_time(void)
{
	char line[256];
	long long btime = 0;
	FILE *f = fopen("/proc/stat", "re");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "btime %lld", &btime) == 1)
			break;
	fclose(f);
	return (int64_t)btime;
}

/* A restart recorded as required at install is still required while a
 * process maps an original the hotfix replaced (its inode is the one kept
 * in the store), or -- for restart = reboot -- until the next boot. */
static bool restart_still_required(struct hfx_ctx *ctx,
				   const struct hfx_hotfix_rec *rec)
{
	struct hfx_file_id *ids;
	struct hfx_proc_list procs = { 0 };
	struct hfx_err err;
	bool required = true;
	size_t n = 0;

	if (!rec->restart_required)
		return false;
	if (rec->restart && strcmp(rec->restart, "reboot") == 0) {
		int64_t booted = boot_time();

		return !(booted > 0 && booted > rec->installed_at);
	}
	ids = calloc(rec->nfiles ? rec->nfiles : 1, sizeof(*ids));
	if (!ids)
		return true;	/* cannot tell: keep what was recorded */
	for (size_t i = 0; i < rec->nfiles; i++) {
		struct stat st;

		if (rec->files[i].backup &&
		    fstatat(ctx->rootfd, rec->files[i].backup, &st,
			    AT_SYMLINK_NOFOLLOW) == 0) {
			ids[n].dev = st.st_dev;
			ids[n].ino = st.st_ino;
			ids[n].path = rec->files[i].path;
			n++;
		}
	}
	hfx_err_clear(&err);
	if (n > 0 && hfx_procscan(ids, n, &procs, &err) == HFX_OK)
		required = procs.n > 0;
	hfx_proc_list_free(&procs);
	free(ids);
	return required;
}

/* Compare every file of `m` with the machine; decide the state. */
static enum hfx_rc evaluate(struct hfx_ctx *ctx, const struct hfx_manifest *m,
			    const struct hfx_hotfix_rec *rec,
			    struct hfx_query_result *res, struct hfx_err *err)
{
	const char *pdir = rec ? rec->product_dir
			       : hfx_root_relative(hfx_ctx_product_dir(
					 ctx, m->product, m->product_dir));
	char label[PATH_MAX + 64];
	size_t nok = 0, nmissing_required = 0;
	enum hfx_rc rc = HFX_OK;
	int pdirfd;

	res->files = calloc(m->nfiles, sizeof(*res->files));
	if (!res->files)
		return hfx_err_set(err, HFX_ERR_NOMEM, "out of memory");
	hfx_ctx_path(ctx, pdir, label, sizeof(label));
	pdirfd = hfx_open_dir(ctx->rootfd, pdir,
			      rec ? HFX_RESOLVE_NO_SYMLINKS : HFX_RESOLVE_IN_ROOT,
			      label, err);
	if (pdirfd < 0) {
		if (err->code != HFX_ERR_NOT_FOUND)
			return err->code;
		hfx_err_clear(err);
		res->state = rec ? HFX_STATE_PARTIAL : HFX_STATE_NOT_APPLICABLE;
		res->note = strdup("the product directory does not exist");
		for (size_t i = 0; i < m->nfiles; i++) {
			struct hfx_query_file *qf = &res->files[res->nfiles++];

			qf->path = hfx_path_join(pdir, m->files[i].target);
			snprintf(qf->installed_version, sizeof(qf->installed_version), "absent");
			snprintf(qf->required_version, sizeof(qf->required_version),
				 "%s", m->files[i].version_text);
			qf->problem = "missing";
		}
		return HFX_OK;
	}
	for (size_t i = 0; rc == HFX_OK && i < m->nfiles; i++) {
		const struct hfx_manifest_file *mf = &m->files[i];
		const struct hfx_file_rec *fr = rec_file(rec, mf->target);
		struct hfx_query_file *qf = &res->files[res->nfiles++];
		struct hfx_fileinfo fi;
		char *parent = NULL;
		const char *base;
		int dfd;

		snprintf(qf->required_version, sizeof(qf->required_version), "%s",
			 mf->version_text);
		qf->path = hfx_path_join(pdir, mf->target);
		if (!qf->path) {
			rc = hfx_err_set(err, HFX_ERR_NOMEM, "out of memory");
			break;
		}
		hfx_ctx_path(ctx, qf->path, label, sizeof(label));
		rc = hfx_path_split(mf->target, &parent, &base, err);
		if (rc != HFX_OK)
			break;
		dfd = hfx_open_dir(pdirfd, parent, HFX_RESOLVE_BENEATH, label, err);
		free(parent);
		memset(&fi, 0, sizeof(fi));
		if (dfd < 0) {
			if (err->code != HFX_ERR_NOT_FOUND &&
			    err->code != HFX_ERR_NOT_APPLICABLE) {
				rc = err->code;
				break;
			}
			hfx_err_clear(err);
		} else {
			rc = hfx_fileinfo_read(dfd, base, label, HFX_HASH_UNVERSIONED, &fi, err);
			close(dfd);
			if (rc == HFX_OK)
				rc = hfx_fileinfo_recorded_version(ctx, &fi, err);
			if (rc != HFX_OK)
				break;
		}
		if (!fi.regular) {
			snprintf(qf->installed_version, sizeof(qf->installed_version),
				 "absent");
			qf->problem = "missing";
			if (!mf->is_new)
				nmissing_required++;
			continue;
		}
		hfx_version_format(&fi.version, qf->installed_version);
		if (hfx_version_known(&fi.version)) {
			qf->ok = hfx_version_cmp(&fi.version, &mf->version) >= 0;
			qf->problem = qf->ok ? NULL : "lower";
		} else if (fr && fr->new_sha256[0]) {
			/* Unversioned: right only if the bytes are the ones
			 * installed (or, for a file left alone, unchanged). */
			char hex[HFX_SHA256_HEX];

			hfx_hex(mf->sha256, HFX_SHA256_LEN, hex);
			if (!fi.hashed) {
				qf->ok = false;
			} else {
				qf->ok = strcmp(fi.sha256, fr->new_sha256) == 0 ||
					 strcmp(fi.sha256, hex) == 0;
			}
			qf->problem = qf->ok ? NULL : "changed";
		} else {
			char hex[HFX_SHA256_HEX];

			hfx_hex(mf->sha256, HFX_SHA256_LEN, hex);
			qf->ok = fi.hashed && strcmp(fi.sha256, hex) == 0;
			qf->problem = qf->ok ? NULL : "unknown version";
		}
		if (qf->ok)
			nok++;
	}
	close(pdirfd);
	if (rc != HFX_OK)
		return rc;
	if (rec)
		res->state = nok == m->nfiles ? HFX_STATE_INSTALLED
					      : HFX_STATE_PARTIAL;
	else if (nmissing_required)
		res->state = HFX_STATE_NOT_APPLICABLE;
	else if (nok == m->nfiles)
		res->state = HFX_STATE_PRESENT;
	else
		res->state = nok ? HFX_STATE_PARTIAL : HFX_STATE_ABSENT;
	return HFX_OK;
}

/* Common tail: `m` (may be NULL when asked by ID without record). */
static enum hfx_rc query(struct hfx_ctx *ctx, const char *id,
			 const struct hfx_manifest *m,
			 struct hfx_query_result *res, struct hfx_err *err)
{
	struct hfx_hotfix_rec *rec = NULL;
	struct hfx_manifest *parsed = NULL;
	enum hfx_rc rc = HFX_OK;
	char label[128];

	res->id = strdup(id);
	if (!res->id)
		return hfx_err_set(err, HFX_ERR_NOMEM, "out of memory");
	if (ctx->db) {
		struct hfx_err local;

		hfx_err_clear(&local);
		rc = hfx_record_get(ctx->db, id, &rec, &local);
		if (rc == HFX_ERR_NOT_FOUND)
			rc = HFX_OK;
		else if (rc != HFX_OK)
			return hfx_err_set(err, rc, "%s", local.msg);
	}
	if (rec) {
		res->recorded = true;
		res->restart_required = restart_still_required(ctx, rec);
		res->title = strdup(rec->title);
		if (rec->superseded_by)
			res->superseded_by = strdup(rec->superseded_by);
		if (!m) {
			snprintf(label, sizeof(label), "recorded manifest of %s", id);
			rc = hfx_manifest_parse(rec->manifest, strlen(rec->manifest),
						label, HFX_MANIFEST_PACKAGED,
						&parsed, err);
			if (rc != HFX_OK) {
				hfx_record_free(rec);
				return rc;
			}
			m = parsed;
		}
	} else if (m) {
		res->title = strdup(m->title);
	}
	if (m)
		rc = evaluate(ctx, m, rec, res, err);
	else
		res->state = HFX_STATE_ABSENT;
	if (rc == HFX_OK && !res->superseded_by) {
		rc = ctx->db ? hfx_record_superseding(ctx->db, id, &res->superseded_by, err) : HFX_OK;
	}
	if (rc == HFX_OK && res->superseded_by &&
	    (!rec || strcmp(rec->state, "superseded") == 0 ||
	     res->state != HFX_STATE_INSTALLED))
		res->state = HFX_STATE_SUPERSEDED;
	if (rc == HFX_OK && !m && !rec && !res->superseded_by)
		res->note = strdup("no record of this hotfix; query its package file to check the files themselves");
	/* A prerequisite removed with rollback --force is worth saying. */
	for (size_t i = 0; rc == HFX_OK && rec && m && !res->note &&
			   i < m->nrequires; i++) {
		struct hfx_err local;
		char note[256];
		bool met;

		hfx_err_clear(&local);
		if (hfx_record_requirement_met(ctx->db, m->requires[i], &met,
					       &local) == HFX_OK && met)
			continue;
		snprintf(note, sizeof(note),
			 "requires %s, which is no longer installed",
			 m->requires[i]);
		res->note = strdup(note);
	}
	hfx_manifest_free(parsed);
	hfx_record_free(rec);
	return rc;
}

enum hfx_rc hfx_query_id(struct hfx_ctx *ctx, const char *id,
			 struct hfx_query_result *res, struct hfx_err *err)
{
	memset(res, 0, sizeof(*res));
	if (!hfx_id_is_valid(id))
		return hfx_err_set(err, HFX_ERR_USAGE,
				   "'%s' is neither a hotfix ID nor a package file",
				   id);
	return query(ctx, id, NULL, res, err);
}

enum hfx_rc hfx_query_package(struct hfx_ctx *ctx, const char *path,
			      struct hfx_query_result *res,
			      struct hfx_err *err)
{
	struct hfx_manifest *m = NULL;
	char *signer = NULL;
	enum hfx_rc rc;

	memset(res, 0, sizeof(*res));
	rc = hfx_package_check(ctx, path, false, &m, &signer, NULL, err);
	if (rc == HFX_OK)
		rc = query(ctx, m->id, m, res, err);
	hfx_manifest_free(m);
	free(signer);
	return rc;
}

/* ---- verify ------------------------------------------------------------ */

void hfx_verify_result_free(struct hfx_verify_result *res)
{
	for (size_t i = 0; i < res->n; i++) {
		free(res->files[i].hotfix);
		free(res->files[i].path);
	}
	free(res->files);
	memset(res, 0, sizeof(*res));
}

static enum hfx_rc verify_file(struct hfx_ctx *ctx, const char *id,
			       const struct hfx_file_rec *f, bool full,
			       struct hfx_verify_file *out,
			       struct hfx_err *err)
{
	char label[PATH_MAX + 64], *dir = NULL;
	const char *base;
	struct hfx_fileinfo fi;
	struct hfx_version want;
	struct hfx_err verr;
	enum hfx_rc rc;
	int dfd;

	out->hotfix = strdup(id);
	out->path = strdup(f->path);
	if (!out->hotfix || !out->path)
		return hfx_err_set(err, HFX_ERR_NOMEM, "out of memory");
	snprintf(out->expected_version, sizeof(out->expected_version), "%s",
		 f->new_version);
	hfx_ctx_path(ctx, f->path, label, sizeof(label));
	rc = hfx_path_split(f->path, &dir, &base, err);
	if (rc != HFX_OK)
		return rc;
	dfd = hfx_open_dir(ctx->rootfd, dir, HFX_RESOLVE_NO_SYMLINKS, label, err);
	free(dir);
	if (dfd < 0) {
		if (err->code != HFX_ERR_NOT_FOUND)
			return err->code;
		hfx_err_clear(err);
		out->status = "missing";
		snprintf(out->found_version, sizeof(out->found_version), "absent");
		return HFX_OK;
	}
	if (!full) {
		struct stat st;

		if (fstatat(dfd, base, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
		    S_ISREG(st.st_mode) && hfx_record_stat_matches(f, &st)) {
			close(dfd);
			out->status = "ok";
			snprintf(out->found_version, sizeof(out->found_version),
				 "%s", f->new_version);
			return HFX_OK;
		}
	}
	rc = hfx_fileinfo_read(dfd, base, label, HFX_HASH_ALWAYS, &fi, err);
	close(dfd);
	if (rc == HFX_OK)
		rc = hfx_fileinfo_recorded_version(ctx, &fi, err);
	if (rc != HFX_OK)
		return rc;
	if (!fi.regular) {
		out->status = "missing";
		snprintf(out->found_version, sizeof(out->found_version), "absent");
		return HFX_OK;
	}
	hfx_version_format(&fi.version, out->found_version);
	if (strcmp(fi.sha256, f->new_sha256) == 0) {
		out->status = "ok";
		return HFX_OK;
	}
	hfx_err_clear(&verr);
	if (hfx_version_parse(f->new_version, &want, &verr) == HFX_OK &&
	    hfx_version_known(&fi.version) &&
	    hfx_version_cmp(&fi.version, &want) < 0)
		out->status = "downgraded";
	else
		out->status = "changed";
	return HFX_OK;
}

/* Is `id` the last hotfix that wrote `path`? */
static enum hfx_rc owns(struct hfx_ctx *ctx, const char *id, const char *path,
			bool *yes, struct hfx_err *err)
{
	struct hfx_file_rec written;
	char *owner = NULL;
	enum hfx_rc rc = hfx_record_last_writer(ctx->db, path, &owner, &written,
						err);

	*yes = rc == HFX_OK && owner && strcmp(owner, id) == 0;
	free(owner);
	return rc;
}

enum hfx_rc hfx_verify(struct hfx_ctx *ctx, char *const *ids, size_t n,
		       bool full, struct hfx_verify_result *res,
		       struct hfx_err *err)
{
	struct hfx_hotfix_rec **list = NULL;
	size_t nlist = 0, cap = 0;
	enum hfx_rc rc = HFX_OK;

	memset(res, 0, sizeof(*res));
	if (!ctx->db) {
		if (n)
			return hfx_err_set(err, HFX_ERR_NOT_FOUND,
					   "%s is not installed (no hotfix is recorded on this root)",
					   ids[0]);
		return HFX_OK;
	}
	if (n == 0) {
		rc = hfx_record_list(ctx->db, &list, &nlist, err);
		if (rc != HFX_OK)
			return rc;
	} else {
		list = calloc(n, sizeof(*list));
		if (!list)
			return hfx_err_set(err, HFX_ERR_NOMEM, "out of memory");
		nlist = n;
	}
	for (size_t h = 0; rc == HFX_OK && h < nlist; h++) {
		struct hfx_hotfix_rec *rec = NULL;

		rc = hfx_record_get(ctx->db, n ? ids[h] : list[h]->id, &rec, err);
		if (rc != HFX_OK)
			break;
		res->nhotfixes++;
		for (size_t i = 0; rc == HFX_OK && i < rec->nfiles; i++) {
			const struct hfx_file_rec *f = &rec->files[i];
			bool mine;

			if (strcmp(f->action, "keep") == 0)
				continue;
			rc = owns(ctx, rec->id, f->path, &mine, err);
			if (rc != HFX_OK || !mine)
				continue;	/* a later hotfix answers for it */
			if (!hfx_grow(&res->files, &cap, res->n,
				      sizeof(*res->files))) {
				rc = hfx_err_set(err, HFX_ERR_NOMEM, "out of memory");
				break;
			}
			memset(&res->files[res->n], 0, sizeof(*res->files));
			rc = verify_file(ctx, rec->id, f, full,
					 &res->files[res->n++], err);
			if (rc == HFX_OK &&
			    strcmp(res->files[res->n - 1].status, "ok") != 0)
				res->nbad++;
		}
		hfx_record_free(rec);
	}
	hfx_record_list_free(list, nlist);
	return rc;
}
