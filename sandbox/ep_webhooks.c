/*
 * The Webhooks API of klaviyo-sandbox (webhooks:read, webhooks:write;
 * 1/s and 15/m like the spec): topics, and webhooks created, listed,
 * changed and deleted per account.  An account without access (the
 * control API switches it off; at Klaviyo only app partners and
 * Advanced KDP accounts have it) gets 403 on every call.  The secret key
 * is kept and never answered; endpoint_url is answered "truncated for
 * security": scheme and host (with its port) only.
 */
#include "webhooks.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "crypto.h"
#include "json_util.h"
#include "jsonapi.h"

static int
no_access(struct sbx_ctx *ctx, struct sbx_resp *resp, int *rc)
{
	if (sbx_hooks_access(ctx->app->hooks, ctx->acc_idx))
		return 0;
	*rc = sbx_reply_error(ctx->app, resp, 403, "permission_denied",
	    "You do not have permission to perform this action.",
	    "This account does not have access to the Webhooks API "
	    "(available to Klaviyo app partners and Advanced KDP accounts).",
	    NULL, NULL);
	return 1;
}

static int
bad_body(struct sbx_ctx *ctx, struct sbx_resp *resp, const char *detail,
    const char *pointer)
{
	return sbx_reply_error(ctx->app, resp, 400, "invalid",
	    "Invalid input.", detail, "pointer", pointer);
}

void
sbx_url_truncate(const char *url, char *out, size_t len)
{
	const char	*p = strstr(url, "://"), *host, *at;
	size_t		 n;

	if (p == NULL) {
		snprintf(out, len, "%s", "");
		return;
	}
	host = p + 3;
	n = strcspn(host, "/?#");
	/* No user:password@ in what is answered. */
	if ((at = memchr(host, '@', n)) != NULL) {
		n -= (size_t)(at + 1 - host);
		host = at + 1;
	}
	snprintf(out, len, "%.*s://%.*s", (int)(p - url), url, (int)n, host);
}

int
sbx_webhook_url_ok(const char *url, int allow_http, const char **why)
{
	const char	*host, *p;
	size_t		 n;

	if (strlen(url) > SBX_WH_URL_MAX) {
		*why = "endpoint_url is too long.";
		return 0;
	}
	if (strncmp(url, "https://", 8) == 0)
		host = url + 8;
	else if (allow_http && strncmp(url, "http://", 7) == 0)
		host = url + 7;
	else {
		*why = "endpoint_url must be an https URL.";
		return 0;
	}
	for (p = url; *p != '\0'; p++)
		if ((unsigned char)*p <= ' ' || (unsigned char)*p >= 0x7f ||
		    *p == '#') {
			*why = "endpoint_url must be a URL without spaces, "
			    "control characters or a fragment.";
			return 0;
		}
	n = strcspn(host, "/?");
	if (n == 0 || host[0] == ':' || host[0] == '@') {
		*why = "endpoint_url has no host.";
		return 0;
	}
	return 1;
}

