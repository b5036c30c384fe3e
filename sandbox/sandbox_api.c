/*
 * The request pipeline of klaviyo-sandbox.  Every request outside
 * /__sandbox/ is a Klaviyo request and goes through, in order:
 *
 *   request log -> faults (key, path, X-Sandbox-Fault) -> route (404,
 *   405) -> Authorization (401) -> revision (400) -> Accept (406) ->
 *   scope (403) -> rate limits (429) -> query parameters (400) ->
 *   the endpoint's handler (200)
 *
 * A key or a live OAuth access token (Bearer, sandbox_oauth.c) selects
 * the account; a token brings its grant's scopes.  /oauth/ requests are
 * logged and faulted the same way, then answered by sandbox_oauth.c;
 * /__sandbox/oauth is its control API.
 *
 * Answers have Klaviyo's shapes: JSON:API documents and
 * {"errors":[{id,status,code,title,detail,source}]}, with
 * RateLimit-Limit/-Remaining/-Reset on every answer that counted against
 * a bucket, and Retry-After on a 429 (which, as at Klaviyo, carries no
 * RateLimit-* headers).
 */
#include "sandbox.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>
#include <time.h>

#include "json_util.h"
#include "log.h"
#include "sandbox_ctl.h"
#include "sandbox_oauth.h"
#include "sandbox_rate.h"

#define JSONAPI_TYPE	"application/vnd.api+json"

static const char cloudflare_html[] =
    "<!DOCTYPE html>\n"
    "<!--[if lt IE 7]> <html class=\"no-js ie6 oldie\" lang=\"en-US\">"
    " <![endif]-->\n"
    "<html class=\"no-js\" lang=\"en-US\">\n"
    "<head>\n"
    "<title>Attention Required! | Cloudflare</title>\n"
    "<meta charset=\"UTF-8\" />\n"
    "<meta http-equiv=\"Content-Type\" content=\"text/html; "
    "charset=UTF-8\" />\n"
    "<meta name=\"robots\" content=\"noindex, nofollow\" />\n"
    "</head>\n"
    "<body>\n"
    "<div id=\"cf-wrapper\">\n"
    "<div id=\"cf-error-details\" class=\"cf-error-details-wrapper\">\n"
    "<h1 data-translate=\"block_headline\">Sorry, you have been "
    "blocked</h1>\n"
    "<h2 class=\"cf-subheadline\">You are unable to access "
    "klaviyo.com</h2>\n"
    "<p>This website is using a security service to protect itself from "
    "online attacks. The action you just performed triggered the "
    "security solution.</p>\n"
    "<p>Cloudflare Ray ID: <strong class=\"font-semibold\">"
    "8f3c2a1b9d7e6f50</strong> &bull; Performance &amp; security by "
    "Cloudflare</p>\n"
    "</div>\n"
    "</div>\n"
    "</body>\n"
    "</html>\n";

int
sbx_reply_json(struct sbx_resp *resp, int status, struct json_object *o)
{
	const char *s;

	s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
	    JSON_C_TO_STRING_NOSLASHESCAPE);
	if (s == NULL)
		return KC_ERR_NOMEM;
	return sbx_resp_set_body(resp, status, JSONAPI_TYPE, s, strlen(s));
}

/* A version 4 UUID from a counter: unique, deterministic. */
static void
error_id(struct sbx_app *app, char *out, size_t outlen)
{
	struct sbx_rng	 r;
	uint64_t	 a, b;

	sbx_rng_seed(&r, ++app->err_seq, "error-id");
	a = sbx_rng_next(&r);
	b = sbx_rng_next(&r);
	snprintf(out, outlen, "%08x-%04x-4%03x-%04x-%012llx",
	    (unsigned)(a >> 32), (unsigned)((a >> 16) & 0xffff),
	    (unsigned)(a & 0xfff), (unsigned)(0x8000 | ((b >> 48) & 0x3fff)),
	    (unsigned long long)(b & 0xffffffffffffULL));
}

struct json_object *
sbx_error_new(struct sbx_app *app, int status, const char *code,
    const char *title, const char *detail, const char *source_kind,
    const char *source_value)
{
	struct json_object	*e, *src;
	char			 id[48];

	error_id(app, id, sizeof(id));
	if ((e = json_object_new_object()) == NULL)
		return NULL;
	if (json_add_str(e, "id", id) != KC_OK ||
	    json_add_int(e, "status", status) != KC_OK ||
	    json_add_str(e, "code", code) != KC_OK ||
	    json_add_str(e, "title", title) != KC_OK ||
	    json_add_str(e, "detail", detail) != KC_OK ||
	    (src = json_object_new_object()) == NULL ||
	    json_add_obj(e, "source", src) != KC_OK ||
	    json_add_str(src, source_kind ? source_kind : "pointer",
	    source_value ? source_value : "/data/") != KC_OK) {
		json_object_put(e);
		return NULL;
	}
	return e;
}

int
sbx_reply_errors(struct sbx_resp *resp, int status, struct json_object *errs)
{
	struct json_object	*doc;
	int			 rc;

	if ((doc = json_object_new_object()) == NULL)
		return KC_ERR_NOMEM;
	if (json_add_obj(doc, "errors", json_object_get(errs)) != KC_OK) {
		json_object_put(doc);
		return KC_ERR_NOMEM;
	}
	rc = sbx_reply_json(resp, status, doc);
	json_object_put(doc);
	return rc;
}

