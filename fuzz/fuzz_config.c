/*
 * fuzz_config.c -- libFuzzer target for the host configuration parsers.
 *
 * Exercises: hfx_config_load() (etc/hfx/hfx.conf) and
 * hfx_config_load_services() (etc/hfx/services.conf), through inifile.c
 * and libinih, exactly as the engine calls them: with a descriptor of the
 * configuration directory.  hostconf.c has no entry point that takes a
 * buffer, so the input is written, as both services.conf and hfx.conf,
 * into a private directory on tmpfs made once per process under
 * $HFX_FUZZ_TMPDIR (fuzz/run.sh points it into its own scratch directory,
 * which it removes even when a crash skips our atexit() cleanup), else
 * /dev/shm, else $TMPDIR.  Each parser sees the same bytes; an input
 * aimed at one is simply refused by the other, which is exercise too.
 *
 * Properties asserted (besides "no sanitizer report, no leak"):
 *  - a refusal is HFX_ERR_CONFIG naming the file ("fuzzconf/hfx.conf" or
 *    "fuzzconf/services.conf") or out of memory, and the error record
 *    holds the returned code;
 *  - an accepted hfx.conf gives timeouts in 0..86400 and products with
 *    distinct non-empty names, each with a clean absolute dir that
 *    hfx_config_product_dir() returns;
 *  - an accepted services.conf gives services with distinct non-empty
 *    names, each with a bare unit name or all of stop/start/status, found
 *    again by hfx_config_service(); loading it a second time changes
 *    nothing (the documented idempotence);
 *  - hfx_config_free() leaves an empty configuration.
 */
#include "fuzz.h"

#include <fcntl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "error.h"
#include "fsutil.h"
#include "hostconf.h"

#define CONFDIR "fuzzconf"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir_path[256];
static int dir_fd = -1;

static void remove_dir(void)
{
	if (dir_fd >= 0) {
		unlinkat(dir_fd, "hfx.conf", 0);
		unlinkat(dir_fd, "services.conf", 0);
		close(dir_fd);
		dir_fd = -1;
	}
	if (dir_path[0])
		rmdir(dir_path);
}

static void make_dir(void)
{
	const char *base = getenv("HFX_FUZZ_TMPDIR");

	if (!base || !*base)
		base = "/dev/shm";
	if (access(base, W_OK) != 0)
		base = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	snprintf(dir_path, sizeof(dir_path), "%s/hfx-fuzz-config.XXXXXX", base);
	FUZZ_CHECK(mkdtemp(dir_path) != NULL, "cannot make %s", dir_path);
	dir_fd = open(dir_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	FUZZ_CHECK(dir_fd >= 0, "cannot open %s", dir_path);
	atexit(remove_dir);
}

static void put_file(const char *name, const uint8_t *data, size_t size)
{
	int fd = openat(dir_fd, name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
			0600);
	struct hfx_err err;

	FUZZ_CHECK(fd >= 0, "cannot create %s/%s", dir_path, name);
	hfx_err_clear(&err);
	FUZZ_CHECK(hfx_write_all(fd, data, size, name, &err) == HFX_OK,
		   "%s", err.msg);
	close(fd);
}

static void check_refusal(enum hfx_rc rc, const struct hfx_err *err,
			  const char *file)
{
	char label[64];

	snprintf(label, sizeof(label), CONFDIR "/%s", file);
	FUZZ_CHECK(err->code == rc, "%s: returned %d, recorded %d", file,
		   (int)rc, (int)err->code);
	FUZZ_CHECK(rc == HFX_ERR_CONFIG || rc == HFX_ERR_NOMEM,
		   "%s: unexpected code %d: %s", file, (int)rc, err->msg);
	if (rc == HFX_ERR_CONFIG)
		FUZZ_CHECK(fuzz_has_prefix(err->msg, label),
			   "message does not name %s: %s", label, err->msg);
}

static void check_hfx_conf(const struct hfx_config *cfg)
{
	FUZZ_CHECK(cfg->timeout >= 0 && cfg->timeout <= 86400, "timeout %d",
		   cfg->timeout);
	FUZZ_CHECK(cfg->lock_timeout >= 0 && cfg->lock_timeout <= 86400,
		   "lock-timeout %d", cfg->lock_timeout);
	for (size_t i = 0; i < cfg->nproducts; i++) {
		const struct hfx_product_conf *p = &cfg->products[i];
		const char *why;

		FUZZ_CHECK(p->product && p->product[0], "product %zu unnamed", i);
		FUZZ_CHECK(p->dir && p->dir[0] == '/' &&
			   hfx_path_is_clean_relative(p->dir + 1, &why),
			   "[product %s] dir not a clean absolute path",
			   p->product);
		FUZZ_CHECK(hfx_config_product_dir(cfg, p->product) == p->dir,
			   "[product %s] not found again (given twice?)",
			   p->product);
	}
}

static void check_services_conf(const struct hfx_config *cfg)
{
	FUZZ_CHECK(cfg->services_loaded, "loaded, but not marked so");
	for (size_t i = 0; i < cfg->nservices; i++) {
		const struct hfx_service_conf *s = &cfg->services[i];
		int ncmd = !!s->stop + !!s->start + !!s->status;

		FUZZ_CHECK(s->name && s->name[0], "service %zu unnamed", i);
		FUZZ_CHECK(hfx_config_service(cfg, s->name) == s,
			   "[%s] not found again (given twice?)", s->name);
		FUZZ_CHECK(ncmd == 3 || (ncmd == 0 && s->unit),
			   "[%s] has %d of stop/start/status and %s unit",
			   s->name, ncmd, s->unit ? "a" : "no");
		FUZZ_CHECK(!s->unit || (s->unit[0] && !strpbrk(s->unit, "/ ")),
			   "[%s] unit '%s' is not a bare name", s->name,
			   s->unit);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hfx_config cfg;
	struct hfx_err err;
	enum hfx_rc rc;

	if (dir_fd < 0)
		make_dir();
	put_file("hfx.conf", data, size);
	put_file("services.conf", data, size);

	hfx_err_clear(&err);
	rc = hfx_config_load(&cfg, dir_fd, CONFDIR, &err);
	if (rc == HFX_OK)
		check_hfx_conf(&cfg);
	else
		check_refusal(rc, &err, "hfx.conf");

	/* The engine never loads services after a failed hfx.conf, but the
	 * record is still a valid configuration to load into and free. */
	hfx_err_clear(&err);
	rc = hfx_config_load_services(&cfg, dir_fd, CONFDIR, &err);
	if (rc == HFX_OK) {
		size_t n = cfg.nservices;

		check_services_conf(&cfg);
		FUZZ_CHECK(hfx_config_load_services(&cfg, dir_fd, CONFDIR,
						    &err) == HFX_OK &&
			   cfg.nservices == n,
			   "loading services.conf twice is not idempotent");
	} else {
		check_refusal(rc, &err, "services.conf");
	}

	hfx_config_free(&cfg);
	FUZZ_CHECK(cfg.nproducts == 0 && cfg.nservices == 0 && !cfg.products &&
		   !cfg.services, "hfx_config_free left something behind");
	return 0;
}
