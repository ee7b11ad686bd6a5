/*
 * manifest.c -- manifest parser with strict validation.
 *
 * The INI pass (inifile.c, over libinih) calls on_section()/on_key(); each
 * key is checked as it arrives, so the error names its line.
 * After the INI pass, whole-manifest checks run: required keys, unique and
 * non-nested targets (via a sorted index also used for lookups).
 */
#include "grow.h"
#include "manifest.h"
#include "inifile.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct parse_state {
	enum hfx_manifest_kind kind;
	struct hfx_manifest *m;
	bool in_hotfix, seen_hotfix;
	struct hfx_manifest_file *cur;	/* current [file] section */
	unsigned seen_keys;		/* bitmask of keys seen in section */
	size_t cap_files;
	unsigned line;			/* line being handled */
};

/* Key bits, per section kind, for duplicate detection. */
enum {
	K_ID = 1 << 0, K_TITLE = 1 << 1, K_PRODUCT = 1 << 2,
	K_PRODUCT_DIR = 1 << 3, K_RESTART = 1 << 4, K_SERVICES = 1 << 5,
	K_SUPERSEDES = 1 << 6, K_REQUIRES = 1 << 7,
	F_VERSION = 1 << 0, F_DATE = 1 << 1, F_NEW = 1 << 2, F_MODE = 1 << 3,
	F_SIZE = 1 << 4, F_SHA256 = 1 << 5,
};

/* Handlers report through hfx_err; inifile.c adds "NAME:LINE: ". */
#define BAD(...) hfx_err_set(err, HFX_ERR_MANIFEST, __VA_ARGS__)
#define OOM() hfx_err_set(err, HFX_ERR_NOMEM, "out of memory")

bool hfx_id_is_valid(const char *id)
{
	size_t n = strlen(id);

	if (n == 0 || n > HFX_ID_MAX || !isalnum((unsigned char)id[0]))
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)id[i];
		if (!isalnum(c) && c != '.' && c != '_' && c != '-')
			return false;
	}
	return true;
}

static void trim(char *s)
{
	size_t n = strlen(s);
	char *p = s;

	while (n && isspace((unsigned char)s[n - 1]))
		s[--n] = '\0';
	while (*p && isspace((unsigned char)*p))
		p++;
	if (p != s)
		memmove(s, p, strlen(p) + 1);
}

/* Split a comma list into trimmed, non-empty, distinct items; `ids`
 * checks each item as a hotfix ID. */
static enum hfx_rc parse_list(const char *key, const char *value, bool ids,
			      char ***out, size_t *n, struct hfx_err *err)
{
	char *copy = strdup(value), *item, *next;
	enum hfx_rc rc = HFX_OK;

	if (!copy)
		return OOM();
	trim(copy);
	/* Split by hand: strtok() would fold "a,,b" or "a," into a clean
	 * list, and a typo in a prerequisite list must not pass unseen. */
	for (item = *copy ? copy : NULL; item && rc == HFX_OK; item = next) {
		char **grown;

		next = strchr(item, ',');
		if (next)
			*next++ = '\0';
		trim(item);
		if (!*item) {
			rc = BAD("%s: empty item in list", key);
			break;
		}
		if (*item == ';') {
			rc = BAD("%s: item '%s' starts with ';', which would read as a comment",
				 key, item);
			break;
		}
		if (ids && !hfx_id_is_valid(item)) {
			rc = BAD("%s: '%s' is not a valid hotfix ID", key, item);
			break;
		}
		for (size_t i = 0; i < *n && rc == HFX_OK; i++)
			if (strcmp((*out)[i], item) == 0)
				rc = BAD("%s: '%s' listed twice", key, item);
		if (rc != HFX_OK)
			break;
		grown = realloc(*out, (*n + 1) * sizeof(**out));
		if (!grown) {
			rc = OOM();
			break;
		}
		*out = grown;
		if (!(grown[*n] = strdup(item))) {
			rc = OOM();
			break;
		}
		(*n)++;
	}
	free(copy);
	return rc;
}

