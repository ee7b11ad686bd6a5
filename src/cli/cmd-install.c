/*
 * cmd-install.c -- hfx install PACKAGE...
 *
 * Several packages are put in dependency order first (requires and
 * supersedes among them), then installed one transaction each; the run
 * stops at the first failure and says what was and was not installed.
 */
#include "cli.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "install.h"

int cmd_install(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		CLI_GLOBAL_LONG,
		{ "no-services", no_argument, NULL, OPT_NO_SERVICES },
		{ "force", no_argument, NULL, OPT_FORCE },
		{ "timeout", required_argument, NULL, OPT_TIMEOUT },
		{ NULL, 0, NULL, 0 },
	};
	struct hfx_ctx ctx;
	struct hfx_err err;
	json_t *doc = NULL, *results = NULL;
	size_t n, *order = NULL;
	char **ids = NULL;
	int rc, exit_code = 0;
	bool restart = false;

	rc = cli_parse_options(cli, argc, argv, opts);
	if (rc >= 0)
		return rc;
	n = (size_t)(argc - optind);
	if (n == 0)
		return cli_usage(cli, "no package given");
	cli_shield_signals();
	rc = cli_open(cli, &ctx, HFX_ACCESS_WRITE);
	if (rc)
		return rc;
	hfx_err_clear(&err);
	order = calloc(n, sizeof(*order));
	ids = calloc(n, sizeof(*ids));
	if (!order || !ids) {
		hfx_err_set(&err, HFX_ERR_NOMEM, "out of memory");
		exit_code = cli_fail(cli, &err);
		goto out;
	}
	if (n == 1) {
		order[0] = 0;
	} else if (hfx_install_order(&ctx, argv + optind, n, order, ids, &err) != HFX_OK) {
		exit_code = cli_fail(cli, &err);
		goto out;
	}
	if (cli->json) {
		doc = json_object();
		results = json_array();
		json_object_set_new(doc, "dry_run", json_boolean(cli->opt.dry_run));
	}
	for (size_t k = 0; k < n; k++) {
		const char *path = argv[optind + order[k]];
		struct hfx_result res;

		hfx_err_clear(&err);
		if (hfx_install(&ctx, path, &res, &err) != HFX_OK) {
			exit_code = hfx_rc_exit_code(err.code);
			cli_progress_clear(cli);
			fprintf(stderr, "hfx: %s\n", err.msg);
			if (results) {
				json_t *r = cli_result_json(&res);

				json_object_set_new(r, "package", cli_jstr(path));
				json_object_set_new(r, "error", cli_jstr(err.msg));
				json_object_set_new(r, "error_kind",
						    cli_jstr(hfx_rc_name(err.code)));
				json_array_append_new(results, r);
			}
			if (n > 1) {
				fprintf(stderr, "hfx: stopped at %s;", path);
				for (size_t j = 0; j < k; j++)
					fprintf(stderr, "%s %s installed",
						j ? "," : "", argv[optind + order[j]]);
				for (size_t j = k + 1; j < n; j++)
					fprintf(stderr, "%s %s not attempted",
						(j > k + 1 || k) ? "," : "",
						argv[optind + order[j]]);
				fputc('\n', stderr);
			}
			hfx_result_free(&res);
			break;
		}
		restart |= res.restart_required;
		cli_result_text(cli, &res, cli->opt.dry_run ? "install" : "installed");
		if (results) {
			json_t *r = cli_result_json(&res);

			json_object_set_new(r, "package", cli_jstr(path));
			json_array_append_new(results, r);
		}
		hfx_result_free(&res);
	}
	if (!exit_code && restart)
		exit_code = 10;
	if (doc) {
		json_object_set_new(doc, "ok", json_boolean(exit_code == 0 || exit_code == 10));
		json_object_set_new(doc, "results", results);
		cli_json_emit(cli, doc, exit_code);
	}
out:
	for (size_t i = 0; ids && i < n; i++)
		free(ids[i]);
	free(ids);
	free(order);
	hfx_ctx_close(&ctx);
	return exit_code;
}
