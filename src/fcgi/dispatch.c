/* The request pipeline; see dispatch.h. */
#include "dispatch.h"

#include <stdio.h>
#include <string.h>

#include "audit.h"
#include "crypto.h"
#include "json_util.h"
#include "klaviyo_gate.h"
#include "log.h"
#include "readcache.h"

int
ctx_fail(struct kc_ctx *ctx, int rc, const char *msg)
{
	http_resp_error(ctx->resp, rc, msg);
	return rc;
}

int
ctx_fail_code(struct kc_ctx *ctx, int rc, const char *code, const char *msg)
{
	http_resp_error_code(ctx->resp, rc, code, msg);
	return rc;
}

void
ctx_reply(struct kc_ctx *ctx, int status, struct json_object *o)
{
	if (o == NULL) {
		ctx_fail(ctx, KC_ERR_NOMEM, NULL);
		return;
	}
	http_resp_json(ctx->resp, status, o);
}

/* The audit row of a refused store request (role as read at the start). */
static void
deny(struct kc_ctx *ctx, const struct store_access *a)
{
	struct json_object *d;

	if ((d = json_object_new_object()) != NULL &&
	    json_add_str(d, "method", ctx->req->method) == KC_OK &&
	    json_add_str(d, "path", ctx->req->path) == KC_OK &&
	    json_add_str(d, "role", a->role) == KC_OK &&
	    audit_log(ctx->db, ctx->user.id, a->store_id,
	    "permission_denied", "denied", ctx->req->remote_addr,
	    d) != KC_OK)
		log_warnx("audit of a permission denial failed");
	json_object_put(d);
}

int
ctx_store_access(struct kc_ctx *ctx, int need, struct store_access *a)
{
	const char		*id = route_param(&ctx->params,
	    "storePublicId");
	int			 rc;

	if (ctx->store_loaded) {
		/* Already read with the session: hand it over. */
		rc = ctx->store_loaded > 0 ? KC_OK : KC_ERR_NOT_FOUND;
		*a = ctx->store;
		memset(&ctx->store, 0, sizeof(ctx->store));
		ctx->store_loaded = 0;
	} else
		rc = perm_store_access(ctx->db, ctx->user.id, id ? id : "", a);
	if (rc == KC_ERR_NOT_FOUND)
		return ctx_fail(ctx, rc, "Store not found");
	if (rc != KC_OK)
		return ctx_fail(ctx, rc, NULL);
	if (need == STORE_MANAGE &&
	    !perm_can_manage(a->level, a->manage_integrations)) {
		deny(ctx, a);
		perm_access_clear(a);
		return ctx_fail(ctx, KC_ERR_FORBIDDEN,
		    "Insufficient permissions");
	}
	return KC_OK;
}

int
ctx_access_lost(struct kc_ctx *ctx, const struct store_access *a, int rc)
{
	if (rc == KC_ERR_NOT_FOUND)
		return ctx_fail(ctx, rc, "Store not found");
	if (rc != KC_ERR_FORBIDDEN)
		return rc;
	deny(ctx, a);
	return ctx_fail(ctx, rc, "Insufficient permissions");
}

int
ctx_redirect(struct kc_ctx *ctx, const char *location)
{
	struct json_object *o;

	if (strpbrk(location, "\r\n") != NULL)
		return ctx_fail(ctx, KC_ERR_INTERNAL, NULL);
	if (http_resp_header(ctx->resp, "Location", "%s", location) != KC_OK)
		return ctx_fail(ctx, KC_ERR_NOMEM, NULL);
	if ((o = json_object_new_object()) == NULL ||
	    json_add_bool(o, "success", 1) != KC_OK) {
		json_object_put(o);
		return ctx_fail(ctx, KC_ERR_NOMEM, NULL);
	}
	http_resp_json(ctx->resp, 302, o);
	return KC_OK;
}

/*
 * The session (and the route's store) from the worker's cache: 1 when
 * everything the request needs was there.
 */
static int
auth_cached(struct kc_ctx *ctx, const char *hash, const char *store)
{
	if (!readcache_session(ctx->cache, hash, &ctx->user))
		return 0;
	if (store == NULL)
		return 1;
	if (readcache_access(ctx->cache, ctx->user.id, store, &ctx->store) ==
	    KC_OK) {
		ctx->store_loaded = 1;
		return 1;
	}
	memset(&ctx->user, 0, sizeof(ctx->user));
	return 0;
}

/* What the database said, kept for the next requests of this worker. */
static void
auth_keep(struct kc_ctx *ctx, const char *hash)
{
	readcache_session_put(ctx->cache, hash, &ctx->user);
	if (ctx->store_loaded > 0)
		readcache_access_put(ctx->cache, ctx->user.id, &ctx->store);
}