static enum hfx_rc once(struct parse_state *ps, unsigned bit, const char *key,
			struct hfx_err *err)
{
	if (ps->seen_keys & bit)
		return BAD("key '%s' given twice (or continued on an indented line)",
			   key);
	ps->seen_keys |= bit;
	return HFX_OK;
}

static enum hfx_rc set_string(char **dst, const char *key, const char *value,
			      struct hfx_err *err)
{
	if (!*value)
		return BAD("%s is empty", key);
	*dst = strdup(value);
	return *dst ? HFX_OK : OOM();
}

static enum hfx_rc hotfix_key(struct parse_state *ps, const char *key,
			      const char *value, struct hfx_err *err)
{
	struct hfx_manifest *m = ps->m;
	static const struct {
		const char *key;
		unsigned bit;
	} keys[] = {
		{ "id", K_ID }, { "title", K_TITLE }, { "product", K_PRODUCT },
		{ "product-dir", K_PRODUCT_DIR }, { "restart", K_RESTART },
		{ "services", K_SERVICES }, { "supersedes", K_SUPERSEDES },
		{ "requires", K_REQUIRES },
	};
	unsigned bit = 0;
	enum hfx_rc rc;

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (strcmp(key, keys[i].key) == 0)
			bit = keys[i].bit;
	if (!bit)
		return BAD("unknown key '%s' in [hotfix]", key);
	rc = once(ps, bit, key, err);
	if (rc != HFX_OK)
		return rc;
	switch (bit) {
	case K_ID:
		if (!hfx_id_is_valid(value))
			return BAD("id '%s' is not valid (letters, digits, '.', '_', '-'; at most %d)",
				   value, HFX_ID_MAX);
		return set_string(&m->id, key, value, err);
	case K_TITLE:
		return set_string(&m->title, key, value, err);
	case K_PRODUCT:
		return set_string(&m->product, key, value, err);
	case K_PRODUCT_DIR: {
		const char *why;

		if (!hfx_path_is_clean_absolute(value, &why))
			return BAD("product-dir '%s' must be a clean absolute path (%s)",
				   value, why);
		return set_string(&m->product_dir, key, value, err);
	}
	case K_RESTART:
		if (strcmp(value, "none") == 0)
			m->restart = HFX_RESTART_NONE;
		else if (strcmp(value, "services") == 0)
			m->restart = HFX_RESTART_SERVICES;
		else if (strcmp(value, "reboot") == 0)
			m->restart = HFX_RESTART_REBOOT;
		else
			return BAD("restart '%s' must be none, services or reboot",
				   value);
		return HFX_OK;
	case K_SERVICES:
		for (const char *p = value; *p; p++)
			if (*p == '[' || *p == ']')
				return BAD("services: a service name cannot contain '[' or ']'");
		return parse_list(key, value, false, &m->services,
				  &m->nservices, err);
	case K_SUPERSEDES:
		return parse_list(key, value, true, &m->supersedes,
				  &m->nsupersedes, err);
	default:
		return parse_list(key, value, true, &m->requires,
				  &m->nrequires, err);
	}
}

