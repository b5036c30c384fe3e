/*
 * Answers of the Klaviyo endpoints: JSON:API bodies, Klaviyo's error
 * bodies, absolute links and page links, and the copy of a generated
 * resource as answered (its "_sbx" members dropped, sparse fieldsets
 * applied).
 */
#include "sandbox.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_util.h"
#include "jsonapi.h"

int
sbx_reply_json(struct sbx_resp *resp, int status, struct json_object *o)
{
	const char *s;

	s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
	    JSON_C_TO_STRING_NOSLASHESCAPE);
	if (s == NULL)
		return KC_ERR_NOMEM;
	return sbx_resp_set_body(resp, status, SBX_JSONAPI_TYPE, s, strlen(s));
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
void
sbx_base_url(const struct sbx_req *req, char *out, size_t outlen)
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

int
sbx_page_links(const struct sbx_ctx *ctx, struct json_object *doc,
    size_t off, size_t end, size_t n, size_t size)
{
	struct json_object	*links;
	char			 cur[64], *url = NULL;
	int			 rc;

	if ((links = json_object_new_object()) == NULL ||
	    json_add_obj(doc, "links", links) != KC_OK)
		return KC_ERR_NOMEM;
	if ((rc = sbx_page_link(ctx, "page[cursor]", NULL, &url)) != KC_OK ||
	    (rc = json_add_str(links, "self", url)) != KC_OK)
		goto out;
	free(url);
	url = NULL;
	if (ctx->ep->paged && end < n) {
		sbx_cursor_make(end, cur, sizeof(cur));
		if ((rc = sbx_page_link(ctx, "page[cursor]", cur, &url)) !=
		    KC_OK || (rc = json_add_str(links, "next", url)) != KC_OK)
			goto out;
		free(url);
		url = NULL;
	}
	if (ctx->ep->paged && off > 0) {
		sbx_cursor_make(off > size ? off - size : 0, cur, sizeof(cur));
		if ((rc = sbx_page_link(ctx, "page[cursor]", cur, &url)) !=
		    KC_OK || (rc = json_add_str(links, "prev", url)) != KC_OK)
			goto out;
	}
	rc = KC_OK;
out:
	free(url);
	return rc;
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
			if (include == NULL || !sbx_list_has(include, rk))
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
