/*
 * record.c -- reading and writing the rollback record and the history.
 *
 * Rows map one to one onto struct hfx_hotfix_rec / hfx_file_rec; the
 * column lists below are the only place that knows the mapping.  Lookups
 * used on every query (by path, by SHA-256) have indexes (db.c), so a
 * query stays fast with ten thousand hotfixes recorded.
 */
#include "grow.h"
#include "record.h"
#include "db.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#define HOTFIX_COLS \
	"id, title, product, product_dir, state, superseded_by, restart," \
	" services, supersedes, requires, manifest, signer, installed_at," \
	" seq, committed, restart_required, downtime_ms"

#define FILE_COLS \
	"path, target, action, old_version, new_version, old_sha256," \
	" new_sha256, old_size, new_size, old_mode, old_uid, old_gid, mode," \
	" uid, gid, backup, prev_hotfix, dev, ino, mtime_ns, ctime_ns"

static int64_t col_int_or(sqlite3_stmt *st, int col, int64_t dflt)
{
	return sqlite3_column_type(st, col) == SQLITE_NULL
		       ? dflt
		       : sqlite3_column_int64(st, col);
}

static void copy_hex(char dst[HFX_SHA256_HEX], sqlite3_stmt *st, int col)
{
	const unsigned char *s = sqlite3_column_text(st, col);

	dst[0] = '\0';
	if (s && strlen((const char *)s) == HFX_SHA256_HEX - 1)
		memcpy(dst, s, HFX_SHA256_HEX);
}

static struct hfx_hotfix_rec *hotfix_from_row(sqlite3_stmt *st)
{
	struct hfx_hotfix_rec *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	r->id = hfx_db_column_strdup(st, 0);
	r->title = hfx_db_column_strdup(st, 1);
	r->product = hfx_db_column_strdup(st, 2);
	r->product_dir = hfx_db_column_strdup(st, 3);
	r->state = hfx_db_column_strdup(st, 4);
	r->superseded_by = hfx_db_column_strdup(st, 5);
	r->restart = hfx_db_column_strdup(st, 6);
	r->services = hfx_db_column_strdup(st, 7);
	r->supersedes = hfx_db_column_strdup(st, 8);
	r->requires = hfx_db_column_strdup(st, 9);
	r->manifest = hfx_db_column_strdup(st, 10);
	r->signer = hfx_db_column_strdup(st, 11);
	r->installed_at = sqlite3_column_int64(st, 12);
	r->seq = sqlite3_column_int64(st, 13);
	r->committed = sqlite3_column_int(st, 14) != 0;
	r->restart_required = sqlite3_column_int(st, 15) != 0;
	r->downtime_ms = col_int_or(st, 16, -1);
	if (!r->id || !r->state) {
		hfx_record_free(r);
		return NULL;
	}
	return r;
}

/* The stat hfx recorded for a file it wrote (dev, ino, mtime_ns,
 * ctime_ns), from four consecutive columns starting at `col`. */
static void stat_from_row(sqlite3_stmt *st, int col, struct hfx_file_rec *f)
{
	f->dev = col_int_or(st, col, -1);
	f->ino = col_int_or(st, col + 1, -1);
	f->mtime_ns = col_int_or(st, col + 2, -1);
	f->ctime_ns = col_int_or(st, col + 3, -1);
}

static void file_from_row(sqlite3_stmt *st, struct hfx_file_rec *f)
{
	f->path = hfx_db_column_strdup(st, 0);
	f->target = hfx_db_column_strdup(st, 1);
	f->action = hfx_db_column_strdup(st, 2);
	f->old_version = hfx_db_column_strdup(st, 3);
	f->new_version = hfx_db_column_strdup(st, 4);
	copy_hex(f->old_sha256, st, 5);
	copy_hex(f->new_sha256, st, 6);
	f->old_size = col_int_or(st, 7, -1);
	f->new_size = col_int_or(st, 8, -1);
	f->old_mode = col_int_or(st, 9, -1);
	f->old_uid = col_int_or(st, 10, -1);
	f->old_gid = col_int_or(st, 11, -1);
	f->mode = col_int_or(st, 12, -1);
	f->uid = col_int_or(st, 13, -1);
	f->gid = col_int_or(st, 14, -1);
	f->backup = hfx_db_column_strdup(st, 15);
	f->prev_hotfix = hfx_db_column_strdup(st, 16);
	stat_from_row(st, 17, f);
}

