/* Klaviyo OAuth, the protocol side; see oauth.h. */
#include "oauth.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>
#include <json-c/json.h>

#include "crypto.h"
#include "json_util.h"
#include "klaviyo.h"
#include "log.h"

#define OAUTH_BODY_MAX	(64 * 1024)	/* a token answer is ~1 KiB */
#define OAUTH_FORM_MAX	(16 * 1024)

/* A fixed buffer: tokens must not be left behind by realloc. */
struct sink {
	char	*data;
	size_t	 len;
	int	 overflow;
};

void
oauth_wipe_free(char *s)
{
	if (s == NULL)
		return;
	crypto_wipe(s, strlen(s));
	free(s);
}

void
oauth_tokens_free(struct oauth_tokens *t)
{
	oauth_wipe_free(t->access);
	oauth_wipe_free(t->refresh);
	free(t->scope);
	memset(t, 0, sizeof(*t));
}

int
oauth_client_init(const struct kc_config *cfg, struct oauth_client *c)
{
	size_t n;

	memset(c, 0, sizeof(*c));
	if (cfg->klaviyo_client_id == NULL || cfg->klaviyo_client_id[0] ==
	    '\0')
		return KC_ERR_NOT_FOUND;
	c->client_id = cfg->klaviyo_client_id;
	c->client_secret = cfg->klaviyo_client_secret ?
	    cfg->klaviyo_client_secret : "";
	c->authorize_url = cfg->klaviyo_oauth_authorize_url;
	c->token_url = cfg->klaviyo_oauth_token_url;
	c->revoke_url = cfg->klaviyo_oauth_revoke_url;
	c->timeout_ms = cfg->klaviyo_timeout_ms;
	c->connect_timeout_ms = cfg->klaviyo_connect_timeout_ms;
	c->refresh_margin = cfg->klaviyo_oauth_refresh_margin;
	/* APP_URL is an origin, maybe with a trailing slash. */
	n = strlen(cfg->app_url);
	while (n > 0 && cfg->app_url[n - 1] == '/')
		n--;
	if ((size_t)snprintf(c->redirect_uri, sizeof(c->redirect_uri),
	    "%.*s%s", (int)n, cfg->app_url, OAUTH_CALLBACK_PATH) >=
	    sizeof(c->redirect_uri))
		return KC_ERR_CONFIG;
	return KC_OK;
}

int
oauth_random(size_t nbytes, char *out, size_t outlen)
{
	unsigned char	raw[64];
	char		enc[4 * sizeof(raw) / 3 + 4];
	int		rc;

	if (nbytes > sizeof(raw))
		return KC_ERR_INTERNAL;
	if ((rc = crypto_random(raw, nbytes)) == KC_OK &&
	    (rc = crypto_b64url_encode(raw, nbytes, enc, sizeof(enc))) ==
	    KC_OK) {
		if (strlen(enc) < outlen)
			memcpy(out, enc, strlen(enc) + 1);
		else
			rc = KC_ERR_TOO_LARGE;
	}
	crypto_wipe(raw, sizeof(raw));
	crypto_wipe(enc, sizeof(enc));
	return rc;
}

