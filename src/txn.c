/*
 * txn.c -- journaled, crash-safe file swaps.
 *
 * PHASES AND THE RECOVERY DECISION
 *
 * The journal (tables txn and txn_entry) is written before anything on
 * disk changes, and its phase is advanced by a committed database
 * transaction before each stage of work:
 *
 *   STAGING    the plan is journaled (every entry: T, I, K, T's inode);
 *              incoming files are being written next to their targets.
 *   STAGED     incoming files are fsynced and their inodes journaled.
 *   SWAPPING   the services to stop are journaled; then they are
 *              stopped, entries are swapped, services start again.
 *   COMMITTED  the record (hotfix and file rows) was written in the same
 *              database transaction that set this phase.
 *
 * Recovery rolls BACK every transaction that did not reach COMMITTED and
 * rolls FORWARD every one that did.  Rolling back before the commit is
 * always possible because nothing is destroyed before it: the original of
 * every target is linked into the store before the target is replaced,
 * and a staged file or a kept original is only consumed by a rename that
 * leaves its inode under T.  Rolling forward after the commit needs only
 * cleanup (temporaries of a rollback) and restarting services.
 *
 * WHY THE PER-ENTRY STATE IS NOT JOURNALED
 *
 * The journal records each entry's inodes, not each step's completion.
 * Each step (link T->K, rename I->T, unlink) is atomic and leaves a state
 * recognisable by inode: T holds the old inode, T holds the incoming
 * inode, K exists or not.  A per-step journal row written after the step
 * could be lost in a crash while the step itself persisted, so recovery
 * would have to look at the file system anyway; writing it before each
 * step would cost a database fsync per file (2,000 for a large hotfix)
 * for no extra knowledge.  Undo (entry_undo) therefore inspects each entry
 * and reverses exactly the steps that happened; it is idempotent, so a
 * crash during recovery is recovered by the next run.
 *
 * DURABILITY ORDER
 *
 * incoming files fsynced (install.c) -> phase STAGED committed -> all
 * links T->K -> the store directories synced -> (services stopped) ->
 * all renames I->T -> (services started) -> the target directories
 * synced -> record committed.
 * Links are made durable before any rename, so no crash can lose the last
 * name of an original; they are made before the services stop, since
 * they do not touch the targets.  Directory syncs are batched: one fsync
 * per directory, or one syncfs() per file system when many changed.
 *
 * WHY LINK + RENAME, NOT RENAME_EXCHANGE
 *
 * renameat2(RENAME_EXCHANGE) would swap I and T in one step, but it leaves
 * the original under I's temporary name next to the target, to be moved
 * into the store afterwards: one more rename and directory sync per file,
 * inside or right after the downtime window, and a crash in between
 * leaves the only name of an original in the product directory.  Linking
 * T->K first gives the original its store name before the target is
 * touched, made durable before the services stop; the swap is then a
 * plain rename(I, T), which atomically replaces T so that T always exists.
 * It is also POSIX: RENAME_EXCHANGE is refused by some file systems
 * (EINVAL on NFS, older FUSE and overlay set-ups).
 *
 * Every state change calls hfx_fault_step() first (see fault.h): the
 * crash-point test kills the process at each one in turn.
 */
#include "grow.h"
#include "txn.h"
#include "db.h"
#include "fsutil.h"
#include "store.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static const char *const phase_names[] = {
	[HFX_PHASE_STAGING] = "staging",
	[HFX_PHASE_STAGED] = "staged",
	[HFX_PHASE_SWAPPING] = "swapping",
	[HFX_PHASE_COMMITTED] = "committed",
};

const char *hfx_txn_phase_name(enum hfx_txn_phase phase)
{
	return phase_names[phase];
}

static int phase_from_name(const char *name)
{
	for (int i = 0; i <= HFX_PHASE_COMMITTED; i++)
		if (name && strcmp(name, phase_names[i]) == 0)
			return i;
	return -1;
}

/* ---- open directories, by root-relative path --------------------------- */

struct dir_slot {
	char *rel;
	int fd;
	dev_t dev;	/* its file system, for syncfs() */
	bool dirty;	/* an entry name changed: fsync before the next phase */
};

struct hfx_dirent_cache {
	struct dir_slot *v;
	size_t n, cap;
};

static void dirs_free(struct hfx_dirent_cache *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n; i++) {
		free(c->v[i].rel);
		close(c->v[i].fd);
	}
	free(c->v);
	free(c);
}

static struct dir_slot *dir_slot(struct hfx_txn *txn, int fd)
{
	for (size_t i = 0; i < txn->dirs->n; i++)
		if (txn->dirs->v[i].fd == fd)
			return &txn->dirs->v[i];
	return NULL;
}

static void mark_dirty(struct hfx_txn *txn, int fd)
{
	struct dir_slot *s = dir_slot(txn, fd);

	if (s)
		s->dirty = true;
}

int hfx_txn_dir(struct hfx_ctx *ctx, struct hfx_txn *txn, const char *rel,
		bool create, struct hfx_err *err)
{
	struct hfx_dirent_cache *c = txn->dirs;
	char label[4200];
	struct hfx_err local;
	int fd;

	for (size_t i = 0; i < c->n; i++)
		if (strcmp(c->v[i].rel, rel) == 0)
			return c->v[i].fd;
	hfx_ctx_path(ctx, rel, label, sizeof(label));
	hfx_err_clear(&local);
	fd = hfx_open_dir(ctx->rootfd, rel, HFX_RESOLVE_NO_SYMLINKS, label,
			  &local);
	if (fd < 0 && create && local.code == HFX_ERR_NOT_FOUND) {
		hfx_fault_step(&ctx->fault, "mkdir");
		hfx_err_clear(&local);
		fd = hfx_mkdirs(ctx->rootfd, rel, 0700, label, &local);
	}
	if (fd < 0) {
		hfx_err_set(err, local.code == HFX_ERR_NOT_FOUND ? HFX_ERR_IO
								 : local.code,
			    "%s", local.msg);
		return -1;
	}
	if (!hfx_grow(&c->v, &c->cap, c->n, sizeof(*c->v))) {
		close(fd);
		hfx_err_set(err, HFX_ERR_NOMEM, "out of memory");
		return -1;
	}
	c->v[c->n].rel = strdup(rel);
	if (!c->v[c->n].rel) {
		close(fd);
		hfx_err_set(err, HFX_ERR_NOMEM, "out of memory");
		return -1;
	}
	{
		struct stat st;

		c->v[c->n].dev = fstat(fd, &st) == 0 ? st.st_dev : 0;
	}
	c->v[c->n].fd = fd;
	c->v[c->n].dirty = false;
	c->n++;
	return fd;
}

