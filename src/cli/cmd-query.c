/*
 * cmd-query.c -- hfx query ID|PACKAGE...
 *
 * An argument naming an existing file is a package (its signed manifest is
 * checked against the machine); anything else is a hotfix ID.  With
 * several arguments the exit code is the highest of their codes, so 0
 * still means "every one of them is present".
 */
#include "cli.h"

#include <getopt.h>
#include <sys/stat.h>

#include "query.h"

static json_t *query_json(const struct hfx_query_result *q)
{
	json_t *o = json_object(), *files = json_array();

	json_object_set_new(o, "id", cli_jstr(q->id));
	json_object_set_new(o, "state", cli_jstr(hfx_state_name(q->state)));
	json_object_set_new(o, "title", cli_jstr(q->title));
	json_object_set_new(o, "recorded", json_boolean(q->recorded));
	json_object_set_new(o, "superseded_by",
			    cli_jstr(q->superseded_by));
	json_object_set_new(o, "restart_required", json_boolean(q->restart_required));
	json_object_set_new(o, "note", cli_jstr(q->note));
	for (size_t i = 0; i < q->nfiles; i++) {
		const struct hfx_query_file *f = &q->files[i];
		json_t *jf = json_object();
		char path[4200];

		snprintf(path, sizeof(path), "/%s", f->path);
		json_object_set_new(jf, "path", cli_jstr(path));
		json_object_set_new(jf, "installed_version",
				    cli_jstr(f->installed_version));
		json_object_set_new(jf, "required_version",
				    cli_jstr(f->required_version));
		json_object_set_new(jf, "ok", json_boolean(f->ok));
		if (f->problem)
			json_object_set_new(jf, "problem", cli_jstr(f->problem));
		json_array_append_new(files, jf);
	}
	json_object_set_new(o, "files", files);
	return o;
}

static void query_text(struct cli *cli, const struct hfx_query_result *q)
{
	cli_out(cli, "%s: %s", q->id, hfx_state_name(q->state));
	if (q->state == HFX_STATE_SUPERSEDED && q->superseded_by)
		cli_out(cli, " by %s", q->superseded_by);
	if (q->restart_required)
		cli_out(cli, " (restart required)");
	cli_out(cli, "\n");
	if (q->title)
		cli_out(cli, "  %s\n", q->title);
	if (q->note)
		cli_out(cli, "  %s\n", q->note);
	for (size_t i = 0; i < q->nfiles; i++) {
		const struct hfx_query_file *f = &q->files[i];

		cli_out(cli, "  %-3s /%s  installed %s, required %s%s%s\n",
			f->ok ? "ok" : "--", f->path, f->installed_version,
			f->required_version, f->problem ? " -- " : "",
			f->problem ? f->problem : "");
	}
}

int cmd_query(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		CLI_GLOBAL_LONG,
		{ NULL, 0, NULL, 0 },
	};
	struct hfx_ctx ctx;
	json_t *list = NULL;
	int rc, exit_code = 0;

	rc = cli_parse_options(cli, argc, argv, opts);
	if (rc >= 0)
		return rc;
	if (optind >= argc)
		return cli_usage(cli, "give a hotfix ID or a package file");
	rc = cli_open(cli, &ctx, HFX_ACCESS_READ);
	if (rc)
		return rc;
	if (cli->json)
		list = json_array();
	for (int i = optind; i < argc; i++) {
		struct hfx_query_result q;
		struct hfx_err err;
		struct stat st;
		enum hfx_rc r;
		int code;

		hfx_err_clear(&err);
		if (stat(argv[i], &st) == 0 && S_ISREG(st.st_mode))
			r = hfx_query_package(&ctx, argv[i], &q, &err);
		else
			r = hfx_query_id(&ctx, argv[i], &q, &err);
		if (r != HFX_OK) {
			code = hfx_rc_exit_code(r);
			fprintf(stderr, "hfx: %s\n", err.msg);
			if (list) {
				json_t *o = json_object();

				json_object_set_new(o, "argument", cli_jstr(argv[i]));
				json_object_set_new(o, "error", cli_jstr(err.msg));
				json_array_append_new(list, o);
			}
		} else {
			code = hfx_state_exit_code(q.state);
			query_text(cli, &q);
			if (list)
				json_array_append_new(list, query_json(&q));
		}
		hfx_query_result_free(&q);
		if (code > exit_code)
			exit_code = code;
	}
	if (list) {
		json_t *doc = json_object();

		json_object_set_new(doc, "hotfixes", list);
		cli_json_emit(cli, doc, exit_code);
	}
	hfx_ctx_close(&ctx);
	return exit_code;
}