int
sbx_reply_error(struct sbx_app *app, struct sbx_resp *resp, int status,
    const char *code, const char *title, const char *detail,
    const char *source_kind, const char *source_value)
{
	struct json_object	*errs, *e;
	int			 rc = KC_ERR_NOMEM;

	if ((errs = json_object_new_array()) == NULL)
		return KC_ERR_NOMEM;
	if ((e = sbx_error_new(app, status, code, title, detail,
	    source_kind, source_value)) == NULL ||
	    json_object_array_add(errs, e) != 0) {
		json_object_put(e);
		goto out;
	}
	rc = sbx_reply_errors(resp, status, errs);
out:
	json_object_put(errs);
	return rc;
}

/* "http://host:port" from the request, for absolute links. */
static void
base_url(const struct sbx_req *req, char *out, size_t outlen)
{
	const char	*host, *proto, *p;

	if ((host = sbx_req_header(req, "X-Forwarded-Host")) == NULL)
		host = sbx_req_header(req, "Host");
	if (host == NULL || *host == '\0' || strlen(host) > 255)
		host = "127.0.0.1";
	for (p = host; *p; p++)
		if (!isalnum((unsigned char)*p) && strchr(".-:[]_", *p) ==
		    NULL) {
			host = "127.0.0.1";
			break;
		}
	proto = sbx_req_header(req, "X-Forwarded-Proto");
	if (proto == NULL || strcmp(proto, "https") != 0)
		proto = "http";
	snprintf(out, outlen, "%s://%s", proto, host);
}

/* Prefixes root-relative links of a resource with the base URL. */
static int
absolutize(struct json_object *item, const char *base)
{
	struct json_object	*links, *rels;
	char			 url[512];
	int			 rc;

	if (json_object_object_get_ex(item, "links", &links)) {
		json_object_object_foreach(links, k, v) {
			const char *s = json_object_get_string(v);

			if (s == NULL || s[0] != '/')
				continue;
			snprintf(url, sizeof(url), "%s%s", base, s);
			if ((rc = json_add_str(links, k, url)) != KC_OK)
				return rc;
		}
	}
	if (json_object_object_get_ex(item, "relationships", &rels)) {
		json_object_object_foreach(rels, rk, rel) {
			(void)rk;
			if ((rc = absolutize(rel, base)) != KC_OK)
				return rc;
		}
	}
	return KC_OK;
}

/* Link encoding: keep RFC 3986 sub-delims that read well in a query. */
static int
link_encode(struct buf *b, const char *s)
{
	static const char	 hex[] = "0123456789ABCDEF";
	char			 esc[3];
	int			 rc;

	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (isalnum(c) || strchr("-._~!$'()*,;:@/", c) != NULL) {
			if ((rc = buf_append(b, s, 1)) != KC_OK)
				return rc;
			continue;
		}
		esc[0] = '%';
		esc[1] = hex[c >> 4];
		esc[2] = hex[c & 15];
		if ((rc = buf_append(b, esc, 3)) != KC_OK)
			return rc;
	}
	return KC_OK;
}

int
sbx_page_link(const struct sbx_ctx *ctx, const char *pname,
    const char *cursor, char **out)
{
	struct buf	 b;
	size_t		 i;
	int		 rc, first = 1, done = 0;

	*out = NULL;
	buf_init(&b, 16384);
	if ((rc = buf_printf(&b, "%s%s", ctx->base, ctx->ep->path)) != KC_OK)
		return rc;
	for (i = 0; i < ctx->q.n; i++) {
		const char *v = ctx->q.p[i].value;

		if (strcmp(ctx->q.p[i].name, pname) == 0) {
			if (cursor == NULL && v[0] == '\0')
				continue;
			if (cursor)
				v = cursor;
			done = 1;
		}
		if ((rc = buf_puts(&b, first ? "?" : "&")) != KC_OK ||
		    (rc = link_encode(&b, ctx->q.p[i].name)) != KC_OK ||
		    (rc = buf_puts(&b, "=")) != KC_OK ||
		    (rc = link_encode(&b, v)) != KC_OK)
			return rc;
		first = 0;
	}
	if (cursor && !done && ((rc = buf_puts(&b, first ? "?" : "&")) !=
	    KC_OK || (rc = link_encode(&b, pname)) != KC_OK ||
	    (rc = buf_puts(&b, "=")) != KC_OK ||
	    (rc = link_encode(&b, cursor)) != KC_OK))
		return rc;
	if ((*out = buf_steal(&b)) == NULL)
		return KC_ERR_NOMEM;
	return KC_OK;
}

static int
page_link(const struct sbx_ctx *ctx, const char *cursor, char **out)
{
	return sbx_page_link(ctx, "page[cursor]", cursor, out);
}

struct sort_item {
	struct json_object	*item;
	size_t			 pos;
	const char		*key;
};

static int
sort_cmp(const void *a, const void *b, void *arg)
{
	const struct sort_item	*x = a, *y = b;
	int			 desc = *(const int *)arg, c;

	c = strcmp(x->key ? x->key : "", y->key ? y->key : "");
	if (desc)
		c = -c;
	if (c == 0)
		c = x->pos < y->pos ? -1 : x->pos > y->pos;
	return c;
}

