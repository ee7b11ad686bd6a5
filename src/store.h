/*
 * store.h -- where hfx keeps the original bytes of replaced files.
 *
 * An original is kept by linking its inode into the store, never by
 * copying it, so the store must be on the target's file system: it is
 * var/lib/hfx/store when that is the case, else a hidden .hfx-store at the
 * top of the target's file system (the highest directory of that file
 * system inside the root).  Inside a store, originals live under
 * <hotfix ID>/<target path relative to the product directory>, so that an
 * administrator who lost the database can still find them by name.
 */
#ifndef HFX_STORE_H
#define HFX_STORE_H

#include "context.h"
#include "error.h"

/* Root-relative store directory for files in the directory `dirfd`
 * (root-relative path `dir_rel`).  *out is malloc'd. */
enum hfx_rc hfx_store_root_for(struct hfx_ctx *ctx, int dirfd,
			       const char *dir_rel, char **out,
			       struct hfx_err *err);

/* The place of `target` of hotfix `id` in `store`: directory and name
 * (name + `suffix` if given).  Both malloc'd. */
enum hfx_rc hfx_store_place(const char *store, const char *id,
			    const char *target, const char *suffix,
			    char **dir, char **base, struct hfx_err *err);

/* The trash of a store: where a finished rollback moves the hotfix's own
 * files instead of deleting them inline (freeing many blocks can take
 * seconds, especially with online discard).  "<store>/.trash". */
#define HFX_STORE_TRASH ".trash"

/* Empty the given trash directories (root-relative) in a detached
 * background process, at idle I/O priority, and return at once.  Also
 * called when a later command finds a trash left by an interrupted
 * purge.  Best effort: a trash not emptied is emptied next time. */
void hfx_store_purge(struct hfx_ctx *ctx, char *const *trash, size_t n);

#endif
