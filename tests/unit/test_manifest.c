/*
 * test_manifest.c -- unit tests of src/manifest.c (the signed manifest).
 *
 * The manifest is the only signed part of a package: every target path,
 * size, hash and version the engine later trusts comes from it.  These
 * tests pin down three things:
 *
 *   - the committed KB899801 source manifest parses into exactly the
 *     fields the rest of the engine relies on;
 *   - the canonical text `hfx pack` signs parses back to the same manifest
 *     and formats to the same bytes (a fixed point), so what is signed is
 *     what is installed;
 *   - every malformed manifest is refused with HFX_ERR_MANIFEST, nothing
 *     returned, and a message naming the manifest and, where a line is at
 *     fault, that line.
 *
 * The shell suite (tests/integration/hostile-manifest.sh) drives the same
 * refusals through `hfx pack`, `info` and `install`; here each rule is
 * checked at the function, without a package around it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "error.h"
#include "manifest.h"

#ifndef HFX_TOP_SRCDIR
#error "HFX_TOP_SRCDIR must name the source tree"
#endif

static char *read_text(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	if (!f)
		fail_msg("cannot open %s", path);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	assert_true(n > 0);
	rewind(f);
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	*len = (size_t)n;
	return buf;
}

static struct hfx_manifest *parse_ok(const char *text,
				     enum hfx_manifest_kind kind)
{
	struct hfx_manifest *m = NULL;
	struct hfx_err err;

	hfx_err_clear(&err);
	if (hfx_manifest_parse(text, strlen(text), "t.ini", kind, &m, &err) !=
	    HFX_OK)
		fail_msg("manifest refused: %s\n%s", err.msg, text);
	assert_non_null(m);
	return m;
}

/* Refused with HFX_ERR_MANIFEST, no manifest returned, and the message
 * contains `want`. */
static void parse_bad(const char *text, size_t len,
		      enum hfx_manifest_kind kind, const char *want)
{
	struct hfx_manifest *m = (struct hfx_manifest *)&m;	/* poison */
	struct hfx_err err;
	enum hfx_rc rc;

	hfx_err_clear(&err);
	rc = hfx_manifest_parse(text, len, "t.ini", kind, &m, &err);
	if (rc != HFX_ERR_MANIFEST)
		fail_msg("expected a refusal (%s), got rc %d: %s\n%s", want,
			 (int)rc, err.msg, text);
	assert_null(m);
	assert_int_equal(err.code, HFX_ERR_MANIFEST);
	if (!strstr(err.msg, want))
		fail_msg("message '%s' does not say '%s'", err.msg, want);
}

static void test_kb899801_source(void **state)
{
	struct hfx_manifest *m = NULL;
	struct hfx_manifest_file *f;
	struct hfx_err err;
	size_t len;
	char *text;

	(void)state;
	text = read_text(HFX_TOP_SRCDIR "/manifests/KB899801.ini", &len);
	hfx_err_clear(&err);
	assert_int_equal(hfx_manifest_parse(text, len, "KB899801.ini",
					    HFX_MANIFEST_SOURCE, &m, &err),
			 HFX_OK);
	assert_string_equal(m->id, "KB899801");
	assert_string_equal(m->product, "Microsoft Exchange Server 2003");
	assert_string_equal(m->product_dir, "/opt/exchsrvr");
	assert_int_equal(m->restart, HFX_RESTART_SERVICES);
	assert_int_equal(m->nservices, 2);
	/* Stop order is manifest order. */
	assert_string_equal(m->services[0], "Connector for Lotus Notes");
	assert_string_equal(m->services[1], "Calendar Connector");
	assert_int_equal(m->nsupersedes, 0);
	assert_int_equal(m->nrequires, 0);
	assert_int_equal(m->nfiles, 2);
	assert_string_equal(m->files[0].target, "bin/Lscps.dll");
	assert_string_equal(m->files[1].target, "bin/Lsmexif.dll");
	for (size_t i = 0; i < 2; i++) {
		f = &m->files[i];
		assert_string_equal(f->version_text, "6.5.7233.26");
		assert_int_equal(f->version.nparts, 4);
		assert_int_equal(f->version.part[2], 7233);
		assert_false(f->has_size);
		assert_false(f->has_sha256);
		assert_false(f->is_new);
		assert_true(f->date_epoch > 0);
	}
	/* 2005-06-13T20:50:00Z */
	assert_int_equal(m->files[0].date_epoch, 1118695800);
	f = hfx_manifest_find(m, "bin/Lsmexif.dll");
	assert_ptr_equal(f, &m->files[1]);
	assert_null(hfx_manifest_find(m, "bin/lscps.dll"));
	assert_null(hfx_manifest_find(m, "bin"));
	hfx_manifest_free(m);

	/* The same text is not a packaged manifest: size and sha256 are
	 * missing, and the message names the [file] line. */
	parse_bad(text, len, HFX_MANIFEST_PACKAGED, "t.ini:17: [file bin/Lscps.dll] lacks 'size'");
	free(text);
}

