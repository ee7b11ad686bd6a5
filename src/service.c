/*
 * service.c -- service backends and the bounded command runner.
 *
 * Invariant kept by the set functions: a service is in `stopped` state
 * exactly when we stopped it and have not started it again, so any
 * failure path can call hfx_services_start(best_effort) and restore what
 * was running -- and only that: a service that was not running before is
 * never started.
 *
 * Test hooks (environment, documented in hfx(8) under ENVIRONMENT; only
 * in builds configured with fault injection):
 * HFX_SYSTEMCTL names the systemctl binary, HFX_SYSTEMD_DIR the directory
 * whose presence means "systemd is PID 1", HFX_INITD_DIR the init script
 * directory.  They exist so that the systemd and SysV backends can be
 * exercised against stand-ins on machines where systemd does not run.
 */
#include "service.h"
#include "fsutil.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define OUTPUT_MAX 4096
#define KILL_GRACE_MS 2000

struct cmd_result {
	int status;		/* exit code, or -1 if killed by a signal */
	bool timed_out;
	char output[OUTPUT_MAX];
	size_t output_len;
};

/* Test hooks are honoured only in builds with fault injection (the
 * development default); a distribution build ignores them. */
static const char *env_or(const char *name, const char *dflt)
{
#ifdef HFX_FAULT_INJECTION
	const char *v = getenv(name);

	return v && *v ? v : dflt;
#else
	(void)name;
	return dflt;
#endif
}

const char *hfx_svc_backend_name(enum hfx_svc_backend b)
{
	switch (b) {
	case HFX_SVC_SYSTEMD:
		return "systemd";
	case HFX_SVC_SYSV:
		return "sysv";
	case HFX_SVC_COMMAND:
		return "command";
	case HFX_SVC_NONE:
		break;
	}
	return "none";
}

/* Start argv with stdout and stderr on `out`, stdin from /dev/null, in /,
 * in a process group of its own, with default signal handling and HFX_ROOT
 * in its environment.  posix_spawn (a vfork underneath) rather than fork:
 * hfx maps twenty libraries, and copying its page tables for every service
 * command is time spent inside the downtime window. */
static enum hfx_rc spawn_command(const struct hfx_ctx *ctx, char *const argv[],
				 int out, pid_t *pid, struct hfx_err *err)
{
	extern char **environ;
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	sigset_t none, dflt;
	size_t n = 0, k = 0;
	char **envp, *root_var;
	int r;

	for (char **e = environ; *e; e++)
		n++;
	envp = calloc(n + 2, sizeof(*envp));
	root_var = malloc(strlen(ctx->root) + sizeof("HFX_ROOT="));
	if (!envp || !root_var) {
		free(envp);
		free(root_var);
		return hfx_err_set(err, HFX_ERR_NOMEM, "out of memory");
	}
	sprintf(root_var, "HFX_ROOT=%s", ctx->root);
	for (char **e = environ; *e; e++)
		if (strncmp(*e, "HFX_ROOT=", 9) != 0)
			envp[k++] = *e;
	envp[k++] = root_var;
	envp[k] = NULL;

	sigemptyset(&none);
	sigemptyset(&dflt);
	sigaddset(&dflt, SIGPIPE);
	sigaddset(&dflt, SIGINT);
	sigaddset(&dflt, SIGTERM);
	sigaddset(&dflt, SIGHUP);
	sigaddset(&dflt, SIGQUIT);
	posix_spawnattr_init(&attr);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP |
						POSIX_SPAWN_SETSIGMASK |
						POSIX_SPAWN_SETSIGDEF);
	posix_spawnattr_setpgroup(&attr, 0);
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setsigdefault(&attr, &dflt);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, out, 1);
	posix_spawn_file_actions_adddup2(&fa, out, 2);
	posix_spawn_file_actions_addchdir_np(&fa, "/");
	r = posix_spawn(pid, argv[0], &fa, &attr, argv, envp);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	free(envp);
	free(root_var);
	if (r != 0) {
		errno = r;
		return hfx_err_sys(err, HFX_ERR_SERVICE, "cannot run %s", argv[0]);
	}
	return HFX_OK;
}


static void collect(int fd, struct cmd_result *res)
{
	char buf[4096];
	ssize_t n;

	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		size_t room = OUTPUT_MAX - 1 - res->output_len;
		size_t take = (size_t)n < room ? (size_t)n : room;

		memcpy(res->output + res->output_len, buf, take);
		res->output_len += take;
		res->output[res->output_len] = '\0';
	}
}