static void file_rec_free(struct hfx_file_rec *f)
{
	free(f->path);
	free(f->target);
	free(f->action);
	free(f->old_version);
	free(f->new_version);
	free(f->backup);
	free(f->prev_hotfix);
}

void hfx_record_free(struct hfx_hotfix_rec *r)
{
	if (!r)
		return;
	free(r->id);
	free(r->title);
	free(r->product);
	free(r->product_dir);
	free(r->state);
	free(r->superseded_by);
	free(r->restart);
	free(r->services);
	free(r->supersedes);
	free(r->requires);
	free(r->manifest);
	free(r->signer);
	for (size_t i = 0; i < r->nfiles; i++)
		file_rec_free(&r->files[i]);
	free(r->files);
	free(r);
}

void hfx_record_list_free(struct hfx_hotfix_rec **list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		hfx_record_free(list[i]);
	free(list);
}

enum hfx_rc hfx_record_get(sqlite3 *db, const char *id,
			   struct hfx_hotfix_rec **out, struct hfx_err *err)
{
	sqlite3_stmt *st = NULL;
	struct hfx_hotfix_rec *r = NULL;
	enum hfx_rc rc;
	size_t cap = 0;
	int s;

	*out = NULL;
	rc = hfx_db_prepare(db, "SELECT " HOTFIX_COLS " FROM hotfix WHERE id = ?",
			    &st, err);
	if (rc != HFX_OK)
		return rc;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	s = sqlite3_step(st);
	if (s == SQLITE_DONE) {
		sqlite3_finalize(st);
		return hfx_err_set(err, HFX_ERR_NOT_FOUND,
				   "%s is not installed", id);
	}
	if (s != SQLITE_ROW) {
		rc = hfx_db_fail(db, err, "reading a hotfix");
		sqlite3_finalize(st);
		return rc;
	}
	r = hotfix_from_row(st);
	sqlite3_finalize(st);
	if (!r)
		return hfx_err_set(err, HFX_ERR_NOMEM, "out of memory");

	rc = hfx_db_prepare(db, "SELECT " FILE_COLS " FROM file"
				" WHERE hotfix_id = ? ORDER BY rowid",
			    &st, err);
	if (rc != HFX_OK) {
		hfx_record_free(r);
		return rc;
	}
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	while ((s = sqlite3_step(st)) == SQLITE_ROW) {
		if (!hfx_grow(&r->files, &cap, r->nfiles, sizeof(*r->files))) {
			rc = hfx_err_set(err, HFX_ERR_NOMEM, "out of memory");
			break;
		}
		memset(&r->files[r->nfiles], 0, sizeof(*r->files));
		file_from_row(st, &r->files[r->nfiles++]);
	}
	if (rc == HFX_OK && s != SQLITE_DONE)
		rc = hfx_db_fail(db, err, "reading the files of a hotfix");
	sqlite3_finalize(st);
	if (rc != HFX_OK) {
		hfx_record_free(r);
		return rc;
	}
	*out = r;
	return HFX_OK;
}