/* "2005-06-13T20:50:00Z" -> epoch seconds, strictly; -1 if malformed. */
static int64_t parse_date(const char *s)
{
	struct tm tm = { 0 };
	int y, mo, d, h, mi, se, n = 0;

	if (strlen(s) != 20 ||
	    sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2dZ%n", &y, &mo, &d, &h, &mi, &se,
		   &n) != 6 || n != 20)
		return -1;
	if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 ||
	    se > 60 || y < 1970)
		return -1;
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = se;
	return (int64_t)timegm(&tm);
}

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static enum hfx_rc file_key(struct parse_state *ps, const char *key,
			    const char *value, struct hfx_err *err)
{
	struct hfx_manifest_file *f = ps->cur;
	static const struct {
		const char *key;
		unsigned bit;
	} keys[] = {
		{ "version", F_VERSION }, { "date", F_DATE }, { "new", F_NEW },
		{ "mode", F_MODE }, { "size", F_SIZE }, { "sha256", F_SHA256 },
	};
	unsigned bit = 0;
	enum hfx_rc rc;

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (strcmp(key, keys[i].key) == 0)
			bit = keys[i].bit;
	if (!bit)
		return BAD("unknown key '%s' in [file %s]", key, f->target);
	rc = once(ps, bit, key, err);
	if (rc != HFX_OK)
		return rc;
	switch (bit) {
	case F_VERSION: {
		struct hfx_err verr;

		hfx_err_clear(&verr);
		if (hfx_version_parse(value, &f->version, &verr) != HFX_OK)
			return BAD("[file %s]: %s", f->target, verr.msg);
		return set_string(&f->version_text, key, value, err);
	}
	case F_DATE:
		f->date_epoch = parse_date(value);
		if (f->date_epoch < 0)
			return BAD("[file %s]: date '%s' is not YYYY-MM-DDTHH:MM:SSZ",
				   f->target, value);
		return set_string(&f->date, key, value, err);
	case F_NEW:
		if (strcmp(value, "yes") == 0)
			f->is_new = true;
		else if (strcmp(value, "no") == 0)
			f->is_new = false;
		else
			return BAD("[file %s]: new must be yes or no", f->target);
		return HFX_OK;
	case F_MODE: {
		char *endp;
		long mode;

		errno = 0;
		mode = strtol(value, &endp, 8);
		if (!*value || *endp || errno || mode < 0 || mode > 0777)
			return BAD("[file %s]: mode '%s' must be octal 0..0777",
				   f->target, value);
		f->mode = (int)mode;
		return HFX_OK;
	}
	case F_SIZE: {
		char *endp;
		unsigned long long size;

		errno = 0;
		size = strtoull(value, &endp, 10);
		if (!isdigit((unsigned char)*value) || *endp || errno)
			return BAD("[file %s]: size '%s' is not a number",
				   f->target, value);
		f->size = size;
		f->has_size = true;
		return HFX_OK;
	}
	default:
		if (strlen(value) != 2 * HFX_SHA256_LEN)
			return BAD("[file %s]: sha256 must be 64 hex digits",
				   f->target);
		for (int i = 0; i < HFX_SHA256_LEN; i++) {
			int hi = hex_digit(value[2 * i]);
			int lo = hex_digit(value[2 * i + 1]);

			if (hi < 0 || lo < 0)
				return BAD("[file %s]: sha256 must be 64 hex digits",
					   f->target);
			f->sha256[i] = (unsigned char)(hi << 4 | lo);
		}
		f->has_sha256 = true;
		return HFX_OK;
	}
}

static enum hfx_rc on_section(void *user, const char *section, unsigned line,
			      struct hfx_err *err)
{
	struct parse_state *ps = user;
	struct hfx_manifest *m = ps->m;
	const char *target, *why;
	struct hfx_manifest_file *f;

	ps->seen_keys = 0;
	ps->cur = NULL;
	ps->in_hotfix = false;
	if (strcmp(section, "hotfix") == 0) {
		if (ps->seen_hotfix)
			return BAD("[hotfix] section given twice");
		if (m->nfiles)
			return BAD("[hotfix] must come before the [file] sections");
		ps->seen_hotfix = ps->in_hotfix = true;
		return HFX_OK;
	}
	if (strncmp(section, "file ", 5) != 0)
		return BAD("unknown section [%s]", section);
	if (!ps->seen_hotfix)
		return BAD("[hotfix] must come before the [file] sections");
	target = section + 5;
	if (!hfx_path_is_clean_relative(target, &why))
		return BAD("target '%s' must be a clean path relative to the product directory (%s)",
			   target, why);
	if (m->nfiles == HFX_MANIFEST_MAX_FILES)
		return BAD("more than %d files", HFX_MANIFEST_MAX_FILES);
	if (!hfx_grow(&m->files, &ps->cap_files, m->nfiles, sizeof(*m->files)))
		return OOM();
	f = &m->files[m->nfiles];
	memset(f, 0, sizeof(*f));
	f->date_epoch = -1;
	f->mode = -1;
	f->line = line;
	f->target = strdup(target);
	if (!f->target)
		return OOM();
	m->nfiles++;
	ps->cur = f;
	return HFX_OK;
}

