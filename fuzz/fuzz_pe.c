/*
 * fuzz_pe.c -- libFuzzer target for the PE version reader.
 *
 * Exercises: hfx_pe_version_parse() on the input as a whole file image:
 * DOS and PE headers, PE32/PE32+ optional header, section table, RVA
 * mapping, the three resource directory levels and VS_VERSIONINFO.  Any
 * file under a product directory reaches this code (`hfx fileversion`,
 * query, install), so it must survive arbitrary bytes.
 *
 * Properties asserted (besides "no sanitizer report"):
 *  - the result is one of the three documented values; a version result
 *    carries a known four-part version and an empty reason, the others a
 *    non-empty NUL-terminated reason;
 *  - the reason buffer is only an output: parsing with no buffer, or with
 *    a one-byte buffer, gives the same result and version;
 *  - the buffer reader and the descriptor reader agree: the same bytes in
 *    a memfd read with hfx_pe_version_read() give the same result and
 *    version (pe.c promises the fuzzed walk is the one real files get).
 */
#include "fuzz.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "error.h"
#include "pe.h"
#include "version.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int same_version(const struct hfx_version *a,
			const struct hfx_version *b)
{
	return a->nparts == b->nparts &&
	       memcmp(a->part, b->part, sizeof(a->part)) == 0;
}

/* The same bytes through the descriptor reader. */
static void check_fd_reader(const uint8_t *data, size_t size,
			    enum hfx_pe_result want,
			    const struct hfx_version *want_version)
{
	struct hfx_version v = { 0 };
	enum hfx_pe_result r;
	struct hfx_err err;
	char why[256];
	int fd = memfd_create("fuzz_pe", MFD_CLOEXEC);

	if (fd < 0)
		return;		/* no memfd here: nothing to compare */
	if (size && write(fd, data, size) != (ssize_t)size) {
		close(fd);
		return;
	}
	hfx_err_clear(&err);
	FUZZ_CHECK(hfx_pe_version_read(fd, "fuzz.dll", &r, &v, why, sizeof(why),
				       &err) == HFX_OK,
		   "reading a memfd failed: %s", err.msg);
	FUZZ_CHECK(r == want, "buffer reader says %d, descriptor reader %d (%s)",
		   (int)want, (int)r, why);
	if (r == HFX_PE_VERSION)
		FUZZ_CHECK(same_version(&v, want_version),
			   "the two readers found different versions");
	close(fd);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hfx_version v = { 0 }, v2 = { 0 }, v3 = { 0 };
	enum hfx_pe_result r, r2, r3;
	char why[256], tiny[1];

	memset(why, 'x', sizeof(why));
	r = hfx_pe_version_parse(data, size, &v, why, sizeof(why));
	FUZZ_CHECK(r == HFX_PE_VERSION || r == HFX_PE_NO_VERSION ||
		   r == HFX_PE_NOT_PE, "result %d", (int)r);
	FUZZ_CHECK(memchr(why, '\0', sizeof(why)) != NULL,
		   "reason not NUL-terminated");
	if (r == HFX_PE_VERSION) {
		FUZZ_CHECK(v.nparts == 4, "a PE version has %u parts",
			   (unsigned)v.nparts);
		FUZZ_CHECK(why[0] == '\0', "version found, yet a reason: %s",
			   why);
	} else {
		FUZZ_CHECK(why[0] != '\0', "result %d without a reason", (int)r);
	}

	r2 = hfx_pe_version_parse(data, size, &v2, NULL, 0);
	r3 = hfx_pe_version_parse(data, size, &v3, tiny, sizeof(tiny));
	FUZZ_CHECK(r2 == r && r3 == r, "results %d / %d / %d depending on the reason buffer",
		   (int)r, (int)r2, (int)r3);
	FUZZ_CHECK(tiny[0] == '\0', "one-byte reason not terminated");
	if (r == HFX_PE_VERSION)
		FUZZ_CHECK(same_version(&v, &v2) && same_version(&v, &v3),
			   "version depends on the reason buffer");

	check_fd_reader(data, size, r, &v);
	return 0;
}
