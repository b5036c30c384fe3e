/* Probing a Klaviyo key; see probe.h. */
#include "probe.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"
#include "json_util.h"
#include "klaviyo.h"
#include "log.h"
#include "metrics.h"
#include "oauth_cred.h"

static const char SQL_CACHE_GET[] =
    "SELECT account::text, metrics::text FROM klaviyo_probe_cache"
    " WHERE key_hash = $1"
    " AND fetched_at > now() - make_interval(secs => $2)";
static const char SQL_CACHE_PUT[] =
    "INSERT INTO klaviyo_probe_cache (key_hash, account, metrics)"
    " VALUES ($1, $2::jsonb, $3::jsonb) ON CONFLICT (key_hash) DO UPDATE"
    " SET account = EXCLUDED.account, metrics = EXCLUDED.metrics,"
    " fetched_at = now()";
static const char SQL_CACHE_PURGE[] =
    "DELETE FROM klaviyo_probe_cache"
    " WHERE fetched_at < now() - interval '1 hour'";

void
probe_free(struct probe *p)
{
	json_object_put(p->account);
	json_object_put(p->metrics);
	p->account = p->metrics = NULL;
}

static struct json_object *
path_get(struct json_object *o, const char *a, const char *b)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, a, &v))
		return NULL;
	if (b && !json_object_object_get_ex(v, b, &v))
		return NULL;
	return v;
}

static const char *
nonempty(struct json_object *v)
{
	const char *s;

	if (v == NULL || !json_object_is_type(v, json_type_string))
		return NULL;
	s = json_object_get_string(v);
	return *s ? s : NULL;
}

