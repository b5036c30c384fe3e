/*
 * The OAuth control API: /__sandbox/oauth (settings and grants),
 * /__sandbox/oauth/expire and /__sandbox/oauth/revoke.
 */
#include "oauth_impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "json_util.h"
#include "log.h"
#include "sandbox.h"

/* Control API: /__sandbox/oauth[/expire|/revoke]. */

static struct json_object *
grant_json(struct sbx_app *app, size_t i, uint64_t now)
{
	const struct oa_grant	*g = &app->oauth->grants[i];
	struct json_object	*o;
	char			 id[24], s[SCOPES_STR_MAX];
	size_t			 j, live = 0;

	for (j = 0; j < g->naccess; j++)
		live += g->revoked_by == NULL && oa_access_live(&g->access[j],
		    now);
	snprintf(id, sizeof(id), "g%zu", i + 1);
	oa_scopes_str(g->scopes, s, sizeof(s));
	if ((o = json_object_new_object()) == NULL)
		return NULL;
	if (json_add_str(o, "id", id) != KC_OK ||
	    json_add_str(o, "account", app->data->acc[g->acc].id) != KC_OK ||
	    json_add_str(o, "scopes", s) != KC_OK ||
	    json_add_int(o, "refreshes", g->refreshes) != KC_OK ||
	    json_add_int(o, "access_tokens_issued", g->issued) != KC_OK ||
	    json_add_int(o, "access_tokens_live", (long long)live) != KC_OK ||
	    json_add_bool(o, "revoked", g->revoked_by != NULL) != KC_OK ||
	    json_add_str(o, "revoked_by", g->revoked_by) != KC_OK) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

static void
ctl_state(struct sbx_app *app, const struct sbx_req *req,
    struct sbx_resp *resp)
{
	struct sbx_oauth	*o = app->oauth;
	struct json_object	*j, *arr, *g;
	uint64_t		 now = sbx_now_us();
	size_t			 i;

	(void)req;
	if ((j = json_object_new_object()) == NULL)
		goto fail;
	if (json_add_str(j, "client_id", o->enabled ? o->client_id : NULL) !=
	    KC_OK ||
	    json_add_int(j, "access_token_ttl", o->ttl) != KC_OK ||
	    json_add_bool(j, "rotate_refresh_tokens", o->rotate) != KC_OK ||
	    (arr = json_object_new_array()) == NULL ||
	    json_add_obj(j, "grants", arr) != KC_OK)
		goto fail;
	for (i = 0; i < o->ngrants; i++)
		if ((g = grant_json(app, i, now)) == NULL ||
		    json_object_array_add(arr, g) != 0) {
			json_object_put(g);
			goto fail;
		}
	sbx_ctl_reply(resp, 200, j);
	return;
fail:
	json_object_put(j);
	sbx_ctl_reply(resp, 500, NULL);
}

/* POST /__sandbox/oauth {"access_token_ttl":N,"rotate_refresh_tokens":b} */
static void
ctl_set(struct sbx_app *app, const struct sbx_req *req,
    struct sbx_resp *resp)
{
	struct sbx_oauth	*o = app->oauth;
	struct json_object	*body = NULL, *v;
	char			 err[256];
	long			 ttl = o->ttl;
	int			 rotate = o->rotate;
	int64_t			 n;

	if (req->body_len > 0 && json_parse_object(req->body, req->body_len,
	    &body, err, sizeof(err)) != KC_OK) {
		sbx_ctl_reply_str(resp, 400, "error", err);
		return;
	}
	if (body != NULL) {
		json_object_object_foreach(body, k, val) {
			if (strcmp(k, "access_token_ttl") != 0 &&
			    strcmp(k, "rotate_refresh_tokens") != 0) {
				snprintf(err, sizeof(err), "unknown field "
				    "'%.64s': access_token_ttl, "
				    "rotate_refresh_tokens", k);
				sbx_ctl_reply_str(resp, 400, "error", err);
				goto out;
			}
			(void)val;
		}
	}
	if (json_object_object_get_ex(body, "access_token_ttl", &v)) {
		n = json_object_get_int64(v);
		if (!json_object_is_type(v, json_type_int) || n < 1 ||
		    n > SBX_OAUTH_TTL_MAX) {
			sbx_ctl_reply_str(resp, 400, "error",
			    "access_token_ttl must be an integer from 1 to "
			    "31622400");
			goto out;
		}
		ttl = (long)n;
	}
	if (json_object_object_get_ex(body, "rotate_refresh_tokens", &v)) {
		if (!json_object_is_type(v, json_type_boolean)) {
			sbx_ctl_reply_str(resp, 400, "error",
			    "rotate_refresh_tokens must be true or false");
			goto out;
		}
		rotate = json_object_get_boolean(v);
	}
	o->ttl = ttl;
	o->rotate = rotate;
	log_info("oauth: access tokens last %ld s, refresh rotation %s",
	    ttl, rotate ? "on" : "off");
	ctl_state(app, req, resp);
out:
	json_object_put(body);
}

/* Every live access token expires now. */
static void
ctl_expire(struct sbx_app *app, const struct sbx_req *req,
    struct sbx_resp *resp)
{
	struct sbx_oauth	*o = app->oauth;
	struct oa_grant		*g;
	uint64_t		 now = sbx_now_us();
	size_t			 i, j;
	long long		 n = 0;

	(void)req;
	for (i = 0; i < o->ngrants; i++) {
		g = &o->grants[i];
		for (j = 0; j < g->naccess; j++) {
			if (g->revoked_by != NULL ||
			    !oa_access_live(&g->access[j], now))
				continue;
			g->access[j].expires_us = now;
			n++;
		}
	}
	sbx_ctl_reply_int(resp, "expired", n);
}

/* The user uninstalled the app: every grant of an account goes. */
static void
ctl_revoke(struct sbx_app *app, const struct sbx_req *req,
    struct sbx_resp *resp)
{
	static const struct jfield fields[] = {
		{ "account", JF_STRING, 1, 64 },
	};
	struct sbx_oauth	*o = app->oauth;
	struct json_object	*body = NULL;
	char			 err[256];
	size_t			 i, idx;
	long long		 n = 0;

	if (json_parse_object(req->body, req->body_len, &body, err,
	    sizeof(err)) != KC_OK ||
	    json_check_fields(body, fields, sizeof(fields) /
	    sizeof(fields[0]), err, sizeof(err)) != KC_OK) {
		sbx_ctl_reply_str(resp, 400, "error", err);
		goto out;
	}
	if (oa_account_by_id(app->data, json_get_str(body, "account"), &idx) ==
	    NULL) {
		sbx_ctl_reply_str(resp, 404, "error",
		    "no account has this id or key");
		goto out;
	}
	for (i = 0; i < o->ngrants; i++) {
		if (o->grants[i].acc != idx || o->grants[i].revoked_by != NULL)
			continue;
		oa_grant_revoke(&o->grants[i], "sandbox");
		n++;
	}
	/* Codes not yet exchanged die with the consent. */
	for (i = 0; i < o->ncodes; i++)
		if (o->codes[i].acc == idx)
			o->codes[i].expires_us = 0;
	log_info("oauth: %lld grant%s of account %s revoked", n,
	    n == 1 ? "" : "s", app->data->acc[idx].id);
	sbx_ctl_reply_int(resp, "revoked", n);
out:
	json_object_put(body);
}

/* DELETE /__sandbox/oauth: grants and codes forgotten, settings reset. */
static void
ctl_reset(struct sbx_app *app, const struct sbx_req *req,
    struct sbx_resp *resp)
{
	struct sbx_oauth	*o = app->oauth;
	long long		 n = (long long)o->ngrants;

	(void)req;
	oa_clear(o);
	o->ttl = o->ttl0;
	o->rotate = 1;
	sbx_ctl_reply_int(resp, "cleared", n);
}

static const struct sbx_ctl_route routes[] = {
	{ "", "GET", ctl_state },
	{ "", "POST", ctl_set },
	{ "", "DELETE", ctl_reset },
	{ "expire", "POST", ctl_expire },
	{ "revoke", "POST", ctl_revoke },
};

void
sbx_oauth_ctl(struct sbx_app *app, const struct sbx_req *req,
    struct sbx_resp *resp)
{
	const char	*rest = req->path + strlen(CTL_PREFIX);
	const char	*p = rest + (*rest == '/');
	char		 name[16];
	size_t		 n = strcspn(p, "/");

	/* "", "/", "/expire", "/expire/": no empty segment but the last. */
	if (n >= sizeof(name) || (n == 0 && *p != '\0') ||
	    (p[n] == '/' && p[n + 1] != '\0')) {
		sbx_ctl_reply_str(resp, 404, "error",
		    "unknown control endpoint");
		return;
	}
	memcpy(name, p, n);
	name[n] = '\0';
	sbx_ctl_dispatch(app, req, resp, routes, sizeof(routes) /
	    sizeof(routes[0]), name);
}
