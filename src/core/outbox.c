/* Report-trigger delivery; see outbox.h. */
#include "outbox.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"
#include "json_util.h"
#include "log.h"
#include "report.h"

/* Claiming pushes next_attempt_at out: a crashed deliverer's claim ends. */
static const char SQL_TRIGGER[] =
    "INSERT INTO report_triggers (store_id, connection_id, payload)"
    " SELECT k.store_id, k.id, $2::jsonb FROM klaviyo_connections k"
    " WHERE k.id = $1 RETURNING id";
static const char SQL_CANCEL_CONNECTION[] =
    "UPDATE report_triggers SET cancelled_at = now()"
    " WHERE connection_id = $1 AND delivered_at IS NULL"
    " AND cancelled_at IS NULL";
static const char SQL_CLAIM[] =
    "UPDATE report_triggers t SET attempts = t.attempts + 1,"
    " next_attempt_at = now() + interval '120 seconds'"
    " WHERE t.id = (SELECT id FROM report_triggers"
    "  WHERE delivered_at IS NULL AND cancelled_at IS NULL"
    "  AND next_attempt_at <= now() ORDER BY id"
    "  FOR UPDATE SKIP LOCKED LIMIT 1)"
    " RETURNING t.id, t.payload::text, t.attempts";
static const char SQL_DELIVERED[] =
    "UPDATE report_triggers SET delivered_at = now(), last_error = NULL"
    " WHERE id = $1 AND delivered_at IS NULL";
static const char SQL_RETRY[] =
    "UPDATE report_triggers SET last_error = $2,"
    " next_attempt_at = now() + make_interval(secs => $3 / 1000.0)"
    " WHERE id = $1 AND delivered_at IS NULL";

long
outbox_backoff_ms(const struct outbox_opts *o, int attempt, unsigned rnd)
{
	long	ms = o->retry_base_ms;
	int	i;

	for (i = 1; i < attempt && ms < o->retry_max_ms; i++)
		ms *= 2;
	if (ms > o->retry_max_ms)
		ms = o->retry_max_ms;
	return ms / 2 + (long)(rnd % (unsigned long)(ms / 2 + 1));
}

static size_t
discard(char *p, size_t size, size_t nmemb, void *arg)
{
	(void)p;
	(void)arg;
	return size * nmemb;
}

/* POSTs the payload; KC_OK on a 2xx, else err says why. */
static int
post_external(const struct outbox_opts *o, const char *id,
    const char *payload, char *err, size_t errlen)
{
	CURL			*c;
	struct curl_slist	*h = NULL;
	char			 url[2048], line[512];
	long			 status = 0;
	CURLcode		 cc;
	int			 rc = KC_ERR_UPSTREAM;

	snprintf(url, sizeof(url), "%s/api/v1/reports/full_sync",
	    o->report_server);
	if ((c = curl_easy_init()) == NULL)
		return KC_ERR_NOMEM;
	snprintf(line, sizeof(line), "Authorization: Bearer %s",
	    o->report_server_key);
	h = curl_slist_append(h, line);
	crypto_wipe(line, sizeof(line));
	snprintf(line, sizeof(line), "Idempotency-Key: %s", id);
	h = curl_slist_append(h, line);
	h = curl_slist_append(h, "Content-Type: application/json");
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, payload);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, o->timeout_ms);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, o->timeout_ms);
	cc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	if (cc != CURLE_OK)
		snprintf(err, errlen, "report server: %s",
		    curl_easy_strerror(cc));
	else if (status < 200 || status > 299)
		snprintf(err, errlen, "report server answered HTTP %ld",
		    status);
	else
		rc = KC_OK;
	for (struct curl_slist *p = h; p; p = p->next)
		crypto_wipe(p->data, strlen(p->data));
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	return rc;
}

/* The built-in report server, in one transaction with the delivery. */
static int
deliver_builtin(struct db *db, const char *id, const char *payload,
    char *err, size_t errlen)
{
	struct json_object	*p = NULL, *jobs = NULL;
	const char		*params[1] = { id };
	int			 rc;

	if ((rc = json_parse_object(payload, strlen(payload), &p, err,
	    errlen)) != KC_OK ||
	    (rc = report_payload_check(p, err, errlen)) != KC_OK) {
		json_object_put(p);
		return rc;
	}
	if ((rc = db_begin(db)) != KC_OK)
		goto out;
	rc = report_full_sync(db, json_get_str(p, "store_public_id"),
	    json_get_str(p, "klaviyo_public_id"),
	    json_get_str(p, "klaviyo_connection_id"),
	    json_get_bool(p, "do_not_order_sync"),
	    strtoll(id, NULL, 10), &jobs);
	/* A connection removed since: nothing to sync, still delivered. */
	if (rc == KC_ERR_NOT_FOUND)
		rc = KC_OK;
	if (rc == KC_OK)
		rc = db_query(db, SQL_DELIVERED, 1, params, NULL);
	if (rc == KC_OK)
		rc = db_commit(db);
	else {
		snprintf(err, errlen, "built-in report server: %s",
		    kc_strerror(rc));
		db_rollback(db);
	}
out:
	json_object_put(jobs);
	json_object_put(p);
	return rc;
}

