/*
 * lock.h -- one transaction at a time per root.
 *
 * A POSIX record lock (fcntl F_SETLK) on var/lib/hfx/lock: the kernel drops
 * it when the holder dies, so a crashed hfx never leaves a stale lock, and
 * F_GETLK names the holder's pid for the "busy" message (flock cannot).
 * The pid is also written into the file for humans.
 */
#ifndef HFX_LOCK_H
#define HFX_LOCK_H

#include "error.h"

/* Take the lock, waiting up to timeout_s seconds (0: fail at once with
 * HFX_ERR_BUSY naming the holder).  Returns the lock fd in *fd. */
enum hfx_rc hfx_lock_acquire(int statedir, const char *label, int timeout_s,
			     int *fd, struct hfx_err *err);
void hfx_lock_release(int fd);

#endif