int
oauth_challenge(const char *verifier, char out[OAUTH_CHALLENGE_LEN + 1])
{
	unsigned char	digest[32];
	char		enc[48];
	int		rc;

	crypto_sha256(verifier, strlen(verifier), digest);
	if ((rc = crypto_b64url_encode(digest, sizeof(digest), enc,
	    sizeof(enc))) != KC_OK)
		return rc;
	if (strlen(enc) != OAUTH_CHALLENGE_LEN)
		return KC_ERR_INTERNAL;
	memcpy(out, enc, OAUTH_CHALLENGE_LEN + 1);
	return KC_OK;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int
oauth_scopes(char *out, size_t outlen)
{
	const char	*s[KV__MAX];
	size_t		 i, n = 0, len = 0, w;

	/* Exactly the scopes of the endpoints the client calls. */
	for (i = 0; i < KV__MAX; i++)
		s[n++] = kv_endpoints[i].scope;
	qsort(s, n, sizeof(s[0]), cmp_str);
	if (outlen == 0)
		return KC_ERR_TOO_LARGE;
	out[0] = '\0';
	for (i = 0; i < n; i++) {
		if (i > 0 && strcmp(s[i], s[i - 1]) == 0)
			continue;
		w = (size_t)snprintf(out + len, outlen - len, "%s%s",
		    len ? " " : "", s[i]);
		if (w >= outlen - len)
			return KC_ERR_TOO_LARGE;
		len += w;
	}
	return KC_OK;
}

/* Appends "&name=value" with value percent-encoded (RFC 3986). */
static int
query_add(struct buf *b, const char *name, const char *value, int first)
{
	char	*esc;
	int	 rc;

	/* curl escapes all but the unreserved characters, as form_add. */
	if ((esc = curl_easy_escape(NULL, value, 0)) == NULL)
		return KC_ERR_NOMEM;
	rc = buf_printf(b, "%s%s=%s", first ? "" : "&", name, esc);
	curl_free(esc);
	return rc;
}

int
oauth_authorize_url(const struct oauth_client *c, const char *state,
    const char *challenge, struct buf *b)
{
	char	scopes[512];
	int	rc;

	if ((rc = oauth_scopes(scopes, sizeof(scopes))) != KC_OK ||
	    (rc = buf_puts(b, c->authorize_url)) != KC_OK ||
	    (rc = buf_puts(b, strchr(c->authorize_url, '?') ? "&" : "?")) !=
	    KC_OK ||
	    (rc = query_add(b, "response_type", "code", 1)) != KC_OK ||
	    (rc = query_add(b, "client_id", c->client_id, 0)) != KC_OK ||
	    (rc = query_add(b, "redirect_uri", c->redirect_uri, 0)) != KC_OK ||
	    (rc = query_add(b, "scope", scopes, 0)) != KC_OK ||
	    (rc = query_add(b, "state", state, 0)) != KC_OK ||
	    (rc = query_add(b, "code_challenge_method", "S256", 0)) != KC_OK)
		return rc;
	return query_add(b, "code_challenge", challenge, 0);
}

/* Frees a parsed token object, wiping the tokens json-c holds. */
static void
put_wiped(struct json_object *o)
{
	static const char *const keys[] = { "access_token", "refresh_token" };
	struct json_object	*v;
	size_t			 i;

	for (i = 0; o && i < nitems(keys); i++)
		if (json_object_object_get_ex(o, keys[i], &v) &&
		    json_object_is_type(v, json_type_string))
			crypto_wipe((char *)json_object_get_string(v),
			    (size_t)json_object_get_string_len(v));
	json_object_put(o);
}

static char *
dup_str(struct json_object *o, const char *key)
{
	const char *s = json_get_str(o, key);

	return s ? strdup(s) : NULL;
}

/* The three strings of a token object (refresh and scope optional). */
static int
copy_tokens(struct json_object *o, struct oauth_tokens *t)
{
	if ((t->access = dup_str(o, "access_token")) == NULL ||
	    (json_get_str(o, "refresh_token") &&
	    (t->refresh = dup_str(o, "refresh_token")) == NULL) ||
	    (json_get_str(o, "scope") &&
	    (t->scope = dup_str(o, "scope")) == NULL))
		return KC_ERR_NOMEM;
	return KC_OK;
}

int
oauth_parse_token_response(const char *body, size_t len, long long now,
    struct oauth_tokens *t)
{
	struct json_object	*o = NULL, *v;
	const char		*type;
	char			 err[64];
	long long		 in = 3600;
	int			 rc;

	memset(t, 0, sizeof(*t));
	if (json_parse_object(body, len, &o, err, sizeof(err)) != KC_OK)
		return KC_ERR_UPSTREAM;
	rc = KC_ERR_UPSTREAM;
	type = json_get_str(o, "token_type");
	if (json_get_str(o, "access_token") == NULL ||
	    json_get_str(o, "access_token")[0] == '\0' ||
	    (type && strcasecmp(type, "bearer") != 0))
		goto out;
	if (json_object_object_get_ex(o, "expires_in", &v)) {
		if (!json_object_is_type(v, json_type_int))
			goto out;
		in = json_object_get_int64(v);
		if (in <= 0 || in > 86400 * 366)
			goto out;
	}
	rc = KC_ERR_NOMEM;
	if (copy_tokens(o, t) != KC_OK)
		goto out;
	t->lifetime = (long)in;
	t->expires_at = now + in;
	rc = KC_OK;
out:
	/* The parsed tree held the tokens too. */
	put_wiped(o);
	if (rc != KC_OK)
		oauth_tokens_free(t);
	return rc;
}

int
oauth_tokens_encode(const struct oauth_tokens *t, char **out)
{
	struct json_object	*o = json_object_new_object();
	const char		*s;
	int			 rc = KC_ERR_NOMEM;

	*out = NULL;
	if (o == NULL || json_add_str(o, "access_token", t->access) != KC_OK ||
	    json_add_str(o, "refresh_token", t->refresh) != KC_OK ||
	    json_add_str(o, "scope", t->scope) != KC_OK ||
	    json_add_int(o, "expires_at", t->expires_at) != KC_OK ||
	    json_add_int(o, "lifetime", t->lifetime) != KC_OK)
		goto out;
	s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
	if (s && (*out = strdup(s)) != NULL)
		rc = KC_OK;
	/* json-c keeps the printed string in the object: wipe it. */
	if (s)
		crypto_wipe((char *)s, strlen(s));
out:
	put_wiped(o);
	return rc;
}

int
oauth_tokens_decode(const char *json, struct oauth_tokens *t)
{
	struct json_object	*o = NULL, *v;
	char			 err[64];
	int			 rc = KC_ERR_CRYPTO;

	memset(t, 0, sizeof(*t));
	if (json_parse_object(json, strlen(json), &o, err, sizeof(err)) !=
	    KC_OK)
		return KC_ERR_CRYPTO;
	if (json_get_str(o, "access_token") == NULL ||
	    !json_object_object_get_ex(o, "expires_at", &v))
		goto out;
	t->expires_at = json_object_get_int64(v);
	if (json_object_object_get_ex(o, "lifetime", &v))
		t->lifetime = (long)json_object_get_int64(v);
	rc = KC_ERR_NOMEM;
	if (copy_tokens(o, t) != KC_OK)
		goto out;
	rc = KC_OK;
out:
	put_wiped(o);
	if (rc != KC_OK)
		oauth_tokens_free(t);
	return rc;
}

int
oauth_needs_refresh(const struct oauth_tokens *t, long margin,
    long long now)
{
	/* A short-lived token must not be refreshed on every use. */
	if (t->lifetime > 0 && margin > t->lifetime / 10)
		margin = t->lifetime / 10;
	return now + margin >= t->expires_at;
}

static size_t
sink_write(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct sink	*s = arg;
	size_t		 n = size * nmemb;

	if (n > OAUTH_BODY_MAX - 1 - s->len) {
		s->overflow = 1;
		return 0;
	}
	memcpy(s->data + s->len, ptr, n);
	s->len += n;
	s->data[s->len] = '\0';
	return n;
}

/* Appends "&name=<escaped value>" to a fixed form buffer. */
static int
form_add(char *form, size_t formlen, CURL *h, const char *name,
    const char *value)
{
	char	*esc;
	size_t	 used = strlen(form), w;

	if ((esc = curl_easy_escape(h, value, 0)) == NULL)
		return KC_ERR_NOMEM;
	w = (size_t)snprintf(form + used, formlen - used, "%s%s=%s",
	    used ? "&" : "", name, esc);
	crypto_wipe(esc, strlen(esc));
	curl_free(esc);
	return w < formlen - used ? KC_OK : KC_ERR_TOO_LARGE;
}

static void
set_error(struct oauth_error *e, const char *code, const char *msg)
{
	snprintf(e->code, sizeof(e->code), "%s", code);
	snprintf(e->msg, sizeof(e->msg), "%s", msg);
}

/* The OAuth error code of a 4xx answer ("invalid_grant"), if any. */
static void
error_code(const char *body, size_t len, char *out, size_t outlen)
{
	struct json_object	*o = NULL;
	const char		*s;
	char			 err[64];

	out[0] = '\0';
	if (json_parse_object(body, len, &o, err, sizeof(err)) != KC_OK)
		return;
	if ((s = json_get_str(o, "error")) != NULL)
		snprintf(out, outlen, "%s", s);
	json_object_put(o);
}

/*
 * POSTs a form (pairs of name, value) to url with Basic client auth.
 * On 200 the body is left in s for the caller.
 */
static int
post_form(const struct oauth_client *c, const char *url,
    const char *const *pairs, size_t npairs, struct sink *s, long *status,
    struct oauth_error *e)
{
	CURL		*h;
	CURLcode	 cc;
	char		*form = NULL;
	char		 oerr[64];
	size_t		 i;
	int		 rc = KC_ERR_NOMEM;

	*status = 0;
	memset(s, 0, sizeof(*s));
	if ((h = curl_easy_init()) == NULL)
		goto out;
	if ((form = calloc(1, OAUTH_FORM_MAX)) == NULL ||
	    (s->data = calloc(1, OAUTH_BODY_MAX)) == NULL)
		goto out;
	for (i = 0; i + 1 < npairs * 2; i += 2)
		if ((rc = form_add(form, OAUTH_FORM_MAX, h, pairs[i],
		    pairs[i + 1])) != KC_OK)
			goto out;
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
	curl_easy_setopt(h, CURLOPT_USERNAME, c->client_id);
	curl_easy_setopt(h, CURLOPT_PASSWORD, c->client_secret);
	curl_easy_setopt(h, CURLOPT_POSTFIELDS, form);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, c->connect_timeout_ms);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, c->timeout_ms);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, sink_write);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, s);
	curl_easy_setopt(h, CURLOPT_USERAGENT, "klaviyo-connect");
	cc = curl_easy_perform(h);
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, status);
	if (cc == CURLE_OPERATION_TIMEDOUT) {
		set_error(e, "klaviyo_timeout", "Klaviyo's OAuth server did "
		    "not answer in time; try again");
		rc = KC_ERR_TIMEOUT;
	} else if (cc != CURLE_OK && !s->overflow) {
		set_error(e, "klaviyo_unreachable", "Klaviyo's OAuth server "
		    "cannot be reached; try again shortly");
		rc = KC_ERR_UPSTREAM;
	} else if (s->overflow) {
		set_error(e, "klaviyo_bad_response", "Klaviyo's OAuth server "
		    "sent an answer that is too large");
		rc = KC_ERR_UPSTREAM;
	} else if (*status == 200)
		rc = KC_OK;
	else {
		error_code(s->data, s->len, oerr, sizeof(oerr));
		if (*status == 400 && strcmp(oerr, "invalid_grant") == 0) {
			set_error(e, "oauth_grant_refused", "Klaviyo refused "
			    "the authorization (it expired or was revoked); "
			    "connect with Klaviyo again");
			rc = KC_ERR_UNPROCESSABLE;
		} else if (*status == 401 || strcmp(oerr, "invalid_client") ==
		    0) {
			log_error("Klaviyo refused our OAuth client: check "
			    "KLAVIYO_CLIENT_ID and KLAVIYO_CLIENT_SECRET");
			set_error(e, "oauth_client_refused", "Klaviyo refused "
			    "this app's OAuth client; an administrator must "
			    "check its client id and secret");
			rc = KC_ERR_UPSTREAM;
		} else {
			snprintf(e->code, sizeof(e->code), "klaviyo_error");
			snprintf(e->msg, sizeof(e->msg), "Klaviyo's OAuth "
			    "server answered HTTP %ld%s%s", *status,
			    oerr[0] ? ": " : "", oerr);
			rc = KC_ERR_UPSTREAM;
		}
	}
