/*
 * Everything a route handler sees of one request: configuration, the
 * worker's database connection, the parsed request, the response under
 * construction and, for authenticated routes, the user.
 */
#ifndef KC_CTX_H
#define KC_CTX_H

#include <json-c/json.h>

#include "config.h"
#include "db.h"
#include "http_req.h"
#include "http_resp.h"
#include "perm.h"
#include "router.h"
#include "session.h"

struct keyring;
struct kv_client;
struct oauth_client;
struct readcache;

struct kc_ctx {
	const struct kc_config	*cfg;
	const char		*app_origin;	/* APP_URL's origin */
	struct db		*db;
	const struct keyring	*keyring;	/* KC_MASTER_KEYS */
	struct kv_client	*kv;		/* the Klaviyo client */
	const struct oauth_client *oauth;	/* NULL: OAuth is off */
	struct readcache	*cache;		/* NULL: off (pooling) */
	struct http_req		*req;
	struct http_resp	*resp;
	const struct route	*route;		/* matched, or NULL */
	struct route_params	 params;
	struct json_object	*body;		/* parsed JSON body or NULL */
	int			 authed;
	int			 via_cookie;
	struct kc_user		 user;
	char			 token[SESSION_TOKEN_LEN + 1];
	/* The route's store, read together with the session (hot path). */
	int			 store_loaded;	/* 0 no, 1 found, -1 none */
	struct store_access	 store;
	/*
	 * Streams a body (worker-provided): the first call sends the head
	 * of resp (status, text_type, headers) and marks it streamed, so
	 * the worker sends nothing after the handler; a HEAD request gets
	 * the head only.  KC_ERR_IO when the client went away.
	 */
	int			(*stream)(struct kc_ctx *, const char *,
				    size_t);
	/* Reads the declared body into req->body (worker-provided). */
	int			(*read_body)(struct kc_ctx *, size_t);
	void			*io;		/* the worker's FCGX_Request */
};

#endif
