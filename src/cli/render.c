/*
 * render.c -- how engine events and results reach the administrator.
 *
 *   stdout  the answer (text), or one JSON document with --json;
 *           nothing with --quiet;
 *   stderr  errors always; warnings unless --quiet; the progress bar only
 *           when stderr is a terminal and neither --quiet nor --json.
 *
 * Verbose events (file decisions, service backends, phases) are shown with
 * -v only.  Warnings are also collected into the JSON document.
 */
#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fsutil.h"

#define BAR_DELAY_MS 1000	/* show a bar only for operations this long */
#define BAR_WIDTH 30

json_t *cli_jstr(const char *s)
{
	json_t *j;
	char *esc, *o;

	if (!s)
		return json_null();
	j = json_string(s);
	if (j)
		return j;
	esc = malloc(strlen(s) * 4 + 1);
	if (!esc)
		return json_null();
	o = esc;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p >= 0x80)
			o += sprintf(o, "\\x%02x", *p);
		else
			*o++ = (char)*p;
	}
	*o = '\0';
	j = json_string(esc);
	free(esc);
	return j ? j : json_null();
}

void cli_out(struct cli *cli, const char *fmt, ...)
{
	va_list ap;

	if (cli->quiet || cli->json)
		return;
	cli_progress_clear(cli);
	va_start(ap, fmt);
	vfprintf(stdout, fmt, ap);
	va_end(ap);
}

void cli_progress_clear(struct cli *cli)
{
	if (cli->bar.shown) {
		fputs("\r\033[K", stderr);
		fflush(stderr);
		cli->bar.shown = false;
	}
}

static void progress(struct cli *cli, const struct hfx_event *ev)
{
	long long now = hfx_now_ms();
	double frac;
	int fill;

	if (!cli->progress)
		return;
	if (!cli->bar.started_ms)
		cli->bar.started_ms = now;
	if (now - cli->bar.started_ms < BAR_DELAY_MS)
		return;
	frac = ev->bytes_total ? (double)ev->bytes_done / (double)ev->bytes_total
			       : (ev->files_total ? (double)ev->files_done /
							    (double)ev->files_total
						  : 0.0);
	if (frac > 1.0)
		frac = 1.0;
	fill = (int)(frac * BAR_WIDTH);
	fprintf(stderr, "\r%s: [%.*s%*s] %3d%%  %llu/%llu files",
		ev->hotfix ? ev->hotfix : "hfx", fill,
		"##############################", BAR_WIDTH - fill, "",
		(int)(frac * 100), (unsigned long long)ev->files_done,
		(unsigned long long)ev->files_total);
	if (ev->bytes_total)
		fprintf(stderr, "  %.1f/%.1f MiB",
			(double)ev->bytes_done / 1048576.0,
			(double)ev->bytes_total / 1048576.0);
	fprintf(stderr, "  %s\033[K", ev->text);
	fflush(stderr);
	cli->bar.shown = true;
}

static void on_event(const struct hfx_event *ev, void *ud)
{
	struct cli *cli = ud;

	switch (ev->type) {
	case HFX_EV_PROGRESS:
		progress(cli, ev);
		return;
	case HFX_EV_WARNING:
		json_array_append_new(cli->warnings, cli_jstr(ev->text));
		if (!cli->quiet) {
			cli_progress_clear(cli);
			fprintf(stderr, "hfx: warning: %s\n", ev->text);
		}
		return;
	case HFX_EV_PHASE:
		if (cli->verbose && !cli->quiet && !cli->json) {
			cli_progress_clear(cli);
			printf("%s: %s\n", ev->hotfix ? ev->hotfix : "hfx",
			       ev->text);
		}
		return;
	default:
		break;
	}
	if (ev->verbose && !cli->verbose)
		return;
	if (ev->type == HFX_EV_NOTICE && cli->json)
		json_array_append_new(cli->warnings, cli_jstr(ev->text));
	cli_out(cli, "%s\n", ev->text);
}

struct hfx_events cli_events(struct cli *cli)
{
	struct hfx_events ev = { .fn = on_event, .userdata = cli };

	cli->progress = isatty(2) && !cli->quiet && !cli->json;
	return ev;
}

