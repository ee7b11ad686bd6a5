/*
 * cmd-recover.c -- hfx recover: finish or undo an interrupted transaction.
 * Every command that changes the machine does this first anyway; this
 * command does only that (useful from a boot script).
 */
#include "cli.h"

#include <getopt.h>

#include "txn.h"

int cmd_recover(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		CLI_GLOBAL_LONG,
		{ "no-services", no_argument, NULL, OPT_NO_SERVICES },
		{ "timeout", required_argument, NULL, OPT_TIMEOUT },
		{ NULL, 0, NULL, 0 },
	};
	struct hfx_ctx ctx;
	int rc, pending = 0;
	struct hfx_err err;

	rc = cli_parse_options(cli, argc, argv, opts);
	if (rc >= 0)
		return rc;
	if (optind < argc)
		return cli_usage(cli, "takes no arguments");
	cli_shield_signals();
	/* Opening for writing runs the recovery. */
	rc = cli_open(cli, &ctx, HFX_ACCESS_WRITE);
	if (rc)
		return rc;
	hfx_err_clear(&err);
	if (hfx_txn_pending(ctx.db, &pending, &err) != HFX_OK) {
		rc = cli_fail(cli, &err);
		hfx_ctx_close(&ctx);
		return rc;
	}
	if (!cli->opt.dry_run)
		cli_out(cli, "nothing left to recover\n");
	else
		cli_out(cli, "%d interrupted transaction(s) would be recovered\n",
			pending);
	if (cli->json) {
		json_t *doc = json_object();

		json_object_set_new(doc, "ok", json_true());
		json_object_set_new(doc, "pending", json_integer(pending));
		cli_json_emit(cli, doc, 0);
	}
	hfx_ctx_close(&ctx);
	return 0;
}
