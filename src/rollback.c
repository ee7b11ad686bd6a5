/*
 * rollback.c -- plan and run the reverse swap of a recorded hotfix.
 *
 * Each file row of the hotfix becomes a transaction entry whose incoming
 * file is the kept original in the store (a rename brings it back; the
 * store's copy is consumed, so no data is copied) and whose keep is a
 * temporary name next to it for the hotfix's version, deleted only after
 * the rollback is committed -- so the rollback itself can be undone if a
 * service refuses to start on the old files or the machine crashes.
 *
 * A file is known unchanged since install without hashing it when its
 * inode, size, mtime and ctime are those recorded at install: any write to
 * it changes ctime.  Otherwise it is hashed.
 */
#include "grow.h"
#include "rollback.h"
#include "db.h"
#include "fsutil.h"
#include "record.h"
#include "service.h"
#include "store.h"
#include "txn.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct handover {
	const struct hfx_file_rec *mine;	/* this hotfix's row */
	char *successor;			/* hotfix whose row takes it */
};

struct rollback {
	struct hfx_ctx *ctx;
	struct hfx_hotfix_rec *rec;
	struct hfx_txn *txn;
	struct hfx_service_set services;
	char **service_names;
	size_t nservice_names;
	struct handover *handovers;
	size_t nhandovers;
	struct hfx_result *res;
};

static enum hfx_rc split_names(const char *text, char ***out, size_t *n,
			       struct hfx_err *err)
{
	char *copy = strdup(text ? text : ""), *save = NULL, *item;

	*out = NULL;
	*n = 0;
	if (!copy)
		return hfx_err_set(err, HFX_ERR_NOMEM, "out of memory");
	for (item = strtok_r(copy, ",", &save); item;
	     item = strtok_r(NULL, ",", &save)) {
		char **grown;

		while (*item == ' ')
			item++;
		if (!*item)
			continue;
		grown = realloc(*out, (*n + 1) * sizeof(*grown));
		if (!grown || !(grown[*n] = strdup(item))) {
			if (grown)
				*out = grown;
			free(copy);
			return hfx_err_set(err, HFX_ERR_NOMEM, "out of memory");
		}
		*out = grown;
		(*n)++;
	}
	free(copy);
	return HFX_OK;
}

/* The later hotfixes that replaced bytes written by `id`, path by path:
 * (path, hotfix) pairs, loaded with one query (it is usually empty). */
struct successors {
	struct successor {
		char *path, *hotfix;
	} *v;
	size_t n, cap;
};

static void successors_free(struct successors *sc)
{
	for (size_t i = 0; i < sc->n; i++) {
		free(sc->v[i].path);
		free(sc->v[i].hotfix);
	}
	free(sc->v);
	memset(sc, 0, sizeof(*sc));
}

static enum hfx_rc successors_load(sqlite3 *db, const char *id,
				   struct successors *sc, struct hfx_err *err)
{
	sqlite3_stmt *st;
	enum hfx_rc rc;
	int s;

	memset(sc, 0, sizeof(*sc));
	rc = hfx_db_prepare(db,
			    "SELECT path, hotfix_id FROM file"
			    " WHERE prev_hotfix = ?1 AND hotfix_id != ?1",
			    &st, err);
	if (rc != HFX_OK)
		return rc;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	while ((s = sqlite3_step(st)) == SQLITE_ROW) {
		struct successor *one;

		if (!hfx_grow(&sc->v, &sc->cap, sc->n, sizeof(*sc->v))) {
			rc = hfx_err_set(err, HFX_ERR_NOMEM, "out of memory");
			break;
		}
		one = &sc->v[sc->n++];
		one->path = hfx_db_column_strdup(st, 0);
		one->hotfix = hfx_db_column_strdup(st, 1);
		if (!one->path || !one->hotfix) {
			rc = hfx_err_set(err, HFX_ERR_NOMEM, "out of memory");
			break;
		}
	}
	if (rc == HFX_OK && s != SQLITE_DONE)
		rc = hfx_db_fail(db, err, "looking up later hotfixes");
	sqlite3_finalize(st);
	return rc;
}

static const char *successor_of_path(const struct successors *sc,
				     const char *path)
{
	for (size_t i = 0; i < sc->n; i++)
		if (strcmp(sc->v[i].path, path) == 0)
			return sc->v[i].hotfix;
	return NULL;
}

