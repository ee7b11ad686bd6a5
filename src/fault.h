/*
 * fault.h -- test-only crash and I/O fault points.
 *
 * The crash-safety proof (tests/integration/crash-points.sh) runs an
 * install or a rollback once to count its steps, then once per step N with
 * HFX_FAULT_KILL_AT=N, which makes the process SIGKILL itself when it
 * reaches step N -- exactly what a power cut does, minus the page cache.
 * Every state change of a transaction (a file created, linked, renamed or
 * removed, a directory synced, a database commit, a service stopped or
 * started) calls hfx_fault_step() just before it happens.
 *
 *   HFX_FAULT_KILL_AT=N      SIGKILL at the Nth step
 *   HFX_FAULT_TRACE=FILE     append "N name" for every step to FILE
 *   HFX_FAULT_IO_AT=N        the Nth staging write fails ...
 *   HFX_FAULT_IO_ERRNO=E     ... with ENOSPC (default) or EIO
 *
 * Built only with --enable-fault-injection (the default for development;
 * the Debian package turns it off); otherwise these compile to nothing.
 * The counters live in the context, not in globals.
 */
#ifndef HFX_FAULT_H
#define HFX_FAULT_H

struct hfx_fault {
	long kill_at, steps;
	long io_at, io_writes;
	int io_errno;
	int trace_fd;
};

#ifdef HFX_FAULT_INJECTION
void hfx_fault_init(struct hfx_fault *f);
void hfx_fault_fini(struct hfx_fault *f);
void hfx_fault_step(struct hfx_fault *f, const char *what);
/* 0, or the errno the next staging write must fail with. */
int hfx_fault_io(struct hfx_fault *f);
#else
static inline void hfx_fault_init(struct hfx_fault *f) { f->trace_fd = -1; }
static inline void hfx_fault_fini(struct hfx_fault *f) { (void)f; }
static inline void hfx_fault_step(struct hfx_fault *f, const char *what)
{
	(void)f;
	(void)what;
}
static inline int hfx_fault_io(struct hfx_fault *f) { (void)f; return 0; }
#endif

#endif
