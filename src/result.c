/*
 * result.c -- see result.h.
 */
#include "grow.h"
#include "result.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const action_names[] = {
	[HFX_ACT_REPLACE] = "replace",
	[HFX_ACT_NEW] = "new",
	[HFX_ACT_KEEP_NEWER] = "keep-newer",
	[HFX_ACT_KEEP_EQUAL] = "keep-equal",
	[HFX_ACT_KEEP_MODIFIED] = "keep-modified",
	[HFX_ACT_RESTORE] = "restore",
	[HFX_ACT_REMOVE] = "remove",
	[HFX_ACT_HANDED_OVER] = "handed-over",
};

const char *hfx_file_action_name(enum hfx_file_action a)
{
	return action_names[a];
}

void hfx_result_init(struct hfx_result *res)
{
	memset(res, 0, sizeof(*res));
	res->downtime_ms = -1;
}

void hfx_result_free(struct hfx_result *res)
{
	free(res->id);
	free(res->note);
	for (size_t i = 0; i < res->nfiles; i++)
		free(res->files[i].path);
	free(res->files);
	for (size_t i = 0; i < res->nservices; i++)
		free(res->services[i]);
	free(res->services);
	hfx_proc_list_free(&res->procs);
	hfx_proc_list_free(&res->strays);
	hfx_result_init(res);
}

bool hfx_result_add_file(struct hfx_result *res, const char *path,
			 enum hfx_file_action action, const char *old_version,
			 const char *new_version)
{
	struct hfx_planned_file *f;

	if (!hfx_grow(&res->files, &res->cap_files, res->nfiles,
		      sizeof(*res->files)))
		return false;
	f = &res->files[res->nfiles];
	f->path = strdup(path);
	if (!f->path)
		return false;
	f->action = action;
	snprintf(f->old_version, sizeof(f->old_version), "%s",
		 old_version ? old_version : "unknown");
	snprintf(f->new_version, sizeof(f->new_version), "%s",
		 new_version ? new_version : "unknown");
	res->nfiles++;
	return true;
}

bool hfx_result_add_service(struct hfx_result *res, const char *name)
{
	char **grown = realloc(res->services,
			       (res->nservices + 1) * sizeof(*grown));

	if (!grown)
		return false;
	res->services = grown;
	grown[res->nservices] = strdup(name);
	if (!grown[res->nservices])
		return false;
	res->nservices++;
	return true;
}
