/*
 * fault.c -- see fault.h.  Compiled only with HFX_FAULT_INJECTION.
 */
#include "fault.h"

#ifdef HFX_FAULT_INJECTION
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static long env_long(const char *name)
{
	const char *v = getenv(name);

	return v && *v ? strtol(v, NULL, 10) : 0;
}

void hfx_fault_init(struct hfx_fault *f)
{
	const char *trace = getenv("HFX_FAULT_TRACE");
	const char *e = getenv("HFX_FAULT_IO_ERRNO");

	memset(f, 0, sizeof(*f));
	f->kill_at = env_long("HFX_FAULT_KILL_AT");
	f->io_at = env_long("HFX_FAULT_IO_AT");
	f->io_errno = e && strcmp(e, "EIO") == 0 ? EIO : ENOSPC;
	f->trace_fd = trace && *trace
			      ? open(trace, O_WRONLY | O_CREAT | O_APPEND |
						    O_CLOEXEC, 0644)
			      : -1;
}

void hfx_fault_fini(struct hfx_fault *f)
{
	if (f->trace_fd >= 0)
		close(f->trace_fd);
	f->trace_fd = -1;
}

void hfx_fault_step(struct hfx_fault *f, const char *what)
{
	f->steps++;
	if (f->trace_fd >= 0)
		dprintf(f->trace_fd, "%ld %s\n", f->steps, what);
	if (f->kill_at > 0 && f->steps == f->kill_at)
		raise(SIGKILL);
}

int hfx_fault_io(struct hfx_fault *f)
{
	f->io_writes++;
	if (f->trace_fd >= 0)
		dprintf(f->trace_fd, "io %ld\n", f->io_writes);
	if (f->io_at > 0 && f->io_writes == f->io_at)
		return f->io_errno;
	return 0;
}
#endif
