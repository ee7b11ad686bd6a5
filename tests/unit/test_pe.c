/*
 * test_pe.c -- unit tests of src/pe.c, the PE file version reader.
 *
 * Three kinds of test:
 *  - the committed fixture DLLs (payload/, demo/, tests/data/pe/, built by
 *    payload/mkdll.sh) read with hfx_pe_version_read() give the versions
 *    their VERSIONINFO says;
 *  - files that are not PE images (text, empty, "MZ", a directory) are
 *    "not-pe", never an error or a crash;
 *  - images derived in memory from the real Lscps.dll, truncated or with
 *    one field of one structure broken, give NOT_PE or NO_VERSION and never
 *    a wrong version.  The test finds those structures itself (struct
 *    layout) on the intact file, so a mutation hits exactly the field it
 *    names; a layout that is not what the fixture should be fails loudly.
 *
 * Fixtures are found through HFX_TOP_SRCDIR, which Makefile.am sets to the
 * absolute source directory, so VPATH builds work.
 */
/* pwrite(), ftruncate(), O_DIRECTORY are POSIX and MAP_ANONYMOUS is
 * BSD/glibc; -std=c11 alone hides them all. */

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "error.h"
#include "pe.h"
#include "version.h"

#define FIXTURE(rel) HFX_TOP_SRCDIR "/" rel
#define KB_LSCPS FIXTURE("payload/KB899801/bin/Lscps.dll")

/* --- helpers ------------------------------------------------------------ */

static uint16_t get16(const unsigned char *b, size_t off)
{
	return (uint16_t)(b[off] | b[off + 1] << 8);
}

static uint32_t get32(const unsigned char *b, size_t off)
{
	return (uint32_t)b[off] | (uint32_t)b[off + 1] << 8 |
	       (uint32_t)b[off + 2] << 16 | (uint32_t)b[off + 3] << 24;
}

static void put16(unsigned char *b, size_t off, unsigned v)
{
	b[off] = (unsigned char)v;
	b[off + 1] = (unsigned char)(v >> 8);
}

static void put32(unsigned char *b, size_t off, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		b[off + (size_t)i] = (unsigned char)(v >> (8 * i));
}

static unsigned char *load_file(const char *path, size_t *len)
{
	struct stat st;
	unsigned char *buf;
	size_t done = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		fail_msg("cannot open fixture %s: %s", path, strerror(errno));
	assert_int_equal(fstat(fd, &st), 0);
	buf = malloc((size_t)st.st_size + 1);
	assert_non_null(buf);
	while (done < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + done, (size_t)st.st_size - done);
		assert_true(n > 0);
		done += (size_t)n;
	}
	close(fd);
	*len = done;
	return buf;
}

/* Read `path` with hfx_pe_version_read. */
static enum hfx_pe_result read_path(const char *path, struct hfx_version *v,
				    char *why, size_t why_len)
{
	enum hfx_pe_result res = HFX_PE_VERSION;
	struct hfx_err err;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		fail_msg("cannot open %s: %s", path, strerror(errno));
	hfx_err_clear(&err);
	if (hfx_pe_version_read(fd, path, &res, v, why, why_len, &err) != HFX_OK)
		fail_msg("reading %s: %s", path, err.msg);
	close(fd);
	return res;
}

static void assert_version_is(const struct hfx_version *v, const char *text)
{
	char buf[HFX_VERSION_STR_MAX];

	assert_string_equal(hfx_version_format(v, buf), text);
}

static void expect_file_version(const char *path, const char *text)
{
	struct hfx_version v = { .nparts = 0 };
	char why[128];

	if (read_path(path, &v, why, sizeof(why)) != HFX_PE_VERSION)
		fail_msg("%s: no version (%s)", path, why);
	assert_version_is(&v, text);
	assert_string_equal(why, "");
}

/*
 * A copy of `len` bytes of `data` that ends exactly where an inaccessible
 * page begins, so that reading even one byte past the end crashes the test
 * in any build, not only under ASan.  Freed with guarded_free().
 */
static unsigned char *guarded_copy(const void *data, size_t len)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	size_t span = (len + page - 1) / page * page + page;
	unsigned char *base = mmap(NULL, span, PROT_READ | PROT_WRITE,
				   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	assert_true(base != MAP_FAILED);
	assert_int_equal(mprotect(base + span - page, page, PROT_NONE), 0);
	unsigned char *p = base + span - page - len;
	if (len > 0)
		memcpy(p, data, len);
	return p;
}

static void guarded_free(unsigned char *p, size_t len)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	size_t span = (len + page - 1) / page * page + page;

	assert_int_equal(munmap(p + len + page - span, span), 0);
}

/* A temporary file holding `len` bytes of `data`; the caller closes it. */
static int temp_file(const void *data, size_t len)
{
	FILE *f = tmpfile();
	int fd;

	assert_non_null(f);
	fd = dup(fileno(f));
	fclose(f);		/* the dup keeps the unlinked file alive */
	assert_true(fd >= 0);
	if (len > 0)
		assert_int_equal(write(fd, data, len), (ssize_t)len);
	return fd;
}

