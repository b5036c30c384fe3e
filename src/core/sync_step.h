/*
 * What the type runners (sync_campaigns.c, sync_series.c, sync_orders.c)
 * share: one Klaviyo call, the write transaction of one step, the
 * resumable cursor of list and report-window phases, and report bodies
 * read page by page.  Nothing here knows a particular type.
 */
#ifndef KC_SYNC_STEP_H
#define KC_SYNC_STEP_H

#include <stddef.h>

#include <json-c/json.h>

#include "sync.h"

/* One Klaviyo call; on failure sc->error and sc->retry_after are set. */
int	sync_fetch(struct sync_ctx *, struct kv_call *) KC_MUSTCHECK;
/*
 * Begins the write transaction of one step: renews the lease, saves
 * progress and cursor.  KC_ERR_CONFLICT when the job was cancelled.
 */
int	sync_begin_step(struct sync_ctx *, struct json_object *cursor)
	    KC_MUSTCHECK;
/* Saves the step's progress and commits. */
int	sync_commit_step(struct sync_ctx *) KC_MUSTCHECK;
/* How many of the type's objects the store holds now (counts them). */
int	sync_count_objects(struct sync_ctx *, long long *) KC_MUSTCHECK;
/* Splits [since, until] (YYYY-MM-DD) into windows of at most days. */
int	sync_windows(const char *since, const char *until, int days,
	    struct json_object **) KC_MUSTCHECK;
/* YYYY-MM-DD plus n days (n may be negative). */
int	sync_day_add(const char *, int, char *, size_t) KC_MUSTCHECK;

/* The UTC instant ("...T05:00:00Z") of day's midnight in the account. */
int	sync_midnight(struct sync_ctx *, const char *day, char *, size_t)
	    KC_MUSTCHECK;
/* The connection id as a statement parameter. */
void	sync_conn_param(const struct sync_ctx *, char *, size_t);
/* An item's "attributes" object, or NULL. */
struct json_object *sync_attrs(struct json_object *item);
const char *sync_attr_str(struct json_object *item, const char *);
/* Plain JSON text of o; "{}" for NULL. */
const char *sync_plain(struct json_object *o);
/* 1 when the cursor is past phase (phases run in order). */
int	sync_phase_done(struct json_object *cur, const char *phase);
const char *sync_cursor_phase(struct json_object *cur);

/*
 * The row the type's sql_upsert takes for one listed object (*row NULL:
 * skip it); arg is the runner's (a channel, ...).
 */
typedef int (*sync_row_fn)(struct sync_ctx *, struct json_object *item,
    const char *arg, struct json_object **row);
/*
 * Pages through a list endpoint, one step a page written in one
 * statement; the cursor's "phase" names this list and "next" the page
 * to resume from.
 */
int	sync_list_phase(struct sync_ctx *, struct json_object *cur,
	    const char *phase, enum kv_endpoint, const char *query,
	    sync_row_fn, const char *arg) KC_MUSTCHECK;
/*
 * A listed object's row {id, name, status, attributes} (flows, segments,
 * forms; campaigns add to it), *row NULL when it has no id.
 */
int	sync_object_row(struct sync_ctx *, struct json_object *item,
	    const char *arg, struct json_object **row) KC_MUSTCHECK;
/* The first day to read: since (incremental) or the history's start. */
int	sync_first_day(struct sync_ctx *, char *since, char *today, size_t)
	    KC_MUSTCHECK;
/*
 * Where the type's report windows begin: the later of since ("" for
 * none) and the first day of its data (the type's sql_first_day over
 * what its list phase stored), never before its data_start.  *none is
 * set when it has no object a report could cover: send no report.
 */
int	sync_report_start(struct sync_ctx *, const char *since, char *start,
	    size_t, int *none) KC_MUSTCHECK;
/*
 * Report windows phase: [since, today] in windows of days, computed
 * once and saved in the cursor, so a resumed job reads exactly the
 * windows it had left; one(start, end, arg) per window.
 */
int	sync_windows_phase(struct sync_ctx *, struct json_object *cur,
	    const char *since, const char *today, int days,
	    int (*one)(struct sync_ctx *, const char *, const char *, void *),
	    void *arg) KC_MUSTCHECK;

/* sync_report.c: report requests. */
/*
 * The JSON:API body of the type's report over [start, end_incl] asking
 * for its counts and rates; NULL when out of memory.
 */
char	*sync_report_body(const struct sync_ctx *, const char *start,
	    const char *end_incl);
/* One result of a report page, with the page's date_times. */
typedef int (*sync_result_fn)(struct sync_ctx *, struct json_object *result,
    struct json_object *dates, void *arg);
/*
 * POSTs a report and feeds each page's results to fn as it arrives, so
 * only one page is in memory at a time.
 */
int	sync_report_pages(struct sync_ctx *, const char *body,
	    sync_result_fn, void *arg) KC_MUSTCHECK;
/* Feeds each result of report pages (a kv_call's data) to fn. */
int	sync_report_results(struct sync_ctx *, struct json_object *pages,
	    sync_result_fn, void *arg) KC_MUSTCHECK;
/*
 * What the runners make of report pages, without a database (the fuzz
 * harness in tests/fuzz): a series report's counts summed per object
 * and day into acc, a values report's statistics per "id|channel" into
 * the object acc.
 */
struct series_acc;
int	sync_series_fold(struct sync_ctx *, struct json_object *pages,
	    struct series_acc *) KC_MUSTCHECK;
int	sync_values_fold(struct sync_ctx *, struct json_object *pages,
	    struct json_object *acc) KC_MUSTCHECK;
/* Adds src's numbers for names into dst (a JSON object). */
int	sync_add_counts(struct json_object *dst, struct json_object *src,
	    const char *const *names, size_t n) KC_MUSTCHECK;

#endif
