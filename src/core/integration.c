/*
 * The integration's typed form, its JSON and its status view; see
 * integration.h.  Reading and writing go through one field list each
 * way, so what is stored and what a client sees are the same fields.
 */
#include "integration.h"

#include <stdlib.h>
#include <string.h>

#include "json_util.h"

static const char *const status_names[] = {
	[INTEG_NOT_CONFIGURED] = "not_configured",
	[INTEG_CONNECTED] = "connected",
	[INTEG_DISCONNECTED] = "disconnected",
	[INTEG_ERROR] = "error",
};
static const char *const auth_names[] = {
	[INTEG_AUTH_NONE] = NULL,
	[INTEG_AUTH_API_KEY] = "api_key",
	[INTEG_AUTH_OAUTH] = "oauth",
};

const char *
integ_status_name(enum integ_status s)
{
	return (size_t)s < nitems(status_names) ? status_names[s] :
	    "not_configured";
}

const char *
integ_auth_name(enum integ_auth a)
{
	return (size_t)a < nitems(auth_names) ? auth_names[a] : NULL;
}

int
integ_configured(const struct integration *in)
{
	return in->status != INTEG_NOT_CONFIGURED;
}

int
integ_set(char **field, const char *v)
{
	char *copy = NULL;

	if (v != NULL && (copy = strdup(v)) == NULL)
		return KC_ERR_NOMEM;
	free(*field);
	*field = copy;
	return KC_OK;
}

void
integ_clear(struct integration *in)
{
	size_t i;

	free(in->account_id);
	free(in->account.id);
	free(in->account.name);
	free(in->account.timezone);
	free(in->account.currency);
	free(in->account.website_url);
	free(in->api_key_hint);
	free(in->metric.id);
	free(in->metric.name);
	free(in->metric.integration);
	free(in->connected_at);
	free(in->last_sync);
	for (i = 0; i < SYNC_TYPE_COUNT; i++)
		free(in->last_update[i]);
	json_object_put(in->last_error);
	memset(in, 0, sizeof(*in));
}

/* A string member copied into *field; absent, null or "" leave NULL. */
static int
get_str(struct json_object *o, const char *key, char **field)
{
	const char *v = json_get_str(o, key);

	return integ_set(field, v && *v ? v : NULL);
}

int
integ_set_account(struct integration *in, struct json_object *a)
{
	int rc;

	if ((rc = get_str(a, "id", &in->account.id)) != KC_OK ||
	    (rc = get_str(a, "name", &in->account.name)) != KC_OK ||
	    (rc = get_str(a, "timezone", &in->account.timezone)) != KC_OK ||
	    (rc = get_str(a, "currency", &in->account.currency)) != KC_OK)
		return rc;
	return get_str(a, "website_url", &in->account.website_url);
}

int
integ_set_metric(struct integration *in, struct json_object *m)
{
	int rc;

	if ((rc = get_str(m, "id", &in->metric.id)) != KC_OK ||
	    (rc = get_str(m, "name", &in->metric.name)) != KC_OK ||
	    (rc = get_str(m, "integration", &in->metric.integration)) !=
	    KC_OK)
		return rc;
	in->metric.shopify_placed_order = json_get_bool(m,
	    "isShopifyPlacedOrder");
	return KC_OK;
}

static int
parse_status(const char *s, enum integ_status *out)
{
	size_t i;

	*out = INTEG_NOT_CONFIGURED;
	if (s == NULL)
		return KC_OK;
	for (i = 0; i < nitems(status_names); i++)
		if (strcmp(s, status_names[i]) == 0) {
			*out = (enum integ_status)i;
			return KC_OK;
		}
	return KC_ERR_INTERNAL;
}

