/* A connection's webhook row, its secret and its inbox; see webhook.h. */
#include "webhook.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "credential.h"
#include "crypto.h"
#include "json_util.h"

static const char SQL_KEY[] =
    "SELECT w.id, w.connection_id, w.wanted"
    " AND w.klaviyo_webhook_id IS NOT NULL AND w.key_version IS NOT NULL,"
    " coalesce(w.klaviyo_webhook_id, ''), s.public_id, w.key_version,"
    " encode(w.nonce, 'hex'), encode(w.ciphertext, 'hex'),"
    " encode(w.tag, 'hex')"
    " FROM klaviyo_webhooks w JOIN stores s ON s.id = w.store_id"
    " WHERE w.public_id = $1";
/* klaviyo-syncd, listening, wakes up for it (WEBHOOK_CHANNEL). */
static const char SQL_INBOX_ADD[] =
    "WITH i AS (INSERT INTO webhook_inbox (webhook_id, events, body)"
    " VALUES ($1, $2, $3::jsonb) RETURNING webhook_id),"
    " n AS (SELECT pg_notify('" WEBHOOK_CHANNEL "', ''))"
    " UPDATE klaviyo_webhooks w SET last_event_at = now(),"
    " events_received = events_received + $2"
    " FROM i, n WHERE w.id = i.webhook_id";
/*
 * A new row, or one made to register again ($2: for another Klaviyo
 * account, whose webhook the caller deletes with the old credential).
 * Otherwise the registered webhook keeps delivering until its successor
 * replaces it (webhook_klaviyo.c deletes it first); the settings' switch
 * stays.
 */
static const char SQL_WANT[] =
    "INSERT INTO klaviyo_webhooks (connection_id, store_id)"
    " SELECT id, store_id FROM klaviyo_connections WHERE id = $1"
    " ON CONFLICT (connection_id) DO UPDATE SET"
    " state = CASE WHEN klaviyo_webhooks.wanted THEN 'pending' ELSE 'off'"
    " END, reason = NULL, failing_since = NULL, attempts = 0,"
    " generation = klaviyo_webhooks.generation + 1,"
    " next_attempt_at = now(), updated_at = now(),"
    " klaviyo_webhook_id = CASE WHEN $2 THEN NULL"
    "  ELSE klaviyo_webhooks.klaviyo_webhook_id END,"
    " key_version = CASE WHEN $2 THEN NULL ELSE klaviyo_webhooks.key_version END,"
    " nonce = CASE WHEN $2 THEN NULL ELSE klaviyo_webhooks.nonce END,"
    " ciphertext = CASE WHEN $2 THEN NULL ELSE klaviyo_webhooks.ciphertext END,"
    " tag = CASE WHEN $2 THEN NULL ELSE klaviyo_webhooks.tag END";
static const char SQL_SET_WANTED[] =
    "UPDATE klaviyo_webhooks SET wanted = $2,"
    " state = CASE WHEN $2 THEN 'pending' ELSE 'off' END,"
    " reason = NULL, failing_since = NULL, attempts = 0,"
    " generation = generation + 1, next_attempt_at = now(),"
    " updated_at = now() WHERE connection_id = $1 AND wanted <> $2";
static const char SQL_STATE[] =
    "SELECT (" WEBHOOK_SQL_STATE("w") ")::text"
    " FROM (SELECT 1) AS one LEFT JOIN klaviyo_webhooks w"
    " ON w.connection_id = $1";
static const char SQL_FORGET[] =
    "SELECT coalesce(klaviyo_webhook_id, '') FROM klaviyo_webhooks"
    " WHERE connection_id = $1";