void cli_json_emit(struct cli *cli, json_t *doc, int exit_code)
{
	if (!doc)
		return;
	json_object_set_new(doc, "command", cli_jstr(cli->command));
	json_object_set_new(doc, "exit_code", json_integer(exit_code));
	if (json_array_size(cli->warnings))
		json_object_set(doc, "warnings", cli->warnings);
	json_dumpf(doc, stdout, JSON_INDENT(2) | JSON_ENSURE_ASCII);
	fputc('\n', stdout);
	json_decref(doc);
}

int cli_fail(struct cli *cli, const struct hfx_err *err)
{
	int code = hfx_rc_exit_code(err->code);

	cli_progress_clear(cli);
	fprintf(stderr, "hfx: %s\n", err->msg[0] ? err->msg : hfx_rc_name(err->code));
	if (cli->json) {
		json_t *doc = json_object();

		json_object_set_new(doc, "ok", json_false());
		json_object_set_new(doc, "error", cli_jstr(err->msg));
		json_object_set_new(doc, "error_kind",
				    cli_jstr(hfx_rc_name(err->code)));
		cli_json_emit(cli, doc, code);
	}
	return code;
}

int cli_usage(struct cli *cli, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "hfx %s: ", cli->command);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	for (const struct cli_command *c = cli_commands; c->name; c++)
		if (strcmp(c->name, cli->command) == 0)
			fprintf(stderr, "usage: hfx %s %s\n", c->name, c->args);
	fprintf(stderr, "Try 'hfx help %s'.\n", cli->command);
	return 2;
}

static int parse_seconds(struct cli *cli, const char *what, const char *arg,
			 int *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(arg, &end, 10);
	if (!*arg || *end || errno || v < 0 || v > 86400)
		return cli_usage(cli, "%s must be a number of seconds, not '%s'",
				 what, arg);
	*out = (int)v;
	return -1;
}

int cli_getopt_common(struct cli *cli, int c, const char *arg)
{
	switch (c) {
	case OPT_ROOT:
		cli->opt.root = arg;
		return -1;
	case 'q':
		cli->quiet = true;
		return -1;
	case OPT_JSON:
		cli->json = true;
		return -1;
	case OPT_LOG:
		cli->opt.log_path = arg;
		return -1;
	case OPT_DRY_RUN:
		cli->opt.dry_run = true;
		return -1;
	case 'v':
		cli->verbose = true;
		cli->opt.verbose = true;
		return -1;
	case OPT_SYSLOG:
		cli->opt.syslog = true;
		return -1;
	case OPT_LOCK_TIMEOUT:
		return parse_seconds(cli, "--lock-timeout", arg,
				     &cli->opt.lock_timeout);
	case OPT_TIMEOUT:
		return parse_seconds(cli, "--timeout", arg, &cli->opt.timeout);
	case OPT_NO_SERVICES:
		cli->opt.no_services = true;
		return -1;
	case OPT_FORCE:
		cli->opt.force = true;
		return -1;
	case OPT_FULL:
		cli->opt.full = true;
		return -1;
	case OPT_VERSION:
		printf("hfx %s\n", PACKAGE_VERSION);
		return 0;
	case 'h':
		for (const struct cli_command *cmd = cli_commands; cmd->name; cmd++)
			if (cli->command && strcmp(cmd->name, cli->command) == 0) {
				cli_command_help(cmd, stdout);
				return 0;
			}
		return 0;
	default:
		if (!cli->command) {
			fprintf(stderr, "hfx: unknown option\n" CLI_SHORT_USAGE);
			return 2;
		}
		return cli_usage(cli, "unknown option, or an option without its argument");
	}
}

int cli_parse_options(struct cli *cli, int argc, char **argv,
		      const struct option *opts)
{
	int c, rc;

	while ((c = getopt_long(argc, argv, CLI_GLOBAL_SHORT, opts, NULL)) != -1) {
		rc = cli_getopt_common(cli, c, optarg);
		if (rc >= 0)
			return rc;
	}
	return -1;
}

