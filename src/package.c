/*
 * package.c -- streaming reader and writer of .hfx packages (libarchive).
 *
 * The reader stacks two libarchive readers:
 *
 *   outer: the file -> gzip|xz|zstd decompression -> "raw" format, i.e. the
 *          plain decompressed byte stream;
 *   inner: the tar parser, fed by a read callback that pulls blocks from
 *          the outer reader.
 *
 * Splitting them is what lets us see the bytes the tar parser does not:
 * after the tar end-of-archive marker, the rest of the decompressed stream
 * is drained and must be zero padding (at most HFX_TRAILER_MAX bytes), the
 * decompressor must reach a clean end, and it must have consumed the whole
 * file -- so garbage appended to a package, inside or outside the
 * compression, rejects it.  It also restricts compression to the three
 * documented filters and refuses an uncompressed or doubly compressed file.
 *
 * Member names are compared byte for byte against the names the manifest
 * allows ("payload/" + target, targets being clean relative paths), which
 * is stricter than libarchive's ARCHIVE_EXTRACT_SECURE_* flags: an
 * absolute name, a ".." component, a backslash or a newline simply never
 * matches, and is reported as an unexpected member.  We never call
 * archive_write_disk: where a member's bytes go is the sink's decision.
 */
#include "package.h"
#include "fsutil.h"
#include "signature.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#define HFX_READ_BLOCK (256u << 10)
#define HFX_TRAILER_MAX (1u << 20)	/* zero padding allowed after the tar */

struct hfx_pkg {
	int fd;
	char *label;
	uint64_t file_size;
	struct archive *outer, *inner;
	char outer_err[512];	/* why the outer reader failed, if it did */
	const unsigned char *last;	/* the block last given to the tar reader */
	size_t last_len;
	unsigned char prev_tail[1024];	/* the end of the block before it */
	size_t prev_tail_len;
	uint64_t delivered;	/* decompressed bytes given to the tar reader */
	char *manifest;
	size_t manifest_len;
	unsigned char *sig;
	size_t sig_len;
	int stage;		/* 0 opened, 1 head read, 2 payload read */
};

/* Member names are attacker-controlled: print them escaped and bounded. */
static const char *show_name(const char *name, char *buf, size_t len)
{
	size_t o = 0;

	if (!name)
		return "(unreadable name)";
	for (const unsigned char *p = (const unsigned char *)name;
	     *p && o + 8 < len; p++) {
		/* control bytes, DEL, C1 and any non-ASCII byte: a name may
		 * be invalid UTF-8 or carry terminal escapes */
		if (*p < 0x20 || *p >= 0x7f || *p == '\\')
			o += (size_t)snprintf(buf + o, len - o, "\\x%02x", *p);
		else
			buf[o++] = (char)*p;
		if (o > 120 && p[1]) {
			o += (size_t)snprintf(buf + o, len - o, "...");
			break;
		}
	}
	buf[o] = '\0';
	return buf;
}

