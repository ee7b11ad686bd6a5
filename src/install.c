/*
 * install.c -- install one package: verify, plan, stage, swap, record.
 *
 * ORDER OF WORK, AND WHY
 *
 * Everything that can fail without consequence happens before the first
 * service is stopped, so the downtime window holds only the swap itself:
 *
 *   1. read manifest.ini and manifest.sig from the package, verify the
 *      signature over those exact bytes, parse the manifest;
 *   2. decide, per file, from the file itself (PE version, else the version
 *      hfx recorded for those exact bytes, else unknown) -- the Windows
 *      Installer rules: never downgrade, replace lower, leave equal or
 *      higher, replace an unversioned file only if the user did not change
 *      it since hfx wrote it (or --force);
 *   3. journal the plan (txn.c), then stream the payload once: each member
 *      is hashed while it is written to its staging file next to its target
 *      (same directory, so the swap is a rename), with the mode and owner
 *      of the file it replaces; files that are kept are hashed and dropped;
 *   4. fsync the staged files (writeback started per file as it is closed,
 *      so the final fsyncs mostly wait on I/O already in flight);
 *   5. stop services, swap, start services, record -- see txn.c.
 *
 * A failure in 1-4 deletes what was staged; nothing else was touched.
 * A failure in 5 undoes the swap and restarts what was running.
 *
 * All target paths are resolved beneath the product directory with
 * openat2(RESOLVE_BENEATH) and used through directory descriptors with
 * O_NOFOLLOW, so a symlink planted in the product tree can neither send a
 * write elsewhere nor make hfx replace a link instead of a file.
 */
#include "grow.h"
#include "install.h"
#include "db.h"
#include "fileinfo.h"
#include "fsutil.h"
#include "package.h"
#include "pipe.h"
#include "record.h"
#include "service.h"
#include "signature.h"
#include "store.h"
#include "txn.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

static bool changes(enum hfx_file_action a)
{
	return a == HFX_ACT_REPLACE || a == HFX_ACT_NEW;
}

/* One [file] of the manifest, as planned. */
struct plan_file {
	struct hfx_manifest_file *mf;
	enum hfx_file_action action;
	char *path;		/* root-relative target */
	char *dir;		/* root-relative parent (physical) */
	const char *base;	/* into path */
	int dirfd;		/* borrowed from the transaction */
	dev_t dir_dev;		/* file system of the directory */
	struct hfx_fileinfo fi;	/* what the file says (plan_inspect) */
	char *owner;		/* the hotfix that last wrote it, if any */
	struct hfx_file_rec written;	/* ... and what it wrote */
	bool need_hash;		/* the decision depends on its bytes */
	char *prev_hotfix;	/* hotfix that wrote the bytes replaced */
	ssize_t entry;		/* transaction entry, or -1 */
	int stage_fd;
	gid_t staged_gid;	/* the staged file's group */
};

struct install {
	struct hfx_ctx *ctx;
	struct hfx_manifest *m;
	char *manifest_text;
	char *signer;
	char *product_dir;	/* root-relative, physical */
	struct plan_file *files;	/* parallel to m->files */
	struct hfx_txn *txn;
	struct hfx_service_set services;
	uint64_t bytes_total, bytes_done, files_done, files_total;
	struct hfx_pipe *pipe;		/* to the writer thread while staging */
	struct hfx_result *res;
};

/* ---- reading and verifying the package head ---------------------------- */

static enum hfx_rc open_package(const char *path, int *fd, struct hfx_err *err)
{
	*fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (*fd < 0)
		return hfx_err_sys(err, errno == ENOENT ? HFX_ERR_USAGE
							: HFX_ERR_FAILED,
				   "package %s", path);
	return HFX_OK;
}

/* Read, verify and parse the head of an open package. */
static enum hfx_rc read_verified_head(struct hfx_ctx *ctx, struct hfx_pkg *pkg,
				      const char *path, struct hfx_manifest **m,
				      char **signer, char **text,
				      struct hfx_err *err)
{
	const char *mtext;
	const unsigned char *sig;
	size_t mlen, slen;
	struct hfx_trust *trust;
	char label[PATH_MAX + 32];
	enum hfx_rc rc;

	*m = NULL;
	*signer = NULL;
	if (text)
		*text = NULL;
	rc = hfx_pkg_read_head(pkg, &mtext, &mlen, &sig, &slen, err);
	if (rc == HFX_OK)
		rc = hfx_ctx_trust(ctx, &trust, err);
	if (rc == HFX_OK) {
		rc = hfx_signature_verify(trust, mtext, mlen, sig, slen, signer,
					  err);
		if (rc != HFX_OK)
			hfx_err_prefix(err, "package %s rejected", path);
	}
	if (rc != HFX_OK)
		return rc;
	snprintf(label, sizeof(label), "%s:manifest.ini", path);
	rc = hfx_manifest_parse(mtext, mlen, label, HFX_MANIFEST_PACKAGED, m,
				err);
	if (rc == HFX_OK && text && !(*text = strndup(mtext, mlen)))
		rc = hfx_err_set(err, HFX_ERR_NOMEM, "out of memory");
	if (rc != HFX_OK) {
		hfx_manifest_free(*m);
		*m = NULL;
		free(*signer);
		*signer = NULL;
	}
	return rc;
}

static enum hfx_rc discard_open(void *ud, const struct hfx_manifest_file *f,
				bool *want, struct hfx_err *err)
{
	(void)ud;
	(void)f;
	(void)err;
	*want = false;
	return HFX_OK;
}

static const struct hfx_pkg_sink discard_sink = { .open = discard_open };

enum hfx_rc hfx_package_check(struct hfx_ctx *ctx, const char *path,
			      bool payload, struct hfx_manifest **m,
			      char **signer, char **text, struct hfx_err *err)
{
	struct hfx_pkg *pkg = NULL;
	enum hfx_rc rc;
	int fd;

	*m = NULL;
	*signer = NULL;
	rc = open_package(path, &fd, err);
	if (rc != HFX_OK)
		return rc;
	rc = hfx_pkg_open(fd, path, &pkg, err);
	if (rc == HFX_OK)
		rc = read_verified_head(ctx, pkg, path, m, signer, text, err);
	if (rc == HFX_OK && payload)
		rc = hfx_pkg_read_payload(pkg, *m, &discard_sink, err);
	hfx_pkg_close(pkg);
	close(fd);
	if (rc != HFX_OK) {
		hfx_manifest_free(*m);
		*m = NULL;
		free(*signer);
		*signer = NULL;
		if (text) {
			free(*text);
			*text = NULL;
		}
	}
	return rc;
}

/* ---- planning ---------------------------------------------------------- */

