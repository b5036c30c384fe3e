/*
 * OAuth 2.0 of klaviyo-sandbox (docs/SANDBOX.md, "OAuth"): one client
 * registered on the command line, the authorization code grant with
 * PKCE S256 (a consent page a person or a headless browser answers),
 * refresh tokens with rotation, revocation (RFC 7009), and access
 * tokens the Klaviyo endpoints take as "Authorization: Bearer".  All
 * state lives in memory: a grant is one consent (an account, its
 * scopes, the current refresh token and the access tokens issued).
 * The control API under /__sandbox/oauth shows the grants and lets a
 * test expire or revoke them.
 */
#ifndef KC_SANDBOX_OAUTH_H
#define KC_SANDBOX_OAUTH_H

#include <stddef.h>
#include <stdint.h>

#include "kc_err.h"
#include "http.h"

#define SBX_OAUTH_TTL_DEFAULT	3600		/* Klaviyo's: one hour */
#define SBX_OAUTH_TTL_MAX	(366L * 86400)
#define SBX_OAUTH_CODE_US	(600ULL * 1000000)	/* 10 minutes */
#define SBX_OAUTH_CODES_MAX	4096
#define SBX_OAUTH_GRANTS_MAX	65536

struct sbx_oauth;
struct sbx_app;

/*
 * client: "ID:SECRET" from --oauth-client, or NULL (OAuth off: every
 * /oauth/ path answers 404).  ttl: access-token lifetime in real
 * seconds.
 */
int	sbx_oauth_new(const char *client, long ttl, struct sbx_oauth **)
	    KC_MUSTCHECK;
void	sbx_oauth_free(struct sbx_oauth *);
/* 1 when "ID:SECRET" is acceptable for --oauth-client. */
int	sbx_oauth_client_ok(const char *);
/*
 * The account (index) and scopes of a live access token at now_us
 * (sbx_now_us()); 0 when the token is unknown, expired or revoked.
 */
int	sbx_oauth_bearer(const struct sbx_oauth *, const char *token,
	    uint64_t now_us, size_t *acc, unsigned *scopes);
/*
 * Answers a request for /oauth/...; grant_type gets what a token
 * request named (sanitized, for the request log) or "".
 */
int	sbx_oauth_answer(struct sbx_app *, const struct sbx_req *,
	    struct sbx_resp *, char *grant_type, size_t) KC_MUSTCHECK;
/* /__sandbox/oauth, /__sandbox/oauth/expire, /__sandbox/oauth/revoke. */
void	sbx_oauth_ctl(struct sbx_app *, const struct sbx_req *,
	    struct sbx_resp *);

#endif