static enum hfx_pe_result read_fd(int fd, char *why, size_t why_len)
{
	enum hfx_pe_result res = HFX_PE_VERSION;
	struct hfx_version v;
	struct hfx_err err;

	hfx_err_clear(&err);
	if (hfx_pe_version_read(fd, "test file", &res, &v, why, why_len,
				&err) != HFX_OK)
		fail_msg("read failed: %s", err.msg);
	return res;
}

/* --- where the structures of the intact Lscps.dll are ------------------ */

struct layout {
	size_t nt;		/* "PE\0\0" */
	size_t coff;		/* COFF header */
	size_t opt;		/* optional header */
	size_t numrva;		/* NumberOfRvaAndSizes */
	size_t res_dd;		/* data directory entry 2 */
	size_t sections;	/* section table */
	unsigned nsections;
	size_t rsrc_sh;		/* section header holding the resources */
	size_t res;		/* resource directory (file offset) */
	uint32_t res_size;
	size_t type_entry;	/* level-1 entry for RT_VERSION */
	size_t l2;		/* level-2 directory */
	size_t l2_entry;
	size_t l3;		/* level-3 directory */
	size_t l3_entry;
	size_t data_entry;	/* IMAGE_RESOURCE_DATA_ENTRY */
	size_t vs;		/* VS_VERSIONINFO */
	uint32_t vs_len;
	size_t fixed;		/* VS_FIXEDFILEINFO */
};

static size_t rva_to_off(const unsigned char *b, const struct layout *l,
			 uint32_t rva, size_t *sh_out)
{
	for (unsigned i = 0; i < l->nsections; i++) {
		size_t sh = l->sections + 40 * (size_t)i;
		uint32_t va = get32(b, sh + 12), raw = get32(b, sh + 16);

		if (rva >= va && rva - va < raw) {
			if (sh_out)
				*sh_out = sh;
			return get32(b, sh + 20) + (rva - va);
		}
	}
	fail_msg("RVA 0x%x in no section of the fixture", (unsigned)rva);
	return 0;
}

/* Walk the fixture (trusted, but every expectation asserted). */
static void find_layout(const unsigned char *b, size_t len, struct layout *l)
{
	assert_true(len > 4096);
	assert_int_equal(b[0], 'M');
	assert_int_equal(b[1], 'Z');
	l->nt = get32(b, 0x3c);
	assert_memory_equal(b + l->nt, "PE\0\0", 4);
	l->coff = l->nt + 4;
	l->nsections = get16(b, l->coff + 2);
	l->opt = l->coff + 20;
	assert_int_equal(get16(b, l->opt), 0x10b);	/* Lscps.dll is PE32 */
	l->numrva = l->opt + 92;
	assert_true(get32(b, l->numrva) > 2);
	l->res_dd = l->opt + 96 + 2 * 8;
	l->sections = l->opt + get16(b, l->coff + 16);

	l->res = rva_to_off(b, l, get32(b, l->res_dd), &l->rsrc_sh);
	l->res_size = get32(b, l->res_dd + 4);

	/* The fixture's only resource type is RT_VERSION, an ID entry. */
	assert_int_equal(get16(b, l->res + 12), 0);
	assert_int_equal(get16(b, l->res + 14), 1);
	l->type_entry = l->res + 16;
	assert_int_equal(get32(b, l->type_entry), 16);
	assert_true(get32(b, l->type_entry + 4) & 0x80000000u);
	l->l2 = l->res + (get32(b, l->type_entry + 4) & 0x7fffffffu);
	assert_int_equal(get16(b, l->l2 + 12) + get16(b, l->l2 + 14), 1);
	l->l2_entry = l->l2 + 16;
	assert_true(get32(b, l->l2_entry + 4) & 0x80000000u);
	l->l3 = l->res + (get32(b, l->l2_entry + 4) & 0x7fffffffu);
	assert_int_equal(get16(b, l->l3 + 12) + get16(b, l->l3 + 14), 1);
	l->l3_entry = l->l3 + 16;
	assert_false(get32(b, l->l3_entry + 4) & 0x80000000u);
	l->data_entry = l->res + get32(b, l->l3_entry + 4);
	l->vs = rva_to_off(b, l, get32(b, l->data_entry), NULL);
	l->vs_len = get32(b, l->data_entry + 4);
	assert_int_equal(get16(b, l->vs), l->vs_len);
	l->fixed = l->vs + 40;
	assert_int_equal(get32(b, l->fixed), 0xFEEF04BDu);
	assert_true(l->fixed + 52 <= len);
}

/* The intact Lscps.dll, a scratch copy to break, and where things are. */
struct fx {
	unsigned char *orig;
	unsigned char *buf;
	size_t len;
	struct layout l;
};

static int fx_setup(void **state)
{
	struct fx *fx = calloc(1, sizeof(*fx));

	assert_non_null(fx);
	fx->orig = load_file(KB_LSCPS, &fx->len);
	fx->buf = guarded_copy(fx->orig, fx->len);
	find_layout(fx->orig, fx->len, &fx->l);
	*state = fx;
	return 0;
}

