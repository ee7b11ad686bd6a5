/*
 * cmd-history.c -- hfx history [ID]: every install, rollback, commit,
 * recovery and failure recorded on this root, oldest first.
 */
#include "cli.h"

#include <getopt.h>
#include <time.h>

#include "record.h"

int cmd_history(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		CLI_GLOBAL_LONG,
		{ NULL, 0, NULL, 0 },
	};
	struct hfx_event_rec *ev = NULL;
	struct hfx_ctx ctx;
	struct hfx_err err;
	json_t *arr = NULL;
	size_t n = 0;
	int rc;

	rc = cli_parse_options(cli, argc, argv, opts);
	if (rc >= 0)
		return rc;
	if (argc - optind > 1)
		return cli_usage(cli, "give at most one hotfix ID");
	rc = cli_open(cli, &ctx, HFX_ACCESS_READ);
	if (rc)
		return rc;
	hfx_err_clear(&err);
	if (ctx.db && hfx_record_history(ctx.db, optind < argc ? argv[optind] : NULL,
					 &ev, &n, &err) != HFX_OK) {
		rc = cli_fail(cli, &err);
		hfx_ctx_close(&ctx);
		return rc;
	}
	arr = json_array();
	for (size_t i = 0; i < n; i++) {
		char when[32];
		time_t t = (time_t)ev[i].time;
		struct tm tm;
		json_t *o = json_object();

		gmtime_r(&t, &tm);
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
		cli_out(cli, "%s  %-9s %-12s %-18s exit %-3d %s\n", when,
			ev[i].command, ev[i].hotfix ? ev[i].hotfix : "-",
			ev[i].result, ev[i].exit_code, ev[i].message);
		json_object_set_new(o, "time", cli_jstr(when));
		json_object_set_new(o, "command", cli_jstr(ev[i].command));
		json_object_set_new(o, "hotfix", cli_jstr(ev[i].hotfix));
		json_object_set_new(o, "result", cli_jstr(ev[i].result));
		json_object_set_new(o, "exit_code", json_integer(ev[i].exit_code));
		json_object_set_new(o, "message", cli_jstr(ev[i].message));
		json_object_set_new(o, "downtime_ms", ev[i].downtime_ms >= 0
							     ? json_integer(ev[i].downtime_ms)
							     : json_null());
		json_array_append_new(arr, o);
	}
	if (n == 0)
		cli_out(cli, "no history\n");
	if (cli->json) {
		json_t *doc = json_object();

		json_object_set_new(doc, "events", arr);
		arr = NULL;
		cli_json_emit(cli, doc, 0);
	}
	json_decref(arr);
	hfx_record_history_free(ev, n);
	hfx_ctx_close(&ctx);
	return 0;
}