int cli_open(struct cli *cli, struct hfx_ctx *ctx, enum hfx_access access)
{
	struct hfx_events ev = cli_events(cli);
	struct hfx_err err;

	hfx_err_clear(&err);
	if (hfx_ctx_open(ctx, &cli->opt, &ev, access, &err) != HFX_OK) {
		int code = cli_fail(cli, &err);

		hfx_ctx_close(ctx);
		return code;
	}
	return 0;
}

void cli_shield_signals(void)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGQUIT);
	sigprocmask(SIG_BLOCK, &set, NULL);
}

static json_t *procs_json(const struct hfx_proc_list *list)
{
	json_t *arr = json_array();

	for (size_t i = 0; i < list->n; i++) {
		json_t *jp = json_object();
		char path[4200];

		snprintf(path, sizeof(path), "/%s", list->v[i].path ? list->v[i].path : "?");
		json_object_set_new(jp, "pid", json_integer(list->v[i].pid));
		json_object_set_new(jp, "comm", cli_jstr(list->v[i].comm));
		json_object_set_new(jp, "path", cli_jstr(path));
		json_object_set_new(jp, "unit", cli_jstr(list->v[i].unit));
		json_array_append_new(arr, jp);
	}
	return arr;
}

json_t *cli_result_json(const struct hfx_result *res)
{
	json_t *o = json_object(), *files = json_array(), *svcs = json_array();

	json_object_set_new(o, "id", cli_jstr(res->id));
	json_object_set_new(o, "changed", json_boolean(res->changed));
	json_object_set_new(o, "restart_required",
			    json_boolean(res->restart_required));
	json_object_set_new(o, "note", cli_jstr(res->note));
	json_object_set_new(o, "downtime_ms",
			    res->downtime_ms >= 0 ? json_integer(res->downtime_ms)
						  : json_null());
	for (size_t i = 0; i < res->nfiles; i++) {
		const struct hfx_planned_file *f = &res->files[i];
		json_t *jf = json_object();
		char path[4200];

		snprintf(path, sizeof(path), "/%s", f->path);
		json_object_set_new(jf, "path", cli_jstr(path));
		json_object_set_new(jf, "action",
				    cli_jstr(hfx_file_action_name(f->action)));
		json_object_set_new(jf, "old_version", cli_jstr(f->old_version));
		json_object_set_new(jf, "new_version", cli_jstr(f->new_version));
		json_array_append_new(files, jf);
	}
	for (size_t i = 0; i < res->nservices; i++)
		json_array_append_new(svcs, cli_jstr(res->services[i]));
	json_object_set_new(o, "files", files);
	json_object_set_new(o, "services", svcs);
	json_object_set_new(o, "processes_running_old_code",
			    procs_json(&res->procs));
	json_object_set_new(o, "processes_not_covered", procs_json(&res->strays));
	return o;
}

void cli_result_text(struct cli *cli, const struct hfx_result *res,
		     const char *verb)
{
	if (!res->changed) {
		if (res->note)
			cli_out(cli, "%s\n", res->note);
		else if (cli->opt.dry_run) {
			cli_out(cli, "%s %s (dry run; nothing changed):\n",
				verb, res->id ? res->id : "");
			for (size_t i = 0; i < res->nfiles; i++)
				cli_out(cli, "  %-13s /%s (%s -> %s)\n",
					hfx_file_action_name(res->files[i].action),
					res->files[i].path,
					res->files[i].old_version,
					res->files[i].new_version);
			for (size_t i = 0; i < res->nservices; i++)
				cli_out(cli, "  stop/start    service '%s'\n",
					res->services[i]);
		}
		return;
	}
	cli_out(cli, "%s: %s", res->id, verb);
	if (res->downtime_ms >= 0)
		cli_out(cli, " (service downtime %lld ms)",
			(long long)res->downtime_ms);
	cli_out(cli, "\n");
	if (res->restart_required) {
		cli_out(cli, "%s: a restart is required", res->id);
		if (res->procs.n) {
			cli_out(cli, "; still running the old code:");
			for (size_t i = 0; i < res->procs.n; i++)
				cli_out(cli, " %ld (%s, /%s)", res->procs.v[i].pid,
					res->procs.v[i].comm, res->procs.v[i].path);
		}
		cli_out(cli, "\n");
	}
}

int cli_result_exit(const struct hfx_result *res)
{
	return res->restart_required ? 10 : 0;
}
