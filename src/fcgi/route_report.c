/*
 * POST /api/v1/reports/full_sync: the built-in report server, so a
 * deployment of the original app can point REPORT_SERVER at us.  Bearer
 * REPORT_SERVER_KEY (compared in constant time), the seed's payload,
 * 202 with the jobs; the same Idempotency-Key twice starts one sync.
 */
#include "routes.h"

#include <stdio.h>
#include <string.h>

#include "crypto.h"
#include "dispatch.h"
#include "json_util.h"
#include "report.h"

static int
authorized(struct kc_ctx *ctx)
{
	const char	*want = ctx->cfg->report_server_key;
	char		 got[512];
	unsigned char	 a[32], b[32];
	int		 ok;

	if (want == NULL || *want == '\0' ||
	    http_bearer_get(http_req_param(ctx->req, "HTTP_AUTHORIZATION"),
	    got, sizeof(got)) != KC_OK)
		return 0;
	/* Hash both: equal lengths, and no early exit on the first byte. */
	crypto_sha256(got, strlen(got), a);
	crypto_sha256(want, strlen(want), b);
	ok = crypto_equal(a, b, sizeof(a));
	crypto_wipe(got, sizeof(got));
	return ok;
}

int
route_report_full_sync(struct kc_ctx *ctx)
{
	struct json_object	*jobs = NULL, *o = NULL, *prev = NULL;
	const char		*key;
	char			 err[256];
	int			 rc;

	if (!authorized(ctx))
		return ctx_fail(ctx, KC_ERR_UNAUTHORIZED, "A valid bearer "
		    "REPORT_SERVER_KEY is required");
	if ((rc = report_payload_check(ctx->body, err, sizeof(err))) != KC_OK)
		return ctx_fail(ctx, rc, err);
	key = http_req_param(ctx->req, "HTTP_IDEMPOTENCY_KEY");
	if (key && (strlen(key) == 0 || strlen(key) > 200))
		return ctx_fail(ctx, KC_ERR_BAD_INPUT, "Idempotency-Key must "
		    "be 1 to 200 characters");
	if ((rc = db_begin(ctx->db)) != KC_OK)
		return rc;
	if (key) {
		if ((rc = report_request_seen(ctx->db, key, &prev)) != KC_OK)
			goto fail;
		if (prev != NULL) {
			db_rollback(ctx->db);
			ctx_reply(ctx, 202, prev);
			return KC_OK;
		}
	}
	rc = report_full_sync(ctx->db, json_get_str(ctx->body,
	    "store_public_id"), json_get_str(ctx->body, "klaviyo_public_id"),
	    json_get_str(ctx->body, "klaviyo_connection_id"),
	    json_get_bool(ctx->body, "do_not_order_sync"), 0, &jobs);
	if (rc == KC_ERR_NOT_FOUND) {
		db_rollback(ctx->db);
		return ctx_fail(ctx, rc, "No connected store has this "
		    "store_public_id and klaviyo_public_id (and "
		    "klaviyo_connection_id, when given)");
	}
	if (rc != KC_OK)
		goto fail;
	rc = KC_ERR_NOMEM;
	if ((o = json_object_new_object()) == NULL ||
	    json_add_bool(o, "success", 1) != KC_OK)
		goto fail;
	rc = json_add_obj(o, "jobs", jobs);
	jobs = NULL;
	if (rc != KC_OK)
		goto fail;
	if (key && (rc = report_request_remember(ctx->db, key, o)) != KC_OK)
		goto fail;
	if ((rc = db_commit(ctx->db)) != KC_OK)
		goto fail;
	ctx_reply(ctx, 202, o);
	return KC_OK;
fail:
	db_rollback(ctx->db);
	json_object_put(jobs);
	json_object_put(o);
	if (rc == KC_ERR_CONFLICT)
		return ctx_fail(ctx, rc, "A request with this Idempotency-Key "
		    "is being processed; retry");
	return rc;
}
