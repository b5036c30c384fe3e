/* OAuth attempts in oauth_flows; see oauth_flow.h. */
#include "oauth_flow.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "credential.h"
#include "crypto.h"
#include "json_util.h"
#include "log.h"

static const char SQL_START[] =
    "INSERT INTO oauth_flows (state_hash, user_id, store_id, key_version,"
    " nonce, ciphertext, tag, expires_at) VALUES ($1, $2, $3, $4,"
    " decode($5, 'hex'), decode($6, 'hex'), decode($7, 'hex'),"
    " now() + make_interval(secs => $8))";
/*
 * One statement: the row is locked, marked used (for good) and read, so
 * two callbacks with one state cannot both see it unused.
 */
static const char SQL_TAKE[] =
    "WITH f AS (SELECT id, used_at IS NOT NULL AS was_used,"
    " expires_at <= now() AS expired FROM oauth_flows"
    " WHERE state_hash = $1 FOR UPDATE)"
    " UPDATE oauth_flows o SET used_at = coalesce(o.used_at, now())"
    " FROM f, stores s WHERE o.id = f.id AND s.id = o.store_id"
    " RETURNING o.id, o.user_id, o.store_id, s.public_id, o.key_version,"
    " encode(o.nonce, 'hex'), encode(o.ciphertext, 'hex'),"
    " encode(o.tag, 'hex'), f.was_used, f.expired";
static const char SQL_GRANT[] =
    "UPDATE oauth_flows SET key_version = $2, nonce = decode($3, 'hex'),"
    " ciphertext = decode($4, 'hex'), tag = decode($5, 'hex'),"
    " account = $6::jsonb, granted_at = now(),"
    " expires_at = now() + make_interval(secs => $7)"
    " WHERE id = $1 AND granted_at IS NULL";
static const char SQL_PENDING[] =
    "SELECT id, key_version, encode(nonce, 'hex'),"
    " encode(ciphertext, 'hex'), encode(tag, 'hex'), account::text"
    " FROM oauth_flows WHERE store_id = $1 AND user_id = $2"
    " AND granted_at IS NOT NULL AND expires_at > now()"
    " ORDER BY granted_at DESC, id DESC LIMIT 1";
static const char SQL_CONSUME[] =
    "DELETE FROM oauth_flows WHERE id = $1 AND granted_at IS NOT NULL"
    " RETURNING id";
/* Expired, or a granted flow that a newer grant replaced. */
static const char SQL_STALE[] =
    "SELECT f.id, s.public_id, f.granted_at IS NOT NULL, f.key_version,"
    " encode(f.nonce, 'hex'), encode(f.ciphertext, 'hex'),"
    " encode(f.tag, 'hex') FROM oauth_flows f JOIN stores s"
    " ON s.id = f.store_id WHERE f.expires_at <= now()"
    " OR (f.granted_at IS NOT NULL AND EXISTS (SELECT 1 FROM oauth_flows n"
    "  WHERE n.store_id = f.store_id AND n.user_id = f.user_id"
    "  AND n.granted_at > f.granted_at))"
    " ORDER BY f.id LIMIT 100";
static const char SQL_DELETE[] =
    "DELETE FROM oauth_flows WHERE id = $1";

void
oauth_flow_free(struct oauth_flow *f)
{
	json_object_put(f->account);
	memset(f, 0, sizeof(*f));
}

int
oauth_flow_start(struct db *db, const struct keyring *kr, long long user_id,
    long long store_id, const char *pub, char state[OAUTH_STATE_LEN + 1],
    char challenge[OAUTH_CHALLENGE_LEN + 1])
{
	struct sealed_text	 t;
	struct sealed_ctx	 ctx;
	char			 verifier[OAUTH_VERIFIER_LEN + 1];
	char			 hash[SHA256_HEX_LEN + 1], uid[24], sid[24];
	char			 ttl[16];
	const char		*params[8];
	int			 rc;

	memset(&t, 0, sizeof(t));
	if ((rc = oauth_random(32, state, OAUTH_STATE_LEN + 1)) != KC_OK ||
	    (rc = oauth_random(48, verifier, sizeof(verifier))) != KC_OK ||
	    (rc = oauth_challenge(verifier, challenge)) != KC_OK)
		goto out;
	crypto_sha256_hex(state, strlen(state), hash);
	/* The row is known by its state hash before it is inserted. */
	ctx.purpose = SECRETBOX_OAUTH_VERIFIER;
	ctx.store = pub;
	ctx.row = hash;
	ctx.legacy = 0;
	if ((rc = sealed_text_seal(kr, &ctx, verifier, &t)) != KC_OK)
		goto out;
	snprintf(uid, sizeof(uid), "%lld", user_id);
	snprintf(sid, sizeof(sid), "%lld", store_id);
	snprintf(ttl, sizeof(ttl), "%d", OAUTH_STATE_TTL);
	params[0] = hash;
	params[1] = uid;
	params[2] = sid;
	params[3] = t.version;
	params[4] = t.nonce;
	params[5] = t.ct;
	params[6] = t.tag;
	params[7] = ttl;
	rc = db_query(db, SQL_START, 8, params, NULL);
out:
	crypto_wipe(verifier, sizeof(verifier));
	sealed_text_free(&t);
	return rc;
}

