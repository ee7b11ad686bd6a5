/*
 * pack.c -- see pack.h.
 *
 * The payload is read twice: once to hash it for the manifest (which must
 * be signed before the archive is written, since it is the archive's first
 * member), once to write it.  The second pass hashes again and fails if a
 * file changed in between, so a package is never written whose payload
 * disagrees with its signed manifest.
 */
#include "pack.h"
#include "fsutil.h"
#include "manifest.h"
#include "pe.h"
#include "signature.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static enum hfx_rc fill_file(int payload, struct hfx_manifest_file *f,
			     const char *payload_path, struct hfx_err *err)
{
	char label[PATH_MAX + 64], *parent = NULL, why[128];
	const char *base;
	enum hfx_pe_result pr;
	struct hfx_version v;
	struct stat st;
	enum hfx_rc rc;
	int dir, fd;

	snprintf(label, sizeof(label), "%s/%s", payload_path, f->target);
	rc = hfx_path_split(f->target, &parent, &base, err);
	if (rc != HFX_OK)
		return rc;
	dir = hfx_open_dir(payload, parent, HFX_RESOLVE_BENEATH, label, err);
	free(parent);
	if (dir < 0)
		return hfx_err_set(err, HFX_ERR_FAILED, "payload file %s: %s",
				   label, "its directory is missing or leaves the payload directory");
	fd = openat(dir, base, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
	close(dir);
	if (fd < 0)
		return hfx_err_sys(err, HFX_ERR_FAILED, "payload file %s", label);
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return hfx_err_set(err, HFX_ERR_FAILED,
				   "payload file %s is not a regular file", label);
	}
	f->size = (uint64_t)st.st_size;
	f->has_size = true;
	rc = hfx_sha256_fd(fd, f->sha256, label, err);
	f->has_sha256 = rc == HFX_OK;
	if (rc == HFX_OK)
		rc = hfx_pe_version_read(fd, label, &pr, &v, why, sizeof(why), err);
	close(fd);
	if (rc == HFX_OK && pr == HFX_PE_VERSION &&
	    hfx_version_cmp(&v, &f->version) != 0) {
		char have[HFX_VERSION_STR_MAX];

		return hfx_err_set(err, HFX_ERR_FAILED,
				   "payload file %s is version %s but the manifest says %s",
				   label, hfx_version_format(&v, have),
				   f->version_text);
	}
	return rc;
}

enum hfx_rc hfx_pack(const struct hfx_pack_options *opt,
		     const struct hfx_events *ev, struct hfx_err *err)
{
	struct hfx_manifest *m = NULL, *check = NULL;
	char *text = NULL, *canon = NULL, tmp[PATH_MAX], dirbuf[PATH_MAX];
	unsigned char *sig = NULL;
	size_t len = 0, sig_len = 0;
	enum hfx_rc rc;
	int payload = -1, out = -1, dirfd = -1;

	rc = hfx_read_file_at(AT_FDCWD, opt->manifest, HFX_MANIFEST_MAX,
			      &text, &len, opt->manifest, err);
	if (rc != HFX_OK) {
		err->code = HFX_ERR_FAILED;
		return HFX_ERR_FAILED;
	}
	rc = hfx_manifest_parse(text, len, opt->manifest, HFX_MANIFEST_SOURCE,
				&m, err);
	if (rc != HFX_OK) {
		err->code = HFX_ERR_FAILED;	/* our own input, not a package */
		rc = HFX_ERR_FAILED;
		goto out;
	}
	payload = open(opt->payload, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (payload < 0) {
		rc = hfx_err_sys(err, HFX_ERR_FAILED, "payload directory %s",
				 opt->payload);
		goto out;
	}
	for (size_t i = 0; rc == HFX_OK && i < m->nfiles; i++)
		rc = fill_file(payload, &m->files[i], opt->payload, err);
	if (rc != HFX_OK)
		goto out;
	canon = hfx_manifest_format(m);
	if (!canon) {
		rc = hfx_err_set(err, HFX_ERR_NOMEM, "out of memory");
		goto out;
	}
	/* What we sign must parse as a packaged manifest; if it does not,
	 * that is our failure, not a rejected package. */
	rc = hfx_manifest_parse(canon, strlen(canon), "generated manifest",
				HFX_MANIFEST_PACKAGED, &check, err);
	if (rc == HFX_ERR_MANIFEST)
		rc = err->code = HFX_ERR_FAILED;
	if (rc == HFX_OK)
		rc = hfx_signature_sign(opt->key, opt->cert, opt->chain, canon,
					strlen(canon), &sig, &sig_len, err);
	if (rc != HFX_OK)
		goto out;
	if (opt->dry_run) {
		hfx_event_msg(ev, HFX_EV_NOTICE, 0, m->id,
			      "%s: %zu file(s) checked and signed; %s not written (dry run)",
			      m->id, m->nfiles, opt->output);
		goto out;
	}

	snprintf(dirbuf, sizeof(dirbuf), "%s", opt->output);
	snprintf(tmp, sizeof(tmp), "%s.tmp-XXXXXX", opt->output);
	out = mkstemp(tmp);
	if (out < 0) {
		rc = hfx_err_sys(err, HFX_ERR_FAILED, "creating %s", tmp);
		goto out;
	}
	fchmod(out, 0644);
	rc = hfx_pkg_write(out, canon, strlen(canon), sig, sig_len, m, payload,
			   opt->compression, err);
	if (rc == HFX_OK && fsync(out) < 0)
		rc = hfx_err_sys(err, HFX_ERR_IO, "writing %s", tmp);
	if (rc == HFX_OK && rename(tmp, opt->output) < 0)
		rc = hfx_err_sys(err, HFX_ERR_IO, "renaming %s to %s", tmp,
				 opt->output);
	if (rc == HFX_OK) {
		dirfd = open(dirname(dirbuf), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (dirfd >= 0) {
			fsync(dirfd);
			close(dirfd);
		}
		hfx_event_msg(ev, HFX_EV_NOTICE, 0, m->id,
			      "%s: %zu file(s), signed, written to %s", m->id,
			      m->nfiles, opt->output);
	} else {
		unlink(tmp);
	}
out:
	if (out >= 0)
		close(out);
	if (payload >= 0)
		close(payload);
	free(sig);
	free(canon);
	free(text);
	hfx_manifest_free(check);
	hfx_manifest_free(m);
	return rc;
}
