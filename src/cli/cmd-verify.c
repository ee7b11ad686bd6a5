/*
 * cmd-verify.c -- hfx verify [--full] [ID...]
 *
 * Exit 0 only when every file matches the record.
 */
#include "cli.h"

#include <getopt.h>
#include <string.h>

#include "query.h"

int cmd_verify(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		CLI_GLOBAL_LONG,
		{ "full", no_argument, NULL, OPT_FULL },
		{ NULL, 0, NULL, 0 },
	};
	struct hfx_verify_result res;
	struct hfx_ctx ctx;
	struct hfx_err err;
	int rc, exit_code;

	rc = cli_parse_options(cli, argc, argv, opts);
	if (rc >= 0)
		return rc;
	rc = cli_open(cli, &ctx, HFX_ACCESS_READ);
	if (rc)
		return rc;
	hfx_err_clear(&err);
	if (hfx_verify(&ctx, argv + optind, (size_t)(argc - optind),
		       cli->opt.full, &res, &err) != HFX_OK) {
		exit_code = cli_fail(cli, &err);
		hfx_verify_result_free(&res);
		hfx_ctx_close(&ctx);
		return exit_code;
	}
	exit_code = res.nbad ? 1 : 0;
	for (size_t i = 0; i < res.n; i++) {
		const struct hfx_verify_file *f = &res.files[i];

		if (strcmp(f->status, "ok") == 0 && !cli->verbose)
			continue;
		cli_out(cli, "%s: /%s: %s (recorded %s, found %s)\n", f->hotfix,
			f->path, f->status, f->expected_version, f->found_version);
	}
	cli_out(cli, "%zu file(s) of %zu hotfix(es) checked: %zu ok, %zu not\n",
		res.n, res.nhotfixes, res.n - res.nbad, res.nbad);
	if (cli->json) {
		json_t *doc = json_object(), *files = json_array();

		for (size_t i = 0; i < res.n; i++) {
			const struct hfx_verify_file *f = &res.files[i];
			json_t *o = json_object();
			char path[4200];

			snprintf(path, sizeof(path), "/%s", f->path);
			json_object_set_new(o, "hotfix", cli_jstr(f->hotfix));
			json_object_set_new(o, "path", cli_jstr(path));
			json_object_set_new(o, "status", cli_jstr(f->status));
			json_object_set_new(o, "recorded_version",
					    cli_jstr(f->expected_version));
			json_object_set_new(o, "found_version",
					    cli_jstr(f->found_version));
			json_array_append_new(files, o);
		}
		json_object_set_new(doc, "ok", json_boolean(res.nbad == 0));
		json_object_set_new(doc, "full", json_boolean(cli->opt.full));
		json_object_set_new(doc, "files", files);
		cli_json_emit(cli, doc, exit_code);
	}
	hfx_verify_result_free(&res);
	hfx_ctx_close(&ctx);
	return exit_code;
}
