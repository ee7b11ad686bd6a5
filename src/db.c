/*
 * db.c -- open, create, upgrade and guard the hfx database.
 *
 * Schema (version 1):
 *
 *   hotfix      one row per installed (or superseded) hotfix: its manifest
 *               text as signed, signer, state, install order (seq);
 *   relation    the supersedes / requires lists of each hotfix, indexed
 *               by the hotfix named, so "what supersedes X" is a lookup;
 *   file        one row per [file] of an installed hotfix: what was done
 *               (replace / new / keep), old and new version, SHA-256,
 *               size, mode and owner, where the original bytes are kept
 *               (backup, root-relative), which hotfix had written the bytes
 *               it replaced (prev_hotfix), and the stat of the installed
 *               file for the fast path of `verify`;
 *   txn,        the journal of the transaction in progress, if any: its
 *   txn_entry   plan (one entry per file swap) and phase; see txn.c;
 *   event       the history: one row per command that changed something
 *               or failed.
 *
 * Every path stored is root-relative, so a database stays valid for an
 * offline image mounted somewhere else.
 */
#include "db.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct upgrade {
	int to_version;
	const char *sql;
};

/* Step N brings a database from version N-1 to N.  Never edit a step
 * that has shipped; add the next one. */
static const struct upgrade upgrades[] = {
	{ 1,
	  "CREATE TABLE hotfix ("
	  "  id TEXT PRIMARY KEY,"
	  "  title TEXT NOT NULL,"
	  "  product TEXT NOT NULL,"
	  "  product_dir TEXT NOT NULL,"	/* root-relative, as resolved */
	  "  state TEXT NOT NULL CHECK (state IN ('installed','superseded')),"
	  "  superseded_by TEXT,"
	  "  restart TEXT NOT NULL,"
	  "  services TEXT NOT NULL,"
	  "  supersedes TEXT NOT NULL,"
	  "  requires TEXT NOT NULL,"
	  "  manifest TEXT NOT NULL,"
	  "  signer TEXT NOT NULL,"
	  "  installed_at INTEGER NOT NULL,"
	  "  seq INTEGER NOT NULL UNIQUE,"
	  "  committed INTEGER NOT NULL DEFAULT 0,"
	  "  restart_required INTEGER NOT NULL DEFAULT 0,"
	  "  downtime_ms INTEGER"
	  ");"
	  "CREATE TABLE file ("
	  "  hotfix_id TEXT NOT NULL REFERENCES hotfix(id) ON DELETE CASCADE,"
	  "  path TEXT NOT NULL,"		/* root-relative target */
	  "  target TEXT NOT NULL,"		/* as in the manifest */
	  "  action TEXT NOT NULL CHECK (action IN ('replace','new','keep')),"
	  "  old_version TEXT,"
	  "  new_version TEXT NOT NULL,"
	  "  old_sha256 TEXT,"
	  "  new_sha256 TEXT NOT NULL,"
	  "  old_size INTEGER,"
	  "  new_size INTEGER NOT NULL,"
	  "  old_mode INTEGER, old_uid INTEGER, old_gid INTEGER,"
	  "  mode INTEGER, uid INTEGER, gid INTEGER,"
	  "  backup TEXT,"			/* root-relative, NULL if none */
	  "  prev_hotfix TEXT,"
	  "  dev INTEGER, ino INTEGER, mtime_ns INTEGER, ctime_ns INTEGER,"
	  "  PRIMARY KEY (hotfix_id, path)"
	  ");"
	  "CREATE INDEX file_by_path ON file(path);"
	  "CREATE INDEX file_by_sha ON file(new_sha256);"
	  "CREATE INDEX file_by_size ON file(new_size);"
	  "CREATE INDEX file_by_prev ON file(prev_hotfix);"
	  "CREATE TABLE relation ("	/* supersedes / requires, indexed */
	  "  hotfix_id TEXT NOT NULL REFERENCES hotfix(id) ON DELETE CASCADE,"
	  "  kind TEXT NOT NULL CHECK (kind IN ('supersedes','requires')),"
	  "  other_id TEXT NOT NULL,"
	  "  PRIMARY KEY (hotfix_id, kind, other_id)"
	  ");"
	  "CREATE INDEX relation_by_other ON relation(other_id, kind);"
	  "CREATE TABLE txn ("
	  "  id INTEGER PRIMARY KEY,"
	  "  kind TEXT NOT NULL CHECK (kind IN ('install','rollback')),"
	  "  hotfix_id TEXT NOT NULL,"
	  "  phase TEXT NOT NULL,"
	  "  pid INTEGER NOT NULL,"
	  "  started_at INTEGER NOT NULL,"
	  "  services TEXT NOT NULL DEFAULT ''"	/* stopped, to restart */
	  ");"
	  "CREATE TABLE txn_entry ("
	  "  txn_id INTEGER NOT NULL REFERENCES txn(id) ON DELETE CASCADE,"
	  "  seq INTEGER NOT NULL,"
	  "  dir TEXT NOT NULL, base TEXT NOT NULL,"
	  "  in_dir TEXT, in_base TEXT, in_temp INTEGER NOT NULL,"
	  "  in_dev INTEGER, in_ino INTEGER,"
	  "  keep_dir TEXT, keep_base TEXT, keep_temp INTEGER NOT NULL,"
	  "  old_dev INTEGER, old_ino INTEGER,"
	  "  PRIMARY KEY (txn_id, seq)"
	  ");"
	  "CREATE TABLE event ("
	  "  id INTEGER PRIMARY KEY,"
	  "  time INTEGER NOT NULL,"
	  "  command TEXT NOT NULL,"
	  "  hotfix_id TEXT,"
	  "  result TEXT NOT NULL,"
	  "  exit_code INTEGER NOT NULL,"
	  "  message TEXT NOT NULL,"
	  "  downtime_ms INTEGER"
	  ");" },
};

