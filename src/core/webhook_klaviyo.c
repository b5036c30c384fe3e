/* Registering and deleting webhooks at Klaviyo; see webhook_klaviyo.h. */
#include "webhook_klaviyo.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "buf.h"
#include "clock.h"
#include "credential.h"
#include "crypto.h"
#include "integration.h"
#include "json_util.h"
#include "log.h"
#include "wipe.h"

#define WEBHOOK_NAME_PREFIX	"klaviyo-connect "
#define RETRY_UNAVAILABLE_S	86400	/* a refusal is asked again daily */
#define RETRY_NOT_READY_S	3600	/* no working credential yet */
#define BACKOFF_MAX_S		3600
#define CLAIM_LEASE_S		120

/* Message events: they move campaign and flow statistics. */
static const char *const message_topics[] = {
	"event:klaviyo.received_email",
	"event:klaviyo.opened_email",
	"event:klaviyo.clicked_email",
	"event:klaviyo.received_sms",
	"event:klaviyo.clicked_sms",
};

/* The next due row, leased so no other daemon takes it meanwhile. */
static const char SQL_CLAIM[] =
    "UPDATE klaviyo_webhooks w SET next_attempt_at = now()"
    " + make_interval(secs => $1)"
    " FROM (SELECT id FROM klaviyo_webhooks"
    "  WHERE ((wanted AND state IN ('pending', 'failing', 'unavailable'))"
    "   OR (NOT wanted AND klaviyo_webhook_id IS NOT NULL))"
    "  AND next_attempt_at <= now()"
    "  ORDER BY next_attempt_at LIMIT 1 FOR UPDATE SKIP LOCKED) d,"
    " klaviyo_connections k, stores s"
    " WHERE w.id = d.id AND k.id = w.connection_id AND s.id = w.store_id"
    " RETURNING w.id, w.public_id, w.connection_id, w.wanted, w.state,"
    " coalesce(w.klaviyo_webhook_id, ''), w.attempts, w.generation,"
    " s.public_id, " INTEG_SQL_DOC("k");
/* Results apply only to the generation they were worked out for. */
static const char SQL_SEAL[] =
    "UPDATE klaviyo_webhooks SET key_version = $3, nonce = decode($4, 'hex'),"
    " ciphertext = decode($5, 'hex'), tag = decode($6, 'hex'),"
    " topics = $7::text[], order_topic = nullif($8, ''),"
    " klaviyo_webhook_id = NULL, updated_at = now()"
    " WHERE id = $1 AND generation = $2";
static const char SQL_ACTIVE[] =
    "UPDATE klaviyo_webhooks SET state = 'active', klaviyo_webhook_id = $3,"
    " reason = NULL, failing_since = NULL, attempts = 0, updated_at = now()"
    " WHERE id = $1 AND generation = $2";
static const char SQL_OFF[] =
    "UPDATE klaviyo_webhooks SET state = 'off', klaviyo_webhook_id = NULL,"
    " key_version = NULL, nonce = NULL, ciphertext = NULL, tag = NULL,"
    " topics = '{}', order_topic = NULL, reason = NULL,"
    " failing_since = NULL, attempts = 0, updated_at = now()"
    " WHERE id = $1 AND generation = $2";
static const char SQL_CLEARED[] =
    "UPDATE klaviyo_webhooks SET klaviyo_webhook_id = NULL, updated_at = now()"
    " WHERE id = $1 AND generation = $2";
/* $3 state, $4 reason, $5 seconds to the next attempt, $6 1: a failure. */
static const char SQL_RESULT[] =
    "UPDATE klaviyo_webhooks SET state = $3, reason = $4,"
    " next_attempt_at = now() + make_interval(secs => $5),"
    " attempts = attempts + $6,"
    " failing_since = CASE WHEN $3 = 'failing'"
    "  THEN coalesce(failing_since, now()) END,"
    " updated_at = now() WHERE id = $1 AND generation = $2"
    " RETURNING (SELECT state FROM klaviyo_webhooks o WHERE o.id = $1)";