enum hfx_rc hfx_record_list(sqlite3 *db, struct hfx_hotfix_rec ***out,
			    size_t *n, struct hfx_err *err)
{
	sqlite3_stmt *st;
	struct hfx_hotfix_rec **list = NULL;
	size_t cap = 0;
	enum hfx_rc rc;
	int s;

	*out = NULL;
	*n = 0;
	rc = hfx_db_prepare(db, "SELECT " HOTFIX_COLS " FROM hotfix ORDER BY seq",
			    &st, err);
	if (rc != HFX_OK)
		return rc;
	while ((s = sqlite3_step(st)) == SQLITE_ROW) {
		struct hfx_hotfix_rec *r;

		if (!hfx_grow(&list, &cap, *n, sizeof(*list))) {
			rc = hfx_err_set(err, HFX_ERR_NOMEM, "out of memory");
			break;
		}
		r = hotfix_from_row(st);
		if (!r) {
			rc = hfx_err_set(err, HFX_ERR_NOMEM, "out of memory");
			break;
		}
		list[(*n)++] = r;
	}
	if (rc == HFX_OK && s != SQLITE_DONE)
		rc = hfx_db_fail(db, err, "listing hotfixes");
	sqlite3_finalize(st);
	if (rc != HFX_OK) {
		hfx_record_list_free(list, *n);
		*n = 0;
		return rc;
	}
	*out = list;
	return HFX_OK;
}

static void bind_text_or_null(sqlite3_stmt *st, int i, const char *s)
{
	if (s && *s)
		sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, i);
}

static void bind_int_or_null(sqlite3_stmt *st, int i, int64_t v)
{
	if (v >= 0)
		sqlite3_bind_int64(st, i, v);
	else
		sqlite3_bind_null(st, i);
}

/* "A, B" -> one relation row each. */
static enum hfx_rc insert_relations(sqlite3 *db, const char *id,
				    const char *kind, const char *list,
				    struct hfx_err *err)
{
	sqlite3_stmt *st;
	enum hfx_rc rc;
	const char *p = list;

	if (!list || !*list)
		return HFX_OK;
	rc = hfx_db_prepare(db,
			    "INSERT OR IGNORE INTO relation (hotfix_id, kind, other_id)"
			    " VALUES (?1, ?2, ?3)",
			    &st, err);
	while (rc == HFX_OK && *p) {
		size_t len;

		while (*p == ' ' || *p == ',')
			p++;
		len = strcspn(p, ", ");
		if (!len)
			break;
		sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, kind, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, p, (int)len, SQLITE_STATIC);
		rc = hfx_db_step_done(db, st, "recording relations", err);
		p += len;
	}
	sqlite3_finalize(st);
	return rc;
}

enum hfx_rc hfx_record_insert(sqlite3 *db, const struct hfx_hotfix_rec *r,
			      struct hfx_err *err)
{
	sqlite3_stmt *st;
	enum hfx_rc rc;

	rc = hfx_db_prepare(db,
			    "INSERT INTO hotfix (" HOTFIX_COLS ") VALUES"
			    " (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12,"
			    "  ?13, (SELECT coalesce(max(seq), 0) + 1 FROM hotfix),"
			    "  ?14, ?15, ?16)",
			    &st, err);
	if (rc != HFX_OK)
		return rc;
	sqlite3_bind_text(st, 1, r->id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, r->title, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, r->product, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, r->product_dir, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, r->state, -1, SQLITE_STATIC);
	bind_text_or_null(st, 6, r->superseded_by);
	sqlite3_bind_text(st, 7, r->restart, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 8, r->services ? r->services : "", -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 9, r->supersedes ? r->supersedes : "", -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 10, r->requires ? r->requires : "", -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 11, r->manifest, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 12, r->signer ? r->signer : "", -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 13, r->installed_at);
	sqlite3_bind_int(st, 14, r->committed);
	sqlite3_bind_int(st, 15, r->restart_required);
	bind_int_or_null(st, 16, r->downtime_ms);
	rc = hfx_db_step_done(db, st, "recording a hotfix", err);
	sqlite3_finalize(st);
	if (rc == HFX_OK)
		rc = insert_relations(db, r->id, "supersedes", r->supersedes, err);
	if (rc == HFX_OK)
		rc = insert_relations(db, r->id, "requires", r->requires, err);
	if (rc != HFX_OK)
		return rc;

