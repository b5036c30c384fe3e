/*
 * What the OAuth files of klaviyo-sandbox share (oauth.c: state, grants,
 * codes, scopes, forms and the /oauth/ dispatch; oauth_authorize.c,
 * oauth_token.c, oauth_ctl.c).  oauth.h is the rest of the sandbox's
 * view of it.
 */
#ifndef KC_SANDBOX_OAUTH_IMPL_H
#define KC_SANDBOX_OAUTH_IMPL_H

#include <stddef.h>
#include <stdint.h>

#include "oauth.h"
#include "sandbox.h"

#define TOKEN_MAX	56	/* "kat_" + 43 base64url + NUL */
#define RANDOM_BYTES	32	/* 43 base64url characters */
#define CLIENT_ID_MAX	128
#define SECRET_MAX	256
#define CHALLENGE_MIN	43
#define CHALLENGE_MAX	128
#define SCOPES_STR_MAX	256
#define PAGE_MAX	(256 * 1024)
#define LOCATION_MAX	(12 * 1024)
#define FORM_TYPE	"application/x-www-form-urlencoded"
#define CTL_PREFIX	"/__sandbox/oauth"

struct oa_access {
	char		 token[TOKEN_MAX];
	uint64_t	 expires_us;
	int		 revoked;
};

/* One consent: what it grants and the tokens issued under it. */
struct oa_grant {
	size_t		  acc;
	unsigned	  scopes;
	char		  refresh[TOKEN_MAX];	/* "" once revoked */
	struct oa_access *access;		/* pruned when one is added */
	size_t		  naccess, capaccess;
	uint32_t	  refreshes;
	uint32_t	  issued;		/* access tokens ever */
	const char	 *revoked_by;		/* NULL while live */
};

struct oa_code {
	char		 code[TOKEN_MAX];
	char		*redirect_uri;
	char		 challenge[CHALLENGE_MAX + 1];
	size_t		 acc;
	unsigned	 scopes;
	uint64_t	 expires_us;
	size_t		 grant;		/* 1 + index of its grant; 0: unused */
};

struct sbx_oauth {
	int		 enabled;
	char		 client_id[CLIENT_ID_MAX + 1];
	char		 secret[SECRET_MAX + 1];
	long		 ttl, ttl0;
	int		 rotate;
	struct oa_grant	*grants;	/* never removed but by a reset */
	size_t		 ngrants, capgrants;
	struct oa_code	*codes;
	size_t		 ncodes, capcodes;
};

/* The parameters of an authorization request (borrowed). */
struct authz {
	const char	*response_type;
	const char	*client_id;
	const char	*redirect_uri;
	const char	*scope;
	const char	*state;
	const char	*challenge;
	const char	*method;
	unsigned	 scopes;
};

/* oauth.c */
/* RFC 3986 unreserved: [A-Za-z0-9-._~]. */
int	oa_unreserved(int);
/* prefix + 43 random base64url characters. */
int	oa_random_token(const char *prefix, char *, size_t) KC_MUSTCHECK;
int	oa_access_live(const struct oa_access *, uint64_t now);
/* Forgets every grant and code. */
void	oa_clear(struct sbx_oauth *);
/* A new access token of g, valid o->ttl seconds from now. */
int	oa_grant_issue_access(struct sbx_oauth *, struct oa_grant *,
	    uint64_t now, char *, size_t) KC_MUSTCHECK;
/* A new grant (index in *idx) with its first refresh token. */
int	oa_grant_new(struct sbx_oauth *, size_t acc, unsigned scopes,
	    size_t *idx) KC_MUSTCHECK;
void	oa_grant_revoke(struct oa_grant *, const char *by);
struct oa_grant *oa_grant_by_refresh(struct sbx_oauth *, const char *);
struct oa_access *oa_access_find(struct sbx_oauth *, const char *);
struct oa_code *oa_code_find(struct sbx_oauth *, const char *);
int	oa_code_new(struct sbx_oauth *, const struct authz *, size_t acc,
	    unsigned scopes, uint64_t now, char *, size_t) KC_MUSTCHECK;
/* A space-separated list of known scope names as bits. */
int	oa_scopes_parse(const char *, unsigned *, char *bad, size_t)
	    KC_MUSTCHECK;
void	oa_scopes_str(unsigned, char *, size_t);
/* Decodes an application/x-www-form-urlencoded body. */
int	oa_form_parse(const struct sbx_req *, struct sbx_query *, char *,
	    size_t) KC_MUSTCHECK;
/* Frees a decoded form, wiping its values first. */
void	oa_form_free(struct sbx_query *);

/* oauth_authorize.c */
const struct sbx_account *oa_account_by_id(const struct sbx_data *,
	    const char *, size_t *);
/* 43 to 128 characters of [A-Za-z0-9-._~] (RFC 7636 4.1, 4.2). */
int	oa_pkce_string_ok(const char *);
int	oa_authorize_get(struct sbx_app *, const struct sbx_req *,
	    struct sbx_resp *) KC_MUSTCHECK;
int	oa_authorize_post(struct sbx_app *, const struct sbx_req *,
	    struct sbx_resp *) KC_MUSTCHECK;

/* oauth_token.c */
/* {"error": ..., "error_description": ...} as RFC 6749 5.2 has it. */
int	oa_reply_error(struct sbx_resp *, int, const char *, const char *)
	    KC_MUSTCHECK;
int	oa_token_endpoint(struct sbx_app *, const struct sbx_req *,
	    struct sbx_resp *, char *grant_type, size_t) KC_MUSTCHECK;
int	oa_revoke_endpoint(struct sbx_app *, const struct sbx_req *,
	    struct sbx_resp *) KC_MUSTCHECK;

#endif
