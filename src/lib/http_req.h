/*
 * A FastCGI request as the rest of the program sees it: method, path,
 * headers from the CGI environment, and the capped body.  The parsing
 * helpers are pure so they can be unit-tested on plain strings.
 */
#ifndef KC_HTTP_REQ_H
#define KC_HTTP_REQ_H

#include <stddef.h>

#include "kc_err.h"

#define HTTP_PATH_MAX 1024
#define HTTP_BODY_MAX (64 * 1024)
#define HTTP_REQUEST_ID_MAX 32

struct http_req {
	char		**envp;
	const char	 *method;
	char		  path[HTTP_PATH_MAX + 1];
	const char	 *query;		/* never logged */
	const char	 *content_type;
	long long	  content_length;	/* -1 when absent */
	const char	 *remote_addr;
	char		  request_id[HTTP_REQUEST_ID_MAX + 1];
	char		 *body;
	size_t		  body_len;
};

/* KC_ERR_NOT_FOUND for a path that is too long or not absolute. */
int	http_req_parse(struct http_req *, char **envp) KC_MUSTCHECK;
void	http_req_free(struct http_req *);
/* A CGI variable such as "HTTP_ORIGIN", or NULL. */
const char *http_req_param(const struct http_req *, const char *);
/* 1 for application/json, optionally with parameters (charset=utf-8). */
int	http_is_json_type(const char *);
/* Copies cookie name's value; KC_ERR_NOT_FOUND when absent. */
int	http_cookie_get(const char *header, const char *name, char *out,
	    size_t outlen) KC_MUSTCHECK;
/* Copies the token of "Bearer <token>"; KC_ERR_NOT_FOUND otherwise. */
int	http_bearer_get(const char *header, char *out, size_t outlen)
	    KC_MUSTCHECK;
/* Copies the url-decoded value of a query parameter. */
int	http_query_get(const char *query, const char *name, char *out,
	    size_t outlen) KC_MUSTCHECK;
/* 1 when the request's Origin header may make state-changing calls. */
int	http_origin_allowed(const char *origin, const char *app_origin);

#endif
