/*
 * inifile.c -- libinih fed through our own line reader.
 *
 * ini_parse_stream() calls the reader once per line and the handler right
 * after for a key line, so the reader's line counter is the handler's line
 * number.  The reader also recognises section headers itself (see the
 * header comment for why) and hands them to the caller before libinih has
 * seen the line.  Errors are recorded once in a local record and only
 * copied, prefixed, into the caller's record at the end.
 */
#include "inifile.h"

#include <ini.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

struct ini_state {
	const char *name;
	enum hfx_rc bad;
	const struct hfx_ini_handler *h;
	void *user;
	const char *pos, *end;
	unsigned lineno;
	char *section;		/* current section, full length */
	struct hfx_err local;
	bool failed;
};

static void fail_code(struct ini_state *st, enum hfx_rc code, const char *msg)
{
	if (st->failed)
		return;
	st->failed = true;
	hfx_err_set(&st->local, code, "%s", msg);
}

static int section_line(struct ini_state *st, const char *line)
{
	const char *p = line, *close;
	char *name;
	enum hfx_rc rc;

	/* libinih skips a UTF-8 byte order mark on the first line; so do we */
	if (st->lineno == 1 && strncmp(p, "\xef\xbb\xbf", 3) == 0)
		p += 3;
	while (*p == ' ' || *p == '\t' || *p == '\r')
		p++;
	if (*p != '[')
		return 1;
	close = strchr(p, ']');
	if (!close) {
		fail_code(st, st->bad, "section header without ']'");
		return 0;
	}
	for (const char *q = p + 1; q < close; q++)
		if (*q == ';' && (q[-1] == ' ' || q[-1] == '\t')) {
			fail_code(st, st->bad, "comment inside a section header");
			return 0;
		}
	for (const char *q = close + 1; *q && *q != '\n'; q++) {
		if (*q == ';' || *q == '#')
			break;
		if (*q != ' ' && *q != '\t' && *q != '\r') {
			fail_code(st, st->bad, "text after ']' in a section header");
			return 0;
		}
	}
	name = strndup(p + 1, (size_t)(close - p - 1));
	if (!name) {
		fail_code(st, HFX_ERR_NOMEM, "out of memory");
		return 0;
	}
	free(st->section);
	st->section = name;
	if (st->h->section) {
		rc = st->h->section(st->user, name, st->lineno, &st->local);
		if (rc != HFX_OK) {
			st->failed = true;
			return 0;
		}
	}
	return 1;
}

static char *read_line(char *str, int num, void *stream)
{
	struct ini_state *st = stream;
	const char *nl;
	size_t len, text_len;

	if (st->failed || st->pos >= st->end)
		return NULL;
	nl = memchr(st->pos, '\n', (size_t)(st->end - st->pos));
	len = nl ? (size_t)(nl - st->pos) + 1 : (size_t)(st->end - st->pos);
	text_len = len - (nl ? 1 : 0);
	if (text_len && st->pos[text_len - 1] == '\r')
		text_len--;
	st->lineno++;
	if (len > (size_t)num - 1 || text_len > HFX_INI_LINE_MAX) {
		fail_code(st, st->bad,
			  "line longer than 198 bytes (the limit of libinih)");
		return NULL;
	}
	memcpy(str, st->pos, len);
	str[len] = '\0';
	st->pos += len;
	if (!section_line(st, str))
		return NULL;
	return str;
}

static int on_value(void *user, const char *section, const char *key,
		    const char *value)
{
	struct ini_state *st = user;

	(void)section;	/* possibly truncated; st->section is exact */
	if (st->failed)
		return 0;
	if (st->h->key(st->user, st->section, key, value, st->lineno,
		       &st->local) != HFX_OK) {
		st->failed = true;
		return 0;
	}
	return 1;
}

enum hfx_rc hfx_ini_parse(const char *text, size_t len, const char *name,
			  enum hfx_rc bad, const struct hfx_ini_handler *h,
			  void *user, struct hfx_err *err)
{
	struct ini_state st = {
		.name = name, .bad = bad, .h = h, .user = user,
		.pos = text, .end = text + len,
	};
	unsigned line = 1;
	int rc;

	hfx_err_clear(&st.local);
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)text[i];

		if (c == '\n')
			line++;
		else if ((c < 0x20 && c != '\t' && c != '\r') || c == 0x7f)
			return hfx_err_set(err, bad,
					   "%s:%u: control byte 0x%02x in the text",
					   name, line, c);
	}
	rc = ini_parse_stream(read_line, &st, on_value, &st);
	if (!st.failed && rc != 0) {
		st.lineno = rc > 0 ? (unsigned)rc : st.lineno;
		fail_code(&st, bad,
			  "syntax error (expected [section] or key = value)");
	}
	free(st.section);
	if (st.failed)
		return hfx_err_set(err, st.local.code, "%s:%u: %s", name,
				   st.lineno, st.local.msg);
	return HFX_OK;
}