static void file_event(struct install *in, const struct plan_file *pf,
		       int verbose, const char *text)
{
	char oldv[HFX_VERSION_STR_MAX];
	struct hfx_event ev = {
		.type = HFX_EV_FILE, .verbose = verbose, .hotfix = in->m->id,
		.text = text, .path = pf->path,
		.action = hfx_file_action_name(pf->action),
		.old_version = pf->fi.exists ? hfx_version_format(&pf->fi.version,
							       oldv)
					  : "absent",
		.new_version = pf->mf->version_text,
	};
	hfx_event_emit(&in->ctx->ev, &ev);
}

/* Where a target's directory is, opened once per directory: many files
 * share one, and resolving it costs two openat2() and two readlink(). */
struct dir_memo {
	char *parent;		/* as in the manifest, relative to product-dir */
	char *dir_rel;		/* root-relative physical path */
	int dirfd;		/* the transaction's */
	dev_t dev;
};

struct dir_memos {
	struct dir_memo *v;
	size_t n, cap;
};

static void dir_memos_free(struct dir_memos *dm)
{
	for (size_t i = 0; i < dm->n; i++) {
		free(dm->v[i].parent);
		free(dm->v[i].dir_rel);
	}
	free(dm->v);
}

static enum hfx_rc plan_locate(struct install *in, struct plan_file *pf,
			       int pdirfd, struct dir_memos *dm,
			       struct hfx_err *err)
{
	struct hfx_ctx *ctx = in->ctx;
	const struct hfx_manifest_file *mf = pf->mf;
	char label[PATH_MAX + 64], *parent = NULL;
	struct dir_memo *memo = NULL;
	const char *base;
	enum hfx_rc rc;

	rc = hfx_path_split(mf->target, &parent, &base, err);
	if (rc != HFX_OK)
		return rc;
	for (size_t i = dm->n; i-- > 0;)	/* files come grouped by dir */
		if (strcmp(dm->v[i].parent, parent) == 0) {
			memo = &dm->v[i];
			break;
		}
	if (!memo) {
		struct stat st;
		int d;

		snprintf(label, sizeof(label), "%s/%s", in->m->product_dir,
			 mf->target);
		d = hfx_open_dir(pdirfd, parent, HFX_RESOLVE_BENEATH, label, err);
		if (d < 0) {
			free(parent);
			if (err->code == HFX_ERR_NOT_FOUND) {
				err->code = HFX_ERR_NOT_APPLICABLE;
				hfx_err_prefix(err, "the directory of a target is missing");
			} else if (err->code == HFX_ERR_NOT_APPLICABLE) {
				err->code = HFX_ERR_FAILED;	/* hostile tree */
			}
			return err->code;
		}
		if (!hfx_grow(&dm->v, &dm->cap, dm->n, sizeof(*dm->v))) {
			close(d);
			free(parent);
			return hfx_err_set(err, HFX_ERR_NOMEM, "out of memory");
		}
		memo = &dm->v[dm->n];
		memo->parent = parent;
		parent = NULL;
		memo->dir_rel = hfx_dir_root_relative(ctx->rootfd, d, err);
		if (fstat(d, &st) < 0) {
			close(d);
			free(memo->dir_rel);
			free(memo->parent);
			return hfx_err_sys(err, HFX_ERR_IO, "%s", label);
		}
		close(d);
		if (!memo->dir_rel) {
			free(memo->parent);
			return err->code;
		}
		memo->dev = st.st_dev;
		memo->dirfd = hfx_txn_dir(ctx, in->txn, memo->dir_rel, false, err);
		if (memo->dirfd < 0) {
			free(memo->dir_rel);
			free(memo->parent);
			return err->code;
		}
		dm->n++;
	}
	free(parent);
	pf->dir = strdup(memo->dir_rel);
	pf->path = hfx_path_join(memo->dir_rel, base);
	if (!pf->dir || !pf->path)
		return hfx_err_set(err, HFX_ERR_NOMEM, "out of memory");
	pf->base = pf->path + strlen(pf->path) - strlen(base);
	pf->dirfd = memo->dirfd;
	pf->dir_dev = memo->dev;
	return HFX_OK;
}

/* Look at one target: stat and PE version.  Reading whole files is left
 * to when a decision needs their hash (plan_decide), or to the background
 * while the package is staged (needed_by_record) when only the record does. */
static enum hfx_rc plan_inspect(struct install *in, struct plan_file *pf,
				struct hfx_err *err)
{
	char label[PATH_MAX + 64];

	hfx_ctx_path(in->ctx, pf->path, label, sizeof(label));
	return hfx_fileinfo_read(pf->dirfd, pf->base, label, HFX_HASH_NEVER,
				 &pf->fi, err);
}

/* First half of a decision, in the main thread (it reads the database):
 * does the decision depend on the target's bytes?  It does when the file
 * may be exactly the hotfix's (same size), a version hfx recorded (a
 * recorded file of that size exists), or the file hfx last wrote there
 * (same size, but its stat no longer proves it). */
static enum hfx_rc plan_prepare(struct install *in, struct plan_file *pf,
				struct hfx_err *err)
{
	struct hfx_ctx *ctx = in->ctx;
	const struct hfx_manifest_file *mf = pf->mf;
	struct hfx_fileinfo *fi = &pf->fi;
	char label[PATH_MAX + 64];
	enum hfx_rc rc;

	hfx_ctx_path(ctx, pf->path, label, sizeof(label));
	if (!fi->exists) {
		if (!mf->is_new)
			return hfx_err_set(err, HFX_ERR_NOT_APPLICABLE,
					   "%s is missing (the hotfix replaces it; it does not add it)",
					   label);
		return HFX_OK;
	}
	if (S_ISLNK(fi->st.st_mode))
		return hfx_err_set(err, HFX_ERR_FAILED,
				   "%s is a symbolic link; refusing to replace a link",
				   label);
	if (S_ISDIR(fi->st.st_mode))
		return hfx_err_set(err, HFX_ERR_FAILED,
				   "%s is a directory, not a file", label);
	if (!fi->regular)
		return hfx_err_set(err, HFX_ERR_FAILED,
				   "%s is not a regular file", label);
	memset(&pf->written, 0, sizeof(pf->written));
	if (ctx->db) {
		rc = hfx_record_last_writer(ctx->db, pf->path, &pf->owner,
					    &pf->written, err);
		if (rc != HFX_OK)
			return rc;
	}
	if (pf->owner && hfx_record_stat_matches(&pf->written, &fi->st)) {
		memcpy(fi->sha256, pf->written.new_sha256, sizeof(fi->sha256));
		fi->hashed = true;
	} else if (pf->owner && (int64_t)fi->st.st_size == pf->written.new_size) {
		pf->need_hash = true;
	}
	if (!fi->hashed && (uint64_t)fi->st.st_size == mf->size)
		pf->need_hash = true;
	if (!fi->hashed && !pf->need_hash && !fi->pe_version && ctx->db)
		return hfx_record_size_known(ctx->db, (int64_t)fi->st.st_size,
					     &pf->need_hash, err);
	return HFX_OK;
}

