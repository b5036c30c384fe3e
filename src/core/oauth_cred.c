/* A store's credential in use; see oauth_cred.h. */
#include "oauth_cred.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "audit.h"
#include "connect_store.h"
#include "credential.h"
#include "log.h"

/* One lock per connection, in a key space of its own. */
static const char SQL_LOCK[] =
    "SELECT pg_advisory_xact_lock(hashtextextended("
    "'klaviyo-connect oauth refresh', $1::bigint))";

#define RECONNECT_MSG "Klaviyo no longer accepts this store's OAuth " \
	"authorization (it was revoked or has expired); connect with " \
	"Klaviyo again"

static void
set_error(struct oauth_error *e, const char *code, const char *msg)
{
	snprintf(e->code, sizeof(e->code), "%s", code);
	snprintf(e->msg, sizeof(e->msg), "%s", msg);
}

/* Loads the stored credential into c (replacing what it held). */
static int
load(struct kc_cred *c)
{
	char	*kind = NULL, *plain = NULL;
	size_t	 len = 0;
	int	 rc;

	rc = credential_load(c->db, c->keyring, c->conn_id,
	    c->store_public_id, &kind, &plain, &len);
	if (rc != KC_OK)
		return rc;
	oauth_tokens_free(&c->tok);
	if (c->key)
		secretbox_free_plain(c->key, c->keylen);
	c->key = NULL;
	c->keylen = 0;
	c->bearer = strcmp(kind, "oauth") == 0;
	if (c->bearer) {
		rc = oauth_tokens_decode(plain, &c->tok);
		secretbox_free_plain(plain, len);
		c->secret = c->tok.access;
	} else {
		c->key = plain;
		c->keylen = len;
		c->secret = c->key;
	}
	free(kind);
	return rc;
}

int
cred_open(struct db *db, const struct keyring *kr,
    const struct oauth_client *client, long long conn_id, const char *pub,
    struct kc_cred *c, struct oauth_error *e)
{
	int rc;

	memset(c, 0, sizeof(*c));
	memset(e, 0, sizeof(*e));
	c->db = db;
	c->keyring = kr;
	c->client = client;
	c->conn_id = conn_id;
	snprintf(c->store_public_id, sizeof(c->store_public_id), "%s", pub);
	if ((rc = load(c)) != KC_OK) {
		cred_close(c);
		return rc;
	}
	if (!c->bearer || !oauth_needs_refresh(&c->tok, client ?
	    client->refresh_margin : 0, (long long)time(NULL)))
		return KC_OK;
	rc = cred_refresh(c, 0, e);
	/* A token that still works is used while Klaviyo is unwell. */
	if (rc != KC_OK && rc != KC_ERR_UNPROCESSABLE &&
	    c->tok.expires_at > (long long)time(NULL)) {
		log_warnx("store %s: OAuth refresh failed (%s); using the "
		    "current token", pub, e->msg);
		return KC_OK;
	}
	if (rc != KC_OK)
		cred_close(c);
	return rc;
}

/* Saves the new tokens, or marks the store when Klaviyo refused. */
static int
refresh_locked(struct kc_cred *c, struct oauth_error *e)
{
	struct oauth_tokens	 fresh;
	char			*blob = NULL;
	int			 rc;

	if (c->tok.refresh == NULL) {
		set_error(e, "oauth_reconnect_required", RECONNECT_MSG);
		rc = KC_ERR_UNPROCESSABLE;
	} else
		rc = oauth_refresh(c->client, c->tok.refresh, &fresh, e);
	if (rc == KC_ERR_UNPROCESSABLE) {
		log_warnx("store %s: Klaviyo refused the OAuth refresh token; "
		    "the integration needs reconnecting", c->store_public_id);
		set_error(e, "oauth_reconnect_required", RECONNECT_MSG);
		if (connection_mark_refused(c->db, c->conn_id, RECONNECT_MSG,
		    "Klaviyo refused the OAuth authorization") != KC_OK ||
		    db_commit(c->db) != KC_OK)
			db_rollback(c->db);
		return KC_ERR_UNPROCESSABLE;
	}
	if (rc != KC_OK) {
		db_rollback(c->db);
		return rc;
	}
	if ((rc = oauth_tokens_encode(&fresh, &blob)) == KC_OK &&
	    (rc = credential_save(c->db, c->keyring, c->conn_id,
	    c->store_public_id, "oauth", blob)) == KC_OK &&
	    (rc = audit_log_connection(c->db, c->conn_id, "oauth_refreshed",
	    "success", NULL)) == KC_OK)
		rc = db_commit(c->db);
	oauth_wipe_free(blob);
	if (rc != KC_OK) {
		/*
		 * Klaviyo may have rotated the refresh token we could not
		 * save; the next refresh will tell (and ask to reconnect).
		 */
		log_error("store %s: the refreshed OAuth token could not be "
		    "saved", c->store_public_id);
		db_rollback(c->db);
		oauth_tokens_free(&fresh);
		set_error(e, "internal_error", "The refreshed Klaviyo "
		    "authorization could not be saved");
		return rc;
	}
	oauth_tokens_free(&c->tok);
	c->tok = fresh;
	c->secret = c->tok.access;
	c->refreshes++;
	log_info("store %s: OAuth access token refreshed (valid %ld s)",
	    c->store_public_id, c->tok.lifetime);
	return KC_OK;
}