/* Unchanged since install?  Fast by stat, else by hash. */
static enum hfx_rc unchanged_since_install(int dirfd, const char *base,
					   const struct hfx_file_rec *f,
					   const struct stat *st, bool *same,
					   const char *label,
					   struct hfx_err *err)
{
	unsigned char sha[HFX_SHA256_LEN];
	char hex[HFX_SHA256_HEX];
	enum hfx_rc rc;
	int fd;

	if (hfx_record_stat_matches(f, st)) {
		*same = true;
		return HFX_OK;
	}
	fd = openat(dirfd, base, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return hfx_err_sys(err, HFX_ERR_IO, "%s", label);
	rc = hfx_sha256_fd(fd, sha, label, err);
	close(fd);
	if (rc != HFX_OK)
		return rc;
	hfx_hex(sha, HFX_SHA256_LEN, hex);
	*same = strcmp(hex, f->new_sha256) == 0;
	return HFX_OK;
}

static enum hfx_rc plan_entry(struct rollback *rb, const struct hfx_file_rec *f,
			      size_t *n, struct hfx_err *err)
{
	struct hfx_ctx *ctx = rb->ctx;
	struct hfx_txn *txn = rb->txn;
	struct hfx_txn_entry *e = &txn->entries[*n];
	char label[PATH_MAX + 64], suffix[64], *dir = NULL;
	const char *base;
	struct stat st;
	bool exists, same = true;
	enum hfx_rc rc;
	int dfd;

	hfx_ctx_path(ctx, f->path, label, sizeof(label));
	rc = hfx_path_split(f->path, &dir, &base, err);
	if (rc != HFX_OK)
		return rc;
	dfd = hfx_txn_dir(ctx, txn, dir, false, err);
	if (dfd < 0) {
		free(dir);
		return err->code;
	}
	exists = fstatat(dfd, base, &st, AT_SYMLINK_NOFOLLOW) == 0;
	if (!exists && errno != ENOENT) {
		free(dir);
		return hfx_err_sys(err, HFX_ERR_IO, "%s", label);
	}
	if (exists && !S_ISREG(st.st_mode)) {
		free(dir);
		return hfx_err_set(err, HFX_ERR_FAILED,
				   "%s is no longer a regular file; refusing to roll back over it",
				   label);
	}
	if (exists) {
		rc = unchanged_since_install(dfd, base, f, &st, &same, label, err);
		if (rc != HFX_OK) {
			free(dir);
			return rc;
		}
		if (!same && !ctx->opt.force) {
			free(dir);
			return hfx_err_set(err, HFX_ERR_FAILED,
					   "%s was changed after %s installed it; rolling back would discard that change (use --force to discard it)",
					   label, rb->rec->id);
		}
	}
	if (strcmp(f->action, "replace") == 0 && !f->backup) {
		free(dir);
		return hfx_err_set(err, HFX_ERR_FAILED,
				   "the original of %s is not recorded; %s cannot be rolled back",
				   label, rb->rec->id);
	}
	if (strcmp(f->action, "new") == 0 && !exists) {
		free(dir);
		return HFX_OK;	/* added, since removed: nothing to do */
	}

	snprintf(suffix, sizeof(suffix), ".hfx-undo-%lld", (long long)txn->id);
	e->dir = dir;
	e->base = strdup(base);
	if (!e->base)
		return hfx_err_set(err, HFX_ERR_NOMEM, "out of memory");
	if (exists) {
		e->old_dev = (int64_t)st.st_dev;
		e->old_ino = (int64_t)st.st_ino;
		e->keep_temp = true;
	}
	if (f->backup) {
		char *bdir = NULL;
		const char *bbase;
		struct stat bst;
		int bfd;

		rc = hfx_path_split(f->backup, &bdir, &bbase, err);
		if (rc != HFX_OK)
			return rc;
		e->in_dir = bdir;
		e->in_base = strdup(bbase);
		if (!e->in_base)
			return hfx_err_set(err, HFX_ERR_NOMEM, "out of memory");
		bfd = hfx_txn_dir(ctx, txn, bdir, false, err);
		if (bfd < 0 || fstatat(bfd, bbase, &bst, AT_SYMLINK_NOFOLLOW) < 0 ||
		    !S_ISREG(bst.st_mode)) {
			char blabel[PATH_MAX + 64];

			hfx_err_clear(err);
			return hfx_err_set(err, HFX_ERR_FAILED,
					   "the original of %s is missing from the store (%s); %s cannot be rolled back",
					   label, hfx_ctx_path(ctx, f->backup, blabel, sizeof(blabel)),
					   rb->rec->id);
		}
		if (exists) {
			e->keep_dir = strdup(bdir);
			e->keep_base = malloc(strlen(bbase) + strlen(suffix) + 1);
			if (!e->keep_dir || !e->keep_base)
				return hfx_err_set(err, HFX_ERR_NOMEM, "out of memory");
			sprintf(e->keep_base, "%s%s", bbase, suffix);
		}
	} else {
		char *store = NULL;

		rc = hfx_store_root_for(ctx, dfd, e->dir, &store, err);
		if (rc == HFX_OK)
			rc = hfx_store_place(store, rb->rec->id, f->target, suffix,
					     &e->keep_dir, &e->keep_base, err);
		free(store);
		if (rc != HFX_OK)
			return rc;
	}
	(*n)++;
	if (!hfx_result_add_file(rb->res, f->path,
				 f->backup ? HFX_ACT_RESTORE : HFX_ACT_REMOVE,
				 f->new_version,
				 f->backup ? f->old_version : "absent"))
		return hfx_err_set(err, HFX_ERR_NOMEM, "out of memory");
	return HFX_OK;
}

/* A later hotfix owns this path: --force hands it over (see rollback.h);
 * its now useless kept copy of our bytes is removed by an entry. */
static enum hfx_rc plan_handover(struct rollback *rb,
				 const struct hfx_file_rec *f,
				 const char *successor, size_t *n,
				 struct hfx_err *err)
{
	struct hfx_ctx *ctx = rb->ctx;
	struct hfx_hotfix_rec *srec = NULL;
	const struct hfx_file_rec *sf = NULL;
	struct handover *grown;
	enum hfx_rc rc;