/* Up to this many changed directories, fsync each; beyond, one syncfs()
 * per file system is one journal commit instead of many. */
#define SYNC_DIRS_MAX 16

static enum hfx_rc sync_dirty(struct hfx_ctx *ctx, struct hfx_txn *txn,
			      struct hfx_err *err)
{
	char label[4200];
	size_t ndirty = 0;

	for (size_t i = 0; i < txn->dirs->n; i++)
		ndirty += txn->dirs->v[i].dirty;
	for (size_t i = 0; i < txn->dirs->n; i++) {
		struct dir_slot *s = &txn->dirs->v[i];
		bool synced = false;

		if (!s->dirty)
			continue;
		hfx_ctx_path(ctx, s->rel, label, sizeof(label));
		if (ndirty > SYNC_DIRS_MAX) {
			hfx_fault_step(&ctx->fault, "syncfs-dirs");
			if (syncfs(s->fd) < 0)
				return hfx_err_sys(err, HFX_ERR_IO,
						   "syncing the file system of %s",
						   label);
			synced = true;	/* every directory on this file system */
		} else {
			enum hfx_rc rc;

			hfx_fault_step(&ctx->fault, "fsync-dir");
			rc = hfx_fsync_dir(s->fd, label, err);
			if (rc != HFX_OK)
				return rc;
		}
		s->dirty = false;
		for (size_t j = i + 1; synced && j < txn->dirs->n; j++)
			if (txn->dirs->v[j].dev == s->dev)
				txn->dirs->v[j].dirty = false;
	}
	return HFX_OK;
}

/* ---- construction ------------------------------------------------------ */

enum hfx_rc hfx_txn_new(enum hfx_txn_kind kind, const char *hotfix, size_t n,
			struct hfx_txn **out, struct hfx_err *err)
{
	struct hfx_txn *txn = calloc(1, sizeof(*txn));

	*out = NULL;
	if (!txn)
		return hfx_err_set(err, HFX_ERR_NOMEM, "out of memory");
	txn->kind = kind;
	txn->hotfix = strdup(hotfix);
	txn->entries = calloc(n ? n : 1, sizeof(*txn->entries));
	txn->dirs = calloc(1, sizeof(*txn->dirs));
	if (!txn->hotfix || !txn->entries || !txn->dirs) {
		hfx_txn_free(txn);
		return hfx_err_set(err, HFX_ERR_NOMEM, "out of memory");
	}
	for (size_t i = 0; i < n; i++) {
		txn->entries[i].old_dev = txn->entries[i].old_ino = -1;
		txn->entries[i].in_dev = txn->entries[i].in_ino = -1;
	}
	txn->n = n;
	*out = txn;
	return HFX_OK;
}

static void entry_free(struct hfx_txn_entry *e)
{
	free(e->dir);
	free(e->base);
	free(e->in_dir);
	free(e->in_base);
	free(e->keep_dir);
	free(e->keep_base);
}

void hfx_txn_free(struct hfx_txn *txn)
{
	if (!txn)
		return;
	for (size_t i = 0; i < txn->n; i++)
		entry_free(&txn->entries[i]);
	free(txn->entries);
	for (size_t i = 0; i < txn->nservices; i++)
		free(txn->services[i]);
	free(txn->services);
	free(txn->hotfix);
	dirs_free(txn->dirs);
	free(txn);
}

enum hfx_rc hfx_txn_reserve_id(struct hfx_ctx *ctx, struct hfx_txn *txn,
			       struct hfx_err *err)
{
	sqlite3_stmt *st;
	enum hfx_rc rc;

	/* Ids only need to be unique among live transactions and their
	 * staged files; the lock makes max+1 stable until journaled. */
	rc = hfx_db_prepare(ctx->db,
			    "SELECT max(coalesce((SELECT max(id) FROM txn), 0),"
			    " coalesce((SELECT max(id) FROM event), 0)) + 1",
			    &st, err);
	if (rc != HFX_OK)
		return rc;
	if (sqlite3_step(st) == SQLITE_ROW)
		txn->id = sqlite3_column_int64(st, 0);
	else
		rc = hfx_db_fail(ctx->db, err, "reserving a transaction id");
	sqlite3_finalize(st);
	return rc;
}

/* ---- journal ----------------------------------------------------------- */

static void bind_opt_text(sqlite3_stmt *st, int i, const char *s)
{
	if (s)
		sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, i);
}

static void bind_opt_int(sqlite3_stmt *st, int i, int64_t v)
{
	if (v >= 0)
		sqlite3_bind_int64(st, i, v);
	else
		sqlite3_bind_null(st, i);
}

enum hfx_rc hfx_txn_journal(struct hfx_ctx *ctx, struct hfx_txn *txn,
			    struct hfx_err *err)
{
	sqlite3_stmt *st = NULL;
	enum hfx_rc rc;

	rc = hfx_db_begin(ctx->db, err);
	if (rc != HFX_OK)
		return rc;
	rc = hfx_db_prepare(ctx->db,
			    "INSERT INTO txn (id, kind, hotfix_id, phase, pid,"
			    " started_at) VALUES (?1, ?2, ?3, 'staging', ?4, ?5)",
			    &st, err);
	if (rc == HFX_OK) {
		sqlite3_bind_int64(st, 1, txn->id);
		sqlite3_bind_text(st, 2,
				  txn->kind == HFX_TXN_INSTALL ? "install"
							       : "rollback",
				  -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, txn->hotfix, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 4, (int64_t)getpid());
		sqlite3_bind_int64(st, 5, (int64_t)time(NULL));
		rc = hfx_db_step_done(ctx->db, st, "journaling a transaction",
				      err);
		sqlite3_finalize(st);
		st = NULL;
	}
	if (rc == HFX_OK)
		rc = hfx_db_prepare(ctx->db,
				    "INSERT INTO txn_entry (txn_id, seq, dir, base,"
				    " in_dir, in_base, in_temp, in_dev, in_ino,"
				    " keep_dir, keep_base, keep_temp, old_dev,"
				    " old_ino) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7,"
				    " ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
				    &st, err);
	for (size_t i = 0; rc == HFX_OK && i < txn->n; i++) {
		const struct hfx_txn_entry *e = &txn->entries[i];

		sqlite3_bind_int64(st, 1, txn->id);
		sqlite3_bind_int64(st, 2, (int64_t)i);
		sqlite3_bind_text(st, 3, e->dir, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 4, e->base, -1, SQLITE_STATIC);
		bind_opt_text(st, 5, e->in_dir);
		bind_opt_text(st, 6, e->in_base);
		sqlite3_bind_int(st, 7, e->in_temp);
		bind_opt_int(st, 8, e->in_dev);
		bind_opt_int(st, 9, e->in_ino);
		bind_opt_text(st, 10, e->keep_dir);
		bind_opt_text(st, 11, e->keep_base);
		sqlite3_bind_int(st, 12, e->keep_temp);
		bind_opt_int(st, 13, e->old_dev);
		bind_opt_int(st, 14, e->old_ino);
		rc = hfx_db_step_done(ctx->db, st, "journaling a file", err);
		sqlite3_clear_bindings(st);
	}
	sqlite3_finalize(st);
	if (rc == HFX_OK) {
		hfx_fault_step(&ctx->fault, "db-journal");
		rc = hfx_db_commit(ctx->db, err);
	} else {
		hfx_db_rollback(ctx->db);
	}
	if (rc == HFX_OK)
		txn->phase = HFX_PHASE_STAGING;
	return rc;
}

