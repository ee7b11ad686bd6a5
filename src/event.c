/*
 * event.c -- formatting shorthands over the event callback.
 *
 * The text of an event lives on the emitter's stack for the duration of the
 * call only; a callback that wants to keep it must copy it.
 */
#include "event.h"

#include <stdarg.h>
#include <stdio.h>

void hfx_event_emit(const struct hfx_events *sink, struct hfx_event *ev)
{
	if (!ev->text)
		ev->text = "";
	if (sink && sink->fn)
		sink->fn(ev, sink->userdata);
}

void hfx_event_msg(const struct hfx_events *sink, enum hfx_event_type type,
		   int verbose, const char *hotfix, const char *fmt, ...)
{
	char text[1024];
	va_list ap;
	struct hfx_event ev = { .type = type, .verbose = verbose,
				.hotfix = hotfix, .text = text };

	if (!sink || !sink->fn)
		return;
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	hfx_event_emit(sink, &ev);
}

void hfx_event_progress(const struct hfx_events *sink, const char *hotfix,
			const char *phase, uint64_t files_done,
			uint64_t files_total, uint64_t bytes_done,
			uint64_t bytes_total)
{
	struct hfx_event ev = {
		.type = HFX_EV_PROGRESS, .verbose = 1, .hotfix = hotfix,
		.text = phase, .files_done = files_done,
		.files_total = files_total, .bytes_done = bytes_done,
		.bytes_total = bytes_total,
	};
	hfx_event_emit(sink, &ev);
}