	grown = realloc(rb->handovers, (rb->nhandovers + 1) * sizeof(*grown));
	if (!grown)
		return hfx_err_set(err, HFX_ERR_NOMEM, "out of memory");
	rb->handovers = grown;
	grown[rb->nhandovers].mine = f;
	grown[rb->nhandovers].successor = strdup(successor);
	if (!grown[rb->nhandovers].successor)
		return hfx_err_set(err, HFX_ERR_NOMEM, "out of memory");
	rb->nhandovers++;
	if (!hfx_result_add_file(rb->res, f->path, HFX_ACT_HANDED_OVER,
				 f->new_version, f->new_version))
		return hfx_err_set(err, HFX_ERR_NOMEM, "out of memory");

	rc = hfx_record_get(ctx->db, successor, &srec, err);
	if (rc != HFX_OK)
		return rc;
	for (size_t i = 0; i < srec->nfiles; i++)
		if (strcmp(srec->files[i].path, f->path) == 0)
			sf = &srec->files[i];
	if (sf && sf->backup) {
		struct hfx_txn_entry *e = &rb->txn->entries[*n];
		char *dir = NULL, suffix[64];
		const char *base;
		struct stat st;
		int dfd;

		rc = hfx_path_split(sf->backup, &dir, &base, err);
		if (rc != HFX_OK)
			goto out;
		e->dir = dir;
		e->base = strdup(base);
		snprintf(suffix, sizeof(suffix), ".hfx-undo-%lld",
			 (long long)rb->txn->id);
		e->keep_dir = strdup(dir);
		e->keep_base = malloc(strlen(base) + strlen(suffix) + 1);
		if (!e->base || !e->keep_dir || !e->keep_base) {
			rc = hfx_err_set(err, HFX_ERR_NOMEM, "out of memory");
			goto out;
		}
		sprintf(e->keep_base, "%s%s", base, suffix);
		e->keep_temp = true;
		dfd = hfx_txn_dir(ctx, rb->txn, dir, false, err);
		if (dfd >= 0 && fstatat(dfd, base, &st, AT_SYMLINK_NOFOLLOW) == 0) {
			e->old_dev = (int64_t)st.st_dev;
			e->old_ino = (int64_t)st.st_ino;
			(*n)++;
		} else {
			hfx_err_clear(err);	/* already gone */
			free(e->dir);
			free(e->base);
			free(e->keep_dir);
			free(e->keep_base);
			memset(e, 0, sizeof(*e));
			e->old_dev = e->old_ino = e->in_dev = e->in_ino = -1;
		}
	}
out:
	hfx_record_free(srec);
	return rc;
}

static enum hfx_rc plan(struct rollback *rb, struct hfx_err *err)
{
	struct hfx_ctx *ctx = rb->ctx;
	struct hfx_hotfix_rec *rec = rb->rec;
	char refused[1024] = "", *dependents = NULL;
	size_t n = 0, used = 0;
	enum hfx_rc rc;

	struct successors sc = { 0 };

