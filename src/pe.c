/*
 * pe.c -- find the file version of a PE image the way a loader would.
 *
 * Design.  One walk, pe_walk(), reads the image through a `struct
 * pe_reader`: the total size and a read-at-offset callback.  Two readers
 * exist, pread() on a descriptor (hfx_pe_version_read) and a memory
 * buffer (hfx_pe_version_parse, used by the fuzzer and the tests), so the
 * code that the fuzzer exercises is exactly the code that reads real
 * files.  Nothing is allocated: each structure is read into a small stack
 * buffer just before it is decoded, and decoded byte by byte as little
 * endian, so host byte order and alignment never matter.
 *
 * The walk, in order: DOS header (MZ, e_lfanew) -> "PE\0\0" and COFF
 * header -> optional header (PE32 0x10b or PE32+ 0x20b) -> data directory
 * 2, the resource directory -> section table, to turn RVAs into file
 * offsets -> resource directory level 1 (type 16, RT_VERSION), level 2
 * (first name), level 3 (first language) -> IMAGE_RESOURCE_DATA_ENTRY ->
 * VS_VERSIONINFO -> VS_FIXEDFILEINFO.
 *
 * Invariants:
 *  - No byte is read unless [offset, offset + length) lies inside the file
 *    (pe_fetch checks, in uint64_t, before adding), and no resource
 *    directory structure is read unless it lies inside the resource
 *    directory's own extent (res_fetch), so a hostile offset can only ever
 *    produce "not a PE".
 *  - An RVA is mapped to a file offset only when the whole range it names
 *    lies inside one section's raw data, i.e. inside both SizeOfRawData and
 *    (when non-zero) VirtualSize.  Bytes a loader would zero-fill are never
 *    taken for resource data.
 *  - The resource tree is walked to a fixed depth of three, so a directory
 *    that names itself (or an ancestor) cannot make the walk loop; at each
 *    level the entry's high "subdirectory" bit must say what that level
 *    needs (a directory at levels 1 and 2, a data entry at level 3).
 *  - The only loops run over the section table and over the entries of the
 *    type directory; both are bounded by counts already checked against
 *    the file (resp. resource directory) size.
 *
 * Results: a structure that does not fit or contradicts itself is
 * HFX_PE_NOT_PE; a well-formed image without RT_VERSION, or whose
 * VS_VERSIONINFO has no usable fixed info (wValueLength too small, wrong
 * key, wrong 0xFEEF04BD signature), is HFX_PE_NO_VERSION.  In both cases
 * `why` gets a short reason.  Only a failing read of the descriptor is an
 * error.
 *
 * Not checked, deliberately: sections that this walk does not touch (a
 * truncated tail beyond the version resource still yields the version),
 * checksums, and anything about code.  This is a version reader, not an
 * image validator.
 */
#include "pe.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

/* Sizes and offsets from the PE/COFF specification. */
#define DOS_HEADER_SIZE		64
#define DOS_E_LFANEW		0x3c
#define COFF_HEADER_SIZE	20	/* after the 4-byte "PE\0\0" */
#define OPT_MAGIC_PE32		0x10b
#define OPT_MAGIC_PE32PLUS	0x20b
#define OPT_NUMRVA_PE32		92	/* NumberOfRvaAndSizes */
#define OPT_NUMRVA_PE32PLUS	108
#define DATA_DIR_RESOURCE	2
#define SECTION_HEADER_SIZE	40
#define RES_DIR_SIZE		16	/* IMAGE_RESOURCE_DIRECTORY */
#define RES_ENTRY_SIZE		8	/* IMAGE_RESOURCE_DIRECTORY_ENTRY */
#define RES_DATA_ENTRY_SIZE	16	/* IMAGE_RESOURCE_DATA_ENTRY */
#define RES_SUBDIR		0x80000000u
#define RT_VERSION		16
#define VS_HEADER_SIZE		6	/* wLength, wValueLength, wType */
#define VS_FIXED_SIZE		52	/* VS_FIXEDFILEINFO, 13 DWORDs */
#define VS_FIXED_SIGNATURE	0xFEEF04BDu

