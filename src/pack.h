/*
 * pack.h -- build and sign a package from a source manifest and a payload
 * directory (the vendor side; needs no root and no database).
 *
 * The source manifest is parsed, every payload file is read from
 * PAYLOAD/<target> (resolved beneath PAYLOAD), its size and SHA-256 filled
 * in, and -- for a PE file -- its VERSIONINFO checked against the
 * manifest's version, so a package can never claim a version its file does
 * not have.  The canonical manifest text is signed and the package written
 * to a temporary file next to the output, synced and renamed into place.
 */
#ifndef HFX_PACK_H
#define HFX_PACK_H

#include <stdbool.h>

#include "error.h"
#include "event.h"
#include "package.h"

struct hfx_pack_options {
	const char *manifest;	/* source manifest path */
	const char *payload;	/* payload directory */
	const char *key, *cert, *chain;	/* PEM files; chain optional */
	const char *output;	/* .hfx to write */
	enum hfx_compression compression;
	bool dry_run;		/* check and sign, write nothing */
};

enum hfx_rc hfx_pack(const struct hfx_pack_options *opt,
		     const struct hfx_events *ev, struct hfx_err *err);

#endif