	rc = hfx_txn_new(HFX_TXN_ROLLBACK, rec->id, 2 * rec->nfiles, &rb->txn,
			 err);
	if (rc == HFX_OK)
		rc = hfx_txn_reserve_id(ctx, rb->txn, err);
	/* Many lookups: one read transaction, one lock. */
	if (rc == HFX_OK)
		rc = hfx_db_begin_read(ctx->db, err);
	if (rc == HFX_OK)
		rc = successors_load(ctx->db, rec->id, &sc, err);
	for (size_t i = 0; rc == HFX_OK && i < rec->nfiles; i++) {
		const struct hfx_file_rec *f = &rec->files[i];
		const char *successor;

		if (strcmp(f->action, "keep") == 0)
			continue;
		successor = successor_of_path(&sc, f->path);
		if (successor && !ctx->opt.force) {
			if (used + strlen(f->path) + strlen(successor) + 16 <
			    sizeof(refused))
				used += (size_t)snprintf(refused + used,
							 sizeof(refused) - used,
							 "%s/%s (replaced by %s)",
							 used ? ", " : "", f->path,
							 successor);
			continue;
		}
		if (successor)
			rc = plan_handover(rb, f, successor, &n, err);
		else if (!refused[0])
			rc = plan_entry(rb, f, &n, err);
	}
	successors_free(&sc);
	if (rc == HFX_OK && !ctx->opt.force)
		rc = hfx_record_dependents(ctx->db, rec->id, &dependents, err);
	if (rc == HFX_OK && (refused[0] || dependents))
		rc = hfx_err_set(err, HFX_ERR_ROLLBACK_REFUSED,
				 "rollback of %s refused:%s%s%s%s%s; roll those back first, or use --force%s",
				 rec->id,
				 dependents ? " " : "", dependents ? dependents : "",
				 dependents ? " requires it" : "",
				 refused[0] ? (dependents ? "; later hotfixes replaced its files: "
							  : " later hotfixes replaced its files: ")
					    : "",
				 refused,
				 refused[0] ? " (which hands those files over to them)" : "");
	free(dependents);
	hfx_db_rollback(ctx->db);	/* end the read transaction */
	if (rc == HFX_OK)
		rb->txn->n = n;
	return rc;
}

/* Inside the commit: forget the hotfix, hand over shared files. */
static enum hfx_rc write_record(struct hfx_ctx *ctx, void *ud,
				struct hfx_err *err)
{
	struct rollback *rb = ud;
	enum hfx_rc rc = HFX_OK;

	for (size_t i = 0; rc == HFX_OK && i < rb->nhandovers; i++) {
		const struct hfx_file_rec *f = rb->handovers[i].mine;
		sqlite3_stmt *st;

		rc = hfx_db_prepare(ctx->db,
				    "UPDATE file SET backup = ?1, prev_hotfix = ?2,"
				    " old_version = ?3, old_sha256 = ?4,"
				    " old_size = ?5, action = ?6"
				    " WHERE hotfix_id = ?7 AND path = ?8",
				    &st, err);
		if (rc != HFX_OK)
			break;
		if (f->backup)
			sqlite3_bind_text(st, 1, f->backup, -1, SQLITE_STATIC);
		if (f->prev_hotfix)
			sqlite3_bind_text(st, 2, f->prev_hotfix, -1, SQLITE_STATIC);
		if (f->old_version)
			sqlite3_bind_text(st, 3, f->old_version, -1, SQLITE_STATIC);
		if (f->old_sha256[0])
			sqlite3_bind_text(st, 4, f->old_sha256, -1, SQLITE_STATIC);
		if (f->old_size >= 0)
			sqlite3_bind_int64(st, 5, f->old_size);
		sqlite3_bind_text(st, 6, f->backup ? "replace" : "new", -1,
				  SQLITE_STATIC);
		sqlite3_bind_text(st, 7, rb->handovers[i].successor, -1,
				  SQLITE_STATIC);
		sqlite3_bind_text(st, 8, f->path, -1, SQLITE_STATIC);
		rc = hfx_db_step_done(ctx->db, st, "handing a file over", err);
		sqlite3_finalize(st);
	}
	if (rc == HFX_OK)
		rc = hfx_record_delete(ctx->db, rb->rec->id, err);
	return rc;
}

/* Processes still mapping the hotfix's version of a file we took away. */
static void find_old_code(struct rollback *rb)
{
	struct hfx_file_id *ids = calloc(rb->txn->n ? rb->txn->n : 1,
					 sizeof(*ids));
	struct hfx_err local;
	size_t n = 0;

	if (!ids)
		return;
	for (size_t i = 0; i < rb->txn->n; i++) {
		const struct hfx_txn_entry *e = &rb->txn->entries[i];

		if (e->old_ino < 0 || !e->in_base)
			continue;
		ids[n].dev = (dev_t)e->old_dev;
		ids[n].ino = (ino_t)e->old_ino;
		ids[n].path = e->base;
		n++;
	}
	hfx_err_clear(&local);
	if (hfx_procscan(ids, n, &rb->res->procs, &local) == HFX_OK &&
	    rb->res->procs.n > 0)
		rb->res->restart_required = true;
	free(ids);
}

static enum hfx_rc record_and_scan(struct hfx_ctx *ctx, void *ud,
				   struct hfx_err *err)
{
	struct rollback *rb = ud;

