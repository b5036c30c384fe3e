/* Shared operational counters; see opstats.h. */
#include "opstats.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

/* Request latency bucket bounds, seconds (Prometheus's defaults). */
static const double lat_bounds[] = {
	0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
};
#define NBOUNDS nitems(lat_bounds)

struct opstats_region {
	uint64_t	req[OPSTATS_ROUTES_MAX][OPSTATS_STATUS_MAX];
	uint64_t	lat[OPSTATS_ROUTES_MAX][NBOUNDS + 1];	/* +Inf last */
	uint64_t	lat_sum_us[OPSTATS_ROUTES_MAX];
	uint64_t	kv[KV__MAX][OPSTATS_STATUS_MAX];
	uint64_t	rate_waits;
	uint64_t	rate_wait_ms;
	uint64_t	jobs_ok;
	uint64_t	jobs_failed;
};

static struct opstats_region *R;

int
opstats_init(void)
{
	void *p;

	p = mmap(NULL, sizeof(*R), PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return KC_ERR_NOMEM;
	R = p;		/* zero-filled by the kernel */
	return KC_OK;
}

void
opstats_fini(void)
{
	if (R != NULL)
		munmap(R, sizeof(*R));
	R = NULL;
}

static void
add(uint64_t *c, uint64_t v)
{
	__atomic_fetch_add(c, v, __ATOMIC_RELAXED);
}

static uint64_t
get(const uint64_t *c)
{
	return __atomic_load_n(c, __ATOMIC_RELAXED);
}

static int
status_index(long status)
{
	return status >= 0 && status < OPSTATS_STATUS_MAX ? (int)status : 0;
}

void
opstats_request(size_t route, int status, double ms)
{
	size_t b;

	if (R == NULL)
		return;
	if (route >= OPSTATS_ROUTES_MAX)
		route = OPSTATS_UNMATCHED;
	if (ms < 0)
		ms = 0;
	add(&R->req[route][status_index(status)], 1);
	for (b = 0; b < NBOUNDS && ms / 1000.0 > lat_bounds[b]; b++)
		;
	add(&R->lat[route][b], 1);
	add(&R->lat_sum_us[route], (uint64_t)(ms * 1000.0));
}

void
opstats_klaviyo(enum kv_endpoint ep, long status)
{
	if (R != NULL && (int)ep >= 0 && ep < KV__MAX)
		add(&R->kv[ep][status_index(status)], 1);
}

void
opstats_rate_wait(double seconds)
{
	if (R == NULL)
		return;
	add(&R->rate_waits, 1);
	add(&R->rate_wait_ms, seconds > 0 ? (uint64_t)(seconds * 1000.0) : 0);
}

void
opstats_job_end(int failed)
{
	if (R != NULL)
		add(failed ? &R->jobs_failed : &R->jobs_ok, 1);
}

static int
head(struct buf *b, const char *name, const char *type, const char *help)
{
	return buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name,
	    type);
}

/* route="...",method="..." of a route id. */
static void
route_labels(const struct route *routes, size_t n, size_t id, char *out,
    size_t len)
{
	if (id < n && id != OPSTATS_UNMATCHED)
		snprintf(out, len, "route=\"%s\",method=\"%s\"",
		    routes[id].pattern, routes[id].method);
	else
		snprintf(out, len, "route=\"unmatched\",method=\"\"");
}

