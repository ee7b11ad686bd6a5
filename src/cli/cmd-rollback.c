/*
 * cmd-rollback.c -- hfx rollback ID (alias: uninstall)
 */
#include "cli.h"

#include <getopt.h>

#include "rollback.h"

int cmd_rollback(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		CLI_GLOBAL_LONG,
		{ "no-services", no_argument, NULL, OPT_NO_SERVICES },
		{ "force", no_argument, NULL, OPT_FORCE },
		{ "timeout", required_argument, NULL, OPT_TIMEOUT },
		{ NULL, 0, NULL, 0 },
	};
	struct hfx_result res;
	struct hfx_ctx ctx;
	struct hfx_err err;
	int rc, exit_code;

	rc = cli_parse_options(cli, argc, argv, opts);
	if (rc >= 0)
		return rc;
	if (argc - optind != 1)
		return cli_usage(cli, "give exactly one hotfix ID");
	cli_shield_signals();
	rc = cli_open(cli, &ctx, HFX_ACCESS_WRITE);
	if (rc)
		return rc;
	hfx_err_clear(&err);
	if (hfx_rollback(&ctx, argv[optind], &res, &err) != HFX_OK) {
		exit_code = cli_fail(cli, &err);
	} else {
		exit_code = cli_result_exit(&res);
		if (cli->opt.dry_run && !res.note) {
			cli_result_text(cli, &res, "roll back");
		} else {
			cli_result_text(cli, &res, "rolled back");
		}
		if (cli->json) {
			json_t *doc = cli_result_json(&res);

			json_object_set_new(doc, "ok", json_true());
			json_object_set_new(doc, "dry_run",
					    json_boolean(cli->opt.dry_run));
			cli_json_emit(cli, doc, exit_code);
		}
	}
	hfx_result_free(&res);
	hfx_ctx_close(&ctx);
	return exit_code;
}
