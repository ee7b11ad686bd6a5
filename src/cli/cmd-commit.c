/*
 * cmd-commit.c -- hfx commit ID: discard the kept originals of a hotfix.
 */
#include "cli.h"

#include <getopt.h>

#include "commit.h"

int cmd_commit(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		CLI_GLOBAL_LONG,
		{ NULL, 0, NULL, 0 },
	};
	struct hfx_commit_result res;
	struct hfx_ctx ctx;
	struct hfx_err err;
	int rc;

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
	if (hfx_commit(&ctx, argv[optind], &res, &err) != HFX_OK) {
		rc = cli_fail(cli, &err);
		hfx_ctx_close(&ctx);
		return rc;
	}
	if (res.already)
		cli_out(cli, "%s was already committed\n", argv[optind]);
	else
		cli_out(cli, "%s: %s %zu original file(s) (%llu bytes); it can no longer be rolled back\n",
			argv[optind], cli->opt.dry_run ? "would discard" : "discarded",
			res.files, (unsigned long long)res.bytes);
	if (cli->json) {
		json_t *doc = json_object();

		json_object_set_new(doc, "ok", json_true());
		json_object_set_new(doc, "id", cli_jstr(argv[optind]));
		json_object_set_new(doc, "already_committed", json_boolean(res.already));
		json_object_set_new(doc, "files", json_integer((json_int_t)res.files));
		json_object_set_new(doc, "bytes", json_integer((json_int_t)res.bytes));
		json_object_set_new(doc, "dry_run", json_boolean(cli->opt.dry_run));
		cli_json_emit(cli, doc, 0);
	}
	hfx_ctx_close(&ctx);
	return 0;
}