static enum hfx_rc reject(struct hfx_pkg *pkg, struct hfx_err *err,
			  const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static enum hfx_rc reject(struct hfx_pkg *pkg, struct hfx_err *err,
			  const char *fmt, ...)
{
	char msg[768];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return hfx_err_set(err, HFX_ERR_PACKAGE, "package %s rejected: %s",
			   pkg->label, msg);
}

/* The reason a libarchive call failed, preferring the outer reader's,
 * which is the real cause when the tar parser only saw a short read. */
static const char *archive_reason(struct hfx_pkg *pkg)
{
	if (pkg->outer_err[0])
		return pkg->outer_err;	/* set with its explanation, see inner_read */
	if (archive_error_string(pkg->inner))
		return archive_error_string(pkg->inner);
	return "unknown archive error";
}

static la_ssize_t inner_read(struct archive *a, void *ud, const void **buf)
{
	struct hfx_pkg *pkg = ud;
	size_t size = 0;
	la_int64_t offset;
	int r;

	for (;;) {
		r = archive_read_data_block(pkg->outer, buf, &size, &offset);
		if (r == ARCHIVE_EOF)
			return 0;
		if (r != ARCHIVE_OK) {
			/* The tar reader only sees a short read; the cause
			 * is in the compressed stream, not in a member. */
			snprintf(pkg->outer_err, sizeof(pkg->outer_err),
				 "the compressed data is truncated, damaged or followed by garbage (%s)",
				 archive_error_string(pkg->outer)
					 ? archive_error_string(pkg->outer)
					 : "decompression failed");
			archive_set_error(a, EIO, "%s", pkg->outer_err);
			return -1;
		}
		if (size) {
			if (pkg->last_len) {
				size_t keep = pkg->last_len < sizeof(pkg->prev_tail)
						      ? pkg->last_len
						      : sizeof(pkg->prev_tail);

				memcpy(pkg->prev_tail, pkg->last + pkg->last_len - keep,
				       keep);
				pkg->prev_tail_len = keep;
			}
			pkg->last = *buf;
			pkg->last_len = size;
			pkg->delivered += size;
			return (la_ssize_t)size;
		}
	}
}

enum hfx_rc hfx_pkg_open(int fd, const char *label, struct hfx_pkg **out,
			 struct hfx_err *err)
{
	struct hfx_pkg *pkg = calloc(1, sizeof(*pkg));
	struct archive_entry *entry;
	struct stat st;
	int code;

	*out = NULL;
	if (!pkg || !(pkg->label = strdup(label))) {
		free(pkg);
		return hfx_err_set(err, HFX_ERR_NOMEM, "out of memory");
	}
	pkg->fd = fd;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		hfx_pkg_close(pkg);
		return hfx_err_set(err, HFX_ERR_PACKAGE,
				   "package %s rejected: not a regular file",
				   label);
	}
	pkg->file_size = (uint64_t)st.st_size;
	pkg->outer = archive_read_new();
	pkg->inner = archive_read_new();
	if (!pkg->outer || !pkg->inner) {
		hfx_pkg_close(pkg);
		return hfx_err_set(err, HFX_ERR_NOMEM, "out of memory");
	}
	archive_read_support_filter_gzip(pkg->outer);
	archive_read_support_filter_xz(pkg->outer);
	archive_read_support_filter_zstd(pkg->outer);
	archive_read_support_format_raw(pkg->outer);
	if (archive_read_open_fd(pkg->outer, fd, HFX_READ_BLOCK) != ARCHIVE_OK ||
	    archive_read_next_header(pkg->outer, &entry) != ARCHIVE_OK) {
		enum hfx_rc rc = reject(pkg, err, "cannot read it (truncated, or not a gzip, xz or zstd stream): %s",
					archive_error_string(pkg->outer)
						? archive_error_string(pkg->outer)
						: "empty file");
		hfx_pkg_close(pkg);
		return rc;
	}
	/* Filter 0 is the decompressor; the last one reads the file. */
	code = archive_filter_code(pkg->outer, 0);
	if (archive_filter_count(pkg->outer) != 2 ||
	    (code != ARCHIVE_FILTER_GZIP && code != ARCHIVE_FILTER_XZ &&
	     code != ARCHIVE_FILTER_ZSTD)) {
		enum hfx_rc rc = reject(pkg, err,
					archive_filter_count(pkg->outer) > 2
						? "compressed more than once"
						: "not compressed with gzip, xz or zstd");
		hfx_pkg_close(pkg);
		return rc;
	}
	archive_read_support_format_tar(pkg->inner);
	if (archive_read_open2(pkg->inner, pkg, NULL, inner_read, NULL, NULL) !=
	    ARCHIVE_OK) {
		enum hfx_rc rc = reject(pkg, err, "not a tar archive: %s",
					archive_reason(pkg));
		hfx_pkg_close(pkg);
		return rc;
	}
	*out = pkg;
	return HFX_OK;
}

/* Next member header, checked to be a plain regular file in a ustar/pax
 * archive.  Returns HFX_OK with *entry, HFX_ERR_NOT_FOUND at the end. */
