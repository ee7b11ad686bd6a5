/*
 * context.c -- open a root, its configuration, database and lock; log.
 *
 * The configured directories (HFX_SYSCONFDIR, HFX_LOCALSTATEDIR, from
 * configure) are used relative to the root: with --root /mnt/img, the
 * database is /mnt/img/var/lib/hfx/hfx.db.
 *
 * The database is only created by commands that change the machine.  If
 * it is missing while the store still holds originals, it is NOT created
 * afresh: that would silently forget what can be rolled back.  The user is
 * told what is left and where (see check_lost_database()).
 */
#include "context.h"
#include "db.h"
#include "fsutil.h"
#include "lock.h"
#include "record.h"
#include "signature.h"
#include "store.h"
#include "txn.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

/* The directories come from configure (Makefile.am passes them with
 * -D): no second default here. */
#if !defined(HFX_SYSCONFDIR) || !defined(HFX_LOCALSTATEDIR)
#error "HFX_SYSCONFDIR and HFX_LOCALSTATEDIR must come from configure"
#endif

const char *hfx_ctx_path(const struct hfx_ctx *ctx, const char *rel,
			 char *buf, size_t len)
{
	const char *root = ctx->root ? ctx->root : "/";
	bool slash = root[strlen(root) - 1] == '/';

	snprintf(buf, len, "%s%s%s", root, slash ? "" : "/", rel ? rel : "");
	return buf;
}

/* Open a root-relative directory if it exists, else -1 (no error). */
static int open_optional_dir(struct hfx_ctx *ctx, const char *rel,
			     struct hfx_err *err, enum hfx_rc *rc)
{
	char label[PATH_MAX + 64];
	struct hfx_err local;
	int fd;

	*rc = HFX_OK;
	hfx_err_clear(&local);
	fd = hfx_open_dir(ctx->rootfd, rel, HFX_RESOLVE_IN_ROOT,
			  hfx_ctx_path(ctx, rel, label, sizeof(label)), &local);
	if (fd < 0 && local.code != HFX_ERR_NOT_FOUND)
		*rc = hfx_err_set(err, HFX_ERR_IO, "%s", local.msg);
	return fd;
}

/* The database is gone but the store holds originals: say what is left. */
static enum hfx_rc check_lost_database(struct hfx_ctx *ctx,
				       struct hfx_err *err)
{
	char label[PATH_MAX + 64], list[512] = "";
	size_t n = 0, used = 0;
	struct dirent *de;
	DIR *dir;
	int fd;

	fd = openat(ctx->statedir_fd, "store",
		    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return HFX_OK;
	dir = fdopendir(fd);
	if (!dir) {
		close(fd);
		return HFX_OK;
	}
	while ((de = readdir(dir))) {
		if (de->d_name[0] == '.')
			continue;
		n++;
		if (used + strlen(de->d_name) + 3 < sizeof(list))
			used += (size_t)snprintf(list + used, sizeof(list) - used,
						 "%s%s", used ? ", " : "",
						 de->d_name);
	}
	closedir(dir);
	if (n == 0)
		return HFX_OK;
	{
		char rel[PATH_MAX];

		snprintf(rel, sizeof(rel), "%s/hfx.db", ctx->statedir);
		hfx_ctx_path(ctx, rel, label, sizeof(label));
	}
	{
		char store[PATH_MAX + 64], rel[PATH_MAX];

		snprintf(rel, sizeof(rel), "%s/store", ctx->statedir);
		hfx_ctx_path(ctx, rel, store, sizeof(store));
		return hfx_err_set(err, HFX_ERR_DB,
				   "the database %s is missing, but %s still holds the original files of %zu hotfix(es) (%s). "
				   "The record of what they replaced is lost, so hfx cannot roll them back; the originals are kept there "
				   "under their paths relative to the product directory and can be copied back by hand. "
				   "Move %s aside to start a new database; nothing was changed",
				   label, store, n, list, store);
	}
}

static enum hfx_rc open_database(struct hfx_ctx *ctx, bool create,
				 struct hfx_err *err)
{
	char rel[PATH_MAX], path[PATH_MAX + 64];
	enum hfx_rc rc;