static enum hfx_rc on_key(void *user, const char *section, const char *key,
			  const char *value, unsigned line, struct hfx_err *err)
{
	struct parse_state *ps = user;

	(void)section;
	ps->line = line;
	if (!ps->in_hotfix && !ps->cur)
		return BAD("key '%s' outside any section", key);
	if (strncmp(key, "x-", 2) == 0)
		return HFX_OK;	/* local extension keys are ignored */
	/* libinih takes ';' for a comment only after whitespace, so
	 * "title =;x" reads as ";x" -- but the canonical "title = ;x" that
	 * pack signs would read as empty.  Refuse what cannot round-trip. */
	if (value[0] == ';')
		return BAD("the value of '%s' starts with ';', which would read as a comment", key);
	if (ps->in_hotfix)
		return hotfix_key(ps, key, value, err);
	return file_key(ps, key, value, err);
}

static int cmp_target(const void *a, const void *b)
{
	const struct hfx_manifest_file *fa = *(const struct hfx_manifest_file *const *)a;
	const struct hfx_manifest_file *fb = *(const struct hfx_manifest_file *const *)b;
	return strcmp(fa->target, fb->target);
}

static enum hfx_rc check_whole(struct parse_state *ps, const char *name,
				 struct hfx_err *err)
{
	struct hfx_manifest *m = ps->m;
	static const char *const required[] = { "id", "title", "product",
						"product-dir" };
	const char *const values[] = { m->id, m->title, m->product,
				       m->product_dir };

	if (!ps->seen_hotfix)
		return hfx_err_set(err, HFX_ERR_MANIFEST,
				   "%s: no [hotfix] section", name);
	for (size_t i = 0; i < 4; i++)
		if (!values[i])
			return hfx_err_set(err, HFX_ERR_MANIFEST,
					   "%s: [hotfix] lacks the required key '%s'",
					   name, required[i]);
	if (m->restart == HFX_RESTART_SERVICES && m->nservices == 0)
		return hfx_err_set(err, HFX_ERR_MANIFEST,
				   "%s: restart = services but no services are listed",
				   name);
	if (m->nfiles == 0)
		return hfx_err_set(err, HFX_ERR_MANIFEST,
				   "%s: no [file ...] sections", name);
	for (size_t i = 0; i < m->nfiles; i++) {
		struct hfx_manifest_file *f = &m->files[i];

		if (!f->version_text)
			return hfx_err_set(err, HFX_ERR_MANIFEST,
					   "%s:%u: [file %s] lacks the required key 'version'",
					   name, f->line, f->target);
		if (ps->kind == HFX_MANIFEST_PACKAGED &&
		    (!f->has_size || !f->has_sha256))
			return hfx_err_set(err, HFX_ERR_MANIFEST,
					   "%s:%u: [file %s] lacks '%s' (a packaged manifest must carry size and sha256)",
					   name, f->line, f->target,
					   f->has_size ? "sha256" : "size");
		if (f->mode >= 0 && !f->is_new)
			return hfx_err_set(err, HFX_ERR_MANIFEST,
					   "%s:%u: [file %s] mode is only for new files (a replaced file keeps its mode)",
					   name, f->line, f->target);
	}
	for (size_t i = 0; i < m->nsupersedes; i++)
		if (strcmp(m->supersedes[i], m->id) == 0)
			return hfx_err_set(err, HFX_ERR_MANIFEST,
					   "%s: %s supersedes itself", name,
					   m->id);
	for (size_t i = 0; i < m->nrequires; i++)
		if (strcmp(m->requires[i], m->id) == 0)
			return hfx_err_set(err, HFX_ERR_MANIFEST,
					   "%s: %s requires itself", name,
					   m->id);