int
oauth_flow_take(struct db *db, const struct keyring *kr, const char *state,
    long long user_id, struct oauth_flow *f, char **verifier,
    enum oauth_state_check *check)
{
	struct sealed_ctx	 ctx;
	char			 hash[SHA256_HEX_LEN + 1];
	const char		*params[1] = { hash };
	PGresult		*res = NULL;
	size_t			 len;
	int			 rc;

	memset(f, 0, sizeof(*f));
	*verifier = NULL;
	*check = OAUTH_STATE_UNKNOWN;
	crypto_sha256_hex(state, strlen(state), hash);
	if ((rc = db_query(db, SQL_TAKE, 1, params, &res)) != KC_OK)
		return rc;
	if (PQntuples(res) != 1) {
		PQclear(res);
		return KC_OK;
	}
	f->id = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	f->user_id = strtoll(PQgetvalue(res, 0, 1), NULL, 10);
	f->store_id = strtoll(PQgetvalue(res, 0, 2), NULL, 10);
	snprintf(f->store_public_id, sizeof(f->store_public_id), "%s",
	    PQgetvalue(res, 0, 3));
	if (f->user_id != user_id)
		*check = OAUTH_STATE_OTHER_USER;
	else if (strcmp(PQgetvalue(res, 0, 8), "t") == 0)
		*check = OAUTH_STATE_USED;
	else if (strcmp(PQgetvalue(res, 0, 9), "t") == 0)
		*check = OAUTH_STATE_EXPIRED;
	else {
		ctx.purpose = SECRETBOX_OAUTH_VERIFIER;
		ctx.store = f->store_public_id;
		ctx.row = hash;
		ctx.legacy = 0;
		rc = sealed_text_open(kr, &ctx, PQgetvalue(res, 0, 4),
		    PQgetvalue(res, 0, 5), PQgetvalue(res, 0, 6),
		    PQgetvalue(res, 0, 7), verifier, &len);
		if (rc == KC_OK)
			*check = OAUTH_STATE_OK;
	}
	PQclear(res);
	return rc;
}

int
oauth_flow_grant(struct db *db, const struct keyring *kr,
    const struct oauth_flow *f, const struct oauth_tokens *tok,
    struct json_object *account)
{
	struct sealed_text	 t;
	struct sealed_ctx	 ctx;
	char			*blob = NULL, id[24], ttl[16];
	const char		*params[7];
	PGresult		*res = NULL;
	int			 rc;

	memset(&t, 0, sizeof(t));
	snprintf(id, sizeof(id), "%lld", f->id);
	ctx.purpose = SECRETBOX_OAUTH_GRANT;
	ctx.store = f->store_public_id;
	ctx.row = id;
	ctx.legacy = 0;
	if ((rc = oauth_tokens_encode(tok, &blob)) != KC_OK ||
	    (rc = sealed_text_seal(kr, &ctx, blob, &t)) != KC_OK)
		goto out;
	snprintf(ttl, sizeof(ttl), "%d", OAUTH_GRANT_TTL);
	params[0] = id;
	params[1] = t.version;
	params[2] = t.nonce;
	params[3] = t.ct;
	params[4] = t.tag;
	params[5] = json_object_to_json_string_ext(account,
	    JSON_C_TO_STRING_PLAIN);
	params[6] = ttl;
	if ((rc = db_query(db, SQL_GRANT, 7, params, &res)) == KC_OK &&
	    strcmp(PQcmdTuples(res), "1") != 0)
		rc = KC_ERR_CONFLICT;
	PQclear(res);
out:
	oauth_wipe_free(blob);
	sealed_text_free(&t);
	return rc;
}

/*
 * The tokens sealed in row r's key_version, nonce, ciphertext and tag,
 * four columns from col; the row's id is its column 0.
 */
