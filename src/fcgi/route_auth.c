/*
 * POST /api/auth/login and POST /api/auth/logout.  Login answers the same
 * for an unknown account and a wrong password, spends the same scrypt
 * time on both, and is throttled per account and client address, per
 * address and per account (throttle.h).  A hash with weaker parameters
 * than PASSWORD_SCRYPT_LOG_N is replaced at a successful login.
 */
#include "routes.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "crypto.h"
#include "dispatch.h"
#include "json_util.h"
#include "log.h"
#include "password.h"
#include "throttle.h"
#include "user.h"

const struct jfield login_fields[] = {
	{ "email", JF_STRING, 1, EMAIL_MAX },
	{ "password", JF_STRING, 1, PASSWORD_MAX_LEN },
};
const size_t nlogin_fields = nitems(login_fields);

/* Trimmed, lower-cased copy; KC_ERR_BAD_INPUT when empty or odd. */
static int
normalize_email(const char *in, char *out, size_t outlen)
{
	size_t n, i;

	while (isspace((unsigned char)*in))
		in++;
	n = strlen(in);
	while (n > 0 && isspace((unsigned char)in[n - 1]))
		n--;
	if (n == 0 || n + 1 > outlen)
		return KC_ERR_BAD_INPUT;
	for (i = 0; i < n; i++) {
		if ((unsigned char)in[i] <= ' ')
			return KC_ERR_BAD_INPUT;
		out[i] = (char)tolower((unsigned char)in[i]);
	}
	out[n] = '\0';
	return strchr(out, '@') ? KC_OK : KC_ERR_BAD_INPUT;
}

static void
audit_login(struct kc_ctx *ctx, long long uid, const char *outcome,
    const char *email)
{
	struct json_object *d = json_object_new_object();

	if (d == NULL || json_add_str(d, "email", email) != KC_OK ||
	    audit_log(ctx->db, uid, 0, "login", outcome,
	    ctx->req->remote_addr, d) != KC_OK)
		log_warnx("cannot write the login audit row");
	json_object_put(d);
}

/*
 * The password was right: a hash made with weaker parameters is made
 * again at today's cost.  Best effort: a failure only waits for the next
 * login.
 */
static void
upgrade_hash(struct kc_ctx *ctx, long long uid, const char *password,
    const char *old, unsigned log_n)
{
	char	hash[PASSWORD_HASH_MAX];

	if (!password_needs_rehash(old, log_n))
		return;
	if (password_hash(password, log_n, hash, sizeof(hash)) != KC_OK ||
	    user_upgrade_hash(ctx->db, uid, old, hash) != KC_OK)
		log_warnx("cannot upgrade the password hash of user %lld",
		    uid);
	crypto_wipe(hash, sizeof(hash));
}

static int
set_cookie(struct kc_ctx *ctx, const char *value, long max_age)
{
	int secure = strncmp(ctx->cfg->app_url, "https:", 6) == 0;

	return http_resp_header(ctx->resp, "Set-Cookie",
	    "%s=%s; Path=/; Max-Age=%ld; HttpOnly; SameSite=Lax%s",
	    SESSION_COOKIE, value, max_age, secure ? "; Secure" : "");
}

