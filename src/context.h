/*
 * context.h -- everything one hfx command works with, in one place.
 *
 * The context owns the root (an open directory descriptor everything else
 * is resolved from), the host configuration, the database, the lock and
 * the event sink.  There is no global state in the engine: two contexts on
 * two roots can live in one process.
 *
 * Opening a context for writing takes the lock, creates what is missing
 * under var/lib/hfx and then runs recovery of an interrupted transaction
 * before the command proper starts, so every command begins from a
 * consistent machine.  Opening for reading creates nothing; it recovers
 * too if it can take the lock at once, and otherwise reads around the
 * transaction in progress (warning that it is there).
 */
#ifndef HFX_CONTEXT_H
#define HFX_CONTEXT_H

#include <stdbool.h>
#include <sqlite3.h>

#include "error.h"
#include "event.h"
#include "fault.h"
#include "hostconf.h"

struct hfx_trust;

struct hfx_options {
	const char *root;	/* default "/" */
	bool dry_run, force, no_services, verbose, full;
	int timeout;		/* service stop/start, seconds; -1: config */
	int lock_timeout;	/* seconds; -1: config */
	const char *log_path;	/* --log FILE, or NULL for var/log/hfx.log */
	bool syslog;		/* --syslog (or hfx.conf syslog = yes) */
};

enum hfx_access {
	HFX_ACCESS_READ,	/* query, list, verify, info, history */
	HFX_ACCESS_WRITE,	/* install, rollback, commit, recover */
};

struct hfx_ctx {
	struct hfx_options opt;
	char *root;		/* canonical absolute path of the root */
	int rootfd;
	bool online;		/* the root is the running system ("/") */
	const char *confdir;	/* root-relative: etc/hfx */
	const char *statedir;	/* root-relative: var/lib/hfx */
	const char *logdir;	/* root-relative: var/log */
	int confdir_fd, statedir_fd;	/* -1 when absent */
	struct hfx_config cfg;
	sqlite3 *db;		/* NULL when reading a root without one */
	int lock_fd;
	int timeout, lock_timeout;
	struct hfx_events ev;
	struct hfx_fault fault;
	struct hfx_trust *trust;	/* loaded on first use */
};

enum hfx_rc hfx_ctx_open(struct hfx_ctx *ctx, const struct hfx_options *opt,
			 const struct hfx_events *ev, enum hfx_access access,
			 struct hfx_err *err);
void hfx_ctx_close(struct hfx_ctx *ctx);

/* "ROOT/rel" for messages (static per call site buffer owned by caller). */
const char *hfx_ctx_path(const struct hfx_ctx *ctx, const char *rel,
			 char *buf, size_t len);

/* The trust store of the root (etc/hfx/trust), loaded once. */
enum hfx_rc hfx_ctx_trust(struct hfx_ctx *ctx, struct hfx_trust **out,
			  struct hfx_err *err);

/* services.conf of the root, loaded once. */
enum hfx_rc hfx_ctx_load_services(struct hfx_ctx *ctx, struct hfx_err *err);

/* The product directory for a manifest's product, with the host's
 * [product] override applied (absolute, inside the root). */
const char *hfx_ctx_product_dir(const struct hfx_ctx *ctx, const char *product,
				const char *manifest_dir);

/* Append a line to var/log/hfx.log (or --log), the event history and, if
 * enabled, syslog.  Never fails the command: logging problems become a
 * warning event. */
void hfx_ctx_log(struct hfx_ctx *ctx, const char *command, const char *hotfix,
		 enum hfx_rc rc, int exit_code, const char *message,
		 int64_t downtime_ms);

#endif
