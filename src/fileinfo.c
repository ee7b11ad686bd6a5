/*
 * fileinfo.c -- see fileinfo.h.
 */
#include "fileinfo.h"
#include "pe.h"
#include "record.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Open `base` for reading into *fd, without following a link, and make
 * sure it is still the inode `want` that was looked at; its stat goes to
 * *st.  On failure *fd is -1. */
static enum hfx_rc open_same_file(int dirfd, const char *base,
				  const char *label, const struct stat *want,
				  int *fd, struct stat *st, struct hfx_err *err)
{
	*fd = openat(dirfd, base,
		     O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (*fd < 0)
		return hfx_err_sys(err, HFX_ERR_IO, "%s", label);
	if (fstat(*fd, st) < 0 || st->st_ino != want->st_ino ||
	    st->st_dev != want->st_dev) {
		close(*fd);
		*fd = -1;
		return hfx_err_set(err, HFX_ERR_FAILED,
				   "%s changed while it was being checked", label);
	}
	return HFX_OK;
}

static enum hfx_rc hash_fd(int fd, const char *label, struct hfx_fileinfo *fi,
			   struct hfx_err *err)
{
	unsigned char sha[HFX_SHA256_LEN];
	enum hfx_rc rc = hfx_sha256_fd(fd, sha, label, err);

	if (rc == HFX_OK) {
		hfx_hex(sha, HFX_SHA256_LEN, fi->sha256);
		fi->hashed = true;
	}
	return rc;
}

enum hfx_rc hfx_fileinfo_read(int dirfd, const char *base, const char *label,
			      enum hfx_hash_policy policy,
			      struct hfx_fileinfo *out, struct hfx_err *err)
{
	enum hfx_pe_result pr;
	struct stat st;
	enum hfx_rc rc;
	int fd;

	memset(out, 0, sizeof(*out));
	if (fstatat(dirfd, base, &out->st, AT_SYMLINK_NOFOLLOW) < 0) {
		if (errno == ENOENT)
			return HFX_OK;
		return hfx_err_sys(err, HFX_ERR_IO, "%s", label);
	}
	out->exists = true;
	if (!S_ISREG(out->st.st_mode))
		return HFX_OK;
	rc = open_same_file(dirfd, base, label, &out->st, &fd, &st, err);
	if (rc != HFX_OK)
		return rc;
	out->st = st;
	out->regular = true;
	rc = hfx_pe_version_read(fd, label, &pr, &out->version, NULL, 0, err);
	if (rc == HFX_OK && pr != HFX_PE_VERSION)
		out->version.nparts = 0;
	out->pe_version = rc == HFX_OK && pr == HFX_PE_VERSION;
	if (rc == HFX_OK && (policy == HFX_HASH_ALWAYS ||
			     (policy == HFX_HASH_UNVERSIONED && !out->pe_version)))
		rc = hash_fd(fd, label, out, err);
	close(fd);
	return rc;
}

enum hfx_rc hfx_fileinfo_hash(int dirfd, const char *base, const char *label,
			      struct hfx_fileinfo *fi, struct hfx_err *err)
{
	struct stat st;
	enum hfx_rc rc;
	int fd;

	rc = open_same_file(dirfd, base, label, &fi->st, &fd, &st, err);
	if (rc != HFX_OK)
		return rc;
	rc = hash_fd(fd, label, fi, err);
	close(fd);
	return rc;
}

enum hfx_rc hfx_fileinfo_recorded_version(struct hfx_ctx *ctx,
					  struct hfx_fileinfo *fi,
					  struct hfx_err *err)
{
	char *recorded = NULL;
	struct hfx_err verr;
	enum hfx_rc rc;

	if (!fi->regular || fi->pe_version || !fi->hashed || !ctx->db)
		return HFX_OK;
	rc = hfx_record_version_of(ctx->db, fi->sha256, &recorded, err);
	hfx_err_clear(&verr);
	if (rc == HFX_OK && recorded &&
	    hfx_version_parse(recorded, &fi->version, &verr) != HFX_OK)
		fi->version.nparts = 0;
	free(recorded);
	return rc;
}
