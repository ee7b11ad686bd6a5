/*
 * fileinfo.h -- what hfx knows about one installed file: whether it
 * exists, its stat, its SHA-256 and its installed version.
 *
 * The installed version is, in order (SPEC.md): the PE VERSIONINFO file
 * version if the file is a PE image with one; else the version hfx
 * recorded when it installed exactly these bytes (looked up by SHA-256);
 * else unknown.  The file is opened relative to its directory with
 * O_NOFOLLOW; a symlink or a non-regular file is reported, not followed.
 */
#ifndef HFX_FILEINFO_H
#define HFX_FILEINFO_H

#include <stdbool.h>
#include <sys/stat.h>

#include "context.h"
#include "error.h"
#include "fsutil.h"
#include "version.h"

struct hfx_fileinfo {
	bool exists;
	bool regular;		/* exists and is a regular file */
	struct stat st;
	bool hashed;
	char sha256[HFX_SHA256_HEX];
	struct hfx_version version;	/* nparts 0: unknown */
	bool pe_version;	/* the version came from the PE resource */
};

enum hfx_hash_policy {
	HFX_HASH_NEVER,		/* the caller decides later (hfx_fileinfo_hash) */
	HFX_HASH_UNVERSIONED,	/* when there is no PE version to go by */
	HFX_HASH_ALWAYS,
};

/* What the file itself says: stat, PE version, and per `policy` its
 * SHA-256 (the recorded version of an unversioned file is looked up by
 * hash).  Touches nothing but the file, so it may run in any thread. */
enum hfx_rc hfx_fileinfo_read(int dirfd, const char *base, const char *label,
			      enum hfx_hash_policy policy,
			      struct hfx_fileinfo *out, struct hfx_err *err);

/* Hash the file now (it must still be the inode read before). */
enum hfx_rc hfx_fileinfo_hash(int dirfd, const char *base, const char *label,
			      struct hfx_fileinfo *fi, struct hfx_err *err);

/* Without a PE version, the version hfx recorded for exactly these bytes
 * (from the database; one thread only). */
enum hfx_rc hfx_fileinfo_recorded_version(struct hfx_ctx *ctx,
					  struct hfx_fileinfo *fi,
					  struct hfx_err *err);

#endif