static enum hfx_rc set_phase(struct hfx_ctx *ctx, struct hfx_txn *txn,
			     enum hfx_txn_phase phase, const char *services,
			     struct hfx_err *err)
{
	sqlite3_stmt *st;
	enum hfx_rc rc;

	rc = hfx_db_prepare(ctx->db,
			    services ? "UPDATE txn SET phase = ?1, services = ?3 WHERE id = ?2"
				     : "UPDATE txn SET phase = ?1 WHERE id = ?2",
			    &st, err);
	if (rc != HFX_OK)
		return rc;
	sqlite3_bind_text(st, 1, phase_names[phase], -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, txn->id);
	if (services)
		sqlite3_bind_text(st, 3, services, -1, SQLITE_STATIC);
	hfx_fault_step(&ctx->fault, "db-phase");
	rc = hfx_db_step_done(ctx->db, st, "advancing the journal", err);
	sqlite3_finalize(st);
	if (rc == HFX_OK)
		txn->phase = phase;
	return rc;
}

static enum hfx_rc stat_at(int dirfd, const char *name, struct stat *st,
			   bool *exists, const char *label, struct hfx_err *err)
{
	if (fstatat(dirfd, name, st, AT_SYMLINK_NOFOLLOW) == 0) {
		*exists = true;
		return HFX_OK;
	}
	*exists = false;
	if (errno == ENOENT)
		return HFX_OK;
	return hfx_err_sys(err, HFX_ERR_IO, "%s", label);
}

static bool same_inode(const struct stat *st, int64_t dev, int64_t ino)
{
	return ino >= 0 && (int64_t)st->st_ino == ino &&
	       (int64_t)st->st_dev == dev;
}

/* "ROOT/dir/base" for messages */
static const char *entry_label(struct hfx_ctx *ctx, const char *dir,
			       const char *base, char *buf, size_t len)
{
	char rel[4200];

	snprintf(rel, sizeof(rel), "%s%s%s", dir, *dir ? "/" : "", base);
	return hfx_ctx_path(ctx, rel, buf, len);
}

enum hfx_rc hfx_txn_mark_staged(struct hfx_ctx *ctx, struct hfx_txn *txn,
				struct hfx_err *err)
{
	sqlite3_stmt *st = NULL;
	char label[4200];
	enum hfx_rc rc;

	rc = hfx_db_begin(ctx->db, err);
	if (rc == HFX_OK)
		rc = hfx_db_prepare(ctx->db,
				    "UPDATE txn_entry SET in_dev = ?1, in_ino = ?2"
				    " WHERE txn_id = ?3 AND seq = ?4",
				    &st, err);
	for (size_t i = 0; rc == HFX_OK && i < txn->n; i++) {
		struct hfx_txn_entry *e = &txn->entries[i];
		struct stat sb;
		bool exists;
		int fd;

		/* (The targets are checked again by each swap step.) */
		if (!e->in_base)
			continue;
		if (e->in_ino < 0) {
			fd = hfx_txn_dir(ctx, txn, e->in_dir, false, err);
			if (fd < 0) {
				rc = err->code;
				break;
			}
			entry_label(ctx, e->in_dir, e->in_base, label,
				    sizeof(label));
			rc = stat_at(fd, e->in_base, &sb, &exists, label, err);
			if (rc == HFX_OK && (!exists || !S_ISREG(sb.st_mode)))
				rc = hfx_err_set(err, HFX_ERR_FAILED,
						 "%s disappeared before the swap",
						 label);
			if (rc != HFX_OK)
				break;
			e->in_dev = (int64_t)sb.st_dev;
			e->in_ino = (int64_t)sb.st_ino;
		}
		sqlite3_bind_int64(st, 1, e->in_dev);
		sqlite3_bind_int64(st, 2, e->in_ino);
		sqlite3_bind_int64(st, 3, txn->id);
		sqlite3_bind_int64(st, 4, (int64_t)i);
		rc = hfx_db_step_done(ctx->db, st, "journaling inodes", err);
	}
	sqlite3_finalize(st);
	if (rc == HFX_OK) {
		sqlite3_stmt *ph;

		rc = hfx_db_prepare(ctx->db,
				    "UPDATE txn SET phase = 'staged' WHERE id = ?1",
				    &ph, err);
		if (rc == HFX_OK) {
			sqlite3_bind_int64(ph, 1, txn->id);
			rc = hfx_db_step_done(ctx->db, ph, "advancing the journal",
					      err);
			sqlite3_finalize(ph);
		}
	}
	if (rc == HFX_OK) {
		hfx_fault_step(&ctx->fault, "db-staged");
		rc = hfx_db_commit(ctx->db, err);
	} else {
		hfx_db_rollback(ctx->db);
	}
	if (rc == HFX_OK)
		txn->phase = HFX_PHASE_STAGED;
	return rc;
}

enum hfx_rc hfx_txn_mark_stopping(struct hfx_ctx *ctx, struct hfx_txn *txn,
				  const struct hfx_service_set *set,
				  struct hfx_err *err)
{
	size_t len = 1;
	char *names, *p;
	enum hfx_rc rc;

	for (size_t i = 0; i < set->n; i++)
		len += strlen(set->svc[i].name) + 1;
	names = malloc(len);
	if (!names)
		return hfx_err_set(err, HFX_ERR_NOMEM, "out of memory");
	p = names;
	*p = '\0';
	for (size_t i = 0; i < set->n; i++)
		if (set->svc[i].was_running)
			p += sprintf(p, "%s\n", set->svc[i].name);
	/* From here on recovery stops what runs and undoes whatever was
	 * swapped: one journal write before the first stop, none inside the
	 * downtime window. */
	rc = set_phase(ctx, txn, HFX_PHASE_SWAPPING, names, err);
	free(names);
	return rc;
}

