/*
 * cmd-pack.c -- hfx pack MANIFEST --payload DIR --key KEY --cert CERT
 *               [--chain CHAIN] [--compress zstd|gzip|xz] -o OUT
 */
#include "cli.h"

#include <getopt.h>

#include "pack.h"

int cmd_pack(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		CLI_GLOBAL_LONG,
		{ "payload", required_argument, NULL, OPT_PAYLOAD },
		{ "key", required_argument, NULL, OPT_KEY },
		{ "cert", required_argument, NULL, OPT_CERT },
		{ "chain", required_argument, NULL, OPT_CHAIN },
		{ "compress", required_argument, NULL, OPT_COMPRESS },
		{ "output", required_argument, NULL, 'o' },
		{ NULL, 0, NULL, 0 },
	};
	struct hfx_pack_options po = { .compression = HFX_COMPRESS_ZSTD };
	struct hfx_events ev;
	struct hfx_err err;
	int c, rc;

	hfx_err_clear(&err);
	while ((c = getopt_long(argc, argv, "o:" CLI_GLOBAL_SHORT, opts, NULL)) != -1) {
		switch (c) {
		case OPT_PAYLOAD:
			po.payload = optarg;
			break;
		case OPT_KEY:
			po.key = optarg;
			break;
		case OPT_CERT:
			po.cert = optarg;
			break;
		case OPT_CHAIN:
			po.chain = optarg;
			break;
		case OPT_COMPRESS:
			if (hfx_compression_parse(optarg, &po.compression, &err) != HFX_OK)
				return cli_usage(cli, "%s", err.msg);
			break;
		case 'o':
			po.output = optarg;
			break;
		default:
			rc = cli_getopt_common(cli, c, optarg);
			if (rc >= 0)
				return rc;
		}
	}
	if (argc - optind != 1)
		return cli_usage(cli, "give exactly one manifest");
	if (!po.payload || !po.key || !po.cert || !po.output)
		return cli_usage(cli, "--payload, --key, --cert and -o are required");
	po.manifest = argv[optind];
	po.dry_run = cli->opt.dry_run;
	ev = cli_events(cli);
	if (hfx_pack(&po, &ev, &err) != HFX_OK)
		return cli_fail(cli, &err);
	if (cli->json) {
		json_t *doc = json_object();

		json_object_set_new(doc, "ok", json_true());
		json_object_set_new(doc, "package", cli_jstr(po.output));
		cli_json_emit(cli, doc, 0);
	}
	return 0;
}
