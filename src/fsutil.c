/*
 * fsutil.c -- directory-descriptor based file-system helpers.
 *
 * openat2() is the kernel's own answer to "open this path but never leave
 * that directory"; it has been in Linux since 5.6 and glibc has no wrapper,
 * hence the raw syscall.  There is deliberately no fallback that resolves
 * paths by hand: a kernel without openat2() gets a clear error, not a
 * weaker guarantee.
 */
#include "fsutil.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

static int openat2_fd(int dirfd, const char *rel, int flags, uint64_t resolve)
{
	struct open_how how = {
		.flags = (uint64_t)flags,
		.mode = 0,
		.resolve = resolve | RESOLVE_NO_MAGICLINKS,
	};
	long fd;

	do {
		fd = syscall(SYS_openat2, dirfd, rel, &how, sizeof(how));
	} while (fd < 0 && (errno == EINTR || errno == EAGAIN));
	return (int)fd;
}

static uint64_t resolve_flags(enum hfx_resolve how)
{
	switch (how) {
	case HFX_RESOLVE_IN_ROOT:
		return RESOLVE_IN_ROOT;
	case HFX_RESOLVE_BENEATH:
		return RESOLVE_BENEATH;
	case HFX_RESOLVE_NO_SYMLINKS:
		return RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS;
	}
	return RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS;
}

int hfx_open_dir(int dirfd, const char *rel, enum hfx_resolve how,
		 const char *what, struct hfx_err *err)
{
	int fd;

	if (!rel || !*rel)
		rel = ".";
	fd = openat2_fd(dirfd, rel, O_RDONLY | O_DIRECTORY | O_CLOEXEC,
			resolve_flags(how));
	if (fd >= 0)
		return fd;
	switch (errno) {
	case ENOENT:
		hfx_err_sys(err, HFX_ERR_NOT_FOUND, "%s", what);
		break;
	case EXDEV:
		hfx_err_set(err, HFX_ERR_NOT_APPLICABLE,
			    "%s: path leaves its directory through a symlink or '..'",
			    what);
		break;
	case ELOOP:
		hfx_err_set(err, HFX_ERR_NOT_APPLICABLE,
			    "%s: path goes through a symlink, which is not allowed here",
			    what);
		break;
	case ENOTDIR:
		hfx_err_set(err, HFX_ERR_NOT_APPLICABLE,
			    "%s: not a directory", what);
		break;
	case ENOSYS:
		hfx_err_set(err, HFX_ERR_IO,
			    "%s: this kernel lacks openat2() (Linux 5.6 or later is required)",
			    what);
		break;
	default:
		hfx_err_sys(err, HFX_ERR_IO, "%s", what);
	}
	return -1;
}

char *hfx_dir_root_relative(int rootfd, int dirfd, struct hfx_err *err)
{
	char proc[64], rootp[PATH_MAX], dirp[PATH_MAX];
	ssize_t n;
	size_t rl;

	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", rootfd);
	n = readlink(proc, rootp, sizeof(rootp) - 1);
	if (n < 0) {
		hfx_err_sys(err, HFX_ERR_IO, "reading %s", proc);
		return NULL;
	}
	rootp[n] = '\0';
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", dirfd);
	n = readlink(proc, dirp, sizeof(dirp) - 1);
	if (n < 0) {
		hfx_err_sys(err, HFX_ERR_IO, "reading %s", proc);
		return NULL;
	}
	dirp[n] = '\0';
	if (strcmp(rootp, "/") == 0)
		return strdup(dirp + 1);
	rl = strlen(rootp);
	if (strncmp(dirp, rootp, rl) != 0 ||
	    (dirp[rl] != '\0' && dirp[rl] != '/')) {
		hfx_err_set(err, HFX_ERR_IO, "directory %s is not inside the root %s",
			    dirp, rootp);
		return NULL;
	}
	return strdup(dirp[rl] ? dirp + rl + 1 : "");
}

int hfx_mkdirs(int dirfd, const char *rel, mode_t mode, const char *what,
	       struct hfx_err *err)
{
	char *copy = strdup(rel ? rel : "");
	char *save = NULL, *comp;
	int fd;

	if (!copy) {
		hfx_err_set(err, HFX_ERR_NOMEM, "out of memory");
		return -1;
	}
	fd = fcntl(dirfd, F_DUPFD_CLOEXEC, 0);
	if (fd < 0) {
		free(copy);
		hfx_err_sys(err, HFX_ERR_IO, "%s", what);
		return -1;
	}
	for (comp = strtok_r(copy, "/", &save); comp;
	     comp = strtok_r(NULL, "/", &save)) {
		int next;

		if (mkdirat(fd, comp, mode) < 0 && errno != EEXIST) {
			hfx_err_sys(err, HFX_ERR_IO, "%s: creating %s", what,
				    comp);
			close(fd);
			free(copy);
			return -1;
		}
		next = openat(fd, comp,
			      O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (next < 0) {
			hfx_err_sys(err, HFX_ERR_IO, "%s: opening %s", what,
				    comp);
			close(fd);
			free(copy);
			return -1;
		}
		close(fd);
		fd = next;
	}
	free(copy);
	return fd;
}

enum hfx_rc hfx_path_split(const char *path, char **parent, const char **base,
			   struct hfx_err *err)
{
	const char *slash = strrchr(path, '/');