int
integ_from_json(struct json_object *o, struct integration *in)
{
	struct json_object	*v;
	const char		*auth;
	size_t			 i;
	int			 rc;

	memset(in, 0, sizeof(*in));
	if (!json_object_is_type(o, json_type_object))
		return KC_ERR_INTERNAL;
	/* A status that is there must be a string (and one we know). */
	if (json_object_object_get_ex(o, "status", &v) && v != NULL &&
	    !json_object_is_type(v, json_type_string))
		return KC_ERR_INTERNAL;
	if ((rc = parse_status(json_get_str(o, "status"), &in->status)) !=
	    KC_OK)
		return rc;
	auth = json_get_str(o, "auth_method");
	in->auth = auth == NULL ? INTEG_AUTH_NONE : strcmp(auth, "oauth") ==
	    0 ? INTEG_AUTH_OAUTH : INTEG_AUTH_API_KEY;
	if ((rc = get_str(o, "public_id", &in->account_id)) != KC_OK ||
	    (rc = get_str(o, "api_key_hint", &in->api_key_hint)) != KC_OK ||
	    (rc = get_str(o, "connected_at", &in->connected_at)) != KC_OK ||
	    (rc = get_str(o, "last_sync", &in->last_sync)) != KC_OK)
		goto fail;
	if (json_object_object_get_ex(o, "account", &v) &&
	    (rc = integ_set_account(in, v)) != KC_OK)
		goto fail;
	if (json_object_object_get_ex(o, "conversion_metric", &v) &&
	    (rc = integ_set_metric(in, v)) != KC_OK)
		goto fail;
	/* The seed kept only the id. */
	if (in->metric.id == NULL && (rc = get_str(o, "conversion_metric_id",
	    &in->metric.id)) != KC_OK)
		goto fail;
	in->is_updating_dashboard = json_get_bool(o, "is_updating_dashboard");
	for (i = 0; i < SYNC_TYPE_COUNT; i++)
		if (sync_types[i].last_update_field && (rc = get_str(o,
		    sync_types[i].last_update_field, &in->last_update[i])) !=
		    KC_OK)
			goto fail;
	if (json_object_object_get_ex(o, "last_error", &v) && v != NULL &&
	    (json_object_is_type(v, json_type_string) ||
	    json_object_is_type(v, json_type_object)))
		in->last_error = json_object_get(v);
	return KC_OK;
fail:
	integ_clear(in);
	return rc;
}

int
integ_parse(const char *text, struct integration *in)
{
	struct json_object	*o = NULL;
	char			 err[128];
	int			 rc;

	memset(in, 0, sizeof(*in));
	if (text == NULL || json_parse_object(text, strlen(text), &o, err,
	    sizeof(err)) != KC_OK)
		return KC_ERR_INTERNAL;
	rc = integ_from_json(o, in);
	json_object_put(o);
	return rc;
}

/* Adds key: v when v is set (the stored form leaves absent fields out). */
static int
put_str(struct json_object *o, const char *key, const char *v)
{
	return v ? json_add_str(o, key, v) : KC_OK;
}

static int
account_json(const struct integ_account *a, struct json_object *o)
{
	if (put_str(o, "id", a->id) != KC_OK ||
	    put_str(o, "name", a->name) != KC_OK ||
	    put_str(o, "timezone", a->timezone) != KC_OK ||
	    put_str(o, "currency", a->currency) != KC_OK ||
	    put_str(o, "website_url", a->website_url) != KC_OK)
		return KC_ERR_NOMEM;
	return KC_OK;
}

static int
metric_json(const struct integ_metric *m, struct json_object *o)
{
	if (put_str(o, "id", m->id) != KC_OK ||
	    put_str(o, "name", m->name) != KC_OK ||
	    put_str(o, "integration", m->integration) != KC_OK ||
	    json_add_bool(o, "isShopifyPlacedOrder",
	    m->shopify_placed_order) != KC_OK)
		return KC_ERR_NOMEM;
	return KC_OK;
}

