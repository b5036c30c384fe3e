/*
 * GET /metrics: Prometheus's text format (opstats.h): the counters every
 * worker adds to, then the queues as the database has them now (one
 * cheap statement per scrape).  nginx serves it only on an internal
 * location (nginx/snippet.conf.in: loopback unless widened).
 */
#include <stdlib.h>

#include "buf.h"
#include "ctx.h"
#include "dispatch.h"
#include "opstats.h"
#include "queue_stats.h"
#include "routes.h"

#define PROM_TYPE "text/plain; version=0.0.4; charset=utf-8"
#define PROM_MAX (1024 * 1024)

int
route_prom_metrics(struct kc_ctx *ctx)
{
	struct queue_stats	 qs;
	struct buf		 b;
	char			*body;
	int			 db_ok;

	buf_init(&b, PROM_MAX);
	/* A database that is down still gets the counters scraped. */
	db_ok = queue_stats_read(ctx->db, &qs) == KC_OK;
	if (opstats_render(&b, routes, nroutes) != KC_OK ||
	    opstats_render_queues(&b, db_ok ? &qs : NULL) != KC_OK ||
	    (body = buf_steal(&b)) == NULL) {
		buf_free(&b);
		return ctx_fail(ctx, KC_ERR_NOMEM, NULL);
	}
	http_resp_text(ctx->resp, 200, PROM_TYPE, body);
	return KC_OK;
}