/* Hashing files in a thread: the files a plan decision needs (two jobs,
 * on two cores, while the main thread waits), or the files being replaced
 * that only the record needs (one job, while the package is staged; it
 * joins before anything is swapped).  Without a thread, a job runs at
 * once in the caller. */
struct hash_job {
	struct install *in;
	bool (*wanted)(const struct plan_file *pf);
	size_t first, step;
	pthread_t thread;
	bool running;
	enum hfx_rc rc;
	struct hfx_err err;
};

static bool needed_by_plan(const struct plan_file *pf)
{
	return pf->need_hash && !pf->fi.hashed;
}

static bool needed_by_record(const struct plan_file *pf)
{
	return changes(pf->action) && pf->fi.exists && !pf->fi.hashed;
}

static void *hash_files(void *arg)
{
	struct hash_job *job = arg;
	struct install *in = job->in;

	for (size_t i = job->first; job->rc == HFX_OK && i < in->m->nfiles;
	     i += job->step) {
		struct plan_file *pf = &in->files[i];
		char label[PATH_MAX + 64];

		if (!job->wanted(pf))
			continue;
		hfx_ctx_path(in->ctx, pf->path, label, sizeof(label));
		job->rc = hfx_fileinfo_hash(pf->dirfd, pf->base, label, &pf->fi,
					    &job->err);
	}
	return NULL;
}

static void hash_init(struct hash_job *job, struct install *in,
		      bool (*wanted)(const struct plan_file *pf),
		      size_t first, size_t step)
{
	memset(job, 0, sizeof(*job));
	job->in = in;
	job->wanted = wanted;
	job->first = first;
	job->step = step;
	hfx_err_clear(&job->err);
}

static void hash_start(struct hash_job *job, struct install *in,
		       bool (*wanted)(const struct plan_file *pf),
		       size_t first, size_t step)
{
	hash_init(job, in, wanted, first, step);
	job->running = pthread_create(&job->thread, NULL, hash_files, job) == 0;
	if (!job->running)
		hash_files(job);
}

static enum hfx_rc hash_join(struct hash_job *job, struct hfx_err *err)
{
	if (job->running)
		pthread_join(job->thread, NULL);
	job->running = false;
	if (job->rc != HFX_OK)
		return hfx_err_set(err, job->err.code, "%s", job->err.msg);
	return HFX_OK;
}

/* Hash the files whose decision needs their bytes, on two cores: the odd
 * ones in a thread, the even ones here. */
static enum hfx_rc hash_all_needed(struct install *in, struct hfx_err *err)
{
	struct hash_job odd, even;
	enum hfx_rc rc, rc_odd;

	hash_start(&odd, in, needed_by_plan, 1, 2);
	hash_init(&even, in, needed_by_plan, 0, 2);
	hash_files(&even);
	rc = hash_join(&even, err);
	rc_odd = hash_join(&odd, err);
	return rc != HFX_OK ? rc : rc_odd;
}

/* Second half of a decision, once the bytes that matter are hashed. */
static enum hfx_rc plan_decide(struct install *in, struct plan_file *pf,
			       struct hfx_err *err)
{
	struct hfx_ctx *ctx = in->ctx;
	const struct hfx_manifest_file *mf = pf->mf;
	struct hfx_fileinfo *fi = &pf->fi;
	char new_sha[HFX_SHA256_HEX];
	bool hfx_wrote_it;
	enum hfx_rc rc;

	if (!fi->exists) {
		pf->action = HFX_ACT_NEW;
		return HFX_OK;
	}
	/* Also when the bytes were not hashed but taken from the record
	 * (their stat matches what hfx wrote): an unversioned file is then
	 * as new as the version recorded for those bytes. */
	rc = hfx_fileinfo_recorded_version(ctx, fi, err);
	if (rc != HFX_OK)
		return rc;
	hfx_wrote_it = pf->owner && fi->hashed &&
		       strcmp(fi->sha256, pf->written.new_sha256) == 0;
	if (hfx_wrote_it) {
		pf->prev_hotfix = pf->owner;
		pf->owner = NULL;
	} else if (pf->owner && !hfx_version_known(&fi->version)) {
		/* Unversioned, and not what hfx wrote: the user's. */
		pf->action = ctx->opt.force ? HFX_ACT_REPLACE
					    : HFX_ACT_KEEP_MODIFIED;
		return HFX_OK;
	}
	hfx_hex(mf->sha256, HFX_SHA256_LEN, new_sha);
	if (fi->hashed && strcmp(new_sha, fi->sha256) == 0)
		pf->action = HFX_ACT_KEEP_EQUAL;
	else if (!hfx_version_known(&fi->version))
		pf->action = HFX_ACT_REPLACE;
	else {
		int c = hfx_version_cmp(&fi->version, &mf->version);

		pf->action = c < 0 ? HFX_ACT_REPLACE
			     : c == 0 ? HFX_ACT_KEEP_EQUAL
				      : HFX_ACT_KEEP_NEWER;
	}
	return HFX_OK;
}

static void describe(struct install *in, const struct plan_file *pf)
{
	char text[PATH_MAX + 256], oldv[HFX_VERSION_STR_MAX];
	const char *nv = pf->mf->version_text;

	hfx_version_format(&pf->fi.version, oldv);
	switch (pf->action) {
	case HFX_ACT_REPLACE:
		snprintf(text, sizeof(text), "/%s: %s -> %s", pf->path, oldv, nv);
		file_event(in, pf, 1, text);
		break;
	case HFX_ACT_NEW:
		snprintf(text, sizeof(text), "/%s: new file, version %s",
			 pf->path, nv);
		file_event(in, pf, 1, text);
		break;
	case HFX_ACT_KEEP_NEWER:
		snprintf(text, sizeof(text),
			 "/%s: version %s is newer than %s; left alone",
			 pf->path, oldv, nv);
		file_event(in, pf, 0, text);
		break;
	case HFX_ACT_KEEP_EQUAL:
		snprintf(text, sizeof(text),
			 "/%s: already version %s; left alone", pf->path, nv);
		file_event(in, pf, 0, text);
		break;
	case HFX_ACT_KEEP_MODIFIED:
		snprintf(text, sizeof(text),
			 "/%s: unversioned and changed since hfx installed it; left alone (use --force to replace it)",
			 pf->path);
		file_event(in, pf, 0, text);
		break;
	default:	/* rollback actions: not planned here */
		break;
	}
}

/* Already there?  Sets res->note and returns true when nothing is to do. */
static enum hfx_rc already_present(struct install *in, bool *present,
				   struct hfx_err *err)
{
	struct hfx_ctx *ctx = in->ctx;
	struct hfx_hotfix_rec *rec = NULL;
	char note[512], *succ = NULL;
	struct hfx_err local;
	enum hfx_rc rc;

