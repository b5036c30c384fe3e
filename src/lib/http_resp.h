/*
 * A response under construction: status, extra header lines and a JSON
 * body, formatted once at the end.  Errors always have DESIGN.md's shape
 * {"success":false,"error":"...","code":"..."}.
 */
#ifndef KC_HTTP_RESP_H
#define KC_HTTP_RESP_H

#include <json-c/json.h>

#include "buf.h"
#include "kc_err.h"

/* The Content-Type of every JSON answer. */
#define HTTP_JSON_TYPE "application/json; charset=utf-8"

struct http_resp {
	int			 status;
	struct json_object	*json;
	struct buf		 headers;
	int			 err;	/* kc_err of an error response */
	char			*text;	/* a non-JSON body (metrics), or NULL */
	const char		*text_type;	/* its Content-Type */
	int			 streamed;	/* head and body already sent */
};

void	http_resp_init(struct http_resp *);
void	http_resp_free(struct http_resp *);
/* Forgets status, headers and body (an error about to be replaced). */
void	http_resp_reset(struct http_resp *);
/* Adds "Name: value\r\n"; value must not contain CR or LF. */
int	http_resp_header(struct http_resp *, const char *name,
	    const char *fmt, ...) KC_PRINTF(3, 4) KC_MUSTCHECK;
/* Sets status and body, taking ownership of body. */
void	http_resp_json(struct http_resp *, int status, struct json_object *);
/*
 * Sets status and a text body (malloc'd, owned from now on) with its
 * Content-Type, e.g. Prometheus's exposition format.
 */
void	http_resp_text(struct http_resp *, int status, const char *ctype,
	    char *body);
/* An error with the default message of e, or msg. */
void	http_resp_error(struct http_resp *, int e, const char *msg);
/* An error with its own machine code. */
void	http_resp_error_code(struct http_resp *, int e, const char *code,
	    const char *msg);
/* The FastCGI response: Status line, headers, blank line, body. */
int	http_resp_format(const struct http_resp *, struct buf *) KC_MUSTCHECK;
/* The same; body_too 0 leaves the body out (an answer to HEAD). */
int	http_resp_format_ext(const struct http_resp *, struct buf *,
	    int body_too) KC_MUSTCHECK;
/*
 * The head of a streamed answer (status, text_type, headers, blank
 * line; no Content-Length: the body's length is not known yet).
 */
int	http_resp_format_stream_head(const struct http_resp *, struct buf *)
	    KC_MUSTCHECK;
const char *http_status_text(int);

#endif
