/*
 * Klaviyo webhooks (issue 17), end to end against the sandbox's Webhooks
 * API and its signed deliveries: registration by klaviyo-syncd, a placed
 * order at the sandbox in our orders table without a sync, a repeated
 * delivery applied once, the settings' switch and a disconnect deleting
 * the webhook at the sandbox, an account without webhook access; and the
 * receiving route's every refusal, with a webhook whose secret the test
 * sealed itself (no one else ever sees one).
 */
#include "itest.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

#include "credential.h"
#include "secretbox.h"
#include "webhook_sig.h"

#define HOOK_SECRET	"test-webhook-secret-0123456789abcdef"
#define HOOK_KID	"01TESTWEBHOOK0000000000001"

static void
setup(void)
{
	it_klaviyo_cold();
}

static const char *const fast_syncd[] = { "SYNC_POLL_MS=100",
	"SYNC_SCHEDULE_SECONDS=0", NULL };

static void
syncd_stop(pid_t pid)
{
	int st;

	kill(pid, SIGTERM);
	waitpid(pid, &st, 0);
}

/* The connection's webhook state as the accounts list shows it. */
static char *
hook_state(const char *store, const char *tok, const char *conn,
    const char *field)
{
	struct it_resp		 r;
	struct json_object	*accts, *a, *w;
	char			 path[200], *out = NULL;
	size_t			 i;

	snprintf(path, sizeof(path), "/api/store/%s/klaviyo-accounts", store);
	it_get(path, tok, &r);
	it_assert_ok(&r);
	accts = it_jget(r.json, "accounts");
	for (i = 0; i < json_object_array_length(accts); i++) {
		a = json_object_array_get_idx(accts, i);
		if (strcmp(it_jstr(a, "id"), conn) != 0)
			continue;
		w = it_jget(a, "webhooks");
		if (json_object_object_get_ex(w, field, &w) && w != NULL)
			out = strdup(json_object_get_string(w));
	}
	it_resp_free(&r);
	return out;
}

static int
wait_state(const char *store, const char *tok, const char *conn,
    const char *want, int tenths)
{
	char	*s = NULL;
	int	 i, ok = 0;

	for (i = 0; i < tenths && !ok; i++) {
		free(s);
		s = hook_state(store, tok, conn, "state");
		ok = s && strcmp(s, want) == 0;
		if (!ok)
			it_pause_ms(100);
	}
	ck_assert_msg(ok, "webhook state is %s, not %s", s ? s : "(none)",
	    want);
	free(s);
	return ok;
}