	rc = hfx_db_prepare(db,
			    "INSERT INTO file (hotfix_id, " FILE_COLS ") VALUES"
			    " (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12,"
			    "  ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22)",
			    &st, err);
	if (rc != HFX_OK)
		return rc;
	for (size_t i = 0; rc == HFX_OK && i < r->nfiles; i++) {
		const struct hfx_file_rec *f = &r->files[i];

		sqlite3_bind_text(st, 1, r->id, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, f->path, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, f->target, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 4, f->action, -1, SQLITE_STATIC);
		bind_text_or_null(st, 5, f->old_version);
		sqlite3_bind_text(st, 6, f->new_version, -1, SQLITE_STATIC);
		bind_text_or_null(st, 7, f->old_sha256);
		sqlite3_bind_text(st, 8, f->new_sha256, -1, SQLITE_STATIC);
		bind_int_or_null(st, 9, f->old_size);
		sqlite3_bind_int64(st, 10, f->new_size);
		bind_int_or_null(st, 11, f->old_mode);
		bind_int_or_null(st, 12, f->old_uid);
		bind_int_or_null(st, 13, f->old_gid);
		bind_int_or_null(st, 14, f->mode);
		bind_int_or_null(st, 15, f->uid);
		bind_int_or_null(st, 16, f->gid);
		bind_text_or_null(st, 17, f->backup);
		bind_text_or_null(st, 18, f->prev_hotfix);
		bind_int_or_null(st, 19, f->dev);
		bind_int_or_null(st, 20, f->ino);
		bind_int_or_null(st, 21, f->mtime_ns);
		bind_int_or_null(st, 22, f->ctime_ns);
		rc = hfx_db_step_done(db, st, "recording a file", err);
		sqlite3_clear_bindings(st);
	}
	sqlite3_finalize(st);
	return rc;
}

static enum hfx_rc exec_bound(sqlite3 *db, const char *sql, const char *a,
			      const char *b, const char *doing,
			      struct hfx_err *err)
{
	sqlite3_stmt *st;
	enum hfx_rc rc = hfx_db_prepare(db, sql, &st, err);

	if (rc != HFX_OK)
		return rc;
	sqlite3_bind_text(st, 1, a, -1, SQLITE_STATIC);
	if (b)
		sqlite3_bind_text(st, 2, b, -1, SQLITE_STATIC);
	rc = hfx_db_step_done(db, st, doing, err);
	sqlite3_finalize(st);
	return rc;
}

enum hfx_rc hfx_record_delete(sqlite3 *db, const char *id,
			      struct hfx_err *err)
{
	enum hfx_rc rc;

	rc = exec_bound(db, "DELETE FROM file WHERE hotfix_id = ?1", id, NULL,
			"deleting the files of a hotfix", err);
	if (rc == HFX_OK)
		rc = exec_bound(db, "DELETE FROM relation WHERE hotfix_id = ?1",
				id, NULL, "deleting relations", err);
	if (rc == HFX_OK)
		rc = exec_bound(db, "DELETE FROM hotfix WHERE id = ?1", id,
				NULL, "deleting a hotfix", err);
	if (rc == HFX_OK)
		rc = exec_bound(db,
				"UPDATE hotfix SET state = 'installed',"
				" superseded_by = NULL WHERE superseded_by = ?1",
				id, NULL, "restoring superseded hotfixes", err);
	return rc;
}

enum hfx_rc hfx_record_supersede(sqlite3 *db, const char *old_id,
				 const char *new_id, struct hfx_err *err)
{
	return exec_bound(db,
			  "UPDATE hotfix SET state = 'superseded',"
			  " superseded_by = ?2 WHERE id = ?1",
			  old_id, new_id, "marking a hotfix superseded", err);
}

enum hfx_rc hfx_record_last_writer(sqlite3 *db, const char *path,
				   char **owner, struct hfx_file_rec *f,
				   struct hfx_err *err)
{
	sqlite3_stmt *st;
	enum hfx_rc rc;
	int s;