static int fx_teardown(void **state)
{
	struct fx *fx = *state;

	guarded_free(fx->buf, fx->len);
	free(fx->orig);
	free(fx);
	return 0;
}

static void fx_reset(struct fx *fx)
{
	memcpy(fx->buf, fx->orig, fx->len);
}

/* Parse the scratch copy; it must not be a version.  Returns the result,
 * with the reason in why. */
static enum hfx_pe_result fx_expect_bad(struct fx *fx, const char *what,
					char *why, size_t why_len)
{
	struct hfx_version v = { .nparts = 0 };
	enum hfx_pe_result r = hfx_pe_version_parse(fx->buf, fx->len, &v,
						    why, why_len);

	if (r == HFX_PE_VERSION) {
		char text[HFX_VERSION_STR_MAX];
		fail_msg("%s: read as version %s", what,
			 hfx_version_format(&v, text));
	}
	assert_true(r == HFX_PE_NOT_PE || r == HFX_PE_NO_VERSION);
	assert_true(why[0] != '\0');
	return r;
}

static void fx_expect(struct fx *fx, const char *what,
		      enum hfx_pe_result want, const char *why_part)
{
	char why[256];
	enum hfx_pe_result r = fx_expect_bad(fx, what, why, sizeof(why));

	if (r != want)
		fail_msg("%s: got %s (%s)", what,
			 r == HFX_PE_NOT_PE ? "NOT_PE" : "NO_VERSION", why);
	if (why_part && !strstr(why, why_part))
		fail_msg("%s: reason '%s' does not mention '%s'", what, why,
			 why_part);
}

/* --- the committed fixtures --------------------------------------------- */

static void test_fixture_versions(void **state)
{
	(void)state;
	expect_file_version(FIXTURE("payload/KB899801/bin/Lscps.dll"),
			    "6.5.7233.26");
	expect_file_version(FIXTURE("payload/KB899801/bin/Lsmexif.dll"),
			    "6.5.7233.26");
	expect_file_version(FIXTURE("demo/exchsrvr-6.5.7226.0/bin/Lscps.dll"),
			    "6.5.7226.0");
	expect_file_version(FIXTURE("demo/exchsrvr-6.5.7226.0/bin/Lsmexif.dll"),
			    "6.5.7226.0");
	expect_file_version(FIXTURE("tests/data/pe/pe32plus.dll"), "1.2.3.4");
	expect_file_version(FIXTURE("tests/data/pe/version-only-ms.dll"),
			    "3.10.0.0");
}

static void test_fixture_sizes(void **state)
{
	/* The demo relies on the real hotfix's sizes (payload/mkdll.sh). */
	static const struct { const char *path; off_t size; } want[] = {
		{ FIXTURE("payload/KB899801/bin/Lscps.dll"), 332288 },
		{ FIXTURE("payload/KB899801/bin/Lsmexif.dll"), 231936 },
		{ FIXTURE("demo/exchsrvr-6.5.7226.0/bin/Lscps.dll"), 331776 },
		{ FIXTURE("demo/exchsrvr-6.5.7226.0/bin/Lsmexif.dll"), 231424 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		struct stat st;
		assert_int_equal(stat(want[i].path, &st), 0);
		assert_int_equal(st.st_size, want[i].size);
	}
}

static void test_noversion_dll(void **state)
{
	struct hfx_version v = { .nparts = 0 };
	char why[128];

	(void)state;
	assert_int_equal(read_path(FIXTURE("tests/data/pe/noversion.dll"), &v,
				   why, sizeof(why)),
			 HFX_PE_NO_VERSION);
	assert_false(hfx_version_known(&v));	/* untouched */
	assert_true(why[0] != '\0');
}

static void test_parse_matches_read(void **state)
{
	static const char *const files[] = {
		FIXTURE("payload/KB899801/bin/Lsmexif.dll"),
		FIXTURE("tests/data/pe/pe32plus.dll"),
		FIXTURE("tests/data/pe/noversion.dll"),
	};

	(void)state;
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		struct hfx_version vr = { .nparts = 0 }, vp = { .nparts = 0 };
		size_t len;
		unsigned char *buf = load_file(files[i], &len);
		enum hfx_pe_result rr = read_path(files[i], &vr, NULL, 0);
		enum hfx_pe_result rp = hfx_pe_version_parse(buf, len, &vp,
							     NULL, 0);

		assert_int_equal(rr, rp);
		if (rr == HFX_PE_VERSION)
			assert_int_equal(hfx_version_cmp(&vr, &vp), 0);
		free(buf);
	}
}

/* --- files that are not PE images ---------------------------------------- */

