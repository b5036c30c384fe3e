/*
 * Klaviyo report requests for the sync types (DESIGN.md 6): one body
 * asks for every statistic of a type over one window, and the answer is
 * read page by page, so only one page is in memory at a time.
 */
#include "sync_step.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_util.h"

/* child added under key; NULL (and child freed) on failure. */
static struct json_object *
add_child(struct json_object *parent, const char *key,
    struct json_object *child)
{
	if (child == NULL || json_add_obj(parent, key, child) != KC_OK)
		return NULL;
	return child;
}

static int
add_names(struct json_object *arr, const char *const *names, size_t n)
{
	struct json_object	*v;
	size_t			 i;

	for (i = 0; i < n; i++) {
		if ((v = json_object_new_string(names[i])) == NULL)
			return KC_ERR_NOMEM;
		if (json_object_array_add(arr, v) != 0) {
			json_object_put(v);
			return KC_ERR_NOMEM;
		}
	}
	return KC_OK;
}

/*
 * Klaviyo reads start and end in the account's timezone and ignores the
 * offset: the days are its days.  Each member joins the tree as soon as
 * it is made, so one put frees everything on every path.
 */
char *
sync_report_body(const struct sync_ctx *sc, const char *start,
    const char *end_incl)
{
	const struct sync_type	*t = sc->type;
	struct json_object	*o, *d, *a, *stats, *tf, *g;
	char			 s[40], e[40], end_excl[16];
	char			*out = NULL;

	if (sync_day_add(end_incl, 1, end_excl, sizeof(end_excl)) != KC_OK)
		return NULL;
	snprintf(s, sizeof(s), "%sT00:00:00+00:00", start);
	snprintf(e, sizeof(e), "%sT00:00:00+00:00", end_excl);
	if ((o = json_object_new_object()) == NULL)
		return NULL;
	if ((d = add_child(o, "data", json_object_new_object())) == NULL ||
	    json_add_str(d, "type", t->report_type) != KC_OK ||
	    (a = add_child(d, "attributes", json_object_new_object())) ==
	    NULL ||
	    (stats = add_child(a, "statistics", json_object_new_array())) ==
	    NULL ||
	    add_names(stats, t->counts, t->ncounts) != KC_OK ||
	    add_names(stats, t->rates, t->nrates) != KC_OK ||
	    (tf = add_child(a, "timeframe", json_object_new_object())) ==
	    NULL ||
	    json_add_str(tf, "start", s) != KC_OK ||
	    json_add_str(tf, "end", e) != KC_OK ||
	    (t->interval && json_add_str(a, "interval", t->interval) !=
	    KC_OK) ||
	    (t->with_metric && json_add_str(a, "conversion_metric_id",
	    sc->metric_id) != KC_OK))
		goto out;
	if (t->group_by && ((g = add_child(a, "group_by",
	    json_object_new_array())) == NULL ||
	    add_names(g, &t->group_by, 1) != KC_OK))
		goto out;
	out = strdup(json_object_to_json_string_ext(o,
	    JSON_C_TO_STRING_PLAIN));
out:
	json_object_put(o);
	return out;
}

int
sync_report_results(struct sync_ctx *sc, struct json_object *pages,
    sync_result_fn fn, void *arg)
{
	struct json_object	*page, *a, *results, *dates;
	size_t			 p, i, n;
	int			 rc;

	for (p = 0; pages && p < json_object_array_length(pages); p++) {
		page = json_object_array_get_idx(pages, p);
		if ((a = sync_attrs(page)) == NULL ||
		    !json_object_object_get_ex(a, "results", &results) ||
		    !json_object_is_type(results, json_type_array)) {
			snprintf(sc->error, sizeof(sc->error), "a Klaviyo "
			    "report had no results");
			return KC_ERR_UPSTREAM;
		}
		/* Anything but an array would abort in json-c's asserts. */
		if (!json_object_object_get_ex(a, "date_times", &dates) ||
		    !json_object_is_type(dates, json_type_array))
			dates = NULL;
		n = json_object_array_length(results);
		for (i = 0; i < n; i++)
			if ((rc = fn(sc, json_object_array_get_idx(results, i),
			    dates, arg)) != KC_OK)
				return rc;
	}
	return KC_OK;
}

/*
 * A report's later pages wait for their slot in the pool (the lease is
 * renewed meanwhile) however short SYNC_MAX_WAIT_MS is: a parked job
 * resumes at its window's start, so parking between pages would read
 * the first pages again, and a window with more pages than the 2/min
 * burst would never end.  Beyond this (a daily cap) the job parks.
 */
#define REPORT_PAGE_MAX_WAIT_MS 65000

int
sync_report_pages(struct sync_ctx *sc, const char *body, sync_result_fn fn,
    void *arg)
{
	struct kv_call	 call;
	char		*url = NULL;
	int		 rc;

	memset(&call, 0, sizeof(call));
	call.ep = sc->type->report_ep;
	call.body = body;
	for (;;) {
		call.url = url;
		call.max_wait_ms = url ? REPORT_PAGE_MAX_WAIT_MS : 0;
		if ((rc = sync_fetch(sc, &call)) != KC_OK ||
		    (rc = sync_report_results(sc, call.data, fn, arg)) !=
		    KC_OK)
			break;
		free(url);
		url = NULL;
		if (call.next[0] == '\0')
			break;
		if ((url = strdup(call.next)) == NULL) {
			rc = KC_ERR_NOMEM;
			break;
		}
		kv_call_reset(&call);
	}
	free(url);
	kv_call_reset(&call);
	return rc;
}

int
sync_add_counts(struct json_object *dst, struct json_object *src,
    const char *const *names, size_t n)
{
	struct json_object	*v, *cur;
	double			 x, have;
	size_t			 i;

	for (i = 0; i < n; i++) {
		if (!json_object_object_get_ex(src, names[i], &v))
			continue;
		if (v == NULL || !(json_object_is_type(v, json_type_int) ||
		    json_object_is_type(v, json_type_double)))
			continue;
		x = json_object_get_double(v);
		have = json_object_object_get_ex(dst, names[i], &cur) ?
		    json_object_get_double(cur) : 0;
		if (json_add_obj(dst, names[i], json_object_new_double(
		    have + x)) != KC_OK)
			return KC_ERR_NOMEM;
	}
	return KC_OK;
}
