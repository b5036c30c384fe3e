/*
 * The request pipeline between the FastCGI loop and the handlers: route
 * match (404/405), body limits (413), content type (415), JSON parsing
 * (400), database (503), session (401), CSRF (403/415), then the handler.
 * Handler helpers for store routes live here too, so the permission check
 * is written once.
 */
#ifndef KC_DISPATCH_H
#define KC_DISPATCH_H

#include "ctx.h"
#include "perm.h"

void	dispatch(struct kc_ctx *, const struct route *, size_t);

#define STORE_READ 0
#define STORE_MANAGE 1
/*
 * Resolves {storePublicId} for the signed-in user.  On failure the error
 * response is already set (404 unknown store, 403 with an audit row for a
 * role that may not manage) and the kc_err is returned.
 */
int	ctx_store_access(struct kc_ctx *, int need, struct store_access *)
	    KC_MUSTCHECK;
/*
 * The answer ctx_store_access would have given when the access, checked
 * again inside a saving transaction (perm_still_manages), is gone:
 * KC_ERR_NOT_FOUND and KC_ERR_FORBIDDEN set that response (and audit the
 * denial); any other rc is returned untouched.
 */
int	ctx_access_lost(struct kc_ctx *, const struct store_access *, int rc);
/* Sets a 200 (or status) JSON response; an error response on failure. */
void	ctx_reply(struct kc_ctx *, int status, struct json_object *);
/* 302 to location (a path or URL without CR/LF). */
int	ctx_redirect(struct kc_ctx *, const char *location);
/*
 * Reads the session (Bearer or cookie); on failure the 401 is set.
 * Routes flagged RT_AUTH have it done before the handler runs.
 */
int	ctx_authenticate(struct kc_ctx *) KC_MUSTCHECK;
/* Sets the error response for rc; returns rc. */
int	ctx_fail(struct kc_ctx *, int rc, const char *msg);
/* The same with a machine code of its own. */
int	ctx_fail_code(struct kc_ctx *, int rc, const char *code,
	    const char *msg);
/* The answer of OAuth routes when KLAVIYO_CLIENT_ID is not set. */
#define OAUTH_OFF_MSG "Connecting with Klaviyo OAuth is not set up on " \
	"this server (KLAVIYO_CLIENT_ID); use a private API key"

#endif