static const char *
attr_str(struct json_object *item, const char *name)
{
	struct json_object *at, *v;

	if (strcmp(name, "id") == 0)
		return json_object_object_get_ex(item, "id", &v) ?
		    json_object_get_string(v) : NULL;
	if (!json_object_object_get_ex(item, "attributes", &at) ||
	    !json_object_object_get_ex(at, name, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

/* 1 when the comma-separated list has s. */
static int
list_has(const char *list, const char *s)
{
	size_t	 n = strlen(s);
	const char *p = list;

	while (p && *p) {
		if (strncmp(p, s, n) == 0 && (p[n] == ',' || p[n] == '\0'))
			return 1;
		p = strchr(p, ',');
		if (p)
			p++;
	}
	return 0;
}

/* A deep copy for the answer: links absolute, fields pruned. */
struct json_object *
sbx_answer_copy(const struct sbx_ctx *ctx, struct json_object *src,
    const char *include)
{
	struct json_object	*o = NULL, *rels, *at, *v;
	const char		*fields, *type;
	char			 pname[96];

	if (json_object_deep_copy(src, &o, NULL) != 0)
		return NULL;
	/* The sandbox's own members ("_sbx") never leave it. */
	json_object_object_del(o, "_sbx");
	if (json_object_object_get_ex(o, "relationships", &rels)) {
		json_object_object_foreach(rels, rk, rel) {
			if (include == NULL || !list_has(include, rk))
				json_object_object_del(rel, "data");
		}
	}
	type = json_object_object_get_ex(o, "type", &v) ?
	    json_object_get_string(v) : "";
	snprintf(pname, sizeof(pname), "fields[%s]", type);
	if ((fields = sbx_query_get(&ctx->q, pname)) != NULL &&
	    json_object_object_get_ex(o, "attributes", &at) &&
	    sbx_fields_prune(at, fields) != KC_OK)
		goto fail;
	if (absolutize(o, ctx->base) != KC_OK)
		goto fail;
	return o;
fail:
	json_object_put(o);
	return NULL;
}

/* The resource of a type and id in arr, or NULL. */
static struct json_object *
find_resource(struct json_object *arr, const char *type, const char *id)
{
	struct json_object	*it, *v;
	size_t			 i;

	for (i = 0; arr && i < json_object_array_length(arr); i++) {
		it = json_object_array_get_idx(arr, i);
		if (json_object_object_get_ex(it, "type", &v) &&
		    strcmp(json_object_get_string(v), type) == 0 &&
		    json_object_object_get_ex(it, "id", &v) &&
		    strcmp(json_object_get_string(v), id) == 0)
			return it;
	}
	return NULL;
}

/*
 * Adds the resource a {type, id} reference names, once: from the
 * account's collections, or from the resources the referring item
 * carries itself (_sbx.included: campaign messages).
 */
static int
include_ref(const struct sbx_ctx *ctx, struct json_object *item,
    struct json_object *ref, struct json_object *included)
{
	struct json_object	*v, *res, *cp, *own = NULL;
	const char		*type, *id;

	if (!json_object_object_get_ex(ref, "type", &v) ||
	    (type = json_object_get_string(v)) == NULL ||
	    !json_object_object_get_ex(ref, "id", &v) ||
	    (id = json_object_get_string(v)) == NULL)
		return KC_OK;
	if (find_resource(included, type, id) != NULL)
		return KC_OK;
	if (json_object_object_get_ex(item, "_sbx", &v))
		json_object_object_get_ex(v, "included", &own);
	if ((res = find_resource(sbx_account_coll(ctx->acc, type), type,
	    id)) == NULL && (res = find_resource(own, type, id)) == NULL)
		return KC_OK;
	if ((cp = sbx_answer_copy(ctx, res, NULL)) == NULL)
		return KC_ERR_NOMEM;
	if (json_object_array_add(included, cp) != 0) {
		json_object_put(cp);
		return KC_ERR_NOMEM;
	}
	return KC_OK;
}

/* Adds the resources a page refers to through included relationships. */
static int
add_included(const struct sbx_ctx *ctx, struct json_object *page_src,
    const char *include, struct json_object *included)
{
	struct json_object	*it, *rels, *data;
	size_t			 i, j;
	int			 rc;

	for (i = 0; i < json_object_array_length(page_src); i++) {
		it = json_object_array_get_idx(page_src, i);
		if (!json_object_object_get_ex(it, "relationships", &rels))
			continue;
		json_object_object_foreach(rels, rk, rel) {
			if (!list_has(include, rk) ||
			    !json_object_object_get_ex(rel, "data", &data))
				continue;
			for (j = 0; j < json_object_array_length(data); j++)
				if ((rc = include_ref(ctx, it,
				    json_object_array_get_idx(data, j),
				    included)) != KC_OK)
					return rc;
		}
	}
	return KC_OK;
}

int
sbx_handle_collection(struct sbx_ctx *ctx, struct sbx_resp *resp)
{
	struct json_object	*all, *doc = NULL, *data = NULL, *links;
	struct json_object	*page = NULL, *included = NULL, *cp;
	struct sbx_filter	*filter = NULL;
	struct sort_item	*items = NULL;
	const char		*v, *include, *sort;
	char			 err[256], cur[64], *url = NULL;
	size_t			 n = 0, total, i, off = 0, size, end;
	int			 rc = KC_ERR_NOMEM, desc = 0;
	long long		 ps;

	all = ctx->acc->coll[ctx->ep_idx];
	total = all ? json_object_array_length(all) : 0;
	if ((v = sbx_query_get(&ctx->q, "filter")) != NULL &&
	    (rc = sbx_filter_parse(v, ctx->ep->filters, &filter, err,
	    sizeof(err))) != KC_OK)
		goto out;
	if (total > 0 && (items = calloc(total, sizeof(*items))) == NULL)
		goto out;
	for (i = 0; i < total; i++) {
		struct json_object *it = json_object_array_get_idx(all, i);

		if (!sbx_filter_match(filter, it))
			continue;
		items[n].item = it;
		items[n].pos = i;
		n++;
	}
	if ((sort = sbx_query_get(&ctx->q, "sort")) != NULL) {
		if (*sort == '-') {
			desc = 1;
			sort++;
		}
		for (i = 0; i < n; i++)
			items[i].key = attr_str(items[i].item, sort);
		if (n > 1)
			qsort_r(items, n, sizeof(*items), sort_cmp, &desc);
	}
	size = ctx->ep->page_size > 0 ? (size_t)ctx->ep->page_size : n;
	if ((v = sbx_query_get(&ctx->q, "page[size]")) != NULL) {
		ps = strtoll(v, NULL, 10);	/* validated already */
		size = (size_t)ps;
	}
	if ((v = sbx_query_get(&ctx->q, "page[cursor]")) != NULL &&
	    *v != '\0')
		if (sbx_cursor_parse(v, &off) != KC_OK)	/* checked before */
			off = 0;
	if (off > n)
		off = n;
	end = size == 0 ? n : (off + size < n ? off + size : n);
	include = sbx_query_get(&ctx->q, "include");

	rc = KC_ERR_NOMEM;
	if ((doc = json_object_new_object()) == NULL ||
	    (data = json_object_new_array()) == NULL ||
	    (page = json_object_new_array()) == NULL)
		goto out;
	for (i = off; i < end; i++) {
		if (json_object_array_add(page,
		    json_object_get(items[i].item)) != 0)
			goto out;
		if ((cp = sbx_answer_copy(ctx, items[i].item, include)) == NULL)
			goto out;
		if (json_object_array_add(data, cp) != 0) {
			json_object_put(cp);
			goto out;
		}
	}
	if (json_add_obj(doc, "data", data) != KC_OK) {
		data = NULL;
		goto out;
	}
	data = NULL;
	if ((links = json_object_new_object()) == NULL ||
	    json_add_obj(doc, "links", links) != KC_OK)
		goto out;
	if ((rc = page_link(ctx, NULL, &url)) != KC_OK ||
	    (rc = json_add_str(links, "self", url)) != KC_OK)
		goto out;
	free(url);
	url = NULL;
	if (ctx->ep->paged && end < n) {
		sbx_cursor_make(end, cur, sizeof(cur));
		if ((rc = page_link(ctx, cur, &url)) != KC_OK ||
		    (rc = json_add_str(links, "next", url)) != KC_OK)
			goto out;
		free(url);
		url = NULL;
	}
	if (ctx->ep->paged && off > 0) {
		sbx_cursor_make(off > size ? off - size : 0, cur, sizeof(cur));
		if ((rc = page_link(ctx, cur, &url)) != KC_OK ||
		    (rc = json_add_str(links, "prev", url)) != KC_OK)
			goto out;
		free(url);
		url = NULL;
	}
	rc = KC_ERR_NOMEM;
	if (include != NULL) {
		if ((included = json_object_new_array()) == NULL)
			goto out;
		if ((rc = add_included(ctx, page, include, included)) != KC_OK)
			goto out;
		if ((rc = json_add_obj(doc, "included", included)) != KC_OK) {
			included = NULL;
			goto out;
		}
		included = NULL;
	}
	rc = sbx_reply_json(resp, 200, doc);
out:
	if (rc == KC_ERR_BAD_INPUT)
		rc = sbx_reply_error(ctx->app, resp, 400, "invalid",
		    "Invalid input.", err, "parameter", "filter");
	free(url);
	free(items);
	sbx_filter_free(filter);
	json_object_put(included);
	json_object_put(page);
	json_object_put(data);
	json_object_put(doc);
	return rc;
}

/* Checks. */

int64_t
sbx_revision_days(const char *s)
{
	char	 date[11];
	int64_t	 t;

	if (s == NULL || strlen(s) < 10)
		return 0;
	memcpy(date, s, 10);
	date[10] = '\0';
	if (sbx_parse_datetime(date, &t) != KC_OK)
		return 0;
	return t / 86400;
}

/* YYYY-MM-DD[.suffix] between the oldest and newest revisions. */
static int
revision_ok(const char *s)
{
	char	 date[11];
	int64_t	 t;
	size_t	 i, n = strlen(s);

	if (n < 10 || n > 32)
		return 0;
	memcpy(date, s, 10);
	date[10] = '\0';
	for (i = 0; i < 10; i++)
		if ((i == 4 || i == 7) ? date[i] != '-' :
		    !isdigit((unsigned char)date[i]))
			return 0;
	if (sbx_parse_datetime(date, &t) != KC_OK)
		return 0;
	if (s[10] == '.') {
		if (n == 11)
			return 0;
		for (i = 11; i < n; i++)
			if (!islower((unsigned char)s[i]) &&
			    !isdigit((unsigned char)s[i]))
				return 0;
	} else if (s[10] != '\0')
		return 0;
	return strcmp(date, SBX_REVISION_OLDEST) >= 0 &&
	    strcmp(date, SBX_REVISION_NEWEST) <= 0;
}

/* 1 when an Accept header admits a JSON:API answer. */
static int
accept_ok(const char *h)
{
	const char	*p = h, *e;
	char		 mt[96];
	size_t		 n;

	if (h == NULL)
		return 1;
	while (*p) {
		while (*p == ' ' || *p == ',')
			p++;
		e = p + strcspn(p, ",");
		n = strcspn(p, ";,");
		while (n > 0 && p[n - 1] == ' ')
			n--;
		if (n > 0 && n < sizeof(mt)) {
			memcpy(mt, p, n);
			mt[n] = '\0';
			if (strcasecmp(mt, JSONAPI_TYPE) == 0 ||
			    strcasecmp(mt, "application/json") == 0 ||
			    strcmp(mt, "*/*") == 0 ||
			    strcasecmp(mt, "application/*") == 0)
				return 1;
		}
		p = e;
	}
	return h[strspn(h, " ")] == '\0';
}

/* Validates every query parameter against the endpoint's table. */
static int
check_params(struct sbx_ctx *ctx, struct sbx_resp *resp)
{
	const struct sbx_param	*pp;
	struct sbx_filter	*f = NULL;
	char			 err[300], item[128];
	const char		*name, *v, *p;
	size_t			 i, j, n, off;
	long long		 ps;
	char			*end;
	int			 ok, rc;

	for (i = 0; i < ctx->q.n; i++) {
		name = ctx->q.p[i].name;
		v = ctx->q.p[i].value;
		for (pp = ctx->ep->params; pp && pp->name; pp++)
			if (strcmp(pp->name, name) == 0)
				break;
		if (pp == NULL || pp->name == NULL) {
			snprintf(err, sizeof(err), "'%.64s' is not a valid "
			    "query parameter for %s %s", name, ctx->ep->method,
			    ctx->ep->path);
			goto bad;
		}
		switch (pp->type) {
		case SBX_P_FIELDS:
		case SBX_P_INCLUDE:
			for (p = v; ; p += n + 1) {
				n = strcspn(p, ",");
				ok = n > 0 && n < sizeof(item);
				if (ok) {
					memcpy(item, p, n);
					item[n] = '\0';
					for (j = 0, ok = 0; pp->values[j]; j++)
						if (strcmp(pp->values[j],
						    item) == 0)
							ok = 1;
				}
				if (!ok) {
					snprintf(err, sizeof(err), "'%.*s' is "
					    "not a valid value for %s",
					    (int)(n < 64 ? n : 64), p, name);
					goto bad;
				}
				if (p[n] == '\0')
					break;
			}
			break;
		case SBX_P_SORT:
			for (j = 0, ok = 0; pp->values[j]; j++)
				if (strcmp(pp->values[j], v) == 0)
					ok = 1;
			if (!ok) {
				snprintf(err, sizeof(err), "'%.64s' is not a "
				    "valid sort field", v);
				goto bad;
			}
			break;
		case SBX_P_SIZE:
			ps = strtoll(v, &end, 10);
			if (end == v || *end != '\0' || ps < 1 ||
			    ps > ctx->ep->page_size_max) {
				snprintf(err, sizeof(err), "page[size] must be "
				    "an integer between 1 and %d",
				    ctx->ep->page_size_max);
				goto bad;
			}
			break;
		case SBX_P_STRING:
			break;
		case SBX_P_CURSOR:
			if (*v != '\0' && sbx_cursor_parse(v, &off) != KC_OK) {
				snprintf(err, sizeof(err), "Invalid page "
				    "cursor '%.64s'", v);
				goto bad;
			}
			break;
		case SBX_P_FILTER:
			if ((rc = sbx_filter_parse(v, ctx->ep->filters, &f,
			    err, sizeof(err))) != KC_OK) {
				if (rc != KC_ERR_BAD_INPUT)
					return rc;
				goto bad;
			}
			sbx_filter_free(f);
			f = NULL;
			break;
		}
	}
	return KC_OK;
bad:
	rc = sbx_reply_error(ctx->app, resp, 400, "invalid",
	    "Invalid input.", err, "parameter", name);
	return rc == KC_OK ? KC_ERR_BAD_INPUT : rc;
}

static int
add_rate_headers(struct sbx_resp *resp, const struct sbx_rate_info *ri)
{
	int rc;

	if ((rc = sbx_resp_header(resp, "RateLimit-Limit", "%d",
	    ri->limit)) != KC_OK ||
	    (rc = sbx_resp_header(resp, "RateLimit-Remaining", "%d",
	    ri->remaining)) != KC_OK)
		return rc;
	return sbx_resp_header(resp, "RateLimit-Reset", "%ld", ri->reset_s);
}

/* The answer of a Klaviyo request with no fault, or a 4xx. */
static int
klaviyo_answer(struct sbx_ctx *ctx, const char *npath, const char *scheme,
    const char *cred, struct sbx_resp *resp)
{
	struct sbx_app		*app = ctx->app;
	const struct sbx_req	*req = ctx->req;
	struct sbx_rate_info	 ri;
	const char		*rev, *ctype;
	char			 detail[320];
	int			 rc, have_ri = 0;

	if ((ctx->ep = sbx_endpoint_find(npath, &ctx->ep_idx)) == NULL) {
		snprintf(detail, sizeof(detail), "The path %.200s could not "
		    "be found", req->path);
		return sbx_reply_error(app, resp, 404, "not_found",
		    "Not found.", detail, NULL, NULL);
	}
	if (strcmp(req->method, ctx->ep->method) != 0 &&
	    !(strcmp(req->method, "HEAD") == 0 &&
	    strcmp(ctx->ep->method, "GET") == 0)) {
		snprintf(detail, sizeof(detail), "Method \"%.16s\" not "
		    "allowed.", req->method);
		if ((rc = sbx_resp_header(resp, "Allow", "%s",
		    ctx->ep->method)) != KC_OK)
			return rc;
		return sbx_reply_error(app, resp, 405, "method_not_allowed",
		    "Method not allowed.", detail, NULL, NULL);
	}
	if (scheme == NULL || cred == NULL || *cred == '\0')
		return sbx_reply_error(app, resp, 401, "not_authenticated",
		    "Authentication credentials were not provided.",
		    "Missing or invalid authorization scheme. Please use "
		    "Klaviyo-API-Key.", NULL, NULL);
	/* A Bearer token was looked up by the caller (sandbox_oauth.c). */
	if (!ctx->bearer && (ctx->acc = sbx_data_by_key(app->data, cred,
	    &ctx->acc_idx)) != NULL)
		ctx->scopes = ctx->acc->def->scopes;
	if (ctx->acc == NULL)
		return sbx_reply_error(app, resp, 401, "authentication_failed",
		    "Incorrect authentication credentials.",
		    "Incorrect authentication credentials.", NULL, NULL);
	sbx_rate_peek(app->rate, ctx->acc_idx, ctx->ep_idx, &ctx->ep->limit,
	    sbx_now_us(), &ri);
	have_ri = 1;
	if ((rev = sbx_req_header(req, "revision")) == NULL) {
		rc = sbx_reply_error(app, resp, 400, "invalid",
		    "Invalid input.", "Missing required header 'revision'. "
		    "Send a revision such as " SBX_REVISION_NEWEST ".",
		    "parameter", "revision");
		goto out;
	}
	if (!revision_ok(rev)) {
		snprintf(detail, sizeof(detail), "Invalid revision "
		    "'%.40s': expected YYYY-MM-DD (optionally .pre or .beta) "
		    "from %s to %s.", rev, SBX_REVISION_OLDEST,
		    SBX_REVISION_NEWEST);
		rc = sbx_reply_error(app, resp, 400, "invalid",
		    "Invalid input.", detail, "parameter", "revision");
		goto out;
	}
	if (!accept_ok(sbx_req_header(req, "Accept"))) {
		rc = sbx_reply_error(app, resp, 406, "not_acceptable",
		    "Could not satisfy the request Accept header.",
		    "Accept application/vnd.api+json.", "parameter", "Accept");
		goto out;
	}
	if (req->body_len > 0 && (ctype = sbx_req_header(req,
	    "Content-Type")) != NULL && strncasecmp(ctype, JSONAPI_TYPE,
	    strlen(JSONAPI_TYPE)) != 0 && strncasecmp(ctype,
	    "application/json", 16) != 0) {
		rc = sbx_reply_error(app, resp, 415, "unsupported_media_type",
		    "Unsupported media type.", "Send the body as "
		    "application/vnd.api+json.", "parameter", "Content-Type");
		goto out;
	}
	if (!(ctx->scopes & ctx->ep->scope)) {
		snprintf(detail, sizeof(detail), "This %s is missing "
		    "required scopes: %s.", ctx->bearer ? "access token" :
		    "API key", ctx->ep->scope_name);
		rc = sbx_reply_error(app, resp, 403, "permission_denied",
		    "You do not have permission to perform this action.",
		    detail, NULL, NULL);
		goto out;
	}
	if (!sbx_rate_take(app->rate, ctx->acc_idx, ctx->ep_idx,
	    &ctx->ep->limit, sbx_now_us(), &ri)) {
		have_ri = 0;
		snprintf(detail, sizeof(detail), "Request was throttled. "
		    "Expected available in %ld second%s.", ri.retry_after_s,
		    ri.retry_after_s == 1 ? "" : "s");
		if ((rc = sbx_resp_header(resp, "Retry-After", "%ld",
		    ri.retry_after_s)) != KC_OK)
			goto out;
		rc = sbx_reply_error(app, resp, 429, "throttled",
		    "Request was throttled.", detail, NULL, NULL);
		goto out;
	}
	if ((rc = check_params(ctx, resp)) != KC_OK) {
		if (rc == KC_ERR_BAD_INPUT)
			rc = KC_OK;
		goto out;
	}
	rc = (ctx->ep->handle ? ctx->ep->handle : sbx_handle_collection)(ctx,
	    resp);
out:
	if (rc == KC_OK && have_ri)
		rc = add_rate_headers(resp, &ri);
	return rc;
}

/* Cuts credentials out of an Authorization header. */
static void
split_auth(const char *h, char *scheme, size_t slen, const char **cred)
{
	size_t n;

	scheme[0] = '\0';
	*cred = NULL;
	if (h == NULL)
		return;
	while (*h == ' ')
		h++;
	n = strcspn(h, " ");
	if (n == 0 || n >= slen)
		return;
	memcpy(scheme, h, n);
	scheme[n] = '\0';
	h += n;
	while (*h == ' ')
		h++;
	*cred = h;
}

/* Copies a header value for the log, cut to the field's size. */
static void
copy_field(char *dst, size_t len, const char *src)
{
	size_t n;

	if (src == NULL)
		src = "";
	n = strnlen(src, len - 1);
	memcpy(dst, src, n);
	dst[n] = '\0';
}

static void
now_rfc3339(char *out, size_t len)
{
	struct timeval	 tv;
	struct tm	 tm;
	char		 s[32];

	gettimeofday(&tv, NULL);
	gmtime_r(&tv.tv_sec, &tm);
	strftime(s, sizeof(s), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out, len, "%.20s.%03dZ", s, (int)(tv.tv_usec / 1000) % 1000);
}

/* Turns a fault that replaces the answer into one. */
static int
fault_answer(struct sbx_app *app, const struct sbx_fault *f,
    struct sbx_resp *resp)
{
	char	 detail[128];
	int	 rc;

	switch (f->type) {
	case SBX_F_HANG:
		resp->status = 0;
		resp->action = SBX_ACT_HANG;
		resp->hang_ms = f->ms;
		return KC_OK;
	case SBX_F_RESET:
		resp->status = 0;
		resp->action = SBX_ACT_RESET;
		return KC_OK;
	case SBX_F_HTML:
		if ((rc = sbx_resp_header(resp, "CF-RAY",
		    "8f3c2a1b9d7e6f50-EWR")) != KC_OK)
			return rc;
		resp->close = 1;
		return sbx_resp_set_body(resp, 403,
		    "text/html; charset=UTF-8", cloudflare_html,
		    sizeof(cloudflare_html) - 1);
	case SBX_F_STATUS:
		if (f->status == 429 && (rc = sbx_resp_header(resp,
		    "Retry-After", "1")) != KC_OK)
			return rc;
		snprintf(detail, sizeof(detail), "Injected fault: status %d.",
		    f->status);
		if (f->status >= 500)
			return sbx_reply_error(app, resp, f->status, "error",
			    "A server error occurred.", detail, NULL, NULL);
		return sbx_reply_error(app, resp, f->status, f->status ==
		    429 ? "throttled" : "invalid", f->status == 429 ?
		    "Request was throttled." : "Invalid input.", detail, NULL,
		    NULL);
	default:
		return KC_OK;
	}
}

/* /oauth/...: the OAuth endpoints (sandbox_oauth.c). */
static int
is_oauth_path(const char *p)
{
	return strncmp(p, "/oauth/", 7) == 0 || strcmp(p, "/oauth") == 0;
}

/*
 * Who a request is: an API key's or a live access token's account
 * (NULL when neither).  A Bearer request's faults are those of its
 * account's key.
 */
static void
resolve_cred(struct sbx_ctx *ctx, const char *scheme, const char *cred,
    const char **fault_key)
{
	struct sbx_app *app = ctx->app;

	*fault_key = cred;
	if (cred == NULL || *cred == '\0')
		return;
	if (strcasecmp(scheme, "Bearer") != 0) {
		ctx->acc = sbx_data_by_key(app->data, cred, &ctx->acc_idx);
		return;
	}
	ctx->bearer = 1;
	if (sbx_oauth_bearer(app->oauth, cred, sbx_now_us(), &ctx->acc_idx,
	    &ctx->scopes)) {
		ctx->acc = &app->data->acc[ctx->acc_idx];
		*fault_key = ctx->acc->def->key;
	}
}

static void
klaviyo_handle(struct sbx_app *app, const struct sbx_req *req,
    struct sbx_resp *resp)
{
	struct sbx_ctx		 ctx;
	struct sbx_log_entry	*e;
	struct sbx_fault	 lat, oth, hf;
	const char		*cred, *h, *fkey = NULL;
	char			 scheme[24], npath[256], qerr[256], kesc[16];
	char			 gt[32] = "";
	size_t			 n, ei;
	int			 rc = KC_OK, oauth;

	memset(&ctx, 0, sizeof(ctx));
	ctx.app = app;
	ctx.req = req;
	base_url(req, ctx.base, sizeof(ctx.base));
	split_auth(sbx_req_header(req, "Authorization"), scheme,
	    sizeof(scheme), &cred);
	/* Client credentials and tokens are never logged, not in part. */
	if ((oauth = is_oauth_path(req->path)) == 0)
		resolve_cred(&ctx, scheme, cred, &fkey);

	e = sbx_ctl_log_new(app->ctl);
	now_rfc3339(e->time, sizeof(e->time));
	copy_field(e->method, sizeof(e->method), req->method);
	copy_field(e->path, sizeof(e->path), req->path);
	if (!oauth || strncmp(req->path, "/oauth/authorize", 16) == 0)
		copy_field(e->query, sizeof(e->query), req->query);
	copy_field(e->auth, sizeof(e->auth), scheme);
	if (cred && !oauth && !ctx.bearer)
		snprintf(e->key, sizeof(e->key), "%.8s", cred);
	if (ctx.acc != NULL)
		copy_field(e->account, sizeof(e->account), ctx.acc->id);
	copy_field(e->revision, sizeof(e->revision),
	    sbx_req_header(req, "revision"));
	copy_field(e->accept, sizeof(e->accept),
	    sbx_req_header(req, "Accept"));
	copy_field(e->content_type, sizeof(e->content_type),
	    sbx_req_header(req, "Content-Type"));

	/* /api/metrics/ and /api/metrics are the same endpoint. */
	snprintf(npath, sizeof(npath), "%s", req->path);
	n = strlen(npath);
	if (n > 1 && npath[n - 1] == '/')
		npath[n - 1] = '\0';

	sbx_ctl_faults(app->ctl, fkey, req->method, npath, &lat, &oth);
	if ((h = sbx_req_header(req, "X-Sandbox-Fault")) != NULL) {
		if (sbx_fault_parse_header(h, &hf) != KC_OK)
			log_warnx("ignoring a bad X-Sandbox-Fault header");
		else if (hf.type == SBX_F_LATENCY)
			lat = hf;
		else
			oth = hf;
	}
	if (oth.type == SBX_F_STATUS || oth.type == SBX_F_HANG ||
	    oth.type == SBX_F_RESET || oth.type == SBX_F_HTML) {
		rc = fault_answer(app, &oth, resp);
	} else if (oauth) {
		rc = sbx_oauth_answer(app, req, resp, gt, sizeof(gt));
		copy_field(e->grant_type, sizeof(e->grant_type), gt);
	} else {
		rc = sbx_query_parse(req->query, &ctx.q, qerr, sizeof(qerr));
		if (rc == KC_ERR_BAD_INPUT)
			rc = sbx_reply_error(app, resp, 400, "invalid",
			    "Invalid input.", qerr, "parameter", "query");
		else if (rc == KC_OK)
			rc = klaviyo_answer(&ctx, npath, scheme[0] ? scheme :
			    NULL, cred, resp);
	}
	if (oth.type == SBX_F_MALFORMED || oth.type == SBX_F_CONTENT_TYPE) {
		if (rc == KC_OK && oth.type == SBX_F_MALFORMED &&
		    resp->body.len > 1) {
			resp->body.len /= 2;
			resp->body.data[resp->body.len] = '\0';
		} else if (rc == KC_OK && oth.type == SBX_F_CONTENT_TYPE)
			snprintf(resp->content_type,
			    sizeof(resp->content_type),
			    "text/plain; charset=utf-8");
	}
	if (rc != KC_OK) {
		log_warnx("%s %s: %s", req->method, req->path,
		    kc_strerror(rc));
		resp->action = SBX_ACT_RESET;
		resp->status = 0;
	}
	if (lat.type == SBX_F_LATENCY)
		resp->delay_ms = lat.ms;
	e->status = resp->action == SBX_ACT_SEND ? resp->status : 0;
	if (ctx.acc != NULL && sbx_endpoint_find(npath, &ei) != NULL)
		sbx_ctl_count(app->ctl, ctx.acc_idx, ei, e->status, oth.type !=
		    SBX_F_NONE || lat.type != SBX_F_NONE);
	if (oth.type != SBX_F_NONE)
		copy_field(e->fault, sizeof(e->fault),
		    sbx_fault_name(oth.type));
	else if (lat.type != SBX_F_NONE)
		copy_field(e->fault, sizeof(e->fault), "latency");
	if (log_enabled(LOG_LVL_INFO)) {
		char pesc[300];

		log_escape(e->key, kesc, sizeof(kesc));
		log_escape(req->path, pesc, sizeof(pesc));
		if (oauth)
			log_info("%s %s %d%s%s %s%s", req->method, pesc,
			    e->status, gt[0] ? " grant_type=" : "", gt,
			    e->fault[0] ? "fault=" : "", e->fault);
		else if (ctx.bearer)
			log_info("%s %s %d bearer account=%s %s%s",
			    req->method, pesc, e->status, ctx.acc ?
			    ctx.acc->id : "-", e->fault[0] ? "fault=" : "",
			    e->fault);
		else
			log_info("%s %s %d key=%s... %s%s", req->method, pesc,
			    e->status, kesc[0] ? kesc : "-", e->fault[0] ?
			    "fault=" : "", e->fault);
	}
	sbx_query_free(&ctx.q);
}

void
sbx_app_handle(void *arg, const struct sbx_req *req, struct sbx_resp *resp)
{
	struct sbx_app *app = arg;

	if (strncmp(req->path, "/__sandbox/oauth", 16) == 0 &&
	    (req->path[16] == '\0' || req->path[16] == '/')) {
		sbx_oauth_ctl(app, req, resp);
		return;
	}
	if (strncmp(req->path, "/__sandbox/", 11) == 0) {
		sbx_ctl_handle(app, req, resp);
		return;
	}
	klaviyo_handle(app, req, resp);
}
