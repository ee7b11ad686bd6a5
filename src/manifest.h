/*
 * manifest.h -- the hotfix manifest (manifest.ini), parsed and validated.
 *
 * The manifest is the only signed part of a package, so everything the
 * engine later trusts about a payload file -- its target path, size,
 * SHA-256, version -- comes from here.  Parsing is therefore strict:
 *
 *   - the text must be UTF-8-ish text: no NUL, no control bytes but tab,
 *     CR and LF, at most HFX_MANIFEST_MAX bytes;
 *   - every line fits libinih's fixed line buffer (198 bytes + newline);
 *     a longer line would be split by the library and its tail parsed as a
 *     new line, so it is refused instead;
 *   - sections are [hotfix] (exactly once, first) and [file <target>];
 *   - unknown keys are refused, except keys starting with "x-", which are
 *     reserved for local extensions and ignored (a manifest from a newer
 *     hfx that added a key this one does not understand must not be half
 *     understood);
 *   - a key given twice (including an INI continuation line) is refused;
 *   - targets are clean relative paths (no "..", no absolute path, no
 *     backslash, no control byte), unique, and no target is a directory
 *     of another target.
 *
 * Errors name the manifest and the line ("KB1.ini:12: ...").
 */
#ifndef HFX_MANIFEST_H
#define HFX_MANIFEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "fsutil.h"
#include "version.h"

#define HFX_MANIFEST_MAX (4u << 20)	/* 4 MiB of manifest text */
#define HFX_MANIFEST_MAX_FILES 65536
#define HFX_MANIFEST_LINE_MAX 198	/* see inifile.h */
#define HFX_ID_MAX 64

enum hfx_restart {
	HFX_RESTART_NONE,
	HFX_RESTART_SERVICES,
	HFX_RESTART_REBOOT,
};

/* Source manifests (manifests/<ID>.ini) may omit size and sha256; the
 * manifest inside a package must carry both for every file. */
enum hfx_manifest_kind {
	HFX_MANIFEST_SOURCE,
	HFX_MANIFEST_PACKAGED,
};

struct hfx_manifest_file {
	char *target;		/* relative to the product directory */
	char *version_text;
	struct hfx_version version;
	char *date;		/* as written, or NULL */
	int64_t date_epoch;	/* seconds since 1970, or -1 */
	bool is_new;		/* new = yes: may be absent on the machine */
	int mode;		/* mode for a new file, or -1 */
	bool has_size, has_sha256;
	uint64_t size;
	unsigned char sha256[HFX_SHA256_LEN];
	unsigned line;		/* line of the [file ...] header */
};

struct hfx_manifest {
	char *id, *title, *product, *product_dir;
	enum hfx_restart restart;
	char **services;
	size_t nservices;
	char **supersedes;
	size_t nsupersedes;
	char **requires;
	size_t nrequires;
	struct hfx_manifest_file *files;	/* in manifest order */
	size_t nfiles;
	struct hfx_manifest_file **by_target;	/* sorted, for lookup */
};

enum hfx_rc hfx_manifest_parse(const char *text, size_t len, const char *name,
			       enum hfx_manifest_kind kind,
			       struct hfx_manifest **out, struct hfx_err *err);

void hfx_manifest_free(struct hfx_manifest *m);

/* The [file] entry for `target`, or NULL. */
struct hfx_manifest_file *hfx_manifest_find(const struct hfx_manifest *m,
					    const char *target);

/* Canonical text of the manifest, with size and sha256 for every file
 * (the form `hfx pack` signs).  malloc'd, NUL-terminated. */
char *hfx_manifest_format(const struct hfx_manifest *m);

/* True for a valid hotfix ID: [A-Za-z0-9][A-Za-z0-9._-]*, at most 64. */
bool hfx_id_is_valid(const char *id);

const char *hfx_restart_name(enum hfx_restart r);

/* Sum of the declared sizes of all files. */
uint64_t hfx_manifest_total_size(const struct hfx_manifest *m);

#endif
