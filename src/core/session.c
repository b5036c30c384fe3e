/* Login sessions; see session.h. */
#include "session.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"
#include "perm.h"

static const char SQL_CREATE[] =
    "INSERT INTO sessions (token_hash, user_id, expires_at)"
    " VALUES (decode($1, 'hex'), $2, now() + make_interval(hours => $3))";
static const char SQL_PURGE[] =
    "DELETE FROM sessions WHERE user_id = $1 AND expires_at < now()";
/* All but the newest $2 of the user's sessions (the one just made too). */
static const char SQL_CAP[] =
    "DELETE FROM sessions WHERE token_hash IN (SELECT token_hash"
    " FROM sessions WHERE user_id = $1"
    " ORDER BY created_at DESC, last_seen_at DESC, token_hash OFFSET $2)";
/* Column 3: whole seconds left (readcache.c keeps it at most that). */
static const char SQL_LOOKUP[] =
    "SELECT u.id, u.email, s.last_seen_at < now() - interval '60 seconds',"
    " floor(extract(epoch FROM s.expires_at - now()))::bigint"
    " FROM sessions s JOIN users u ON u.id = s.user_id"
    " WHERE s.token_hash = decode($1, 'hex') AND s.expires_at > now()"
    " AND u.disabled_at IS NULL";
static const char SQL_LOOKUP_STORE[] =
    "SELECT u.id, u.email, s.last_seen_at < now() - interval '60 seconds',"
    " floor(extract(epoch FROM s.expires_at - now()))::bigint,"
    " x.id, x.public_id, x.name, x.role, x.level, x.manage, x.integration,"
    " x.primary_id"
    " FROM sessions s JOIN users u ON u.id = s.user_id"
    " LEFT JOIN LATERAL (" PERM_ACCESS_SQL("u.id", "$2") ") x ON true"
    " WHERE s.token_hash = decode($1, 'hex') AND s.expires_at > now()"
    " AND u.disabled_at IS NULL";
static const char SQL_TOUCH[] =
    "UPDATE sessions SET last_seen_at = now()"
    " WHERE token_hash = decode($1, 'hex')";
static const char SQL_DELETE[] =
    "DELETE FROM sessions WHERE token_hash = decode($1, 'hex')";

int
session_token_valid(const char *s)
{
	size_t n = strlen(s);

	return n == SESSION_TOKEN_LEN && crypto_b64url_span(s) == n;
}

int
session_create(struct db *db, long long user_id, long ttl_hours,
    long max_per_user, char token[SESSION_TOKEN_LEN + 1])
{
	unsigned char	 raw[32];
	char		 enc[48], hash[SHA256_HEX_LEN + 1], uid[24], ttl[24];
	char		 max[24];
	const char	*params[3] = { hash, uid, ttl };
	const char	*cap[2] = { uid, max };
	int		 rc;

	token[0] = '\0';
	if ((rc = crypto_random(raw, sizeof(raw))) != KC_OK)
		return rc;
	/* The encoder wants room for padding it then strips. */
	rc = crypto_b64url_encode(raw, sizeof(raw), enc, sizeof(enc));
	crypto_wipe(raw, sizeof(raw));
	if (rc == KC_OK)
		memcpy(token, enc, SESSION_TOKEN_LEN + 1);
	crypto_wipe(enc, sizeof(enc));
	if (rc != KC_OK)
		return rc;
	crypto_sha256_hex(token, SESSION_TOKEN_LEN, hash);
	snprintf(uid, sizeof(uid), "%lld", user_id);
	snprintf(ttl, sizeof(ttl), "%ld", ttl_hours);
	snprintf(max, sizeof(max), "%ld", max_per_user > 0 ? max_per_user : 1);
	/*
	 * Made before the cap, so the new one counts; created_at is the
	 * transaction's time, so one statement per step orders them.
	 */
	if ((rc = db_query(db, SQL_PURGE, 1, &params[1], NULL)) != KC_OK ||
	    (rc = db_query(db, SQL_CREATE, 3, params, NULL)) != KC_OK ||
	    (rc = db_query(db, SQL_CAP, 2, cap, NULL)) != KC_OK)
		crypto_wipe(token, SESSION_TOKEN_LEN + 1);
	return rc;
}