static void test_not_pe_files(void **state)
{
	static const char text[] = "[hotfix]\nid = KB899801\n";
	static const char mz[] = "MZ";
	char why[128];
	int fd;

	(void)state;
	fd = temp_file(text, sizeof(text) - 1);
	assert_int_equal(read_fd(fd, why, sizeof(why)), HFX_PE_NOT_PE);
	assert_true(why[0] != '\0');
	close(fd);

	fd = temp_file(NULL, 0);
	assert_int_equal(read_fd(fd, why, sizeof(why)), HFX_PE_NOT_PE);
	close(fd);

	fd = temp_file(mz, 2);
	assert_int_equal(read_fd(fd, why, sizeof(why)), HFX_PE_NOT_PE);
	close(fd);

	/* 64 bytes of DOS header and nothing behind e_lfanew */
	unsigned char dos[64] = { 'M', 'Z' };
	put32(dos, 0x3c, 64);
	fd = temp_file(dos, sizeof(dos));
	assert_int_equal(read_fd(fd, why, sizeof(why)), HFX_PE_NOT_PE);
	assert_string_equal(why, "e_lfanew beyond end of file");
	close(fd);

	/* and the same through the buffer reader, also with why == NULL */
	assert_int_equal(hfx_pe_version_parse((const unsigned char *)"", 0,
					      NULL, NULL, 0), HFX_PE_NOT_PE);
	assert_int_equal(hfx_pe_version_parse((const unsigned char *)mz, 2,
					      NULL, why, sizeof(why)),
			 HFX_PE_NOT_PE);
	assert_int_equal(hfx_pe_version_parse((const unsigned char *)text,
					      sizeof(text) - 1, NULL, NULL, 0),
			 HFX_PE_NOT_PE);
	/* a one-byte why buffer is respected */
	char tiny[1] = { 'x' };
	assert_int_equal(hfx_pe_version_parse(dos, sizeof(dos), NULL,
					      tiny, sizeof(tiny)),
			 HFX_PE_NOT_PE);
	assert_int_equal(tiny[0], '\0');
}