	*present = false;
	if (!ctx->db)
		return HFX_OK;
	hfx_err_clear(&local);
	rc = hfx_record_get(ctx->db, in->m->id, &rec, &local);
	if (rc == HFX_OK) {
		if (strcmp(rec->state, "superseded") == 0)
			snprintf(note, sizeof(note),
				 "%s is already present: superseded by %s",
				 in->m->id, rec->superseded_by ? rec->superseded_by : "?");
		else
			snprintf(note, sizeof(note), "%s is already installed",
				 in->m->id);
		hfx_record_free(rec);
		*present = true;
	} else if (rc != HFX_ERR_NOT_FOUND) {
		return hfx_err_set(err, rc, "%s", local.msg);
	} else {
		rc = hfx_record_superseding(ctx->db, in->m->id, &succ, err);
		if (rc != HFX_OK)
			return rc;
		if (succ) {
			snprintf(note, sizeof(note),
				 "%s is already present: superseded by %s, which is installed",
				 in->m->id, succ);
			free(succ);
			*present = true;
		}
	}
	if (*present && !(in->res->note = strdup(note)))
		return hfx_err_set(err, HFX_ERR_NOMEM, "out of memory");
	return HFX_OK;
}

static enum hfx_rc check_requires(struct install *in, struct hfx_err *err)
{
	struct hfx_ctx *ctx = in->ctx;

	for (size_t i = 0; i < in->m->nrequires; i++) {
		const char *req = in->m->requires[i];
		bool met = false;

		if (ctx->db) {
			enum hfx_rc rc = hfx_record_requirement_met(ctx->db, req,
								    &met, err);

			if (rc != HFX_OK)
				return rc;
		}
		if (!met)
			return hfx_err_set(err, HFX_ERR_NOT_APPLICABLE,
					   "%s requires %s, which is not installed; install %s first",
					   in->m->id, req, req);
	}
	return HFX_OK;
}

/* Enough free space on each file system for the staged files? */
static enum hfx_rc check_space(struct install *in, struct hfx_err *err)
{
	struct { dev_t dev; uint64_t need; struct plan_file *pf; } fs[16];
	size_t nfs = 0;

	for (size_t i = 0; i < in->m->nfiles; i++) {
		struct plan_file *pf = &in->files[i];
		size_t k;

		if (!changes(pf->action))
			continue;
		for (k = 0; k < nfs && fs[k].dev != pf->dir_dev; k++)
			;
		if (k == nfs) {
			if (nfs == sizeof(fs) / sizeof(fs[0]))
				continue;	/* beyond 16 file systems: no check */
			fs[nfs].dev = pf->dir_dev;
			fs[nfs].need = 0;
			fs[nfs].pf = pf;
			nfs++;
		}
		fs[k].need += pf->mf->size + 4096;
	}
	for (size_t k = 0; k < nfs; k++) {
		char label[PATH_MAX + 64];
		struct statvfs sv;
		uint64_t avail;

		if (fstatvfs(fs[k].pf->dirfd, &sv) < 0)
			continue;
		avail = (uint64_t)sv.f_bavail * sv.f_frsize;
		if (avail < fs[k].need + fs[k].need / 20)
			return hfx_err_set(err, HFX_ERR_IO,
					   "not enough space for %s: the staged files need %llu KiB, %llu KiB are free; nothing was changed",
					   hfx_ctx_path(in->ctx, fs[k].pf->dir, label,
							sizeof(label)),
					   (unsigned long long)(fs[k].need / 1024),
					   (unsigned long long)(avail / 1024));
	}
	return HFX_OK;
}

static enum hfx_rc plan(struct install *in, struct hfx_err *err)
{
	struct hfx_ctx *ctx = in->ctx;
	const char *pdir = hfx_ctx_product_dir(ctx, in->m->product,
					       in->m->product_dir);
	char label[PATH_MAX + 64];
	enum hfx_rc rc = HFX_OK;
	int pdirfd;

	hfx_ctx_path(ctx, hfx_root_relative(pdir), label, sizeof(label));
	pdirfd = hfx_open_dir(ctx->rootfd, hfx_root_relative(pdir),
			      HFX_RESOLVE_IN_ROOT, label, err);
	if (pdirfd < 0) {
		if (err->code == HFX_ERR_NOT_FOUND) {
			err->code = HFX_ERR_NOT_APPLICABLE;
			hfx_err_prefix(err, "%s is not applicable: product directory of %s not found",
				       in->m->id, in->m->product);
		}
		return err->code;
	}
	in->product_dir = hfx_dir_root_relative(ctx->rootfd, pdirfd, err);
	if (!in->product_dir) {
		close(pdirfd);
		return err->code;
	}
	in->files = calloc(in->m->nfiles, sizeof(*in->files));
	if (!in->files) {
		close(pdirfd);
		return hfx_err_set(err, HFX_ERR_NOMEM, "out of memory");
	}
	for (size_t i = 0; i < in->m->nfiles; i++) {
		in->files[i].mf = &in->m->files[i];
		in->files[i].entry = -1;
		in->files[i].stage_fd = -1;
	}
	{
		struct dir_memos dm = { 0 };

		for (size_t i = 0; rc == HFX_OK && i < in->m->nfiles; i++)
			rc = plan_locate(in, &in->files[i], pdirfd, &dm, err);
		dir_memos_free(&dm);
	}
	close(pdirfd);
	for (size_t i = 0; rc == HFX_OK && i < in->m->nfiles; i++)
		rc = plan_inspect(in, &in->files[i], err);
	if (rc == HFX_OK && ctx->db)
		rc = hfx_db_begin_read(ctx->db, err);
	for (size_t i = 0; rc == HFX_OK && i < in->m->nfiles; i++)
		rc = plan_prepare(in, &in->files[i], err);
	if (rc == HFX_OK)
		rc = hash_all_needed(in, err);
	for (size_t i = 0; rc == HFX_OK && i < in->m->nfiles; i++)
		rc = plan_decide(in, &in->files[i], err);
	if (ctx->db)
		hfx_db_rollback(ctx->db);	/* end the read transaction */
	if (rc != HFX_OK) {
		if (rc == HFX_ERR_NOT_APPLICABLE)
			hfx_err_prefix(err, "%s is not applicable", in->m->id);
		return rc;
	}
	for (size_t i = 0; i < in->m->nfiles; i++)
		describe(in, &in->files[i]);
	return HFX_OK;
}

static enum hfx_rc fill_result_plan(struct install *in, struct hfx_err *err)
{
	char oldv[HFX_VERSION_STR_MAX];

	for (size_t i = 0; i < in->m->nfiles; i++) {
		struct plan_file *pf = &in->files[i];

		if (!hfx_result_add_file(in->res, pf->path, pf->action,
					 pf->fi.exists ? hfx_version_format(&pf->fi.version, oldv)
						    : "absent",
					 pf->mf->version_text))
			return hfx_err_set(err, HFX_ERR_NOMEM, "out of memory");
	}
	return HFX_OK;
}

/* ---- journal ----------------------------------------------------------- */

