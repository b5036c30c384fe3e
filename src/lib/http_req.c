/* Request parsing helpers; see http_req.h. */
#include "http_req.h"

#include <fcgiapp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "crypto.h"

const char *
http_req_param(const struct http_req *r, const char *name)
{
	return r->envp ? FCGX_GetParam(name, r->envp) : NULL;
}

static int
request_id_ok(const char *s)
{
	size_t i;

	for (i = 0; s[i]; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
			return 0;
	return i > 0 && i <= HTTP_REQUEST_ID_MAX;
}

int
http_req_parse(struct http_req *r, char **envp)
{
	const char	*uri, *cl, *rid, *q;
	char		*end;
	size_t		 n;
	unsigned char	 raw[8];

	memset(r, 0, sizeof(*r));
	r->envp = envp;
	r->content_length = -1;
	r->method = http_req_param(r, "REQUEST_METHOD");
	if (r->method == NULL)
		r->method = "GET";
	r->content_type = http_req_param(r, "CONTENT_TYPE");
	r->remote_addr = http_req_param(r, "REMOTE_ADDR");
	if (r->remote_addr == NULL)
		r->remote_addr = "";
	/* nginx's $request_id, else our own. */
	rid = http_req_param(r, "REQUEST_ID");
	if (rid && request_id_ok(rid))
		snprintf(r->request_id, sizeof(r->request_id), "%s", rid);
	else if (crypto_random(raw, sizeof(raw)) == KC_OK)
		crypto_hex(raw, sizeof(raw), r->request_id);
	else
		snprintf(r->request_id, sizeof(r->request_id), "-");
	cl = http_req_param(r, "CONTENT_LENGTH");
	if (cl && *cl) {
		r->content_length = strtoll(cl, &end, 10);
		if (*end != '\0' || r->content_length < 0)
			r->content_length = -1;
	}
	/* The raw request URI: path before '?', query after (never logged). */
	uri = http_req_param(r, "REQUEST_URI");
	if (uri == NULL)
		uri = http_req_param(r, "DOCUMENT_URI");
	if (uri == NULL || uri[0] != '/')
		return KC_ERR_NOT_FOUND;
	q = strchr(uri, '?');
	n = q ? (size_t)(q - uri) : strlen(uri);
	r->query = q ? q + 1 : "";
	if (n > HTTP_PATH_MAX) {
		snprintf(r->path, sizeof(r->path), "%.*s...", 64, uri);
		return KC_ERR_NOT_FOUND;
	}
	memcpy(r->path, uri, n);
	r->path[n] = '\0';
	return KC_OK;
}

void
http_req_free(struct http_req *r)
{
	/* A body may hold a key or a password. */
	if (r->body != NULL)
		crypto_wipe(r->body, r->body_len);
	free(r->body);
	r->body = NULL;
	r->body_len = 0;
}

int
http_is_json_type(const char *ct)
{
	static const char	json[] = "application/json";
	size_t			n = sizeof(json) - 1;

	if (ct == NULL)
		return 0;
	while (*ct == ' ')
		ct++;
	if (strncasecmp(ct, json, n) != 0)
		return 0;
	ct += n;
	while (*ct == ' ')
		ct++;
	return *ct == '\0' || *ct == ';';
}

int
http_cookie_get(const char *h, const char *name, char *out, size_t outlen)
{
	size_t		 nlen = strlen(name), vlen;
	const char	*p = h, *v, *e;

	if (h == NULL)
		return KC_ERR_NOT_FOUND;
	while (*p) {
		while (*p == ' ' || *p == ';')
			p++;
		if (strncmp(p, name, nlen) == 0 && p[nlen] == '=') {
			v = p + nlen + 1;
			e = strchr(v, ';');
			vlen = e ? (size_t)(e - v) : strlen(v);
			while (vlen > 0 && v[vlen - 1] == ' ')
				vlen--;
			if (vlen + 1 > outlen)
				return KC_ERR_BAD_INPUT;
			memcpy(out, v, vlen);
			out[vlen] = '\0';
			return KC_OK;
		}
		if ((p = strchr(p, ';')) == NULL)
			break;
	}
	return KC_ERR_NOT_FOUND;
}

int
http_bearer_get(const char *h, char *out, size_t outlen)
{
	size_t n;

	if (h == NULL || strncasecmp(h, "Bearer ", 7) != 0)
		return KC_ERR_NOT_FOUND;
	h += 7;
	while (*h == ' ')
		h++;
	n = strlen(h);
	while (n > 0 && h[n - 1] == ' ')
		n--;
	if (n == 0)
		return KC_ERR_NOT_FOUND;
	if (n + 1 > outlen)
		return KC_ERR_BAD_INPUT;
	memcpy(out, h, n);
	out[n] = '\0';
	return KC_OK;
}

int
http_query_get(const char *q, const char *name, char *out, size_t outlen)
{
	size_t		 nlen = strlen(name), o;
	const char	*p = q;
	int		 hi, lo;

	if (q == NULL)
		return KC_ERR_NOT_FOUND;
	while (*p) {
		if (strncmp(p, name, nlen) == 0 && p[nlen] == '=') {
			p += nlen + 1;
			for (o = 0; *p && *p != '&'; p++) {
				char c = *p;

				if (c == '+')
					c = ' ';
				else if (c == '%') {
					if ((hi = crypto_hexval(p[1])) < 0 ||
					    (lo = crypto_hexval(p[2])) < 0)
						return KC_ERR_BAD_INPUT;
					c = (char)(hi << 4 | lo);
					p += 2;
				}
				if (c == '\0' || o + 1 >= outlen)
					return KC_ERR_BAD_INPUT;
				out[o++] = c;
			}
			out[o] = '\0';
			return KC_OK;
		}
		if ((p = strchr(p, '&')) == NULL)
			break;
		p++;
	}
	return KC_ERR_NOT_FOUND;
}

int
http_origin_allowed(const char *origin, const char *app_origin)
{
	if (origin == NULL)
		return 1;
	return strcasecmp(origin, app_origin) == 0;
}