/* Run argv bounded by timeout_s; output captured.  Only the direct child
 * is waited for: a daemon it leaves behind holding the pipe does not keep
 * us waiting.  The wait is a poll() on the pipe and on a pidfd of the
 * child, so hfx learns of its exit at once (no polling interval in the
 * downtime window). */
static enum hfx_rc run_command(const struct hfx_ctx *ctx, char *const argv[],
			       int timeout_s, struct cmd_result *res,
			       struct hfx_err *err)
{
	int64_t deadline = hfx_now_ms() + (int64_t)timeout_s * 1000;
	int64_t term_at = -1;
	int pipefd[2], pidfd, wstatus = 0;
	bool pipe_open = true;
	pid_t pid;

	memset(res, 0, sizeof(*res));
	res->status = -1;
	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return hfx_err_sys(err, HFX_ERR_IO, "creating a pipe");
	if (spawn_command(ctx, argv, pipefd[1], &pid, err) != HFX_OK) {
		close(pipefd[0]);
		close(pipefd[1]);
		return err->code;
	}
	close(pipefd[1]);
	fcntl(pipefd[0], F_SETFL, O_NONBLOCK);
	pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (pidfd < 0) {
		int e = errno;

		kill(-pid, SIGKILL);
		waitpid(pid, NULL, 0);
		close(pipefd[0]);
		errno = e;
		return hfx_err_sys(err, HFX_ERR_IO,
				   "pidfd_open (Linux 5.3 or later is required)");
	}
	for (;;) {
		struct pollfd pfd[2] = {
			{ .fd = pidfd, .events = POLLIN },
			{ .fd = pipe_open ? pipefd[0] : -1, .events = POLLIN },
		};
		int64_t now = hfx_now_ms();
		int64_t wake = term_at < 0 ? deadline : term_at + KILL_GRACE_MS;
		int r = poll(pfd, 2, wake > now ? (int)(wake - now) : 0);

		if (r < 0 && errno != EINTR) {
			kill(-pid, SIGKILL);	/* cannot wait safely: end it */
			break;
		}
		if (r > 0 && (pfd[1].revents & POLLIN))
			collect(pipefd[0], res);
		if (r > 0 && (pfd[1].revents & (POLLHUP | POLLERR)) &&
		    !(pfd[1].revents & POLLIN))
			pipe_open = false;
		if (r > 0 && (pfd[0].revents & POLLIN))
			break;	/* exited */
		now = hfx_now_ms();
		if (term_at < 0 && now >= deadline) {
			res->timed_out = true;
			kill(-pid, SIGTERM);
			term_at = now;
		} else if (term_at >= 0 && now >= term_at + KILL_GRACE_MS) {
			kill(-pid, SIGKILL);
		}
	}
	waitpid(pid, &wstatus, 0);
	close(pidfd);
	collect(pipefd[0], res);
	close(pipefd[0]);
	if (WIFEXITED(wstatus))
		res->status = WEXITSTATUS(wstatus);
	/* strip trailing newlines for messages */
	while (res->output_len && (res->output[res->output_len - 1] == '\n' ||
				   res->output[res->output_len - 1] == '\r'))
		res->output[--res->output_len] = '\0';
	return HFX_OK;
}

/* Build the argv for an action on a service; `buf` holds strings. */
static void service_argv(const struct hfx_ctx *ctx,
			 const struct hfx_service *svc, const char *action,
			 char *argv[8], char buf[1024])
{
	const struct hfx_service_conf *c = svc->conf;
	const char *cmd = NULL;

	(void)ctx;
	switch (svc->backend) {
	case HFX_SVC_SYSTEMD:
		argv[0] = (char *)env_or("HFX_SYSTEMCTL", "/bin/systemctl");
		if (strcmp(action, "status") == 0) {
			argv[1] = (char *)"is-active";
			argv[2] = (char *)"--quiet";
			argv[3] = c->unit;
			argv[4] = NULL;
		} else {
			argv[1] = (char *)action;
			argv[2] = c->unit;
			argv[3] = NULL;
		}
		return;
	case HFX_SVC_SYSV:
		snprintf(buf, 1024, "%s/%s", env_or("HFX_INITD_DIR", "/etc/init.d"),
			 c->unit);
		argv[0] = buf;
		argv[1] = (char *)action;
		argv[2] = NULL;
		return;
	case HFX_SVC_COMMAND:
		if (strcmp(action, "stop") == 0)
			cmd = c->stop;
		else if (strcmp(action, "start") == 0)
			cmd = c->start;
		else if (strcmp(action, "status") == 0)
			cmd = c->status;
		else
			cmd = c->health;
		break;
	case HFX_SVC_NONE:
		break;
	}
	if (strcmp(action, "health") == 0)
		cmd = c ? c->health : NULL;
	argv[0] = (char *)"/bin/sh";
	argv[1] = (char *)"-c";
	argv[2] = (char *)(cmd ? cmd : "true");
	argv[3] = NULL;
}