static enum hfx_rc build_txn_entries(struct install *in, struct hfx_err *err)
{
	struct hfx_txn *txn = in->txn;
	size_t n = 0;
	enum hfx_rc rc;
	char name[64];

	rc = hfx_txn_reserve_id(in->ctx, txn, err);
	if (rc != HFX_OK)
		return rc;
	for (size_t i = 0; i < in->m->nfiles; i++) {
		struct plan_file *pf = &in->files[i];
		struct hfx_txn_entry *e;
		char *store = NULL;

		if (!changes(pf->action))
			continue;
		e = &txn->entries[n];
		pf->entry = (ssize_t)n++;
		snprintf(name, sizeof(name), ".hfx-new-%lld-%zu",
			 (long long)txn->id, i);
		e->dir = strdup(pf->dir);
		e->base = strdup(pf->base);
		e->in_dir = strdup(pf->dir);
		e->in_base = strdup(name);
		e->in_temp = true;
		if (!e->dir || !e->base || !e->in_dir || !e->in_base)
			return hfx_err_set(err, HFX_ERR_NOMEM, "out of memory");
		if (!pf->fi.exists)
			continue;
		e->old_dev = (int64_t)pf->fi.st.st_dev;
		e->old_ino = (int64_t)pf->fi.st.st_ino;
		rc = hfx_store_root_for(in->ctx, pf->dirfd, pf->dir, &store, err);
		if (rc != HFX_OK)
			return rc;
		rc = hfx_store_place(store, in->m->id, pf->mf->target, NULL,
				     &e->keep_dir, &e->keep_base, err);
		free(store);
		if (rc != HFX_OK)
			return rc;
	}
	txn->n = n;
	return hfx_txn_journal(in->ctx, txn, err);
}

/* ---- staging ----------------------------------------------------------- *
 *
 * The package is read in this thread (decompression, tar, SHA-256 of
 * every member) while a writer thread (pipe.c) creates, writes and closes
 * the staged files: the two halves take about the same CPU, and a machine
 * has at least two cores.  Durability: up to SYNC_EACH_MAX files, each
 * one's writeback is started as soon as it is closed and each is fsynced
 * before the swap; beyond, the files are closed unsynced and made durable
 * with one syncfs() per file system, which costs one journal commit
 * instead of one per file (and reports a writeback error of any of them:
 * the file system's error sequence, Linux 5.8 and later).
 */

/* Up to this many staged files, fsync each; beyond, syncfs. */
#define SYNC_EACH_MAX 32

static struct plan_file *plan_of(struct install *in,
				 const struct hfx_manifest_file *f)
{
	return &in->files[f - in->m->files];
}

/* Writer thread: create the staged file next to its target. */
static enum hfx_rc write_begin(void *ud, void *item, struct hfx_err *err)
{
	struct install *in = ud;
	struct plan_file *pf = item;
	struct hfx_txn_entry *e = &in->txn->entries[pf->entry];
	char label[PATH_MAX + 64];

	hfx_fault_step(&in->ctx->fault, "stage-create");
	pf->stage_fd = openat(pf->dirfd, e->in_base,
			      O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
				      O_CLOEXEC,
			      0600);
	if (pf->stage_fd < 0)
		return hfx_err_sys(err, HFX_ERR_IO, "creating %s",
				   hfx_ctx_path(in->ctx, pf->path, label,
						sizeof(label)));
	{
		struct stat st;

		/* Its inode goes into the journal (written once staging is
		 * over: the main thread does not read it before the writer
		 * thread is joined); its group may come from a set-group-ID
		 * directory. */
		if (fstat(pf->stage_fd, &st) < 0)
			return hfx_err_sys(err, HFX_ERR_IO, "%s",
					   hfx_ctx_path(in->ctx, pf->path, label,
							sizeof(label)));
		e->in_dev = (int64_t)st.st_dev;
		e->in_ino = (int64_t)st.st_ino;
		pf->staged_gid = st.st_gid;
	}
	return HFX_OK;
}

/* Writer thread: append a chunk. */
static enum hfx_rc write_data(void *ud, void *item, const void *buf,
			      size_t len, struct hfx_err *err)
{
	struct install *in = ud;
	struct plan_file *pf = item;
	char label[PATH_MAX + 64];
	int inject = hfx_fault_io(&in->ctx->fault);

	hfx_ctx_path(in->ctx, pf->path, label, sizeof(label));
	if (inject) {
		errno = inject;
		return hfx_err_sys(err, HFX_ERR_IO,
				   "writing the new version of %s; nothing was changed",
				   label);
	}
	if (hfx_write_all(pf->stage_fd, buf, len, label, err) != HFX_OK) {
		hfx_err_prefix(err, "staging");
		return err->code;
	}
	return HFX_OK;
}

/* Writer thread: owner, mode and date of the file it replaces; start its
 * writeback. */
static enum hfx_rc write_end(void *ud, void *item, struct hfx_err *err)
{
	struct install *in = ud;
	struct plan_file *pf = item;
	const struct hfx_manifest_file *f = pf->mf;
	char label[PATH_MAX + 64];
	mode_t mode = pf->fi.exists ? (pf->fi.st.st_mode & 07777)
				 : (mode_t)(f->mode >= 0 ? f->mode : 0644);
	uid_t uid = pf->fi.exists ? pf->fi.st.st_uid : 0;
	gid_t gid = pf->fi.exists ? pf->fi.st.st_gid : 0;
	struct timespec times[2] = { { 0, UTIME_OMIT }, { 0, UTIME_NOW } };

	hfx_ctx_path(in->ctx, pf->path, label, sizeof(label));
	/* Owner before mode: chown clears set-id bits.  (A file we just
	 * created is already ours: no call needed then.) */
	if ((uid != geteuid() || gid != pf->staged_gid) &&
	    fchown(pf->stage_fd, uid, gid) < 0 && errno != EPERM)
		return hfx_err_sys(err, HFX_ERR_IO, "setting the owner of %s",
				   label);
	if (fchmod(pf->stage_fd, mode) < 0)
		return hfx_err_sys(err, HFX_ERR_IO, "setting the mode of %s",
				   label);
	if (f->date_epoch >= 0) {
		times[1].tv_sec = (time_t)f->date_epoch;
		times[1].tv_nsec = 0;
	}
	if (futimens(pf->stage_fd, times) < 0)
		return hfx_err_sys(err, HFX_ERR_IO, "setting the date of %s",
				   label);
	if (in->files_total > SYNC_EACH_MAX) {
		/* syncfs() later: one flush of everything is cheaper than
		 * starting writeback file by file; spare the descriptor. */
		close(pf->stage_fd);
		pf->stage_fd = -1;
	} else {
		/* fsync each later: start the writeback now, so those mostly
		 * wait for I/O already in flight. */
		sync_file_range(pf->stage_fd, 0, 0, SYNC_FILE_RANGE_WRITE);
	}
	return HFX_OK;
}

