/*
 * version.c -- parse, compare and print dotted file versions.
 *
 * Invariant: a parsed version never holds a part above 65535 and always
 * has 1..4 parts; hfx_version_cmp() relies on it and does no checking.
 */
#include "version.h"

#include <stdio.h>
#include <string.h>

enum hfx_rc hfx_version_parse(const char *text, struct hfx_version *out,
			      struct hfx_err *err)
{
	struct hfx_version v = { .nparts = 0 };
	const char *p = text;

	if (!text || !*text)
		return hfx_err_set(err, HFX_ERR_MANIFEST,
				   "empty version (expected up to four dotted numbers such as 6.5.7233.26)");
	for (;;) {
		unsigned long n = 0;
		const char *start = p;

		while (*p >= '0' && *p <= '9') {
			n = n * 10 + (unsigned long)(*p - '0');
			if (n > 65535)
				return hfx_err_set(err, HFX_ERR_MANIFEST,
						   "bad version '%s': part above 65535",
						   text);
			p++;
		}
		if (p == start)
			return hfx_err_set(err, HFX_ERR_MANIFEST,
					   "bad version '%s': expected a number at '%s'",
					   text, p);
		if (v.nparts == 4)
			return hfx_err_set(err, HFX_ERR_MANIFEST,
					   "bad version '%s': more than four parts",
					   text);
		v.part[v.nparts++] = (uint16_t)n;
		if (*p == '\0')
			break;
		if (*p != '.')
			return hfx_err_set(err, HFX_ERR_MANIFEST,
					   "bad version '%s': unexpected '%c'",
					   text, *p);
		p++;
	}
	*out = v;
	return HFX_OK;
}

int hfx_version_cmp(const struct hfx_version *a, const struct hfx_version *b)
{
	for (int i = 0; i < 4; i++) {
		unsigned pa = i < a->nparts ? a->part[i] : 0;
		unsigned pb = i < b->nparts ? b->part[i] : 0;
		if (pa != pb)
			return pa < pb ? -1 : 1;
	}
	return 0;
}

const char *hfx_version_format(const struct hfx_version *v,
			       char buf[HFX_VERSION_STR_MAX])
{
	size_t n = 0;

	if (!hfx_version_known(v)) {
		snprintf(buf, HFX_VERSION_STR_MAX, "unknown");
		return buf;
	}
	buf[0] = '\0';
	for (int i = 0; i < v->nparts; i++)
		n += (size_t)snprintf(buf + n, HFX_VERSION_STR_MAX - n,
				      i ? ".%u" : "%u", v->part[i]);
	return buf;
}

struct hfx_version hfx_version_from_ms_ls(uint32_t ms, uint32_t ls)
{
	struct hfx_version v = {
		.part = { (uint16_t)(ms >> 16), (uint16_t)(ms & 0xffff),
			  (uint16_t)(ls >> 16), (uint16_t)(ls & 0xffff) },
		.nparts = 4,
	};
	return v;
}
