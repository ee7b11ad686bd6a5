/*
 * hfx-demo-svc.c -- a small real daemon that stands for a Windows service
 * ("Connector for Lotus Notes", "Calendar Connector") in the KB899801 demo
 * and the integration tests.
 *
 *   hfx-demo-svc --name NAME --pidfile FILE --report FILE [--fail-if FILE]
 *                [--ignore-term] [--foreground] DLL...
 *
 * What it does, in order:
 *  1. If --fail-if FILE exists, it refuses to start (exit 1), so a test can
 *     make a service's start command fail on demand.
 *  2. If the pid file names a live process, it refuses to start (exit 1).
 *  3. It "loads" every DLL: opens it, maps it read-only and privately, and
 *     keeps the mapping for its whole life, so /proc/PID/maps names the
 *     file's inode exactly as a process holding a shared library would;
 *     hfx uses that to tell when old code is still running after a swap.
 *     It reads each DLL's file version with hfx_pe_version_read().
 *  4. Unless --foreground, it daemonizes (fork, setsid, fork, chdir /,
 *     stdio to /dev/null, every other inherited descriptor closed).  The
 *     original process waits on a pipe and exits 0 only once the daemon
 *     has written its pid file and report, so the start command of a
 *     service returns when the service is ready; it exits 1, with the
 *     daemon's message, if the daemon failed.
 *  5. It writes the pid file, then the report, each atomically (temporary
 *     file + rename):  one line per DLL,
 *        NAME pid=PID loaded=BASENAME version=6.5.7233.26
 *     (version=none for a PE without a version, version=not-pe otherwise),
 *     then "NAME ready".
 *  6. It waits for SIGTERM or SIGINT, removes its pid file (if the file
 *     still names it) and exits 0.  --ignore-term makes it ignore SIGTERM,
 *     to stand for a service that hangs on stop; SIGKILL still works, and
 *     SIGINT still stops it cleanly.
 *
 * Invariants: the termination signals are blocked from before the fork
 * until sigwait(), so a stop request that arrives while the daemon starts
 * is never lost and never kills it half-way (it is handled once the daemon
 * is ready).  Every path written after daemonizing is absolute, because the
 * daemon runs in /.  The mappings are never unmapped: that is the point.
 *
 * The single-instance check is "pid file names a live process"; two starts
 * racing each other can both pass it.  That is enough for a demo service
 * whose start commands hfx runs one at a time.
 */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "error.h"
#include "pe.h"
#include "version.h"

/* What the daemon sends the waiting parent once it is ready; anything
 * else on the pipe is an error message. */
#define READY_TOKEN "ready"

struct dll {
	const char *path;
	const char *base;		/* last component of path */
	const void *map;		/* kept for the life of the process */
	char version[HFX_VERSION_STR_MAX];	/* or "none" / "not-pe" */
};

struct svc {
	const char *name;
	char *pidfile;			/* absolute */
	char *report;			/* absolute */
	const char *fail_if;
	bool ignore_term;
	bool foreground;
	struct dll *dlls;
	int ndlls;
	int ready_fd;			/* write end of the readiness pipe, or -1 */
};

static void usage(FILE *to)
{
	fprintf(to,
		"usage: hfx-demo-svc --name NAME --pidfile FILE --report FILE\n"
		"                    [--fail-if FILE] [--ignore-term] [--foreground]\n"
		"                    DLL...\n");
}

/*
 * Print "NAME: message" and exit 1.  Once daemonized, stderr is /dev/null,
 * so the message goes up the readiness pipe instead, where the original
 * process prints it.
 */
static void die(const struct svc *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3), noreturn));

static void die(const struct svc *s, const char *fmt, ...)
{
	char msg[1024];
	int n;
	va_list ap;

	n = snprintf(msg, sizeof(msg), "%s: ", s->name ? s->name : "hfx-demo-svc");
	if (n < 0 || (size_t)n >= sizeof(msg))
		n = (int)sizeof(msg) - 1;	/* a huge NAME: just the name */
	va_start(ap, fmt);
	vsnprintf(msg + n, sizeof(msg) - (size_t)n, fmt, ap);
	va_end(ap);
	if (s->ready_fd >= 0) {
		ssize_t ignored = write(s->ready_fd, msg, strlen(msg));
		(void)ignored;	/* nobody left to tell if this fails */
	} else {
		fprintf(stderr, "%s\n", msg);
	}
	_exit(1);
}