/* "VS_VERSION_INFO" in UTF-16LE with its terminating NUL. */
static const char vs_key[] = "VS_VERSION_INFO";
#define VS_KEY_BYTES		(2 * sizeof(vs_key))	/* 32 */
/* The fixed info starts at the first 32-bit boundary after the key. */
#define VS_FIXED_OFFSET		((VS_HEADER_SIZE + VS_KEY_BYTES + 3) & ~(size_t)3)

/* What a read callback reports. */
enum pe_read_rc {
	PE_READ_OK,
	PE_READ_SHORT,		/* the file ended early (it shrank under us) */
	PE_READ_IO,		/* the read failed; errno is set */
};

/*
 * The abstract reader: `size` bytes, read with read_at().  The walk
 * checks every range against `size` before calling read_at(), so a reader
 * only has to report I/O trouble.
 */
struct pe_reader {
	uint64_t size;
	enum pe_read_rc (*read_at)(const struct pe_reader *rd, uint64_t off,
				   void *buf, size_t len);
	int fd;				/* for the descriptor reader */
	const unsigned char *mem;	/* for the buffer reader */
};

/* Outcome of each step of the walk: PE_WALK_GO means "go on", anything
 * else is the final answer.  PE_WALK_IO only ever comes from the reader. */
enum pe_walk_rc {
	PE_WALK_GO,
	PE_WALK_VERSION,
	PE_WALK_NO_VERSION,
	PE_WALK_NOT_PE,
	PE_WALK_IO,
};

/* State of one walk: the reader, where to put the reason, and what the
 * headers said about the sections and the resource directory. */
struct pe_walk {
	const struct pe_reader *rd;
	char *why;
	size_t why_len;
	uint64_t sec_table;	/* file offset of the section table */
	unsigned nsections;
	uint64_t res_off;	/* file offset of the resource directory */
	uint64_t res_size;	/* its extent, inside one section's raw data */
};

static uint16_t le16(const unsigned char *p)
{
	return (uint16_t)(p[0] | (unsigned)p[1] << 8);
}

static uint32_t le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