/* The webhook as the API answers it: no secret, the URL cut. */
static struct json_object *
webhook_json(const struct sbx_ctx *ctx, const struct sbx_webhook *w)
{
	struct json_object	*o, *at, *rels, *rel, *data, *links;
	const char		*fields;
	char			 url[SBX_WH_URL_MAX + 8], self[512];
	size_t			 i;

	if ((o = sbx_res_new("webhook", w->id, &at)) == NULL)
		return NULL;
	sbx_url_truncate(w->url, url, sizeof(url));
	if (json_add_str(at, "name", w->name) != KC_OK ||
	    json_add_str(at, "description", w->description) != KC_OK ||
	    json_add_str(at, "endpoint_url", url) != KC_OK ||
	    json_add_bool(at, "enabled", w->enabled) != KC_OK ||
	    sbx_add_time(at, "created_at", w->created) != KC_OK ||
	    sbx_add_time(at, "updated_at", w->updated) != KC_OK)
		goto fail;
	if ((fields = sbx_query_get(&ctx->q, "fields[webhook]")) != NULL &&
	    sbx_fields_prune(at, fields) != KC_OK)
		goto fail;
	if ((rels = json_object_new_object()) == NULL ||
	    json_add_obj(o, "relationships", rels) != KC_OK ||
	    (rel = json_object_new_object()) == NULL ||
	    json_add_obj(rels, "webhook-topics", rel) != KC_OK ||
	    (data = json_object_new_array()) == NULL ||
	    json_add_obj(rel, "data", data) != KC_OK)
		goto fail;
	for (i = 0; i < w->ntopics; i++)
		if (sbx_arr_add(data, sbx_ref_new("webhook-topic",
		    w->topics[i])) != KC_OK)
			goto fail;
	if ((links = json_object_new_object()) == NULL ||
	    json_add_obj(rel, "links", links) != KC_OK)
		goto fail;
	snprintf(self, sizeof(self), "%s/api/webhooks/%s/relationships/"
	    "webhook-topics/", ctx->base, w->id);
	if (json_add_str(links, "self", self) != KC_OK)
		goto fail;
	snprintf(self, sizeof(self), "%s/api/webhooks/%s/webhook-topics/",
	    ctx->base, w->id);
	if (json_add_str(links, "related", self) != KC_OK)
		goto fail;
	snprintf(self, sizeof(self), "%s/api/webhooks/%s/", ctx->base, w->id);
	if ((links = json_object_new_object()) == NULL ||
	    json_add_obj(o, "links", links) != KC_OK ||
	    json_add_str(links, "self", self) != KC_OK)
		goto fail;
	return o;
fail:
	json_object_put(o);
	return NULL;
}