/* Reading thread: the package sink, forwarding to the writer. */
static enum hfx_rc stage_open(void *ud, const struct hfx_manifest_file *f,
			      bool *want, struct hfx_err *err)
{
	struct install *in = ud;
	struct plan_file *pf = plan_of(in, f);

	*want = changes(pf->action);
	return *want ? hfx_pipe_begin(in->pipe, pf, err) : HFX_OK;
}

static enum hfx_rc stage_write(void *ud, const struct hfx_manifest_file *f,
			       const void *buf, size_t len, struct hfx_err *err)
{
	struct install *in = ud;

	(void)f;
	in->bytes_done += len;
	hfx_event_progress(&in->ctx->ev, in->m->id, "staging", in->files_done,
			   in->files_total, in->bytes_done, in->bytes_total);
	return hfx_pipe_data(in->pipe, buf, len, err);
}

static enum hfx_rc stage_close(void *ud, const struct hfx_manifest_file *f,
			       struct hfx_err *err)
{
	struct install *in = ud;

	(void)f;
	in->files_done++;
	return hfx_pipe_end(in->pipe, err);
}

/* Stream the payload into the staged files. */
static enum hfx_rc stage(struct install *in, struct hfx_pkg *pkg,
			 struct hfx_err *err)
{
	static const struct hfx_pipe_ops writer = {
		.begin = write_begin, .data = write_data, .end = write_end,
	};
	struct hfx_pipe_ops ops = writer;
	struct hfx_pkg_sink sink = {
		.open = stage_open, .write = stage_write, .close = stage_close,
		.ud = in,
	};
	struct hfx_err werr;
	enum hfx_rc rc, wrc;

	ops.ud = in;
	rc = hfx_pipe_start(&ops, &in->pipe, err);
	if (rc != HFX_OK)
		return rc;
	rc = hfx_pkg_read_payload(pkg, in->m, &sink, err);
	/* A write error surfaces in the reader as the writer's error; a
	 * package error leaves the rest of the queue to be dropped. */
	hfx_err_clear(&werr);
	wrc = hfx_pipe_finish(in->pipe, rc != HFX_OK, &werr);
	in->pipe = NULL;
	if (rc == HFX_OK && wrc != HFX_OK)
		rc = hfx_err_set(err, wrc, "%s", werr.msg);
	return rc;
}

static enum hfx_rc sync_staged(struct install *in, struct hfx_err *err)
{
	char label[PATH_MAX + 64];

	if (in->files_total > SYNC_EACH_MAX) {
		/* One syncfs() per file system holding staged files. */
		for (size_t i = 0; i < in->m->nfiles; i++) {
			struct plan_file *pf = &in->files[i];
			bool done = false;

			if (!changes(pf->action))
				continue;
			for (size_t j = 0; j < i && !done; j++)
				done = changes(in->files[j].action) &&
				       in->files[j].dir_dev == pf->dir_dev;
			if (done)
				continue;
			hfx_fault_step(&in->ctx->fault, "syncfs-staged");
			if (syncfs(pf->dirfd) < 0)
				return hfx_err_sys(err, HFX_ERR_IO,
						   "writing the new files to disk (%s); nothing was changed",
						   hfx_ctx_path(in->ctx, pf->dir, label,
								sizeof(label)));
		}
		return HFX_OK;
	}
	for (size_t i = 0; i < in->m->nfiles; i++) {
		struct plan_file *pf = &in->files[i];

		if (pf->stage_fd < 0)
			continue;
		hfx_fault_step(&in->ctx->fault, "fsync-staged");
		if (fsync(pf->stage_fd) < 0)
			return hfx_err_sys(err, HFX_ERR_IO,
					   "writing the new version of %s to disk; nothing was changed",
					   hfx_ctx_path(in->ctx, pf->path, label,
							sizeof(label)));
		close(pf->stage_fd);
		pf->stage_fd = -1;
	}
	return HFX_OK;
}

static void close_staged(struct install *in)
{
	for (size_t i = 0; in->files && i < in->m->nfiles; i++)
		if (in->files[i].stage_fd >= 0) {
			close(in->files[i].stage_fd);
			in->files[i].stage_fd = -1;
		}
}

/* ---- processes --------------------------------------------------------- */

/* Processes using the targets now, before anything is stopped.  Those
 * that belong to one of the hotfix's services will be restarted with it;
 * the others are strays: they are listed (with -v and in JSON) because
 * they will keep running the old code until someone restarts them. */
static void warn_users_before(struct install *in)
{
	struct hfx_file_id *ids = calloc(in->m->nfiles, sizeof(*ids));
	struct hfx_proc_list procs = { 0 };
	struct hfx_err local;
	size_t n = 0;

	if (!ids)
		return;
	for (size_t i = 0; i < in->m->nfiles; i++) {
		struct plan_file *pf = &in->files[i];

		if (!changes(pf->action) || !pf->fi.exists)
			continue;
		ids[n].dev = pf->fi.st.st_dev;
		ids[n].ino = pf->fi.st.st_ino;
		ids[n].path = pf->path;
		n++;
	}
	hfx_err_clear(&local);
	if (hfx_procscan(ids, n, &procs, &local) != HFX_OK) {
		hfx_event_msg(&in->ctx->ev, HFX_EV_WARNING, 0, in->m->id,
			      "cannot tell which processes use the files: %s",
			      local.msg);
		free(ids);
		return;
	}
	for (size_t i = 0; i < procs.n; i++) {
		struct hfx_proc *p = &procs.v[i];
		const struct hfx_service *owner =
			hfx_services_owner(in->ctx, &in->services, p->pid, p->unit);
		struct hfx_event ev = {
			.type = HFX_EV_PROCESS, .verbose = 1, .hotfix = in->m->id,
			.pid = p->pid, .comm = p->comm, .path = p->path,
			.service = owner ? owner->name : NULL,
		};
		char text[PATH_MAX + 256];

		if (owner)
			snprintf(text, sizeof(text),
				 "process %ld (%s) uses /%s; it belongs to service '%s', restarted with the hotfix",
				 p->pid, p->comm, p->path, owner->name);
		else
			snprintf(text, sizeof(text),
				 "warning: process %ld (%s) uses /%s but belongs to none of the hotfix's services; it will run the old code until it is restarted",
				 p->pid, p->comm, p->path);
		ev.text = text;
		hfx_event_emit(&in->ctx->ev, &ev);
		if (!owner) {
			struct hfx_proc *grown = realloc(in->res->strays.v,
							 (in->res->strays.n + 1) * sizeof(*grown));

			if (!grown)
				break;
			in->res->strays.v = grown;
			grown[in->res->strays.n] = *p;
			p->path = p->unit = NULL;	/* moved */
			in->res->strays.n++;
		}
	}
	hfx_proc_list_free(&procs);
	free(ids);
}