/* Record why the walk ended (if the caller wants to know) and return rc. */
static enum pe_walk_rc pe_stop(struct pe_walk *w, enum pe_walk_rc rc,
			       const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static enum pe_walk_rc pe_stop(struct pe_walk *w, enum pe_walk_rc rc,
			       const char *fmt, ...)
{
	va_list ap;

	if (w->why && w->why_len > 0) {
		va_start(ap, fmt);
		vsnprintf(w->why, w->why_len, fmt, ap);
		va_end(ap);
	}
	return rc;
}

/* True when [off, off + len) lies inside [0, limit); no overflow. */
static int range_inside(uint64_t off, uint64_t len, uint64_t limit)
{
	return off <= limit && len <= limit - off;
}

/* Read `len` bytes of the file at `off`, or say that `what` lies beyond
 * the end of the file. */
static enum pe_walk_rc pe_fetch(struct pe_walk *w, uint64_t off, void *buf,
				size_t len, const char *what)
{
	if (!range_inside(off, len, w->rd->size))
		return pe_stop(w, PE_WALK_NOT_PE, "%s beyond end of file", what);
	switch (w->rd->read_at(w->rd, off, buf, len)) {
	case PE_READ_OK:
		return PE_WALK_GO;
	case PE_READ_SHORT:
		return pe_stop(w, PE_WALK_NOT_PE,
			       "file shorter than its size while reading %s",
			       what);
	case PE_READ_IO:
		break;
	}
	return PE_WALK_IO;
}

/* Read `len` bytes at offset `off` of the resource directory. */
static enum pe_walk_rc res_fetch(struct pe_walk *w, uint64_t off, void *buf,
				 size_t len, const char *what)
{
	if (!range_inside(off, len, w->res_size))
		return pe_stop(w, PE_WALK_NOT_PE,
			       "%s beyond end of resource directory", what);
	return pe_fetch(w, w->res_off + off, buf, len, what);
}

/*
 * Map the RVA range [rva, rva + len) to a file offset.  The range must lie
 * inside the raw data of one section, limited by VirtualSize when that is
 * set (0 is the old linkers' "same as SizeOfRawData").
 */
static enum pe_walk_rc pe_map_rva(struct pe_walk *w, uint32_t rva,
				  uint32_t len, uint64_t *off, const char *what)
{
	unsigned char sh[SECTION_HEADER_SIZE];

	for (unsigned i = 0; i < w->nsections; i++) {
		enum pe_walk_rc rc = pe_fetch(w,
			w->sec_table + (uint64_t)i * SECTION_HEADER_SIZE,
			sh, sizeof(sh), "section header");
		if (rc != PE_WALK_GO)
			return rc;

		uint32_t vsize = le32(sh + 8);
		uint32_t va = le32(sh + 12);
		uint32_t raw_size = le32(sh + 16);
		uint32_t raw_ptr = le32(sh + 20);
		uint32_t extent = raw_size;

		if (vsize != 0 && vsize < extent)
			extent = vsize;
		if (rva < va || rva - va >= extent)
			continue;
		if (!range_inside(rva - va, len, extent))
			return pe_stop(w, PE_WALK_NOT_PE,
				       "%s runs past the end of its section",
				       what);
		*off = (uint64_t)raw_ptr + (rva - va);
		if (!range_inside(*off, len, w->rd->size))
			return pe_stop(w, PE_WALK_NOT_PE,
				       "%s beyond end of file", what);
		return PE_WALK_GO;
	}
	return pe_stop(w, PE_WALK_NOT_PE, "%s (RVA 0x%x) outside every section",
		       what, (unsigned)rva);
}

/*
 * Headers: fill w->sec_table, w->nsections, w->res_off, w->res_size.
 * Returns PE_WALK_GO, or the final answer (no resources is NO_VERSION).
 */
static enum pe_walk_rc pe_headers(struct pe_walk *w)
{
	unsigned char dos[DOS_HEADER_SIZE];
	unsigned char nt[4 + COFF_HEADER_SIZE];
	unsigned char opt[OPT_NUMRVA_PE32PLUS + 4 + 8 * (DATA_DIR_RESOURCE + 1)];
	enum pe_walk_rc rc;

	if (w->rd->size < DOS_HEADER_SIZE)
		return pe_stop(w, PE_WALK_NOT_PE, "too short for a DOS header");
	if ((rc = pe_fetch(w, 0, dos, sizeof(dos), "DOS header")) != PE_WALK_GO)
		return rc;
	if (dos[0] != 'M' || dos[1] != 'Z')
		return pe_stop(w, PE_WALK_NOT_PE, "no MZ signature");

	uint64_t nt_off = le32(dos + DOS_E_LFANEW);
	if (!range_inside(nt_off, sizeof(nt), w->rd->size))
		return pe_stop(w, PE_WALK_NOT_PE, "e_lfanew beyond end of file");
	if ((rc = pe_fetch(w, nt_off, nt, sizeof(nt), "PE header")) != PE_WALK_GO)
		return rc;
	if (memcmp(nt, "PE\0\0", 4) != 0)
		return pe_stop(w, PE_WALK_NOT_PE, "no PE signature at e_lfanew");

	unsigned nsections = le16(nt + 4 + 2);
	unsigned opt_size = le16(nt + 4 + 16);
	uint64_t opt_off = nt_off + sizeof(nt);

	/* The optional header: its magic says where the data directory is. */
	if (opt_size < 2)
		return pe_stop(w, PE_WALK_NOT_PE, "no optional header");
	if ((rc = pe_fetch(w, opt_off, opt, 2, "optional header")) != PE_WALK_GO)
		return rc;

	unsigned numrva_at;
	switch (le16(opt)) {
	case OPT_MAGIC_PE32:
		numrva_at = OPT_NUMRVA_PE32;
		break;
	case OPT_MAGIC_PE32PLUS:
		numrva_at = OPT_NUMRVA_PE32PLUS;
		break;
	default:
		return pe_stop(w, PE_WALK_NOT_PE,
			       "unknown optional header magic 0x%x",
			       (unsigned)le16(opt));
	}
	if (opt_size < numrva_at + 4)
		return pe_stop(w, PE_WALK_NOT_PE, "optional header too small");
	if ((rc = pe_fetch(w, opt_off, opt, numrva_at + 4,
			   "optional header")) != PE_WALK_GO)
		return rc;

	/* The section table follows the optional header whatever its size;
	 * check all of it now so pe_map_rva's reads cannot fail for size. */
	w->sec_table = opt_off + opt_size;
	w->nsections = nsections;
	if (!range_inside(w->sec_table, (uint64_t)nsections * SECTION_HEADER_SIZE,
			  w->rd->size))
		return pe_stop(w, PE_WALK_NOT_PE,
			       "section table (%u sections) beyond end of file",
			       nsections);

	uint32_t numrva = le32(opt + numrva_at);
	unsigned dir_at = numrva_at + 4 + 8 * DATA_DIR_RESOURCE;
	if (numrva <= DATA_DIR_RESOURCE)
		return pe_stop(w, PE_WALK_NO_VERSION, "no resource directory");
	if (opt_size < dir_at + 8)
		return pe_stop(w, PE_WALK_NOT_PE,
			       "data directory beyond optional header");
	if ((rc = pe_fetch(w, opt_off + dir_at, opt + dir_at, 8,
			   "data directory")) != PE_WALK_GO)
		return rc;

	uint32_t res_rva = le32(opt + dir_at);
	uint32_t res_size = le32(opt + dir_at + 4);
	if (res_rva == 0 || res_size == 0)
		return pe_stop(w, PE_WALK_NO_VERSION, "no resource directory");
	if ((rc = pe_map_rva(w, res_rva, res_size, &w->res_off,
			     "resource directory")) != PE_WALK_GO)
		return rc;
	w->res_size = res_size;
	return PE_WALK_GO;
}

/*
 * Read the directory at `dir_off` (relative to the resource directory) and
 * check that its entries fit.  Sets *first (offset of its first entry),
 * *named and *ids.
 */
static enum pe_walk_rc res_dir(struct pe_walk *w, uint64_t dir_off,
			       const char *what, uint64_t *first,
			       unsigned *named, unsigned *ids)
{
	unsigned char d[RES_DIR_SIZE];
	enum pe_walk_rc rc = res_fetch(w, dir_off, d, sizeof(d), what);

	if (rc != PE_WALK_GO)
		return rc;
	*named = le16(d + 12);
	*ids = le16(d + 14);
	*first = dir_off + RES_DIR_SIZE;
	if (!range_inside(*first, (uint64_t)(*named + *ids) * RES_ENTRY_SIZE,
			  w->res_size))
		return pe_stop(w, PE_WALK_NOT_PE,
			       "%s has %u entries, more than the resource directory holds",
			       what, *named + *ids);
	return PE_WALK_GO;
}

/* Follow the first entry of the directory at `dir_off`, which must be a
 * subdirectory (want_subdir) or a data entry; *target is where it points. */
static enum pe_walk_rc res_first_entry(struct pe_walk *w, uint64_t dir_off,
				       int want_subdir, const char *what,
				       uint64_t *target)
{
	unsigned char e[RES_ENTRY_SIZE];
	uint64_t first;
	unsigned named, ids;
	enum pe_walk_rc rc = res_dir(w, dir_off, what, &first, &named, &ids);

	if (rc != PE_WALK_GO)
		return rc;
	if (named + ids == 0)
		return pe_stop(w, PE_WALK_NO_VERSION, "%s is empty", what);
	if ((rc = res_fetch(w, first, e, sizeof(e), what)) != PE_WALK_GO)
		return rc;

	uint32_t to = le32(e + 4);
	if (want_subdir && !(to & RES_SUBDIR))
		return pe_stop(w, PE_WALK_NOT_PE,
			       "%s: data entry where a directory belongs", what);
	if (!want_subdir && (to & RES_SUBDIR))
		return pe_stop(w, PE_WALK_NOT_PE,
			       "%s: directory where a data entry belongs", what);
	*target = to & ~RES_SUBDIR;
	return PE_WALK_GO;
}

/* Resource levels 1-3 and the data entry: find the bytes of the first
 * RT_VERSION resource as a file offset and length. */
static enum pe_walk_rc pe_find_version_resource(struct pe_walk *w,
						uint64_t *off, uint32_t *len)
{
	unsigned char e[RES_DATA_ENTRY_SIZE];
	uint64_t first, names_dir = 0, langs_dir, data_entry;
	unsigned named, ids;
	enum pe_walk_rc rc;
	int found = 0;

	/* Level 1, types.  ID entries follow the named ones. */
	rc = res_dir(w, 0, "resource type directory", &first, &named, &ids);
	if (rc != PE_WALK_GO)
		return rc;
	for (unsigned i = named; i < named + ids && !found; i++) {
		rc = res_fetch(w, first + (uint64_t)i * RES_ENTRY_SIZE, e,
			       RES_ENTRY_SIZE, "resource type entry");
		if (rc != PE_WALK_GO)
			return rc;
		if (le32(e) != RT_VERSION)
			continue;
		if (!(le32(e + 4) & RES_SUBDIR))
			return pe_stop(w, PE_WALK_NOT_PE,
				       "RT_VERSION entry is not a directory");
		names_dir = le32(e + 4) & ~RES_SUBDIR;
		found = 1;
	}
	if (!found)
		return pe_stop(w, PE_WALK_NO_VERSION, "no RT_VERSION resource");

	/* Level 2, names; level 3, languages. */
	rc = res_first_entry(w, names_dir, 1, "RT_VERSION name directory",
			     &langs_dir);
	if (rc != PE_WALK_GO)
		return rc;
	rc = res_first_entry(w, langs_dir, 0, "RT_VERSION language directory",
			     &data_entry);
	if (rc != PE_WALK_GO)
		return rc;

	/* The data entry: OffsetToData is an RVA, not a directory offset. */
	rc = res_fetch(w, data_entry, e, RES_DATA_ENTRY_SIZE,
		       "RT_VERSION data entry");
	if (rc != PE_WALK_GO)
		return rc;
	*len = le32(e + 4);
	return pe_map_rva(w, le32(e), *len, off, "RT_VERSION data");
}

/* The whole walk.  On PE_WALK_VERSION, *version is set. */
static enum pe_walk_rc pe_walk(const struct pe_reader *rd,
			       struct hfx_version *version,
			       char *why, size_t why_len)
{
	struct pe_walk w = { .rd = rd, .why = why, .why_len = why_len };
	unsigned char vs[VS_FIXED_OFFSET + VS_FIXED_SIZE];
	uint64_t off = 0;
	uint32_t len = 0;	/* set by pe_find_version_resource */
	enum pe_walk_rc rc;

	if (why && why_len > 0)
		why[0] = '\0';
	if ((rc = pe_headers(&w)) != PE_WALK_GO)
		return rc;
	if ((rc = pe_find_version_resource(&w, &off, &len)) != PE_WALK_GO)
		return rc;

	/* VS_VERSIONINFO: the block must fit its resource, and the fixed
	 * info must fit the block. */
	if (len < VS_HEADER_SIZE)
		return pe_stop(&w, PE_WALK_NOT_PE, "version resource too small");
	if ((rc = pe_fetch(&w, off, vs, VS_HEADER_SIZE,
			   "VS_VERSIONINFO")) != PE_WALK_GO)
		return rc;

	unsigned w_length = le16(vs);
	unsigned w_value_length = le16(vs + 2);
	if (w_length > len)
		return pe_stop(&w, PE_WALK_NOT_PE,
			       "VS_VERSIONINFO wLength %u past the end of its resource (%u bytes)",
			       w_length, (unsigned)len);
	if (w_value_length < VS_FIXED_SIZE)
		return pe_stop(&w, PE_WALK_NO_VERSION,
			       "VS_VERSIONINFO has no fixed file info (wValueLength %u)",
			       w_value_length);
	if (w_length < VS_FIXED_OFFSET + VS_FIXED_SIZE)
		return pe_stop(&w, PE_WALK_NOT_PE,
			       "VS_VERSIONINFO wLength %u too small for its fixed file info",
			       w_length);
	if ((rc = pe_fetch(&w, off, vs, sizeof(vs), "VS_VERSIONINFO")) != PE_WALK_GO)
		return rc;

	for (size_t i = 0; i < sizeof(vs_key); i++)
		if (le16(vs + VS_HEADER_SIZE + 2 * i) != (unsigned char)vs_key[i])
			return pe_stop(&w, PE_WALK_NO_VERSION,
				       "version resource key is not VS_VERSION_INFO");

	const unsigned char *fixed = vs + VS_FIXED_OFFSET;
	if (le32(fixed) != VS_FIXED_SIGNATURE)
		return pe_stop(&w, PE_WALK_NO_VERSION,
			       "bad VS_FIXEDFILEINFO signature 0x%08x",
			       (unsigned)le32(fixed));
	if (version)
		*version = hfx_version_from_ms_ls(le32(fixed + 8),
						  le32(fixed + 12));
	return PE_WALK_VERSION;
}

/* --- readers ------------------------------------------------------------ */

static enum pe_read_rc mem_read_at(const struct pe_reader *rd, uint64_t off,
				   void *buf, size_t len)
{
	memcpy(buf, rd->mem + off, len);	/* range checked by the walk */
	return PE_READ_OK;
}

static enum pe_read_rc fd_read_at(const struct pe_reader *rd, uint64_t off,
				  void *buf, size_t len)
{
	unsigned char *p = buf;

	while (len > 0) {
		ssize_t n = pread(rd->fd, p, len, (off_t)off);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return PE_READ_IO;
		}
		if (n == 0)
			return PE_READ_SHORT;
		p += n;
		off += (uint64_t)n;
		len -= (size_t)n;
	}
	return PE_READ_OK;
}