static int
render_requests(struct buf *b, const struct route *routes, size_t n)
{
	char		 lab[256];
	uint64_t	 v, cum;
	size_t		 r, k;
	int		 s, rc;

	if ((rc = head(b, "kc_http_requests_total", "counter",
	    "Requests answered, by route pattern, method and status.")) !=
	    KC_OK)
		return rc;
	for (r = 0; r < OPSTATS_ROUTES_MAX; r++) {
		route_labels(routes, n, r, lab, sizeof(lab));
		for (s = 0; s < OPSTATS_STATUS_MAX; s++)
			if ((v = get(&R->req[r][s])) != 0 &&
			    (rc = buf_printf(b, "kc_http_requests_total{%s,"
			    "status=\"%d\"} %llu\n", lab, s,
			    (unsigned long long)v)) != KC_OK)
				return rc;
	}
	if ((rc = head(b, "kc_http_request_duration_seconds", "histogram",
	    "Time from the request's arrival in the worker to its answer.")) !=
	    KC_OK)
		return rc;
	for (r = 0; r < OPSTATS_ROUTES_MAX; r++) {
		for (cum = 0, k = 0; k <= NBOUNDS; k++)
			cum += get(&R->lat[r][k]);
		if (cum == 0)
			continue;	/* a route never asked for */
		route_labels(routes, n, r, lab, sizeof(lab));
		for (cum = 0, k = 0; k <= NBOUNDS; k++) {
			cum += get(&R->lat[r][k]);
			if (k < NBOUNDS)
				rc = buf_printf(b, "kc_http_request_duration_"
				    "seconds_bucket{%s,le=\"%g\"} %llu\n", lab,
				    lat_bounds[k], (unsigned long long)cum);
			else
				rc = buf_printf(b, "kc_http_request_duration_"
				    "seconds_bucket{%s,le=\"+Inf\"} %llu\n",
				    lab, (unsigned long long)cum);
			if (rc != KC_OK)
				return rc;
		}
		if ((rc = buf_printf(b, "kc_http_request_duration_seconds_sum"
		    "{%s} %.6f\nkc_http_request_duration_seconds_count{%s} "
		    "%llu\n", lab, (double)get(&R->lat_sum_us[r]) / 1e6, lab,
		    (unsigned long long)cum)) != KC_OK)
			return rc;
	}
	return KC_OK;
}

static int
render_klaviyo(struct buf *b)
{
	uint64_t	 v, n429;
	int		 e, s, rc;

	if ((rc = head(b, "kc_klaviyo_requests_total", "counter",
	    "HTTP requests to Klaviyo by endpoint and status (0: no answer)."))
	    != KC_OK)
		return rc;
	for (e = 0; e < KV__MAX; e++)
		for (s = 0; s < OPSTATS_STATUS_MAX; s++)
			if ((v = get(&R->kv[e][s])) != 0 &&
			    (rc = buf_printf(b, "kc_klaviyo_requests_total{"
			    "endpoint=\"%s\",status=\"%d\"} %llu\n",
			    kv_endpoints[e].name, s,
			    (unsigned long long)v)) != KC_OK)
				return rc;
	if ((rc = head(b, "kc_klaviyo_rate_limited_total", "counter",
	    "429 answers received from Klaviyo.")) != KC_OK)
		return rc;
	for (n429 = 0, e = 0; e < KV__MAX; e++)
		n429 += get(&R->kv[e][429]);
	if ((rc = buf_printf(b, "kc_klaviyo_rate_limited_total %llu\n",
	    (unsigned long long)n429)) != KC_OK)
		return rc;
	if ((rc = head(b, "kc_klaviyo_rate_waits_total", "counter",
	    "Requests held back for their rate-limit slot.")) != KC_OK ||
	    (rc = buf_printf(b, "kc_klaviyo_rate_waits_total %llu\n",
	    (unsigned long long)get(&R->rate_waits))) != KC_OK ||
	    (rc = head(b, "kc_klaviyo_rate_wait_seconds_total", "counter",
	    "Time requests were held back for their rate-limit slot.")) !=
	    KC_OK)
		return rc;
	return buf_printf(b, "kc_klaviyo_rate_wait_seconds_total %.3f\n",
	    (double)get(&R->rate_wait_ms) / 1000.0);
}

int
opstats_render(struct buf *b, const struct route *routes, size_t n)
{
	int rc;

	if (R == NULL)
		return KC_OK;
	if (n > 0 && (rc = render_requests(b, routes, n)) != KC_OK)
		return rc;
	if ((rc = render_klaviyo(b)) != KC_OK)
		return rc;
	if ((rc = head(b, "kc_sync_jobs_ended_total", "counter",
	    "Sync jobs this process ran to their end, by outcome (error: "
	    "failed or queued again for a retry).")) != KC_OK)
		return rc;
	return buf_printf(b, "kc_sync_jobs_ended_total{outcome=\"ok\"} %llu\n"
	    "kc_sync_jobs_ended_total{outcome=\"error\"} %llu\n",
	    (unsigned long long)get(&R->jobs_ok),
	    (unsigned long long)get(&R->jobs_failed));
}

