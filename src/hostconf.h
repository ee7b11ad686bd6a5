/*
 * hostconf.h -- host configuration under the root: etc/hfx/hfx.conf and
 * etc/hfx/services.conf.
 *
 * Both files are optional; a missing file means defaults.  A present file
 * is parsed strictly (unknown sections and keys, duplicates, bad numbers
 * are errors naming file and line), because a typo in a service's stop
 * command discovered half-way through an install is far worse than one
 * discovered before anything started.
 *
 *   hfx.conf:      [hfx] timeout = SECONDS, lock-timeout = SECONDS,
 *                  syslog = yes|no;  [product NAME] dir = /abs/path
 *   services.conf: [DISPLAY NAME] unit = NAME | stop/start/status = CMD,
 *                  health = CMD, pidfile = /path/inside/the/root
 */
#ifndef HFX_HOSTCONF_H
#define HFX_HOSTCONF_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"

#define HFX_DEFAULT_TIMEOUT 60

struct hfx_service_conf {
	char *name;		/* display name, as in the manifest */
	char *unit;		/* systemd unit / init script, or NULL */
	char *stop, *start, *status, *health;	/* shell commands or NULL */
	char *pidfile;		/* absolute path inside the root, or NULL */
	unsigned line;
};

struct hfx_product_conf {
	char *product;
	char *dir;		/* absolute, inside the root */
};

struct hfx_config {
	int timeout;		/* seconds, service stop/start */
	int lock_timeout;	/* seconds to wait for the lock */
	bool syslog;
	struct hfx_product_conf *products;
	size_t nproducts;
	struct hfx_service_conf *services;
	size_t nservices;
	bool services_loaded;
};

/* Defaults, then etc/hfx/hfx.conf if present.  `confdir` is the open
 * configuration directory or -1 if it does not exist. */
enum hfx_rc hfx_config_load(struct hfx_config *cfg, int confdir,
			    const char *confdir_name, struct hfx_err *err);

/* Parse etc/hfx/services.conf into cfg (idempotent). */
enum hfx_rc hfx_config_load_services(struct hfx_config *cfg, int confdir,
				     const char *confdir_name,
				     struct hfx_err *err);

const char *hfx_config_product_dir(const struct hfx_config *cfg,
				   const char *product);
const struct hfx_service_conf *hfx_config_service(const struct hfx_config *cfg,
						  const char *name);
void hfx_config_free(struct hfx_config *cfg);

#endif
