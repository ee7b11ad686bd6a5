/*
 * procscan.h -- which processes use a file (what the Windows Restart
 * Manager does), from /proc.
 *
 * A process uses a file if it maps it (/proc/PID/maps: device and inode of
 * every mapping) or holds it open (/proc/PID/fd/\*).  Files are matched by
 * device and inode, never by name: after a swap the old inode has no name
 * any more (or only its name in the store), and a process still mapping it
 * runs the old code.
 */
#ifndef HFX_PROCSCAN_H
#define HFX_PROCSCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "error.h"

struct hfx_file_id {
	dev_t dev;
	ino_t ino;
	const char *path;	/* how to name it in reports */
};

struct hfx_proc {
	long pid;
	char comm[64];
	char *path;		/* the file it uses (first found) */
	char *unit;		/* systemd unit from its cgroup, or NULL */
};

struct hfx_proc_list {
	struct hfx_proc *v;
	size_t n;
};

/* Every process (but this one) that maps or has open one of `ids`. */
enum hfx_rc hfx_procscan(const struct hfx_file_id *ids, size_t n,
			 struct hfx_proc_list *out, struct hfx_err *err);

void hfx_proc_list_free(struct hfx_proc_list *list);

/* The pid read from a pid file opened relative to `dirfd` (0 if none or
 * unreadable). */
long hfx_pidfile_read(int dirfd, const char *path);

/* The parent of a process (0 if unknown). */
long hfx_proc_parent(long pid);

/* Is process `pid` alive and running code (not a zombie, not dead)? */
bool hfx_proc_alive(long pid);

#endif
