/*
 * fuzz_package.c -- libFuzzer target for the .hfx container reader.
 *
 * Exercises: the input as a whole package file (written to a memfd, a
 * regular file as hfx_pkg_open() requires) through hfx_pkg_open(),
 * hfx_pkg_read_head() and, when the manifest member parses as a packaged
 * manifest, hfx_pkg_read_payload() with a sink that keeps nothing.  That
 * is libarchive's gzip/xz/zstd decoders and tar parser as package.c
 * drives them, the member order, type, name, size and duplicate checks,
 * the per-member SHA-256 check and the end-of-archive/trailer checks.
 *
 * The signature is deliberately NOT verified here.  Verifying it would
 * stop every input at the signature, and both halves of the reader are
 * reachable by an attacker without a signing key: hfx_pkg_open() and
 * hfx_pkg_read_head() run on any file before the signature is checked,
 * and hfx_pkg_read_payload() runs on the members that follow a genuine
 * manifest and signature, which anyone can copy from a published package
 * and follow with members of their own.  So the manifest here is simply
 * taken as if it had been verified.
 *
 * Properties asserted (besides "no sanitizer report, no leak"):
 *  - every refusal is HFX_ERR_PACKAGE with "package fuzz.hfx rejected: "
 *    in front of the message (or out of memory), and the error record
 *    holds the returned code;
 *  - the sink protocol: write() and close() only for the member open()
 *    was last called for; no file is opened twice; write() gets exactly
 *    the member's bytes, in order, never more than the manifest's size;
 *    close() only after all of them;
 *  - a package read to the end delivered every [file] of the manifest:
 *    open() once for each, close() once for each wanted one;
 *  - nothing may follow the tar stream but zero padding: an accepted gzip
 *    package whose decompressed stream gets one non-zero byte appended
 *    (and is compressed again) is refused (see check_appended_byte()).
 *
 * Mutating compressed bytes mostly exercises the decompressor: a changed
 * byte inside gzip data rarely survives the CRC.  The custom mutator below
 * therefore, for most gzip inputs, inflates the input, mutates the tar
 * stream inside and deflates it again, so the tar and member checks see
 * structured mutations; the rest of the time (and for xz and zstd inputs)
 * it mutates the raw bytes, which keeps the decoders and the trailer
 * checks under fire too.
 */
#include "fuzz.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <zlib.h>

#include "error.h"
#include "manifest.h"
#include "package.h"

#define LABEL "fuzz.hfx"
#define REJECTED "package " LABEL " rejected: "

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
size_t LLVMFuzzerMutate(uint8_t *data, size_t size, size_t max_size);
size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size,
			       unsigned int seed);

/* What the sink has seen, per manifest file and overall. */
struct sink_state {
	const struct hfx_manifest *m;
	unsigned *opened, *closed;
	const struct hfx_manifest_file *cur;	/* last opened */
	bool cur_wanted;
	uint64_t written;			/* bytes of cur so far */
};

static size_t file_index(const struct sink_state *s,
			 const struct hfx_manifest_file *f)
{
	FUZZ_CHECK(f >= s->m->files && f < s->m->files + s->m->nfiles,
		   "sink given a file that is not in the manifest");
	return (size_t)(f - s->m->files);
}

static enum hfx_rc sink_open(void *ud, const struct hfx_manifest_file *f,
			     bool *want, struct hfx_err *err)
{
	struct sink_state *s = ud;
	size_t i = file_index(s, f);

	(void)err;
	FUZZ_CHECK(s->opened[i] == 0, "payload/%s opened twice", f->target);
	s->opened[i]++;
	s->cur = f;
	s->written = 0;
	/* Take every other file, so both the "wanted" and the "hash and
	 * drop" paths of the reader run. */
	s->cur_wanted = i % 2 == 0;
	*want = s->cur_wanted;
	return HFX_OK;
}

static enum hfx_rc sink_write(void *ud, const struct hfx_manifest_file *f,
			      const void *buf, size_t len, struct hfx_err *err)
{
	struct sink_state *s = ud;
	volatile unsigned char touch = 0;

	(void)err;
	FUZZ_CHECK(f == s->cur && s->cur_wanted,
		   "write() for payload/%s, which is not the open, wanted member",
		   f->target);
	FUZZ_CHECK(len <= f->size - s->written,
		   "payload/%s: %llu + %zu bytes written, manifest says %llu",
		   f->target, (unsigned long long)s->written, len,
		   (unsigned long long)f->size);
	/* Read the bytes (the sink "writes nowhere"), so ASan checks that
	 * the block handed over is really `len` bytes. */
	for (size_t i = 0; i < len; i++)
		touch ^= ((const unsigned char *)buf)[i];
	(void)touch;
	s->written += len;
	return HFX_OK;
}

