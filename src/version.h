/*
 * version.h -- dotted file versions ("6.5.7233.26").
 *
 * A version is one to four decimal parts, each 0..65535, exactly the shape
 * of a Windows VS_FIXEDFILEINFO file version.  Comparison is part by part,
 * a missing part counting as 0, so "6.5" == "6.5.0.0".  Parsing is strict:
 * no sign, no spaces, no empty part, no trailing dot, no part above 65535;
 * everything else is refused with a message naming the offending text.
 */
#ifndef HFX_VERSION_H
#define HFX_VERSION_H

#include <stdbool.h>
#include <stdint.h>

#include "error.h"

struct hfx_version {
	uint16_t part[4];
	uint8_t nparts;		/* 1..4 as written; 0 means "unknown" */
};

/* Longest text hfx_version_format() writes, NUL included. */
#define HFX_VERSION_STR_MAX 24

enum hfx_rc hfx_version_parse(const char *text, struct hfx_version *out,
			      struct hfx_err *err);

/* <0, 0, >0 like strcmp.  Both must be known (nparts > 0). */
int hfx_version_cmp(const struct hfx_version *a, const struct hfx_version *b);

/* Writes the version as given ("6.5.7233.26"), or "unknown". */
const char *hfx_version_format(const struct hfx_version *v,
			       char buf[HFX_VERSION_STR_MAX]);

/* Build a four-part version from the two 32-bit halves of a
 * VS_FIXEDFILEINFO (dwFileVersionMS, dwFileVersionLS). */
struct hfx_version hfx_version_from_ms_ls(uint32_t ms, uint32_t ls);

static inline bool hfx_version_known(const struct hfx_version *v)
{
	return v->nparts > 0;
}

#endif