static enum hfx_rc next_member(struct hfx_pkg *pkg, struct archive_entry **entry,
			       struct hfx_err *err)
{
	char shown[512];
	const char *name;
	int r, fmt;

	r = archive_read_next_header(pkg->inner, entry);
	if (r == ARCHIVE_EOF)
		return HFX_ERR_NOT_FOUND;
	if (r != ARCHIVE_OK)
		return reject(pkg, err, "damaged or truncated archive: %s",
			      archive_reason(pkg));
	fmt = archive_format(pkg->inner);
	if (fmt != ARCHIVE_FORMAT_TAR_USTAR &&
	    fmt != ARCHIVE_FORMAT_TAR_PAX_INTERCHANGE &&
	    fmt != ARCHIVE_FORMAT_TAR_PAX_RESTRICTED)
		return reject(pkg, err, "only ustar and pax archives are accepted, not '%s'",
			      archive_format_name(pkg->inner)
				      ? archive_format_name(pkg->inner)
				      : "an unknown");
	name = archive_entry_pathname(*entry);
	show_name(name, shown, sizeof(shown));
	if (archive_entry_hardlink(*entry))
		return reject(pkg, err, "member '%s' is a hard link", shown);
	if (archive_entry_filetype(*entry) != AE_IFREG) {
		static const struct {
			unsigned type;
			const char *what;
		} types[] = {
			{ AE_IFLNK, "a symbolic link" }, { AE_IFDIR, "a directory" },
			{ AE_IFCHR, "a character device" },
			{ AE_IFBLK, "a block device" }, { AE_IFIFO, "a fifo" },
			{ AE_IFSOCK, "a socket" },
		};
		const char *what = "not a regular file";

		for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
			if (archive_entry_filetype(*entry) == types[i].type)
				what = types[i].what;
		return reject(pkg, err, "member '%s' is %s", shown, what);
	}
	if (!name)
		return reject(pkg, err, "member with an unreadable name");
	if (archive_entry_sparse_count(*entry) > 0)
		return reject(pkg, err, "member '%s' is a sparse file", shown);
	if (!archive_entry_size_is_set(*entry) || archive_entry_size(*entry) < 0)
		return reject(pkg, err, "member '%s' has no size", shown);
	return HFX_OK;
}

/* Hash the current member's data and hand it to `sink` (a payload file)
 * or copy it to `mem` (manifest, signature); checks it is exactly `size`
 * bytes. */
static enum hfx_rc member_data(struct hfx_pkg *pkg, const char *name,
			       char *mem, uint64_t size,
			       unsigned char sha[HFX_SHA256_LEN],
			       const struct hfx_pkg_sink *sink,
			       const struct hfx_manifest_file *f,
			       struct hfx_err *err)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	uint64_t done = 0;
	enum hfx_rc rc = HFX_OK;

	if (!md || !EVP_DigestInit_ex(md, EVP_sha256(), NULL)) {
		EVP_MD_CTX_free(md);
		return hfx_err_set(err, HFX_ERR_NOMEM, "cannot start SHA-256");
	}
	for (;;) {
		const void *buf;
		size_t len;
		la_int64_t off;
		int r = archive_read_data_block(pkg->inner, &buf, &len, &off);

		if (r == ARCHIVE_EOF)
			break;
		if (r != ARCHIVE_OK) {
			rc = pkg->outer_err[0]
				     ? reject(pkg, err, "while reading member '%s': %s",
					      name, pkg->outer_err)
				     : reject(pkg, err, "member '%s' is damaged or truncated: %s",
					      name, archive_reason(pkg));
			break;
		}
		if ((uint64_t)off != done || len > size - done) {
			rc = reject(pkg, err, "member '%s' holds more data than its size",
				    name);
			break;
		}
		EVP_DigestUpdate(md, buf, len);
		if (mem)
			memcpy(mem + done, buf, len);
		if (sink) {
			rc = sink->write(sink->ud, f, buf, len, err);
			if (rc != HFX_OK)
				break;
		}
		done += len;
	}
	if (rc == HFX_OK && done != size)
		rc = reject(pkg, err, "member '%s' is truncated (%llu of %llu bytes)",
			    name, (unsigned long long)done,
			    (unsigned long long)size);
	if (rc == HFX_OK && sha)
		EVP_DigestFinal_ex(md, sha, NULL);
	EVP_MD_CTX_free(md);
	return rc;
}