out:
	if (rc == KC_ERR_NOMEM || rc == KC_ERR_TOO_LARGE)
		set_error(e, "internal_error", "Internal error");
	if (form) {
		crypto_wipe(form, OAUTH_FORM_MAX);
		free(form);
	}
	if (h)
		curl_easy_cleanup(h);
	return rc;
}

static void
sink_free(struct sink *s)
{
	if (s->data) {
		crypto_wipe(s->data, OAUTH_BODY_MAX);
		free(s->data);
	}
	memset(s, 0, sizeof(*s));
}

static int
token_call(const struct oauth_client *c, const char *const *pairs,
    size_t npairs, struct oauth_tokens *t, struct oauth_error *e)
{
	struct sink	s;
	long		status;
	int		rc;

	memset(t, 0, sizeof(*t));
	rc = post_form(c, c->token_url, pairs, npairs, &s, &status, e);
	if (rc == KC_OK && (rc = oauth_parse_token_response(s.data, s.len,
	    (long long)time(NULL), t)) != KC_OK)
		set_error(e, "klaviyo_bad_response", "Klaviyo's OAuth server "
		    "sent an answer without a usable access token");
	sink_free(&s);
	return rc;
}

int
oauth_exchange_code(const struct oauth_client *c, const char *code,
    const char *verifier, struct oauth_tokens *t, struct oauth_error *e)
{
	const char *pairs[] = {
		"grant_type", "authorization_code",
		"code", code,
		"code_verifier", verifier,
		"redirect_uri", c->redirect_uri,
	};
	int rc;

	rc = token_call(c, pairs, 4, t, e);
	if (rc == KC_OK && t->refresh == NULL) {
		/* Without it the connection would die within the hour. */
		oauth_tokens_free(t);
		set_error(e, "klaviyo_bad_response", "Klaviyo's OAuth server "
		    "sent no refresh token");
		rc = KC_ERR_UPSTREAM;
	}
	return rc;
}

int
oauth_refresh(const struct oauth_client *c, const char *refresh,
    struct oauth_tokens *t, struct oauth_error *e)
{
	const char *pairs[] = {
		"grant_type", "refresh_token",
		"refresh_token", refresh,
	};
	int rc;

	rc = token_call(c, pairs, 2, t, e);
	/* No new refresh token: the old one stays valid (no rotation). */
	if (rc == KC_OK && t->refresh == NULL &&
	    (t->refresh = strdup(refresh)) == NULL) {
		oauth_tokens_free(t);
		rc = KC_ERR_NOMEM;
	}
	return rc;
}

int
oauth_revoke(const struct oauth_client *c, const char *refresh,
    struct oauth_error *e)
{
	const char *pairs[] = {
		"token", refresh,
		"token_type_hint", "refresh_token",
	};
	struct sink	s;
	long		status;
	int		rc;

	rc = post_form(c, c->revoke_url, pairs, 2, &s, &status, e);
	sink_free(&s);
	return rc;
}