int
outbox_run(struct db *db, const struct outbox_opts *o, int max, int *n)
{
	PGresult	*res = NULL;
	const char	*params[3];
	char		 id[24], err[256], ms[24];
	unsigned	 rnd;
	int		 rc = KC_OK, attempts, i;

	*n = 0;
	for (i = 0; i < max; i++) {
		if ((rc = db_query(db, SQL_CLAIM, 0, NULL, &res)) != KC_OK)
			return rc;
		if (PQntuples(res) != 1) {
			PQclear(res);
			return KC_OK;
		}
		snprintf(id, sizeof(id), "%s", PQgetvalue(res, 0, 0));
		attempts = (int)strtol(PQgetvalue(res, 0, 2), NULL, 10);
		err[0] = '\0';
		if (o->report_server && *o->report_server)
			rc = post_external(o, id, PQgetvalue(res, 0, 1), err,
			    sizeof(err));
		else
			rc = deliver_builtin(db, id, PQgetvalue(res, 0, 1),
			    err, sizeof(err));
		PQclear(res);
		res = NULL;
		params[0] = id;
		if (rc == KC_OK) {
			if (o->report_server && *o->report_server &&
			    (rc = db_query(db, SQL_DELIVERED, 1, params,
			    NULL)) != KC_OK)
				return rc;
			log_info("report trigger %s delivered", id);
			(*n)++;
			continue;
		}
		if (rc == KC_ERR_DB_DOWN)
			return rc;
		if (crypto_random(&rnd, sizeof(rnd)) != KC_OK)
			rnd = 0;
		snprintf(ms, sizeof(ms), "%ld",
		    outbox_backoff_ms(o, attempts, rnd));
		params[1] = err;
		params[2] = ms;
		log_warnx("report trigger %s not delivered (attempt %d): %s",
		    id, attempts, err);
		if ((rc = db_query(db, SQL_RETRY, 3, params, NULL)) != KC_OK)
			return rc;
	}
	return KC_OK;
}

int
outbox_cancel_connection(struct db *db, long long conn_id)
{
	char		 sid[24];
	const char	*params[1] = { sid };

	snprintf(sid, sizeof(sid), "%lld", conn_id);
	return db_query(db, SQL_CANCEL_CONNECTION, 1, params, NULL);
}

int
outbox_enqueue(struct db *db, long long conn_id, const char *payload,
    long long *id)
{
	char		 sid[24];
	const char	*params[2] = { sid, payload };
	PGresult	*res = NULL;
	int		 rc;

	*id = 0;
	/* An older trigger still waiting would deliver stale settings. */
	if ((rc = outbox_cancel_connection(db, conn_id)) != KC_OK)
		return rc;
	snprintf(sid, sizeof(sid), "%lld", conn_id);
	if ((rc = db_query(db, SQL_TRIGGER, 2, params, &res)) != KC_OK)
		return rc;
	if (PQntuples(res) != 1) {
		PQclear(res);
		return KC_ERR_NOT_FOUND;
	}
	*id = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	PQclear(res);
	return KC_OK;
}

/* ---- klaviyo-admin triggers: list, redeliver ---- */

static const char SQL_LIST[] =
    "SELECT t.id, s.public_id,"
    " CASE WHEN t.delivered_at IS NOT NULL THEN 'delivered'"
    "  WHEN t.cancelled_at IS NOT NULL THEN 'cancelled'"
    "  ELSE 'pending' END, t.attempts,"
    " to_char(t.created_at AT TIME ZONE 'UTC',"
    "  'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),"
    " to_char(coalesce(t.delivered_at, t.cancelled_at, t.next_attempt_at)"
    "  AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),"
    " coalesce(t.last_error, '')"
    " FROM report_triggers t JOIN stores s ON s.id = t.store_id"
    " WHERE NOT $1::boolean"
    "  OR (t.delivered_at IS NULL AND t.cancelled_at IS NULL)"
    " ORDER BY t.id DESC LIMIT $2";
/* Due at once, as if new; the report server dedupes by trigger id. */
static const char SQL_REDELIVER[] =
    "UPDATE report_triggers SET delivered_at = NULL, cancelled_at = NULL,"
    " attempts = 0, next_attempt_at = now(), last_error = NULL"
    " WHERE id = $1";

int
outbox_list(struct db *db, int pending_only, int limit,
    int (*fn)(void *, const struct trigger_row *), void *arg)
{
	struct trigger_row	 t;
	char			 lim[16];
	const char		*params[2] = { pending_only ? "t" : "f", lim };
	PGresult		*res = NULL;
	int			 r, rc;

	snprintf(lim, sizeof(lim), "%d", limit);
	if ((rc = db_query(db, SQL_LIST, 2, params, &res)) != KC_OK)
		return rc;
	for (r = 0; r < PQntuples(res) && rc == KC_OK; r++) {
		t.id = PQgetvalue(res, r, 0);
		t.store = PQgetvalue(res, r, 1);
		t.status = PQgetvalue(res, r, 2);
		t.attempts = PQgetvalue(res, r, 3);
		t.created = PQgetvalue(res, r, 4);
		t.when = PQgetvalue(res, r, 5);
		t.last_error = PQgetvalue(res, r, 6);
		rc = fn(arg, &t);
	}
	PQclear(res);
	return rc;
}

int
outbox_redeliver(struct db *db, long long id)
{
	char		 sid[24];
	const char	*params[1] = { sid };
	PGresult	*res = NULL;
	int		 rc, n;

	snprintf(sid, sizeof(sid), "%lld", id);
	if ((rc = db_query(db, SQL_REDELIVER, 1, params, &res)) != KC_OK)
		return rc;
	n = (int)strtol(PQcmdTuples(res), NULL, 10);
	PQclear(res);
	return n == 1 ? KC_OK : KC_ERR_NOT_FOUND;
}