static const char SQL_LATER[] =
    "UPDATE klaviyo_webhooks SET next_attempt_at = now()"
    " + make_interval(secs => $3) WHERE id = $1 AND generation = $2";

struct row {
	long long	 id;
	long long	 conn_id;
	const char	*public_id;
	int		 wanted;
	const char	*state;
	const char	*klaviyo_id;
	int		 attempts;
	char		 gen[16];
	const char	*store_pub;
	const char	*doc;
};

int
webhook_metric_topic(const char *integration, const char *name, char *out,
    size_t outlen)
{
	const char	*parts[2] = { integration, name };
	size_t		 n = 0, i;
	int		 sep;
	const char	*p;

	if (integration == NULL || name == NULL || *integration == '\0' ||
	    *name == '\0' || outlen < 7)
		return KC_ERR_BAD_INPUT;
	memcpy(out, "event:", 6);
	n = 6;
	for (i = 0; i < 2; i++) {
		if (i == 1)
			out[n++] = '.';
		sep = 0;
		for (p = parts[i]; *p; p++) {
			if (n + 2 >= outlen)
				return KC_ERR_TOO_LARGE;
			if (isalnum((unsigned char)*p)) {
				if (sep && out[n - 1] != '.' &&
				    out[n - 1] != ':')
					out[n++] = '_';
				out[n++] = (char)tolower((unsigned char)*p);
				sep = 0;
			} else
				sep = 1;
		}
		if (out[n - 1] == '.' || out[n - 1] == ':')
			return KC_ERR_BAD_INPUT;
	}
	out[n] = '\0';
	return KC_OK;
}

static int
offered(struct json_object *data, const char *topic)
{
	size_t i, n = json_object_is_type(data, json_type_array) ?
	    json_object_array_length(data) : 0;

	for (i = 0; i < n; i++) {
		const char *id = json_get_str(json_object_array_get_idx(data,
		    i), "id");

		if (id && strcmp(id, topic) == 0)
			return 1;
	}
	return 0;
}

int
webhook_topics_choose(struct json_object *data, const char *order_topic,
    struct json_object **out, int *has_order)
{
	struct json_object	*a;
	size_t			 i;

	*out = NULL;
	*has_order = 0;
	if ((a = json_object_new_array()) == NULL)
		return KC_ERR_NOMEM;
	if (order_topic && offered(data, order_topic)) {
		if (json_object_array_add(a,
		    json_object_new_string(order_topic)) != 0)
			goto nomem;
		*has_order = 1;
	}
	for (i = 0; i < nitems(message_topics); i++)
		if ((order_topic == NULL ||
		    strcmp(message_topics[i], order_topic) != 0) &&
		    offered(data, message_topics[i]) &&
		    json_object_array_add(a,
		    json_object_new_string(message_topics[i])) != 0)
			goto nomem;
	*out = a;
	return KC_OK;
nomem:
	json_object_put(a);
	return KC_ERR_NOMEM;
}

int
webhook_create_body(const char *name, const char *url, const char *secret,
    struct json_object *topics, char **out)
{
	struct json_object	*o = NULL, *d, *at, *rel, *wt, *ids;
	size_t			 i;
	int			 rc = KC_ERR_NOMEM;

