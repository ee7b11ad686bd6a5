/*
 * result.h -- what an install or a rollback did (or, with --dry-run,
 * would do), for the front end to render as text or JSON.
 */
#ifndef HFX_RESULT_H
#define HFX_RESULT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "procscan.h"

/* What happens to one file. */
enum hfx_file_action {
	HFX_ACT_REPLACE,	/* install: installed version is lower */
	HFX_ACT_NEW,		/* install: new = yes and absent: add */
	HFX_ACT_KEEP_NEWER,	/* install: installed version is higher */
	HFX_ACT_KEEP_EQUAL,	/* install: same version or same bytes */
	HFX_ACT_KEEP_MODIFIED,	/* install: unversioned, changed by the user */
	HFX_ACT_RESTORE,	/* rollback: the original goes back */
	HFX_ACT_REMOVE,		/* rollback: a file the hotfix added goes */
	HFX_ACT_HANDED_OVER,	/* rollback --force: a later hotfix owns it */
};

const char *hfx_file_action_name(enum hfx_file_action a);

struct hfx_planned_file {
	char *path;		/* root-relative */
	enum hfx_file_action action;
	char old_version[24], new_version[24];
};

struct hfx_result {
	char *id;
	bool changed;		/* something on disk changed */
	bool restart_required;	/* exit 10 */
	char *note;		/* why nothing changed, or NULL */
	int64_t downtime_ms;	/* -1 when no service was stopped */
	struct hfx_planned_file *files;
	size_t nfiles, cap_files;
	char **services;	/* services stopped and started */
	size_t nservices;
	struct hfx_proc_list procs;	/* processes still running old code */
	struct hfx_proc_list strays;	/* users of the files no service covers */
};

void hfx_result_init(struct hfx_result *res);
void hfx_result_free(struct hfx_result *res);

/* Append a planned file; false when out of memory. */
bool hfx_result_add_file(struct hfx_result *res, const char *path,
			 enum hfx_file_action action, const char *old_version,
			 const char *new_version);
bool hfx_result_add_service(struct hfx_result *res, const char *name);

#endif