/* An absolute copy of `path` (relative to the current directory), since
 * the daemon changes directory to /. */
static char *absolute_path(const struct svc *s, const char *path)
{
	char cwd[PATH_MAX];
	char *abs;
	size_t len;

	if (path[0] == '/') {
		abs = strdup(path);
		if (!abs)
			die(s, "out of memory");
		return abs;
	}
	if (!getcwd(cwd, sizeof(cwd)))
		die(s, "cannot get the current directory: %s", strerror(errno));
	len = strlen(cwd) + 1 + strlen(path) + 1;
	abs = malloc(len);
	if (!abs)
		die(s, "out of memory");
	snprintf(abs, len, "%s/%s", cwd, path);
	return abs;
}

/* Write `len` bytes to `path` atomically: a temporary file in the same
 * directory, flushed, then renamed over `path`.  Returns 0 or -1/errno. */
static int write_atomic(const char *path, const char *data, size_t len)
{
	char tmp[PATH_MAX];
	int fd, saved;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid()) >=
	    (int)sizeof(tmp)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -1;
	while (len > 0) {
		ssize_t n = write(fd, data, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			goto fail;
		}
		data += n;
		len -= (size_t)n;
	}
	if (fsync(fd) != 0)
		goto fail;
	if (close(fd) != 0) {
		fd = -1;
		goto fail;
	}
	fd = -1;
	if (rename(tmp, path) != 0)
		goto fail;
	return 0;
fail:
	saved = errno;
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	errno = saved;
	return -1;
}

/* The pid a pid file names, or 0 if it is missing or unreadable. */
static pid_t pidfile_pid(const char *path)
{
	FILE *f = fopen(path, "re");
	long pid = 0;

	if (!f)
		return 0;
	if (fscanf(f, "%ld", &pid) != 1 || pid <= 0 || pid > INT_MAX)
		pid = 0;
	fclose(f);
	return (pid_t)pid;
}

/* Is `pid` a running process?  A zombie is not: a killed daemon stays one
 * until its parent (init, once orphaned) reaps it, which need not be at
 * once, and its stale pid file must not block a restart meanwhile. */
static bool process_alive(pid_t pid)
{
	char path[64], line[256];
	FILE *f;
	size_t n;
	const char *paren;

	if (kill(pid, 0) != 0 && errno != EPERM)
		return false;
	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	f = fopen(path, "re");
	if (!f)
		return true;		/* no /proc: trust kill() */
	n = fread(line, 1, sizeof(line) - 1, f);
	fclose(f);
	line[n] = '\0';
	/* "PID (COMM) STATE ..."; COMM may hold ')' so take the last one. */
	paren = strrchr(line, ')');
	if (paren && paren[1] == ' ' && (paren[2] == 'Z' || paren[2] == 'X'))
		return false;
	return true;
}

/* Map a DLL and read its version.  The descriptor is closed afterwards:
 * the mapping alone keeps the file (and its inode) in use. */
static void load_dll(const struct svc *s, struct dll *d)
{
	enum hfx_pe_result res;
	struct hfx_version v;
	struct hfx_err err;
	struct stat st;
	int fd;

	d->base = strrchr(d->path, '/') ? strrchr(d->path, '/') + 1 : d->path;
	fd = open(d->path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		die(s, "cannot load %s: %s", d->path, strerror(errno));
	if (fstat(fd, &st) != 0)
		die(s, "cannot stat %s: %s", d->path, strerror(errno));
	if (!S_ISREG(st.st_mode))
		die(s, "cannot load %s: not a regular file", d->path);
	/* mmap refuses a length of 0; an empty DLL is simply not mapped (and
	 * is reported as not-pe below). */
	if (st.st_size > 0) {
		d->map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE,
			      fd, 0);
		if (d->map == MAP_FAILED)
			die(s, "cannot map %s: %s", d->path, strerror(errno));
	}

	hfx_err_clear(&err);
	if (hfx_pe_version_read(fd, d->path, &res, &v, NULL, 0, &err) != HFX_OK)
		die(s, "%s", err.msg);
	close(fd);
	switch (res) {
	case HFX_PE_VERSION:
		hfx_version_format(&v, d->version);
		break;
	case HFX_PE_NO_VERSION:
		snprintf(d->version, sizeof(d->version), "none");
		break;
	case HFX_PE_NOT_PE:
		snprintf(d->version, sizeof(d->version), "not-pe");
		break;
	}
}