#define HOTFIX_HEAD \
	"[hotfix]\nid = KB1\ntitle = A fix\nproduct = P\nproduct-dir = /opt/p\n"
#define SHA_A "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static void test_canonical_fixed_point(void **state)
{
	static const char *const text =
		HOTFIX_HEAD
		"restart = reboot\n"
		"supersedes = KB0, KB0a\n"
		"requires = KB-base\n"
		"x-vendor-ticket = 4711 ; ignored, reserved for local use\n"
		"[file lib/a.dll]\nversion = 1.2.3.4\nsize = 10\nsha256 = " SHA_A "\n"
		"[file new/b.conf]\nversion = 2\nnew = yes\nmode = 0640\n"
		"size = 0\nsha256 = " SHA_A "\n";
	struct hfx_manifest *m, *again;
	char *canon, *canon2;

	(void)state;
	m = parse_ok(text, HFX_MANIFEST_PACKAGED);
	assert_int_equal(m->restart, HFX_RESTART_REBOOT);
	assert_int_equal(m->nsupersedes, 2);
	assert_string_equal(m->supersedes[1], "KB0a");
	assert_int_equal(m->nrequires, 1);
	assert_string_equal(m->requires[0], "KB-base");
	assert_int_equal(m->nfiles, 2);
	assert_true(m->files[1].is_new);
	assert_int_equal(m->files[1].mode, 0640);
	assert_int_equal(m->files[0].size, 10);
	assert_int_equal(m->files[0].sha256[0], 0x01);
	assert_int_equal(m->files[0].sha256[31], 0xef);
	assert_true(hfx_manifest_total_size(m) == 10);

	canon = hfx_manifest_format(m);
	assert_non_null(canon);
	assert_null(strstr(canon, "x-vendor"));	/* not carried into what is signed */
	again = parse_ok(canon, HFX_MANIFEST_PACKAGED);
	canon2 = hfx_manifest_format(again);
	assert_string_equal(canon, canon2);
	assert_string_equal(again->id, m->id);
	assert_int_equal(again->nfiles, m->nfiles);
	for (size_t i = 0; i < m->nfiles; i++) {
		assert_string_equal(again->files[i].target, m->files[i].target);
		assert_int_equal(again->files[i].size, m->files[i].size);
		assert_memory_equal(again->files[i].sha256, m->files[i].sha256,
				    HFX_SHA256_LEN);
		assert_int_equal(again->files[i].mode, m->files[i].mode);
	}
	free(canon);
	free(canon2);
	hfx_manifest_free(again);
	hfx_manifest_free(m);
}

struct bad_case {
	const char *what;
	const char *text;
	const char *want;	/* part of the message */
};

#define FILE_OK "[file bin/a.dll]\nversion = 1.0\n"