	*out = NULL;
	if ((o = json_object_new_object()) == NULL ||
	    (d = json_object_new_object()) == NULL)
		goto out;
	if (json_add_obj(o, "data", d) != KC_OK ||
	    json_add_str(d, "type", "webhook") != KC_OK ||
	    (at = json_object_new_object()) == NULL ||
	    json_add_obj(d, "attributes", at) != KC_OK ||
	    json_add_str(at, "name", name) != KC_OK ||
	    json_add_str(at, "endpoint_url", url) != KC_OK ||
	    json_add_str(at, "secret_key", secret) != KC_OK ||
	    (rel = json_object_new_object()) == NULL ||
	    json_add_obj(d, "relationships", rel) != KC_OK ||
	    (wt = json_object_new_object()) == NULL ||
	    json_add_obj(rel, "webhook-topics", wt) != KC_OK ||
	    (ids = json_object_new_array()) == NULL ||
	    json_add_obj(wt, "data", ids) != KC_OK)
		goto out;
	for (i = 0; i < json_object_array_length(topics); i++) {
		struct json_object *t = json_object_new_object();

		if (t == NULL || json_object_array_add(ids, t) != 0) {
			json_object_put(t);
			goto out;
		}
		if (json_add_str(t, "type", "webhook-topic") != KC_OK ||
		    json_add_str(t, "id", json_object_get_string(
		    json_object_array_get_idx(topics, i))) != KC_OK)
			goto out;
	}
	if ((*out = strdup(json_object_to_json_string_ext(o,
	    JSON_C_TO_STRING_PLAIN))) != NULL)
		rc = KC_OK;
out:
	/* The secret was in it: json-c frees without wiping. */
	if (o != NULL) {
		wipe_json_text(o, JSON_C_TO_STRING_PLAIN);
		wipe_json_put(o);
	}
	return rc;
}

static long
backoff_s(int attempts)
{
	long s = 60L << (attempts < 6 ? attempts : 6);

	return s > BACKOFF_MAX_S ? BACKOFF_MAX_S : s;
}

static void
audit_row(struct db *db, const struct row *r, const char *action,
    const char *outcome, const char *reason, struct json_object *topics)
{
	struct json_object *d = json_object_new_object();

	if (d == NULL || json_add_str(d, "webhook", r->public_id) != KC_OK ||
	    (reason && json_add_str(d, "reason", reason) != KC_OK) ||
	    (topics && json_add_obj(d, "topics", json_object_get(topics)) !=
	    KC_OK) ||
	    audit_log_connection(db, r->conn_id, action, outcome, d) != KC_OK)
		log_warnx("cannot audit %s of webhook %s", action,
		    r->public_id);
	json_object_put(d);
}

static void
later(struct db *db, const struct row *r, long seconds)
{
	char		 id[24], s[24];
	const char	*params[3] = { id, r->gen, s };

	snprintf(id, sizeof(id), "%lld", r->id);
	snprintf(s, sizeof(s), "%ld", seconds);
	if (db_query(db, SQL_LATER, 3, params, NULL) != KC_OK)
		log_warnx("cannot reschedule webhook %s", r->public_id);
}

static void
result(struct db *db, const struct row *r, const char *state,
    const char *reason, long seconds, int failed)
{
	char		 id[24], s[24];
	const char	*params[6] = { id, r->gen, state, reason, s,
			    failed ? "1" : "0" };
	PGresult	*res = NULL;

	snprintf(id, sizeof(id), "%lld", r->id);
	snprintf(s, sizeof(s), "%ld", seconds);
	if (db_query(db, SQL_RESULT, 6, params, &res) != KC_OK) {
		log_warnx("cannot save webhook %s's state", r->public_id);
		return;
	}
	PQclear(res);
	/* Said once in the activity, not at every retry. */
	if (strcmp(r->state, state) != 0 && strcmp(state, "unavailable") == 0)
		audit_row(db, r, "webhook_unavailable", "refused", reason, NULL);
}