/* After the restart: processes still mapping a replaced (old) inode run
 * the old code, so a restart is required. */
static void find_old_code(struct install *in)
{
	struct hfx_file_id *ids = calloc(in->m->nfiles, sizeof(*ids));
	struct hfx_err local;
	size_t n = 0;

	if (!ids)
		return;
	for (size_t i = 0; i < in->m->nfiles; i++) {
		struct plan_file *pf = &in->files[i];

		if (pf->action != HFX_ACT_REPLACE)
			continue;
		ids[n].dev = pf->fi.st.st_dev;
		ids[n].ino = pf->fi.st.st_ino;
		ids[n].path = pf->path;
		n++;
	}
	hfx_err_clear(&local);
	if (hfx_procscan(ids, n, &in->res->procs, &local) == HFX_OK &&
	    in->res->procs.n > 0)
		in->res->restart_required = true;
	free(ids);
}

/* ---- record ------------------------------------------------------------ */

static char *join_list(char **list, size_t n)
{
	size_t len = 1;
	char *out, *p;

	for (size_t i = 0; i < n; i++)
		len += strlen(list[i]) + 2;
	out = malloc(len);
	if (!out)
		return NULL;
	p = out;
	*p = '\0';
	for (size_t i = 0; i < n; i++)
		p += sprintf(p, "%s%s", i ? ", " : "", list[i]);
	return out;
}

static enum hfx_rc write_record(struct hfx_ctx *ctx, void *ud,
				struct hfx_err *err)
{
	struct install *in = ud;
	struct hfx_manifest *m = in->m;
	struct hfx_hotfix_rec rec = { 0 };
	enum hfx_rc rc = HFX_OK;
	char versions[HFX_VERSION_STR_MAX];

	/* Services are up again: measure what the record must say. */
	in->res->downtime_ms = hfx_services_downtime(&in->services);
	find_old_code(in);
	if (m->restart == HFX_RESTART_REBOOT)
		in->res->restart_required = true;

	rec.id = m->id;
	rec.title = m->title;
	rec.product = m->product;
	rec.product_dir = in->product_dir;
	rec.state = "installed";
	rec.restart = (char *)hfx_restart_name(m->restart);
	rec.services = join_list(m->services, m->nservices);
	rec.supersedes = join_list(m->supersedes, m->nsupersedes);
	rec.requires = join_list(m->requires, m->nrequires);
	rec.manifest = in->manifest_text;
	rec.signer = in->signer;
	rec.installed_at = (int64_t)time(NULL);
	rec.restart_required = in->res->restart_required;
	rec.downtime_ms = in->res->downtime_ms;
	rec.files = calloc(m->nfiles, sizeof(*rec.files));
	if (!rec.services || !rec.supersedes || !rec.requires || !rec.files)
		rc = hfx_err_set(err, HFX_ERR_NOMEM, "out of memory");
	for (size_t i = 0; rc == HFX_OK && i < m->nfiles; i++) {
		struct plan_file *pf = &in->files[i];
		struct hfx_file_rec *f = &rec.files[rec.nfiles++];
		struct stat st;

		f->path = pf->path;
		f->target = pf->mf->target;
		f->action = changes(pf->action)
				    ? (char *)hfx_file_action_name(pf->action)
				    : (char *)"keep";
		f->old_version = pf->fi.exists && hfx_version_known(&pf->fi.version)
					 ? strdup(hfx_version_format(&pf->fi.version, versions))
					 : NULL;
		f->new_version = pf->mf->version_text;
		snprintf(f->old_sha256, sizeof(f->old_sha256), "%s",
			 pf->fi.exists ? pf->fi.sha256 : "");
		hfx_hex(pf->mf->sha256, HFX_SHA256_LEN, f->new_sha256);
		f->old_size = pf->fi.exists ? (int64_t)pf->fi.st.st_size : -1;
		f->new_size = (int64_t)pf->mf->size;
		f->old_mode = pf->fi.exists ? (int64_t)(pf->fi.st.st_mode & 07777) : -1;
		f->old_uid = pf->fi.exists ? (int64_t)pf->fi.st.st_uid : -1;
		f->old_gid = pf->fi.exists ? (int64_t)pf->fi.st.st_gid : -1;
		f->mode = f->uid = f->gid = -1;
		f->dev = f->ino = f->mtime_ns = f->ctime_ns = -1;
		f->prev_hotfix = changes(pf->action) ? pf->prev_hotfix : NULL;
		if (changes(pf->action) && pf->fi.exists) {
			const struct hfx_txn_entry *e = &in->txn->entries[pf->entry];
			f->backup = hfx_path_join(e->keep_dir, e->keep_base);
		}
		/* The stat of the installed file, for verify's fast path. */
		if (fstatat(pf->dirfd, pf->base, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
		    S_ISREG(st.st_mode)) {
			f->mode = (int64_t)(st.st_mode & 07777);
			f->uid = (int64_t)st.st_uid;
			f->gid = (int64_t)st.st_gid;
			f->dev = (int64_t)st.st_dev;
			f->ino = (int64_t)st.st_ino;
			f->mtime_ns = (int64_t)st.st_mtim.tv_sec * 1000000000 +
				      st.st_mtim.tv_nsec;
			f->ctime_ns = (int64_t)st.st_ctim.tv_sec * 1000000000 +
				      st.st_ctim.tv_nsec;
		}
	}
	if (rc == HFX_OK)
		rc = hfx_record_insert(ctx->db, &rec, err);
	for (size_t i = 0; rc == HFX_OK && i < m->nsupersedes; i++)
		rc = hfx_record_supersede(ctx->db, m->supersedes[i], m->id, err);
	for (size_t i = 0; i < rec.nfiles; i++) {
		free(rec.files[i].old_version);
		free(rec.files[i].backup);
	}
	free(rec.files);
	free(rec.services);
	free(rec.supersedes);
	free(rec.requires);
	return rc;
}

/* ---- the install ------------------------------------------------------- */

static void install_free(struct install *in)
{
	close_staged(in);
	for (size_t i = 0; in->files && i < in->m->nfiles; i++) {
		free(in->files[i].path);
		free(in->files[i].dir);
		free(in->files[i].prev_hotfix);
		free(in->files[i].owner);
	}
	free(in->files);
	hfx_services_free(&in->services);
	hfx_txn_free(in->txn);
	hfx_manifest_free(in->m);
	free(in->manifest_text);
	free(in->signer);
	free(in->product_dir);
}

static enum hfx_rc run_install(struct install *in, const char *path,
			       struct hfx_err *err)
{
	struct hfx_ctx *ctx = in->ctx;
	struct hfx_result *res = in->res;
	struct hfx_pkg *pkg = NULL;
	bool present, services_wanted;
	enum hfx_rc rc;
	size_t nchange = 0;
	int fd;