/* Webhooks registered at the sandbox for Acme, by the name we give. */
static int
sandbox_hooks(const char *conn_hook_public_id)
{
	struct it_resp		 r;
	struct json_object	*d;
	char			 name[80];
	size_t			 i;
	int			 n = 0;

	snprintf(name, sizeof(name), "klaviyo-connect %s",
	    conn_hook_public_id);
	it_sbx("GET", "/__sandbox/accounts/" IT_ACCT_ACME "/webhooks", NULL,
	    &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert_ptr_nonnull(r.json);
	if (!json_object_object_get_ex(r.json, "webhooks", &d))
		d = r.json;
	for (i = 0; i < json_object_array_length(d); i++)
		if (strstr(json_object_to_json_string(
		    json_object_array_get_idx(d, i)), name) != NULL)
			n++;
	it_resp_free(&r);
	return n;
}

static char *
hook_public_id(const char *conn)
{
	const char	*p[1] = { conn };
	char		*v = it_sql_value("SELECT w.public_id FROM klaviyo_webhooks"
			    " w JOIN klaviyo_connections k ON k.id ="
			    " w.connection_id WHERE k.public_id = $1", 1, p);

	ck_assert_ptr_nonnull(v);
	return v;
}

static long long
orders_with(const char *conn, const char *order_id)
{
	const char *p[2] = { conn, order_id };

	return it_sql_count("SELECT count(*) FROM orders o"
	    " JOIN klaviyo_connections k ON k.id = o.connection_id"
	    " WHERE k.public_id = $1 AND o.order_id = $2", 2, p);
}

static long long
wait_orders(const char *conn, const char *order_id, long long want)
{
	long long	n = 0;
	int		i;

	for (i = 0; i < 200 && (n = orders_with(conn, order_id)) < want; i++)
		it_pause_ms(100);
	return n;
}

/* Creates a Placed Order at the sandbox; the delivery's number. */
static void
sandbox_order(const char *order_id, const char *value)
{
	struct it_resp	r;
	char		body[300];

	snprintf(body, sizeof(body), "{\"metric\":\"%s\",\"value\":%s,"
	    "\"currency\":\"USD\",\"order_id\":\"%s\"}",
	    IT_METRIC_ACME_SHOPIFY_PO, value, order_id);
	it_sbx("POST", "/__sandbox/accounts/" IT_ACCT_ACME "/events", body,
	    &r);
	ck_assert_msg(r.status == 201, "%ld %s", r.status, r.body);
	it_resp_free(&r);
}

START_TEST(webhooks_end_to_end)
{
	char		 store[80], tok[64], conn[80], oid[64], path[300];
	char		*hid, *v;
	struct it_resp	 r;
	const char	*p[1];
	pid_t		 pid;
	long long	 n;
	int		 i;

	it_connected("Webhooks", IT_KEY_ACME, IT_METRIC_ACME_SHOPIFY_PO, store,
	    sizeof(store), tok, sizeof(tok), conn, sizeof(conn));
	it_isolate(store);
	it_sbx("DELETE", "/__sandbox/webhooks", NULL, &r);
	it_resp_free(&r);
	hid = hook_public_id(conn);
	pid = it_syncd_spawn(fast_syncd);

	/* Registered by klaviyo-syncd, with the orders topic. */
	wait_state(store, tok, conn, "active", 300);
	ck_assert_int_eq(sandbox_hooks(hid), 1);
	v = hook_state(store, tok, conn, "topics");
	ck_assert_ptr_nonnull(strstr(v, "event:shopify.placed_order"));
	free(v);

	/* An order placed at Klaviyo is ours within seconds, no sync run. */
	snprintf(oid, sizeof(oid), "WH-%s", it_unique());
	sandbox_order(oid, "42.5");
	ck_assert_int_eq(wait_orders(conn, oid, 1), 1);
	p[0] = oid;
	v = it_sql_value("SELECT value::text || ' ' || currency FROM orders"
	    " WHERE order_id = $1", 1, p);
	ck_assert_str_eq(v, "42.50 USD");
	free(v);
	v = hook_state(store, tok, conn, "last_event_at");
	ck_assert_ptr_nonnull(v);
	free(v);

	/* The same delivery again: applied once. */
	it_sbx("GET", "/__sandbox/webhooks/deliveries", NULL, &r);
	ck_assert_int_eq(r.status, 200);
	{
		struct json_object *d, *last;

		if (!json_object_object_get_ex(r.json, "deliveries", &d))
			d = r.json;
		ck_assert_int_gt(json_object_array_length(d), 0);
		last = json_object_array_get_idx(d,
		    json_object_array_length(d) - 1);
		snprintf(path, sizeof(path),
		    "/__sandbox/webhooks/deliveries/%s/resend",
		    json_object_get_string(it_jget(last, "id")));
	}
	it_resp_free(&r);
	it_sbx("POST", path, NULL, &r);
	ck_assert_msg(r.status < 300, "%ld %s", r.status, r.body);
	it_resp_free(&r);
	p[0] = hid;
	for (i = 0; i < 200 && it_sql_count("SELECT count(*) FROM webhook_inbox"
	    " i JOIN klaviyo_webhooks w ON w.id = i.webhook_id WHERE"
	    " w.public_id = $1 AND i.processed_at IS NOT NULL", 1, p) < 2; i++)
		it_pause_ms(100);
	n = it_sql_count("SELECT count(*) FROM webhook_inbox i JOIN"
	    " klaviyo_webhooks w ON w.id = i.webhook_id WHERE w.public_id = $1"
	    " AND i.processed_at IS NOT NULL AND (i.result ->> 'new')::int = 0",
	    1, p);
	ck_assert_int_eq(n, 1);
	ck_assert_int_eq(orders_with(conn, oid), 1);

	/* Switched off in the settings: deleted at Klaviyo. */
	snprintf(path, sizeof(path), "/api/store/%s/klaviyo-accounts/%s/"
	    "settings", store, conn);
	it_patch(path, tok, "{\"webhooks\":false}", &r);
	it_assert_ok(&r);
	it_resp_free(&r);
	wait_state(store, tok, conn, "off", 300);
	for (i = 0; i < 100 && sandbox_hooks(hid) > 0; i++)
		it_pause_ms(100);
	ck_assert_int_eq(sandbox_hooks(hid), 0);
	/* ... and on again. */
	it_patch(path, tok, "{\"webhooks\":true}", &r);
	it_assert_ok(&r);
	it_resp_free(&r);
	wait_state(store, tok, conn, "active", 300);
	ck_assert_int_eq(sandbox_hooks(hid), 1);
	syncd_stop(pid);

	/* A disconnect deletes it at Klaviyo at once. */
	it_delete(it_connect_path(store), tok, &r);
	it_assert_ok(&r);
	it_resp_free(&r);
	ck_assert_int_eq(sandbox_hooks(hid), 0);
	ck_assert_int_eq(it_sql_count("SELECT count(*) FROM klaviyo_webhooks"
	    " WHERE public_id = $1", 1, (const char *[]){ hid }), 0);
	it_assert_logs_clean(IT_KEY_ACME);
	free(hid);
}
END_TEST

/* klaviyo-admin accounts remove deletes it at Klaviyo too. */
START_TEST(webhooks_admin_remove)
{
	char		 store[80], tok[64], conn[80], *hid, *out;
	struct it_resp	 r;
	pid_t		 pid;
	int		 st;

	it_connected("Webhooks", IT_KEY_ACME, IT_METRIC_ACME_SHOPIFY_PO, store,
	    sizeof(store), tok, sizeof(tok), conn, sizeof(conn));
	it_isolate(store);
	it_sbx("DELETE", "/__sandbox/webhooks", NULL, &r);
	it_resp_free(&r);
	hid = hook_public_id(conn);
	pid = it_syncd_spawn(fast_syncd);
	wait_state(store, tok, conn, "active", 300);
	syncd_stop(pid);
	ck_assert_int_eq(sandbox_hooks(hid), 1);
	st = it_run(&out, "\"$KC_TEST_ADMIN\" accounts remove '%s' '%s' 2>&1",
	    store, conn);
	ck_assert_msg(st == 0, "exit %d: %s", st, out);
	ck_assert_msg(strstr(out, "webhook was deleted at Klaviyo") != NULL,
	    "%s", out);
	free(out);
	ck_assert_int_eq(sandbox_hooks(hid), 0);
	free(hid);
}
END_TEST

START_TEST(webhooks_unavailable_403)
{
	char		 store[80], tok[64], conn[80], path[200], *v;
	struct it_resp	 r;
	pid_t		 pid;

	it_connected("Webhooks", IT_KEY_ACME, IT_METRIC_ACME_SHOPIFY_PO, store,
	    sizeof(store), tok, sizeof(tok), conn, sizeof(conn));
	it_isolate(store);
	it_sbx("DELETE", "/__sandbox/webhooks", NULL, &r);
	it_resp_free(&r);
	it_sbx("POST", "/__sandbox/accounts/" IT_ACCT_ACME "/webhooks-access",
	    "{\"enabled\":false}", &r);
	ck_assert_msg(r.status < 300, "%ld %s", r.status, r.body);
	it_resp_free(&r);
	pid = it_syncd_spawn(fast_syncd);
	wait_state(store, tok, conn, "unavailable", 300);
	syncd_stop(pid);
	v = hook_state(store, tok, conn, "reason");
	ck_assert_ptr_nonnull(v);
	ck_assert_ptr_nonnull(strstr(v, "does not allow webhooks"));
	free(v);
	/* Said once in the activity. */
	snprintf(path, sizeof(path), "/api/store/%s/klaviyo-activity"
	    "?action=webhook_unavailable", store);
	it_get(path, tok, &r);
	it_assert_ok(&r);
	ck_assert_int_eq(json_object_array_length(it_jget(r.json, "activity")),
	    1);
	it_resp_free(&r);
	it_sbx("DELETE", "/__sandbox/webhooks", NULL, &r);
	it_resp_free(&r);
}
END_TEST

/*
 * A webhook row of the store's connection with a secret sealed here, as
 * klaviyo-syncd would have left it; its public id in pub.
 */
static void
sealed_hook(char *store, size_t slen, char *pub, size_t publen,
    char *conn_id, size_t clen)
{
	struct keyring		 kr;
	struct sealed_ctx	 ctx;
	struct sealed_text	 t;
	char			 err[128], *cid, *v;
	const char		*p[7];

	it_store("Webhook route", store, slen);
	cid = it_set_integ(store, "{\"status\":\"connected\",\"public_id\":"
	    "\"" IT_ACCT_ACME "\",\"account\":{\"currency\":\"USD\"},"
	    "\"conversion_metric\":{\"id\":\"" IT_METRIC_ACME_SHOPIFY_PO
	    "\",\"name\":\"Placed Order\",\"integration\":\"Shopify\","
	    "\"isShopifyPlacedOrder\":true}}");
	snprintf(conn_id, clen, "%s", cid);
	p[0] = cid;
	v = it_sql_value("INSERT INTO klaviyo_webhooks (connection_id,"
	    " store_id, state, klaviyo_webhook_id, order_topic, topics)"
	    " SELECT id, store_id, 'active', '" HOOK_KID "',"
	    " 'event:shopify.placed_order', '{event:shopify.placed_order}'"
	    " FROM klaviyo_connections WHERE id = $1::bigint"
	    " ON CONFLICT (connection_id) DO UPDATE SET state = 'active',"
	    " klaviyo_webhook_id = EXCLUDED.klaviyo_webhook_id,"
	    " order_topic = EXCLUDED.order_topic"
	    " RETURNING public_id", 1, p);
	ck_assert_ptr_nonnull(v);
	snprintf(pub, publen, "%s", v);
	free(v);
	ck_assert_int_eq(keyring_parse(getenv("KC_MASTER_KEYS"), &kr, err,
	    sizeof(err)), KC_OK);
	memset(&t, 0, sizeof(t));
	ctx.purpose = SECRETBOX_WEBHOOK_SECRET;
	ctx.store = store;
	ctx.row = pub;
	ctx.legacy = 0;
	ck_assert_int_eq(sealed_text_seal(&kr, &ctx, HOOK_SECRET, &t), KC_OK);
	p[0] = pub;
	p[1] = t.version;
	p[2] = t.nonce;
	p[3] = t.ct;
	p[4] = t.tag;
	PQclear(it_sql("UPDATE klaviyo_webhooks SET key_version = $2::int,"
	    " nonce = decode($3, 'hex'), ciphertext = decode($4, 'hex'),"
	    " tag = decode($5, 'hex') WHERE public_id = $1", 5, p));
	sealed_text_free(&t);
	keyring_wipe(&kr);
	free(cid);
}

/* POSTs body to the webhook with the given headers' values (NULL: none). */
static void
deliver(const char *pub, const char *body, size_t len, const char *ts,
    const char *sig, const char *kid, const char *ctype, struct it_resp *r)
{
	char		 path[200], h[4][200];
	const char	*hs[5];
	int		 n = 0;

	snprintf(path, sizeof(path), "/api/klaviyo/webhooks/%s", pub);
	if (ctype) {
		snprintf(h[n], sizeof(h[n]), "Content-Type: %s", ctype);
		hs[n] = h[n];
		n++;
	}
	if (ts) {
		snprintf(h[n], sizeof(h[n]), "Klaviyo-Timestamp: %s", ts);
		hs[n] = h[n];
		n++;
	}
	if (sig) {
		snprintf(h[n], sizeof(h[n]), "Klaviyo-Signature: %s", sig);
		hs[n] = h[n];
		n++;
	}
	if (kid) {
		snprintf(h[n], sizeof(h[n]), "Klaviyo-Webhook-Id: %s", kid);
		hs[n] = h[n];
		n++;
	}
	hs[n] = NULL;
	it_request("POST", path, hs, body, len, r);
}

/* Signed with the secret and timestamp at, as Klaviyo would. */
static void
deliver_signed(const char *pub, const char *body, size_t len, time_t at,
    const char *kid, struct it_resp *r)
{
	char ts[32], sig[WEBHOOK_SIG_HEX + 1];

	snprintf(ts, sizeof(ts), "%lld", (long long)at);
	ck_assert_int_eq(webhook_sign(HOOK_SECRET, strlen(HOOK_SECRET), body,
	    len, ts, sig), KC_OK);
	deliver(pub, body, len, ts, sig, kid, "application/json", r);
}

/* A batch of n Placed Orders, ids prefix-0..n-1, named meta webhook. */
static char *
batch(const char *prefix, int n, const char *meta_kid)
{
	size_t	 cap = 512 + (size_t)n * 400, len = 0;
	char	*b = malloc(cap);
	int	 i;

	ck_assert_ptr_nonnull(b);
	len += (size_t)snprintf(b + len, cap - len, "{\"data\":[");
	for (i = 0; i < n; i++)
		len += (size_t)snprintf(b + len, cap - len, "%s{\"topic\":"
		    "\"event:shopify.placed_order\",\"external_id\":\"%s-%d\","
		    "\"payload\":{\"type\":\"event\",\"id\":\"%s-%d\","
		    "\"attributes\":{\"datetime\":\"2026-12-01T10:00:00+00:00\","
		    "\"event_properties\":{\"$value\":10.5,\"OrderId\":\"%s-%d\","
		    "\"Currency\":\"EUR\"}}}}", i ? "," : "", prefix, i, prefix,
		    i, prefix, i);
	snprintf(b + len, cap - len, "],\"meta\":{\"klaviyo_account_id\":\""
	    IT_ACCT_ACME "\",\"klaviyo_webhook_id\":\"%s\","
	    "\"timestamp\":\"2026-12-01T10:00:01+00:00\"}}", meta_kid);
	return b;
}

static void
ok200(const struct it_resp *r)
{
	ck_assert_msg(r->status == 200, "status %ld: %s", r->status, r->body);
	ck_assert_ptr_nonnull(r->json);
	ck_assert(it_jbool(r->json, "success"));
}

static long long
inbox_rows(const char *pub)
{
	return it_sql_count("SELECT count(*) FROM webhook_inbox i JOIN"
	    " klaviyo_webhooks w ON w.id = i.webhook_id WHERE w.public_id = $1",
	    1, (const char *[]){ pub });
}

START_TEST(webhooks_route_refusals)
{
	char		 store[80], pub[64], cid[32], ts[32], sig[80];
	char		*b, *big;
	struct it_resp	 r;
	time_t		 now = time(NULL);
	size_t		 blen;

	sealed_hook(store, sizeof(store), pub, sizeof(pub), cid, sizeof(cid));
	b = batch("ev", 1, HOOK_KID);
	blen = strlen(b);

	deliver_signed(pub, b, blen, now, HOOK_KID, &r);
	ok200(&r);
	ck_assert_int_eq(json_object_get_int(it_jget(r.json, "received")), 1);
	it_resp_free(&r);
	ck_assert_int_eq(inbox_rows(pub), 1);

	/* A signature of other bytes, or made with another secret. */
	snprintf(ts, sizeof(ts), "%lld", (long long)now);
	ck_assert_int_eq(webhook_sign("not-the-secret", 14, b, blen, ts, sig),
	    KC_OK);
	deliver(pub, b, blen, ts, sig, HOOK_KID, "application/json", &r);
	it_assert_error(&r, 401, "signature_invalid");
	it_resp_free(&r);
	deliver(pub, b, blen, ts, "zz", HOOK_KID, "application/json", &r);
	it_assert_error(&r, 401, "signature_invalid");
	it_resp_free(&r);
	/* Signed, but the timestamp is old or far ahead: a replay. */
	deliver_signed(pub, b, blen, now - 3600, HOOK_KID, &r);
	it_assert_error(&r, 401, "signature_stale");
	it_resp_free(&r);
	deliver_signed(pub, b, blen, now + 3600, HOOK_KID, &r);
	it_assert_error(&r, 401, "signature_stale");
	it_resp_free(&r);
	/* Headers missing. */
	deliver(pub, b, blen, NULL, NULL, HOOK_KID, "application/json", &r);
	it_assert_error(&r, 401, "signature_missing");
	it_resp_free(&r);
	/* Another webhook's id, in the header or in meta. */
	deliver_signed(pub, b, blen, now, "01OTHERWEBHOOK000000000001", &r);
	it_assert_error(&r, 401, "webhook_id_mismatch");
	it_resp_free(&r);
	free(b);
	b = batch("ev", 1, "01OTHERWEBHOOK000000000001");
	deliver_signed(pub, b, strlen(b), now, HOOK_KID, &r);
	it_assert_error(&r, 401, "webhook_id_mismatch");
	it_resp_free(&r);
	free(b);
	/* No such webhook; an id of another shape. */
	deliver_signed("kwh_00000000000000000000000000000000", "{}", 2, now,
	    HOOK_KID, &r);
	it_assert_error(&r, 404, "webhook_unknown");
	it_resp_free(&r);
	deliver_signed("kwh_1'%20OR%20'1'='1", "{}", 2, now, HOOK_KID, &r);
	ck_assert_int_eq(r.status, 404);
	it_resp_free(&r);
	/* Signed garbage: still not a batch. */
	deliver_signed(pub, "{\"data\":[", 9, now, HOOK_KID, &r);
	it_assert_error(&r, 400, NULL);
	it_resp_free(&r);
	deliver_signed(pub, "{\"data\":\"\xff\xfe\"}", 13, now, HOOK_KID, &r);
	it_assert_error(&r, 400, NULL);
	it_resp_free(&r);
	deliver_signed(pub, "{\"data\":[{\"topic\":1}],\"meta\":{"
	    "\"klaviyo_webhook_id\":\"" HOOK_KID "\"}}", 61, now, HOOK_KID, &r);
	it_assert_error(&r, 400, NULL);
	it_resp_free(&r);
	/* Not JSON by its type. */
	b = batch("ev", 1, HOOK_KID);
	deliver(pub, b, strlen(b), ts, sig, HOOK_KID, "text/plain", &r);
	it_assert_error(&r, 415, NULL);
	it_resp_free(&r);
	free(b);
	/* Over the size limit: refused before anything is read. */
	big = malloc(1100 * 1024);
	ck_assert_ptr_nonnull(big);
	memset(big, ' ', 1100 * 1024);
	memcpy(big, "{\"data\":[]", 10);
	deliver_signed(pub, big, 1050 * 1024, now, HOOK_KID, &r);
	ck_assert_int_eq(r.status, 413);
	it_resp_free(&r);
	deliver_signed(pub, big, 1100 * 1024, now, HOOK_KID, &r);
	ck_assert_int_eq(r.status, 413);
	ck_assert_ptr_nonnull(r.json);
	it_resp_free(&r);
	free(big);
	/* Nothing refused was stored. */
	ck_assert_int_eq(inbox_rows(pub), 1);
	/* A batch of 100, as Klaviyo sends them. */
	b = batch("many", 100, HOOK_KID);
	deliver_signed(pub, b, strlen(b), now, HOOK_KID, &r);
	ok200(&r);
	ck_assert_int_eq(json_object_get_int(it_jget(r.json, "received")),
	    100);
	it_resp_free(&r);
	free(b);
	/* GET is no delivery. */
	it_get("/api/klaviyo/webhooks/kwh_00000000000000000000000000000000",
	    NULL, &r);
	ck_assert_int_eq(r.status, 405);
	it_resp_free(&r);
	/* A turned-off webhook takes none. */
	PQclear(it_sql("UPDATE klaviyo_webhooks SET wanted = false"
	    " WHERE public_id = $1", 1, (const char *[]){ pub }));
	b = batch("off", 1, HOOK_KID);
	deliver_signed(pub, b, strlen(b), now, HOOK_KID, &r);
	it_assert_error(&r, 404, "webhook_inactive");
	it_resp_free(&r);
	free(b);
	it_assert_logs_clean(HOOK_SECRET);
}
END_TEST

START_TEST(webhooks_applied_once_and_debounced)
{
	char		 store[80], pub[64], cid[32], *b, *v;
	struct it_resp	 r;
	time_t		 now = time(NULL);
	pid_t		 pid;
	const char	*p[1];
	int		 i;
	static const char msgs[] =
	    "{\"data\":["
	    "{\"topic\":\"event:klaviyo.opened_email\",\"external_id\":\"m1\","
	    "\"payload\":{\"data\":{\"type\":\"event\",\"id\":\"m1\","
	    "\"attributes\":{\"event_properties\":{\"$flow\":\"F1\"}}}}},"
	    "{\"topic\":\"event:klaviyo.clicked_email\",\"external_id\":\"m2\","
	    "\"payload\":{\"type\":\"event\",\"id\":\"m2\",\"attributes\":"
	    "{\"event_properties\":{\"$message\":\"C1\"}}}},"
	    "{\"topic\":\"event:klaviyo.clicked_email\",\"external_id\":\"m3\","
	    "\"payload\":{\"type\":\"event\",\"id\":\"m3\",\"attributes\":"
	    "{\"event_properties\":{\"$message\":\"C1\"}}}}],"
	    "\"meta\":{\"klaviyo_webhook_id\":\"" HOOK_KID "\"}}";

	sealed_hook(store, sizeof(store), pub, sizeof(pub), cid, sizeof(cid));
	it_isolate(store);
	p[0] = cid;
	/* Three orders, one of them twice in the batch, then all again. */
	b = batch("dup", 3, HOOK_KID);
	deliver_signed(pub, b, strlen(b), now, HOOK_KID, &r);
	ok200(&r);
	it_resp_free(&r);
	deliver_signed(pub, b, strlen(b), now, HOOK_KID, &r);
	ok200(&r);
	it_resp_free(&r);
	free(b);
	deliver_signed(pub, msgs, strlen(msgs), now, HOOK_KID, &r);
	ok200(&r);
	it_resp_free(&r);
	deliver_signed(pub, msgs, strlen(msgs), now, HOOK_KID, &r);
	ok200(&r);
	it_resp_free(&r);

	pid = it_syncd_spawn(fast_syncd);
	for (i = 0; i < 200 && it_sql_count("SELECT count(*) FROM webhook_inbox"
	    " i JOIN klaviyo_webhooks w ON w.id = i.webhook_id WHERE"
	    " w.connection_id = $1::bigint AND i.processed_at IS NULL", 1, p) >
	    0; i++)
		it_pause_ms(100);
	syncd_stop(pid);
	ck_assert_int_eq(it_sql_count("SELECT count(*) FROM orders"
	    " WHERE connection_id = $1::bigint", 1, p), 3);
	v = it_sql_value("SELECT string_agg(order_id || ' ' || value || ' ' ||"
	    " currency, ',' ORDER BY order_id) FROM orders"
	    " WHERE connection_id = $1::bigint", 1, p);
	ck_assert_str_eq(v, "dup-0 10.50 EUR,dup-1 10.50 EUR,dup-2 10.50 EUR");
	free(v);
	ck_assert_int_eq(it_sql_count("SELECT count(*) FROM webhook_events_seen"
	    " s JOIN klaviyo_webhooks w ON w.id = s.webhook_id"
	    " WHERE w.connection_id = $1::bigint", 1, p), 6);
	/* One flows and one campaigns sync, later, however many events. */
	ck_assert_int_eq(it_sql_count("SELECT count(*) FROM sync_jobs WHERE"
	    " connection_id = $1::bigint AND type = 'flows' AND mode ="
	    " 'incremental' AND state = 'queued' AND run_after > now()", 1, p),
	    1);
	ck_assert_int_eq(it_sql_count("SELECT count(*) FROM sync_jobs WHERE"
	    " connection_id = $1::bigint AND type = 'campaigns'", 1, p), 1);
	ck_assert_int_eq(it_sql_count("SELECT count(*) FROM sync_jobs WHERE"
	    " connection_id = $1::bigint AND type NOT IN ('flows',"
	    " 'campaigns')", 1, p), 0);
}
END_TEST

Suite *
suite_webhooks(void)
{
	Suite	*s = suite_create("webhooks");
	TCase	*tc = tcase_create("webhooks");

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, webhooks_route_refusals);
	tcase_add_test(tc, webhooks_applied_once_and_debounced);
	tcase_add_test(tc, webhooks_end_to_end);
	tcase_add_test(tc, webhooks_admin_remove);
	tcase_add_test(tc, webhooks_unavailable_403);
	suite_add_tcase(s, tc);
	return s;
}
