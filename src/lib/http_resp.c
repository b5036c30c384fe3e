/* Response building and formatting; see http_resp.h. */
#include "http_resp.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_util.h"

#define RESP_HEADERS_MAX 8192

void
http_resp_init(struct http_resp *r)
{
	r->status = 500;
	r->json = NULL;
	r->err = KC_OK;
	r->text = NULL;
	r->text_type = NULL;
	r->streamed = 0;
	buf_init(&r->headers, RESP_HEADERS_MAX);
}

void
http_resp_reset(struct http_resp *r)
{
	json_object_put(r->json);
	r->json = NULL;
	free(r->text);
	r->text = NULL;
	r->status = 500;
	r->err = KC_OK;
	buf_reset(&r->headers);
}

void
http_resp_free(struct http_resp *r)
{
	json_object_put(r->json);
	r->json = NULL;
	free(r->text);
	r->text = NULL;
	buf_free(&r->headers);
}

int
http_resp_header(struct http_resp *r, const char *name, const char *fmt, ...)
{
	char	 val[2048];
	va_list	 ap;
	int	 n;

	va_start(ap, fmt);
	n = vsnprintf(val, sizeof(val), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(val) || strpbrk(val, "\r\n"))
		return KC_ERR_INTERNAL;
	return buf_printf(&r->headers, "%s: %s\r\n", name, val);
}

void
http_resp_json(struct http_resp *r, int status, struct json_object *body)
{
	json_object_put(r->json);
	r->json = body;
	r->status = status;
	free(r->text);
	r->text = NULL;
}

void
http_resp_text(struct http_resp *r, int status, const char *ctype,
    char *body)
{
	json_object_put(r->json);
	r->json = NULL;
	free(r->text);
	r->text = body;
	r->text_type = ctype;
	r->status = status;
}

void
http_resp_error_code(struct http_resp *r, int e, const char *code,
    const char *msg)
{
	struct json_object *o;

	r->err = e;
	r->status = kc_err_http_status(e);
	json_object_put(r->json);
	r->json = NULL;
	free(r->text);
	r->text = NULL;
	if ((o = json_object_new_object()) == NULL)
		return;
	if (json_add_bool(o, "success", 0) != KC_OK ||
	    json_add_str(o, "error", msg ? msg : kc_strerror(e)) != KC_OK ||
	    json_add_str(o, "code", code ? code : kc_err_code(e)) != KC_OK) {
		json_object_put(o);
		return;
	}
	r->json = o;
}

void
http_resp_error(struct http_resp *r, int e, const char *msg)
{
	http_resp_error_code(r, e, NULL, msg);
}

const char *
http_status_text(int s)
{
	switch (s) {
	case 200: return "OK";
	case 201: return "Created";
	case 202: return "Accepted";
	case 204: return "No Content";
	case 302: return "Found";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 409: return "Conflict";
	case 413: return "Payload Too Large";
	case 415: return "Unsupported Media Type";
	case 422: return "Unprocessable Content";
	case 429: return "Too Many Requests";
	case 500: return "Internal Server Error";
	case 502: return "Bad Gateway";
	case 503: return "Service Unavailable";
	case 504: return "Gateway Timeout";
	default: return "Unknown";
	}
}

int
http_resp_format(const struct http_resp *r, struct buf *out)
{
	return http_resp_format_ext(r, out, 1);
}

int
http_resp_format_ext(const struct http_resp *r, struct buf *out, int body_too)
{
	const char	*body;
	int		 rc;

	body = r->json ? json_object_to_json_string_ext(r->json,
	    JSON_C_TO_STRING_PLAIN) : "{\"success\":false,"
	    "\"error\":\"Internal error\",\"code\":\"internal_error\"}";
	if (r->text != NULL)
		body = r->text;
	if ((rc = buf_printf(out, "Status: %d %s\r\n"
	    "Content-Type: %s\r\n"
	    "Cache-Control: no-store\r\n"
	    "Content-Length: %zu\r\n", r->status,
	    http_status_text(r->status), r->text != NULL ? r->text_type :
	    HTTP_JSON_TYPE, strlen(body))) != KC_OK)
		return rc;
	if ((rc = buf_append(out, buf_cstr(&r->headers),
	    r->headers.len)) != KC_OK)
		return rc;
	if ((rc = buf_puts(out, "\r\n")) != KC_OK)
		return rc;
	/* HEAD: the GET's headers, Content-Length included, no body. */
	return body_too ? buf_puts(out, body) : KC_OK;
}

int
http_resp_format_stream_head(const struct http_resp *r, struct buf *out)
{
	int rc;

	if ((rc = buf_printf(out, "Status: %d %s\r\n"
	    "Content-Type: %s\r\n"
	    "Cache-Control: no-store\r\n", r->status,
	    http_status_text(r->status), r->text_type ? r->text_type :
	    HTTP_JSON_TYPE)) != KC_OK)
		return rc;
	if ((rc = buf_append(out, buf_cstr(&r->headers),
	    r->headers.len)) != KC_OK)
		return rc;
	return buf_puts(out, "\r\n");
}
