/*
 * cli.h -- the hfx command: shared state of one run, the command table
 * entry type, and the renderers every command uses.
 *
 * The CLI is the only place that prints and the only place with global
 * state (signal dispositions, the progress bar's terminal state).  Every
 * command file (cmd-*.c) parses its own options after the global ones,
 * calls the engine, and renders the result as text, as one JSON document
 * (--json) or not at all (--quiet).  Exit codes come from the engine's
 * result (hfx_rc_exit_code) or from the query state, never invented here
 * except 2 for usage errors.
 */
#ifndef HFX_CLI_H
#define HFX_CLI_H

#include <getopt.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>

#include "context.h"
#include "error.h"
#include "event.h"
#include "result.h"

struct cli {
	struct hfx_options opt;
	bool quiet, json, verbose;
	bool progress;		/* stderr is a tty, and neither -q nor --json */
	const char *command;	/* the subcommand being run */
	json_t *warnings;	/* collected for --json */
	struct {
		bool shown;
		long long started_ms;
	} bar;
};

/* Option codes shared by every command (long-only ones above 255). */
enum {
	OPT_ROOT = 256, OPT_JSON, OPT_LOG, OPT_DRY_RUN, OPT_SYSLOG,
	OPT_LOCK_TIMEOUT, OPT_NO_SERVICES, OPT_FORCE, OPT_TIMEOUT, OPT_FULL,
	OPT_KEY, OPT_CERT, OPT_CHAIN, OPT_PAYLOAD, OPT_COMPRESS, OPT_VERSION,
	OPT_OUTPUT,
};

/* The global options, accepted before and after the command name. */
/* The short usage after a command-line error that names no command. */
#define CLI_SHORT_USAGE \
	"usage: hfx [global options] COMMAND [options] [args]\n" \
	"Try 'hfx help'.\n"

#define CLI_GLOBAL_SHORT "qvh"
#define CLI_GLOBAL_LONG \
	{ "root", required_argument, NULL, OPT_ROOT }, \
	{ "quiet", no_argument, NULL, 'q' }, \
	{ "json", no_argument, NULL, OPT_JSON }, \
	{ "log", required_argument, NULL, OPT_LOG }, \
	{ "dry-run", no_argument, NULL, OPT_DRY_RUN }, \
	{ "verbose", no_argument, NULL, 'v' }, \
	{ "syslog", no_argument, NULL, OPT_SYSLOG }, \
	{ "lock-timeout", required_argument, NULL, OPT_LOCK_TIMEOUT }, \
	{ "help", no_argument, NULL, 'h' }, \
	{ "version", no_argument, NULL, OPT_VERSION }

struct cli_command {
	const char *name;
	const char *alias;
	int (*run)(struct cli *cli, int argc, char **argv);
	const char *args;	/* synopsis after the name */
	const char *summary;
	const char *options;	/* option help, one per line */
};

extern const struct cli_command cli_commands[];

/* Command entry points. */
int cmd_install(struct cli *cli, int argc, char **argv);
int cmd_rollback(struct cli *cli, int argc, char **argv);
int cmd_query(struct cli *cli, int argc, char **argv);
int cmd_list(struct cli *cli, int argc, char **argv);
int cmd_verify(struct cli *cli, int argc, char **argv);
int cmd_info(struct cli *cli, int argc, char **argv);
int cmd_pack(struct cli *cli, int argc, char **argv);
int cmd_fileversion(struct cli *cli, int argc, char **argv);
int cmd_history(struct cli *cli, int argc, char **argv);
int cmd_recover(struct cli *cli, int argc, char **argv);
int cmd_commit(struct cli *cli, int argc, char **argv);
int cmd_help(struct cli *cli, int argc, char **argv);

/* ---- render.c ---------------------------------------------------------- */

/* A JSON string for any C string: invalid UTF-8 bytes (a file name, a
 * member name) are written as \xNN instead of making jansson drop the
 * value.  NULL gives JSON null. */
json_t *cli_jstr(const char *s);

/* The event sink handed to the engine. */
struct hfx_events cli_events(struct cli *cli);

/* Text output on stdout unless --quiet or --json. */
void cli_out(struct cli *cli, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Report an error: "hfx: MESSAGE" on stderr (also with --quiet); with
 * --json, also the JSON document {command, ok: false, exit_code, error}.
 * Returns the exit code for `err`. */
int cli_fail(struct cli *cli, const struct hfx_err *err);

/* A usage error for the current command (exit 2). */
int cli_usage(struct cli *cli, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Print `doc` (consumed) as the JSON document of the run, adding
 * "command", "exit_code" and the collected warnings. */
void cli_json_emit(struct cli *cli, json_t *doc, int exit_code);

/* Erase the progress bar, if shown. */
void cli_progress_clear(struct cli *cli);

/* Open the context for this run; on failure renders the error and
 * returns its exit code (>0), else 0. */
int cli_open(struct cli *cli, struct hfx_ctx *ctx, enum hfx_access access);

/* Block SIGINT, SIGTERM, SIGHUP and SIGQUIT: a transaction started is
 * finished or undone, never abandoned half-way by a Ctrl-C.  (SIGKILL
 * still works; recovery handles that.) */
void cli_shield_signals(void);

/* The JSON object of an install/rollback result. */
json_t *cli_result_json(const struct hfx_result *res);

/* Text rendering of an install/rollback result. */
void cli_result_text(struct cli *cli, const struct hfx_result *res,
		     const char *verb);

/* Common per-command option parsing: handles -h/--help and the global
 * options when given after the command.  Returns -1 to continue, or an
 * exit code. */
int cli_getopt_common(struct cli *cli, int c, const char *optarg_);

/* Parse a command's options (the shared set plus its own entries in
 * `opts`, all handled by cli_getopt_common).  Returns -1 to go on, or the
 * exit code to return (help printed, usage error). */
int cli_parse_options(struct cli *cli, int argc, char **argv,
		      const struct option *opts);

/* Exit code for a successful install/rollback result. */
int cli_result_exit(const struct hfx_result *res);

/* Usage text of one command, to `f`. */
void cli_command_help(const struct cli_command *cmd, FILE *f);

#endif