int
opstats_render_gauge(struct buf *b, const char *name, const char *help,
    long long v)
{
	int rc;

	if ((rc = head(b, name, "gauge", help)) != KC_OK)
		return rc;
	return buf_printf(b, "%s %lld\n", name, v);
}

int
opstats_render_queues(struct buf *b, const struct queue_stats *qs)
{
	int rc;

	if ((rc = opstats_render_gauge(b, "kc_database_up", "1 when the "
	    "database answered this scrape's queue query.", qs != NULL)) !=
	    KC_OK || qs == NULL)
		return rc;
	if ((rc = head(b, "kc_sync_jobs", "gauge",
	    "Sync jobs in the database by state (failed ones are kept "
	    "PRUNE_JOBS_DAYS).")) != KC_OK ||
	    (rc = buf_printf(b, "kc_sync_jobs{state=\"queued\"} %lld\n"
	    "kc_sync_jobs{state=\"running\"} %lld\n"
	    "kc_sync_jobs{state=\"failed\"} %lld\n", qs->jobs_queued,
	    qs->jobs_running, qs->jobs_failed)) != KC_OK)
		return rc;
	if ((rc = opstats_render_gauge(b, "kc_sync_oldest_queued_seconds",
	    "How long the oldest due queued job has waited (0: none).",
	    qs->oldest_queued_s)) != KC_OK ||
	    (rc = opstats_render_gauge(b, "kc_outbox_pending",
	    "Report triggers not yet delivered.", qs->outbox_pending)) !=
	    KC_OK)
		return rc;
	return opstats_render_gauge(b, "kc_outbox_oldest_seconds",
	    "Age of the oldest report trigger not yet delivered (0: none).",
	    qs->oldest_outbox_s);
}

/* name: [a-zA-Z_:][a-zA-Z0-9_:]* ; returns the end or NULL. */
static const char *
metric_name(const char *p)
{
	if (!(isalpha((unsigned char)*p) || *p == '_' || *p == ':'))
		return NULL;
	while (isalnum((unsigned char)*p) || *p == '_' || *p == ':')
		p++;
	return p;
}

/* {a="x",b="y"}; returns the end or NULL. */
static const char *
labels(const char *p)
{
	if (*p != '{')
		return p;
	p++;
	while (*p != '}') {
		if ((p = metric_name(p)) == NULL || *p++ != '=' ||
		    *p++ != '"')
			return NULL;
		while (*p != '"') {
			if (*p == '\0' || *p == '\n')
				return NULL;
			if (*p == '\\' && p[1] != '\0')
				p++;
			p++;
		}
		p++;
		if (*p == ',')
			p++;
		else if (*p != '}')
			return NULL;
	}
	return p + 1;
}

static int
line_valid(const char *p, const char *end)
{
	char	*num_end;

	if (strncmp(p, "# HELP ", 7) == 0 || strncmp(p, "# TYPE ", 7) == 0)
		return metric_name(p + 7) != NULL;
	if ((p = metric_name(p)) == NULL || (p = labels(p)) == NULL ||
	    *p++ != ' ')
		return 0;
	if (strncmp(p, "+Inf", 4) == 0 || strncmp(p, "NaN", 3) == 0)
		return 1;
	(void)strtod(p, &num_end);
	return num_end != p && num_end == end;
}

int
opstats_text_valid(const char *s)
{
	const char	*nl;
	char		 line[1024];
	size_t		 len;

	if (*s == '\0')
		return 0;
	while (*s) {
		if ((nl = strchr(s, '\n')) == NULL)
			return 0;	/* every line ends with \n */
		len = (size_t)(nl - s);
		if (len == 0 || len >= sizeof(line))
			return 0;
		memcpy(line, s, len);
		line[len] = '\0';
		if (!line_valid(line, line + len))
			return 0;
		s = nl + 1;
	}
	return 1;
}
