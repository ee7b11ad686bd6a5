/*
 * store.c -- see store.h.
 */
#include "store.h"
#include "fsutil.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

/* Where the originals of files in directory `dirfd` are kept: the store
 * under var/lib/hfx when it is on the same file system (so keeping an
 * original is a link, never a copy), else .hfx-store at the top of the
 * target's file system (within the root). */
enum hfx_rc hfx_store_root_for(struct hfx_ctx *ctx, int dirfd,
				  const char *dir_rel, char **out,
				  struct hfx_err *err)
{
	struct stat dst, sst;
	char *path, *slash;

	if (fstat(dirfd, &dst) < 0 || fstat(ctx->statedir_fd, &sst) < 0)
		return hfx_err_sys(err, HFX_ERR_IO, "stat");
	if (dst.st_dev == sst.st_dev) {
		*out = hfx_path_join(ctx->statedir, "store");
		return *out ? HFX_OK : hfx_err_set(err, HFX_ERR_NOMEM, "out of memory");
	}
	path = strdup(dir_rel);
	if (!path)
		return hfx_err_set(err, HFX_ERR_NOMEM, "out of memory");
	for (;;) {
		struct stat pst;
		char *parent;
		int pfd;

		if (!*path)
			break;
		slash = strrchr(path, '/');
		parent = slash ? strndup(path, (size_t)(slash - path)) : strdup("");
		if (!parent) {
			free(path);
			return hfx_err_set(err, HFX_ERR_NOMEM, "out of memory");
		}
		pfd = hfx_open_dir(ctx->rootfd, parent, HFX_RESOLVE_NO_SYMLINKS,
				   parent, err);
		if (pfd < 0) {
			free(parent);
			free(path);
			return err->code;
		}
		if (fstat(pfd, &pst) < 0 || pst.st_dev != dst.st_dev) {
			close(pfd);
			free(parent);
			break;
		}
		close(pfd);
		free(path);
		path = parent;
	}
	*out = hfx_path_join(path, ".hfx-store");
	free(path);
	return *out ? HFX_OK : hfx_err_set(err, HFX_ERR_NOMEM, "out of memory");
}

enum hfx_rc hfx_store_place(const char *store, const char *id,
			    const char *target, const char *suffix,
			    char **dir, char **base, struct hfx_err *err)
{
	char *parent = NULL, *hotfix_dir;
	const char *name;
	enum hfx_rc rc;
	size_t len;

	*dir = *base = NULL;
	rc = hfx_path_split(target, &parent, &name, err);
	if (rc != HFX_OK)
		return rc;
	hotfix_dir = hfx_path_join(store, id);
	*dir = hotfix_dir ? hfx_path_join(hotfix_dir, parent) : NULL;
	len = strlen(name) + (suffix ? strlen(suffix) : 0) + 1;
	*base = malloc(len);
	if (*base)
		snprintf(*base, len, "%s%s", name, suffix ? suffix : "");
	free(hotfix_dir);
	free(parent);
	if (!*dir || !*base) {
		free(*dir);
		free(*base);
		*dir = *base = NULL;
		return hfx_err_set(err, HFX_ERR_NOMEM, "out of memory");
	}
	return HFX_OK;
}

/* In the purging process: unlink every file of one trash directory, then
 * the directory (it fails harmlessly if new files arrived meanwhile). */
static void empty_trash(int rootfd, const char *rel)
{
	struct dirent *de;
	DIR *dir;
	int fd = openat(rootfd, rel,
			O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0)
		return;
	dir = fdopendir(fd);
	if (!dir) {
		close(fd);
		return;
	}
	while ((de = readdir(dir)))
		if (de->d_name[0] != '.')
			unlinkat(dirfd(dir), de->d_name, 0);
	closedir(dir);
	unlinkat(rootfd, rel, AT_REMOVEDIR);
}

void hfx_store_purge(struct hfx_ctx *ctx, char *const *trash, size_t n)
{
	pid_t pid;

	if (n == 0)
		return;
	pid = fork();
	if (pid < 0) {
		/* No process to spare: empty them now instead. */
		for (size_t i = 0; i < n; i++)
			empty_trash(ctx->rootfd, trash[i]);
		return;
	}
	if (pid > 0) {
		waitpid(pid, NULL, 0);	/* the intermediate child exits at once */
		return;
	}
	/* Detach: a new session, and a grandchild that init adopts, so the
	 * command (and a script waiting on it) need not wait. */
	if (setsid() < 0 || fork() != 0)
		_exit(0);
	for (int fd = 0; fd < 1024; fd++)
		if (fd != ctx->rootfd)
			close(fd);
	signal(SIGHUP, SIG_IGN);
	(void)setpriority(PRIO_PROCESS, 0, 19);	/* if refused: only less polite */
	/* ioprio_set(IOPRIO_WHO_PROCESS, self, IOPRIO_CLASS_IDLE) */
	syscall(SYS_ioprio_set, 1, 0, 3 << 13);
	for (size_t i = 0; i < n; i++)
		empty_trash(ctx->rootfd, trash[i]);
	_exit(0);
}