/* ---- swap -------------------------------------------------------------- */

static enum hfx_rc entry_link(struct hfx_ctx *ctx, struct hfx_txn *txn,
			      struct hfx_txn_entry *e, struct hfx_err *err)
{
	char label[4200], klabel[4200];
	struct stat sb;
	bool exists;
	int tfd, kfd;
	enum hfx_rc rc;

	if (!e->keep_base || e->old_ino < 0)
		return HFX_OK;
	tfd = hfx_txn_dir(ctx, txn, e->dir, false, err);
	if (tfd < 0)
		return err->code;
	kfd = hfx_txn_dir(ctx, txn, e->keep_dir, true, err);
	if (kfd < 0)
		return err->code;
	entry_label(ctx, e->dir, e->base, label, sizeof(label));
	entry_label(ctx, e->keep_dir, e->keep_base, klabel, sizeof(klabel));
	rc = stat_at(tfd, e->base, &sb, &exists, label, err);
	if (rc != HFX_OK)
		return rc;
	if (!exists || !same_inode(&sb, e->old_dev, e->old_ino))
		return hfx_err_set(err, HFX_ERR_FAILED,
				   "%s changed since it was checked; nothing was changed",
				   label);
	hfx_fault_step(&ctx->fault, "link");
	if (linkat(tfd, e->base, kfd, e->keep_base, 0) < 0) {
		if (errno != EEXIST)
			return hfx_err_sys(err, HFX_ERR_IO,
					   "keeping the original %s as %s", label,
					   klabel);
		/* Linked before a crash -- or someone else's file. */
		rc = stat_at(kfd, e->keep_base, &sb, &exists, klabel, err);
		if (rc != HFX_OK)
			return rc;
		if (!exists || !same_inode(&sb, e->old_dev, e->old_ino))
			return hfx_err_set(err, HFX_ERR_FAILED,
					   "the store already holds %s; refusing to overwrite it",
					   klabel);
		return HFX_OK;
	}
	mark_dirty(txn, kfd);
	return HFX_OK;
}

static enum hfx_rc entry_replace(struct hfx_ctx *ctx, struct hfx_txn *txn,
				 struct hfx_txn_entry *e, struct hfx_err *err)
{
	char label[4200];
	struct stat sb;
	bool exists;
	int tfd, ifd;
	enum hfx_rc rc;

	tfd = hfx_txn_dir(ctx, txn, e->dir, false, err);
	if (tfd < 0)
		return err->code;
	entry_label(ctx, e->dir, e->base, label, sizeof(label));
	rc = stat_at(tfd, e->base, &sb, &exists, label, err);
	if (rc != HFX_OK)
		return rc;
	if (!e->in_base) {
		if (!exists)
			return HFX_OK;
		if (!same_inode(&sb, e->old_dev, e->old_ino))
			return hfx_err_set(err, HFX_ERR_FAILED,
					   "%s changed since it was checked",
					   label);
		hfx_fault_step(&ctx->fault, "unlink");
		if (unlinkat(tfd, e->base, 0) < 0)
			return hfx_err_sys(err, HFX_ERR_IO, "removing %s", label);
		mark_dirty(txn, tfd);
		return HFX_OK;
	}
	if (exists && same_inode(&sb, e->in_dev, e->in_ino))
		return HFX_OK;	/* done before a crash */
	if (e->old_ino >= 0 ? !exists || !same_inode(&sb, e->old_dev, e->old_ino)
			    : exists)
		return hfx_err_set(err, HFX_ERR_FAILED,
				   "%s changed since it was checked", label);
	ifd = hfx_txn_dir(ctx, txn, e->in_dir, false, err);
	if (ifd < 0)
		return err->code;
	hfx_fault_step(&ctx->fault, "rename");
	if (renameat2(ifd, e->in_base, tfd, e->base,
		      e->old_ino < 0 ? RENAME_NOREPLACE : 0) < 0)
		return hfx_err_sys(err, HFX_ERR_IO, "replacing %s", label);
	mark_dirty(txn, tfd);
	mark_dirty(txn, ifd);
	return HFX_OK;
}

enum hfx_rc hfx_txn_keep(struct hfx_ctx *ctx, struct hfx_txn *txn,
			 struct hfx_err *err)
{
	enum hfx_rc rc = HFX_OK;

	for (size_t i = 0; rc == HFX_OK && i < txn->n; i++)
		rc = entry_link(ctx, txn, &txn->entries[i], err);
	if (rc == HFX_OK)
		rc = sync_dirty(ctx, txn, err);
	return rc;
}

enum hfx_rc hfx_txn_swap(struct hfx_ctx *ctx, struct hfx_txn *txn,
			 struct hfx_err *err)
{
	enum hfx_rc rc = HFX_OK;

	for (size_t i = 0; rc == HFX_OK && i < txn->n; i++)
		rc = entry_replace(ctx, txn, &txn->entries[i], err);
	return rc;
}

/* ---- undo -------------------------------------------------------------- */

/* Reverse whatever steps of one entry happened (see the top comment). */
static enum hfx_rc entry_undo(struct hfx_ctx *ctx, struct hfx_txn *txn,
			      struct hfx_txn_entry *e, struct hfx_err *err)
{
	char label[4200], klabel[4200], ilabel[4200];
	struct stat tst, kst, ist;
	bool t_exists, k_exists = false, i_exists = false;
	int tfd, kfd = -1, ifd = -1;
	enum hfx_rc rc;

	tfd = hfx_txn_dir(ctx, txn, e->dir, false, err);
	if (tfd < 0)
		return err->code;
	entry_label(ctx, e->dir, e->base, label, sizeof(label));
	rc = stat_at(tfd, e->base, &tst, &t_exists, label, err);
	if (rc != HFX_OK)
		return rc;
	if (e->keep_base) {
		kfd = hfx_txn_dir(ctx, txn, e->keep_dir, false, err);
		if (kfd < 0) {
			if (err->code != HFX_ERR_IO)
				return err->code;
			hfx_err_clear(err);	/* store dir never created */
		} else {
			entry_label(ctx, e->keep_dir, e->keep_base, klabel,
				    sizeof(klabel));
			rc = stat_at(kfd, e->keep_base, &kst, &k_exists, klabel,
				     err);
			if (rc != HFX_OK)
				return rc;
			if (k_exists && !same_inode(&kst, e->old_dev, e->old_ino))
				k_exists = false;	/* not ours */
		}
	}
	if (e->in_base) {
		ifd = hfx_txn_dir(ctx, txn, e->in_dir, false, err);
		if (ifd < 0)
			return err->code;
		entry_label(ctx, e->in_dir, e->in_base, ilabel, sizeof(ilabel));
		rc = stat_at(ifd, e->in_base, &ist, &i_exists, ilabel, err);
		if (rc != HFX_OK)
			return rc;
	}