static enum hfx_rc read_small_member(struct hfx_pkg *pkg, const char *want,
				     size_t max, char **out, size_t *out_len,
				     struct hfx_err *err)
{
	struct archive_entry *entry;
	char shown[512];
	enum hfx_rc rc;
	uint64_t size;

	rc = next_member(pkg, &entry, err);
	if (rc == HFX_ERR_NOT_FOUND)
		return reject(pkg, err, "%s is missing", want);
	if (rc != HFX_OK)
		return rc;
	if (strcmp(archive_entry_pathname(entry), want) != 0)
		return reject(pkg, err,
			      "member '%s' found where %s must be (members must be manifest.ini, manifest.sig, then payload/...)",
			      show_name(archive_entry_pathname(entry), shown,
					sizeof(shown)),
			      want);
	size = (uint64_t)archive_entry_size(entry);
	if (size > max)
		return reject(pkg, err, "%s is %llu bytes, over the %zu-byte limit",
			      want, (unsigned long long)size, max);
	*out = malloc((size_t)size + 1);
	if (!*out)
		return hfx_err_set(err, HFX_ERR_NOMEM, "out of memory");
	rc = member_data(pkg, want, *out, size, NULL, NULL, NULL, err);
	if (rc != HFX_OK)
		return rc;
	(*out)[size] = '\0';
	*out_len = (size_t)size;
	return HFX_OK;
}

enum hfx_rc hfx_pkg_read_head(struct hfx_pkg *pkg, const char **manifest,
			      size_t *manifest_len, const unsigned char **sig,
			      size_t *sig_len, struct hfx_err *err)
{
	enum hfx_rc rc;

	if (pkg->stage != 0)
		return hfx_err_set(err, HFX_ERR_FAILED,
				   "internal: package head read twice");
	rc = read_small_member(pkg, "manifest.ini", HFX_MANIFEST_MAX,
			       &pkg->manifest, &pkg->manifest_len, err);
	if (rc == HFX_OK)
		rc = read_small_member(pkg, "manifest.sig", HFX_SIGNATURE_MAX,
				       (char **)&pkg->sig, &pkg->sig_len, err);
	if (rc != HFX_OK)
		return rc;
	pkg->stage = 1;
	*manifest = pkg->manifest;
	*manifest_len = pkg->manifest_len;
	*sig = pkg->sig;
	*sig_len = pkg->sig_len;
	return HFX_OK;
}

/* After the tar end marker: only zero padding may follow, the decompressor
 * must end cleanly and must have used the whole file. */
static enum hfx_rc check_trailer(struct hfx_pkg *pkg, struct hfx_err *err)
{
	uint64_t trailing = 0, used;
	int64_t consumed;

	/* The tar reader stops at its end marker; whatever follows it in
	 * the block it was handed (inside the compression) has to be zero
	 * padding as well.  The reader never looks further ahead than the
	 * block it was last given, so that block holds all of it; if it ever
	 * did not, fail closed. */
	used = (uint64_t)archive_filter_bytes(pkg->inner, 0);
	if (used > pkg->delivered || pkg->delivered - used > pkg->last_len)
		return reject(pkg, err, "cannot check what follows the end of the archive");
	for (size_t i = pkg->last_len - (size_t)(pkg->delivered - used);
	     i < pkg->last_len; i++)
		if (pkg->last[i])
			return reject(pkg, err, "garbage after the end of the archive");
	trailing = pkg->delivered - used;
	/* libarchive also ends quietly where a tar simply stops after its
	 * last member; a complete one ends with two zero blocks. */
	{
		size_t in_last = pkg->last_len - (size_t)(pkg->delivered - used);
		size_t from_prev = in_last < 1024 ? 1024 - in_last : 0;
		bool zero = used >= 1024 && from_prev <= pkg->prev_tail_len;

		for (size_t i = 0; zero && i < from_prev; i++)
			zero = !pkg->prev_tail[pkg->prev_tail_len - from_prev + i];
		for (size_t i = in_last - (in_last < 1024 ? in_last : 1024);
		     zero && i < in_last; i++)
			zero = !pkg->last[i];
		if (!zero)
			return reject(pkg, err, "the archive is truncated (no end-of-archive marker)");
	}

