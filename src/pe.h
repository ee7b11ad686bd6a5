/*
 * pe.h -- read the file version of a Windows PE image (EXE/DLL).
 *
 * The version is the FileVersion of the VS_FIXEDFILEINFO inside the
 * RT_VERSION resource.  It is found by walking the structures a loader
 * walks -- DOS header, PE header, optional header (PE32 or PE32+), data
 * directory entry 2 (resources), section table, the three levels of the
 * resource directory (type 16, first name, first language) and the
 * VS_VERSIONINFO block -- never by scanning for the 0xFEEF04BD signature,
 * which any data section could contain.  Every offset read from the file is
 * checked against the file size before use; the file is read with pread()
 * on the descriptor given, so a caller that opened it safely (O_NOFOLLOW,
 * relative to a directory descriptor) keeps that guarantee.
 */
#ifndef HFX_PE_H
#define HFX_PE_H

#include "error.h"
#include "version.h"

enum hfx_pe_result {
	HFX_PE_VERSION,		/* a PE image with a file version */
	HFX_PE_NO_VERSION,	/* a well-formed PE image without one ("none") */
	HFX_PE_NOT_PE,		/* not a PE image, or a malformed one ("not-pe") */
};

/*
 * Reads the file version of the open file `fd` (any file type; size taken
 * from fstat).  `name` is only used in messages.  Returns HFX_OK and sets
 * *result (and *version when HFX_PE_VERSION); returns HFX_ERR_IO only when
 * reading the file fails.  A malformed image is not an error: it is
 * HFX_PE_NOT_PE, with the reason in `why` if non-NULL (at most why_len).
 */
enum hfx_rc hfx_pe_version_read(int fd, const char *name,
				enum hfx_pe_result *result,
				struct hfx_version *version,
				char *why, size_t why_len,
				struct hfx_err *err);

/* Same, from a buffer already in memory (used by the fuzzer). */
enum hfx_pe_result hfx_pe_version_parse(const unsigned char *buf, size_t len,
					struct hfx_version *version,
					char *why, size_t why_len);

#endif
