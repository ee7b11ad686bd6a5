/*
 * inifile.h -- the one way hfx reads INI text (manifests and host config).
 *
 * A thin layer over libinih that fixes what the Debian build of the
 * library cannot do for a security-sensitive reader:
 *   - line numbers for every callback (the build lacks INI_HANDLER_LINENO);
 *   - no silent splitting of lines longer than the library's 200-byte
 *     buffer: such a line is an error;
 *   - section names taken from the raw line, because the library truncates
 *     them to 49 bytes and never reports a section without keys;
 *   - control bytes (other than tab, CR, LF) refused up front;
 *   - the first error stops the parse; its message is prefixed with
 *     "NAME:LINE: ".
 */
#ifndef HFX_INIFILE_H
#define HFX_INIFILE_H

#include <stddef.h>

#include "error.h"

#define HFX_INI_LINE_MAX 198	/* libinih INI_MAX_LINE (200) - newline - NUL */

struct hfx_ini_handler {
	/* A section header "[name]" on `line`. */
	enum hfx_rc (*section)(void *user, const char *name, unsigned line,
			       struct hfx_err *err);
	/* "key = value" on `line`, inside the last section (NULL name if the
	 * key comes before any section header). */
	enum hfx_rc (*key)(void *user, const char *section, const char *key,
			   const char *value, unsigned line,
			   struct hfx_err *err);
};

/* Parse `text` (`len` bytes, need not be NUL-terminated).  `bad` is the
 * code given to syntax errors (HFX_ERR_MANIFEST or HFX_ERR_CONFIG). */
enum hfx_rc hfx_ini_parse(const char *text, size_t len, const char *name,
			  enum hfx_rc bad, const struct hfx_ini_handler *h,
			  void *user, struct hfx_err *err);

#endif
