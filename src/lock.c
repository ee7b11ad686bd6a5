/*
 * lock.c -- see lock.h.
 */
#include "lock.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fsutil.h"

static int try_lock(int fd, pid_t *holder)
{
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };

	if (fcntl(fd, F_SETLK, &fl) == 0)
		return 0;
	if (errno != EAGAIN && errno != EACCES)
		return -1;
	fl.l_type = F_WRLCK;
	*holder = 0;
	if (fcntl(fd, F_GETLK, &fl) == 0 && fl.l_type != F_UNLCK)
		*holder = fl.l_pid;
	errno = EAGAIN;
	return -1;
}

enum hfx_rc hfx_lock_acquire(int statedir, const char *label, int timeout_s,
			     int *out, struct hfx_err *err)
{
	int64_t deadline = hfx_now_ms() + (int64_t)timeout_s * 1000;
	pid_t holder = 0;
	char pid[32];
	int fd, n;

	*out = -1;
	fd = openat(statedir, "lock",
		    O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return hfx_err_sys(err, HFX_ERR_IO, "opening the lock %s", label);
	for (;;) {
		if (try_lock(fd, &holder) == 0)
			break;
		if (errno != EAGAIN) {
			close(fd);
			return hfx_err_sys(err, HFX_ERR_IO, "locking %s", label);
		}
		if (hfx_now_ms() >= deadline) {
			close(fd);
			if (holder > 0)
				return hfx_err_set(err, HFX_ERR_BUSY,
						   "another hfx transaction (pid %ld) holds the lock %s",
						   (long)holder, label);
			return hfx_err_set(err, HFX_ERR_BUSY,
					   "another hfx transaction holds the lock %s",
					   label);
		}
		{
			struct timespec ts = { 0, 100 * 1000 * 1000 };
			nanosleep(&ts, NULL);
		}
	}
	n = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) == 0 && pwrite(fd, pid, (size_t)n, 0) < 0) {
		/* informational only */
	}
	*out = fd;
	return HFX_OK;
}

void hfx_lock_release(int fd)
{
	if (fd < 0)
		return;
	/* Truncate while still holding the lock, then drop it by closing. */
	if (ftruncate(fd, 0) < 0) {
		/* informational only */
	}
	close(fd);
}
