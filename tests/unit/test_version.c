/*
 * test_version.c -- unit tests of src/version.c (dotted file versions).
 *
 * The parser is strict on purpose (a manifest typo must not become a
 * version), so most tests here are texts it must refuse; each refusal must
 * also leave the output untouched and say why in the error record.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "error.h"
#include "version.h"

static struct hfx_version parse_ok(const char *text)
{
	struct hfx_version v = { .nparts = 0 };
	struct hfx_err err;

	hfx_err_clear(&err);
	if (hfx_version_parse(text, &v, &err) != HFX_OK)
		fail_msg("'%s' refused: %s", text, err.msg);
	assert_int_equal(err.code, HFX_OK);
	return v;
}

static void test_parse_good(void **state)
{
	struct hfx_version v;

	(void)state;
	v = parse_ok("6.5.7233.26");
	assert_int_equal(v.nparts, 4);
	assert_int_equal(v.part[0], 6);
	assert_int_equal(v.part[1], 5);
	assert_int_equal(v.part[2], 7233);
	assert_int_equal(v.part[3], 26);

	v = parse_ok("1");
	assert_int_equal(v.nparts, 1);
	assert_int_equal(v.part[0], 1);

	v = parse_ok("0.0.0.0");
	assert_int_equal(v.nparts, 4);
	for (int i = 0; i < 4; i++)
		assert_int_equal(v.part[i], 0);

	v = parse_ok("65535.65535.65535.65535");
	assert_int_equal(v.nparts, 4);
	for (int i = 0; i < 4; i++)
		assert_int_equal(v.part[i], 65535);

	v = parse_ok("6.5");
	assert_int_equal(v.nparts, 2);
	assert_true(hfx_version_known(&v));

	v = parse_ok("007.1");	/* leading zeros are just digits */
	assert_int_equal(v.part[0], 7);
}

static void test_parse_bad(void **state)
{
	static const char *const bad[] = {
		"", "6.5.x", "70000.1", "65536", "1.2.3.4.5", "1..2", ".1",
		"1.", "-1", " 1", "1 ", "+1", "1.2.3.4.", "a", "1,2",
		"99999999999999999999",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct hfx_version v = { .part = { 9, 9, 9, 9 }, .nparts = 3 };
		struct hfx_err err;

		hfx_err_clear(&err);
		if (hfx_version_parse(bad[i], &v, &err) == HFX_OK)
			fail_msg("'%s' accepted", bad[i]);
		assert_int_equal(err.code, HFX_ERR_MANIFEST);
		assert_true(err.msg[0] != '\0');
		/* a refused text leaves the output as it was */
		assert_int_equal(v.nparts, 3);
		assert_int_equal(v.part[0], 9);
	}

	/* NULL is refused too, not dereferenced */
	struct hfx_version v = { .nparts = 0 };
	struct hfx_err err;
	hfx_err_clear(&err);
	assert_int_not_equal(hfx_version_parse(NULL, &v, &err), HFX_OK);
}

static int cmp_text(const char *a, const char *b)
{
	struct hfx_version va = parse_ok(a), vb = parse_ok(b);
	int c = hfx_version_cmp(&va, &vb);

	return c < 0 ? -1 : c > 0 ? 1 : 0;
}

static void test_compare(void **state)
{
	(void)state;
	assert_int_equal(cmp_text("6.5", "6.5.0.0"), 0);
	assert_int_equal(cmp_text("6.5.0.0", "6.5"), 0);
	assert_int_equal(cmp_text("6", "6.0.0.0"), 0);
	assert_int_equal(cmp_text("6.5.7226.0", "6.5.7233.26"), -1);
	assert_int_equal(cmp_text("6.5.7233.26", "6.5.7226.0"), 1);
	assert_int_equal(cmp_text("6.5.7233.26", "6.5.7233.26"), 0);
	assert_int_equal(cmp_text("10", "9"), 1);		/* numeric */
	assert_int_equal(cmp_text("9", "10"), -1);
	assert_int_equal(cmp_text("1.10", "1.9"), 1);
	assert_int_equal(cmp_text("6.5.0.1", "6.5"), 1);	/* 1 > missing 0 */
	assert_int_equal(cmp_text("6.5", "6.5.0.1"), -1);
	assert_int_equal(cmp_text("0.0.0.0", "65535.65535.65535.65535"), -1);
	assert_int_equal(cmp_text("2", "1.65535.65535.65535"), 1);
}

static void test_format_round_trip(void **state)
{
	static const char *const texts[] = {
		"6.5.7233.26", "1", "0.0.0.0", "65535.65535.65535.65535",
		"6.5", "1.2.3",
	};
	char buf[HFX_VERSION_STR_MAX];

	(void)state;
	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		struct hfx_version v = parse_ok(texts[i]), back;

		assert_string_equal(hfx_version_format(&v, buf), texts[i]);
		back = parse_ok(buf);
		assert_int_equal(back.nparts, v.nparts);
		assert_int_equal(hfx_version_cmp(&back, &v), 0);
	}

	/* the longest version fits the documented buffer */
	assert_true(strlen("65535.65535.65535.65535") < HFX_VERSION_STR_MAX);

	struct hfx_version unknown = { .nparts = 0 };
	assert_false(hfx_version_known(&unknown));
	assert_string_equal(hfx_version_format(&unknown, buf), "unknown");
}

static void test_from_ms_ls(void **state)
{
	char buf[HFX_VERSION_STR_MAX];
	struct hfx_version v;

	(void)state;
	/* 6.5.7233.26 as a VS_FIXEDFILEINFO holds it */
	v = hfx_version_from_ms_ls(0x00060005u, (7233u << 16) | 26u);
	assert_int_equal(v.nparts, 4);
	assert_string_equal(hfx_version_format(&v, buf), "6.5.7233.26");

	v = hfx_version_from_ms_ls(0, 0);
	assert_int_equal(v.nparts, 4);
	assert_true(hfx_version_known(&v));
	assert_string_equal(hfx_version_format(&v, buf), "0.0.0.0");

	v = hfx_version_from_ms_ls(0xffffffffu, 0xffffffffu);
	assert_string_equal(hfx_version_format(&v, buf),
			    "65535.65535.65535.65535");

	/* high word first in each half */
	v = hfx_version_from_ms_ls(0x00010002u, 0x00030004u);
	assert_string_equal(hfx_version_format(&v, buf), "1.2.3.4");

	struct hfx_version parsed = parse_ok("1.2.3.4");
	assert_int_equal(hfx_version_cmp(&v, &parsed), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_good),
		cmocka_unit_test(test_parse_bad),
		cmocka_unit_test(test_compare),
		cmocka_unit_test(test_format_round_trip),
		cmocka_unit_test(test_from_ms_ls),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