	for (;;) {
		const void *buf;
		size_t len;
		la_int64_t off;
		int r = archive_read_data_block(pkg->outer, &buf, &len, &off);

		if (r == ARCHIVE_EOF)
			break;
		if (r != ARCHIVE_OK)
			return reject(pkg, err, "damaged compressed data after the archive: %s",
				      archive_error_string(pkg->outer)
					      ? archive_error_string(pkg->outer)
					      : "decompression failed");
		for (size_t i = 0; i < len; i++)
			if (((const unsigned char *)buf)[i])
				return reject(pkg, err, "garbage after the end of the archive");
		trailing += len;
		if (trailing > HFX_TRAILER_MAX)
			return reject(pkg, err, "more than %u bytes of padding after the archive",
				      HFX_TRAILER_MAX);
	}
	consumed = archive_filter_bytes(pkg->outer, -1);
	if (consumed >= 0 && (uint64_t)consumed != pkg->file_size)
		return reject(pkg, err,
			      "%llu bytes of garbage after the compressed data",
			      (unsigned long long)(pkg->file_size - (uint64_t)consumed));
	return HFX_OK;
}

enum hfx_rc hfx_pkg_read_payload(struct hfx_pkg *pkg,
				 const struct hfx_manifest *m,
				 const struct hfx_pkg_sink *sink,
				 struct hfx_err *err)
{
	bool *seen = calloc(m->nfiles ? m->nfiles : 1, sizeof(*seen));
	enum hfx_rc rc = HFX_OK;
	char shown[512];

	if (!seen)
		return hfx_err_set(err, HFX_ERR_NOMEM, "out of memory");
	if (pkg->stage != 1) {
		free(seen);
		return hfx_err_set(err, HFX_ERR_FAILED,
				   "internal: package payload read out of order");
	}
	for (;;) {
		struct archive_entry *entry;
		struct hfx_manifest_file *f;
		unsigned char sha[HFX_SHA256_LEN];
		const char *name;
		size_t idx;
		bool want = false;

		rc = next_member(pkg, &entry, err);
		if (rc == HFX_ERR_NOT_FOUND) {
			rc = HFX_OK;
			break;
		}
		if (rc != HFX_OK)
			break;
		name = archive_entry_pathname(entry);
		show_name(name, shown, sizeof(shown));
		f = strncmp(name, "payload/", 8) == 0
			    ? hfx_manifest_find(m, name + 8)
			    : NULL;
		if (!f) {
			rc = reject(pkg, err, "member '%s' is not listed in the manifest",
				    shown);
			break;
		}
		idx = (size_t)(f - m->files);
		if (seen[idx]) {
			rc = reject(pkg, err, "member '%s' appears twice", shown);
			break;
		}
		seen[idx] = true;
		if ((uint64_t)archive_entry_size(entry) != f->size) {
			rc = reject(pkg, err,
				    "member '%s' is %lld bytes but the manifest says %llu",
				    shown, (long long)archive_entry_size(entry),
				    (unsigned long long)f->size);
			break;
		}
		rc = sink->open(sink->ud, f, &want, err);
		if (rc != HFX_OK)
			break;
		rc = member_data(pkg, shown, NULL, f->size, sha,
				 want ? sink : NULL, f, err);
		if (rc == HFX_OK &&
		    memcmp(sha, f->sha256, HFX_SHA256_LEN) != 0)
			rc = reject(pkg, err,
				    "SHA-256 of member '%s' does not match the manifest",
				    shown);
		if (rc != HFX_OK)
			break;
		rc = want ? sink->close(sink->ud, f, err) : HFX_OK;
		if (rc != HFX_OK)
			break;
	}
	for (size_t i = 0; rc == HFX_OK && i < m->nfiles; i++)
		if (!seen[i])
			rc = reject(pkg, err, "payload/%s is listed in the manifest but missing",
				    show_name(m->files[i].target, shown,
					      sizeof(shown)));
	if (rc == HFX_OK)
		rc = check_trailer(pkg, err);
	free(seen);
	pkg->stage = 2;
	return rc;
}

