/*
 * package.h -- the .hfx container: read it once, streaming; write it.
 *
 * A package is a compressed (gzip, xz or zstd) ustar/pax archive whose
 * members are, in order: manifest.ini, manifest.sig, then one
 * payload/<target> per [file <target>] of the manifest, in any order.
 * Reading is split in two calls so that the signature is checked before a
 * single payload byte is looked at:
 *
 *   hfx_pkg_open() -> hfx_pkg_read_head()   manifest + signature bytes
 *      (caller verifies the signature and parses the manifest)
 *   hfx_pkg_read_payload()                  every payload member, hashed
 *      while it is handed to the caller's sink, checked against the
 *      manifest's size and SHA-256, then the end of the archive is checked
 *      (no extra member, no trailing data, no truncation).
 *
 * Nothing is ever extracted by libarchive itself: member data goes to the
 * file descriptors the sink returns, so where bytes land is decided by the
 * transaction code, not by names inside the archive.  Any member that is
 * not exactly what is expected -- another name, a link, a device, a
 * directory, a duplicate, a sparse file, a size other than the manifest's
 * -- rejects the package (HFX_ERR_PACKAGE) with the member named.
 */
#ifndef HFX_PACKAGE_H
#define HFX_PACKAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "manifest.h"

struct hfx_pkg;

enum hfx_compression {
	HFX_COMPRESS_ZSTD,	/* default: fastest to decompress */
	HFX_COMPRESS_GZIP,
	HFX_COMPRESS_XZ,
};

/* Receives payload members.  open() says whether the member's bytes are
 * wanted (*want = false: they are hashed and checked, then dropped);
 * write() gets them in order; close() is called once the member's size
 * and SHA-256 matched the manifest.  After an error no further call is
 * made; the caller discards whatever it staged. */
struct hfx_pkg_sink {
	enum hfx_rc (*open)(void *ud, const struct hfx_manifest_file *f,
			    bool *want, struct hfx_err *err);
	enum hfx_rc (*write)(void *ud, const struct hfx_manifest_file *f,
			     const void *buf, size_t len, struct hfx_err *err);
	enum hfx_rc (*close)(void *ud, const struct hfx_manifest_file *f,
			     struct hfx_err *err);
	void *ud;
};

/* Start reading the package open on `fd` (the reader does not close it);
 * `label` names the package in messages. */
enum hfx_rc hfx_pkg_open(int fd, const char *label, struct hfx_pkg **out,
			 struct hfx_err *err);

/* Read manifest.ini and manifest.sig; both buffers stay owned by the
 * reader until hfx_pkg_close(). */
enum hfx_rc hfx_pkg_read_head(struct hfx_pkg *pkg, const char **manifest,
			      size_t *manifest_len, const unsigned char **sig,
			      size_t *sig_len, struct hfx_err *err);

/* Stream every payload member of `m` through `sink`, then check the end of
 * the archive.  On error, close() is not called for the failed member;
 * the caller discards whatever it staged. */
enum hfx_rc hfx_pkg_read_payload(struct hfx_pkg *pkg,
				 const struct hfx_manifest *m,
				 const struct hfx_pkg_sink *sink,
				 struct hfx_err *err);

void hfx_pkg_close(struct hfx_pkg *pkg);

/* Write a package to `outfd`: the manifest text (already in canonical
 * form with size and sha256), its signature, and every payload file read
 * from `payload_dir` (resolved beneath it).  Each payload file is hashed
 * while it is written and must still match the manifest. */
enum hfx_rc hfx_pkg_write(int outfd, const char *manifest, size_t manifest_len,
			  const unsigned char *sig, size_t sig_len,
			  const struct hfx_manifest *m, int payload_dir,
			  enum hfx_compression comp, struct hfx_err *err);

enum hfx_rc hfx_compression_parse(const char *name, enum hfx_compression *out,
				  struct hfx_err *err);

#endif