static int
open_tokens(const struct keyring *kr, const char *pub, const PGresult *res,
    int r, int col, struct oauth_tokens *tok)
{
	struct sealed_ctx	 ctx;
	char			*blob = NULL;
	size_t			 len;
	int			 rc;

	memset(tok, 0, sizeof(*tok));
	ctx.purpose = SECRETBOX_OAUTH_GRANT;
	ctx.store = pub;
	ctx.row = PQgetvalue(res, r, 0);
	ctx.legacy = 0;
	if ((rc = sealed_text_open(kr, &ctx, PQgetvalue(res, r, col),
	    PQgetvalue(res, r, col + 1), PQgetvalue(res, r, col + 2),
	    PQgetvalue(res, r, col + 3), &blob, &len)) != KC_OK)
		return rc;
	rc = oauth_tokens_decode(blob, tok);
	secretbox_free_plain(blob, len);
	return rc;
}

int
oauth_flow_pending(struct db *db, const struct keyring *kr,
    long long store_id, const char *pub, long long user_id,
    struct oauth_flow *f, struct oauth_tokens *tok)
{
	char		 sid[24], uid[24], err[64];
	const char	*params[2] = { sid, uid }, *text;
	PGresult	*res = NULL;
	int		 rc;

	memset(f, 0, sizeof(*f));
	memset(tok, 0, sizeof(*tok));
	snprintf(sid, sizeof(sid), "%lld", store_id);
	snprintf(uid, sizeof(uid), "%lld", user_id);
	if ((rc = db_query(db, SQL_PENDING, 2, params, &res)) != KC_OK)
		return rc;
	if (PQntuples(res) != 1) {
		PQclear(res);
		return KC_ERR_NOT_FOUND;
	}
	f->id = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	f->user_id = user_id;
	f->store_id = store_id;
	snprintf(f->store_public_id, sizeof(f->store_public_id), "%s", pub);
	text = PQgetvalue(res, 0, 5);
	if (json_parse_object(text, strlen(text), &f->account, err,
	    sizeof(err)) != KC_OK)
		rc = KC_ERR_INTERNAL;
	else
		rc = open_tokens(kr, pub, res, 0, 1, tok);
	PQclear(res);
	if (rc != KC_OK)
		oauth_flow_free(f);
	return rc;
}

int
oauth_flow_consume(struct db *db, long long id)
{
	char		 sid[24];
	const char	*params[1] = { sid };
	PGresult	*res = NULL;
	int		 rc;

	snprintf(sid, sizeof(sid), "%lld", id);
	if ((rc = db_query(db, SQL_CONSUME, 1, params, &res)) == KC_OK &&
	    PQntuples(res) != 1)
		rc = KC_ERR_CONFLICT;
	PQclear(res);
	return rc;
}

/* Revokes the refresh token a granted row holds; failures are logged. */
static void
revoke_row(const struct keyring *kr, const struct oauth_client *c,
    const PGresult *res, int r)
{
	struct oauth_tokens	tok;
	struct oauth_error	e;

	if (c == NULL || strcmp(PQgetvalue(res, r, 2), "t") != 0)
		return;
	if (open_tokens(kr, PQgetvalue(res, r, 1), res, r, 3, &tok) !=
	    KC_OK) {
		log_warnx("an unused OAuth grant of store %s does not decrypt",
		    PQgetvalue(res, r, 1));
		return;
	}
	if (tok.refresh) {
		if (oauth_revoke(c, tok.refresh, &e) != KC_OK)
			log_warnx("cannot revoke an unused OAuth grant of "
			    "store %s: %s", PQgetvalue(res, r, 1), e.msg);
		else
			log_info("revoked an unused OAuth grant of store %s",
			    PQgetvalue(res, r, 1));
	}
	oauth_tokens_free(&tok);
}

int
oauth_flow_reap(struct db *db, const struct keyring *kr,
    const struct oauth_client *c, int *reaped)
{
	PGresult	*res = NULL;
	const char	*params[1];
	int		 r, rc;

	*reaped = 0;
	if ((rc = db_query(db, SQL_STALE, 0, NULL, &res)) != KC_OK)
		return rc;
	for (r = 0; r < PQntuples(res); r++) {
		revoke_row(kr, c, res, r);
		params[0] = PQgetvalue(res, r, 0);
		if ((rc = db_query(db, SQL_DELETE, 1, params, NULL)) != KC_OK)
			break;
		(*reaped)++;
	}
	PQclear(res);
	return rc;
}