	if (t_exists && e->in_base && same_inode(&tst, e->in_dev, e->in_ino)) {
		/* Swapped: T holds the incoming bytes. */
		if (!e->in_temp && !i_exists) {
			/* The incoming file is a kept original: give it its
			 * name back before T lets go of the inode. */
			hfx_fault_step(&ctx->fault, "undo-link");
			if (linkat(tfd, e->base, ifd, e->in_base, 0) < 0)
				return hfx_err_sys(err, HFX_ERR_IO,
						   "restoring %s", ilabel);
			mark_dirty(txn, ifd);
		}
		if (e->old_ino >= 0) {
			if (!k_exists)
				return hfx_err_set(err, HFX_ERR_FAILED,
						   "cannot put back %s: its original is missing from the store (%s)",
						   label, klabel);
			hfx_fault_step(&ctx->fault, "undo-rename");
			if (renameat(kfd, e->keep_base, tfd, e->base) < 0)
				return hfx_err_sys(err, HFX_ERR_IO,
						   "putting back %s", label);
			mark_dirty(txn, kfd);
		} else {
			hfx_fault_step(&ctx->fault, "undo-unlink");
			if (unlinkat(tfd, e->base, 0) < 0)
				return hfx_err_sys(err, HFX_ERR_IO,
						   "removing %s", label);
		}
		mark_dirty(txn, tfd);
	} else if (!t_exists && !e->in_base && e->old_ino >= 0 && k_exists) {
		/* A removal happened: bring the file back. */
		hfx_fault_step(&ctx->fault, "undo-rename");
		if (renameat(kfd, e->keep_base, tfd, e->base) < 0)
			return hfx_err_sys(err, HFX_ERR_IO, "putting back %s",
					   label);
		mark_dirty(txn, kfd);
		mark_dirty(txn, tfd);
	} else if ((t_exists && same_inode(&tst, e->old_dev, e->old_ino)) ||
		   (!t_exists && e->old_ino < 0)) {
		/* Not swapped; drop a link made into the store. */
		if (k_exists) {
			hfx_fault_step(&ctx->fault, "undo-unlink");
			if (unlinkat(kfd, e->keep_base, 0) < 0)
				return hfx_err_sys(err, HFX_ERR_IO,
						   "removing %s", klabel);
			mark_dirty(txn, kfd);
		}
	} else {
		struct hfx_event ev = { .type = HFX_EV_WARNING,
					.hotfix = txn->hotfix, .text = label };
		char text[8600];

		/* Someone else changed T.  Our link to the original may be
		 * dropped only if the original still has another name; if
		 * not, the store's link is all that is left of it. */
		if (k_exists && kst.st_nlink > 1) {
			hfx_fault_step(&ctx->fault, "undo-unlink");
			if (unlinkat(kfd, e->keep_base, 0) == 0)
				mark_dirty(txn, kfd);
			k_exists = false;
		}
		snprintf(text, sizeof(text),
			 "%s was changed by someone else during the transaction; left as it is%s%s",
			 label, k_exists ? "; its original is kept as " : "",
			 k_exists ? klabel : "");
		ev.text = text;
		hfx_event_emit(&ctx->ev, &ev);
	}
	if (e->in_temp && e->in_base) {
		rc = stat_at(ifd, e->in_base, &ist, &i_exists, ilabel, err);
		if (rc != HFX_OK)
			return rc;
		if (i_exists) {
			hfx_fault_step(&ctx->fault, "undo-unlink-staged");
			if (unlinkat(ifd, e->in_base, 0) < 0 && errno != ENOENT)
				return hfx_err_sys(err, HFX_ERR_IO, "removing %s",
						   ilabel);
			mark_dirty(txn, ifd);
		}
	}
	return HFX_OK;
}

/* Length of the store prefix of a root-relative directory ("var/lib/hfx/
 * store/" or ".../.hfx-store/"), or 0 if the directory is not in a store. */
static size_t store_prefix_len(const struct hfx_ctx *ctx, const char *dir)
{
	size_t sl = strlen(ctx->statedir);
	const char *p;

	if (strncmp(dir, ctx->statedir, sl) == 0 &&
	    strncmp(dir + sl, "/store/", 7) == 0)
		return sl + 7;
	for (p = dir; (p = strstr(p, ".hfx-store/")); p++)
		if (p == dir || p[-1] == '/')
			return (size_t)(p - dir) + strlen(".hfx-store/");
	return 0;
}

/* Remove empty directories of the store left by this transaction, from
 * the deepest up to and including the hotfix's own directory. */
static void prune_store_dirs(struct hfx_ctx *ctx, struct hfx_txn *txn)
{
	for (size_t i = 0; i < txn->n; i++) {
		const struct hfx_txn_entry *e = &txn->entries[i];
		const char *dirs[2] = { e->keep_dir,
					e->in_temp ? NULL : e->in_dir };

		for (int k = 0; k < 2; k++) {
			size_t stop = dirs[k] ? store_prefix_len(ctx, dirs[k]) : 0;
			char *path, *slash;

			if (!stop)
				continue;
			path = strdup(dirs[k]);
			if (!path)
				return;
			/* rmdir fails on the first non-empty directory; the
			 * store itself goes too when it is empty (a
			 * .hfx-store must not linger at a file system's top). */
			while (strlen(path) > stop &&
			       unlinkat(ctx->rootfd, path, AT_REMOVEDIR) == 0 &&
			       (slash = strrchr(path, '/')))
				*slash = '\0';
			if (strlen(path) < stop)	/* the store itself */
				unlinkat(ctx->rootfd, path, AT_REMOVEDIR);
			free(path);
		}
	}
}

enum hfx_rc hfx_txn_undo(struct hfx_ctx *ctx, struct hfx_txn *txn,
			 struct hfx_err *err)
{
	enum hfx_rc rc = HFX_OK;

	/* Undo every entry even if one fails, reporting the first error. */
	for (size_t i = txn->n; i-- > 0;) {
		struct hfx_err local;

		hfx_err_clear(&local);
		if (entry_undo(ctx, txn, &txn->entries[i], &local) != HFX_OK &&
		    rc == HFX_OK)
			rc = hfx_err_set(err, local.code, "%s", local.msg);
	}
	if (rc == HFX_OK)
		rc = sync_dirty(ctx, txn, err);
	prune_store_dirs(ctx, txn);
	return rc;
}