void hfx_service_resolve(struct hfx_ctx *ctx, const char *name,
			 struct hfx_service *out)
{
	const struct hfx_service_conf *c = hfx_config_service(&ctx->cfg, name);
	struct stat st;
	char path[1024];

	memset(out, 0, sizeof(*out));
	out->name = name;
	out->conf = c;
	out->backend = HFX_SVC_NONE;
	if (!c)
		return;
	if (ctx->online && c->unit) {
		if (stat(env_or("HFX_SYSTEMD_DIR", "/run/systemd/system"), &st) == 0) {
			out->backend = HFX_SVC_SYSTEMD;
			return;
		}
		snprintf(path, sizeof(path), "%s/%s",
			 env_or("HFX_INITD_DIR", "/etc/init.d"), c->unit);
		if (access(path, X_OK) == 0) {
			out->backend = HFX_SVC_SYSV;
			return;
		}
	}
	if (c->stop && c->start && c->status)
		out->backend = HFX_SVC_COMMAND;
}

static void service_event(struct hfx_ctx *ctx, const struct hfx_service *svc,
			  const char *hotfix, const char *action, bool ok,
			  int verbose, const char *text)
{
	struct hfx_event ev = {
		.type = HFX_EV_SERVICE, .verbose = verbose, .hotfix = hotfix,
		.text = text, .service = svc->name,
		.backend = hfx_svc_backend_name(svc->backend),
		.svc_action = action, .ok = ok,
	};
	hfx_event_emit(&ctx->ev, &ev);
}

enum hfx_rc hfx_service_is_running(struct hfx_ctx *ctx,
				   const struct hfx_service *svc,
				   bool *running, struct hfx_err *err)
{
	char *argv[8], buf[1024];
	struct cmd_result res;
	enum hfx_rc rc;

	*running = false;
	if (svc->backend == HFX_SVC_NONE)
		return HFX_OK;
	service_argv(ctx, svc, "status", argv, buf);
	rc = run_command(ctx, argv, ctx->timeout, &res, err);
	if (rc != HFX_OK)
		return rc;
	if (res.timed_out)
		return hfx_err_set(err, HFX_ERR_SERVICE,
				   "service '%s': status check timed out after %d s",
				   svc->name, ctx->timeout);
	*running = res.status == 0;
	return HFX_OK;
}

/* First line of captured output, for one-line messages. */
static const char *first_line(const struct cmd_result *res, char *buf,
			      size_t len)
{
	size_t n = strcspn(res->output, "\n");

	if (n >= len)
		n = len - 1;
	memcpy(buf, res->output, n);
	buf[n] = '\0';
	return buf;
}

static enum hfx_rc service_action(struct hfx_ctx *ctx, struct hfx_service *svc,
				  const char *action, struct hfx_err *err)
{
	char *argv[8], buf[1024], line[512];
	struct cmd_result res;
	enum hfx_rc rc;

	service_argv(ctx, svc, action, argv, buf);
	hfx_fault_step(&ctx->fault, action);
	rc = run_command(ctx, argv, ctx->timeout, &res, err);
	if (rc != HFX_OK)
		return rc;
	if (res.timed_out)
		return hfx_err_set(err, HFX_ERR_SERVICE,
				   "service '%s' (%s): %s did not finish within %d s and was killed%s%s",
				   svc->name, hfx_svc_backend_name(svc->backend),
				   action, ctx->timeout, res.output_len ? "; it printed: " : "",
				   first_line(&res, line, sizeof(line)));
	if (res.status != 0)
		return hfx_err_set(err, HFX_ERR_SERVICE,
				   "service '%s' (%s): %s failed with exit status %d%s%s",
				   svc->name, hfx_svc_backend_name(svc->backend),
				   action, res.status,
				   res.output_len ? "; it printed: " : "",
				   first_line(&res, line, sizeof(line)));
	return HFX_OK;
}

/* Is the process named by the service's pid file alive?  (A zombie is
 * not: it runs no code.) */
static bool pidfile_alive(struct hfx_ctx *ctx, const struct hfx_service *svc)
{
	return hfx_proc_alive(hfx_pidfile_read(ctx->rootfd,
					       svc->conf->pidfile + 1));
}