struct json_object *
probe_account_from(struct json_object *item)
{
	struct json_object	*a, *ci, *o;
	const char		*id, *name;

	id = json_get_str(item, "id");
	a = path_get(item, "attributes", NULL);
	if (id == NULL || a == NULL || (o = json_object_new_object()) == NULL)
		return NULL;
	ci = path_get(a, "contact_information", NULL);
	if ((name = nonempty(path_get(ci, "organization_name", NULL))) ==
	    NULL && (name = nonempty(path_get(ci, "default_sender_name",
	    NULL))) == NULL)
		name = id;
	if (json_add_str(o, "id", id) != KC_OK ||
	    json_add_str(o, "name", name) != KC_OK ||
	    json_add_str(o, "timezone", nonempty(path_get(a, "timezone",
	    NULL))) != KC_OK ||
	    json_add_str(o, "currency", nonempty(path_get(a,
	    "preferred_currency", NULL))) != KC_OK ||
	    json_add_str(o, "website_url", nonempty(path_get(ci,
	    "website_url", NULL))) != KC_OK) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

static int
fail(struct probe *p, int rc, const char *code, const char *msg)
{
	snprintf(p->code, sizeof(p->code), "%s", code);
	snprintf(p->msg, sizeof(p->msg), "%s", msg);
	return rc;
}

static int
cache_get(struct db *db, const char *hash, long secs, struct probe *p)
{
	char		 s[24];
	const char	*params[2] = { hash, s };
	PGresult	*res = NULL;
	int		 rc;

	snprintf(s, sizeof(s), "%ld", secs);
	if ((rc = db_query(db, SQL_CACHE_GET, 2, params, &res)) != KC_OK)
		return rc;
	if (PQntuples(res) == 1) {
		p->account = json_tokener_parse(PQgetvalue(res, 0, 0));
		p->metrics = json_tokener_parse(PQgetvalue(res, 0, 1));
		if (p->account == NULL || p->metrics == NULL)
			probe_free(p);
	}
	PQclear(res);
	return KC_OK;
}

static void
cache_put(struct db *db, const char *hash, struct probe *p)
{
	const char *params[3] = { hash,
	    json_object_to_json_string_ext(p->account, JSON_C_TO_STRING_PLAIN),
	    json_object_to_json_string_ext(p->metrics, JSON_C_TO_STRING_PLAIN) };

	if (db_query(db, SQL_CACHE_PUT, 3, params, NULL) != KC_OK ||
	    db_query(db, SQL_CACHE_PURGE, 0, NULL, NULL) != KC_OK)
		log_warnx("cannot cache the key probe");
}

static int
same_account(struct json_object *a, struct json_object *b)
{
	const char *x = json_get_str(a, "id"), *y = json_get_str(b, "id");

	return x && y && strcmp(x, y) == 0;
}

/*
 * The probe; with a stored credential c its calls go through cred_run,
 * which refreshes an OAuth token (so key may change: see the end).
 */
static int
probe_exec(struct db *db, struct kv_client *kv, const char *key, int bearer,
    struct kc_cred *c, const char *account_key, enum probe_mode mode,
    long cache_secs, struct probe *p)
{
	struct kv_call	 calls[3];
	struct probe	 cached;
	char		 hash[SHA256_HEX_LEN + 1], acct[80];
	size_t		 n = 0, i, worst, ia = 3, im = 3, ic = 3;
	int		 rc;

	memset(p, 0, sizeof(*p));
	memset(&cached, 0, sizeof(cached));
	memset(calls, 0, sizeof(calls));
	crypto_sha256_hex(key, strlen(key), hash);
	/* A test always asks Klaviyo: a revoked key must fail at once. */
	if (cache_secs > 0 && mode != PROBE_TEST &&
	    (rc = cache_get(db, hash, cache_secs, &cached)) != KC_OK)
		return fail(p, rc, "database_unavailable", kc_strerror(rc));
	if (cached.account && mode == PROBE_METRICS) {
		*p = cached;
		p->cached = 1;
		return KC_OK;
	}
	if (mode != PROBE_METRICS) {
		ia = n;
		calls[n++].ep = KV_ACCOUNTS;
	}
	if (cached.metrics == NULL) {
		im = n;
		calls[n].ep = KV_METRICS;
		calls[n++].all_pages = 1;
		ic = n;
		calls[n].ep = KV_CUSTOM_METRICS;
		calls[n++].all_pages = 1;
	}
	if (account_key)
		snprintf(acct, sizeof(acct), "%s", account_key);
	else if ((rc = kv_account_key(db, key, acct, sizeof(acct))) != KC_OK) {
		probe_free(&cached);
		return fail(p, rc, "database_unavailable", kc_strerror(rc));
	}
	rc = c ? cred_run(c, kv, acct, calls, n) :
	    kv_run(kv, key, bearer, acct, calls, n);
	if (c && c->secret && c->secret != key) {
		/* Refreshed: what is learnt belongs to the new token. */
		key = c->secret;
		crypto_sha256_hex(key, strlen(key), hash);
	}
	for (i = 0; i < n; i++)
		p->requests += calls[i].requests;
	if (rc != KC_OK) {
		rc = kv_worst(calls, n, &worst);
		fail(p, rc, calls[worst].code, kv_call_error(&calls[worst]));
		p->retry_after = calls[worst].retry_after;
		goto out;
	}
	if (ia < 3) {
		if (calls[ia].data == NULL ||
		    json_object_array_length(calls[ia].data) < 1 ||
		    (p->account = probe_account_from(
		    json_object_array_get_idx(calls[ia].data, 0))) == NULL) {
			rc = fail(p, KC_ERR_UPSTREAM, "klaviyo_bad_response",
			    "Klaviyo's account answer had no account in it");
			goto out;
		}
	} else {
		p->account = json_object_get(cached.account);
	}
	if (im < 3) {
		if ((rc = metrics_merge(calls[im].data, calls[ic].data,
		    &p->metrics)) != KC_OK) {
			fail(p, rc, "internal_error", kc_strerror(rc));
			goto out;
		}
	} else if (cached.account == NULL || !same_account(p->account,
	    cached.account)) {
		/* The key answers for another account now: ask it all. */
		for (i = 0; i < n; i++)
			kv_call_reset(&calls[i]);
		probe_free(&cached);
		probe_free(p);
		return probe_exec(db, kv, key, bearer, c, account_key, mode, 0,
		    p);
	} else {
		p->metrics = json_object_get(cached.metrics);
	}
	if (p->account && kv_remember_account(db, key,
	    json_get_str(p->account, "id")) != KC_OK)
		log_warnx("cannot record the key's account");
	/* Only what was fetched: a reuse must not make the cache younger. */
	if (p->account && p->metrics && im < 3)
		cache_put(db, hash, p);
	rc = KC_OK;
out:
	if (rc != KC_OK)
		probe_free(p);
	probe_free(&cached);
	for (i = 0; i < n; i++)
		kv_call_reset(&calls[i]);
	return rc;
}

int
probe_run(struct db *db, struct kv_client *kv, const char *key, int bearer,
    enum probe_mode mode, long cache_secs, struct probe *p)
{
	return probe_exec(db, kv, key, bearer, NULL, NULL, mode, cache_secs,
	    p);
}

int
probe_run_cred(struct db *db, struct kv_client *kv, struct kc_cred *c,
    const char *account_key, enum probe_mode mode, long cache_secs,
    struct probe *p)
{
	return probe_exec(db, kv, c->secret, c->bearer, c, account_key, mode,
	    cache_secs, p);
}
