/*
 * service.h -- stopping and starting the services a hotfix names.
 *
 * A service is known by its display name ("Connector for Lotus Notes");
 * etc/hfx/services.conf maps it to a way of controlling it.  The backend
 * is chosen per service:
 *
 *   systemd  the root is the running system, systemd is PID 1
 *            (/run/systemd/system exists) and the service has unit =;
 *   sysv     the root is the running system and /etc/init.d/<unit> exists;
 *   command  the service has explicit stop/start/status commands (the only
 *            backend used when servicing an offline root: host services
 *            are never touched through a root that is not "/");
 *   none     nothing applies: the service is skipped with a notice.
 *
 * Every command runs through /bin/sh -c (or exec for systemctl and init
 * scripts) in its own process group, with stdin from /dev/null, its output
 * captured (first 4 KiB) for the log, and bounded by the timeout: a hung
 * command is sent SIGTERM, then SIGKILL, as a group.  HFX_ROOT is set to
 * the root in its environment.
 */
#ifndef HFX_SERVICE_H
#define HFX_SERVICE_H

#include <stdbool.h>

#include "context.h"
#include "error.h"
#include "procscan.h"

enum hfx_svc_backend {
	HFX_SVC_NONE,
	HFX_SVC_SYSTEMD,
	HFX_SVC_SYSV,
	HFX_SVC_COMMAND,
};

struct hfx_service {
	const char *name;	/* borrowed from the manifest */
	enum hfx_svc_backend backend;
	const struct hfx_service_conf *conf;	/* NULL if not configured */
	bool was_running;	/* running before we touched it */
	bool stopped;		/* we stopped it and owe it a start */
};

const char *hfx_svc_backend_name(enum hfx_svc_backend b);

/* Pick the backend for `name` (services.conf must be loaded). */
void hfx_service_resolve(struct hfx_ctx *ctx, const char *name,
			 struct hfx_service *out);

/* Is it running now?  HFX_OK with *running; a status command that cannot
 * be run at all is an error. */
enum hfx_rc hfx_service_is_running(struct hfx_ctx *ctx,
				   const struct hfx_service *svc,
				   bool *running, struct hfx_err *err);

/* Stop, bounded by ctx->timeout; checks it is really stopped afterwards. */
enum hfx_rc hfx_service_stop(struct hfx_ctx *ctx, struct hfx_service *svc,
			     struct hfx_err *err);

/* Start, bounded by ctx->timeout, then the health command (retried until
 * it succeeds or the timeout passes). */
enum hfx_rc hfx_service_start(struct hfx_ctx *ctx, struct hfx_service *svc,
			      struct hfx_err *err);

/* The set of services of one hotfix, in manifest order. */
struct hfx_service_set {
	struct hfx_service *svc;
	size_t n;
	int64_t first_stop_ms, last_start_ms;	/* downtime window, or -1 */
};

/* Resolve each name; report skipped ones.  With ctx->opt.no_services the
 * set is empty. */
enum hfx_rc hfx_services_prepare(struct hfx_ctx *ctx, char *const *names,
				 size_t n, const char *hotfix,
				 struct hfx_service_set *set,
				 struct hfx_err *err);

/* Stop, in order, every service of the set that is running; on failure
 * start again the ones already stopped and return HFX_ERR_SERVICE. */
enum hfx_rc hfx_services_stop(struct hfx_ctx *ctx, struct hfx_service_set *set,
			      const char *hotfix, struct hfx_err *err);

/* Start, in reverse order, every service we stopped.  With `best_effort`
 * (putting things back after a failure) every service is tried even after
 * one failed; otherwise the first failure returns HFX_ERR_SERVICE. */
enum hfx_rc hfx_services_start(struct hfx_ctx *ctx, struct hfx_service_set *set,
			       const char *hotfix, bool best_effort,
			       struct hfx_err *err);

/* Stop every service of the set we had started again (before undoing a
 * swap whose services came up on the new files). */
void hfx_services_stop_started(struct hfx_ctx *ctx, struct hfx_service_set *set,
			       const char *hotfix);

void hfx_services_free(struct hfx_service_set *set);

/* The service of the set that process `pid` belongs to (by its pid file,
 * or an ancestor's, or by its systemd unit), or NULL. */
const struct hfx_service *hfx_services_owner(struct hfx_ctx *ctx,
					     const struct hfx_service_set *set,
					     long pid, const char *unit);

/* The downtime window in ms (first stop to last start), or -1. */
int64_t hfx_services_downtime(const struct hfx_service_set *set);

#endif
