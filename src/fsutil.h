/*
 * fsutil.h -- safe file-system primitives shared by the engine.
 *
 * Every path the engine touches under the root is opened relative to a
 * directory descriptor, never as a string from "/": the root is opened
 * once, the product directory is resolved inside it with openat2()
 * RESOLVE_IN_ROOT (absolute symlinks in an offline image point into the
 * image, not into the host), and targets are resolved beneath the product
 * directory with RESOLVE_BENEATH, so no symlink -- planted before or during
 * a transaction -- can lead a write outside the product.  Final components
 * are always used with O_NOFOLLOW / AT_SYMLINK_NOFOLLOW.
 *
 * Paths stored in the database are "root-relative": no leading slash,
 * components separated by '/', never "." or "..".
 */
#ifndef HFX_FSUTIL_H
#define HFX_FSUTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "error.h"

#define HFX_SHA256_LEN 32
#define HFX_SHA256_HEX 65

/* How a relative path is resolved against its starting directory. */
enum hfx_resolve {
	HFX_RESOLVE_IN_ROOT,	/* symlinks allowed, ".." and "/" stay in root */
	HFX_RESOLVE_BENEATH,	/* symlinks allowed only if they stay beneath */
	HFX_RESOLVE_NO_SYMLINKS,/* no symlink anywhere in the path */
};

/* Open directory `rel` (relative; "" or "." means dirfd itself) under
 * dirfd.  `what` names it in errors.  Returns the fd or -1 with err set
 * (HFX_ERR_NOT_FOUND when it does not exist, HFX_ERR_IO otherwise). */
int hfx_open_dir(int dirfd, const char *rel, enum hfx_resolve how,
		 const char *what, struct hfx_err *err);

/* The physical path of an open directory relative to the root directory
 * `rootfd` ("" for the root itself), into a malloc'd string; NULL with err
 * set if the directory is not inside the root. */
char *hfx_dir_root_relative(int rootfd, int dirfd, struct hfx_err *err);

/* Create `rel` and its missing parents under dirfd (no symlinks followed),
 * mode 0755; returns an fd on the final directory or -1. */
int hfx_mkdirs(int dirfd, const char *rel, mode_t mode, const char *what,
	       struct hfx_err *err);

/* Split "a/b/c" into parent "a/b" and base "c" (parent "" if none).  The
 * caller frees *parent. */
enum hfx_rc hfx_path_split(const char *path, char **parent, const char **base,
			   struct hfx_err *err);

/* Join two relative paths with '/', either may be empty.  malloc'd. */
char *hfx_path_join(const char *a, const char *b);

/* True when `path` is a clean relative path: non-empty, no leading '/',
 * no empty, "." or ".." component, no backslash, no control byte, no
 * component longer than NAME_MAX and total under PATH_MAX. */
bool hfx_path_is_clean_relative(const char *path, const char **why);

/* True when `path` is '/' followed by a clean relative path (the form of
 * product-dir, [product] dir and pidfile); *why says what is wrong. */
bool hfx_path_is_clean_absolute(const char *path, const char **why);

/* write()/pwrite() until done, retrying EINTR. */
enum hfx_rc hfx_write_all(int fd, const void *buf, size_t len,
			  const char *what, struct hfx_err *err);

/* Read a whole regular file (opened O_NOFOLLOW relative to dirfd) into a
 * malloc'd NUL-terminated buffer, refusing files over max_len. */
enum hfx_rc hfx_read_file_at(int dirfd, const char *name, size_t max_len,
			     char **out, size_t *out_len, const char *what,
			     struct hfx_err *err);

/* fsync a directory fd (the durable step after renames in it). */
enum hfx_rc hfx_fsync_dir(int dirfd, const char *what, struct hfx_err *err);

/* SHA-256 of an open file from offset 0, and its lowercase hex form. */
enum hfx_rc hfx_sha256_fd(int fd, unsigned char out[HFX_SHA256_LEN],
			  const char *what, struct hfx_err *err);
void hfx_hex(const unsigned char *bytes, size_t len, char *out);

/* Monotonic milliseconds, for timeouts and the downtime window. */
int64_t hfx_now_ms(void);

/* Strip leading '/' and trailing '/' from a configured absolute path such
 * as HFX_SYSCONFDIR, giving its root-relative form. */
const char *hfx_root_relative(const char *abs_path);

#endif