/* What a failed call means for the row. */
static void
call_failed(struct db *db, const struct row *r, const struct kv_call *c,
    const struct webhook_opts *o)
{
	char reason[400];

	/* Our own limiter: its slot comes later; nothing failed. */
	if (c->err == KC_ERR_RATE_LIMITED && c->status != 429) {
		later(db, r, c->retry_after > 0 ? c->retry_after : 1);
		return;
	}
	if (c->status == 403) {
		result(db, r, "unavailable", "Klaviyo does not allow webhooks "
		    "for this account or key (they need the webhooks:read and "
		    "webhooks:write scopes and a Klaviyo plan with webhook "
		    "access); data is synced on schedule instead",
		    RETRY_UNAVAILABLE_S, 0);
		return;
	}
	if (c->status == 400) {
		if (strncmp(o->app_url, "https://", 8) != 0)
			snprintf(reason, sizeof(reason), "Klaviyo refused the "
			    "webhook address: it sends webhooks only to https "
			    "addresses, and APP_URL is %s; data is synced on "
			    "schedule instead", o->app_url);
		else
			snprintf(reason, sizeof(reason), "Klaviyo refused to "
			    "create the webhook (%s); data is synced on "
			    "schedule instead", kv_call_error(c));
		result(db, r, "unavailable", reason, RETRY_UNAVAILABLE_S, 0);
		return;
	}
	/* A refused credential: the syncs say so; try after a new one. */
	if (c->status == 401) {
		later(db, r, RETRY_NOT_READY_S);
		return;
	}
	result(db, r, "failing", kv_call_error(c), backoff_s(r->attempts), 1);
}

static int
run_one(struct kv_client *kv, struct kc_cred *cred, const char *acct,
    struct kv_call *c)
{
	c->max_wait_ms = 1;	/* never wait here: defer the row */
	return cred_run(cred, kv, acct, c, 1);
}

/* Deletes webhook id at Klaviyo; 404 counts as done. */
static int
delete_at_klaviyo(struct kv_client *kv, struct kc_cred *cred,
    const char *acct, const char *id, struct kv_call *c)
{
	memset(c, 0, sizeof(*c));
	c->ep = KV_WEBHOOK_DELETE;
	c->id = id;
	(void)run_one(kv, cred, acct, c);
	if (c->err != KC_OK && c->status == 404) {
		kv_call_reset(c);
		return KC_OK;
	}
	return c->err;
}

/* Webhooks an interrupted attempt may have left: named after the row. */
static int
delete_leftovers(struct kv_client *kv, struct kc_cred *cred,
    const char *acct, const struct row *r, struct kv_call *c)
{
	struct kv_call	 del;
	char		 name[80];
	size_t		 i, n;
	int		 rc = KC_OK;

	snprintf(name, sizeof(name), WEBHOOK_NAME_PREFIX "%s", r->public_id);
	memset(c, 0, sizeof(*c));
	c->ep = KV_WEBHOOKS;
	if (run_one(kv, cred, acct, c) != KC_OK || c->err != KC_OK)
		return c->err != KC_OK ? c->err : KC_ERR_UPSTREAM;
	n = c->data ? json_object_array_length(c->data) : 0;
	for (i = 0; i < n && rc == KC_OK; i++) {
		struct json_object	*w = json_object_array_get_idx(c->data,
					    i), *at;
		const char		*id = json_get_str(w, "id");

		if (!json_object_object_get_ex(w, "attributes", &at) ||
		    id == NULL || json_get_str(at, "name") == NULL ||
		    strcmp(json_get_str(at, "name"), name) != 0)
			continue;
		rc = delete_at_klaviyo(kv, cred, acct, id, &del);
		if (rc != KC_OK) {
			/* The caller reads the failure from c. */
			kv_call_reset(c);
			*c = del;
			return rc;
		}
		kv_call_reset(&del);
	}
	kv_call_reset(c);
	return KC_OK;
}

