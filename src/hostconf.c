/*
 * hostconf.c -- hfx.conf and services.conf.
 *
 * Both are read with inifile.c, so they share the manifest's rules for
 * line length, control bytes and line numbers in messages.  Values are
 * validated when read; whole-section rules (a service needs a unit or the
 * three commands) are checked when its section ends.
 */
#include "hostconf.h"
#include "fsutil.h"
#include "inifile.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CONF_MAX (1u << 20)

#define BAD(...) hfx_err_set(err, HFX_ERR_CONFIG, __VA_ARGS__)
#define OOM() hfx_err_set(err, HFX_ERR_NOMEM, "out of memory")

static enum hfx_rc parse_seconds(const char *key, const char *value, int *out,
				 struct hfx_err *err)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(value, &end, 10);
	if (!*value || *end || errno || v < 0 || v > 86400)
		return BAD("%s = '%s' must be a number of seconds (0..86400)",
			   key, value);
	*out = (int)v;
	return HFX_OK;
}

static enum hfx_rc set_once(char **dst, const char *key, const char *value,
			    struct hfx_err *err)
{
	if (*dst)
		return BAD("key '%s' given twice (or continued on an indented line)",
			   key);
	if (!*value)
		return BAD("%s is empty", key);
	*dst = strdup(value);
	return *dst ? HFX_OK : OOM();
}

/* ---- hfx.conf ---------------------------------------------------------- */

struct hfxconf_state {
	struct hfx_config *cfg;
	bool in_hfx;
	unsigned seen;
	struct hfx_product_conf *product;
};

static enum hfx_rc hfxconf_section(void *user, const char *name,
				   unsigned line, struct hfx_err *err)
{
	struct hfxconf_state *st = user;
	struct hfx_config *cfg = st->cfg;
	struct hfx_product_conf *grown;

	(void)line;
	st->in_hfx = false;
	st->product = NULL;
	if (strcmp(name, "hfx") == 0) {
		st->in_hfx = true;
		return HFX_OK;
	}
	if (strncmp(name, "product ", 8) != 0 || !name[8])
		return BAD("unknown section [%s] (expected [hfx] or [product NAME])",
			   name);
	for (size_t i = 0; i < cfg->nproducts; i++)
		if (strcmp(cfg->products[i].product, name + 8) == 0)
			return BAD("[product %s] given twice", name + 8);
	grown = realloc(cfg->products, (cfg->nproducts + 1) * sizeof(*grown));
	if (!grown)
		return OOM();
	cfg->products = grown;
	st->product = &grown[cfg->nproducts++];
	st->product->dir = NULL;
	st->product->product = strdup(name + 8);
	return st->product->product ? HFX_OK : OOM();
}

static enum hfx_rc hfxconf_key(void *user, const char *section,
			       const char *key, const char *value,
			       unsigned line, struct hfx_err *err)
{
	struct hfxconf_state *st = user;
	static const char *const hfx_keys[] = { "timeout", "lock-timeout",
						"syslog" };

	(void)section;
	(void)line;
	if (st->product) {
		const char *why;

		if (strcmp(key, "dir") != 0)
			return BAD("unknown key '%s' in [product %s]", key,
				   st->product->product);
		if (!hfx_path_is_clean_absolute(value, &why))
			return BAD("dir '%s' must be a clean absolute path (%s)",
				   value, why);
		return set_once(&st->product->dir, key, value, err);
	}
	if (!st->in_hfx)
		return BAD("key '%s' outside any section", key);
	for (unsigned i = 0; i < 3; i++) {
		if (strcmp(key, hfx_keys[i]) != 0)
			continue;
		if (st->seen & (1u << i))
			return BAD("key '%s' given twice", key);
		st->seen |= 1u << i;
		if (i == 0)
			return parse_seconds(key, value, &st->cfg->timeout, err);
		if (i == 1)
			return parse_seconds(key, value,
					     &st->cfg->lock_timeout, err);
		if (strcmp(value, "yes") == 0)
			st->cfg->syslog = true;
		else if (strcmp(value, "no") == 0)
			st->cfg->syslog = false;
		else
			return BAD("syslog must be yes or no");
		return HFX_OK;
	}
	return BAD("unknown key '%s' in [hfx]", key);
}