static const struct bad_case bad_cases[] = {
	{ "empty text", "", "no [hotfix] section" },
	{ "no id", "[hotfix]\ntitle = t\nproduct = P\nproduct-dir = /p\n" FILE_OK,
	  "lacks the required key 'id'" },
	{ "no product-dir", "[hotfix]\nid = K\ntitle = t\nproduct = P\n" FILE_OK,
	  "lacks the required key 'product-dir'" },
	{ "no files", HOTFIX_HEAD, "no [file ...] sections" },
	{ "file without version", HOTFIX_HEAD "[file bin/a.dll]\ndate = 2005-06-13T20:50:00Z\n",
	  "t.ini:6: [file bin/a.dll] lacks the required key 'version'" },
	{ "unknown key", HOTFIX_HEAD "colour = blue\n" FILE_OK, "t.ini:6" },
	{ "unknown file key", HOTFIX_HEAD FILE_OK "owner = root\n", "t.ini:8" },
	{ "key twice", HOTFIX_HEAD "title = again\n" FILE_OK, "t.ini:6: key 'title' given twice" },
	{ "version 6.5.x", HOTFIX_HEAD "[file bin/a.dll]\nversion = 6.5.x\n", "t.ini:7" },
	{ "version 70000.1", HOTFIX_HEAD "[file bin/a.dll]\nversion = 70000.1\n", "t.ini:7" },
	{ "empty version", HOTFIX_HEAD "[file bin/a.dll]\nversion =\n", "t.ini:7" },
	{ "target ../../etc/shadow", HOTFIX_HEAD "[file ../../etc/shadow]\nversion = 1\n", "t.ini:6" },
	{ "absolute target", HOTFIX_HEAD "[file /etc/shadow]\nversion = 1\n", "t.ini:6" },
	{ "dot component", HOTFIX_HEAD "[file bin/./a.dll]\nversion = 1\n", "t.ini:6" },
	{ "backslash target", HOTFIX_HEAD "[file bin\\a.dll]\nversion = 1\n", "t.ini:6" },
	{ "same target twice", HOTFIX_HEAD FILE_OK FILE_OK, "bin/a.dll" },
	{ "target under another target", HOTFIX_HEAD FILE_OK "[file bin/a.dll/x]\nversion = 1\n",
	  "bin/a.dll" },
	{ "file before hotfix", FILE_OK HOTFIX_HEAD, "t.ini:1" },
	{ "unknown section", HOTFIX_HEAD "[files bin/a.dll]\nversion = 1\n", "t.ini:6" },
	{ "bad id", "[hotfix]\nid = ../KB1\ntitle = t\nproduct = P\nproduct-dir = /p\n" FILE_OK,
	  "t.ini:2" },
	{ "relative product-dir", "[hotfix]\nid = K\ntitle = t\nproduct = P\nproduct-dir = opt/p\n" FILE_OK,
	  "t.ini:5" },
	{ "bad restart", HOTFIX_HEAD "restart = sometimes\n" FILE_OK, "t.ini:6" },
	{ "services without a list", HOTFIX_HEAD "restart = services\n" FILE_OK,
	  "no services are listed" },
	{ "empty list item", HOTFIX_HEAD "requires = KB0,,KB2\n" FILE_OK, "t.ini:6: requires: empty item" },
	{ "blank list item", HOTFIX_HEAD "requires = KB0, ,KB2\n" FILE_OK, "empty item" },
	{ "trailing comma", HOTFIX_HEAD "supersedes = KB0,\n" FILE_OK, "empty item" },
	{ "leading comma", HOTFIX_HEAD "services = ,Calendar Connector\n" FILE_OK, "empty item" },
	{ "item twice", HOTFIX_HEAD "supersedes = KB0, KB0\n" FILE_OK, "listed twice" },
	{ "bad id in list", HOTFIX_HEAD "requires = KB0, ../x\n" FILE_OK, "not a valid hotfix ID" },
	{ "supersedes itself", HOTFIX_HEAD "supersedes = KB1\n" FILE_OK, "supersedes itself" },
	{ "requires itself", HOTFIX_HEAD "requires = KB1\n" FILE_OK, "requires itself" },
	{ "mode on a replaced file", HOTFIX_HEAD FILE_OK "mode = 0644\n",
	  "mode is only for new files" },
	{ "bad new", HOTFIX_HEAD FILE_OK "new = maybe\n", "t.ini:8" },
	{ "short sha256", HOTFIX_HEAD FILE_OK "sha256 = 0123\n", "t.ini:8" },
	{ "bad date", HOTFIX_HEAD FILE_OK "date = yesterday\n", "t.ini:8" },
	{ "control byte", HOTFIX_HEAD "[file bin/a.dll]\nversion = 1\x01\n", "t.ini" },
};