static int
seal_secret(struct db *db, const struct keyring *kr, const struct row *r,
    const char *secret, struct json_object *topics, const char *order_topic)
{
	struct sealed_ctx	 ctx;
	struct sealed_text	 t;
	struct buf		 arr;
	char			 id[24];
	const char		*params[8];
	PGresult		*res = NULL;
	size_t			 i;
	int			 rc;

	memset(&t, 0, sizeof(t));
	ctx.purpose = SECRETBOX_WEBHOOK_SECRET;
	ctx.store = r->store_pub;
	ctx.row = r->public_id;
	ctx.legacy = 0;
	/* Topics as a text[] literal: ids are [a-z0-9_.:] (ours). */
	buf_init(&arr, 8192);
	rc = buf_append(&arr, "{", 1);
	for (i = 0; rc == KC_OK && i < json_object_array_length(topics); i++)
		rc = buf_printf(&arr, "%s\"%s\"", i ? "," : "",
		    json_object_get_string(json_object_array_get_idx(topics,
		    i)));
	if (rc == KC_OK)
		rc = buf_append(&arr, "}", 1);
	if (rc != KC_OK ||
	    (rc = sealed_text_seal(kr, &ctx, secret, &t)) != KC_OK)
		goto out;
	snprintf(id, sizeof(id), "%lld", r->id);
	params[0] = id;
	params[1] = r->gen;
	params[2] = t.version;
	params[3] = t.nonce;
	params[4] = t.ct;
	params[5] = t.tag;
	params[6] = buf_cstr(&arr);
	params[7] = order_topic ? order_topic : "";
	if ((rc = db_query(db, SQL_SEAL, 8, params, &res)) == KC_OK &&
	    strcmp(PQcmdTuples(res), "1") != 0)
		rc = KC_ERR_CONFLICT;	/* changed meanwhile */
	PQclear(res);
out:
	sealed_text_free(&t);
	buf_free(&arr);
	return rc;
}

static int
set_row(struct db *db, const struct row *r, const char *sql,
    const char *klaviyo_id)
{
	char		 id[24];
	const char	*params[3] = { id, r->gen, klaviyo_id };
	PGresult	*res = NULL;
	int		 rc;

	snprintf(id, sizeof(id), "%lld", r->id);
	if ((rc = db_query(db, sql, klaviyo_id ? 3 : 2, params, &res)) ==
	    KC_OK && strcmp(PQcmdTuples(res), "1") != 0)
		rc = KC_ERR_CONFLICT;
	PQclear(res);
	return rc;
}

