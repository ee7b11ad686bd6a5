/*
 * db.h -- the SQLite database under the root (var/lib/hfx/hfx.db).
 *
 * One file holds everything hfx knows: the installed hotfixes and every
 * file each one replaced (the rollback record), the transaction journal and
 * the event history.  The schema is versioned with PRAGMA user_version and
 * brought forward by an upgrade table, one step per version; a database
 * whose version is newer than this hfx knows is refused and never written
 * (a newer hfx may have changed meanings we would corrupt).
 *
 * Safety rules for opening:
 *   - a file that does not start with the SQLite header is refused before
 *     SQLite sees it (SQLite would otherwise happily treat an empty file as
 *     a new database, or try to roll back a "hot journal" next to it);
 *   - only commands that change the machine create the database; a query
 *     on a machine without one answers from the files and writes nothing;
 *   - WAL journal with synchronous=FULL: a committed transaction survives
 *     power loss, which the crash-safety protocol of txn.c relies on.
 */
#ifndef HFX_DB_H
#define HFX_DB_H

#include <stdbool.h>
#include <stdint.h>
#include <sqlite3.h>

#include "error.h"

#define HFX_DB_SCHEMA_VERSION 1

/* Open `path` (label: how messages name it).  With `create`, a missing
 * database is created with the current schema and an older one upgraded;
 * without, a missing database gives HFX_ERR_NOT_FOUND and an older schema
 * is read as is if compatible.  */
enum hfx_rc hfx_db_open(const char *path, const char *label, bool create,
			sqlite3 **out, struct hfx_err *err);
void hfx_db_close(sqlite3 *db);

/* Transactions.  begin is BEGIN IMMEDIATE: the writer lock is taken at
 * once, so two hfx processes can never interleave writes. */
enum hfx_rc hfx_db_begin(sqlite3 *db, struct hfx_err *err);
enum hfx_rc hfx_db_commit(sqlite3 *db, struct hfx_err *err);

/* A read transaction: many lookups under one snapshot and one lock
 * (standalone statements take and drop the lock each time).  End it
 * with hfx_db_rollback() (nothing to commit). */
enum hfx_rc hfx_db_begin_read(sqlite3 *db, struct hfx_err *err);
void hfx_db_rollback(sqlite3 *db);

/* Run SQL without results. */
enum hfx_rc hfx_db_exec(sqlite3 *db, const char *sql, struct hfx_err *err);

/* Prepare a statement, with the error naming the database. */
enum hfx_rc hfx_db_prepare(sqlite3 *db, const char *sql, sqlite3_stmt **st,
			   struct hfx_err *err);

/* Turn a failed sqlite3 call into an hfx error naming the database. */
enum hfx_rc hfx_db_fail(sqlite3 *db, struct hfx_err *err, const char *doing);

/* Step a statement that returns no row (INSERT/UPDATE/DELETE), reset it. */
enum hfx_rc hfx_db_step_done(sqlite3 *db, sqlite3_stmt *st, const char *doing,
			     struct hfx_err *err);

/* Run `sql` with the text parameter ?1 = a and give the first column of
 * its first row as a malloc'd string; *out is NULL when there is no row
 * (or the value is NULL). */
enum hfx_rc hfx_db_query_text(sqlite3 *db, const char *sql, const char *a,
			      char **out, const char *doing,
			      struct hfx_err *err);

/* Column as a malloc'd string (NULL for SQL NULL). */
char *hfx_db_column_strdup(sqlite3_stmt *st, int col);

#endif