static enum hfx_rc sink_close(void *ud, const struct hfx_manifest_file *f,
			      struct hfx_err *err)
{
	struct sink_state *s = ud;
	size_t i = file_index(s, f);

	(void)err;
	FUZZ_CHECK(f == s->cur && s->cur_wanted,
		   "close() for payload/%s, which is not the open, wanted member",
		   f->target);
	FUZZ_CHECK(s->written == f->size,
		   "payload/%s closed after %llu of %llu bytes", f->target,
		   (unsigned long long)s->written, (unsigned long long)f->size);
	FUZZ_CHECK(s->closed[i] == 0, "payload/%s closed twice", f->target);
	s->closed[i]++;
	s->cur = NULL;
	return HFX_OK;
}

/* A refusal must be a package rejection naming the package. */
static void check_refusal(enum hfx_rc rc, const struct hfx_err *err,
			  const char *step)
{
	FUZZ_CHECK(err->code == rc, "%s returned %d, recorded %d", step,
		   (int)rc, (int)err->code);
	FUZZ_CHECK(rc == HFX_ERR_PACKAGE || rc == HFX_ERR_NOMEM,
		   "%s: unexpected code %d: %s", step, (int)rc, err->msg);
	if (rc == HFX_ERR_PACKAGE)
		FUZZ_CHECK(fuzz_has_prefix(err->msg, REJECTED),
			   "%s: message does not name the package: %s", step,
			   err->msg);
}

static bool read_payload(struct hfx_pkg *pkg, const struct hfx_manifest *m)
{
	struct sink_state s = { .m = m };
	struct hfx_pkg_sink sink = {
		.open = sink_open, .write = sink_write, .close = sink_close,
		.ud = &s,
	};
	struct hfx_err err;
	enum hfx_rc rc = HFX_ERR_NOMEM;

	s.opened = calloc(m->nfiles, sizeof(*s.opened));
	s.closed = calloc(m->nfiles, sizeof(*s.closed));
	if (!s.opened || !s.closed)
		goto out;
	hfx_err_clear(&err);
	rc = hfx_pkg_read_payload(pkg, m, &sink, &err);
	if (rc != HFX_OK) {
		check_refusal(rc, &err, "hfx_pkg_read_payload");
		goto out;
	}
	for (size_t i = 0; i < m->nfiles; i++) {
		FUZZ_CHECK(s.opened[i] == 1,
			   "package accepted, but payload/%s was never delivered",
			   m->files[i].target);
		FUZZ_CHECK(s.closed[i] == (i % 2 == 0 ? 1u : 0u),
			   "package accepted, payload/%s closed %u times",
			   m->files[i].target, s.closed[i]);
	}
out:
	free(s.opened);
	free(s.closed);
	return rc == HFX_OK;
}

/* ---- gzip helpers (the mutator and the appended-byte check) ----------- */

#define INFLATED_MAX (1u << 20)	/* larger tar streams are mutated raw */

static size_t gunzip(const uint8_t *in, size_t in_len, uint8_t *out,
		     size_t out_cap)
{
	z_stream z = { 0 };
	size_t n = 0;
	int r;

	if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK)
		return 0;
	z.next_in = (Bytef *)in;
	z.avail_in = (uInt)in_len;
	z.next_out = out;
	z.avail_out = (uInt)out_cap;
	r = inflate(&z, Z_FINISH);
	if (r == Z_STREAM_END)
		n = z.total_out;
	inflateEnd(&z);
	return n;
}

static size_t gzip(const uint8_t *in, size_t in_len, uint8_t *out,
		   size_t out_cap)
{
	z_stream z = { 0 };
	size_t n = 0;

	/* Fastest level, 1 KiB window, least memory: the ratio does not
	 * matter, allocating zlib's default 256 KiB of state for every
	 * mutation would (it costs more than running the input). */
	if (deflateInit2(&z, 1, Z_DEFLATED, 16 + 10, 1,
			 Z_DEFAULT_STRATEGY) != Z_OK)
		return 0;
	z.next_in = (Bytef *)in;
	z.avail_in = (uInt)in_len;
	z.next_out = out;
	z.avail_out = (uInt)out_cap;
	if (deflate(&z, Z_FINISH) == Z_STREAM_END)
		n = z.total_out;
	deflateEnd(&z);
	return n;
}

/* ---- the target -------------------------------------------------------- */

