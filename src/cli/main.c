/*
 * main.c -- hfx: global options, then dispatch to one command file.
 *
 *   hfx [global options] COMMAND [options] [args]
 *
 * The command table below is the single list of commands; `hfx help`, the
 * usage text and the dispatcher all read it.  Global options are accepted
 * before the command and, for convenience in scripts
 * ("hfx install --quiet --root /mnt/img KB.hfx"), after it as well.
 */
#include "cli.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

const struct cli_command cli_commands[] = {
	{ "install", NULL, cmd_install, "[--no-services] [--force] [--timeout S] PACKAGE...",
	  "verify, stage, stop services, swap atomically, restart, record",
	  "  --no-services     never stop or start services\n"
	  "  --force           replace unversioned files the user changed\n"
	  "  --timeout S       bound each service stop/start (default 60)\n" },
	{ "query", NULL, cmd_query, "ID|PACKAGE...",
	  "is the fix present? (exit 0 yes, 1 no, 4 not applicable)", "" },
	{ "list", NULL, cmd_list, "", "installed hotfixes", "" },
	{ "rollback", "uninstall", cmd_rollback,
	  "[--no-services] [--force] [--timeout S] ID",
	  "put back exactly the files the hotfix replaced",
	  "  --no-services     never stop or start services\n"
	  "  --force           hand shared files over / discard local changes\n"
	  "  --timeout S       bound each service stop/start (default 60)\n" },
	{ "verify", NULL, cmd_verify, "[--full] [ID...]",
	  "compare installed files with the record",
	  "  --full            hash every file (no size/time fast path)\n" },
	{ "info", NULL, cmd_info, "PACKAGE",
	  "show and verify a package; change nothing", "" },
	{ "pack", NULL, cmd_pack,
	  "MANIFEST --payload DIR --key KEY.pem --cert CERT.pem [--chain CHAIN.pem] [--compress zstd|gzip|xz] -o OUT.hfx",
	  "build and sign a package",
	  "  --payload DIR     the files, at their target paths\n"
	  "  --key, --cert     the publisher's PEM key and certificate\n"
	  "  --chain FILE      intermediate certificates to embed\n"
	  "  --compress NAME   zstd (default: fastest install), gzip or xz\n"
	  "  -o, --output FILE the package to write\n" },
	{ "fileversion", NULL, cmd_fileversion, "FILE...",
	  "print each file's PE file version (or none / not-pe)", "" },
	{ "history", NULL, cmd_history, "[ID]", "the event history", "" },
	{ "recover", NULL, cmd_recover, "[--no-services] [--timeout S]",
	  "finish or undo an interrupted transaction",
	  "  --no-services     do not restart the services it had stopped\n"
	  "  --timeout S       bound each service stop/start (default 60)\n" },
	{ "commit", NULL, cmd_commit, "ID",
	  "discard the kept originals of a hotfix (no rollback after this)", "" },
	{ "help", NULL, cmd_help, "[COMMAND]", "show help", "" },
	{ NULL, NULL, NULL, NULL, NULL, NULL },
};

static const char global_help[] =
	"Global options:\n"
	"  --root DIR        operate on the system under DIR (default /)\n"
	"  -q, --quiet       nothing on stdout; errors on stderr\n"
	"  --json            one JSON document on stdout\n"
	"  --log FILE        log to FILE instead of var/log/hfx.log\n"
	"  --syslog          also log to syslog\n"
	"  --dry-run         say what would happen, change nothing\n"
	"  --lock-timeout S  wait up to S seconds for another transaction\n"
	"  -v, --verbose     say more\n"
	"  --version         print the version\n";

static void usage(FILE *f)
{
	fprintf(f, "usage: hfx [global options] COMMAND [options] [args]\n\n"
		   "Commands:\n");
	for (const struct cli_command *c = cli_commands; c->name; c++)
		fprintf(f, "  %-12s %s\n", c->name, c->summary);
	fprintf(f, "\n%s\nSee hfx(8), or hfx help COMMAND.\n", global_help);
}

void cli_command_help(const struct cli_command *cmd, FILE *f)
{
	fprintf(f, "usage: hfx %s %s\n\n%s.\n", cmd->name, cmd->args,
		cmd->summary);
	if (cmd->alias)
		fprintf(f, "Alias: %s.\n", cmd->alias);
	if (cmd->options && *cmd->options)
		fprintf(f, "\nOptions:\n%s", cmd->options);
	fprintf(f, "\n%s", global_help);
}

static const struct cli_command *find_command(const char *name)
{
	for (const struct cli_command *c = cli_commands; c->name; c++)
		if (strcmp(c->name, name) == 0 ||
		    (c->alias && strcmp(c->alias, name) == 0))
			return c;
	return NULL;
}

int cmd_help(struct cli *cli, int argc, char **argv)
{
	const struct cli_command *c;

	(void)cli;
	if (argc < 2) {
		usage(stdout);
		return 0;
	}
	c = find_command(argv[1]);
	if (!c) {
		fprintf(stderr, "hfx: unknown command '%s'\n", argv[1]);
		usage(stderr);
		return 2;
	}
	cli_command_help(c, stdout);
	return 0;
}

/* Many files in flight (a staged file and its directory each): allow as
 * many descriptors as the hard limit permits. */
static void raise_fd_limit(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		CLI_GLOBAL_LONG,
		{ NULL, 0, NULL, 0 },
	};
	struct cli cli = { .opt = { .root = "/", .timeout = -1,
				    .lock_timeout = -1 } };
	const struct cli_command *cmd;
	int c, rc;

	raise_fd_limit();
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+" CLI_GLOBAL_SHORT, opts, NULL)) != -1) {
		if (c == 'h') {
			usage(stdout);
			return 0;
		}
		rc = cli_getopt_common(&cli, c, optarg);
		if (rc >= 0)
			return rc;
	}
	if (optind >= argc) {
		fprintf(stderr, "hfx: no command given\n" CLI_SHORT_USAGE);
		return 2;
	}
	cmd = find_command(argv[optind]);
	if (!cmd) {
		fprintf(stderr, "hfx: unknown command '%s'\n" CLI_SHORT_USAGE,
			argv[optind]);
		return 2;
	}
	cli.command = cmd->name;
	cli.warnings = json_array();
	argc -= optind;
	argv += optind;
	optind = 0;	/* GNU getopt: re-initialise for the command */
	rc = cmd->run(&cli, argc, argv);
	cli_progress_clear(&cli);
	json_decref(cli.warnings);
	return rc;
}