static void
do_register(struct db *db, struct kv_client *kv, const struct keyring *kr,
    struct kc_cred *cred, const char *acct, const struct row *r,
    const struct integration *in, const struct webhook_opts *o)
{
	struct kv_call		 c;
	struct json_object	*topics = NULL;
	unsigned char		 raw[32];
	char			 secret[65], topic[160], url[1024], name[80];
	char			*body = NULL;
	const char		*order = NULL, *kid;
	int			 has_order = 0, rc;

	memset(&c, 0, sizeof(c));
	secret[0] = '\0';
	/* What an earlier registration or attempt left goes first. */
	if (*r->klaviyo_id && delete_at_klaviyo(kv, cred, acct, r->klaviyo_id,
	    &c) != KC_OK)
		goto failed;
	kv_call_reset(&c);
	if ((*r->klaviyo_id || r->attempts > 0 ||
	    strcmp(r->state, "pending") != 0) &&
	    delete_leftovers(kv, cred, acct, r, &c) != KC_OK)
		goto failed;
	if (in->metric.shopify_placed_order &&
	    webhook_metric_topic(in->metric.integration, in->metric.name,
	    topic, sizeof(topic)) == KC_OK)
		order = topic;
	memset(&c, 0, sizeof(c));
	c.ep = KV_WEBHOOK_TOPICS;
	if (run_one(kv, cred, acct, &c) != KC_OK || c.err != KC_OK)
		goto failed;
	if ((rc = webhook_topics_choose(c.data, order, &topics, &has_order)) !=
	    KC_OK)
		goto out;
	kv_call_reset(&c);
	if (json_object_array_length(topics) == 0) {
		result(db, r, "unavailable", "This Klaviyo account offers none "
		    "of the webhook topics we use (orders and message events);"
		    " data is synced on schedule instead",
		    RETRY_UNAVAILABLE_S, 0);
		goto out;
	}
	/* The secret is saved before Klaviyo has it: no crash loses it. */
	if (crypto_random(raw, sizeof(raw)) != KC_OK)
		goto out;
	crypto_hex(raw, sizeof(raw), secret);
	crypto_wipe(raw, sizeof(raw));
	if (seal_secret(db, kr, r, secret, topics, has_order ? order : NULL) !=
	    KC_OK)
		goto out;
	snprintf(name, sizeof(name), WEBHOOK_NAME_PREFIX "%s", r->public_id);
	snprintf(url, sizeof(url), "%s%s%s", o->app_url, WEBHOOK_PATH,
	    r->public_id);
	if (webhook_create_body(name, url, secret, topics, &body) != KC_OK)
		goto out;
	memset(&c, 0, sizeof(c));
	c.ep = KV_WEBHOOK_CREATE;
	c.body = body;
	if (run_one(kv, cred, acct, &c) != KC_OK || c.err != KC_OK)
		goto failed;
	kid = json_object_is_type(c.data, json_type_array) &&
	    json_object_array_length(c.data) == 1 ? json_get_str(
	    json_object_array_get_idx(c.data, 0), "id") : NULL;
	if (kid == NULL || strlen(kid) >= 128 ||
	    kid[crypto_b64url_span(kid)] != '\0') {
		result(db, r, "failing", "Klaviyo answered the webhook's "
		    "creation without a usable id", backoff_s(r->attempts), 1);
		goto out;
	}
	if (set_row(db, r, SQL_ACTIVE, kid) != KC_OK) {
		/* Re-keyed or switched off meanwhile: this one is stale. */
		struct kv_call del;

		(void)delete_at_klaviyo(kv, cred, acct, kid, &del);
		kv_call_reset(&del);
		goto out;
	}
	audit_row(db, r, "webhook_registered", "success", NULL, topics);
	log_info("webhook %s registered at Klaviyo (%zu topics)",
	    r->public_id, json_object_array_length(topics));
	goto out;
failed:
	call_failed(db, r, &c, o);
out:
	if (body) {
		crypto_wipe(body, strlen(body));
		free(body);
	}
	crypto_wipe(secret, sizeof(secret));
	json_object_put(topics);
	kv_call_reset(&c);
}

static void
do_deregister(struct db *db, struct kv_client *kv, struct kc_cred *cred,
    const char *acct, const struct row *r, const struct webhook_opts *o)
{
	struct kv_call c;

	if (delete_at_klaviyo(kv, cred, acct, r->klaviyo_id, &c) != KC_OK) {
		if (c.err == KC_ERR_RATE_LIMITED && c.status != 429)
			later(db, r, c.retry_after > 0 ? c.retry_after : 1);
		else
			later(db, r, backoff_s(r->attempts));
		(void)o;
		kv_call_reset(&c);
		return;
	}
	kv_call_reset(&c);
	if (set_row(db, r, SQL_OFF, NULL) == KC_OK)
		audit_row(db, r, "webhook_removed", "success", NULL, NULL);
}

static void
work_row(struct db *db, struct kv_client *kv, const struct keyring *kr,
    const struct oauth_client *oauth, const struct webhook_opts *o,
    const struct row *r)
{
	struct integration	in;
	struct kc_cred		cred;
	struct oauth_error	oe;
	char			acct[128];

	memset(&in, 0, sizeof(in));
	memset(&oe, 0, sizeof(oe));
	/* Only a connection whose credential works registers. */
	if (integ_parse(r->doc, &in) != KC_OK ||
	    in.status != INTEG_CONNECTED || in.account_id == NULL) {
		if (!r->wanted)	/* nothing to delete it with: done */
			(void)set_row(db, r, SQL_CLEARED, NULL);
		else
			later(db, r, RETRY_NOT_READY_S);
		integ_clear(&in);
		return;
	}
	if (cred_open(db, kr, oauth, r->conn_id, r->store_pub, &cred, &oe) !=
	    KC_OK) {
		later(db, r, RETRY_NOT_READY_S);
		integ_clear(&in);
		return;
	}
	snprintf(acct, sizeof(acct), "acct:%s", in.account_id);
	kv_client_set_deadline(kv, kc_now_ms() + o->timeout_ms);
	if (r->wanted)
		do_register(db, kv, kr, &cred, acct, r, &in, o);
	else
		do_deregister(db, kv, &cred, acct, r, o);
	kv_client_set_deadline(kv, 0);
	cred_close(&cred);
	integ_clear(&in);
}