	*owner = NULL;
	memset(f, 0, sizeof(*f));
	f->new_size = f->dev = f->ino = f->mtime_ns = f->ctime_ns = -1;
	rc = hfx_db_prepare(db,
			    "SELECT f.hotfix_id, f.new_sha256, f.new_size, f.dev,"
			    " f.ino, f.mtime_ns, f.ctime_ns FROM file f"
			    " JOIN hotfix h ON h.id = f.hotfix_id"
			    " WHERE f.path = ?1 AND f.action IN ('replace','new')"
			    " ORDER BY h.seq DESC LIMIT 1",
			    &st, err);
	if (rc != HFX_OK)
		return rc;
	sqlite3_bind_text(st, 1, path, -1, SQLITE_STATIC);
	s = sqlite3_step(st);
	if (s == SQLITE_ROW) {
		*owner = hfx_db_column_strdup(st, 0);
		copy_hex(f->new_sha256, st, 1);
		f->new_size = col_int_or(st, 2, -1);
		stat_from_row(st, 3, f);
		if (!*owner)
			rc = hfx_err_set(err, HFX_ERR_NOMEM, "out of memory");
	} else if (s != SQLITE_DONE) {
		rc = hfx_db_fail(db, err, "looking up a file");
	}
	sqlite3_finalize(st);
	return rc;
}

bool hfx_record_stat_matches(const struct hfx_file_rec *f,
			     const struct stat *st)
{
	return f->ino >= 0 && (int64_t)st->st_ino == f->ino &&
	       (int64_t)st->st_dev == f->dev &&
	       (int64_t)st->st_size == f->new_size &&
	       (int64_t)st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec ==
		       f->mtime_ns &&
	       (int64_t)st->st_ctim.tv_sec * 1000000000 + st->st_ctim.tv_nsec ==
		       f->ctime_ns;
}

enum hfx_rc hfx_record_size_known(sqlite3 *db, int64_t size, bool *known,
				  struct hfx_err *err)
{
	sqlite3_stmt *st;
	enum hfx_rc rc;
	int s;

	*known = false;
	rc = hfx_db_prepare(db, "SELECT 1 FROM file WHERE new_size = ?1 LIMIT 1",
			    &st, err);
	if (rc != HFX_OK)
		return rc;
	sqlite3_bind_int64(st, 1, size);
	s = sqlite3_step(st);
	if (s == SQLITE_ROW)
		*known = true;
	else if (s != SQLITE_DONE)
		rc = hfx_db_fail(db, err, "looking up file sizes");
	sqlite3_finalize(st);
	return rc;
}

enum hfx_rc hfx_record_version_of(sqlite3 *db, const char *sha256_hex,
				  char **version, struct hfx_err *err)
{
	return hfx_db_query_text(db,
				 "SELECT new_version FROM file WHERE new_sha256 = ?1"
				 " LIMIT 1",
				 sha256_hex, version,
				 "looking up a file version", err);
}

enum hfx_rc hfx_record_requirement_met(sqlite3 *db, const char *id,
				       bool *met, struct hfx_err *err)
{
	char *found = NULL;
	enum hfx_rc rc;

	rc = hfx_db_query_text(db,
			       "SELECT id FROM hotfix WHERE id = ?1"
			       " UNION ALL"
			       " SELECT h.id FROM relation r JOIN hotfix h"
			       " ON h.id = r.hotfix_id"
			       " WHERE r.other_id = ?1 AND r.kind = 'supersedes'"
			       " LIMIT 1",
			       id, &found, "looking up a prerequisite", err);
	*met = rc == HFX_OK && found;
	free(found);
	return rc;
}

enum hfx_rc hfx_record_superseding(sqlite3 *db, const char *id, char **out,
				   struct hfx_err *err)
{
	return hfx_db_query_text(db,
				 "SELECT h.id FROM relation r JOIN hotfix h"
				 " ON h.id = r.hotfix_id"
				 " WHERE r.other_id = ?1 AND r.kind = 'supersedes'"
				 " ORDER BY h.seq DESC LIMIT 1",
				 id, out, "looking up supersedence", err);
}