	rb->res->downtime_ms = hfx_services_downtime(&rb->services);
	find_old_code(rb);
	if (rb->rec->restart && strcmp(rb->rec->restart, "reboot") == 0)
		rb->res->restart_required = true;
	return write_record(ctx, ud, err);
}

static enum hfx_rc run_rollback(struct rollback *rb, const char *id,
				struct hfx_err *err)
{
	struct hfx_ctx *ctx = rb->ctx;
	struct hfx_result *res = rb->res;
	enum hfx_rc rc;

	if (!ctx->db)
		return hfx_err_set(err, HFX_ERR_NOT_FOUND,
				   "%s is not installed (no hotfix is recorded on this root)",
				   id);
	rc = hfx_record_get(ctx->db, id, &rb->rec, err);
	if (rc != HFX_OK)
		return rc;
	res->id = strdup(id);
	if (!res->id)
		return hfx_err_set(err, HFX_ERR_NOMEM, "out of memory");
	if (rb->rec->committed)
		return hfx_err_set(err, HFX_ERR_FAILED,
				   "%s was committed (its original files were discarded); it cannot be rolled back",
				   id);
	rc = plan(rb, err);
	if (rc != HFX_OK)
		return rc;
	if (strcmp(rb->rec->restart, "services") == 0) {
		rc = split_names(rb->rec->services, &rb->service_names,
				 &rb->nservice_names, err);
		if (rc == HFX_OK)
			rc = hfx_services_prepare(ctx, rb->service_names,
						  rb->nservice_names, id,
						  &rb->services, err);
		for (size_t i = 0; rc == HFX_OK && i < rb->services.n; i++)
			if (rb->services.svc[i].was_running &&
			    !hfx_result_add_service(res, rb->services.svc[i].name))
				rc = hfx_err_set(err, HFX_ERR_NOMEM, "out of memory");
		if (rc != HFX_OK)
			return rc;
	}
	if (ctx->opt.dry_run)
		return HFX_OK;
	rc = hfx_txn_journal(ctx, rb->txn, err);
	if (rc != HFX_OK)
		return rc;
	rc = hfx_txn_mark_staged(ctx, rb->txn, err);
	if (rc != HFX_OK) {
		hfx_txn_abort(ctx, rb->txn, &rb->services, false);
		return rc;
	}
	rc = hfx_txn_execute(ctx, rb->txn, &rb->services, record_and_scan, rb,
			     err);
	if (rc == HFX_OK)
		res->changed = true;
	return rc;
}

enum hfx_rc hfx_rollback(struct hfx_ctx *ctx, const char *id,
			 struct hfx_result *res, struct hfx_err *err)
{
	struct rollback rb = { .ctx = ctx, .res = res };
	char msg[HFX_ERR_MSG_MAX + 64];
	enum hfx_rc rc;

	hfx_result_init(res);
	rc = run_rollback(&rb, id, err);
	if (!ctx->opt.dry_run) {
		snprintf(msg, sizeof(msg), "%s",
			 rc == HFX_OK ? (res->restart_required
					       ? "rolled back; restart required"
					       : "rolled back")
				      : err->msg);
		hfx_ctx_log(ctx, "rollback", id, rc,
			    rc == HFX_OK ? (res->restart_required ? 10 : 0)
					 : hfx_rc_exit_code(rc),
			    msg, res->downtime_ms);
	}
	hfx_services_free(&rb.services);
	for (size_t i = 0; i < rb.nservice_names; i++)
		free(rb.service_names[i]);
	free(rb.service_names);
	for (size_t i = 0; i < rb.nhandovers; i++)
		free(rb.handovers[i].successor);
	free(rb.handovers);
	hfx_txn_free(rb.txn);
	hfx_record_free(rb.rec);
	return rc;
}
