/*
 * cmd-fileversion.c -- hfx fileversion FILE...: the PE file version of
 * each file (host paths, not under --root), or "none" (a PE image
 * without version information) or "not-pe".  Exit 1 if a file cannot be
 * read.
 */
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <string.h>
#include <unistd.h>

#include "pe.h"

int cmd_fileversion(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		CLI_GLOBAL_LONG,
		{ NULL, 0, NULL, 0 },
	};
	json_t *files;
	int rc, exit_code = 0;

	rc = cli_parse_options(cli, argc, argv, opts);
	if (rc >= 0)
		return rc;
	if (optind >= argc)
		return cli_usage(cli, "give at least one file");
	files = json_array();
	for (int i = optind; i < argc; i++) {
		enum hfx_pe_result pr = HFX_PE_NOT_PE;
		struct hfx_version v = { .nparts = 0 };
		char vbuf[HFX_VERSION_STR_MAX], why[128] = "";
		struct hfx_err err;
		const char *kind, *shown;
		json_t *o = json_object();
		int fd;

		hfx_err_clear(&err);
		json_object_set_new(o, "path", cli_jstr(argv[i]));
		fd = open(argv[i], O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
		if (fd < 0 ||
		    hfx_pe_version_read(fd, argv[i], &pr, &v, why, sizeof(why),
					&err) != HFX_OK) {
			if (fd < 0)
				hfx_err_sys(&err, HFX_ERR_IO, "%s", argv[i]);
			fprintf(stderr, "hfx: %s\n", err.msg);
			json_object_set_new(o, "error", cli_jstr(err.msg));
			json_array_append_new(files, o);
			exit_code = 1;
			if (fd >= 0)
				close(fd);
			continue;
		}
		close(fd);
		kind = pr == HFX_PE_VERSION ? "pe" : pr == HFX_PE_NO_VERSION ? "none" : "not-pe";
		shown = pr == HFX_PE_VERSION ? hfx_version_format(&v, vbuf) : kind;
		cli_out(cli, "%s: %s\n", argv[i], shown);
		if (cli->verbose && why[0] && pr != HFX_PE_VERSION)
			cli_out(cli, "  (%s)\n", why);
		json_object_set_new(o, "version", pr == HFX_PE_VERSION
						       ? cli_jstr(vbuf) : json_null());
		json_object_set_new(o, "kind", cli_jstr(kind));
		json_array_append_new(files, o);
	}
	if (cli->json) {
		json_t *doc = json_object();

		json_object_set_new(doc, "files", files);
		files = NULL;
		cli_json_emit(cli, doc, exit_code);
	}
	json_decref(files);
	return exit_code;
}
