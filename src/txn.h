/*
 * txn.h -- the file swap of an install or a rollback, journaled so that a
 * crash at any instant is finished or undone by the next hfx command.
 *
 * A transaction is a list of entries, one per file to change.  Each entry
 * names three places, all on one filesystem:
 *
 *   target   T   the file being changed (in the product directory);
 *   incoming I   the bytes that go to T: a staged file next to T (install)
 *                or the kept original in the store (rollback); none when
 *                T is to disappear;
 *   keep     K   where T's current bytes are preserved: the store (install)
 *                or a temporary next to the original in the store
 *                (rollback, so that the rollback itself can be undone);
 *                none when T does not exist yet.
 *
 * The swap of one entry is two atomic steps, link(T, K) then rename(I, T)
 * -- so T always exists, holding either the old or the new bytes -- and
 * every state of an entry can be recognised from the file system alone by
 * comparing inode numbers with those journaled before the swap began.
 * See txn.c for the phases and the recovery decision.
 */
#ifndef HFX_TXN_H
#define HFX_TXN_H

#include <stdbool.h>
#include <stdint.h>

#include "context.h"
#include "error.h"
#include "service.h"

enum hfx_txn_kind {
	HFX_TXN_INSTALL,
	HFX_TXN_ROLLBACK,
};

enum hfx_txn_phase {
	HFX_PHASE_STAGING,	/* plan written; incoming files being made */
	HFX_PHASE_STAGED,	/* incoming files durable, inodes journaled */
	HFX_PHASE_SWAPPING,	/* services recorded; stop, swap, start */
	HFX_PHASE_COMMITTED,	/* record written; only cleanup remains */
};

struct hfx_txn_entry {
	char *dir, *base;		/* T: root-relative parent, name */
	char *in_dir, *in_base;		/* I, or NULL */
	char *keep_dir, *keep_base;	/* K, or NULL */
	bool in_temp;			/* I is ours to delete on undo */
	bool keep_temp;			/* K is ours to delete on finish */
	int64_t old_dev, old_ino;	/* T before the swap, -1: absent */
	int64_t in_dev, in_ino;		/* I, -1: not yet known */
};

struct hfx_dirent_cache;

struct hfx_txn {
	int64_t id;
	enum hfx_txn_kind kind;
	char *hotfix;
	enum hfx_txn_phase phase;
	struct hfx_txn_entry *entries;
	size_t n;
	char **services;		/* names stopped, to start again */
	size_t nservices;
	struct hfx_dirent_cache *dirs;	/* open directories by path */
};

/* Allocate a transaction (not yet journaled) with room for n entries. */
enum hfx_rc hfx_txn_new(enum hfx_txn_kind kind, const char *hotfix, size_t n,
			struct hfx_txn **out, struct hfx_err *err);
void hfx_txn_free(struct hfx_txn *txn);

/* The id the journal will give this transaction, to name staged files
 * before the plan is written ("NEXT" = max(id)+1, stable under the lock). */
enum hfx_rc hfx_txn_reserve_id(struct hfx_ctx *ctx, struct hfx_txn *txn,
			       struct hfx_err *err);

/* Write the plan (phase STAGING) in one database transaction. */
enum hfx_rc hfx_txn_journal(struct hfx_ctx *ctx, struct hfx_txn *txn,
			    struct hfx_err *err);

/* Directory fd of a root-relative directory, opened once per transaction
 * (no symlink followed); with `create`, missing directories are made. */
int hfx_txn_dir(struct hfx_ctx *ctx, struct hfx_txn *txn, const char *rel,
		bool create, struct hfx_err *err);

/* After staging: journal the incoming inodes, phase STAGED.  (The
 * targets are checked again by each step of the swap.) */
enum hfx_rc hfx_txn_mark_staged(struct hfx_ctx *ctx, struct hfx_txn *txn,
				struct hfx_err *err);

/* Journal the services about to be stopped (phase SWAPPING). */
enum hfx_rc hfx_txn_mark_stopping(struct hfx_ctx *ctx, struct hfx_txn *txn,
				  const struct hfx_service_set *set,
				  struct hfx_err *err);

/* Link every existing T to its K and make the links durable (in phase
 * STAGED: nothing the product sees changes).  On error, undo. */
enum hfx_rc hfx_txn_keep(struct hfx_ctx *ctx, struct hfx_txn *txn,
			 struct hfx_err *err);

/* Rename every I to T (or remove T) (phase SWAPPING, set by
 * hfx_txn_mark_stopping); hfx_txn_execute makes the renames durable once
 * the services run again.  On error, undo. */
enum hfx_rc hfx_txn_swap(struct hfx_ctx *ctx, struct hfx_txn *txn,
			 struct hfx_err *err);

/* Put every entry back as it was before the swap, delete temporaries,
 * sync; leaves the journal row (hfx_txn_forget() removes it). */
enum hfx_rc hfx_txn_undo(struct hfx_ctx *ctx, struct hfx_txn *txn,
			 struct hfx_err *err);

/* Write the record and mark the transaction COMMITTED in one database
 * transaction: `record` runs inside it. */
enum hfx_rc hfx_txn_commit(struct hfx_ctx *ctx, struct hfx_txn *txn,
			   enum hfx_rc (*record)(struct hfx_ctx *ctx, void *ud,
						 struct hfx_err *err),
			   void *ud, struct hfx_err *err);

/* After commit: delete temporaries (rollback keeps), prune empty store
 * directories, sync.  The journal stays until hfx_txn_forget(). */
enum hfx_rc hfx_txn_finish(struct hfx_ctx *ctx, struct hfx_txn *txn,
			   struct hfx_err *err);

/* Delete the journal of a finished or undone transaction. */
enum hfx_rc hfx_txn_forget(struct hfx_ctx *ctx, struct hfx_txn *txn,
			   struct hfx_err *err);

/* Undo after a failure (staging, stop, swap, start or commit): stop the
 * services that came up on the new files (`started`), undo the entries,
 * start again what was running, delete the journal.  If the undo cannot
 * complete, the journal is kept for the next command's recovery. */
void hfx_txn_abort(struct hfx_ctx *ctx, struct hfx_txn *txn,
		   struct hfx_service_set *set, bool started);

/* The common second half of install and rollback, from STAGED on: journal
 * and stop the running services, swap, start them, run `record` and commit,
 * clean up.  Every failure is undone with hfx_txn_abort(). */
enum hfx_rc hfx_txn_execute(struct hfx_ctx *ctx, struct hfx_txn *txn,
			    struct hfx_service_set *set,
			    enum hfx_rc (*record)(struct hfx_ctx *ctx, void *ud,
						  struct hfx_err *err),
			    void *ud, struct hfx_err *err);

/* Finish or undo every journaled transaction (see txn.c).  *recovered is
 * the number of transactions dealt with. */
enum hfx_rc hfx_txn_recover(struct hfx_ctx *ctx, int *recovered,
			    struct hfx_err *err);

/* Number of journaled transactions (0 on a database without any). */
enum hfx_rc hfx_txn_pending(sqlite3 *db, int *count, struct hfx_err *err);

const char *hfx_txn_phase_name(enum hfx_txn_phase phase);

#endif