static void test_refusals(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		print_message("refused: %s\n", bad_cases[i].what);
		parse_bad(bad_cases[i].text, strlen(bad_cases[i].text),
			  HFX_MANIFEST_SOURCE, bad_cases[i].want);
	}
}

static void test_limits(void **state)
{
	char line[HFX_MANIFEST_LINE_MAX + 64];
	char *text, *big;
	size_t n;

	(void)state;
	/* A NUL inside the text: refused, not read as the end. */
	{
		static const char nul[] = HOTFIX_HEAD FILE_OK "\0[file x]\n";

		parse_bad(nul, sizeof(nul) - 1, HFX_MANIFEST_SOURCE, "t.ini");
	}

	/* A line one byte over the library's line buffer is refused (the
	 * library would split it and parse its tail as a new line). */
	memset(line, 'a', sizeof(line));
	n = (size_t)snprintf(line, sizeof(line), "title = ");
	memset(line + n, 'x', HFX_MANIFEST_LINE_MAX + 1 - n);
	line[HFX_MANIFEST_LINE_MAX + 1] = '\0';
	assert_int_equal(strlen(line), HFX_MANIFEST_LINE_MAX + 1);
	text = malloc(4096);
	assert_non_null(text);
	snprintf(text, 4096, "[hotfix]\nid = K\n%s\nproduct = P\nproduct-dir = /p\n" FILE_OK,
		 line);
	parse_bad(text, strlen(text), HFX_MANIFEST_SOURCE, "t.ini:3");

	/* One byte shorter fits. */
	line[HFX_MANIFEST_LINE_MAX] = '\0';
	snprintf(text, 4096, "[hotfix]\nid = K\n%s\nproduct = P\nproduct-dir = /p\n" FILE_OK,
		 line);
	hfx_manifest_free(parse_ok(text, HFX_MANIFEST_SOURCE));
	free(text);

	/* A manifest over HFX_MANIFEST_MAX is refused before it is parsed. */
	big = malloc(HFX_MANIFEST_MAX + 2);
	assert_non_null(big);
	memset(big, ';', HFX_MANIFEST_MAX + 1);
	for (size_t i = 80; i < HFX_MANIFEST_MAX + 1; i += 81)
		big[i] = '\n';
	big[HFX_MANIFEST_MAX + 1] = '\0';
	parse_bad(big, HFX_MANIFEST_MAX + 1, HFX_MANIFEST_SOURCE, "t.ini");
	free(big);
}

static void test_ids(void **state)
{
	char longid[HFX_ID_MAX + 2];

	(void)state;
	assert_true(hfx_id_is_valid("KB899801"));
	assert_true(hfx_id_is_valid("Q1.2-rc_3"));
	assert_false(hfx_id_is_valid(""));
	assert_false(hfx_id_is_valid("-KB1"));
	assert_false(hfx_id_is_valid(".KB1"));
	assert_false(hfx_id_is_valid("KB/1"));
	assert_false(hfx_id_is_valid("KB 1"));
	memset(longid, 'K', HFX_ID_MAX);
	longid[HFX_ID_MAX] = '\0';
	assert_true(hfx_id_is_valid(longid));
	longid[HFX_ID_MAX] = 'K';
	longid[HFX_ID_MAX + 1] = '\0';
	assert_false(hfx_id_is_valid(longid));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kb899801_source),
		cmocka_unit_test(test_canonical_fixed_point),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_ids),
	};

	return cmocka_run_group_tests_name("manifest", tests, NULL, NULL);
}