/*
 * Close every descriptor above stderr except `keep`.  A daemon must not
 * hold the pipes of whoever started it: a caller reading a start
 * command's output would otherwise wait for an EOF that never comes.
 */
static void close_inherited_fds(int keep)
{
	DIR *dir = opendir("/proc/self/fd");
	struct dirent *de;

	if (!dir) {
		/* No /proc: close a bounded range blindly. */
		long max = sysconf(_SC_OPEN_MAX);
		if (max < 0 || max > 65536)
			max = 65536;
		for (int fd = 3; fd < (int)max; fd++)
			if (fd != keep)
				close(fd);
		return;
	}
	while ((de = readdir(dir)) != NULL) {
		char *end;
		long fd = strtol(de->d_name, &end, 10);

		if (*end != '\0' || end == de->d_name || fd <= 2 ||
		    fd == keep || fd == dirfd(dir))
			continue;
		close((int)fd);
	}
	closedir(dir);
}

/*
 * Detach from the terminal.  Returns in the daemon only; the original
 * process stays in this function until the daemon reports, then exits 0
 * (ready) or 1 (failed, message printed).
 */
static void daemonize(struct svc *s, const sigset_t *old_mask)
{
	int pipefd[2];
	pid_t child;

	/* close-on-exec is moot (nothing here execs) but keeps the pipe out
	 * of anything a future version might run. */
	if (pipe(pipefd) != 0 || fcntl(pipefd[0], F_SETFD, FD_CLOEXEC) != 0 ||
	    fcntl(pipefd[1], F_SETFD, FD_CLOEXEC) != 0)
		die(s, "cannot create a pipe: %s", strerror(errno));
	fflush(NULL);
	child = fork();
	if (child < 0)
		die(s, "cannot fork: %s", strerror(errno));

	if (child > 0) {
		/* The original process: wait for the daemon's word. */
		char msg[1024];
		size_t got = 0;
		int status;

		sigprocmask(SIG_SETMASK, old_mask, NULL);
		close(pipefd[1]);
		for (;;) {
			ssize_t n = read(pipefd[0], msg + got,
					 sizeof(msg) - 1 - got);
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				break;
			got += (size_t)n;
			if (got == sizeof(msg) - 1)
				break;
		}
		msg[got] = '\0';
		/* reap the intermediate child (it exits at once) */
		while (waitpid(child, &status, 0) < 0 && errno == EINTR)
			;
		if (strcmp(msg, READY_TOKEN) == 0)
			exit(0);
		if (got > 0)
			fprintf(stderr, "%s\n", msg);
		else
			fprintf(stderr, "%s: daemon exited before it was ready\n",
				s->name);
		exit(1);
	}

	/* The intermediate child: new session, then the daemon proper, which
	 * is not a session leader and so can never regain a terminal. */
	close(pipefd[0]);
	s->ready_fd = pipefd[1];
	if (setsid() < 0)
		die(s, "setsid failed: %s", strerror(errno));
	child = fork();
	if (child < 0)
		die(s, "cannot fork: %s", strerror(errno));
	if (child > 0)
		_exit(0);

	/* The daemon. */
	if (chdir("/") != 0)
		die(s, "cannot change directory to /: %s", strerror(errno));
	close_inherited_fds(s->ready_fd);
	int null = open("/dev/null", O_RDWR);
	if (null < 0)
		die(s, "cannot open /dev/null: %s", strerror(errno));
	for (int fd = 0; fd <= 2; fd++)
		if (dup2(null, fd) < 0)
			die(s, "cannot redirect stdio: %s", strerror(errno));
	if (null > 2)
		close(null);
}

/* Write the pid file and the report; NAME ready is their last line. */
static void write_state(const struct svc *s)
{
	char pidline[32];
	char *report = NULL;
	size_t report_len = 0;
	long pid = (long)getpid();
	FILE *out;

	snprintf(pidline, sizeof(pidline), "%ld\n", pid);
	if (write_atomic(s->pidfile, pidline, strlen(pidline)) != 0)
		die(s, "cannot write pid file %s: %s", s->pidfile,
		    strerror(errno));

	out = open_memstream(&report, &report_len);
	if (!out)
		die(s, "out of memory");
	for (int i = 0; i < s->ndlls; i++)
		fprintf(out, "%s pid=%ld loaded=%s version=%s\n", s->name, pid,
			s->dlls[i].base, s->dlls[i].version);
	fprintf(out, "%s ready\n", s->name);
	if (fclose(out) != 0)
		die(s, "out of memory");
	if (write_atomic(s->report, report, report_len) != 0) {
		int saved = errno;
		unlink(s->pidfile);	/* not started after all */
		die(s, "cannot write report %s: %s", s->report,
		    strerror(saved));
	}
	free(report);
}

