/*
 * cmd-info.c -- hfx info PACKAGE: the manifest and signer of a package,
 * verified end to end (signature, every member's size and SHA-256, the
 * archive's structure); nothing on the machine is changed.
 */
#include "cli.h"

#include <getopt.h>

#include "install.h"
#include "manifest.h"

int cmd_info(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		CLI_GLOBAL_LONG,
		{ NULL, 0, NULL, 0 },
	};
	struct hfx_manifest *m = NULL;
	char *signer = NULL;
	struct hfx_ctx ctx;
	struct hfx_err err;
	int rc;

	rc = cli_parse_options(cli, argc, argv, opts);
	if (rc >= 0)
		return rc;
	if (argc - optind != 1)
		return cli_usage(cli, "give exactly one package file");
	rc = cli_open(cli, &ctx, HFX_ACCESS_READ);
	if (rc)
		return rc;
	hfx_err_clear(&err);
	if (hfx_package_check(&ctx, argv[optind], true, &m, &signer, NULL,
			      &err) != HFX_OK) {
		rc = cli_fail(cli, &err);
		hfx_ctx_close(&ctx);
		return rc;
	}
	cli_out(cli, "%s: %s\n", m->id, m->title);
	cli_out(cli, "  product:     %s (%s)\n", m->product, m->product_dir);
	cli_out(cli, "  signed by:   %s (verified)\n", signer);
	cli_out(cli, "  restart:     %s\n", hfx_restart_name(m->restart));
	for (size_t i = 0; i < m->nservices; i++)
		cli_out(cli, "  service:     %s\n", m->services[i]);
	for (size_t i = 0; i < m->nsupersedes; i++)
		cli_out(cli, "  supersedes:  %s\n", m->supersedes[i]);
	for (size_t i = 0; i < m->nrequires; i++)
		cli_out(cli, "  requires:    %s\n", m->requires[i]);
	for (size_t i = 0; i < m->nfiles; i++)
		cli_out(cli, "  file:        %s  %s  %llu bytes%s\n",
			m->files[i].target, m->files[i].version_text,
			(unsigned long long)m->files[i].size,
			m->files[i].is_new ? "  (new)" : "");
	if (cli->json) {
		json_t *doc = json_object(), *files = json_array(), *a;

		json_object_set_new(doc, "ok", json_true());
		json_object_set_new(doc, "id", cli_jstr(m->id));
		json_object_set_new(doc, "title", cli_jstr(m->title));
		json_object_set_new(doc, "product", cli_jstr(m->product));
		json_object_set_new(doc, "product_dir", cli_jstr(m->product_dir));
		json_object_set_new(doc, "restart",
				    cli_jstr(hfx_restart_name(m->restart)));
		json_object_set_new(doc, "signer", cli_jstr(signer));
		json_object_set_new(doc, "verified", json_true());
		a = json_array();
		for (size_t i = 0; i < m->nservices; i++)
			json_array_append_new(a, cli_jstr(m->services[i]));
		json_object_set_new(doc, "services", a);
		a = json_array();
		for (size_t i = 0; i < m->nsupersedes; i++)
			json_array_append_new(a, cli_jstr(m->supersedes[i]));
		json_object_set_new(doc, "supersedes", a);
		a = json_array();
		for (size_t i = 0; i < m->nrequires; i++)
			json_array_append_new(a, cli_jstr(m->requires[i]));
		json_object_set_new(doc, "requires", a);
		for (size_t i = 0; i < m->nfiles; i++) {
			const struct hfx_manifest_file *f = &m->files[i];
			json_t *o = json_object();
			char hex[HFX_SHA256_HEX];

			hfx_hex(f->sha256, HFX_SHA256_LEN, hex);
			json_object_set_new(o, "target", cli_jstr(f->target));
			json_object_set_new(o, "version", cli_jstr(f->version_text));
			json_object_set_new(o, "size", json_integer((json_int_t)f->size));
			json_object_set_new(o, "sha256", cli_jstr(hex));
			json_object_set_new(o, "new", json_boolean(f->is_new));
			json_object_set_new(o, "date", cli_jstr(f->date));
			json_array_append_new(files, o);
		}
		json_object_set_new(doc, "files", files);
		cli_json_emit(cli, doc, 0);
	}
	hfx_manifest_free(m);
	free(signer);
	hfx_ctx_close(&ctx);
	return 0;
}