#define NUPGRADES ((int)(sizeof(upgrades) / sizeof(upgrades[0])))

enum hfx_rc hfx_db_fail(sqlite3 *db, struct hfx_err *err, const char *doing)
{
	const char *file = db ? sqlite3_db_filename(db, "main") : NULL;
	int code = db ? sqlite3_errcode(db) : SQLITE_ERROR;

	if (code == SQLITE_BUSY || code == SQLITE_LOCKED)
		return hfx_err_set(err, HFX_ERR_BUSY,
				   "database %s is locked by another process (%s)",
				   file ? file : "?", doing);
	if (code == SQLITE_CORRUPT || code == SQLITE_NOTADB)
		return hfx_err_set(err, HFX_ERR_DB,
				   "database %s is damaged (%s: %s); it was left untouched",
				   file ? file : "?", doing, sqlite3_errmsg(db));
	return hfx_err_set(err, HFX_ERR_DB, "database %s: %s: %s",
			   file ? file : "?", doing,
			   db ? sqlite3_errmsg(db) : "cannot allocate");
}

enum hfx_rc hfx_db_exec(sqlite3 *db, const char *sql, struct hfx_err *err)
{
	if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
		return hfx_db_fail(db, err, "executing SQL");
	return HFX_OK;
}

enum hfx_rc hfx_db_prepare(sqlite3 *db, const char *sql, sqlite3_stmt **st,
			   struct hfx_err *err)
{
	if (sqlite3_prepare_v2(db, sql, -1, st, NULL) != SQLITE_OK)
		return hfx_db_fail(db, err, "preparing a query");
	return HFX_OK;
}

enum hfx_rc hfx_db_step_done(sqlite3 *db, sqlite3_stmt *st, const char *doing,
			     struct hfx_err *err)
{
	int r = sqlite3_step(st);

	sqlite3_reset(st);
	if (r != SQLITE_DONE)
		return hfx_db_fail(db, err, doing);
	return HFX_OK;
}