void hfx_pkg_close(struct hfx_pkg *pkg)
{
	if (!pkg)
		return;
	if (pkg->inner)
		archive_read_free(pkg->inner);
	if (pkg->outer)
		archive_read_free(pkg->outer);
	free(pkg->manifest);
	free(pkg->sig);
	free(pkg->label);
	free(pkg);
}

/* ---- writer ------------------------------------------------------------ */

enum hfx_rc hfx_compression_parse(const char *name, enum hfx_compression *out,
				  struct hfx_err *err)
{
	if (strcmp(name, "zstd") == 0)
		*out = HFX_COMPRESS_ZSTD;
	else if (strcmp(name, "gzip") == 0)
		*out = HFX_COMPRESS_GZIP;
	else if (strcmp(name, "xz") == 0)
		*out = HFX_COMPRESS_XZ;
	else
		return hfx_err_set(err, HFX_ERR_USAGE,
				   "unknown compression '%s' (zstd, gzip or xz)",
				   name);
	return HFX_OK;
}

static enum hfx_rc write_header(struct archive *a, const char *name,
				uint64_t size, int mode, int64_t mtime,
				struct hfx_err *err)
{
	struct archive_entry *e = archive_entry_new();
	int r;

	if (!e)
		return hfx_err_set(err, HFX_ERR_NOMEM, "out of memory");
	archive_entry_set_pathname(e, name);
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, (mode_t)mode);
	archive_entry_set_size(e, (la_int64_t)size);
	archive_entry_set_uid(e, 0);
	archive_entry_set_gid(e, 0);
	archive_entry_set_uname(e, "root");
	archive_entry_set_gname(e, "root");
	archive_entry_set_mtime(e, mtime > 0 ? mtime : 0, 0);
	r = archive_write_header(a, e);
	archive_entry_free(e);
	if (r != ARCHIVE_OK)
		return hfx_err_set(err, HFX_ERR_IO, "writing member %s: %s",
				   name, archive_error_string(a));
	return HFX_OK;
}

static enum hfx_rc write_data(struct archive *a, const char *name,
			      const void *buf, size_t len, struct hfx_err *err)
{
	if (archive_write_data(a, buf, len) != (la_ssize_t)len)
		return hfx_err_set(err, HFX_ERR_IO, "writing member %s: %s",
				   name, archive_error_string(a));
	return HFX_OK;
}