int
cred_refresh(struct kc_cred *c, int forced, struct oauth_error *e)
{
	char		 sid[24], *seen = NULL;
	const char	*params[1] = { sid };
	int		 rc;

	memset(e, 0, sizeof(*e));
	if (!c->bearer)
		return KC_OK;
	if (c->client == NULL) {
		set_error(e, "oauth_not_configured", "This store is connected "
		    "with OAuth, but OAuth is not set up on this server "
		    "(KLAVIYO_CLIENT_ID)");
		return KC_ERR_CONFIG;
	}
	if ((seen = strdup(c->tok.access)) == NULL)
		return KC_ERR_NOMEM;
	snprintf(sid, sizeof(sid), "%lld", c->conn_id);
	if ((rc = db_begin(c->db)) != KC_OK)
		goto out;
	/* Whoever holds the lock refreshes; the others read its result. */
	if ((rc = db_query(c->db, SQL_LOCK, 1, params, NULL)) != KC_OK ||
	    (rc = load(c)) != KC_OK) {
		db_rollback(c->db);
		if (rc == KC_ERR_NOT_FOUND) {
			set_error(e, "conflict", "Klaviyo is no longer "
			    "connected for this store");
			rc = KC_ERR_CONFLICT;
		}
		goto out;
	}
	if (!c->bearer || (forced ? strcmp(seen, c->tok.access) != 0 :
	    !oauth_needs_refresh(&c->tok, c->client->refresh_margin,
	    (long long)time(NULL)))) {
		/* Replaced or refreshed meanwhile: use what is stored. */
		rc = db_commit(c->db);
		goto out;
	}
	rc = refresh_locked(c, e);
out:
	oauth_wipe_free(seen);
	if (rc != KC_OK && e->code[0] == '\0')
		set_error(e, kc_err_code(rc), kc_strerror(rc));
	return rc;
}

static int
token_rejected(const struct kv_call *call)
{
	return strcmp(call->code, "klaviyo_token_rejected") == 0;
}

static int
fail_call(struct kv_call *call, int rc, const struct oauth_error *e)
{
	call->err = rc;
	snprintf(call->code, sizeof(call->code), "%s", e->code);
	snprintf(call->errmsg, sizeof(call->errmsg), "%s", e->msg);
	return rc;
}

int
cred_run(struct kc_cred *c, struct kv_client *kv, const char *acct,
    struct kv_call *calls, size_t n)
{
	struct oauth_error	 e;
	size_t			 i;
	int			 rc, refused = 0;

	if (c->bearer && c->client && oauth_needs_refresh(&c->tok,
	    c->client->refresh_margin, (long long)time(NULL)) &&
	    (rc = cred_refresh(c, 0, &e)) != KC_OK &&
	    (rc == KC_ERR_UNPROCESSABLE ||
	    c->tok.expires_at <= (long long)time(NULL))) {
		kv_call_reset(&calls[0]);
		return fail_call(&calls[0], rc, &e);
	}
	rc = kv_run(kv, c->secret, c->bearer, acct, calls, n);
	for (i = 0; c->bearer && i < n; i++)
		refused |= token_rejected(&calls[i]);
	if (!refused)
		return rc;
	/* Expired early or revoked: refresh once and try again. */
	log_info("store %s: Klaviyo refused the access token; refreshing",
	    c->store_public_id);
	if ((rc = cred_refresh(c, 1, &e)) == KC_OK)
		return kv_run(kv, c->secret, c->bearer, acct, calls, n);
	/* Every refused call answers with why the refresh failed. */
	for (i = 0; i < n; i++)
		if (token_rejected(&calls[i]))
			fail_call(&calls[i], rc, &e);
	return rc;
}

void
cred_close(struct kc_cred *c)
{
	oauth_tokens_free(&c->tok);
	if (c->key)
		secretbox_free_plain(c->key, c->keylen);
	c->key = NULL;
	c->keylen = 0;
	c->secret = NULL;
}

int
cred_peek(struct db *db, const struct keyring *kr, long long conn_id,
    const char *pub, struct kc_cred *c)
{
	int rc;

	memset(c, 0, sizeof(*c));
	c->db = db;
	c->keyring = kr;
	c->conn_id = conn_id;
	snprintf(c->store_public_id, sizeof(c->store_public_id), "%s", pub);
	if ((rc = load(c)) != KC_OK)
		cred_close(c);
	return rc;
}

void
cred_revoke(const struct kc_cred *c, const struct oauth_client *client)
{
	struct oauth_error	 e;
	const char		*outcome = "failure";

	if (!c->bearer)
		return;
	if (client == NULL)
		log_warnx("store %s: OAuth is off, its grant is not revoked "
		    "at Klaviyo", c->store_public_id);
	else if (c->tok.refresh == NULL ||
	    oauth_revoke(client, c->tok.refresh, &e) != KC_OK)
		log_warnx("store %s: revoking the OAuth grant at Klaviyo "
		    "failed: %s", c->store_public_id, c->tok.refresh ? e.msg :
		    "no refresh token");
	else {
		log_info("store %s: OAuth grant revoked at Klaviyo",
		    c->store_public_id);
		outcome = "success";
	}
	if (c->db && audit_log_store(c->db, c->store_public_id,
	    "oauth_revoked", outcome, NULL) != KC_OK)
		log_warnx("store %s: cannot write the oauth_revoked audit row",
		    c->store_public_id);
}