/* ---- commit and finish ------------------------------------------------- */

enum hfx_rc hfx_txn_commit(struct hfx_ctx *ctx, struct hfx_txn *txn,
			   enum hfx_rc (*record)(struct hfx_ctx *ctx, void *ud,
						 struct hfx_err *err),
			   void *ud, struct hfx_err *err)
{
	sqlite3_stmt *st;
	enum hfx_rc rc;

	rc = hfx_db_begin(ctx->db, err);
	if (rc != HFX_OK)
		return rc;
	rc = record(ctx, ud, err);
	if (rc == HFX_OK)
		rc = hfx_db_prepare(ctx->db,
				    "UPDATE txn SET phase = 'committed' WHERE id = ?1",
				    &st, err);
	if (rc == HFX_OK) {
		sqlite3_bind_int64(st, 1, txn->id);
		rc = hfx_db_step_done(ctx->db, st, "committing the journal", err);
		sqlite3_finalize(st);
	}
	if (rc != HFX_OK) {
		hfx_db_rollback(ctx->db);
		return rc;
	}
	hfx_fault_step(&ctx->fault, "db-commit");
	rc = hfx_db_commit(ctx->db, err);
	if (rc == HFX_OK)
		txn->phase = HFX_PHASE_COMMITTED;
	return rc;
}

enum hfx_rc hfx_txn_forget(struct hfx_ctx *ctx, struct hfx_txn *txn,
			   struct hfx_err *err)
{
	sqlite3_stmt *st;
	enum hfx_rc rc;

	rc = hfx_db_prepare(ctx->db, "DELETE FROM txn WHERE id = ?1", &st, err);
	if (rc != HFX_OK)
		return rc;
	sqlite3_bind_int64(st, 1, txn->id);
	hfx_fault_step(&ctx->fault, "db-forget");
	rc = hfx_db_step_done(ctx->db, st, "closing the journal", err);
	sqlite3_finalize(st);
	return rc;
}

/* Move a finished rollback's temporary into its store's trash (see
 * store.h); `trash` collects the trash directories used. */
/* Remove the temporary `base` in root-relative `dir`, if it is there. */
static enum hfx_rc remove_temp(struct hfx_ctx *ctx, struct hfx_txn *txn,
			       const char *dir, const char *base,
			       struct hfx_err *err)
{
	char label[4200];
	struct stat sb;
	bool exists;
	enum hfx_rc rc;
	int fd = hfx_txn_dir(ctx, txn, dir, false, err);

	if (fd < 0) {
		hfx_err_clear(err);	/* nothing there to clean */
		return HFX_OK;
	}
	entry_label(ctx, dir, base, label, sizeof(label));
	rc = stat_at(fd, base, &sb, &exists, label, err);
	if (rc != HFX_OK || !exists)
		return rc;
	hfx_fault_step(&ctx->fault, "finish-unlink");
	if (unlinkat(fd, base, 0) < 0)
		return hfx_err_sys(err, HFX_ERR_IO, "removing %s", label);
	mark_dirty(txn, fd);
	return HFX_OK;
}

static enum hfx_rc trash_entry(struct hfx_ctx *ctx, struct hfx_txn *txn,
			       size_t i, char ***trash, size_t *ntrash,
			       struct hfx_err *err)
{
	struct hfx_txn_entry *e = &txn->entries[i];
	size_t stop = store_prefix_len(ctx, e->keep_dir);
	char label[4200], name[64], *rel;
	struct stat sb;
	bool exists, known = false;
	int kfd, tfd;
	enum hfx_rc rc;

	if (!stop)	/* not in a store: no trash to move it to */
		return remove_temp(ctx, txn, e->keep_dir, e->keep_base, err);
	kfd = hfx_txn_dir(ctx, txn, e->keep_dir, false, err);
	if (kfd < 0) {
		hfx_err_clear(err);	/* nothing there to clean */
		return HFX_OK;
	}
	entry_label(ctx, e->keep_dir, e->keep_base, label, sizeof(label));
	rc = stat_at(kfd, e->keep_base, &sb, &exists, label, err);
	if (rc != HFX_OK || !exists)
		return rc;
	rel = malloc(stop + sizeof(HFX_STORE_TRASH));
	if (!rel)
		return hfx_err_set(err, HFX_ERR_NOMEM, "out of memory");
	memcpy(rel, e->keep_dir, stop);
	strcpy(rel + stop, HFX_STORE_TRASH);
	tfd = hfx_txn_dir(ctx, txn, rel, true, err);
	if (tfd < 0) {
		free(rel);
		return err->code;
	}
	snprintf(name, sizeof(name), "%lld-%zu", (long long)txn->id, i);
	hfx_fault_step(&ctx->fault, "finish-trash");
	if (renameat(kfd, e->keep_base, tfd, name) < 0) {
		free(rel);
		return hfx_err_sys(err, HFX_ERR_IO, "removing %s", label);
	}
	mark_dirty(txn, kfd);
	mark_dirty(txn, tfd);
	for (size_t k = 0; k < *ntrash; k++)
		known = known || strcmp((*trash)[k], rel) == 0;
	if (!known) {
		char **grown = realloc(*trash, (*ntrash + 1) * sizeof(*grown));

		if (!grown) {
			free(rel);
			return hfx_err_set(err, HFX_ERR_NOMEM, "out of memory");
		}
		*trash = grown;
		grown[(*ntrash)++] = rel;
	} else {
		free(rel);
	}
	return HFX_OK;
}

enum hfx_rc hfx_txn_finish(struct hfx_ctx *ctx, struct hfx_txn *txn,
			   struct hfx_err *err)
{
	char **trash = NULL;
	size_t ntrash = 0;
	enum hfx_rc rc = HFX_OK;

	for (size_t i = 0; rc == HFX_OK && i < txn->n; i++) {
		struct hfx_txn_entry *e = &txn->entries[i];

		if (e->keep_temp && e->keep_base)
			rc = trash_entry(ctx, txn, i, &trash, &ntrash, err);
		else if (e->in_temp && e->in_base)	/* staged, never used */
			rc = remove_temp(ctx, txn, e->in_dir, e->in_base, err);
	}
	if (rc == HFX_OK)
		rc = sync_dirty(ctx, txn, err);
	if (rc == HFX_OK && txn->kind == HFX_TXN_ROLLBACK)
		prune_store_dirs(ctx, txn);	/* an install keeps its store */
	if (rc == HFX_OK)
		hfx_store_purge(ctx, trash, ntrash);
	for (size_t k = 0; k < ntrash; k++)
		free(trash[k]);
	free(trash);
	return rc;
}