	snprintf(rel, sizeof(rel), "%s/hfx.db", ctx->statedir);
	hfx_ctx_path(ctx, rel, path, sizeof(path));
	if (faccessat(ctx->statedir_fd, "hfx.db", F_OK, AT_SYMLINK_NOFOLLOW) < 0) {
		if (errno != ENOENT)
			return hfx_err_sys(err, HFX_ERR_DB, "database %s", path);
		if (!create) {
			/* Read a root without a database -- but say so if
			 * originals are kept without their record. */
			struct hfx_err lost;

			hfx_err_clear(&lost);
			if (check_lost_database(ctx, &lost) != HFX_OK)
				hfx_event_msg(&ctx->ev, HFX_EV_WARNING, 0, NULL,
					      "%s", lost.msg);
			return HFX_OK;
		}
		rc = check_lost_database(ctx, err);
		if (rc != HFX_OK)
			return rc;
	}
	return hfx_db_open(path, path, create, &ctx->db, err);
}

static enum hfx_rc recover_if_needed(struct hfx_ctx *ctx,
				     enum hfx_access access,
				     struct hfx_err *err)
{
	char label[PATH_MAX + 64], rel[PATH_MAX];
	int pending = 0, recovered = 0;
	struct hfx_err local;
	enum hfx_rc rc;

