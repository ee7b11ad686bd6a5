/*
 * cmd-list.c -- hfx list: the recorded hotfixes, in install order.
 */
#include "cli.h"

#include <getopt.h>
#include <time.h>

#include "record.h"

int cmd_list(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		CLI_GLOBAL_LONG,
		{ NULL, 0, NULL, 0 },
	};
	struct hfx_hotfix_rec **list = NULL;
	struct hfx_ctx ctx;
	struct hfx_err err;
	json_t *arr;
	size_t n = 0;
	int rc, exit_code = 0;

	rc = cli_parse_options(cli, argc, argv, opts);
	if (rc >= 0)
		return rc;
	if (optind < argc)
		return cli_usage(cli, "takes no arguments");
	rc = cli_open(cli, &ctx, HFX_ACCESS_READ);
	if (rc)
		return rc;
	arr = json_array();
	hfx_err_clear(&err);
	if (ctx.db && hfx_record_list(ctx.db, &list, &n, &err) != HFX_OK) {
		exit_code = cli_fail(cli, &err);
		json_decref(arr);
		hfx_ctx_close(&ctx);
		return exit_code;
	}
	if (n == 0)
		cli_out(cli, "no hotfix is installed\n");
	else
		cli_out(cli, "%-12s %-11s %-20s %-8s %s\n", "ID", "STATE",
			"INSTALLED", "ROLLBACK", "TITLE");
	for (size_t i = 0; i < n; i++) {
		const struct hfx_hotfix_rec *r = list[i];
		char when[32];
		time_t t = (time_t)r->installed_at;
		struct tm tm;
		json_t *o;

		gmtime_r(&t, &tm);
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
		cli_out(cli, "%-12s %-11s %-20s %-8s %s%s%s%s\n", r->id,
			r->state, when, r->committed ? "no" : "yes", r->title,
			r->superseded_by ? " (superseded by " : "",
			r->superseded_by ? r->superseded_by : "",
			r->superseded_by ? ")" : "");
		o = json_object();
		json_object_set_new(o, "id", cli_jstr(r->id));
		json_object_set_new(o, "title", cli_jstr(r->title));
		json_object_set_new(o, "product", cli_jstr(r->product));
		json_object_set_new(o, "state", cli_jstr(r->state));
		json_object_set_new(o, "superseded_by",
				    cli_jstr(r->superseded_by));
		json_object_set_new(o, "installed_at", cli_jstr(when));
		json_object_set_new(o, "rollback_possible", json_boolean(!r->committed));
		json_object_set_new(o, "restart_required",
				    json_boolean(r->restart_required));
		json_object_set_new(o, "signer", cli_jstr(r->signer));
		json_array_append_new(arr, o);
	}
	if (cli->json) {
		json_t *doc = json_object();

		json_object_set_new(doc, "hotfixes", arr);
		arr = NULL;
		cli_json_emit(cli, doc, 0);
	}
	json_decref(arr);
	hfx_record_list_free(list, n);
	hfx_ctx_close(&ctx);
	return exit_code;
}