/* ---- the whole second half --------------------------------------------- */

/* A phase begins: narrated with -v, and a progress tick so that a bar on
 * a terminal shows where a long transaction is. */
static void phase(struct hfx_ctx *ctx, struct hfx_txn *txn, const char *name)
{
	hfx_event_msg(&ctx->ev, HFX_EV_PHASE, 1, txn->hotfix, "%s", name);
	hfx_event_progress(&ctx->ev, txn->hotfix, name, txn->n, txn->n, 0, 0);
}

void hfx_txn_abort(struct hfx_ctx *ctx, struct hfx_txn *txn,
		   struct hfx_service_set *set, bool started)
{
	struct hfx_err local;

	if (started)
		hfx_services_stop_started(ctx, set, txn->hotfix);
	hfx_err_clear(&local);
	if (hfx_txn_undo(ctx, txn, &local) != HFX_OK) {
		hfx_event_msg(&ctx->ev, HFX_EV_WARNING, 0, txn->hotfix,
			      "could not put everything back yet (%s); the next hfx command will finish it",
			      local.msg);
		hfx_services_start(ctx, set, txn->hotfix, true, NULL);
		return;
	}
	hfx_services_start(ctx, set, txn->hotfix, true, NULL);
	hfx_err_clear(&local);
	hfx_txn_forget(ctx, txn, &local);
}

enum hfx_rc hfx_txn_execute(struct hfx_ctx *ctx, struct hfx_txn *txn,
			    struct hfx_service_set *set,
			    enum hfx_rc (*record)(struct hfx_ctx *ctx, void *ud,
						  struct hfx_err *err),
			    void *ud, struct hfx_err *err)
{
	struct hfx_err local;
	enum hfx_rc rc;

	/* Keeping the originals does not touch the targets: done before the
	 * services stop, it stays out of the downtime window. */
	phase(ctx, txn, "keeping the originals");
	rc = hfx_txn_keep(ctx, txn, err);
	if (rc != HFX_OK) {
		hfx_txn_abort(ctx, txn, set, false);
		return rc;
	}
	/* Downtime starts here. */
	phase(ctx, txn, "stopping services");
	rc = hfx_txn_mark_stopping(ctx, txn, set, err);
	if (rc == HFX_OK)
		rc = hfx_services_stop(ctx, set, txn->hotfix, err);
	if (rc != HFX_OK) {
		hfx_txn_abort(ctx, txn, set, false);
		return rc;
	}
	phase(ctx, txn, "swapping files");
	rc = hfx_txn_swap(ctx, txn, err);
	if (rc != HFX_OK) {
		hfx_txn_abort(ctx, txn, set, false);
		return rc;
	}
	phase(ctx, txn, "starting services");
	rc = hfx_services_start(ctx, set, txn->hotfix, false, err);
	if (rc != HFX_OK) {
		hfx_err_prefix(err, "every file was put back because a service failed to start on the new ones");
		hfx_txn_abort(ctx, txn, set, true);
		return rc;
	}
	/* The renames need to be durable before the record says they
	 * happened, not before the services run: until the commit, recovery
	 * undoes whichever of them survived a crash.  Syncing the target
	 * directories here keeps their journal commit out of the downtime
	 * window. */
	rc = sync_dirty(ctx, txn, err);
	if (rc != HFX_OK) {
		hfx_txn_abort(ctx, txn, set, true);
		return rc;
	}
	phase(ctx, txn, "recording");
	rc = hfx_txn_commit(ctx, txn, record, ud, err);
	if (rc != HFX_OK) {
		hfx_txn_abort(ctx, txn, set, true);
		return rc;
	}
	/* Committed: a cleanup failure is only left to recovery. */
	hfx_err_clear(&local);
	if (hfx_txn_finish(ctx, txn, &local) != HFX_OK ||
	    hfx_txn_forget(ctx, txn, &local) != HFX_OK)
		hfx_event_msg(&ctx->ev, HFX_EV_WARNING, 0, txn->hotfix,
			      "done, but cleanup is incomplete (%s); the next hfx command finishes it",
			      local.msg);
	return HFX_OK;
}

/* ---- recovery ---------------------------------------------------------- */

enum hfx_rc hfx_txn_pending(sqlite3 *db, int *count, struct hfx_err *err)
{
	sqlite3_stmt *st;
	enum hfx_rc rc;

	*count = 0;
	if (!db)
		return HFX_OK;
	rc = hfx_db_prepare(db, "SELECT count(*) FROM txn", &st, err);
	if (rc != HFX_OK)
		return rc;
	if (sqlite3_step(st) == SQLITE_ROW)
		*count = sqlite3_column_int(st, 0);
	else
		rc = hfx_db_fail(db, err, "reading the journal");
	sqlite3_finalize(st);
	return rc;
}

static enum hfx_rc load_entries(struct hfx_ctx *ctx, struct hfx_txn *txn,
				struct hfx_err *err)
{
	sqlite3_stmt *st;
	enum hfx_rc rc;
	size_t cap = 0;
	int s;

	rc = hfx_db_prepare(ctx->db,
			    "SELECT dir, base, in_dir, in_base, in_temp, in_dev,"
			    " in_ino, keep_dir, keep_base, keep_temp, old_dev,"
			    " old_ino FROM txn_entry WHERE txn_id = ?1 ORDER BY seq",
			    &st, err);
	if (rc != HFX_OK)
		return rc;
	sqlite3_bind_int64(st, 1, txn->id);
	while ((s = sqlite3_step(st)) == SQLITE_ROW) {
		struct hfx_txn_entry *e;

		if (!hfx_grow(&txn->entries, &cap, txn->n,
			      sizeof(*txn->entries))) {
			rc = hfx_err_set(err, HFX_ERR_NOMEM, "out of memory");
			break;
		}
		e = &txn->entries[txn->n++];
		memset(e, 0, sizeof(*e));
		e->dir = hfx_db_column_strdup(st, 0);
		e->base = hfx_db_column_strdup(st, 1);
		e->in_dir = hfx_db_column_strdup(st, 2);
		e->in_base = hfx_db_column_strdup(st, 3);
		e->in_temp = sqlite3_column_int(st, 4) != 0;
		e->in_dev = sqlite3_column_type(st, 5) == SQLITE_NULL ? -1 : sqlite3_column_int64(st, 5);
		e->in_ino = sqlite3_column_type(st, 6) == SQLITE_NULL ? -1 : sqlite3_column_int64(st, 6);
		e->keep_dir = hfx_db_column_strdup(st, 7);
		e->keep_base = hfx_db_column_strdup(st, 8);
		e->keep_temp = sqlite3_column_int(st, 9) != 0;
		e->old_dev = sqlite3_column_type(st, 10) == SQLITE_NULL ? -1 : sqlite3_column_int64(st, 10);
		e->old_ino = sqlite3_column_type(st, 11) == SQLITE_NULL ? -1 : sqlite3_column_int64(st, 11);
		if (!e->dir || !e->base) {
			rc = hfx_err_set(err, HFX_ERR_DB,
					 "journal entry %zu of transaction %lld is damaged",
					 txn->n - 1, (long long)txn->id);
			break;
		}
	}
	if (rc == HFX_OK && s != SQLITE_DONE)
		rc = hfx_db_fail(ctx->db, err, "reading the journal");
	sqlite3_finalize(st);
	return rc;
}