enum hfx_rc hfx_service_stop(struct hfx_ctx *ctx, struct hfx_service *svc,
			     struct hfx_err *err)
{
	enum hfx_rc rc = service_action(ctx, svc, "stop", err);
	bool running = false;

	/* Trust, but verify: with a pid file that is a look in /proc, not
	 * one more command inside the downtime window. */
	if (rc == HFX_OK && svc->conf && svc->conf->pidfile)
		running = pidfile_alive(ctx, svc);
	else if (rc == HFX_OK)
		rc = hfx_service_is_running(ctx, svc, &running, err);
	if (rc == HFX_OK && running)
		rc = hfx_err_set(err, HFX_ERR_SERVICE,
				 "service '%s' (%s) is still running after stop",
				 svc->name, hfx_svc_backend_name(svc->backend));
	return rc;
}

enum hfx_rc hfx_service_start(struct hfx_ctx *ctx, struct hfx_service *svc,
			      struct hfx_err *err)
{
	int64_t deadline;
	char *argv[8], buf[1024], line[512];
	struct cmd_result res;
	enum hfx_rc rc;

	rc = service_action(ctx, svc, "start", err);
	if (rc != HFX_OK || !svc->conf || !svc->conf->health)
		return rc;
	deadline = hfx_now_ms() + (int64_t)ctx->timeout * 1000;
	service_argv(ctx, svc, "health", argv, buf);
	for (;;) {
		int64_t left = deadline - hfx_now_ms();

		rc = run_command(ctx, argv, left > 1000 ? (int)(left / 1000) : 1,
				 &res, err);
		if (rc != HFX_OK)
			return rc;
		if (!res.timed_out && res.status == 0)
			return HFX_OK;
		if (hfx_now_ms() >= deadline)
			break;
		{
			struct timespec ts = { 0, 200 * 1000 * 1000 };
			nanosleep(&ts, NULL);
		}
	}
	return hfx_err_set(err, HFX_ERR_SERVICE,
			   "service '%s' started but its health check did not pass within %d s%s%s",
			   svc->name, ctx->timeout,
			   res.output_len ? "; it printed: " : "",
			   first_line(&res, line, sizeof(line)));
}

enum hfx_rc hfx_services_prepare(struct hfx_ctx *ctx, char *const *names,
				 size_t n, const char *hotfix,
				 struct hfx_service_set *set,
				 struct hfx_err *err)
{
	enum hfx_rc rc;

	memset(set, 0, sizeof(*set));
	set->first_stop_ms = set->last_start_ms = -1;
	if (ctx->opt.no_services || n == 0)
		return HFX_OK;
	rc = hfx_ctx_load_services(ctx, err);
	if (rc != HFX_OK)
		return rc;
	set->svc = calloc(n, sizeof(*set->svc));
	if (!set->svc)
		return hfx_err_set(err, HFX_ERR_NOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		struct hfx_service *s = &set->svc[set->n];
		char text[512];

		hfx_service_resolve(ctx, names[i], s);
		if (s->backend == HFX_SVC_NONE) {
			snprintf(text, sizeof(text),
				 "service '%s' is not controllable here (%s); skipped",
				 names[i],
				 !s->conf ? "not in services.conf"
				 : ctx->online ? "no unit, init script or commands"
					       : "offline root and no stop/start/status commands");
			service_event(ctx, s, hotfix, "skip", true, 0, text);
			continue;
		}
		snprintf(text, sizeof(text), "service '%s' is controlled through %s",
			 names[i], hfx_svc_backend_name(s->backend));
		service_event(ctx, s, hotfix, "resolve", true, 1, text);
		rc = hfx_service_is_running(ctx, s, &s->was_running, err);
		if (rc != HFX_OK)
			return rc;
		if (!s->was_running) {
			snprintf(text, sizeof(text),
				 "service '%s' is not running; it will be left stopped",
				 names[i]);
			service_event(ctx, s, hotfix, "skip", true, 0, text);
		}
		set->n++;
	}
	return HFX_OK;
}

enum hfx_rc hfx_services_stop(struct hfx_ctx *ctx, struct hfx_service_set *set,
			      const char *hotfix, struct hfx_err *err)
{
	char text[512];

	for (size_t i = 0; i < set->n; i++) {
		struct hfx_service *s = &set->svc[i];
		enum hfx_rc rc;

		if (!s->was_running || s->stopped)
			continue;
		snprintf(text, sizeof(text), "Stopping service '%s' (%s)",
			 s->name, hfx_svc_backend_name(s->backend));
		service_event(ctx, s, hotfix, "stop", true, 1, text);
		if (set->first_stop_ms < 0)
			set->first_stop_ms = hfx_now_ms();
		rc = hfx_service_stop(ctx, s, err);
		if (rc != HFX_OK) {
			service_event(ctx, s, hotfix, "stop", false, 0, err->msg);
			/* It may be half-stopped: owe it a start if it is
			 * not running now. */
			bool running = true;
			struct hfx_err ignore;

			hfx_err_clear(&ignore);
			if (hfx_service_is_running(ctx, s, &running, &ignore) ==
				    HFX_OK && !running)
				s->stopped = true;
			hfx_services_start(ctx, set, hotfix, true, NULL);
			return err->code;
		}
		s->stopped = true;
	}
	return HFX_OK;
}