int
route_login(struct kc_ctx *ctx)
{
	struct throttle_policy	 pol = {
		ctx->cfg->login_max_failures, ctx->cfg->login_max_failures_ip,
		ctx->cfg->login_window_seconds,
		ctx->cfg->login_max_failures_account,
		ctx->cfg->login_account_window_seconds,
		ctx->cfg->login_lockout_seconds,
	};
	unsigned		 log_n = (unsigned)ctx->cfg->password_scrypt_log_n;
	char			 err[256], email[EMAIL_MAX + 1];
	char			 token[SESSION_TOKEN_LEN + 1];
	char			 hash[PASSWORD_HASH_MAX];
	const char		*password;
	const char		*ip = ctx->req->remote_addr;
	struct json_object	*o = NULL, *u = NULL;
	long long		 uid = 0;
	long			 wait;
	int			 rc, ok;

	if ((rc = json_check_fields(ctx->body, login_fields,
	    nlogin_fields, err, sizeof(err))) != KC_OK)
		return ctx_fail(ctx, rc, err);
	if (normalize_email(json_get_str(ctx->body, "email"), email,
	    sizeof(email)) != KC_OK)
		return ctx_fail(ctx, KC_ERR_BAD_INPUT,
		    "Field 'email' must be an email address");
	password = json_get_str(ctx->body, "password");

	/* The try is taken before the password is checked: see throttle.h. */
	if ((rc = throttle_take(ctx->db, &pol, email, ip, &wait)) != KC_OK) {
		if (rc != KC_ERR_RATE_LIMITED)
			return rc;
		audit_login(ctx, 0, "throttled", email);
		snprintf(err, sizeof(err), "Too many failed sign-ins; try "
		    "again in %ld seconds", wait);
		ctx_fail(ctx, rc, err);
		if (http_resp_header(ctx->resp, "Retry-After", "%ld", wait) !=
		    KC_OK)
			return ctx_fail(ctx, KC_ERR_INTERNAL, NULL);
		return rc;
	}
	rc = user_login(ctx->db, email, &uid, hash, sizeof(hash));
	if (rc != KC_OK && rc != KC_ERR_NOT_FOUND)
		return rc;
	if (rc == KC_OK) {
		rc = password_verify(password, hash);
		if (rc != KC_OK && rc != KC_ERR_UNAUTHORIZED)
			goto out;
		ok = rc == KC_OK;
	} else {
		password_burn(password, log_n);
		ok = 0;
	}
	if (!ok) {
		/* The try taken above stays counted. */
		audit_login(ctx, uid, "failure", email);
		rc = KC_ERR_UNAUTHORIZED;
		http_resp_error_code(ctx->resp, KC_ERR_UNAUTHORIZED,
		    "invalid_credentials", "Wrong email or password");
		goto out;
	}
	if ((rc = throttle_success(ctx->db, email, ip)) != KC_OK)
		goto out;
	upgrade_hash(ctx, uid, password, hash, log_n);
	if ((rc = session_create(ctx->db, uid, ctx->cfg->session_ttl_hours,
	    ctx->cfg->session_max_per_user, token)) != KC_OK)
		goto out;
	audit_login(ctx, uid, "success", email);
	rc = set_cookie(ctx, token, ctx->cfg->session_ttl_hours * 3600);
	if (rc != KC_OK)
		goto out;
	if ((o = json_object_new_object()) == NULL ||
	    (u = json_object_new_object()) == NULL ||
	    json_add_int(u, "id", uid) != KC_OK ||
	    json_add_str(u, "email", email) != KC_OK ||
	    json_add_bool(o, "success", 1) != KC_OK) {
		rc = KC_ERR_NOMEM;
		goto out;
	}
	rc = json_add_obj(o, "user", u);
	u = NULL;
	if (rc != KC_OK)
		goto out;
	ctx_reply(ctx, 200, o);
	o = NULL;
out:
	crypto_wipe(token, sizeof(token));
	json_object_put(u);
	json_object_put(o);
	return rc;
}

int
route_logout(struct kc_ctx *ctx)
{
	const char		*authz, *cookie;
	struct json_object	*o;
	int			 rc;

	/* Idempotent: an expired or missing session still logs out. */
	authz = http_req_param(ctx->req, "HTTP_AUTHORIZATION");
	cookie = http_req_param(ctx->req, "HTTP_COOKIE");
	if (http_bearer_get(authz, ctx->token, sizeof(ctx->token)) == KC_OK ||
	    http_cookie_get(cookie, SESSION_COOKIE, ctx->token,
	    sizeof(ctx->token)) == KC_OK) {
		rc = session_delete(ctx->db, ctx->token);
		crypto_wipe(ctx->token, sizeof(ctx->token));
		if (rc != KC_OK)
			return rc;
	}
	if ((rc = set_cookie(ctx, "", 0)) != KC_OK)
		return rc;
	if ((o = json_object_new_object()) == NULL ||
	    json_add_bool(o, "success", 1) != KC_OK) {
		json_object_put(o);
		return KC_ERR_NOMEM;
	}
	ctx_reply(ctx, 200, o);
	return KC_OK;
}
