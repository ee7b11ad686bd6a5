/*
 * rollback.h -- put back exactly the files a hotfix replaced.
 *
 * The originals come back from the store by rename (no copy); files the
 * hotfix added are removed; the same service handling as an install
 * surrounds the swap, and a failure puts the hotfix's files back.
 *
 * Refusals (nothing is changed):
 *   - the hotfix is not installed (HFX_ERR_NOT_FOUND, exit 1);
 *   - its originals were discarded by `hfx commit` (exit 1);
 *   - a later hotfix replaced one of its files (HFX_ERR_ROLLBACK_REFUSED,
 *     exit 7, naming it) -- unless --force, which rolls back the files
 *     still owned by this hotfix and hands the others over: the later
 *     hotfix's file stays, and its record now points at this hotfix's
 *     original, so rolling the later one back restores what was there
 *     before either;
 *   - an installed hotfix requires it (exit 7, naming it), unless --force;
 *   - one of its files was changed since it was installed (exit 1),
 *     unless --force, which discards that change.
 */
#ifndef HFX_ROLLBACK_H
#define HFX_ROLLBACK_H

#include "context.h"
#include "error.h"
#include "result.h"

enum hfx_rc hfx_rollback(struct hfx_ctx *ctx, const char *id,
			 struct hfx_result *res, struct hfx_err *err);

#endif