enum hfx_rc hfx_services_start(struct hfx_ctx *ctx, struct hfx_service_set *set,
			       const char *hotfix, bool best_effort,
			       struct hfx_err *err)
{
	enum hfx_rc first = HFX_OK;
	char text[512];

	for (size_t i = set->n; i-- > 0;) {
		struct hfx_service *s = &set->svc[i];
		struct hfx_err local;
		enum hfx_rc rc;

		if (!s->stopped)
			continue;
		snprintf(text, sizeof(text), "Starting service '%s' (%s)",
			 s->name, hfx_svc_backend_name(s->backend));
		service_event(ctx, s, hotfix, "start", true, 1, text);
		hfx_err_clear(&local);
		rc = hfx_service_start(ctx, s, &local);
		set->last_start_ms = hfx_now_ms();
		if (rc == HFX_OK) {
			s->stopped = false;
			continue;
		}
		service_event(ctx, s, hotfix, "start", false, 0, local.msg);
		{
			/* It may be up but unhealthy: then it is ours to
			 * stop again before anything is put back. */
			struct hfx_err ignore;
			bool running = false;

			hfx_err_clear(&ignore);
			if (hfx_service_is_running(ctx, s, &running, &ignore) ==
				    HFX_OK && running)
				s->stopped = false;
		}
		if (first == HFX_OK) {
			first = rc;
			if (err)
				hfx_err_set(err, rc, "%s", local.msg);
		}
		if (!best_effort)
			return first;
	}
	return first;
}

void hfx_services_stop_started(struct hfx_ctx *ctx, struct hfx_service_set *set,
			       const char *hotfix)
{
	for (size_t i = 0; i < set->n; i++) {
		struct hfx_service *s = &set->svc[i];
		struct hfx_err local;
		bool running = false;

		if (!s->was_running || s->stopped)
			continue;
		hfx_err_clear(&local);
		if (hfx_service_is_running(ctx, s, &running, &local) != HFX_OK ||
		    !running) {
			s->stopped = true;	/* owe it a start */
			continue;
		}
		if (hfx_service_stop(ctx, s, &local) == HFX_OK)
			s->stopped = true;
		else
			service_event(ctx, s, hotfix, "stop", false, 0,
				      local.msg);
	}
}

void hfx_services_free(struct hfx_service_set *set)
{
	free(set->svc);
	memset(set, 0, sizeof(*set));
}

int64_t hfx_services_downtime(const struct hfx_service_set *set)
{
	/* (A set never prepared is all zeros: no window either.) */
	if (set->first_stop_ms <= 0 || set->last_start_ms <= 0)
		return -1;
	return set->last_start_ms - set->first_stop_ms;
}

/* "lsmex" and "lsmex.service" name the same unit. */
static bool same_unit(const char *a, const char *b)
{
	size_t la = strcspn(a, "."), lb = strcspn(b, ".");

	if (strcmp(a, b) == 0)
		return true;
	return la == lb && strncmp(a, b, la) == 0 &&
	       (!a[la] || strcmp(a + la, ".service") == 0) &&
	       (!b[lb] || strcmp(b + lb, ".service") == 0);
}

const struct hfx_service *hfx_services_owner(struct hfx_ctx *ctx,
					     const struct hfx_service_set *set,
					     long pid, const char *unit)
{
	for (size_t i = 0; i < set->n; i++) {
		const struct hfx_service *s = &set->svc[i];
		long owner;

		if (!s->conf)
			continue;
		if (unit && s->conf->unit && same_unit(unit, s->conf->unit))
			return s;
		if (!s->conf->pidfile)
			continue;
		owner = hfx_pidfile_read(ctx->rootfd, s->conf->pidfile + 1);
		/* The process itself, or a worker forked by it. */
		for (long p = pid, depth = 0; owner > 0 && p > 1 && depth < 8;
		     p = hfx_proc_parent(p), depth++)
			if (p == owner)
				return s;
	}
	return NULL;
}