enum hfx_rc hfx_record_dependents(sqlite3 *db, const char *id, char **out,
				  struct hfx_err *err)
{
	return hfx_db_query_text(db,
				 "SELECT group_concat(hotfix_id, ', ') FROM relation"
				 " WHERE other_id = ?1 AND kind = 'requires'",
				 id, out, "looking up dependent hotfixes",
				 err);
}

enum hfx_rc hfx_record_mark_committed(sqlite3 *db, const char *id,
				      struct hfx_err *err)
{
	enum hfx_rc rc;

	rc = exec_bound(db, "UPDATE hotfix SET committed = 1 WHERE id = ?1",
			id, NULL, "committing a hotfix", err);
	if (rc == HFX_OK)
		rc = exec_bound(db,
				"UPDATE file SET backup = NULL WHERE hotfix_id = ?1",
				id, NULL, "forgetting backups", err);
	return rc;
}

enum hfx_rc hfx_record_event(sqlite3 *db, const char *command,
			     const char *hotfix, const char *result,
			     int exit_code, const char *message,
			     int64_t downtime_ms, struct hfx_err *err)
{
	sqlite3_stmt *st;
	enum hfx_rc rc;

	rc = hfx_db_prepare(db,
			    "INSERT INTO event (time, command, hotfix_id, result,"
			    " exit_code, message, downtime_ms)"
			    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
			    &st, err);
	if (rc != HFX_OK)
		return rc;
	sqlite3_bind_int64(st, 1, (int64_t)time(NULL));
	sqlite3_bind_text(st, 2, command, -1, SQLITE_STATIC);
	bind_text_or_null(st, 3, hotfix);
	sqlite3_bind_text(st, 4, result, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 5, exit_code);
	sqlite3_bind_text(st, 6, message ? message : "", -1, SQLITE_STATIC);
	bind_int_or_null(st, 7, downtime_ms);
	rc = hfx_db_step_done(db, st, "recording an event", err);
	sqlite3_finalize(st);
	return rc;
}

enum hfx_rc hfx_record_history(sqlite3 *db, const char *hotfix,
			       struct hfx_event_rec **out, size_t *n,
			       struct hfx_err *err)
{
	sqlite3_stmt *st;
	struct hfx_event_rec *list = NULL;
	size_t cap = 0;
	enum hfx_rc rc;
	int s;

	*out = NULL;
	*n = 0;
	rc = hfx_db_prepare(db,
			    "SELECT id, time, command, hotfix_id, result, exit_code,"
			    " message, downtime_ms FROM event"
			    " WHERE ?1 IS NULL OR hotfix_id = ?1 ORDER BY id",
			    &st, err);
	if (rc != HFX_OK)
		return rc;
	bind_text_or_null(st, 1, hotfix);
	while ((s = sqlite3_step(st)) == SQLITE_ROW) {
		struct hfx_event_rec *e;

		if (!hfx_grow(&list, &cap, *n, sizeof(*list))) {
			rc = hfx_err_set(err, HFX_ERR_NOMEM, "out of memory");
			break;
		}
		e = &list[(*n)++];
		e->id = sqlite3_column_int64(st, 0);
		e->time = sqlite3_column_int64(st, 1);
		e->command = hfx_db_column_strdup(st, 2);
		e->hotfix = hfx_db_column_strdup(st, 3);
		e->result = hfx_db_column_strdup(st, 4);
		e->exit_code = sqlite3_column_int(st, 5);
		e->message = hfx_db_column_strdup(st, 6);
		e->downtime_ms = col_int_or(st, 7, -1);
	}
	if (rc == HFX_OK && s != SQLITE_DONE)
		rc = hfx_db_fail(db, err, "reading the history");
	sqlite3_finalize(st);
	if (rc != HFX_OK) {
		hfx_record_history_free(list, *n);
		*n = 0;
		return rc;
	}
	*out = list;
	return HFX_OK;
}

void hfx_record_history_free(struct hfx_event_rec *ev, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(ev[i].command);
		free(ev[i].hotfix);
		free(ev[i].result);
		free(ev[i].message);
	}
	free(ev);
}