	/* What pack signs is the canonical text: it must obey the same line
	 * limit as what was read ("a=b" is written "a = b"). */
	{
		char *canon = hfx_manifest_format(m);
		const char *line;

		if (!canon)
			return hfx_err_set(err, HFX_ERR_NOMEM, "out of memory");
		for (line = canon; *line;) {
			size_t len = strcspn(line, "\n");

			if (len > HFX_MANIFEST_LINE_MAX) {
				hfx_err_set(err, HFX_ERR_MANIFEST,
					    "%s: the line '%.40s...' is %zu bytes once written as 'key = value' (limit %d)",
					    name, line, len, HFX_MANIFEST_LINE_MAX);
				free(canon);
				return HFX_ERR_MANIFEST;
			}
			line += len + (line[len] == '\n');
		}
		free(canon);
	}

	m->by_target = malloc(m->nfiles * sizeof(*m->by_target));
	if (!m->by_target)
		return hfx_err_set(err, HFX_ERR_NOMEM, "out of memory");
	for (size_t i = 0; i < m->nfiles; i++)
		m->by_target[i] = &m->files[i];
	qsort(m->by_target, m->nfiles, sizeof(*m->by_target), cmp_target);
	for (size_t i = 1; i < m->nfiles; i++) {
		const struct hfx_manifest_file *a = m->by_target[i - 1];
		const struct hfx_manifest_file *b = m->by_target[i];
		size_t la = strlen(a->target);

		if (strcmp(a->target, b->target) == 0)
			return hfx_err_set(err, HFX_ERR_MANIFEST,
					   "%s:%u: [file %s] given twice (first at line %u)",
					   name, b->line > a->line ? b->line : a->line,
					   a->target,
					   b->line > a->line ? a->line : b->line);
		/* In sorted order "bin" is followed by its children
		 * "bin/..." (possibly after "bin-x" and the like, which
		 * sort before '/'; check the nearest one with the prefix). */
		for (size_t j = i; j < m->nfiles; j++) {
			const char *t = m->by_target[j]->target;
			if (strncmp(t, a->target, la) != 0)
				break;
			if (t[la] == '/')
				return hfx_err_set(err, HFX_ERR_MANIFEST,
						   "%s:%u: target '%s' is inside target '%s', which is a file",
						   name, m->by_target[j]->line,
						   t, a->target);
		}
	}
	return HFX_OK;
}

enum hfx_rc hfx_manifest_parse(const char *text, size_t len, const char *name,
			       enum hfx_manifest_kind kind,
			       struct hfx_manifest **out, struct hfx_err *err)
{
	static const struct hfx_ini_handler handler = {
		.section = on_section, .key = on_key,
	};
	struct parse_state ps = { .kind = kind };
	enum hfx_rc rc;

	*out = NULL;
	if (len > HFX_MANIFEST_MAX)
		return hfx_err_set(err, HFX_ERR_MANIFEST,
				   "%s: %zu bytes, more than the %u-byte limit",
				   name, len, HFX_MANIFEST_MAX);
	ps.m = calloc(1, sizeof(*ps.m));
	if (!ps.m)
		return OOM();
	rc = hfx_ini_parse(text, len, name, HFX_ERR_MANIFEST, &handler, &ps,
			   err);
	if (rc == HFX_OK)
		rc = check_whole(&ps, name, err);
	if (rc != HFX_OK) {
		hfx_manifest_free(ps.m);
		return rc;
	}
	*out = ps.m;
	return HFX_OK;
}

static void free_list(char **list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(list[i]);
	free(list);
}