static enum hfx_rc write_payload_file(struct archive *a,
				      const struct hfx_manifest_file *f,
				      int payload_dir, struct hfx_err *err)
{
	char member[4200], buf[1 << 16];
	unsigned char sha[HFX_SHA256_LEN];
	EVP_MD_CTX *md = NULL;
	uint64_t done = 0;
	enum hfx_rc rc;
	struct stat st;
	int fd, dir;
	char *parent;
	const char *base;

	snprintf(member, sizeof(member), "payload/%s", f->target);
	rc = hfx_path_split(f->target, &parent, &base, err);
	if (rc != HFX_OK)
		return rc;
	dir = hfx_open_dir(payload_dir, parent, HFX_RESOLVE_BENEATH,
			   f->target, err);
	free(parent);
	if (dir < 0)
		return err->code == HFX_ERR_NOT_APPLICABLE
			       ? (err->code = HFX_ERR_FAILED)
			       : err->code;
	fd = openat(dir, base, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	close(dir);
	if (fd < 0)
		return hfx_err_sys(err, HFX_ERR_FAILED, "payload file %s",
				   f->target);
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
	    (uint64_t)st.st_size != f->size) {
		close(fd);
		return hfx_err_set(err, HFX_ERR_FAILED,
				   "payload file %s changed while packing",
				   f->target);
	}
	rc = write_header(a, member, f->size, f->mode >= 0 ? f->mode : 0644,
			  f->date_epoch, err);
	md = EVP_MD_CTX_new();
	if (rc == HFX_OK && (!md || !EVP_DigestInit_ex(md, EVP_sha256(), NULL)))
		rc = hfx_err_set(err, HFX_ERR_NOMEM, "cannot start SHA-256");
	while (rc == HFX_OK && done < f->size) {
		ssize_t n = read(fd, buf, sizeof(buf));

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			rc = n < 0 ? hfx_err_sys(err, HFX_ERR_IO, "reading %s",
						 f->target)
				   : hfx_err_set(err, HFX_ERR_FAILED,
						 "payload file %s shrank while packing",
						 f->target);
			break;
		}
		if ((uint64_t)n > f->size - done)
			n = (ssize_t)(f->size - done);
		EVP_DigestUpdate(md, buf, (size_t)n);
		rc = write_data(a, member, buf, (size_t)n, err);
		done += (uint64_t)n;
	}
	if (rc == HFX_OK) {
		EVP_DigestFinal_ex(md, sha, NULL);
		if (memcmp(sha, f->sha256, HFX_SHA256_LEN) != 0)
			rc = hfx_err_set(err, HFX_ERR_FAILED,
					 "payload file %s changed while packing",
					 f->target);
	}
	EVP_MD_CTX_free(md);
	close(fd);
	return rc;
}

enum hfx_rc hfx_pkg_write(int outfd, const char *manifest, size_t manifest_len,
			  const unsigned char *sig, size_t sig_len,
			  const struct hfx_manifest *m, int payload_dir,
			  enum hfx_compression comp, struct hfx_err *err)
{
	struct archive *a = archive_write_new();
	enum hfx_rc rc = HFX_OK;
	int r;

	if (!a)
		return hfx_err_set(err, HFX_ERR_NOMEM, "out of memory");
	/* pax only where ustar cannot say it (long names). */
	archive_write_set_format_pax_restricted(a);
	switch (comp) {
	case HFX_COMPRESS_GZIP:
		r = archive_write_add_filter_gzip(a);
		break;
	case HFX_COMPRESS_XZ:
		r = archive_write_add_filter_xz(a);
		break;
	default:
		r = archive_write_add_filter_zstd(a);
		break;
	}
	if (r != ARCHIVE_OK || archive_write_set_bytes_in_last_block(a, 1) ||
	    archive_write_open_fd(a, outfd) != ARCHIVE_OK) {
		rc = hfx_err_set(err, HFX_ERR_IO, "cannot write the package: %s",
				 archive_error_string(a));
		archive_write_free(a);
		return rc;
	}
	rc = write_header(a, "manifest.ini", manifest_len, 0644, 0, err);
	if (rc == HFX_OK)
		rc = write_data(a, "manifest.ini", manifest, manifest_len, err);
	if (rc == HFX_OK)
		rc = write_header(a, "manifest.sig", sig_len, 0644, 0, err);
	if (rc == HFX_OK)
		rc = write_data(a, "manifest.sig", sig, sig_len, err);
	for (size_t i = 0; rc == HFX_OK && i < m->nfiles; i++)
		rc = write_payload_file(a, &m->files[i], payload_dir, err);
	if (archive_write_close(a) != ARCHIVE_OK && rc == HFX_OK)
		rc = hfx_err_set(err, HFX_ERR_IO, "cannot finish the package: %s",
				 archive_error_string(a));
	archive_write_free(a);
	return rc;
}