enum hfx_rc hfx_db_query_text(sqlite3 *db, const char *sql, const char *a,
			      char **out, const char *doing,
			      struct hfx_err *err)
{
	sqlite3_stmt *st;
	enum hfx_rc rc;
	int s;

	*out = NULL;
	rc = hfx_db_prepare(db, sql, &st, err);
	if (rc != HFX_OK)
		return rc;
	sqlite3_bind_text(st, 1, a, -1, SQLITE_STATIC);
	s = sqlite3_step(st);
	if (s == SQLITE_ROW) {
		if (sqlite3_column_type(st, 0) != SQLITE_NULL &&
		    !(*out = hfx_db_column_strdup(st, 0)))
			rc = hfx_err_set(err, HFX_ERR_NOMEM, "out of memory");
	} else if (s != SQLITE_DONE) {
		rc = hfx_db_fail(db, err, doing);
	}
	sqlite3_finalize(st);
	return rc;
}

char *hfx_db_column_strdup(sqlite3_stmt *st, int col)
{
	const unsigned char *s = sqlite3_column_text(st, col);

	return s ? strdup((const char *)s) : NULL;
}

enum hfx_rc hfx_db_begin(sqlite3 *db, struct hfx_err *err)
{
	return hfx_db_exec(db, "BEGIN IMMEDIATE", err);
}

enum hfx_rc hfx_db_begin_read(sqlite3 *db, struct hfx_err *err)
{
	return hfx_db_exec(db, "BEGIN DEFERRED", err);
}

enum hfx_rc hfx_db_commit(sqlite3 *db, struct hfx_err *err)
{
	if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		enum hfx_rc rc = hfx_db_fail(db, err, "committing");
		hfx_db_rollback(db);
		return rc;
	}
	return HFX_OK;
}

void hfx_db_rollback(sqlite3 *db)
{
	if (!sqlite3_get_autocommit(db))
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
}

/* Refuse anything that is not an SQLite 3 file before SQLite opens it. */
static enum hfx_rc check_header(const char *path, const char *label,
				bool *exists, struct hfx_err *err)
{
	static const char magic[16] = "SQLite format 3";
	char head[100];
	struct stat st;
	ssize_t n;
	int fd;

	*exists = false;
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			return HFX_OK;
		if (errno == ELOOP)
			return hfx_err_set(err, HFX_ERR_DB,
					   "database %s is a symbolic link; refusing to follow it",
					   label);
		return hfx_err_sys(err, HFX_ERR_DB, "database %s", label);
	}
	*exists = true;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return hfx_err_set(err, HFX_ERR_DB,
				   "database %s is not a regular file; refusing to touch it",
				   label);
	}
	n = pread(fd, head, sizeof(head), 0);
	close(fd);
	if (n < (ssize_t)sizeof(magic) || memcmp(head, magic, sizeof(magic)) != 0)
		return hfx_err_set(err, HFX_ERR_DB,
				   "database %s is not an SQLite database; refusing to touch it",
				   label);
	if (n < (ssize_t)sizeof(head))
		return hfx_err_set(err, HFX_ERR_DB,
				   "database %s is truncated (%lld bytes, not even a whole SQLite header); refusing to touch it",
				   label, (long long)st.st_size);
	/* The page size is in bytes 16-17; the file must hold whole pages. */
	{
		unsigned ps = ((unsigned char)head[16] << 8) |
			      (unsigned char)head[17];
		if (ps == 1)
			ps = 65536;
		if (ps < 512 || (ps & (ps - 1)) ||
		    (uint64_t)st.st_size % ps != 0)
			return hfx_err_set(err, HFX_ERR_DB,
					   "database %s is truncated or damaged (size %lld is not a whole number of %u-byte pages); refusing to touch it",
					   label, (long long)st.st_size, ps);
	}
	return HFX_OK;
}

static enum hfx_rc read_user_version(sqlite3 *db, int *version,
				     struct hfx_err *err)
{
	sqlite3_stmt *st;
	enum hfx_rc rc = hfx_db_prepare(db, "PRAGMA user_version", &st, err);