/* The reader as install.c drives it, minus the signature check.  True
 * when the package is accepted to the end. */
static bool read_package(const uint8_t *data, size_t size)
{
	struct hfx_pkg *pkg = NULL;
	struct hfx_manifest *m = NULL;
	const char *mtext;
	const unsigned char *sig;
	size_t mlen, siglen;
	volatile unsigned char touch = 0;
	struct hfx_err err;
	enum hfx_rc rc;
	bool accepted = false;
	int fd = memfd_create("fuzz.hfx", MFD_CLOEXEC);

	FUZZ_CHECK(fd >= 0, "memfd_create failed");
	if (size && write(fd, data, size) != (ssize_t)size) {
		close(fd);
		return false;
	}
	lseek(fd, 0, SEEK_SET);

	hfx_err_clear(&err);
	rc = hfx_pkg_open(fd, LABEL, &pkg, &err);
	if (rc != HFX_OK) {
		FUZZ_CHECK(pkg == NULL, "open refused, but left a reader");
		check_refusal(rc, &err, "hfx_pkg_open");
		goto out;
	}
	rc = hfx_pkg_read_head(pkg, &mtext, &mlen, &sig, &siglen, &err);
	if (rc != HFX_OK) {
		check_refusal(rc, &err, "hfx_pkg_read_head");
		goto out;
	}
	/* Both buffers must be as long as they say. */
	for (size_t i = 0; i < mlen; i++)
		touch ^= (unsigned char)mtext[i];
	for (size_t i = 0; i < siglen; i++)
		touch ^= sig[i];
	(void)touch;

	/* Here install.c verifies `sig` over `mtext`; see the header. */
	if (hfx_manifest_parse(mtext, mlen, "manifest.ini",
			       HFX_MANIFEST_PACKAGED, &m, &err) != HFX_OK)
		goto out;
	accepted = read_payload(pkg, m);
out:
	hfx_manifest_free(m);
	hfx_pkg_close(pkg);
	close(fd);
	return accepted;
}

/*
 * An accepted gzip package, decompressed, with one non-zero byte appended
 * and compressed again, must be refused: the byte is either after the tar
 * end marker (garbage, which only zero padding may be) or inside a tar
 * stream that lacks its end (truncation).  Nothing the signature covers
 * changes, so an attacker can do this to any published package.
 */
static void check_appended_byte(const uint8_t *data, size_t size)
{
	uint8_t *plain = malloc(INFLATED_MAX + 1), *packed = NULL;
	size_t n, out;

	if (!plain)
		return;
	n = gunzip(data, size, plain, INFLATED_MAX);
	if (n == 0)
		goto done;	/* not one clean gzip member, or too large */
	plain[n++] = 'X';
	packed = malloc(n + n / 2 + 1024);
	if (!packed)
		goto done;
	out = gzip(plain, n, packed, n + n / 2 + 1024);
	if (out)
		FUZZ_CHECK(!read_package(packed, out),
			   "package accepted with a byte appended to its tar stream (%zu bytes decompressed)",
			   n - 1);
done:
	free(packed);
	free(plain);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (read_package(data, size) && size >= 2 && data[0] == 0x1f &&
	    data[1] == 0x8b)
		check_appended_byte(data, size);
	return 0;
}

/* ---- custom mutator: mutate inside the gzip layer ----------------------- */

size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size,
			       unsigned int seed)
{
	static uint8_t *plain, *packed;
	static size_t packed_cap;
	size_t n, out;

	/* One time in four, or when the input is not gzip: raw bytes. */
	if (seed % 4 == 0 || size < 18 || data[0] != 0x1f || data[1] != 0x8b)
		return LLVMFuzzerMutate(data, size, max_size);
	if (!plain && !(plain = malloc(INFLATED_MAX)))
		return LLVMFuzzerMutate(data, size, max_size);
	if (packed_cap < max_size) {	/* max_size grows during a run */
		free(packed);
		packed_cap = 0;
		if (!(packed = malloc(max_size)))
			return LLVMFuzzerMutate(data, size, max_size);
		packed_cap = max_size;
	}
	n = gunzip(data, size, plain, INFLATED_MAX);
	if (n == 0)
		return LLVMFuzzerMutate(data, size, max_size);
	n = LLVMFuzzerMutate(plain, n, INFLATED_MAX);
	out = gzip(plain, n, packed, max_size);
	if (out == 0)	/* did not fit max_size once compressed */
		return LLVMFuzzerMutate(data, size, max_size);
	memcpy(data, packed, out);
	return out;
}
