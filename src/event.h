/*
 * event.h -- how the engine talks to its user: it never prints.
 *
 * Every message, warning, file decision, service action and progress tick
 * is an event handed to a callback the front end installed (the CLI renders
 * them as text, JSON, a progress bar or nothing).  This keeps the engine
 * usable from other front ends and keeps --quiet and --json honest: the
 * engine cannot leak output past them.
 *
 * Events are only observations.  A callback must not call back into the
 * engine; the engine does not depend on what the callback does.
 */
#ifndef HFX_EVENT_H
#define HFX_EVENT_H

#include <stdint.h>

enum hfx_event_type {
	HFX_EV_MESSAGE,		/* plain progress narration ("Stopping ...") */
	HFX_EV_NOTICE,		/* worth telling even without -v */
	HFX_EV_WARNING,		/* something the user should look at */
	HFX_EV_PHASE,		/* a transaction phase begins (text = phase) */
	HFX_EV_PROGRESS,	/* files/bytes done of total */
	HFX_EV_FILE,		/* a decision on one file */
	HFX_EV_SERVICE,		/* a service action */
	HFX_EV_PROCESS,		/* a process that uses a file of the hotfix */
};

struct hfx_event {
	enum hfx_event_type type;
	int verbose;		/* 1: only shown with -v */
	const char *hotfix;	/* hotfix id or NULL */
	const char *text;	/* human sentence (always set) */
	/* HFX_EV_PROGRESS */
	uint64_t files_done, files_total, bytes_done, bytes_total;
	/* HFX_EV_FILE */
	const char *path;	/* root-relative path */
	const char *action;	/* replace, keep-newer, keep-equal, new, ... */
	const char *old_version, *new_version;
	/* HFX_EV_SERVICE */
	const char *service;	/* display name */
	const char *backend;	/* systemd, sysv, command */
	const char *svc_action;	/* stop, start, skip, health */
	int ok;
	/* HFX_EV_PROCESS */
	long pid;
	const char *comm;
};

typedef void (*hfx_event_fn)(const struct hfx_event *ev, void *userdata);

struct hfx_events {
	hfx_event_fn fn;
	void *userdata;
};

/* Deliver a fully built event (NULL sink: dropped). */
void hfx_event_emit(const struct hfx_events *sink, struct hfx_event *ev);

/* Shorthands for the text-only kinds; `verbose` as in struct hfx_event. */
void hfx_event_msg(const struct hfx_events *sink, enum hfx_event_type type,
		   int verbose, const char *hotfix, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

void hfx_event_progress(const struct hfx_events *sink, const char *hotfix,
			const char *phase, uint64_t files_done,
			uint64_t files_total, uint64_t bytes_done,
			uint64_t bytes_total);

#endif