	if (rc != HFX_OK)
		return rc;
	if (sqlite3_step(st) != SQLITE_ROW) {
		rc = hfx_db_fail(db, err, "reading the schema version");
		sqlite3_finalize(st);
		return rc;
	}
	*version = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return HFX_OK;
}

static enum hfx_rc upgrade(sqlite3 *db, int from, const char *label,
			   struct hfx_err *err)
{
	char sql[64];
	enum hfx_rc rc;

	rc = hfx_db_begin(db, err);
	for (int v = from; rc == HFX_OK && v < HFX_DB_SCHEMA_VERSION; v++) {
		rc = hfx_db_exec(db, upgrades[v].sql, err);
		if (rc != HFX_OK)
			hfx_err_prefix(err, "upgrading %s to schema %d", label,
				       upgrades[v].to_version);
	}
	if (rc == HFX_OK) {
		snprintf(sql, sizeof(sql), "PRAGMA user_version = %d",
			 HFX_DB_SCHEMA_VERSION);
		rc = hfx_db_exec(db, sql, err);
	}
	if (rc == HFX_OK)
		return hfx_db_commit(db, err);
	hfx_db_rollback(db);
	return rc;
}

enum hfx_rc hfx_db_open(const char *path, const char *label, bool create,
			sqlite3 **out, struct hfx_err *err)
{
	sqlite3 *db = NULL;
	bool exists;
	int version = 0, flags;
	enum hfx_rc rc;

	*out = NULL;
	rc = check_header(path, label, &exists, err);
	if (rc != HFX_OK)
		return rc;
	if (!exists && !create)
		return hfx_err_set(err, HFX_ERR_NOT_FOUND,
				   "no database at %s", label);
	flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX |
		(exists ? 0 : SQLITE_OPEN_CREATE);
	if (sqlite3_open_v2(path, &db, flags, NULL) != SQLITE_OK) {
		rc = hfx_db_fail(db, err, "opening");
		sqlite3_close(db);
		return rc;
	}
	sqlite3_extended_result_codes(db, 0);
	sqlite3_busy_timeout(db, 10000);
	rc = read_user_version(db, &version, err);
	if (rc == HFX_OK && version > HFX_DB_SCHEMA_VERSION)
		rc = hfx_err_set(err, HFX_ERR_DB,
				 "database %s has schema version %d, newer than this hfx knows (%d); use a newer hfx, the database was left untouched",
				 label, version, HFX_DB_SCHEMA_VERSION);
	if (rc == HFX_OK && version == 0 && exists) {
		/* An SQLite file we did not create: refuse unless empty. */
		sqlite3_stmt *st;

		rc = hfx_db_prepare(db, "SELECT count(*) FROM sqlite_master",
				    &st, err);
		if (rc == HFX_OK && sqlite3_step(st) == SQLITE_ROW &&
		    sqlite3_column_int(st, 0) > 0)
			rc = hfx_err_set(err, HFX_ERR_DB,
					 "database %s holds tables but no hfx schema version; refusing to touch it",
					 label);
		sqlite3_finalize(st);
	}
	if (rc == HFX_OK && (!exists || version < HFX_DB_SCHEMA_VERSION)) {
		if (!create)
			rc = hfx_err_set(err, HFX_ERR_DB,
					 "database %s has schema version %d; a command that changes the machine will upgrade it",
					 label, version);
		else if (!exists)
			rc = hfx_db_exec(db, "PRAGMA journal_mode=WAL", err);
		if (rc == HFX_OK && create)
			rc = upgrade(db, version, label, err);
	}
	if (rc == HFX_OK)
		rc = hfx_db_exec(db,
				 "PRAGMA synchronous=FULL;"
				 "PRAGMA foreign_keys=ON;",
				 err);
	if (rc != HFX_OK) {
		sqlite3_close(db);
		return rc;
	}
	*out = db;
	return HFX_OK;
}

void hfx_db_close(sqlite3 *db)
{
	if (db)
		sqlite3_close(db);
}