int
session_lookup(struct db *db, const char *token, struct kc_user *u)
{
	char		 hash[SHA256_HEX_LEN + 1];
	const char	*params[1] = { hash };
	PGresult	*res = NULL;
	int		 rc;

	memset(u, 0, sizeof(*u));
	if (!session_token_valid(token))
		return KC_ERR_UNAUTHORIZED;
	crypto_sha256_hex(token, strlen(token), hash);
	if ((rc = db_query(db, SQL_LOOKUP, 1, params, &res)) != KC_OK)
		return rc;
	if (PQntuples(res) != 1) {
		rc = KC_ERR_UNAUTHORIZED;
		goto out;
	}
	u->id = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	snprintf(u->email, sizeof(u->email), "%s", PQgetvalue(res, 0, 1));
	u->expires_in_s = strtoll(PQgetvalue(res, 0, 3), NULL, 10);
	/* Touch at most once a minute: no write on every request. */
	if (PQgetvalue(res, 0, 2)[0] == 't')
		rc = db_query(db, SQL_TOUCH, 1, params, NULL);
out:
	PQclear(res);
	return rc;
}

int
session_lookup_store(struct db *db, const char *token, const char *public_id,
    struct kc_user *u, struct store_access *a, int *found)
{
	char		 hash[SHA256_HEX_LEN + 1];
	const char	*params[2] = { hash, public_id };
	PGresult	*res = NULL;
	int		 rc;

	memset(u, 0, sizeof(*u));
	memset(a, 0, sizeof(*a));
	*found = 0;
	if (!session_token_valid(token))
		return KC_ERR_UNAUTHORIZED;
	crypto_sha256_hex(token, strlen(token), hash);
	if ((rc = db_query(db, SQL_LOOKUP_STORE, 2, params, &res)) != KC_OK)
		return rc;
	if (PQntuples(res) != 1) {
		rc = KC_ERR_UNAUTHORIZED;
		goto out;
	}
	u->id = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	snprintf(u->email, sizeof(u->email), "%s", PQgetvalue(res, 0, 1));
	u->expires_in_s = strtoll(PQgetvalue(res, 0, 3), NULL, 10);
	if (!PQgetisnull(res, 0, 4)) {
		if ((rc = perm_access_from_row(res, 0, 4, a)) != KC_OK)
			goto out;
		*found = 1;
	}
	if (PQgetvalue(res, 0, 2)[0] == 't') {
		params[1] = NULL;
		rc = db_query(db, SQL_TOUCH, 1, params, NULL);
	}
out:
	PQclear(res);
	return rc;
}

int
session_delete(struct db *db, const char *token)
{
	char		 hash[SHA256_HEX_LEN + 1];
	const char	*params[1] = { hash };

	if (!session_token_valid(token))
		return KC_OK;
	crypto_sha256_hex(token, strlen(token), hash);
	return db_query(db, SQL_DELETE, 1, params, NULL);
}

static const char SQL_REVOKE_USER[] =
    "DELETE FROM sessions WHERE user_id = $1";
/* Never the token hash: a listing is for people. */
static const char SQL_LIST_USER[] =
    "SELECT to_char(created_at AT TIME ZONE 'UTC',"
    "  'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),"
    " to_char(expires_at AT TIME ZONE 'UTC',"
    "  'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),"
    " to_char(last_seen_at AT TIME ZONE 'UTC',"
    "  'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),"
    " expires_at <= now()"
    " FROM sessions WHERE user_id = $1 ORDER BY created_at, expires_at";

int
session_revoke_user(struct db *db, long long user_id, int *n)
{
	char		 uid[24];
	const char	*params[1] = { uid };
	PGresult	*res = NULL;
	int		 rc;

	*n = 0;
	snprintf(uid, sizeof(uid), "%lld", user_id);
	if ((rc = db_query(db, SQL_REVOKE_USER, 1, params, &res)) != KC_OK)
		return rc;
	*n = (int)strtol(PQcmdTuples(res), NULL, 10);
	PQclear(res);
	return KC_OK;
}

int
session_list_user(struct db *db, long long user_id,
    int (*fn)(void *, const struct session_row *), void *arg)
{
	struct session_row	 s;
	char			 uid[24];
	const char		*params[1] = { uid };
	PGresult		*res = NULL;
	int			 r, rc;

	snprintf(uid, sizeof(uid), "%lld", user_id);
	if ((rc = db_query(db, SQL_LIST_USER, 1, params, &res)) != KC_OK)
		return rc;
	for (r = 0; r < PQntuples(res) && rc == KC_OK; r++) {
		s.created = PQgetvalue(res, r, 0);
		s.expires = PQgetvalue(res, r, 1);
		s.last_seen = PQgetvalue(res, r, 2);
		s.expired = PQgetvalue(res, r, 3)[0] == 't';
		rc = fn(arg, &s);
	}
	PQclear(res);
	return rc;
}