static void test_directory_fd(void **state)
{
	enum hfx_pe_result res = HFX_PE_VERSION;
	struct hfx_version v;
	struct hfx_err err;
	char why[128] = "";
	int fd = open(HFX_TOP_SRCDIR, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	(void)state;
	assert_true(fd >= 0);
	hfx_err_clear(&err);
	enum hfx_rc rc = hfx_pe_version_read(fd, "srcdir", &res, &v, why,
					     sizeof(why), &err);
	close(fd);
	/* Either answer is acceptable; a version is not. */
	if (rc == HFX_OK)
		assert_int_equal(res, HFX_PE_NOT_PE);
	else
		assert_int_equal(rc, HFX_ERR_IO);
}

static void test_bad_fd(void **state)
{
	enum hfx_pe_result res;
	struct hfx_version v;
	struct hfx_err err;

	(void)state;
	hfx_err_clear(&err);
	assert_int_equal(hfx_pe_version_read(-1, "nothing", &res, &v, NULL, 0,
					     &err),
			 HFX_ERR_IO);
	assert_int_equal(err.code, HFX_ERR_IO);
	assert_non_null(strstr(err.msg, "nothing"));
}

/* --- truncations ---------------------------------------------------------- */

static void check_truncation(struct fx *fx, int fd, size_t cut)
{
	struct hfx_version v = { .nparts = 0 };
	/* the whole resource directory and the whole version resource */
	size_t need = fx->l.res + fx->l.res_size;
	if (fx->l.vs + fx->l.vs_len > need)
		need = fx->l.vs + fx->l.vs_len;
	char why[256] = "";
	unsigned char *copy = guarded_copy(fx->orig, cut);
	enum hfx_pe_result r = hfx_pe_version_parse(copy, cut, &v, why,
						    sizeof(why));

	guarded_free(copy, cut);

	if (r == HFX_PE_VERSION) {
		/* allowed only when the resource directory and the version
		 * resource are wholly present, and then it must be right */
		if (cut < need)
			fail_msg("cut at %zu (< %zu) read as a version", cut,
				 need);
		assert_version_is(&v, "6.5.7233.26");
	} else {
		assert_true(r == HFX_PE_NOT_PE || r == HFX_PE_NO_VERSION);
		assert_true(why[0] != '\0');
	}

	/* the descriptor reader agrees on the same bytes (rewritten each
	 * time: an earlier, shorter cut lost the tail) */
	assert_int_equal(ftruncate(fd, 0), 0);
	if (cut > 0)
		assert_int_equal(pwrite(fd, fx->orig, cut, 0), (ssize_t)cut);
	assert_int_equal(read_fd(fd, why, sizeof(why)), r);
}

static void test_truncations(void **state)
{
	struct fx *fx = *state;
	const struct layout *l = &fx->l;
	int fd = temp_file(fx->orig, fx->len);
	/* the first and last byte of every structure the walk reads */
	const size_t bounds[][2] = {
		{ 0, 64 },
		{ l->nt, 24 },
		{ l->opt, 96 + 16 * 8 },
		{ l->sections, 40 * (size_t)l->nsections },
		{ l->res, l->res_size },
		{ l->type_entry, 8 },
		{ l->l2, 16 + 8 },
		{ l->l3, 16 + 8 },
		{ l->data_entry, 16 },
		{ l->vs, l->vs_len },
		{ l->fixed, 52 },
	};
	unsigned checked = 0;

	for (size_t cut = 0; cut < fx->len; cut += 509, checked++)
		check_truncation(fx, fd, cut);
	for (size_t i = 0; i < sizeof(bounds) / sizeof(bounds[0]); i++) {
		size_t start = bounds[i][0], end = start + bounds[i][1];
		const size_t cuts[] = { start, start + 1, end - 1, end, end + 1 };
		for (size_t j = 0; j < sizeof(cuts) / sizeof(cuts[0]); j++, checked++)
			if (cuts[j] <= fx->len)
				check_truncation(fx, fd, cuts[j]);
	}
	check_truncation(fx, fd, fx->len - 1);
	check_truncation(fx, fd, fx->len);	/* intact: the version */
	assert_true(checked > 600);
	close(fd);
}

/* --- one broken field at a time ------------------------------------------- */

static void test_headers_broken(void **state)
{
	struct fx *fx = *state;
	const struct layout *l = &fx->l;

	fx_reset(fx);
	fx->buf[1] = 'X';
	fx_expect(fx, "no MZ", HFX_PE_NOT_PE, "MZ");

	fx_reset(fx);
	put32(fx->buf, 0x3c, (uint32_t)fx->len);
	fx_expect(fx, "e_lfanew = size", HFX_PE_NOT_PE, "e_lfanew");
	put32(fx->buf, 0x3c, 0xffffffffu);
	fx_expect(fx, "e_lfanew = 0xffffffff", HFX_PE_NOT_PE, "e_lfanew");
	put32(fx->buf, 0x3c, (uint32_t)fx->len - 4);
	fx_expect(fx, "e_lfanew near the end", HFX_PE_NOT_PE, "e_lfanew");
	put32(fx->buf, 0x3c, 0);
	fx_expect(fx, "e_lfanew = 0", HFX_PE_NOT_PE, "PE signature");

	fx_reset(fx);
	fx->buf[l->nt + 1] = 'X';
	fx_expect(fx, "no PE signature", HFX_PE_NOT_PE, "PE signature");

	fx_reset(fx);
	put16(fx->buf, l->coff + 2, 0xffff);
	fx_expect(fx, "NumberOfSections 0xffff", HFX_PE_NOT_PE,
		  "section table");

	fx_reset(fx);
	put16(fx->buf, l->coff + 2, 0);
	fx_expect(fx, "no sections", HFX_PE_NOT_PE, "outside every section");

	fx_reset(fx);
	put16(fx->buf, l->coff + 16, 0);
	fx_expect(fx, "SizeOfOptionalHeader 0", HFX_PE_NOT_PE, "optional header");
	put16(fx->buf, l->coff + 16, 64);
	fx_expect(fx, "SizeOfOptionalHeader 64", HFX_PE_NOT_PE, "optional header");
	put16(fx->buf, l->coff + 16, 100);	/* entry 2 would end at 136 */
	fx_expect(fx, "SizeOfOptionalHeader 100", HFX_PE_NOT_PE,
		  "data directory");
	put16(fx->buf, l->coff + 16, 0xffff);
	fx_expect(fx, "SizeOfOptionalHeader 0xffff", HFX_PE_NOT_PE, NULL);

	fx_reset(fx);
	put16(fx->buf, l->opt, 0x107);		/* ROM image */
	fx_expect(fx, "optional header magic", HFX_PE_NOT_PE, "magic");

	/* As PE32+ the fields move: NumberOfRvaAndSizes is read at 108,
	 * inside the PE32 data directory, giving garbage but no crash. */
	fx_reset(fx);
	put16(fx->buf, l->opt, 0x20b);
	fx_expect_bad(fx, "PE32 read as PE32+", (char[256]){ 0 }, 256);

	fx_reset(fx);
	put32(fx->buf, l->numrva, 2);
	fx_expect(fx, "NumberOfRvaAndSizes 2", HFX_PE_NO_VERSION, "resource");
	put32(fx->buf, l->numrva, 0);
	fx_expect(fx, "NumberOfRvaAndSizes 0", HFX_PE_NO_VERSION, "resource");
	put32(fx->buf, l->numrva, 0xffffffffu);	/* only entry 2 matters */
	{
		struct hfx_version v;
		assert_int_equal(hfx_pe_version_parse(fx->buf, fx->len, &v,
						      NULL, 0),
				 HFX_PE_VERSION);
		assert_version_is(&v, "6.5.7233.26");
	}
}

static void test_resource_directory_broken(void **state)
{
	struct fx *fx = *state;
	const struct layout *l = &fx->l;

	fx_reset(fx);
	put32(fx->buf, l->res_dd + 4, 0);
	fx_expect(fx, "resource size 0", HFX_PE_NO_VERSION, "no resource");

	fx_reset(fx);
	put32(fx->buf, l->res_dd, 0);
	fx_expect(fx, "resource RVA 0", HFX_PE_NO_VERSION, "no resource");

	fx_reset(fx);
	put32(fx->buf, l->res_dd, 0x7fff0000u);
	fx_expect(fx, "resource RVA outside every section", HFX_PE_NOT_PE,
		  "outside every section");

	fx_reset(fx);
	put32(fx->buf, l->res_dd + 4, 0x7fffffffu);
	fx_expect(fx, "resource size huge", HFX_PE_NOT_PE, "past the end");

	/* The section holding the resources, shrunk or moved. */
	fx_reset(fx);
	put32(fx->buf, l->rsrc_sh + 16, 16);	/* SizeOfRawData */
	fx_expect(fx, "rsrc raw size 16", HFX_PE_NOT_PE, NULL);

	fx_reset(fx);
	put32(fx->buf, l->rsrc_sh + 8, 16);	/* VirtualSize */
	fx_expect(fx, "rsrc virtual size 16", HFX_PE_NOT_PE, NULL);

	fx_reset(fx);
	put32(fx->buf, l->rsrc_sh + 8, 0);	/* 0: same as SizeOfRawData */
	{
		struct hfx_version v;
		char why[128];
		assert_int_equal(hfx_pe_version_parse(fx->buf, fx->len, &v, why,
						      sizeof(why)),
				 HFX_PE_VERSION);
		assert_version_is(&v, "6.5.7233.26");
	}

	fx_reset(fx);
	put32(fx->buf, l->rsrc_sh + 20, 0xfffffe00u);	/* PointerToRawData */
	fx_expect(fx, "rsrc raw data beyond the file", HFX_PE_NOT_PE,
		  "beyond end of file");

	/* Entry counts larger than the resource directory. */
	fx_reset(fx);
	put16(fx->buf, l->res + 14, 0xffff);
	fx_expect(fx, "root: 65535 ID entries", HFX_PE_NOT_PE, "entries");
	fx_reset(fx);
	put16(fx->buf, l->res + 12, 0xffff);
	fx_expect(fx, "root: 65535 named entries", HFX_PE_NOT_PE, "entries");
	fx_reset(fx);
	put16(fx->buf, l->l2 + 14, 0xffff);
	put16(fx->buf, l->l2 + 12, 0xffff);
	fx_expect(fx, "level 2: 131070 entries", HFX_PE_NOT_PE, "entries");

	/* ID entries come after the named ones: counted as named, the
	 * RT_VERSION entry is no longer looked at. */
	fx_reset(fx);
	put16(fx->buf, l->res + 12, 1);
	put16(fx->buf, l->res + 14, 0);
	fx_expect(fx, "RT_VERSION entry counted as named", HFX_PE_NO_VERSION,
		  "RT_VERSION");

	fx_reset(fx);
	put16(fx->buf, l->res + 14, 0);
	fx_expect(fx, "no resource types", HFX_PE_NO_VERSION, "RT_VERSION");

	fx_reset(fx);
	put32(fx->buf, l->type_entry, 3);	/* RT_ICON */
	fx_expect(fx, "only RT_ICON", HFX_PE_NO_VERSION, "RT_VERSION");

	/* Subdirectory flags at each level. */
	fx_reset(fx);
	put32(fx->buf, l->type_entry + 4,
	      get32(fx->buf, l->type_entry + 4) & 0x7fffffffu);
	fx_expect(fx, "type entry not a directory", HFX_PE_NOT_PE, "directory");

	fx_reset(fx);
	put32(fx->buf, l->l2_entry + 4,
	      get32(fx->buf, l->l2_entry + 4) & 0x7fffffffu);
	fx_expect(fx, "name entry not a directory", HFX_PE_NOT_PE, "directory");

	fx_reset(fx);
	put32(fx->buf, l->l3_entry + 4,
	      get32(fx->buf, l->l3_entry + 4) | 0x80000000u);
	fx_expect(fx, "language entry a directory", HFX_PE_NOT_PE, "directory");

	/* Directories pointing at themselves or at their parent. */
	fx_reset(fx);
	put32(fx->buf, l->type_entry + 4, 0x80000000u);
	fx_expect_bad(fx, "type entry points at the root", (char[256]){ 0 }, 256);

	fx_reset(fx);
	put32(fx->buf, l->l2_entry + 4, 0x80000000u | (uint32_t)(l->l2 - l->res));
	fx_expect_bad(fx, "name entry points at itself", (char[256]){ 0 }, 256);

	fx_reset(fx);
	put32(fx->buf, l->l3_entry + 4, (uint32_t)(l->l3 - l->res));
	fx_expect_bad(fx, "language entry points at its directory",
		      (char[256]){ 0 }, 256);

	/* Offsets beyond the resource directory. */
	fx_reset(fx);
	put32(fx->buf, l->type_entry + 4, 0xfffffff0u);
	fx_expect(fx, "type entry offset huge", HFX_PE_NOT_PE,
		  "beyond end of resource directory");
	fx_reset(fx);
	put32(fx->buf, l->l3_entry + 4, l->res_size - 8);
	fx_expect(fx, "data entry straddles the end", HFX_PE_NOT_PE,
		  "beyond end of resource directory");

	/* An empty name directory: well formed, no version. */
	fx_reset(fx);
	put16(fx->buf, l->l2 + 14, 0);
	put16(fx->buf, l->l2 + 12, 0);
	fx_expect(fx, "empty name directory", HFX_PE_NO_VERSION, "empty");
}

static void test_version_block_broken(void **state)
{
	struct fx *fx = *state;
	const struct layout *l = &fx->l;

	fx_reset(fx);
	put32(fx->buf, l->data_entry + 4, 0x10000000u);
	fx_expect(fx, "data entry size beyond the section", HFX_PE_NOT_PE,
		  "past the end of its section");

	fx_reset(fx);
	put32(fx->buf, l->data_entry, 0x7fff0000u);
	fx_expect(fx, "data RVA outside every section", HFX_PE_NOT_PE,
		  "outside every section");

	fx_reset(fx);
	put32(fx->buf, l->data_entry + 4, 0);
	fx_expect(fx, "data entry size 0", HFX_PE_NOT_PE, "too small");

	fx_reset(fx);
	put32(fx->buf, l->data_entry + 4, 60);	/* holds no fixed info */
	fx_expect_bad(fx, "data entry size 60", (char[256]){ 0 }, 256);

	fx_reset(fx);
	put16(fx->buf, l->vs, 0xffff);
	fx_expect(fx, "wLength past the end", HFX_PE_NOT_PE, "wLength");

	fx_reset(fx);
	put16(fx->buf, l->vs, 40);
	fx_expect(fx, "wLength too small for the fixed info", HFX_PE_NOT_PE,
		  "wLength");

	fx_reset(fx);
	put16(fx->buf, l->vs + 2, 0);
	fx_expect(fx, "wValueLength 0", HFX_PE_NO_VERSION, "wValueLength");

	fx_reset(fx);
	put32(fx->buf, l->fixed, 0xFEEF04BCu);
	fx_expect(fx, "bad signature", HFX_PE_NO_VERSION, "signature");

	fx_reset(fx);
	fx->buf[l->vs + 6] = 'X';		/* L"XS_VERSION_INFO" */
	fx_expect(fx, "wrong key", HFX_PE_NO_VERSION, "VS_VERSION_INFO");
}

static void test_version_comes_from_fixed_info(void **state)
{
	struct fx *fx = *state;
	const struct layout *l = &fx->l;
	struct hfx_version v;

	/* dwFileVersionMS/LS are what counts ... */
	fx_reset(fx);
	put32(fx->buf, l->fixed + 8, 0x00070008u);
	assert_int_equal(hfx_pe_version_parse(fx->buf, fx->len, &v, NULL, 0),
			 HFX_PE_VERSION);
	assert_version_is(&v, "7.8.7233.26");

	/* ... not the product version ... */
	fx_reset(fx);
	put32(fx->buf, l->fixed + 16, 0x00090009u);
	put32(fx->buf, l->fixed + 20, 0x00090009u);
	assert_int_equal(hfx_pe_version_parse(fx->buf, fx->len, &v, NULL, 0),
			 HFX_PE_VERSION);
	assert_version_is(&v, "6.5.7233.26");

	/* ... and not a signature found by scanning: a decoy fixed info in
	 * the headers' slack, ahead of the real one, changes nothing. */
	fx_reset(fx);
	size_t decoy = l->sections + 40 * (size_t)l->nsections + 16;
	assert_true(decoy + 52 <= 0x400);
	put32(fx->buf, decoy, 0xFEEF04BDu);
	put32(fx->buf, decoy + 8, 0x00630063u);
	put32(fx->buf, decoy + 12, 0x00630063u);
	assert_int_equal(hfx_pe_version_parse(fx->buf, fx->len, &v, NULL, 0),
			 HFX_PE_VERSION);
	assert_version_is(&v, "6.5.7233.26");
}

/* Deterministic byte flips in the structures the walk reads: whatever the
 * result, no crash and no out-of-range read (run under ASan in CI). */
static void test_byte_flips(void **state)
{
	struct fx *fx = *state;
	const struct layout *l = &fx->l;
	const size_t regions[][2] = {
		{ 0, 0x400 },				/* all headers */
		{ l->res, l->vs + 96 - l->res },	/* resources */
	};
	uint32_t seed = 0x6a09e667u;

	for (int round = 0; round < 4000; round++) {
		fx_reset(fx);
		for (int k = 0; k < 1 + round % 4; k++) {
			seed = seed * 1664525u + 1013904223u;
			size_t which = (seed >> 8) & 1;
			seed = seed * 1664525u + 1013904223u;
			size_t off = regions[which][0] +
				     (seed >> 4) % regions[which][1];
			seed = seed * 1664525u + 1013904223u;
			fx->buf[off] = (unsigned char)(seed >> 24);
		}
		struct hfx_version v;
		char why[64];
		enum hfx_pe_result r = hfx_pe_version_parse(fx->buf, fx->len,
							    &v, why,
							    sizeof(why));
		assert_true(r == HFX_PE_VERSION || r == HFX_PE_NO_VERSION ||
			    r == HFX_PE_NOT_PE);
		if (r == HFX_PE_VERSION)
			assert_int_equal(v.nparts, 4);
	}
}

/* A resource tree built by hand: named type and name entries before the
 * ID entries, and RT_VERSION not first among the types.  The fixtures made
 * by windres have none of this. */
static void test_named_entries_first(void **state)
{
	unsigned char img[0x400];
	const size_t opt = 0x40 + 24, sec = opt + 224, rs = 0x200;
	const uint32_t va = 0x1000;
	struct hfx_version v;
	char why[128];

	(void)state;
	memset(img, 0, sizeof(img));
	img[0] = 'M';
	img[1] = 'Z';
	put32(img, 0x3c, 0x40);
	memcpy(img + 0x40, "PE\0\0", 4);
	put16(img, 0x44, 0x14c);		/* i386 */
	put16(img, 0x46, 1);			/* one section */
	put16(img, 0x54, 224);			/* SizeOfOptionalHeader */
	put16(img, opt, 0x10b);
	put32(img, opt + 92, 16);
	put32(img, opt + 96 + 16, va);		/* resources at the start ... */
	put32(img, opt + 96 + 20, 0x200);	/* ... of the one section */
	memcpy(img + sec, ".rsrc", 5);
	put32(img, sec + 8, 0x200);
	put32(img, sec + 12, va);
	put32(img, sec + 16, 0x200);
	put32(img, sec + 20, rs);

	/* root: 1 named, 2 IDs (3 and 16) */
	put16(img, rs + 12, 1);
	put16(img, rs + 14, 2);
	put32(img, rs + 16, 0x80000000u | 0x100);	/* named, string at 0x100 */
	put32(img, rs + 20, 0x80000000u | 0x40);	/* -> an unrelated dir */
	put32(img, rs + 24, 3);
	put32(img, rs + 28, 0x80000000u | 0x40);
	put32(img, rs + 32, 16);
	put32(img, rs + 36, 0x80000000u | 0x60);
	/* 0x40: an empty directory (the other types) */
	/* 0x60: names under RT_VERSION: one named entry */
	put16(img, rs + 0x60 + 12, 1);
	put32(img, rs + 0x60 + 16, 0x80000000u | 0x108);
	put32(img, rs + 0x60 + 20, 0x80000000u | 0x80);
	/* 0x80: languages: 0x409 -> data entry at 0xa0 */
	put16(img, rs + 0x80 + 14, 1);
	put32(img, rs + 0x80 + 16, 0x409);
	put32(img, rs + 0x80 + 20, 0xa0);
	/* 0xa0: data entry -> VS_VERSIONINFO at 0x120 */
	put32(img, rs + 0xa0, va + 0x120);
	put32(img, rs + 0xa4, 92);
	/* 0x100, 0x108: names (length-prefixed UTF-16) */
	put16(img, rs + 0x100, 1);
	put16(img, rs + 0x102, 'A');
	put16(img, rs + 0x108, 1);
	put16(img, rs + 0x10a, 'B');
	/* 0x120: VS_VERSIONINFO with only the fixed info */
	size_t vs = rs + 0x120;
	put16(img, vs, 92);
	put16(img, vs + 2, 52);
	for (size_t i = 0; i < 16; i++)
		put16(img, vs + 6 + 2 * i,
		      (unsigned char)"VS_VERSION_INFO"[i]);
	put32(img, vs + 40, 0xFEEF04BDu);
	put32(img, vs + 48, 0x00070008u);
	put32(img, vs + 52, 0x0009000au);

	assert_int_equal(hfx_pe_version_parse(img, sizeof(img), &v, why,
					      sizeof(why)),
			 HFX_PE_VERSION);
	assert_version_is(&v, "7.8.9.10");

	/* the same image as PE32+ (optional header 240 bytes, data
	 * directory at 112) */
	unsigned char img64[0x400];
	memset(img64, 0, sizeof(img64));
	memcpy(img64, img, 0x58);		/* DOS + PE + COFF */
	put16(img64, 0x44, 0x8664);
	put16(img64, 0x54, 240);
	put16(img64, opt, 0x20b);
	put32(img64, opt + 108, 16);
	put32(img64, opt + 112 + 16, va);
	put32(img64, opt + 112 + 20, 0x200);
	memcpy(img64 + opt + 240, img + sec, 40);
	memcpy(img64 + rs, img + rs, 0x200);
	assert_int_equal(hfx_pe_version_parse(img64, sizeof(img64), &v, why,
					      sizeof(why)),
			 HFX_PE_VERSION);
	assert_version_is(&v, "7.8.9.10");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fixture_versions),
		cmocka_unit_test(test_fixture_sizes),
		cmocka_unit_test(test_noversion_dll),
		cmocka_unit_test(test_parse_matches_read),
		cmocka_unit_test(test_not_pe_files),
		cmocka_unit_test(test_directory_fd),
		cmocka_unit_test(test_bad_fd),
		cmocka_unit_test(test_named_entries_first),
		cmocka_unit_test_setup_teardown(test_truncations, fx_setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(test_headers_broken, fx_setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(test_resource_directory_broken,
						fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_version_block_broken,
						fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(
			test_version_comes_from_fixed_info, fx_setup,
			fx_teardown),
		cmocka_unit_test_setup_teardown(test_byte_flips, fx_setup,
						fx_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