static struct json_object *
topic_json(const struct sbx_ctx *ctx, const char *topic)
{
	struct json_object	*o, *links;
	char			 self[512];

	snprintf(self, sizeof(self), "%s/api/webhook-topics/%s/", ctx->base,
	    topic);
	if ((o = sbx_ref_new("webhook-topic", topic)) == NULL)
		return NULL;
	if ((links = json_object_new_object()) == NULL ||
	    json_add_obj(o, "links", links) != KC_OK ||
	    json_add_str(links, "self", self) != KC_OK) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

/*
 * {"data": data, "links": {"self": ...}} answered with status: self is
 * the resource (coll/path_id) when coll is not NULL, else the request.
 */
static int
reply_doc(struct sbx_ctx *ctx, struct sbx_resp *resp, int status,
    struct json_object *data, struct json_object *included, const char *coll)
{
	struct json_object	*doc, *links;
	char			*self = NULL;
	int			 rc;

	if (data == NULL || (doc = json_object_new_object()) == NULL) {
		json_object_put(data);
		json_object_put(included);
		return KC_ERR_NOMEM;
	}
	rc = KC_ERR_NOMEM;
	if (json_add_obj(doc, "data", data) != KC_OK ||
	    (included != NULL && json_add_obj(doc, "included", included) !=
	    KC_OK))
		goto out;
	if (coll != NULL) {
		char url[640];

		snprintf(url, sizeof(url), "%s/api/%s/%s/", ctx->base, coll,
		    ctx->path_id);
		if ((self = strdup(url)) == NULL)
			goto out;
	} else if ((rc = sbx_page_link(ctx, "", NULL, &self)) != KC_OK)
		goto out;
	rc = KC_ERR_NOMEM;
	if ((links = json_object_new_object()) == NULL ||
	    json_add_obj(doc, "links", links) != KC_OK ||
	    json_add_str(links, "self", self) != KC_OK)
		goto out;
	rc = sbx_reply_json(resp, status, doc);
out:
	free(self);
	json_object_put(doc);
	return rc;
}

int
sbx_handle_webhook_topics(struct sbx_ctx *ctx, struct sbx_resp *resp)
{
	struct json_object	*topics, *data;
	size_t			 i;
	int			 rc;

	if (no_access(ctx, resp, &rc))
		return rc;
	if ((topics = sbx_topics(ctx->acc)) == NULL ||
	    (data = json_object_new_array()) == NULL) {
		json_object_put(topics);
		return KC_ERR_NOMEM;
	}
	for (i = 0; i < json_object_array_length(topics); i++)
		if (sbx_arr_add(data, topic_json(ctx, json_object_get_string(
		    json_object_array_get_idx(topics, i)))) != KC_OK) {
			json_object_put(topics);
			json_object_put(data);
			return KC_ERR_NOMEM;
		}
	json_object_put(topics);
	return reply_doc(ctx, resp, 200, data, NULL, NULL);
}

int
sbx_handle_webhook_topic(struct sbx_ctx *ctx, struct sbx_resp *resp)
{
	char	detail[256];
	int	rc;

	if (no_access(ctx, resp, &rc))
		return rc;
	if (!sbx_topic_exists(ctx->acc, ctx->path_id)) {
		snprintf(detail, sizeof(detail), "A webhook topic with id "
		    "%.128s does not exist.", ctx->path_id);
		return sbx_reply_error(ctx->app, resp, 404, "not_found",
		    "Not found.", detail, NULL, NULL);
	}
	return reply_doc(ctx, resp, 200, topic_json(ctx, ctx->path_id), NULL,
	    "webhook-topics");
}

/* The topics of webhooks as included resources, each once. */
static int
add_included(struct sbx_ctx *ctx, struct sbx_webhook *const *w, size_t n,
    struct json_object **out)
{
	struct json_object	*inc, *seen;
	size_t			 i, j;

	*out = NULL;
	if ((inc = json_object_new_array()) == NULL)
		return KC_ERR_NOMEM;
	if ((seen = json_object_new_object()) == NULL) {
		json_object_put(inc);
		return KC_ERR_NOMEM;
	}
	for (i = 0; i < n; i++)
		for (j = 0; j < w[i]->ntopics; j++) {
			if (json_object_object_get_ex(seen, w[i]->topics[j],
			    NULL))
				continue;
			if (json_add_bool(seen, w[i]->topics[j], 1) != KC_OK ||
			    sbx_arr_add(inc, topic_json(ctx,
			    w[i]->topics[j])) != KC_OK) {
				json_object_put(seen);
				json_object_put(inc);
				return KC_ERR_NOMEM;
			}
		}
	json_object_put(seen);
	*out = inc;
	return KC_OK;
}

static int
wants_topics(const struct sbx_ctx *ctx)
{
	const char *inc = sbx_query_get(&ctx->q, "include");

	return inc != NULL && sbx_list_has(inc, "webhook-topics");
}

int
sbx_handle_webhooks_get(struct sbx_ctx *ctx, struct sbx_resp *resp)
{
	struct sbx_hooks	 *h = ctx->app->hooks;
	struct sbx_webhook	**mine = NULL;
	struct json_object	 *data, *inc = NULL;
	size_t			  i, n = 0;
	int			  rc;

	if (no_access(ctx, resp, &rc))
		return rc;
	if ((mine = calloc(h->nhooks + 1, sizeof(*mine))) == NULL)
		return KC_ERR_NOMEM;
	for (i = 0; i < h->nhooks; i++)
		if (h->hooks[i].acc == ctx->acc_idx)
			mine[n++] = &h->hooks[i];
	rc = KC_ERR_NOMEM;
	if ((data = json_object_new_array()) == NULL)
		goto out;
	for (i = 0; i < n; i++)
		if (sbx_arr_add(data, webhook_json(ctx, mine[i])) != KC_OK) {
			json_object_put(data);
			goto out;
		}
	if (wants_topics(ctx) && (rc = add_included(ctx, mine, n, &inc)) !=
	    KC_OK) {
		json_object_put(data);
		goto out;
	}
	rc = reply_doc(ctx, resp, 200, data, inc, NULL);
out:
	free(mine);
	return rc;
}

static int
not_found(struct sbx_ctx *ctx, struct sbx_resp *resp)
{
	char detail[256];

	snprintf(detail, sizeof(detail), "A webhook with id %.64s does not "
	    "exist.", ctx->path_id);
	return sbx_reply_error(ctx->app, resp, 404, "not_found", "Not found.",
	    detail, NULL, NULL);
}

int
sbx_handle_webhook_get(struct sbx_ctx *ctx, struct sbx_resp *resp)
{
	struct sbx_webhook	*w;
	struct json_object	*inc = NULL;
	int			 rc;

	if (no_access(ctx, resp, &rc))
		return rc;
	if ((w = sbx_hooks_find(ctx->app->hooks, ctx->acc_idx,
	    ctx->path_id)) == NULL)
		return not_found(ctx, resp);
	if (wants_topics(ctx) && (rc = add_included(ctx, &w, 1, &inc)) !=
	    KC_OK)
		return rc;
	return reply_doc(ctx, resp, 200, webhook_json(ctx, w), inc,
	    "webhooks");
}

/*
 * Topics of relationships.webhook-topics.data: each known to the
 * account, each kept once.  *detail and *ptr say what is wrong.
 */
static int
parse_topics(struct sbx_ctx *ctx, struct json_object *rels,
    struct sbx_webhook *w, char *detail, size_t dlen, char *ptr,
    size_t plen)
{
	struct json_object	*rel, *data, *item;
	const char		*type, *id;
	size_t			 i, j, n;
	int			 dup;

	snprintf(ptr, plen, "/data/relationships/webhook-topics/data");
	if (!json_object_object_get_ex(rels, "webhook-topics", &rel) ||
	    !json_object_object_get_ex(rel, "data", &data) ||
	    !json_object_is_type(data, json_type_array) ||
	    (n = json_object_array_length(data)) == 0) {
		snprintf(detail, dlen, "relationships.webhook-topics.data "
		    "must list at least one webhook topic.");
		return KC_ERR_BAD_INPUT;
	}
	if (n > SBX_WH_TOPICS_MAX) {
		snprintf(detail, dlen, "A webhook may have at most %d topics.",
		    SBX_WH_TOPICS_MAX);
		return KC_ERR_BAD_INPUT;
	}
	if ((w->topics = calloc(n, sizeof(*w->topics))) == NULL)
		return KC_ERR_NOMEM;
	for (i = 0; i < n; i++) {
		item = json_object_array_get_idx(data, i);
		snprintf(ptr, plen, "/data/relationships/webhook-topics/data/"
		    "%zu", i);
		type = json_object_is_type(item, json_type_object) ?
		    json_get_str(item, "type") : NULL;
		id = json_object_is_type(item, json_type_object) ?
		    json_get_str(item, "id") : NULL;
		if (type == NULL || strcmp(type, "webhook-topic") != 0 ||
		    id == NULL) {
			snprintf(detail, dlen, "Each topic must be {\"type\": "
			    "\"webhook-topic\", \"id\": \"...\"}.");
			return KC_ERR_BAD_INPUT;
		}
		if (!sbx_topic_exists(ctx->acc, id)) {
			snprintf(detail, dlen, "Invalid webhook topic "
			    "'%.128s': see GET /api/webhook-topics.", id);
			return KC_ERR_BAD_INPUT;
		}
		for (j = 0, dup = 0; j < w->ntopics && !dup; j++)
			dup = strcmp(w->topics[j], id) == 0;
		if (dup)
			continue;
		if ((w->topics[w->ntopics] = strdup(id)) == NULL)
			return KC_ERR_NOMEM;
		w->ntopics++;
	}
	return KC_OK;
}

/* A string attribute: absent (0), a string (1), or wrong (-1). */
static int
str_attr(struct json_object *at, const char *name, size_t max,
    int nullable, const char **out)
{
	struct json_object *v;

	*out = NULL;
	if (!json_object_object_get_ex(at, name, &v))
		return 0;
	if (v == NULL)
		return nullable ? 1 : -1;
	if (!json_object_is_type(v, json_type_string))
		return -1;
	*out = json_object_get_string(v);
	if (strlen(*out) > max || (!nullable && **out == '\0'))
		return -1;
	return 1;
}

/* data of a body, of type webhook; its attributes in *at. */
static int
body_data(struct sbx_ctx *ctx, struct sbx_resp *resp, struct json_object **doc,
    struct json_object **data, struct json_object **at, int *rc)
{
	const char *type;

	*doc = NULL;
	if (ctx->req->body_len == 0 || json_parse_object(ctx->req->body,
	    ctx->req->body_len, doc, NULL, 0) != KC_OK) {
		*rc = bad_body(ctx, resp, "The request body must be a JSON "
		    "object.", "/");
		return 0;
	}
	if (!json_object_object_get_ex(*doc, "data", data) ||
	    !json_object_is_type(*data, json_type_object)) {
		*rc = bad_body(ctx, resp, "'data' is a required object.",
		    "/data");
		return 0;
	}
	if ((type = json_get_str(*data, "type")) == NULL ||
	    strcmp(type, "webhook") != 0) {
		*rc = bad_body(ctx, resp, "data.type must be 'webhook'.",
		    "/data/type");
		return 0;
	}
	if (!json_object_object_get_ex(*data, "attributes", at) ||
	    !json_object_is_type(*at, json_type_object)) {
		*rc = bad_body(ctx, resp, "'attributes' is a required object.",
		    "/data/attributes");
		return 0;
	}
	return 1;
}

/* Another webhook of the account with the same URL, or NULL. */
static struct sbx_webhook *
same_url(struct sbx_hooks *h, size_t acc, const char *url,
    const struct sbx_webhook *self)
{
	size_t i;

	for (i = 0; i < h->nhooks; i++)
		if (h->hooks[i].acc == acc && &h->hooks[i] != self &&
		    strcmp(h->hooks[i].url, url) == 0)
			return &h->hooks[i];
	return NULL;
}

static int
duplicate(struct sbx_ctx *ctx, struct sbx_resp *resp,
    const struct sbx_webhook *other)
{
	char detail[256];

	snprintf(detail, sizeof(detail), "A webhook with this endpoint_url "
	    "already exists: %s.", other->id);
	return sbx_reply_error(ctx->app, resp, 409, "duplicate_webhook",
	    "Conflict.", detail, "pointer", "/data/attributes/endpoint_url");
}

int
sbx_handle_webhook_create(struct sbx_ctx *ctx, struct sbx_resp *resp)
{
	struct sbx_hooks	*h = ctx->app->hooks;
	struct sbx_webhook	 w, *other, *stored;
	struct json_object	*doc = NULL, *data, *at, *rels;
	const char		*name, *desc, *url, *secret, *why;
	char			 detail[300], ptr[96];
	int			 rc = KC_OK;

	memset(&w, 0, sizeof(w));
	if (no_access(ctx, resp, &rc) ||
	    !body_data(ctx, resp, &doc, &data, &at, &rc))
		goto out;
	if (str_attr(at, "name", SBX_WH_NAME_MAX, 0, &name) != 1) {
		rc = bad_body(ctx, resp, "'name' is required: a string of 1 "
		    "to 255 characters.", "/data/attributes/name");
		goto out;
	}
	if (str_attr(at, "description", 1000, 1, &desc) < 0) {
		rc = bad_body(ctx, resp, "'description' must be a string or "
		    "null.", "/data/attributes/description");
		goto out;
	}
	if (str_attr(at, "endpoint_url", SBX_WH_URL_MAX, 0, &url) != 1) {
		rc = bad_body(ctx, resp, "'endpoint_url' is required.",
		    "/data/attributes/endpoint_url");
		goto out;
	}
	if (!sbx_webhook_url_ok(url, h->allow_http, &why)) {
		rc = bad_body(ctx, resp, why, "/data/attributes/endpoint_url");
		goto out;
	}
	if (str_attr(at, "secret_key", SBX_WH_SECRET_MAX, 0, &secret) != 1) {
		rc = bad_body(ctx, resp, "'secret_key' is required: a string "
		    "of 1 to 512 characters.", "/data/attributes/secret_key");
		goto out;
	}
	if (!json_object_object_get_ex(data, "relationships", &rels) ||
	    !json_object_is_type(rels, json_type_object)) {
		rc = bad_body(ctx, resp, "'relationships' with webhook-topics "
		    "is required.", "/data/relationships");
		goto out;
	}
	if ((rc = parse_topics(ctx, rels, &w, detail, sizeof(detail), ptr,
	    sizeof(ptr))) != KC_OK) {
		if (rc == KC_ERR_BAD_INPUT)
			rc = bad_body(ctx, resp, detail, ptr);
		goto out;
	}
	if ((other = same_url(h, ctx->acc_idx, url, NULL)) != NULL) {
		rc = duplicate(ctx, resp, other);
		goto out;
	}
	if (sbx_hooks_count(h, ctx->acc_idx) >= SBX_WH_PER_ACCOUNT) {
		snprintf(detail, sizeof(detail), "An account may have at "
		    "most %d webhooks.", SBX_WH_PER_ACCOUNT);
		rc = bad_body(ctx, resp, detail, "/data");
		goto out;
	}
	rc = KC_ERR_NOMEM;
	if ((w.name = strdup(name)) == NULL || (desc != NULL &&
	    (w.description = strdup(desc)) == NULL) ||
	    (w.url = strdup(url)) == NULL ||
	    (w.secret = strdup(secret)) == NULL)
		goto out;
	sbx_hooks_new_id(h, w.id);
	w.acc = ctx->acc_idx;
	w.enabled = 1;
	w.created = w.updated = (int64_t)time(NULL);
	if ((rc = sbx_hooks_add(h, &w)) != KC_OK)
		goto out;
	stored = &h->hooks[h->nhooks - 1];
	snprintf(ctx->path_id, sizeof(ctx->path_id), "%s", stored->id);
	rc = reply_doc(ctx, resp, 201, webhook_json(ctx, stored), NULL,
	    "webhooks");
out:
	sbx_webhook_free_fields(&w);
	json_object_put(doc);
	return rc;
}

/* Replaces *dst with a copy of src (NULL: null). */
static int
set_str(char **dst, const char *src)
{
	char *s = NULL;

	if (src != NULL && (s = strdup(src)) == NULL)
		return KC_ERR_NOMEM;
	free(*dst);
	*dst = s;
	return KC_OK;
}

/*
 * PATCH: every attribute optional (null leaves name, URL and secret
 * as they are), topics replaced when relationships are sent.  Checks
 * everything before changing anything.
 */
int
sbx_handle_webhook_update(struct sbx_ctx *ctx, struct sbx_resp *resp)
{
	struct sbx_hooks	*h = ctx->app->hooks;
	struct sbx_webhook	*w, nt, *other;
	struct json_object	*doc = NULL, *data, *at, *rels, *v;
	const char		*name, *desc, *url, *secret, *id, *why;
	char			 detail[300], ptr[96];
	int			 rc = KC_OK, has_desc, enabled = -1;
	int			 nrel = 0;

	memset(&nt, 0, sizeof(nt));
	if (no_access(ctx, resp, &rc))
		goto out;
	if ((w = sbx_hooks_find(h, ctx->acc_idx, ctx->path_id)) == NULL) {
		rc = not_found(ctx, resp);
		goto out;
	}
	if (!body_data(ctx, resp, &doc, &data, &at, &rc))
		goto out;
	if ((id = json_get_str(data, "id")) == NULL ||
	    strcmp(id, ctx->path_id) != 0) {
		rc = bad_body(ctx, resp, "data.id must be the webhook's id "
		    "in the path.", "/data/id");
		goto out;
	}
	if (str_attr(at, "name", SBX_WH_NAME_MAX, 1, &name) < 0 ||
	    (name != NULL && *name == '\0')) {
		rc = bad_body(ctx, resp, "'name' must be a string of 1 to 255 "
		    "characters.", "/data/attributes/name");
		goto out;
	}
	if ((has_desc = str_attr(at, "description", 1000, 1, &desc)) < 0) {
		rc = bad_body(ctx, resp, "'description' must be a string or "
		    "null.", "/data/attributes/description");
		goto out;
	}
	if (str_attr(at, "endpoint_url", SBX_WH_URL_MAX, 1, &url) < 0 ||
	    (url != NULL && !sbx_webhook_url_ok(url, h->allow_http, &why))) {
		rc = bad_body(ctx, resp, url == NULL ? "'endpoint_url' must "
		    "be a string." : why, "/data/attributes/endpoint_url");
		goto out;
	}
	if (str_attr(at, "secret_key", SBX_WH_SECRET_MAX, 1, &secret) < 0 ||
	    (secret != NULL && *secret == '\0')) {
		rc = bad_body(ctx, resp, "'secret_key' must be a string of 1 "
		    "to 512 characters.", "/data/attributes/secret_key");
		goto out;
	}
	if (json_object_object_get_ex(at, "enabled", &v) && v != NULL) {
		if (!json_object_is_type(v, json_type_boolean)) {
			rc = bad_body(ctx, resp, "'enabled' must be true or "
			    "false.", "/data/attributes/enabled");
			goto out;
		}
		enabled = json_object_get_boolean(v);
	}
	if (json_object_object_get_ex(data, "relationships", &rels) &&
	    rels != NULL) {
		nrel = 1;
		if ((rc = parse_topics(ctx, rels, &nt, detail, sizeof(detail),
		    ptr, sizeof(ptr))) != KC_OK) {
			if (rc == KC_ERR_BAD_INPUT)
				rc = bad_body(ctx, resp, detail, ptr);
			goto out;
		}
	}
	if (url != NULL && (other = same_url(h, ctx->acc_idx, url, w)) !=
	    NULL) {
		rc = duplicate(ctx, resp, other);
		goto out;
	}
	if ((name != NULL && (rc = set_str(&w->name, name)) != KC_OK) ||
	    (has_desc && (rc = set_str(&w->description, desc)) != KC_OK) ||
	    (url != NULL && (rc = set_str(&w->url, url)) != KC_OK))
		goto out;
	if (secret != NULL) {
		crypto_wipe(w->secret, strlen(w->secret));
		if ((rc = set_str(&w->secret, secret)) != KC_OK)
			goto out;
	}
	if (enabled >= 0)
		w->enabled = enabled;
	if (nrel) {
		char	**t = w->topics;
		size_t	  n = w->ntopics;

		w->topics = nt.topics;
		w->ntopics = nt.ntopics;
		nt.topics = t;
		nt.ntopics = n;
	}
	w->updated = (int64_t)time(NULL);
	rc = reply_doc(ctx, resp, 200, webhook_json(ctx, w), NULL,
	    "webhooks");
out:
	sbx_webhook_free_fields(&nt);
	json_object_put(doc);
	return rc;
}

int
sbx_handle_webhook_delete(struct sbx_ctx *ctx, struct sbx_resp *resp)
{
	struct sbx_webhook	*w;
	int			 rc;

	if (no_access(ctx, resp, &rc))
		return rc;
	if ((w = sbx_hooks_find(ctx->app->hooks, ctx->acc_idx,
	    ctx->path_id)) == NULL)
		return not_found(ctx, resp);
	sbx_hooks_remove(ctx->app->hooks, w);
	return sbx_resp_set_body(resp, 204, "", "", 0);
}
