/*
 * procscan.c -- scan /proc for processes mapping or holding files.
 *
 * Processes come and go during the scan; every read of /proc that fails
 * (ENOENT, ESRCH, EACCES) just skips that process.  Only the scan of /proc
 * itself failing is an error.
 */
#include "grow.h"
#include "procscan.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

static const struct hfx_file_id *match(const struct hfx_file_id *ids, size_t n,
				       dev_t dev, ino_t ino)
{
	for (size_t i = 0; i < n; i++)
		if (ids[i].ino == ino && ids[i].dev == dev)
			return &ids[i];
	return NULL;
}

static const struct hfx_file_id *scan_maps(long pid,
					   const struct hfx_file_id *ids,
					   size_t n)
{
	char path[64], line[4096];
	const struct hfx_file_id *hit = NULL;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%ld/maps", pid);
	f = fopen(path, "re");
	if (!f)
		return NULL;
	while (!hit && fgets(line, sizeof(line), f)) {
		unsigned maj, min;
		unsigned long long ino;

		/* addr perms offset dev inode [path] */
		if (sscanf(line, "%*s %*s %*s %x:%x %llu", &maj, &min, &ino) != 3 ||
		    ino == 0)
			continue;
		hit = match(ids, n, makedev(maj, min), (ino_t)ino);
	}
	fclose(f);
	return hit;
}

static const struct hfx_file_id *scan_fds(long pid,
					  const struct hfx_file_id *ids,
					  size_t n)
{
	char path[64];
	const struct hfx_file_id *hit = NULL;
	struct dirent *de;
	DIR *dir;
	int dfd;

	snprintf(path, sizeof(path), "/proc/%ld/fd", pid);
	dir = opendir(path);
	if (!dir)
		return NULL;
	dfd = dirfd(dir);
	while (!hit && (de = readdir(dir))) {
		struct stat st;

		if (de->d_name[0] == '.')
			continue;
		if (fstatat(dfd, de->d_name, &st, 0) == 0 && S_ISREG(st.st_mode))
			hit = match(ids, n, st.st_dev, st.st_ino);
	}
	closedir(dir);
	return hit;
}

static void read_comm(long pid, char *out, size_t len)
{
	char path[64];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%ld/comm", pid);
	out[0] = '\0';
	f = fopen(path, "re");
	if (!f)
		return;
	if (fgets(out, (int)len, f))
		out[strcspn(out, "\n")] = '\0';
	fclose(f);
}

/* "0::/system.slice/foo.service" -> "foo.service" */
static char *read_unit(long pid)
{
	char path[64], line[1024];
	char *unit = NULL;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%ld/cgroup", pid);
	f = fopen(path, "re");
	if (!f)
		return NULL;
	while (!unit && fgets(line, sizeof(line), f)) {
		char *last, *nl;

		line[strcspn(line, "\n")] = '\0';
		last = strrchr(line, '/');
		if (!last)
			continue;
		nl = strstr(last, ".service");
		if (nl && nl[8] == '\0')
			unit = strdup(last + 1);
	}
	fclose(f);
	return unit;
}

enum hfx_rc hfx_procscan(const struct hfx_file_id *ids, size_t n,
			 struct hfx_proc_list *out, struct hfx_err *err)
{
	long self = (long)getpid();
	struct dirent *de;
	size_t cap = 0;
	DIR *proc;

	memset(out, 0, sizeof(*out));
	if (n == 0)
		return HFX_OK;
	proc = opendir("/proc");
	if (!proc)
		return hfx_err_sys(err, HFX_ERR_IO, "reading /proc");
	while ((de = readdir(proc))) {
		const struct hfx_file_id *hit;
		struct hfx_proc *p;
		char *end;
		long pid;

		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		pid = strtol(de->d_name, &end, 10);
		if (*end || pid == self)
			continue;
		hit = scan_maps(pid, ids, n);
		if (!hit)
			hit = scan_fds(pid, ids, n);
		if (!hit)
			continue;
		if (!hfx_grow(&out->v, &cap, out->n, sizeof(*out->v))) {
			closedir(proc);
			hfx_proc_list_free(out);
			return hfx_err_set(err, HFX_ERR_NOMEM, "out of memory");
		}
		p = &out->v[out->n++];
		memset(p, 0, sizeof(*p));
		p->pid = pid;
		read_comm(pid, p->comm, sizeof(p->comm));
		p->path = strdup(hit->path ? hit->path : "?");
		p->unit = read_unit(pid);
	}
	closedir(proc);
	return HFX_OK;
}

void hfx_proc_list_free(struct hfx_proc_list *list)
{
	for (size_t i = 0; i < list->n; i++) {
		free(list->v[i].path);
		free(list->v[i].unit);
	}
	free(list->v);
	memset(list, 0, sizeof(*list));
}

/* Read a small file whole into buf (NUL-terminated); false if it cannot
 * be opened or is empty. */
static bool read_small(int dirfd, const char *path, int flags, char *buf,
		       size_t size)
{
	int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC | flags);
	ssize_t n;

	if (fd < 0)
		return false;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	return true;
}

/* /proc/PID/stat after "pid (comm)", i.e. " state ppid ...": comm may
 * hold spaces and ')', so the last ')' ends it.  NULL if unreadable. */
static const char *proc_stat_tail(long pid, char *buf, size_t size)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	if (!read_small(AT_FDCWD, path, 0, buf, size))
		return NULL;
	return strrchr(buf, ')');
}

long hfx_proc_parent(long pid)
{
	char buf[512];
	const char *tail = proc_stat_tail(pid, buf, sizeof(buf));
	long ppid = 0;

	if (!tail || sscanf(tail + 1, " %*c %ld", &ppid) != 1)
		return 0;
	return ppid;
}

bool hfx_proc_alive(long pid)
{
	char buf[512];
	const char *tail = pid > 0 ? proc_stat_tail(pid, buf, sizeof(buf)) : NULL;

	return tail && tail[1] == ' ' && tail[2] != 'Z' && tail[2] != 'X';
}

long hfx_pidfile_read(int dirfd, const char *path)
{
	char buf[32];
	long pid;

	if (!read_small(dirfd, path, O_NOFOLLOW, buf, sizeof(buf)))
		return 0;
	pid = strtol(buf, NULL, 10);
	return pid > 0 ? pid : 0;
}
