/*
 * install.h -- install one signed hotfix package.
 *
 *   verify the package (signature, then manifest) -> decide per file
 *   (replace / keep newer / keep equal / keep modified / new) -> stage the
 *   new files next to their targets while the payload streams (hashed as
 *   it is written) -> fsync -> stop services -> swap -> start services ->
 *   record; any failure after the first swap puts every file back.
 *
 * The result carries the plan (what was or would be done to each file)
 * for --dry-run and --json.
 */
#ifndef HFX_INSTALL_H
#define HFX_INSTALL_H

#include <stdbool.h>
#include <stdint.h>

#include "context.h"
#include "error.h"
#include "manifest.h"
#include "result.h"

/* Install the package at `path` (a host path, outside the root).  Returns
 * HFX_OK also when nothing needed doing (res->changed false). */
enum hfx_rc hfx_install(struct hfx_ctx *ctx, const char *path,
			struct hfx_result *res, struct hfx_err *err);

/* Read and verify the manifest of a package (its signature against the
 * root's trust store); with `payload`, also read and check every payload
 * member, writing nothing.  Used by query, info and the ordering of
 * several packages.  *m, *signer (and *text if asked) are the caller's. */
enum hfx_rc hfx_package_check(struct hfx_ctx *ctx, const char *path,
			      bool payload, struct hfx_manifest **m,
			      char **signer, char **text, struct hfx_err *err);

/* Order package paths so that every package comes after those it requires
 * or supersedes (when they are among the given ones).  `order` receives
 * indices into `paths`. */
enum hfx_rc hfx_install_order(struct hfx_ctx *ctx, char *const *paths,
			      size_t n, size_t *order, char **ids,
			      struct hfx_err *err);

#endif