	rc = hfx_txn_pending(ctx->db, &pending, err);
	if (rc != HFX_OK || pending == 0)
		return rc;
	if (ctx->opt.dry_run) {
		/* --dry-run changes nothing, recovery included. */
		hfx_event_msg(&ctx->ev, HFX_EV_WARNING, 0, NULL,
			      "an interrupted transaction is pending; it is left alone with --dry-run (hfx recover finishes it)");
		return HFX_OK;
	}
	if (access == HFX_ACCESS_READ && ctx->lock_fd < 0) {
		snprintf(rel, sizeof(rel), "%s/lock", ctx->statedir);
		hfx_ctx_path(ctx, rel, label, sizeof(label));
		hfx_err_clear(&local);
		if (hfx_lock_acquire(ctx->statedir_fd, label, 0, &ctx->lock_fd,
				     &local) != HFX_OK) {
			hfx_event_msg(&ctx->ev, HFX_EV_WARNING, 0, NULL,
				      "a transaction is in progress (%s); the answer may change when it ends",
				      local.msg);
			return HFX_OK;
		}
	}
	return hfx_txn_recover(ctx, &recovered, err);
}

/* A trash left by a purge that was cut short (a reboot) is emptied again. */
static void purge_leftover_trash(struct hfx_ctx *ctx)
{
	char rel[PATH_MAX], *list[1] = { rel };
	struct stat st;

	snprintf(rel, sizeof(rel), "%s/store/%s", ctx->statedir, HFX_STORE_TRASH);
	if (fstatat(ctx->rootfd, rel, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	    S_ISDIR(st.st_mode))
		hfx_store_purge(ctx, list, 1);
}

enum hfx_rc hfx_ctx_open(struct hfx_ctx *ctx, const struct hfx_options *opt,
			 const struct hfx_events *ev, enum hfx_access access,
			 struct hfx_err *err)
{
	char real[PATH_MAX], label[PATH_MAX + 64], rel[PATH_MAX];
	const char *root = opt->root && *opt->root ? opt->root : "/";
	/* Only a command that changes the machine takes the lock, creates
	 * the state directory and database, and empties leftover trash. */
	bool writing = access == HFX_ACCESS_WRITE && !opt->dry_run;
	enum hfx_rc rc;
	struct stat st;

	memset(ctx, 0, sizeof(*ctx));
	ctx->rootfd = ctx->confdir_fd = ctx->statedir_fd = ctx->lock_fd = -1;
	ctx->opt = *opt;
	if (ev)
		ctx->ev = *ev;
	hfx_fault_init(&ctx->fault);
	ctx->confdir = hfx_root_relative(HFX_SYSCONFDIR "/hfx");
	ctx->statedir = hfx_root_relative(HFX_LOCALSTATEDIR "/lib/hfx");
	ctx->logdir = hfx_root_relative(HFX_LOCALSTATEDIR "/log");

	if (!realpath(root, real))
		return hfx_err_sys(err, HFX_ERR_USAGE, "root %s", root);
	if (stat(real, &st) < 0 || !S_ISDIR(st.st_mode))
		return hfx_err_set(err, HFX_ERR_USAGE,
				   "root %s is not a directory", root);
	ctx->root = strdup(real);
	if (!ctx->root)
		return hfx_err_set(err, HFX_ERR_NOMEM, "out of memory");
	ctx->online = strcmp(real, "/") == 0;
#ifdef HFX_FAULT_INJECTION
	/* Test hook: treat a temporary root as the running system, so the
	 * systemd and SysV backends can be exercised against stand-ins. */
	if (getenv("HFX_TEST_ONLINE_ROOT"))
		ctx->online = true;
#endif
	ctx->rootfd = open(real, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (ctx->rootfd < 0)
		return hfx_err_sys(err, HFX_ERR_IO, "opening root %s", real);

	ctx->confdir_fd = open_optional_dir(ctx, ctx->confdir, err, &rc);
	if (rc != HFX_OK)
		return rc;
	rc = hfx_config_load(&ctx->cfg, ctx->confdir_fd,
			     hfx_ctx_path(ctx, ctx->confdir, label, sizeof(label)),
			     err);
	if (rc != HFX_OK)
		return rc;
	ctx->timeout = opt->timeout >= 0 ? opt->timeout : ctx->cfg.timeout;
	ctx->lock_timeout = opt->lock_timeout >= 0 ? opt->lock_timeout
						   : ctx->cfg.lock_timeout;
	if (ctx->cfg.syslog)
		ctx->opt.syslog = true;

	if (writing) {
		hfx_ctx_path(ctx, ctx->statedir, label, sizeof(label));
		ctx->statedir_fd = hfx_mkdirs(ctx->rootfd, ctx->statedir, 0755,
					      label, err);
		if (ctx->statedir_fd < 0)
			return err->code;
		snprintf(rel, sizeof(rel), "%s/lock", ctx->statedir);
		rc = hfx_lock_acquire(ctx->statedir_fd,
				      hfx_ctx_path(ctx, rel, label, sizeof(label)),
				      ctx->lock_timeout, &ctx->lock_fd, err);
		if (rc != HFX_OK)
			return rc;
	} else {
		ctx->statedir_fd = open_optional_dir(ctx, ctx->statedir, err, &rc);
		if (rc != HFX_OK)
			return rc;
		if (ctx->statedir_fd < 0)
			return HFX_OK;	/* nothing recorded on this root */
	}
	rc = open_database(ctx, writing, err);
	if (rc != HFX_OK || !ctx->db)
		return rc;
	rc = recover_if_needed(ctx, access, err);
	if (rc == HFX_OK && writing)
		purge_leftover_trash(ctx);
	return rc;
}

void hfx_ctx_close(struct hfx_ctx *ctx)
{
	hfx_db_close(ctx->db);
	ctx->db = NULL;
	hfx_lock_release(ctx->lock_fd);
	ctx->lock_fd = -1;
	if (ctx->statedir_fd >= 0)
		close(ctx->statedir_fd);
	if (ctx->confdir_fd >= 0)
		close(ctx->confdir_fd);
	if (ctx->rootfd >= 0)
		close(ctx->rootfd);
	ctx->rootfd = ctx->statedir_fd = ctx->confdir_fd = -1;
	hfx_trust_free(ctx->trust);
	ctx->trust = NULL;
	hfx_config_free(&ctx->cfg);
	hfx_fault_fini(&ctx->fault);
	free(ctx->root);
	ctx->root = NULL;
}

enum hfx_rc hfx_ctx_trust(struct hfx_ctx *ctx, struct hfx_trust **out,
			  struct hfx_err *err)
{
	char rel[PATH_MAX], label[PATH_MAX + 64];
	enum hfx_rc rc;
	int fd;

	if (!ctx->trust) {
		snprintf(rel, sizeof(rel), "%s/trust", ctx->confdir);
		fd = open_optional_dir(ctx, rel, err, &rc);
		if (rc != HFX_OK)
			return rc;
		rc = hfx_trust_load(fd, hfx_ctx_path(ctx, rel, label,
						     sizeof(label)),
				    &ctx->trust, err);
		if (fd >= 0)
			close(fd);
		if (rc != HFX_OK)
			return rc;
	}
	*out = ctx->trust;
	return HFX_OK;
}

enum hfx_rc hfx_ctx_load_services(struct hfx_ctx *ctx, struct hfx_err *err)
{
	char label[PATH_MAX + 64];

	return hfx_config_load_services(&ctx->cfg, ctx->confdir_fd,
					hfx_ctx_path(ctx, ctx->confdir, label,
						     sizeof(label)),
					err);
}

const char *hfx_ctx_product_dir(const struct hfx_ctx *ctx, const char *product,
				const char *manifest_dir)
{
	const char *dir = hfx_config_product_dir(&ctx->cfg, product);

	return dir ? dir : manifest_dir;
}

/* Open the log file: --log FILE is a host path; otherwise var/log/hfx.log
 * under the root, its directory created if needed. */
static int open_log(struct hfx_ctx *ctx)
{
	struct hfx_err ignore;
	int dirfd, fd;

	if (ctx->opt.log_path)
		return open(ctx->opt.log_path,
			    O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOCTTY,
			    0640);
	hfx_err_clear(&ignore);
	dirfd = hfx_mkdirs(ctx->rootfd, ctx->logdir, 0755, "log directory",
			   &ignore);
	if (dirfd < 0)
		return -1;
	fd = openat(dirfd, "hfx.log",
		    O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW |
			    O_NOCTTY,
		    0640);
	close(dirfd);
	return fd;
}

void hfx_ctx_log(struct hfx_ctx *ctx, const char *command, const char *hotfix,
		 enum hfx_rc rc, int exit_code, const char *message,
		 int64_t downtime_ms)
{
	char stamp[64], line[2048], down[48] = "";
	const char *result = rc == HFX_OK ? "ok" : hfx_rc_name(rc);
	struct hfx_err local;
	struct tm tm;
	time_t now = time(NULL);
	int fd, n;

	if (ctx->opt.dry_run || ctx->rootfd < 0)
		return;
	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (downtime_ms >= 0)
		snprintf(down, sizeof(down), " downtime=%lldms",
			 (long long)downtime_ms);
	n = snprintf(line, sizeof(line), "%s %s[%ld] %s %s: %s exit=%d%s: %s\n",
		     stamp, "hfx", (long)getpid(), command,
		     hotfix ? hotfix : "-", result, exit_code, down,
		     message ? message : "");
	if (n < 0)
		return;
	if (n >= (int)sizeof(line)) {
		n = (int)sizeof(line) - 1;
		line[n - 1] = '\n';
	}
	fd = open_log(ctx);
	if (fd >= 0) {
		hfx_err_clear(&local);
		hfx_write_all(fd, line, (size_t)n, "hfx.log", &local);
		close(fd);
	} else {
		hfx_event_msg(&ctx->ev, HFX_EV_WARNING, 0, hotfix,
			      "cannot write the log: %s", strerror(errno));
	}
	/* Never write into a database that just reported itself unusable. */
	if (ctx->db && rc != HFX_ERR_DB) {
		hfx_err_clear(&local);
		if (hfx_record_event(ctx->db, command, hotfix, result,
					  exit_code, message, downtime_ms,
					  &local) != HFX_OK)
			hfx_event_msg(&ctx->ev, HFX_EV_WARNING, 0, hotfix,
				      "cannot record the event: %s", local.msg);
	}
	if (ctx->opt.syslog) {
		openlog("hfx", LOG_PID, LOG_DAEMON);
		syslog(rc == HFX_OK ? LOG_NOTICE : LOG_ERR,
		       "%s %s: %s exit=%d%s: %s", command, hotfix ? hotfix : "-",
		       result, exit_code, down, message ? message : "");
		closelog();
	}
}