/* Bearer first (scripts), then the session cookie (browsers). */
int
ctx_authenticate(struct kc_ctx *ctx)
{
	const char	*authz = http_req_param(ctx->req, "HTTP_AUTHORIZATION");
	const char	*cookie = http_req_param(ctx->req, "HTTP_COOKIE");
	const char	*store = route_param(&ctx->params, "storePublicId");
	char		 hash[SHA256_HEX_LEN + 1];
	int		 rc, found, cache;

	if (http_bearer_get(authz, ctx->token, sizeof(ctx->token)) == KC_OK)
		ctx->via_cookie = 0;
	else if (http_cookie_get(cookie, SESSION_COOKIE, ctx->token,
	    sizeof(ctx->token)) == KC_OK)
		ctx->via_cookie = 1;
	else
		return ctx_fail(ctx, KC_ERR_UNAUTHORIZED,
		    "Sign in to continue");
	if (store && !perm_public_id_valid(store))
		store = NULL;
	cache = ctx->cache && session_token_valid(ctx->token) &&
	    readcache_ready(ctx->cache, ctx->db);
	if (cache) {
		crypto_sha256_hex(ctx->token, strlen(ctx->token), hash);
		if (auth_cached(ctx, hash, store)) {
			ctx->authed = 1;
			return KC_OK;
		}
	}
	if (store) {
		rc = session_lookup_store(ctx->db, ctx->token, store,
		    &ctx->user, &ctx->store, &found);
		if (rc == KC_OK)
			ctx->store_loaded = found ? 1 : -1;
	} else
		rc = session_lookup(ctx->db, ctx->token, &ctx->user);
	if (rc == KC_ERR_UNAUTHORIZED)
		return ctx_fail(ctx, rc, "Your session has expired or is "
		    "invalid; sign in again");
	if (rc != KC_OK)
		return ctx_fail(ctx, rc, NULL);
	if (cache)
		auth_keep(ctx, hash);
	ctx->authed = 1;
	return KC_OK;
}

static int
read_json_body(struct kc_ctx *ctx, unsigned flags)
{
	struct http_req	*req = ctx->req;
	char		 err[256];
	int		 rc;

	if (req->content_length > HTTP_BODY_MAX)
		return ctx_fail(ctx, KC_ERR_TOO_LARGE, NULL);
	if (req->content_length <= 0 && !(flags & RT_BODY))
		return KC_OK;
	if (!http_is_json_type(req->content_type))
		return ctx_fail(ctx, KC_ERR_MEDIA_TYPE, NULL);
	if (req->content_length <= 0)
		return ctx_fail(ctx, KC_ERR_BAD_INPUT,
		    "Request body is empty; expected a JSON object");
	if ((rc = ctx->read_body(ctx, (size_t)req->content_length)) != KC_OK)
		return ctx_fail(ctx, rc, rc == KC_ERR_BAD_INPUT ?
		    "Request body is shorter than its Content-Length" : NULL);
	rc = json_parse_object(req->body, req->body_len, &ctx->body, err,
	    sizeof(err));
	if (rc != KC_OK)
		return ctx_fail(ctx, rc, err);
	return KC_OK;
}

/*
 * CSRF: a state-changing request with an Origin must come from APP_URL,
 * and one that a browser could send on its own (cookie or no session)
 * must be application/json, which a cross-site form cannot produce.
 */
static int
check_csrf(struct kc_ctx *ctx, unsigned flags)
{
	const char *origin = http_req_param(ctx->req, "HTTP_ORIGIN");

	if (!(flags & RT_MUTATES))
		return KC_OK;
	if (!http_origin_allowed(origin, ctx->app_origin))
		return ctx_fail(ctx, KC_ERR_FORBIDDEN, "Cross-origin request "
		    "refused: the Origin does not match APP_URL");
	if ((ctx->via_cookie || !(flags & RT_AUTH)) &&
	    !http_is_json_type(ctx->req->content_type))
		return ctx_fail(ctx, KC_ERR_MEDIA_TYPE,
		    "State-changing requests must be sent as "
		    "application/json");
	return KC_OK;
}

void
dispatch(struct kc_ctx *ctx, const struct route *routes, size_t n)
{
	const struct route	*rt;
	struct kgate		 gate;
	char			 allow[128];
	int			 rc;

	rc = router_match(routes, n, ctx->req->method, ctx->req->path, &rt,
	    &ctx->params, allow, sizeof(allow));
	if (rc == KC_OK)
		ctx->route = rt;
	if (rc == KC_ERR_NOT_FOUND) {
		ctx_fail(ctx, rc, "No such route");
		return;
	}
	if (rc == KC_ERR_METHOD) {
		ctx_fail(ctx, rc, NULL);
		if (http_resp_header(ctx->resp, "Allow", "%s", allow) !=
		    KC_OK)
			ctx_fail(ctx, KC_ERR_INTERNAL, NULL);
		return;
	}
	if ((rt->flags & (RT_BODY | RT_BODY_OPT)) &&
	    read_json_body(ctx, rt->flags) != KC_OK)
		return;
	/* A write is never authorised by a session that just ended. */
	if (ctx->cache && (rt->flags & RT_MUTATES))
		readcache_strict(ctx->cache);
	if ((rt->flags & RT_AUTH) && ctx_authenticate(ctx) != KC_OK)
		return;
	if (check_csrf(ctx, rt->flags) != KC_OK)
		return;
	if ((rt->flags & RT_KLAVIYO) && kgate_enter(ctx, &gate) != KC_OK)
		return;
	rc = rt->handler(ctx);
	if (rt->flags & RT_KLAVIYO)
		kgate_leave(ctx, &gate);
	if (rc != KC_OK && ctx->resp->err == KC_OK)
		ctx_fail(ctx, rc, NULL);
	if (ctx->resp->status >= 500 && ctx->resp->err != KC_OK &&
	    ctx->resp->err != KC_ERR_DB_DOWN)
		log_warnx("%s %s failed: %s", ctx->req->method, rt->pattern,
		    kc_strerror(ctx->resp->err));
}
