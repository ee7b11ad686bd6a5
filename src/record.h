/*
 * record.h -- the rollback record: installed hotfixes, their files, and
 * the event history, as rows of the database (see db.c for the schema).
 *
 * The record is what makes a rollback exact and a query honest, so it is
 * only ever written inside the SQL transaction that also commits the file
 * swap's journal phase (txn.c); nothing here commits on its own except
 * hfx_record_event().
 */
#ifndef HFX_RECORD_H
#define HFX_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sqlite3.h>
#include <sys/stat.h>

#include "error.h"
#include "fsutil.h"

struct hfx_file_rec {
	char *path;		/* root-relative */
	char *target;		/* manifest target */
	char *action;		/* replace, new, keep */
	char *old_version, *new_version;
	char old_sha256[HFX_SHA256_HEX], new_sha256[HFX_SHA256_HEX];
	int64_t old_size, new_size;
	int64_t old_mode, old_uid, old_gid;	/* -1 if none */
	int64_t mode, uid, gid;
	char *backup;		/* root-relative, or NULL */
	char *prev_hotfix;	/* hotfix whose bytes were replaced, or NULL */
	int64_t dev, ino, mtime_ns, ctime_ns;
};

struct hfx_hotfix_rec {
	char *id, *title, *product, *product_dir, *state, *superseded_by;
	char *restart, *services, *supersedes, *requires, *manifest, *signer;
	int64_t installed_at, seq, downtime_ms;
	bool committed, restart_required;
	struct hfx_file_rec *files;
	size_t nfiles;
};

/* One hotfix with its files; HFX_ERR_NOT_FOUND if there is no record. */
enum hfx_rc hfx_record_get(sqlite3 *db, const char *id,
			   struct hfx_hotfix_rec **out, struct hfx_err *err);

/* Every hotfix (files not loaded), in install order. */
enum hfx_rc hfx_record_list(sqlite3 *db, struct hfx_hotfix_rec ***out,
			    size_t *n, struct hfx_err *err);

void hfx_record_free(struct hfx_hotfix_rec *rec);
void hfx_record_list_free(struct hfx_hotfix_rec **list, size_t n);

/* Insert a hotfix and its files (inside the caller's transaction). */
enum hfx_rc hfx_record_insert(sqlite3 *db, const struct hfx_hotfix_rec *rec,
			      struct hfx_err *err);

/* Delete a hotfix and its files; hotfixes it superseded become installed
 * again (inside the caller's transaction). */
enum hfx_rc hfx_record_delete(sqlite3 *db, const char *id,
			      struct hfx_err *err);

/* Mark `old_id` superseded by `new_id`. */
enum hfx_rc hfx_record_supersede(sqlite3 *db, const char *old_id,
				 const char *new_id, struct hfx_err *err);

/* The hotfix that last wrote `path` (replace or new, newest first); *owner
 * NULL if none.  `f` receives what was written: new_sha256, new_size and
 * the stat of the installed file (dev, ino, mtime_ns, ctime_ns). */
enum hfx_rc hfx_record_last_writer(sqlite3 *db, const char *path,
				   char **owner, struct hfx_file_rec *f,
				   struct hfx_err *err);

/* The file is, by its stat, still the one recorded in `f` (same inode,
 * size, mtime and ctime: any write changes ctime), so its bytes are the
 * recorded ones without reading them. */
bool hfx_record_stat_matches(const struct hfx_file_rec *f,
			     const struct stat *st);

/* Does any recorded file have this size?  (Cheap pre-test before hashing
 * a file only to look up a recorded version.) */
enum hfx_rc hfx_record_size_known(sqlite3 *db, int64_t size, bool *known,
				  struct hfx_err *err);

/* The version hfx recorded when it installed exactly these bytes, or NULL. */
enum hfx_rc hfx_record_version_of(sqlite3 *db, const char *sha256_hex,
				  char **version, struct hfx_err *err);

/* Is a prerequisite met: `id` recorded (in any state), or superseded by
 * a recorded hotfix?  One indexed query; no file rows are loaded. */
enum hfx_rc hfx_record_requirement_met(sqlite3 *db, const char *id,
				       bool *met, struct hfx_err *err);

/* The newest recorded hotfix whose manifest supersedes `id`, or NULL. */
enum hfx_rc hfx_record_superseding(sqlite3 *db, const char *id, char **out,
				   struct hfx_err *err);

/* Recorded hotfixes whose manifest requires `id` (comma list, malloc'd,
 * or NULL when none). */
enum hfx_rc hfx_record_dependents(sqlite3 *db, const char *id, char **out,
				  struct hfx_err *err);


/* Forget the backups of `id` (after `hfx commit` removed them). */
enum hfx_rc hfx_record_mark_committed(sqlite3 *db, const char *id,
				      struct hfx_err *err);


/* Append to the event history (its own small transaction). */
enum hfx_rc hfx_record_event(sqlite3 *db, const char *command,
			     const char *hotfix, const char *result,
			     int exit_code, const char *message,
			     int64_t downtime_ms, struct hfx_err *err);

struct hfx_event_rec {
	int64_t id, time, downtime_ms;
	char *command, *hotfix, *result, *message;
	int exit_code;
};
enum hfx_rc hfx_record_history(sqlite3 *db, const char *hotfix,
			       struct hfx_event_rec **out, size_t *n,
			       struct hfx_err *err);
void hfx_record_history_free(struct hfx_event_rec *ev, size_t n);

#endif