	if (!slash) {
		*parent = strdup("");
		*base = path;
	} else {
		*parent = strndup(path, (size_t)(slash - path));
		*base = slash + 1;
	}
	if (!*parent)
		return hfx_err_set(err, HFX_ERR_NOMEM, "out of memory");
	return HFX_OK;
}

char *hfx_path_join(const char *a, const char *b)
{
	size_t la = a ? strlen(a) : 0, lb = b ? strlen(b) : 0;
	char *out = malloc(la + lb + 2);

	if (!out)
		return NULL;
	if (la && lb)
		snprintf(out, la + lb + 2, "%s/%s", a, b);
	else
		snprintf(out, la + lb + 2, "%s", la ? a : (b ? b : ""));
	return out;
}

bool hfx_path_is_clean_relative(const char *path, const char **why)
{
	const char *p = path, *comp = path;
	const char *dummy;

	if (!why)
		why = &dummy;
	if (!path || !*path)
		return *why = "empty path", false;
	if (*path == '/')
		return *why = "absolute path", false;
	if (strlen(path) >= PATH_MAX)
		return *why = "path too long", false;
	for (;; p++) {
		unsigned char c = (unsigned char)*p;

		if (c == '/' || c == '\0') {
			size_t len = (size_t)(p - comp);

			if (len == 0)
				return *why = "empty path component", false;
			if (len == 1 && comp[0] == '.')
				return *why = "'.' component", false;
			if (len == 2 && comp[0] == '.' && comp[1] == '.')
				return *why = "'..' component", false;
			if (len > NAME_MAX)
				return *why = "path component too long", false;
			if (c == '\0')
				break;
			comp = p + 1;
			continue;
		}
		if (c < 0x20 || c == 0x7f)
			return *why = "control character in path", false;
		if (c == '\\')
			return *why = "backslash in path", false;
	}
	return true;
}

bool hfx_path_is_clean_absolute(const char *path, const char **why)
{
	if (path[0] != '/') {
		if (why)
			*why = "not absolute";
		return false;
	}
	return hfx_path_is_clean_relative(path + 1, why);
}

enum hfx_rc hfx_write_all(int fd, const void *buf, size_t len,
			  const char *what, struct hfx_err *err)
{
	const char *p = buf;

	while (len) {
		ssize_t n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return hfx_err_sys(err, HFX_ERR_IO, "writing %s", what);
		}
		p += n;
		len -= (size_t)n;
	}
	return HFX_OK;
}

enum hfx_rc hfx_read_file_at(int dirfd, const char *name, size_t max_len,
			     char **out, size_t *out_len, const char *what,
			     struct hfx_err *err)
{
	struct stat st;
	char *buf;
	size_t got = 0;
	int fd;

	fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
	if (fd < 0 && errno == ELOOP)
		return hfx_err_set(err, HFX_ERR_IO,
				   "%s is a symbolic link; refusing to follow it", what);
	if (fd < 0)
		return hfx_err_sys(err, errno == ENOENT ? HFX_ERR_NOT_FOUND
							: HFX_ERR_IO,
				   "%s", what);
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return hfx_err_set(err, HFX_ERR_IO, "%s: not a regular file",
				   what);
	}
	if ((uint64_t)st.st_size > max_len) {
		close(fd);
		return hfx_err_set(err, HFX_ERR_IO,
				   "%s: too large (%lld bytes, limit %zu)",
				   what, (long long)st.st_size, max_len);
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf) {
		close(fd);
		return hfx_err_set(err, HFX_ERR_NOMEM, "out of memory");
	}
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			free(buf);
			close(fd);
			return hfx_err_sys(err, HFX_ERR_IO, "reading %s", what);
		}
		got += (size_t)n;
	}
	close(fd);
	buf[got] = '\0';
	*out = buf;
	if (out_len)
		*out_len = got;
	return HFX_OK;
}

enum hfx_rc hfx_fsync_dir(int dirfd, const char *what, struct hfx_err *err)
{
	if (fsync(dirfd) < 0 && errno != EINVAL)
		return hfx_err_sys(err, HFX_ERR_IO, "syncing directory %s",
				   what);
	return HFX_OK;
}

/* Large reads: each read() costs a system call, and files being hashed
 * are read whole, start to end. */
#define HASH_BUF (1u << 20)

enum hfx_rc hfx_sha256_fd(int fd, unsigned char out[HFX_SHA256_LEN],
			  const char *what, struct hfx_err *err)
{
	unsigned char *buf = malloc(HASH_BUF);
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	off_t off = 0;
	enum hfx_rc rc = HFX_OK;

	if (!buf || !md || !EVP_DigestInit_ex(md, EVP_sha256(), NULL)) {
		free(buf);
		EVP_MD_CTX_free(md);
		return hfx_err_set(err, HFX_ERR_NOMEM, "cannot start SHA-256");
	}
	for (;;) {
		ssize_t n = pread(fd, buf, HASH_BUF, off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = hfx_err_sys(err, HFX_ERR_IO, "reading %s", what);
			break;
		}
		if (n == 0)
			break;
		EVP_DigestUpdate(md, buf, (size_t)n);
		off += n;
	}
	if (rc == HFX_OK)
		EVP_DigestFinal_ex(md, out, NULL);
	EVP_MD_CTX_free(md);
	free(buf);
	return rc;
}

void hfx_hex(const unsigned char *bytes, size_t len, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < len; i++) {
		out[2 * i] = digits[bytes[i] >> 4];
		out[2 * i + 1] = digits[bytes[i] & 15];
	}
	out[2 * len] = '\0';
}

int64_t hfx_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

const char *hfx_root_relative(const char *abs_path)
{
	while (*abs_path == '/')
		abs_path++;
	return abs_path;
}