static enum hfx_rc read_conf(int confdir, const char *confdir_name,
			     const char *file, char **text, size_t *len,
			     char *label, size_t label_len,
			     struct hfx_err *err)
{
	struct hfx_err rerr;
	enum hfx_rc rc;

	snprintf(label, label_len, "%s/%s", confdir_name, file);
	*text = NULL;
	if (confdir < 0)
		return HFX_OK;
	hfx_err_clear(&rerr);
	rc = hfx_read_file_at(confdir, file, CONF_MAX, text, len, label, &rerr);
	if (rc == HFX_ERR_NOT_FOUND)
		return HFX_OK;
	if (rc != HFX_OK)
		return hfx_err_set(err, HFX_ERR_CONFIG, "%s", rerr.msg);
	return HFX_OK;
}

enum hfx_rc hfx_config_load(struct hfx_config *cfg, int confdir,
			    const char *confdir_name, struct hfx_err *err)
{
	static const struct hfx_ini_handler handler = {
		.section = hfxconf_section, .key = hfxconf_key,
	};
	struct hfxconf_state st = { .cfg = cfg };
	char label[512], *text;
	size_t len = 0;
	enum hfx_rc rc;

	memset(cfg, 0, sizeof(*cfg));
	cfg->timeout = HFX_DEFAULT_TIMEOUT;
	rc = read_conf(confdir, confdir_name, "hfx.conf", &text, &len, label,
		       sizeof(label), err);
	if (rc != HFX_OK || !text)
		return rc;
	rc = hfx_ini_parse(text, len, label, HFX_ERR_CONFIG, &handler, &st,
			   err);
	free(text);
	for (size_t i = 0; rc == HFX_OK && i < cfg->nproducts; i++)
		if (!cfg->products[i].dir)
			rc = hfx_err_set(err, HFX_ERR_CONFIG,
					 "%s: [product %s] lacks 'dir'", label,
					 cfg->products[i].product);
	return rc;
}

/* ---- services.conf ----------------------------------------------------- */

struct svcconf_state {
	struct hfx_config *cfg;
	struct hfx_service_conf *svc;
	const char *label;
};

static enum hfx_rc svc_complete(const struct hfx_service_conf *s,
				const char *label, struct hfx_err *err)
{
	int ncmd = !!s->stop + !!s->start + !!s->status;

	if (ncmd != 0 && ncmd != 3)
		return hfx_err_set(err, HFX_ERR_CONFIG,
				   "%s:%u: [%s] needs all of stop, start and status (or none, with unit)",
				   label, s->line, s->name);
	if (!s->unit && ncmd == 0)
		return hfx_err_set(err, HFX_ERR_CONFIG,
				   "%s:%u: [%s] needs unit = NAME or stop/start/status commands",
				   label, s->line, s->name);
	return HFX_OK;
}

static enum hfx_rc svc_section(void *user, const char *name, unsigned line,
			       struct hfx_err *err)
{
	struct svcconf_state *st = user;
	struct hfx_config *cfg = st->cfg;
	struct hfx_service_conf *grown;
	enum hfx_rc rc;

	if (st->svc) {
		rc = svc_complete(st->svc, st->label, err);
		if (rc != HFX_OK)
			return rc;
	}
	if (!*name)
		return BAD("empty service name");
	for (size_t i = 0; i < cfg->nservices; i++)
		if (strcmp(cfg->services[i].name, name) == 0)
			return BAD("service [%s] given twice (first at line %u)",
				   name, cfg->services[i].line);
	grown = realloc(cfg->services, (cfg->nservices + 1) * sizeof(*grown));
	if (!grown)
		return OOM();
	cfg->services = grown;
	st->svc = &grown[cfg->nservices++];
	memset(st->svc, 0, sizeof(*st->svc));
	st->svc->line = line;
	st->svc->name = strdup(name);
	return st->svc->name ? HFX_OK : OOM();
}