	rc = open_package(path, &fd, err);
	if (rc != HFX_OK)
		return rc;
	rc = hfx_pkg_open(fd, path, &pkg, err);
	if (rc == HFX_OK)
		rc = read_verified_head(ctx, pkg, path, &in->m, &in->signer,
					&in->manifest_text, err);
	if (rc != HFX_OK)
		goto out;
	res->id = strdup(in->m->id);
	if (!res->id) {
		rc = hfx_err_set(err, HFX_ERR_NOMEM, "out of memory");
		goto out;
	}
	hfx_event_msg(&ctx->ev, HFX_EV_MESSAGE, 1, in->m->id,
		      "%s: %s (signed by %s)", in->m->id, in->m->title,
		      in->signer);
	rc = already_present(in, &present, err);
	if (rc != HFX_OK)
		goto out;
	if (present)
		goto verify_only;
	rc = check_requires(in, err);
	if (rc != HFX_OK)
		goto out;
	rc = hfx_txn_new(HFX_TXN_INSTALL, in->m->id, in->m->nfiles, &in->txn,
			 err);
	if (rc == HFX_OK)
		rc = plan(in, err);
	if (rc == HFX_OK)
		rc = fill_result_plan(in, err);
	if (rc != HFX_OK)
		goto out;
	for (size_t i = 0; i < in->m->nfiles; i++)
		if (changes(in->files[i].action)) {
			nchange++;
			in->bytes_total += in->files[i].mf->size;
		}
	in->files_total = nchange;
	services_wanted = in->m->restart == HFX_RESTART_SERVICES;
	if (nchange == 0) {
		res->note = strdup("every file is already at or above the hotfix's version; nothing to do");
		goto verify_only;
	}
	if (services_wanted) {
		rc = hfx_services_prepare(ctx, in->m->services, in->m->nservices,
					  in->m->id, &in->services, err);
		if (rc != HFX_OK)
			goto out;
		for (size_t i = 0; i < in->services.n; i++)
			if (in->services.svc[i].was_running &&
			    !hfx_result_add_service(res, in->services.svc[i].name)) {
				rc = hfx_err_set(err, HFX_ERR_NOMEM, "out of memory");
				goto out;
			}
	}
	if (ctx->opt.dry_run)
		goto verify_only;

	/* Journal, then stage while the payload streams. */
	rc = check_space(in, err);
	if (rc == HFX_OK)
		rc = build_txn_entries(in, err);
	if (rc != HFX_OK)
		goto out;
	hfx_event_msg(&ctx->ev, HFX_EV_PHASE, 1, in->m->id, "staging");
	{
		struct hash_job hasher;
		enum hfx_rc hrc;

		hash_start(&hasher, in, needed_by_record, 0, 1);
		rc = stage(in, pkg, err);
		hrc = hash_join(&hasher, err);
		if (rc == HFX_OK)
			rc = hrc;
	}
	if (rc == HFX_OK)
		rc = sync_staged(in, err);
	if (rc == HFX_OK)
		rc = hfx_txn_mark_staged(ctx, in->txn, err);
	if (rc != HFX_OK) {
		close_staged(in);
		hfx_txn_abort(ctx, in->txn, &in->services, false);
		goto out;
	}
	warn_users_before(in);
	rc = hfx_txn_execute(ctx, in->txn, &in->services, write_record, in,
			     err);
	if (rc != HFX_OK)
		goto out;
	res->changed = true;
	goto out;
verify_only:
	/* Nothing to install, or a dry run: the package must still be whole
	 * -- a damaged package is reported, not shrugged off as "already
	 * installed".  Its payload is read and checked, and dropped. */
	rc = hfx_pkg_read_payload(pkg, in->m, &discard_sink, err);
out:
	hfx_pkg_close(pkg);
	close(fd);
	return rc;
}

enum hfx_rc hfx_install(struct hfx_ctx *ctx, const char *path,
			struct hfx_result *res, struct hfx_err *err)
{
	struct install in = { .ctx = ctx, .res = res };
	char msg[HFX_ERR_MSG_MAX + 64];
	enum hfx_rc rc;

	hfx_result_init(res);
	rc = run_install(&in, path, err);
	if (!ctx->opt.dry_run) {
		if (rc != HFX_OK)
			snprintf(msg, sizeof(msg), "%s", err->msg);
		else if (!res->changed)
			snprintf(msg, sizeof(msg), "nothing changed: %s",
				 res->note ? res->note : "nothing to do");
		else
			snprintf(msg, sizeof(msg), "installed from %s%s", path,
				 res->restart_required ? "; restart required" : "");
		hfx_ctx_log(ctx, "install", in.m ? in.m->id : NULL, rc,
			    rc == HFX_OK ? (res->restart_required ? 10 : 0)
					 : hfx_rc_exit_code(rc),
			    msg, res->downtime_ms);
	}
	install_free(&in);
	return rc;
}

/* ---- several packages -------------------------------------------------- */

enum hfx_rc hfx_install_order(struct hfx_ctx *ctx, char *const *paths,
			      size_t n, size_t *order, char **ids,
			      struct hfx_err *err)
{
	struct hfx_manifest **ms = calloc(n ? n : 1, sizeof(*ms));
	bool *placed = calloc(n ? n : 1, sizeof(*placed));
	enum hfx_rc rc = HFX_OK;
	size_t done = 0;

	if (!ms || !placed) {
		free(ms);
		free(placed);
		return hfx_err_set(err, HFX_ERR_NOMEM, "out of memory");
	}
	for (size_t i = 0; rc == HFX_OK && i < n; i++) {
		char *signer = NULL;

		rc = hfx_package_check(ctx, paths[i], false, &ms[i], &signer,
				       NULL, err);
		free(signer);
		if (rc == HFX_OK && !(ids[i] = strdup(ms[i]->id)))
			rc = hfx_err_set(err, HFX_ERR_NOMEM, "out of memory");
	}
	/* Repeatedly place a package none of whose predecessors among the
	 * given ones is unplaced; a cycle is an error. */
	while (rc == HFX_OK && done < n) {
		bool progress = false;

		for (size_t i = 0; i < n; i++) {
			bool ready = true;

			if (placed[i])
				continue;
			for (size_t j = 0; j < n && ready; j++) {
				if (j == i || placed[j])
					continue;
				for (size_t k = 0; k < ms[i]->nrequires; k++)
					if (strcmp(ms[i]->requires[k], ms[j]->id) == 0)
						ready = false;
				for (size_t k = 0; k < ms[i]->nsupersedes; k++)
					if (strcmp(ms[i]->supersedes[k], ms[j]->id) == 0)
						ready = false;
			}
			if (ready) {
				order[done++] = i;
				placed[i] = true;
				progress = true;
			}
		}
		if (!progress)
			rc = hfx_err_set(err, HFX_ERR_PACKAGE,
					 "the packages require or supersede each other in a cycle");
	}
	for (size_t i = 0; i < n; i++)
		hfx_manifest_free(ms[i]);
	free(ms);
	free(placed);
	return rc;
}