void hfx_manifest_free(struct hfx_manifest *m)
{
	if (!m)
		return;
	free(m->id);
	free(m->title);
	free(m->product);
	free(m->product_dir);
	free_list(m->services, m->nservices);
	free_list(m->supersedes, m->nsupersedes);
	free_list(m->requires, m->nrequires);
	for (size_t i = 0; i < m->nfiles; i++) {
		free(m->files[i].target);
		free(m->files[i].version_text);
		free(m->files[i].date);
	}
	free(m->files);
	free(m->by_target);
	free(m);
}

struct hfx_manifest_file *hfx_manifest_find(const struct hfx_manifest *m,
					    const char *target)
{
	size_t lo = 0, hi = m->nfiles;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(target, m->by_target[mid]->target);
		if (c == 0)
			return m->by_target[mid];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

const char *hfx_restart_name(enum hfx_restart r)
{
	switch (r) {
	case HFX_RESTART_SERVICES:
		return "services";
	case HFX_RESTART_REBOOT:
		return "reboot";
	case HFX_RESTART_NONE:
		break;
	}
	return "none";
}

uint64_t hfx_manifest_total_size(const struct hfx_manifest *m)
{
	uint64_t total = 0;

	for (size_t i = 0; i < m->nfiles; i++)
		total += m->files[i].size;
	return total;
}

/* A growable string for hfx_manifest_format(). */
struct strbuf {
	char *s;
	size_t len, cap;
	bool oom;
};

static void sb_printf(struct strbuf *sb, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void sb_printf(struct strbuf *sb, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (sb->oom)
		return;
	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(sb->s ? sb->s + sb->len : NULL,
			      sb->s ? sb->cap - sb->len : 0, fmt, ap);
		va_end(ap);
		if (n < 0) {
			sb->oom = true;
			return;
		}
		if (sb->s && sb->len + (size_t)n < sb->cap) {
			sb->len += (size_t)n;
			return;
		}
		size_t cap = (sb->cap ? sb->cap * 2 : 4096) + (size_t)n;
		char *grown = realloc(sb->s, cap);
		if (!grown) {
			sb->oom = true;
			return;
		}
		sb->s = grown;
		sb->cap = cap;
	}
}

static void sb_list(struct strbuf *sb, const char *key, char **list, size_t n)
{
	sb_printf(sb, "%s =", key);
	for (size_t i = 0; i < n; i++)
		sb_printf(sb, "%s%s", i ? ", " : " ", list[i]);
	sb_printf(sb, "\n");
}

char *hfx_manifest_format(const struct hfx_manifest *m)
{
	struct strbuf sb = { 0 };
	char hex[HFX_SHA256_HEX];

	sb_printf(&sb, "[hotfix]\nid = %s\ntitle = %s\nproduct = %s\n"
		       "product-dir = %s\nrestart = %s\n",
		  m->id, m->title, m->product, m->product_dir,
		  hfx_restart_name(m->restart));
	sb_list(&sb, "services", m->services, m->nservices);
	sb_list(&sb, "supersedes", m->supersedes, m->nsupersedes);
	sb_list(&sb, "requires", m->requires, m->nrequires);
	for (size_t i = 0; i < m->nfiles; i++) {
		const struct hfx_manifest_file *f = &m->files[i];

		sb_printf(&sb, "\n[file %s]\nversion = %s\n", f->target,
			  f->version_text);
		if (f->date)
			sb_printf(&sb, "date = %s\n", f->date);
		if (f->is_new)
			sb_printf(&sb, "new = yes\n");
		if (f->mode >= 0)
			sb_printf(&sb, "mode = %04o\n", (unsigned)f->mode);
		if (f->has_size)
			sb_printf(&sb, "size = %llu\n",
				  (unsigned long long)f->size);
		if (f->has_sha256) {
			hfx_hex(f->sha256, HFX_SHA256_LEN, hex);
			sb_printf(&sb, "sha256 = %s\n", hex);
		}
	}
	if (sb.oom) {
		free(sb.s);
		return NULL;
	}
	return sb.s;
}
