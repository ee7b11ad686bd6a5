/*
 * fuzz_manifest.c -- libFuzzer target for the manifest parser.
 *
 * Exercises: hfx_manifest_parse() (and under it inifile.c and libinih)
 * on the raw input, once as a source manifest and once as a packaged one.
 * The packaged form is the one an attacker controls: it is read from a
 * package before anything else in the package is trusted, so every byte
 * sequence must be either parsed or refused cleanly.
 *
 * Properties asserted (besides "no sanitizer report, no leak"):
 *  - a refusal sets the error record to the returned code, leaves *out
 *    NULL, and a HFX_ERR_MANIFEST message names the manifest;
 *  - a parsed manifest is consistent: required keys present, every
 *    target is found by hfx_manifest_find() at its own entry, a packaged
 *    manifest has size and sha256 for every file;
 *  - round trip: hfx_manifest_format() of a parsed manifest parses again,
 *    with the same kind, to the same number of files, the same targets in
 *    the same order and the same ID, and formatting that result gives the
 *    same text (the canonical form is a fixed point).  `hfx pack` signs
 *    exactly this canonical text, so a manifest that parses but whose
 *    canonical form does not would make a package nobody can install.
 */
#include "fuzz.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "error.h"
#include "manifest.h"

#define NAME "fuzz.ini"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Facts about a parsed manifest that hold whatever the input was. */
static void check_parsed(const struct hfx_manifest *m,
			 enum hfx_manifest_kind kind)
{
	FUZZ_CHECK(m->id && m->title && m->product && m->product_dir,
		   "a required [hotfix] key is missing");
	FUZZ_CHECK(hfx_id_is_valid(m->id), "id '%s' accepted but invalid",
		   m->id);
	FUZZ_CHECK(m->product_dir[0] == '/', "product-dir '%s' not absolute",
		   m->product_dir);
	FUZZ_CHECK(m->nfiles > 0 && m->nfiles <= HFX_MANIFEST_MAX_FILES,
		   "%zu files", m->nfiles);
	for (size_t i = 0; i < m->nfiles; i++) {
		const struct hfx_manifest_file *f = &m->files[i];

		FUZZ_CHECK(f->target && f->target[0] && f->target[0] != '/',
			   "file %zu has a bad target", i);
		FUZZ_CHECK(hfx_manifest_find(m, f->target) == f,
			   "target '%s' not found at its own entry", f->target);
		FUZZ_CHECK(f->version_text && hfx_version_known(&f->version),
			   "[file %s] without a version", f->target);
		if (kind == HFX_MANIFEST_PACKAGED)
			FUZZ_CHECK(f->has_size && f->has_sha256,
				   "packaged [file %s] without size/sha256",
				   f->target);
	}
}

static void round_trip(const struct hfx_manifest *m,
		       enum hfx_manifest_kind kind)
{
	struct hfx_manifest *again = NULL;
	struct hfx_err err;
	char *text, *text2;
	enum hfx_rc rc;

	text = hfx_manifest_format(m);
	if (!text)
		return;		/* out of memory: nothing to check */
	hfx_err_clear(&err);
	rc = hfx_manifest_parse(text, strlen(text), "formatted", kind, &again,
				&err);
	FUZZ_CHECK(rc == HFX_OK || rc == HFX_ERR_NOMEM,
		   "the canonical form does not parse again: %s\n--- text:\n%s",
		   err.msg, text);
	if (rc != HFX_OK) {
		free(text);
		return;
	}
	FUZZ_CHECK(again->nfiles == m->nfiles, "%zu files, then %zu",
		   m->nfiles, again->nfiles);
	FUZZ_CHECK(strcmp(again->id, m->id) == 0, "id '%s', then '%s'", m->id,
		   again->id);
	for (size_t i = 0; i < m->nfiles; i++)
		FUZZ_CHECK(strcmp(again->files[i].target, m->files[i].target) == 0,
			   "file %zu: '%s', then '%s'", i, m->files[i].target,
			   again->files[i].target);
	text2 = hfx_manifest_format(again);
	if (text2)
		FUZZ_CHECK(strcmp(text, text2) == 0,
			   "formatting is not a fixed point:\n--- first:\n%s\n--- second:\n%s",
			   text, text2);
	free(text2);
	free(text);
	hfx_manifest_free(again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum hfx_manifest_kind kinds[] = {
		HFX_MANIFEST_SOURCE, HFX_MANIFEST_PACKAGED,
	};

	for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		struct hfx_manifest *m = (struct hfx_manifest *)1;
		struct hfx_err err;
		enum hfx_rc rc;

		hfx_err_clear(&err);
		rc = hfx_manifest_parse((const char *)data, size, NAME,
					kinds[k], &m, &err);
		if (rc != HFX_OK) {
			FUZZ_CHECK(m == NULL, "refused, but *out was set");
			FUZZ_CHECK(err.code == rc, "returned %d, recorded %d",
				   (int)rc, (int)err.code);
			FUZZ_CHECK(rc == HFX_ERR_MANIFEST || rc == HFX_ERR_NOMEM,
				   "unexpected code %d: %s", (int)rc, err.msg);
			if (rc == HFX_ERR_MANIFEST)
				FUZZ_CHECK(fuzz_has_prefix(err.msg, NAME),
					   "message does not name the manifest: %s",
					   err.msg);
			continue;
		}
		FUZZ_CHECK(m != NULL, "parsed, but no manifest");
		check_parsed(m, kinds[k]);
		round_trip(m, kinds[k]);
		hfx_manifest_free(m);
	}
	return 0;
}