int
webhook_public_id_valid(const char *s)
{
	size_t i;

	if (s == NULL || strlen(s) != WEBHOOK_PUBLIC_ID_LEN ||
	    strncmp(s, "kwh_", 4) != 0)
		return 0;
	for (i = 4; i < WEBHOOK_PUBLIC_ID_LEN; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
		    (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
}

int
webhook_key_load(struct db *db, const struct keyring *kr,
    const char *public_id, struct webhook_key *k)
{
	struct sealed_ctx	 ctx;
	const char		*params[1] = { public_id };
	PGresult		*res = NULL;
	int			 rc;

	memset(k, 0, sizeof(*k));
	if (!webhook_public_id_valid(public_id))
		return KC_ERR_NOT_FOUND;
	if ((rc = db_query(db, SQL_KEY, 1, params, &res)) != KC_OK)
		return rc;
	if (PQntuples(res) != 1) {
		rc = KC_ERR_NOT_FOUND;
		goto out;
	}
	k->id = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	k->conn_id = strtoll(PQgetvalue(res, 0, 1), NULL, 10);
	if (strcmp(PQgetvalue(res, 0, 2), "t") != 0) {
		rc = KC_ERR_CONFLICT;
		goto out;
	}
	snprintf(k->klaviyo_id, sizeof(k->klaviyo_id), "%s",
	    PQgetvalue(res, 0, 3));
	ctx.purpose = SECRETBOX_WEBHOOK_SECRET;
	ctx.store = PQgetvalue(res, 0, 4);
	ctx.row = public_id;
	ctx.legacy = 0;
	rc = sealed_text_open(kr, &ctx, PQgetvalue(res, 0, 5),
	    PQgetvalue(res, 0, 6), PQgetvalue(res, 0, 7),
	    PQgetvalue(res, 0, 8), &k->secret, &k->secretlen);
out:
	PQclear(res);
	return rc;
}

void
webhook_key_clear(struct webhook_key *k)
{
	if (k->secret)
		secretbox_free_plain(k->secret, k->secretlen);
	k->secret = NULL;
	k->secretlen = 0;
}

int
webhook_inbox_add(struct db *db, long long webhook_id, const char *body,
    int n)
{
	char		 id[24], nn[16];
	const char	*params[3] = { id, nn, body };

	snprintf(id, sizeof(id), "%lld", webhook_id);
	snprintf(nn, sizeof(nn), "%d", n);
	return db_query(db, SQL_INBOX_ADD, 3, params, NULL);
}

int
webhook_want(struct db *db, long long conn_id, int other_account)
{
	char		 id[24];
	const char	*params[2] = { id, other_account ? "true" : "false" };

	snprintf(id, sizeof(id), "%lld", conn_id);
	return db_query(db, SQL_WANT, 2, params, NULL);
}

int
webhook_set_wanted(struct db *db, long long conn_id, int on, int *changed)
{
	char		 id[24];
	const char	*params[2] = { id, on ? "true" : "false" };
	PGresult	*res = NULL;
	int		 rc;

	*changed = 0;
	snprintf(id, sizeof(id), "%lld", conn_id);
	if ((rc = db_query(db, SQL_SET_WANTED, 2, params, &res)) != KC_OK)
		return rc;
	*changed = strcmp(PQcmdTuples(res), "1") == 0;
	PQclear(res);
	return KC_OK;
}

int
webhook_state_json(struct db *db, long long conn_id, struct json_object **out)
{
	char		 id[24], err[64];
	const char	*params[1] = { id };
	PGresult	*res = NULL;
	int		 rc;

	*out = NULL;
	snprintf(id, sizeof(id), "%lld", conn_id);
	if ((rc = db_query(db, SQL_STATE, 1, params, &res)) != KC_OK)
		return rc;
	rc = PQntuples(res) == 1 ? json_parse_object(PQgetvalue(res, 0, 0),
	    strlen(PQgetvalue(res, 0, 0)), out, err, sizeof(err)) :
	    KC_ERR_INTERNAL;
	PQclear(res);
	return rc == KC_OK ? KC_OK : KC_ERR_INTERNAL;
}

int
webhook_forget_load(struct db *db, long long conn_id,
    struct webhook_forget *f)
{
	char		 id[24];
	const char	*params[1] = { id };
	PGresult	*res = NULL;
	int		 rc;

	memset(f, 0, sizeof(*f));
	snprintf(id, sizeof(id), "%lld", conn_id);
	if ((rc = db_query(db, SQL_FORGET, 1, params, &res)) != KC_OK)
		return rc;
	if (PQntuples(res) == 1)
		snprintf(f->klaviyo_id, sizeof(f->klaviyo_id), "%s",
		    PQgetvalue(res, 0, 0));
	PQclear(res);
	return KC_OK;
}
