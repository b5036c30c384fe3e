/*
 * Operational counters in Prometheus's text format (version 0.0.4):
 * requests by route and status, a latency histogram, Klaviyo requests by
 * endpoint and status, rate-limit waits and sync jobs.  They live in one
 * region of fixed arrays that opstats_init maps MAP_SHARED|MAP_ANONYMOUS:
 * the FastCGI master maps it before forking, so every prefork worker
 * adds to the same numbers with __atomic builtins (no lock is ever held,
 * a scrape reads while workers write).  A program that never calls
 * opstats_init (klaviyo-admin, the unit tests) counts nothing.
 */
#ifndef KC_OPSTATS_H
#define KC_OPSTATS_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "kc_err.h"
#include "klaviyo.h"
#include "queue_stats.h"
#include "router.h"

#define OPSTATS_ROUTES_MAX	32	/* route ids 0..30, 31: no route */
#define OPSTATS_UNMATCHED	(OPSTATS_ROUTES_MAX - 1)
#define OPSTATS_STATUS_MAX	600	/* HTTP status 0..599; 0: no answer */

/* Maps the region; KC_ERR_NOMEM when mmap fails.  Call once. */
int	opstats_init(void) KC_MUSTCHECK;
/* Unmaps it (the counting stops). */
void	opstats_fini(void);

/* One request: route id (index in the route table) or OPSTATS_UNMATCHED. */
void	opstats_request(size_t route, int status, double ms);
/* One HTTP request to Klaviyo; status 0 when no answer came. */
void	opstats_klaviyo(enum kv_endpoint, long status);
/* A request held back for its rate-limit slot. */
void	opstats_rate_wait(double seconds);
/* A sync job ended; failed when it ended with an error (or a retry). */
void	opstats_job_end(int failed);

/* Appends every counter; the route table names the route ids. */
int	opstats_render(struct buf *, const struct route *routes,
	    size_t nroutes) KC_MUSTCHECK;
/* Appends the queue gauges (qs NULL: the database did not answer). */
int	opstats_render_queues(struct buf *, const struct queue_stats *qs)
	    KC_MUSTCHECK;
/* Appends one gauge with its HELP and TYPE lines. */
int	opstats_render_gauge(struct buf *, const char *name, const char *help,
	    long long value) KC_MUSTCHECK;
/* 1 when s is valid exposition text: HELP/TYPE comments, name{labels} v. */
int	opstats_text_valid(const char *s);

#endif
