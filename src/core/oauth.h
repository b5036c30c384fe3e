/*
 * Klaviyo OAuth 2.0, the protocol side (RFC 6749 authorization code,
 * RFC 7636 PKCE S256, RFC 7009 revocation): building the authorize URL,
 * and the three form-encoded POSTs to Klaviyo's token and revoke
 * endpoints with HTTP Basic client authentication.  Tokens only live in
 * struct oauth_tokens (wiped when freed) and in the sealed credential.
 */
#ifndef KC_OAUTH_H
#define KC_OAUTH_H

#include <stddef.h>

#include "buf.h"
#include "config.h"
#include "kc_err.h"

#define OAUTH_STATE_LEN		43	/* 32 random bytes, base64url */
#define OAUTH_VERIFIER_LEN	64	/* 48 random bytes, base64url */
#define OAUTH_CHALLENGE_LEN	43	/* SHA-256, base64url */
#define OAUTH_CALLBACK_PATH	"/api/klaviyo/oauth/callback"

struct oauth_client {
	const char	*client_id;
	const char	*client_secret;
	const char	*authorize_url;
	const char	*token_url;
	const char	*revoke_url;
	char		 redirect_uri[512];
	long		 timeout_ms;
	long		 connect_timeout_ms;
	long		 refresh_margin;	/* seconds */
};

struct oauth_tokens {
	char		*access;
	char		*refresh;
	char		*scope;
	long long	 expires_at;	/* epoch seconds */
	long		 lifetime;	/* expires_in as issued */
};

struct oauth_error {
	char	code[40];	/* machine code for the JSON error */
	char	msg[256];	/* a sentence for a person */
};

/* KC_ERR_NOT_FOUND when KLAVIYO_CLIENT_ID is empty (OAuth is off). */
int	oauth_client_init(const struct kc_config *, struct oauth_client *)
	    KC_MUSTCHECK;
/* nbytes random bytes as base64url into out. */
int	oauth_random(size_t nbytes, char *out, size_t outlen) KC_MUSTCHECK;
/* The S256 code challenge of a verifier. */
int	oauth_challenge(const char *verifier,
	    char out[OAUTH_CHALLENGE_LEN + 1]) KC_MUSTCHECK;
/* The scopes our Klaviyo calls need, space-separated, sorted. */
int	oauth_scopes(char *out, size_t outlen) KC_MUSTCHECK;
int	oauth_authorize_url(const struct oauth_client *, const char *state,
	    const char *challenge, struct buf *) KC_MUSTCHECK;

/*
 * The token endpoint.  Errors: KC_ERR_UNPROCESSABLE (Klaviyo refused
 * the code or refresh token: invalid_grant), KC_ERR_UPSTREAM (client
 * refused, 5xx, garbage), KC_ERR_TIMEOUT.
 */
int	oauth_exchange_code(const struct oauth_client *, const char *code,
	    const char *verifier, struct oauth_tokens *, struct oauth_error *)
	    KC_MUSTCHECK;
int	oauth_refresh(const struct oauth_client *, const char *refresh_token,
	    struct oauth_tokens *, struct oauth_error *) KC_MUSTCHECK;
/* Revokes a refresh token (and with it its access tokens). */
int	oauth_revoke(const struct oauth_client *, const char *refresh_token,
	    struct oauth_error *) KC_MUSTCHECK;

/* Pure helpers, unit-tested. */
int	oauth_parse_token_response(const char *body, size_t len,
	    long long now, struct oauth_tokens *) KC_MUSTCHECK;
/* The sealed form of tokens: a small JSON object; wipe it after use. */
int	oauth_tokens_encode(const struct oauth_tokens *, char **json)
	    KC_MUSTCHECK;
int	oauth_tokens_decode(const char *json, struct oauth_tokens *)
	    KC_MUSTCHECK;
/* 1 when the access token expires within the margin (or has). */
int	oauth_needs_refresh(const struct oauth_tokens *, long margin,
	    long long now);
void	oauth_tokens_free(struct oauth_tokens *);
/* Frees a string that held a secret, wiping it first. */
void	oauth_wipe_free(char *);

#endif