static enum hfx_rc split_services(struct hfx_txn *txn, const char *text,
				  struct hfx_err *err)
{
	const char *p = text;

	while (p && *p) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		char **grown;

		if (len) {
			grown = realloc(txn->services,
					(txn->nservices + 1) * sizeof(*grown));
			if (!grown)
				return hfx_err_set(err, HFX_ERR_NOMEM,
						   "out of memory");
			txn->services = grown;
			if (!(grown[txn->nservices] = strndup(p, len)))
				return hfx_err_set(err, HFX_ERR_NOMEM,
						   "out of memory");
			txn->nservices++;
		}
		p = nl ? nl + 1 : NULL;
	}
	return HFX_OK;
}

/* Recover one transaction; see the top comment for the decision. */
static enum hfx_rc recover_one(struct hfx_ctx *ctx, struct hfx_txn *txn,
			       struct hfx_err *err)
{
	struct hfx_service_set set;
	struct hfx_err svc_err;
	enum hfx_rc rc, svc_rc = HFX_OK;
	bool forward = txn->phase == HFX_PHASE_COMMITTED;
	const char *kind = txn->kind == HFX_TXN_INSTALL ? "install" : "rollback";

	hfx_err_clear(&svc_err);
	memset(&set, 0, sizeof(set));
	if (txn->nservices && !ctx->opt.no_services) {
		svc_rc = hfx_services_prepare(ctx, txn->services,
					      txn->nservices, txn->hotfix,
					      &set, &svc_err);
		/* Every recorded service was running before the transaction
		 * began: that is why it was recorded. */
		for (size_t i = 0; svc_rc == HFX_OK && i < set.n; i++) {
			set.svc[i].stopped = !set.svc[i].was_running;
			set.svc[i].was_running = true;
		}
	}
	if (!forward && txn->phase == HFX_PHASE_SWAPPING && svc_rc == HFX_OK)
		hfx_services_stop_started(ctx, &set, txn->hotfix);
	hfx_event_msg(&ctx->ev, HFX_EV_NOTICE, 0, txn->hotfix,
		      "Recovering an interrupted %s of %s (phase %s): %s",
		      kind, txn->hotfix, hfx_txn_phase_name(txn->phase),
		      forward ? "finishing it" : "undoing it");
	rc = forward ? hfx_txn_finish(ctx, txn, err)
		     : hfx_txn_undo(ctx, txn, err);
	/* Services first, journal last: a crash in between leaves the
	 * journal, and the next recovery starts them again. */
	if (svc_rc == HFX_OK)
		svc_rc = hfx_services_start(ctx, &set, txn->hotfix, true,
					    &svc_err);
	if (rc == HFX_OK)
		rc = hfx_txn_forget(ctx, txn, err);
	hfx_services_free(&set);
	if (rc == HFX_OK && svc_rc != HFX_OK)
		rc = hfx_err_set(err, svc_rc,
				 "recovered the files of %s, but a service could not be restarted: %s",
				 txn->hotfix, svc_err.msg);
	hfx_ctx_log(ctx, "recover", txn->hotfix, rc,
		    hfx_rc_exit_code(rc),
		    rc == HFX_OK ? (forward ? "interrupted transaction finished"
					    : "interrupted transaction undone")
				 : err->msg,
		    -1);
	return rc;
}

enum hfx_rc hfx_txn_recover(struct hfx_ctx *ctx, int *recovered,
			    struct hfx_err *err)
{
	sqlite3_stmt *st;
	enum hfx_rc rc;

	*recovered = 0;
	for (;;) {
		struct hfx_txn *txn = NULL;
		char *kind = NULL, *hotfix = NULL, *phase = NULL, *svcs = NULL;
		int64_t id = -1;
		int s, ph;

		rc = hfx_db_prepare(ctx->db,
				    "SELECT id, kind, hotfix_id, phase, services"
				    " FROM txn ORDER BY id LIMIT 1",
				    &st, err);
		if (rc != HFX_OK)
			return rc;
		s = sqlite3_step(st);
		if (s == SQLITE_ROW) {
			id = sqlite3_column_int64(st, 0);
			kind = hfx_db_column_strdup(st, 1);
			hotfix = hfx_db_column_strdup(st, 2);
			phase = hfx_db_column_strdup(st, 3);
			svcs = hfx_db_column_strdup(st, 4);
		}
		sqlite3_finalize(st);
		if (s == SQLITE_DONE)
			return HFX_OK;
		if (s != SQLITE_ROW)
			return hfx_db_fail(ctx->db, err, "reading the journal");
		ph = phase_from_name(phase);
		if (!kind || !hotfix || ph < 0) {
			rc = hfx_err_set(err, HFX_ERR_DB,
					 "journal of transaction %lld is damaged; refusing to guess",
					 (long long)id);
		} else {
			rc = hfx_txn_new(strcmp(kind, "rollback") == 0
						 ? HFX_TXN_ROLLBACK
						 : HFX_TXN_INSTALL,
					 hotfix, 0, &txn, err);
		}
		if (rc == HFX_OK) {
			txn->id = id;
			txn->phase = (enum hfx_txn_phase)ph;
			rc = split_services(txn, svcs, err);
		}
		if (rc == HFX_OK)
			rc = load_entries(ctx, txn, err);
		if (rc == HFX_OK)
			rc = recover_one(ctx, txn, err);
		free(kind);
		free(hotfix);
		free(phase);
		free(svcs);
		hfx_txn_free(txn);
		if (rc != HFX_OK)
			return rc;
		(*recovered)++;
	}
}