/* Tell the waiting parent (if any) that the service is up. */
static void signal_ready(struct svc *s)
{
	if (s->ready_fd < 0)
		return;
	/* If the parent is gone (EPIPE, SIGPIPE ignored), run on anyway. */
	ssize_t ignored = write(s->ready_fd, READY_TOKEN, strlen(READY_TOKEN));
	(void)ignored;
	close(s->ready_fd);
	s->ready_fd = -1;
}

/* Remove the pid file if it still names this process; a newer instance
 * may have replaced it. */
static void remove_pidfile(const struct svc *s)
{
	if (pidfile_pid(s->pidfile) == getpid())
		unlink(s->pidfile);
}

static void parse_args(struct svc *s, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "name", required_argument, NULL, 'n' },
		{ "pidfile", required_argument, NULL, 'p' },
		{ "report", required_argument, NULL, 'r' },
		{ "fail-if", required_argument, NULL, 'f' },
		{ "ignore-term", no_argument, NULL, 'i' },
		{ "foreground", no_argument, NULL, 'F' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *pidfile = NULL, *report = NULL;
	int c;

	while ((c = getopt_long(argc, argv, "+", longopts, NULL)) != -1) {
		switch (c) {
		case 'n': s->name = optarg; break;
		case 'p': pidfile = optarg; break;
		case 'r': report = optarg; break;
		case 'f': s->fail_if = optarg; break;
		case 'i': s->ignore_term = true; break;
		case 'F': s->foreground = true; break;
		case 'h': usage(stdout); exit(0);
		default: usage(stderr); exit(2);
		}
	}
	if (!s->name || !*s->name || !pidfile || !*pidfile || !report ||
	    !*report || optind >= argc) {
		usage(stderr);
		exit(2);
	}
	s->pidfile = absolute_path(s, pidfile);
	s->report = absolute_path(s, report);
	s->ndlls = argc - optind;
	s->dlls = calloc((size_t)s->ndlls, sizeof(*s->dlls));
	if (!s->dlls)
		die(s, "out of memory");
	for (int i = 0; i < s->ndlls; i++)
		s->dlls[i].path = argv[optind + i];
}

int main(int argc, char **argv)
{
	struct svc s = { .ready_fd = -1 };
	sigset_t stop_set, old_mask;
	pid_t running;
	int sig;

	parse_args(&s, argc, argv);

	if (s.fail_if && access(s.fail_if, F_OK) == 0)
		die(&s, "refusing to start: %s exists", s.fail_if);
	running = pidfile_pid(s.pidfile);
	if (running > 0 && running != getpid() && process_alive(running))
		die(&s, "already running as pid %ld (%s)", (long)running,
		    s.pidfile);

	/* Block the stop signals before anything forks (see the top).  Their
	 * dispositions are reset first: a signal ignored by whoever started
	 * us (nohup, a shell's "&" ignores SIGINT) would be discarded, never
	 * reaching sigwait(). */
	sigemptyset(&stop_set);
	sigaddset(&stop_set, SIGINT);
	if (!s.ignore_term)
		sigaddset(&stop_set, SIGTERM);
	sigprocmask(SIG_BLOCK, &stop_set, &old_mask);
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, s.ignore_term ? SIG_IGN : SIG_DFL);
	signal(SIGPIPE, SIG_IGN);

	for (int i = 0; i < s.ndlls; i++)
		load_dll(&s, &s.dlls[i]);

	if (!s.foreground)
		daemonize(&s, &old_mask);
	write_state(&s);
	signal_ready(&s);

	for (;;) {
		if (sigwait(&stop_set, &sig) != 0)
			continue;
		if (sig == SIGTERM || sig == SIGINT)
			break;
	}
	remove_pidfile(&s);
	/* The mappings go with the process; the heap is freed so that leak
	 * checkers see a clean exit. */
	free(s.dlls);
	free(s.pidfile);
	free(s.report);
	return 0;
}