static enum hfx_rc svc_key(void *user, const char *section, const char *key,
			   const char *value, unsigned line,
			   struct hfx_err *err)
{
	struct svcconf_state *st = user;
	struct hfx_service_conf *s = st->svc;

	(void)section;
	(void)line;
	if (!s)
		return BAD("key '%s' outside any [service] section", key);
	if (strcmp(key, "unit") == 0) {
		for (const char *p = value; *p; p++)
			if (*p == '/' || *p == ' ')
				return BAD("unit '%s' must be a bare unit or script name",
					   value);
		return set_once(&s->unit, key, value, err);
	}
	if (strcmp(key, "stop") == 0)
		return set_once(&s->stop, key, value, err);
	if (strcmp(key, "start") == 0)
		return set_once(&s->start, key, value, err);
	if (strcmp(key, "status") == 0)
		return set_once(&s->status, key, value, err);
	if (strcmp(key, "health") == 0)
		return set_once(&s->health, key, value, err);
	if (strcmp(key, "pidfile") == 0) {
		const char *why;

		if (!hfx_path_is_clean_absolute(value, &why))
			return BAD("pidfile '%s' must be a clean absolute path inside the root (%s)",
				   value, why);
		return set_once(&s->pidfile, key, value, err);
	}
	return BAD("unknown key '%s' in [%s] (expected unit, stop, start, status, health, pidfile)",
		   key, s->name);
}

enum hfx_rc hfx_config_load_services(struct hfx_config *cfg, int confdir,
				     const char *confdir_name,
				     struct hfx_err *err)
{
	static const struct hfx_ini_handler handler = {
		.section = svc_section, .key = svc_key,
	};
	char label[512], *text;
	struct svcconf_state st = { .cfg = cfg, .label = label };
	size_t len = 0;
	enum hfx_rc rc;

	if (cfg->services_loaded)
		return HFX_OK;
	rc = read_conf(confdir, confdir_name, "services.conf", &text, &len,
		       label, sizeof(label), err);
	if (rc != HFX_OK)
		return rc;
	cfg->services_loaded = true;
	if (!text)
		return HFX_OK;
	rc = hfx_ini_parse(text, len, label, HFX_ERR_CONFIG, &handler, &st,
			   err);
	free(text);
	if (rc == HFX_OK && st.svc)
		rc = svc_complete(st.svc, label, err);
	return rc;
}

const char *hfx_config_product_dir(const struct hfx_config *cfg,
				   const char *product)
{
	for (size_t i = 0; i < cfg->nproducts; i++)
		if (strcmp(cfg->products[i].product, product) == 0)
			return cfg->products[i].dir;
	return NULL;
}

const struct hfx_service_conf *hfx_config_service(const struct hfx_config *cfg,
						  const char *name)
{
	for (size_t i = 0; i < cfg->nservices; i++)
		if (strcmp(cfg->services[i].name, name) == 0)
			return &cfg->services[i];
	return NULL;
}

void hfx_config_free(struct hfx_config *cfg)
{
	for (size_t i = 0; i < cfg->nproducts; i++) {
		free(cfg->products[i].product);
		free(cfg->products[i].dir);
	}
	free(cfg->products);
	for (size_t i = 0; i < cfg->nservices; i++) {
		struct hfx_service_conf *s = &cfg->services[i];
		free(s->name);
		free(s->unit);
		free(s->stop);
		free(s->start);
		free(s->status);
		free(s->health);
		free(s->pidfile);
	}
	free(cfg->services);
	memset(cfg, 0, sizeof(*cfg));
}