int
webhook_reconcile_run(struct db *db, struct kv_client *kv,
    const struct keyring *kr, const struct oauth_client *oauth,
    const struct webhook_opts *o, int max, int *n)
{
	char		 lease[16];
	const char	*params[1] = { lease };
	PGresult	*res = NULL;
	struct row	 r;
	int		 rc;

	*n = 0;
	snprintf(lease, sizeof(lease), "%d", CLAIM_LEASE_S);
	while (*n < max) {
		if ((rc = db_query(db, SQL_CLAIM, 1, params, &res)) != KC_OK)
			return rc;
		if (PQntuples(res) != 1) {
			PQclear(res);
			return KC_OK;
		}
		memset(&r, 0, sizeof(r));
		r.id = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
		r.public_id = PQgetvalue(res, 0, 1);
		r.conn_id = strtoll(PQgetvalue(res, 0, 2), NULL, 10);
		r.wanted = strcmp(PQgetvalue(res, 0, 3), "t") == 0;
		r.state = PQgetvalue(res, 0, 4);
		r.klaviyo_id = PQgetvalue(res, 0, 5);
		r.attempts = atoi(PQgetvalue(res, 0, 6));
		snprintf(r.gen, sizeof(r.gen), "%s", PQgetvalue(res, 0, 7));
		r.store_pub = PQgetvalue(res, 0, 8);
		r.doc = PQgetvalue(res, 0, 9);
		work_row(db, kv, kr, oauth, o, &r);
		PQclear(res);
		(*n)++;
	}
	return KC_OK;
}

int
webhook_forget_send(struct db *db, struct kv_client *kv, struct kc_cred *cred,
    const struct webhook_forget *f, const char *store_public_id)
{
	struct json_object	*d;
	struct kv_call		 c;
	char			 acct[128];
	int			 rc;

	if (f->klaviyo_id[0] == '\0')
		return KC_OK;
	memset(&c, 0, sizeof(c));
	c.ep = KV_WEBHOOK_DELETE;
	c.id = f->klaviyo_id;
	/* A second or two at most: this runs inside a web request. */
	c.max_wait_ms = 2000;
	if (kv_account_key(db, cred->secret, acct, sizeof(acct)) != KC_OK)
		snprintf(acct, sizeof(acct), "unknown");
	kv_client_set_deadline(kv, kc_now_ms() + 5000);
	rc = kv_run(kv, cred->secret, cred->bearer, acct, &c, 1);
	kv_client_set_deadline(kv, 0);
	if (rc == KC_OK || c.status == 404) {
		kv_call_reset(&c);
		return KC_OK;
	}
	log_warnx("could not delete webhook %s at Klaviyo: %s", f->klaviyo_id,
	    kv_call_error(&c));
	if ((d = json_object_new_object()) == NULL ||
	    json_add_str(d, "klaviyo_webhook_id", f->klaviyo_id) != KC_OK ||
	    json_add_str(d, "reason", kv_call_error(&c)) != KC_OK ||
	    audit_log_store(db, store_public_id, "webhook_removed", "failed",
	    d) != KC_OK)
		log_warnx("cannot audit the webhook left at Klaviyo");
	json_object_put(d);
	rc = c.err != KC_OK ? c.err : KC_ERR_UPSTREAM;
	kv_call_reset(&c);
	return rc;
}