/* The configured fields, in the seed's order. */
static int
configured_json(const struct integration *in, struct json_object *o)
{
	struct json_object	*a = NULL, *m = NULL;
	size_t			 i;

	if (put_str(o, "auth_method", integ_auth_name(in->auth)) != KC_OK ||
	    put_str(o, "public_id", in->account_id) != KC_OK)
		return KC_ERR_NOMEM;
	if (in->account.id || in->account.name) {
		if ((a = json_object_new_object()) == NULL ||
		    account_json(&in->account, a) != KC_OK) {
			json_object_put(a);
			return KC_ERR_NOMEM;
		}
		if (json_add_obj(o, "account", a) != KC_OK)
			return KC_ERR_NOMEM;
	}
	if (put_str(o, "api_key_hint", in->api_key_hint) != KC_OK)
		return KC_ERR_NOMEM;
	if (in->metric.id) {
		if (json_add_str(o, "conversion_type", "value") != KC_OK ||
		    (m = json_object_new_object()) == NULL ||
		    metric_json(&in->metric, m) != KC_OK) {
			json_object_put(m);
			return KC_ERR_NOMEM;
		}
		if (json_add_obj(o, "conversion_metric", m) != KC_OK ||
		    json_add_str(o, "conversion_metric_id", in->metric.id) !=
		    KC_OK)
			return KC_ERR_NOMEM;
	}
	if (put_str(o, "connected_at", in->connected_at) != KC_OK ||
	    put_str(o, "last_sync", in->last_sync) != KC_OK ||
	    json_add_bool(o, "is_updating_dashboard",
	    in->is_updating_dashboard) != KC_OK ||
	    json_add_obj(o, "last_error", json_object_get(in->last_error)) !=
	    KC_OK)
		return KC_ERR_NOMEM;
	for (i = 0; i < SYNC_TYPE_COUNT; i++)
		if (sync_types[i].last_update_field && put_str(o,
		    sync_types[i].last_update_field, in->last_update[i]) !=
		    KC_OK)
			return KC_ERR_NOMEM;
	return KC_OK;
}

int
integ_to_json(const struct integration *in, struct json_object **out)
{
	struct json_object *o;

	*out = NULL;
	if ((o = json_object_new_object()) == NULL)
		return KC_ERR_NOMEM;
	if (json_add_str(o, "status", integ_status_name(in->status)) !=
	    KC_OK || (integ_configured(in) && configured_json(in, o) !=
	    KC_OK)) {
		json_object_put(o);
		return KC_ERR_NOMEM;
	}
	*out = o;
	return KC_OK;
}

int
integ_public_json(const char *text, struct json_object **out)
{
	struct integration	in;
	int			rc;

	*out = NULL;
	if ((rc = integ_parse(text, &in)) != KC_OK)
		return rc;
	rc = integ_to_json(&in, out);
	integ_clear(&in);
	return rc;
}

int
integ_status_json(const char *text, struct json_object *sync,
    const char *sync_status, int can_manage, struct json_object **out)
{
	struct json_object	*o = NULL, *integ = NULL;
	const char		*status;
	int			 rc;

	*out = NULL;
	if ((rc = integ_public_json(text, &integ)) != KC_OK)
		goto out;
	status = json_get_str(integ, "status");
	if (strcmp(status, "not_configured") != 0 && sync_status &&
	    (rc = json_add_str(integ, "sync_status", sync_status)) != KC_OK)
		goto out;
	rc = KC_ERR_NOMEM;
	if ((o = json_object_new_object()) == NULL ||
	    json_add_bool(o, "success", 1) != KC_OK)
		goto out;
	rc = json_add_obj(o, "klaviyo_integration", integ);
	integ = NULL;		/* taken over, even on failure */
	if (rc != KC_OK)
		goto out;
	if (sync == NULL && (sync = json_object_new_object()) == NULL) {
		rc = KC_ERR_NOMEM;
		goto out;
	}
	rc = json_add_obj(o, "sync", sync);
	sync = NULL;
	if (rc != KC_OK ||
	    (rc = json_add_bool(o, "can_manage", can_manage)) != KC_OK)
		goto out;
	*out = o;
	o = NULL;
out:
	json_object_put(sync);
	json_object_put(integ);
	json_object_put(o);
	return rc;
}