static enum hfx_pe_result walk_result(enum pe_walk_rc rc)
{
	switch (rc) {
	case PE_WALK_VERSION:
		return HFX_PE_VERSION;
	case PE_WALK_NO_VERSION:
		return HFX_PE_NO_VERSION;
	case PE_WALK_GO:	/* not a final answer; cannot happen */
	case PE_WALK_NOT_PE:
	case PE_WALK_IO:
		break;
	}
	return HFX_PE_NOT_PE;
}

enum hfx_rc hfx_pe_version_read(int fd, const char *name,
				enum hfx_pe_result *result,
				struct hfx_version *version,
				char *why, size_t why_len,
				struct hfx_err *err)
{
	struct pe_reader rd = { .read_at = fd_read_at, .fd = fd };
	struct stat st;
	enum pe_walk_rc rc;

	*result = HFX_PE_NOT_PE;
	if (fstat(fd, &st) != 0)
		return hfx_err_sys(err, HFX_ERR_IO, "cannot stat %s", name);
	/* A directory, FIFO or device has no image to read (and a FIFO
	 * would block); it is simply not a PE file. */
	if (!S_ISREG(st.st_mode)) {
		if (why && why_len > 0)
			snprintf(why, why_len, "not a regular file");
		return HFX_OK;
	}
	rd.size = (uint64_t)st.st_size;
	rc = pe_walk(&rd, version, why, why_len);
	if (rc == PE_WALK_IO)
		return hfx_err_sys(err, HFX_ERR_IO, "cannot read %s", name);
	*result = walk_result(rc);
	return HFX_OK;
}

enum hfx_pe_result hfx_pe_version_parse(const unsigned char *buf, size_t len,
					struct hfx_version *version,
					char *why, size_t why_len)
{
	struct pe_reader rd = { .size = len, .read_at = mem_read_at, .mem = buf };

	return walk_result(pe_walk(&rd, version, why, why_len));
}
