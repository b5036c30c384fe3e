/*
 * klaviyo-admin accounts list | remove | make-primary and jobs list
 * --account (issue 15): a store with two Klaviyo accounts (one by OAuth,
 * one by key, made through the web API), changed by the operator, seen
 * through the database, the audit log, the sandbox's grants and the
 * seed's GET .../klaviyo-connect.
 */
#include "itest.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ADM "\"$KC_TEST_ADMIN\""
#define FORM_TYPE "Content-Type: application/x-www-form-urlencoded"

/* Runs a command, checks its exit status; returns the output. */
static char * __attribute__((format(printf, 3, 4)))
expect(int want, const char *what, const char *fmt, ...)
{
	char	 cmd[4096], *out;
	va_list	 ap;
	int	 st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	st = it_run(&out, "%s", cmd);
	ck_assert_msg(st == want, "%s: exit %d, want %d; output: %s", what,
	    st, want, out);
	return out;
}

#define expect_free(...) free(expect(__VA_ARGS__))

static size_t
lines(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

/* The line of out that holds needle (a copy), or NULL. */
static char *
line_of(const char *out, const char *needle)
{
	const char	*p = strstr(out, needle), *b, *e;

	if (p == NULL)
		return NULL;
	for (b = p; b > out && b[-1] != '\n'; b--)
		;
	e = strchr(p, '\n');
	return strndup(b, e ? (size_t)(e - b) : strlen(b));
}

/* ------------------------------------------- OAuth (as t_oauth.c) -- */

static char *
location(const struct it_resp *r)
{
	const char *l = it_header(r, "Location");

	ck_assert_msg(l != NULL, "no Location: %ld %s", r->status, r->body);
	return strdup(l);
}

/*
 * Starts at our route and allows the account on the sandbox's consent
 * form, as the browser would; GETs the callback it sends back to.
 */
static void
oauth_consent(const char *store, const char *tok, const char *account)
{
	const char	*hdrs[2] = { FORM_TYPE, NULL }, *base;
	struct it_resp	 r;
	char		 path[200], *auth, *form, *cb;
	size_t		 n;

	snprintf(path, sizeof(path), "/api/store/%s/klaviyo-oauth/start",
	    store);
	it_get(path, tok, &r);
	ck_assert_msg(r.status == 302, "start: %ld %s", r.status, r.body);
	auth = location(&r);
	it_resp_free(&r);
	n = strlen(auth) + 128;
	ck_assert_ptr_nonnull(form = malloc(n));
	snprintf(form, n, "%s&account=%s&decision=allow",
	    strchr(auth, '?') + 1, account);
	*strchr(auth, '?') = '\0';
	it_request("POST", auth, hdrs, form, strlen(form), &r);
	ck_assert_msg(r.status == 302, "consent: %ld %s", r.status, r.body);
	cb = location(&r);
	it_resp_free(&r);
	base = getenv("KC_TEST_URL");
	ck_assert_msg(strncmp(cb, base, strlen(base)) == 0, "callback %s", cb);
	it_get(cb + strlen(base), tok, &r);
	ck_assert_msg(r.status == 302, "callback: %ld %s", r.status, r.body);
	it_resp_free(&r);
	free(cb);
	free(form);
	free(auth);
}

/* The store's first (primary) account: Acme, by OAuth. */
static void
oauth_connect_acme(const char *store, const char *tok)
{
	struct it_resp r;

	oauth_consent(store, tok, IT_ACCT_ACME);
	it_post(it_connect_path(store), tok, "{\"method\":\"oauth\","
	    "\"conversionMetricId\":\"" IT_METRIC_ACME_API_PO "\"}", &r);
	it_assert_ok(&r);
	ck_assert_str_eq(it_jstr(it_jget(it_jget(r.json, "store"),
	    "klaviyo_integration"), "auth_method"), "oauth");
	it_resp_free(&r);
}

/* Whether the sandbox's newest grant of the account is revoked. */
static int
grant_revoked(const char *account)
{
	struct it_resp		 r;
	struct json_object	*grants, *g, *v;
	size_t			 i;
	int			 out = -1;

	it_sbx("GET", "/__sandbox/oauth", NULL, &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert_msg(json_object_object_get_ex(r.json, "grants", &grants),
	    "%s", r.body);
	for (i = 0; i < json_object_array_length(grants); i++) {
		g = json_object_array_get_idx(grants, i);
		if (strcmp(it_jstr(g, "account"), account) == 0 &&
		    json_object_object_get_ex(g, "revoked", &v))
			out = json_object_get_boolean(v);
	}
	it_resp_free(&r);
	ck_assert_msg(out >= 0, "no grant of %s", account);
	return out;
}

/* ------------------------------------------------------- fixtures -- */

/* A second account (Bluebird, by key) through the multi-account API. */
static void
add_bluebird(const char *store, const char *tok)
{
	struct it_resp	r;
	char		path[200];

	snprintf(path, sizeof(path), "/api/store/%s/klaviyo-accounts", store);
	it_post(path, tok, "{\"apiKey\":\"" IT_KEY_BLUEBIRD "\","
	    "\"conversionMetricId\":\"" IT_METRIC_BLUEBIRD_PO "\"}", &r);
	ck_assert_msg(r.status == 201 && it_jbool(r.json, "success"),
	    "add: %ld %s", r.status, r.body);
	it_resp_free(&r);
}

/* The public id of the store's connection to the Klaviyo account. */
static char *
conn_id(const char *store, const char *account)
{
	const char	*p[2] = { store, account };
	char		*id;

	id = it_sql_value("SELECT k.public_id FROM klaviyo_connections k"
	    " JOIN stores s ON s.id = k.store_id WHERE s.public_id = $1"
	    " AND k.account_id = $2", 2, p);
	ck_assert_msg(id != NULL, "store %s has no connection to %s", store,
	    account);
	return id;
}

static long long
count1(const char *sql, const char *a)
{
	const char *p[1] = { a };

	return it_sql_count(sql, 1, p);
}

/* Audit rows of the action on the connection written by the operator. */
static long long
admin_audits(const char *store, const char *action, const char *conn)
{
	const char *p[3] = { store, action, conn };

	return it_sql_count("SELECT count(*) FROM audit_log a JOIN stores s"
	    " ON s.id = a.store_id WHERE s.public_id = $1 AND a.action = $2"
	    " AND a.outcome = 'success' AND a.actor_user_id IS NULL"
	    " AND a.detail ->> 'via' = 'klaviyo-admin'"
	    " AND a.detail ->> 'connection_id' = $3", 3, p);
}

/* The account id the seed's GET .../klaviyo-connect shows (a copy). */
static char *
seed_account(const char *store, const char *tok)
{
	struct it_resp		 r;
	struct json_object	*ki, *v;
	char			*out;

	it_get(it_connect_path(store), tok, &r);
	it_assert_ok(&r);
	ki = it_jget(r.json, "klaviyo_integration");
	out = strdup(json_object_object_get_ex(ki, "public_id", &v) ?
	    json_object_get_string(v) : it_jstr(ki, "status"));
	it_resp_free(&r);
	return out;
}

/* Nothing left queued for the daemons of later tests. */
static void
quiet(const char *store)
{
	const char *p[1] = { store };

	PQclear(it_sql("UPDATE sync_jobs SET state = 'cancelled' WHERE"
	    " state = 'queued' AND store_id = (SELECT id FROM stores"
	    " WHERE public_id = $1)", 1, p));
	PQclear(it_sql("UPDATE report_triggers SET cancelled_at = now()"
	    " WHERE delivered_at IS NULL AND cancelled_at IS NULL"
	    " AND store_id = (SELECT id FROM stores WHERE public_id = $1)",
	    1, p));
}

/* ---------------------------------------------------------- tests -- */

START_TEST(accounts_list_make_primary_remove)
{
	char		 store[80], tok[64], *acme, *blue, *out, *l, *seed;
	char		*job;
	const char	*p[1];

	it_klaviyo_cold();
	it_store("Admin accounts", store, sizeof(store));
	it_member("owner", store, tok, sizeof(tok));
	oauth_connect_acme(store, tok);
	add_bluebird(store, tok);
	acme = conn_id(store, IT_ACCT_ACME);
	blue = conn_id(store, IT_ACCT_BLUEBIRD);

	/* Header and one line per account, primary first. */
	out = expect(0, "accounts list", ADM " accounts list '%s' 2>&1",
	    store);
	ck_assert_msg(lines(out) == 3 && strncmp(out, "ID ", 3) == 0, "%s",
	    out);
	ck_assert_msg(strstr(out, acme) < strstr(out, blue), "%s", out);
	ck_assert_ptr_nonnull(l = line_of(out, acme));
	ck_assert_msg(strstr(l, " yes ") && strstr(l, " connected ") &&
	    strstr(l, IT_ACCT_ACME) && strstr(l, " oauth ") &&
	    strstr(l, " Placed Order ") && strstr(l, " Acme Outdoor"), "%s", l);
	free(l);
	ck_assert_ptr_nonnull(l = line_of(out, blue));
	ck_assert_msg(strstr(l, " no ") && strstr(l, IT_ACCT_BLUEBIRD) &&
	    strstr(l, " pk_sbxw") && strstr(l, " Bluebird Books"), "%s", l);
	free(l);
	ck_assert_msg(strstr(out, IT_KEY_BLUEBIRD) == NULL, "%s", out);
	free(out);

	/* jobs list names each job's account and filters by it. */
	p[0] = blue;
	job = it_sql_value("INSERT INTO sync_jobs (store_id, connection_id,"
	    " type, mode, state, finished_at, last_error) SELECT store_id, id,"
	    " 'flows', 'full', 'failed', now(), 'it acct' FROM"
	    " klaviyo_connections WHERE public_id = $1 RETURNING id", 1, p);
	ck_assert_ptr_nonnull(job);
	out = expect(0, "jobs list --account", ADM " jobs list --account '%s'"
	    " 2>&1", blue);
	ck_assert_msg(strstr(out, "ACCOUNT") && strstr(out, "it acct"), "%s",
	    out);
	ck_assert_ptr_nonnull(l = line_of(out, "it acct"));
	ck_assert_msg(strncmp(l, job, strlen(job)) == 0 && strstr(l, blue) &&
	    strstr(l, store), "%s", l);
	free(l);
	ck_assert_msg(strstr(out, acme) == NULL, "%s", out);
	free(out);
	out = expect(0, "jobs list --account acme", ADM " jobs list --store "
	    "'%s' --account '%s' 2>&1", store, acme);
	ck_assert_msg(strstr(out, "it acct") == NULL, "%s", out);
	free(out);

	/* The key account becomes primary: the seed's routes now show it. */
	seed = seed_account(store, tok);
	ck_assert_str_eq(seed, IT_ACCT_ACME);
	free(seed);
	out = expect(0, "make-primary", ADM " accounts make-primary '%s' '%s'"
	    " 2>&1", store, blue);
	ck_assert_msg(strstr(out, "now the primary") != NULL, "%s", out);
	free(out);
	ck_assert_int_eq(count1("SELECT count(*) FROM klaviyo_connections"
	    " WHERE public_id = $1 AND is_primary", blue), 1);
	ck_assert_int_eq(count1("SELECT count(*) FROM klaviyo_connections"
	    " WHERE public_id = $1 AND NOT is_primary", acme), 1);
	seed = seed_account(store, tok);
	ck_assert_str_eq(seed, IT_ACCT_BLUEBIRD);
	free(seed);
	ck_assert_int_eq(admin_audits(store, "make_primary", blue), 1);
	/* The report server learns of it by a trigger of that connection. */
	ck_assert_int_eq(count1("SELECT count(*) FROM report_triggers t"
	    " JOIN klaviyo_connections k ON k.id = t.connection_id"
	    " WHERE k.public_id = $1 AND t.payload::jsonb"
	    " ->> 'klaviyo_connection_id' = $1", blue), 2);
	out = expect(0, "make-primary again", ADM " accounts make-primary "
	    "'%s' '%s' 2>&1", store, blue);
	ck_assert_msg(strstr(out, "already") != NULL, "%s", out);
	free(out);
	ck_assert_int_eq(admin_audits(store, "make_primary", blue), 1);

	/* Removing the OAuth account revokes its grant at Klaviyo. */
	ck_assert_int_eq(grant_revoked(IT_ACCT_ACME), 0);
	out = expect(0, "remove acme", ADM " accounts remove '%s' '%s' 2>&1",
	    store, acme);
	ck_assert_msg(strstr(out, "removed") && strstr(out, "was revoked at "
	    "Klaviyo"), "%s", out);
	free(out);
	ck_assert_int_eq(grant_revoked(IT_ACCT_ACME), 1);
	ck_assert_int_eq(count1("SELECT count(*) FROM klaviyo_connections"
	    " WHERE public_id = $1", acme), 0);
	ck_assert_int_eq(admin_audits(store, "remove_account", acme), 1);
	ck_assert_int_eq(count1("SELECT count(*) FROM klaviyo_credentials c"
	    " JOIN klaviyo_connections k ON k.id = c.connection_id"
	    " JOIN stores s ON s.id = k.store_id WHERE s.public_id = $1",
	    store), 1);
	seed = seed_account(store, tok);
	ck_assert_str_eq(seed, IT_ACCT_BLUEBIRD);
	free(seed);

	/* The last one goes with its credential and its job. */
	out = expect(0, "remove blue", ADM " accounts remove '%s' '%s' 2>&1",
	    store, blue);
	ck_assert_msg(strstr(out, "removed") && strstr(out, "OAuth") == NULL,
	    "%s", out);
	free(out);
	ck_assert_int_eq(admin_audits(store, "remove_account", blue), 1);
	p[0] = job;
	ck_assert_int_eq(it_sql_count("SELECT count(*) FROM sync_jobs"
	    " WHERE id = $1::bigint", 1, p), 0);
	ck_assert_int_eq(count1("SELECT count(*) FROM klaviyo_connections k"
	    " JOIN stores s ON s.id = k.store_id WHERE s.public_id = $1",
	    store), 0);
	ck_assert_int_eq(count1("SELECT count(*) FROM klaviyo_syncs y"
	    " JOIN stores s ON s.id = y.store_id WHERE s.public_id = $1",
	    store), 0);
	seed = seed_account(store, tok);
	ck_assert_str_eq(seed, "not_configured");
	free(seed);
	out = expect(0, "empty list", ADM " accounts list '%s' 2>&1", store);
	ck_assert_msg(lines(out) == 1, "%s", out);
	free(out);
	quiet(store);
	free(job);
	free(acme);
	free(blue);
}
END_TEST

/* The grant stays at Klaviyo: the account goes, and the output says so. */
START_TEST(accounts_remove_grant_not_revoked)
{
	char	 store[80], tok[64], *acme, *out;

	it_klaviyo_cold();
	it_store("Admin accounts no client", store, sizeof(store));
	it_member("owner", store, tok, sizeof(tok));
	oauth_connect_acme(store, tok);
	acme = conn_id(store, IT_ACCT_ACME);
	out = expect(0, "remove without a client", "KLAVIYO_CLIENT_ID= "
	    "KLAVIYO_CLIENT_SECRET= " ADM " accounts remove '%s' '%s' 2>&1",
	    store, acme);
	ck_assert_msg(strstr(out, "removed") && strstr(out, "could not be "
	    "revoked at Klaviyo"), "%s", out);
	free(out);
	ck_assert_int_eq(grant_revoked(IT_ACCT_ACME), 0);
	ck_assert_int_eq(count1("SELECT count(*) FROM klaviyo_connections"
	    " WHERE public_id = $1", acme), 0);
	ck_assert_int_eq(admin_audits(store, "remove_account", acme), 1);
	free(acme);

	/* Klaviyo fails the revocation. */
	oauth_connect_acme(store, tok);
	acme = conn_id(store, IT_ACCT_ACME);
	it_sbx_fault("{\"fault\":\"status\",\"status\":503,"
	    "\"path\":\"/oauth/revoke\"}");
	out = expect(0, "remove, Klaviyo down", ADM " accounts remove '%s' "
	    "'%s' 2>&1", store, acme);
	it_sbx_reset();
	ck_assert_msg(strstr(out, "removed") && strstr(out, "could not be "
	    "revoked at Klaviyo: "), "%s", out);
	free(out);
	ck_assert_int_eq(grant_revoked(IT_ACCT_ACME), 0);
	ck_assert_int_eq(count1("SELECT count(*) FROM klaviyo_connections"
	    " WHERE public_id = $1", acme), 0);
	quiet(store);
	free(acme);
}
END_TEST

/*
 * The web API with OAuth on a second account: added with a waiting grant
 * (POST …/klaviyo-accounts {method:"oauth"}), then its credential
 * replaced by a new grant of the same account (PATCH {method:"oauth"});
 * a grant of another account is refused.
 */
START_TEST(web_oauth_second_account_add_and_replace)
{
	char		 store[80], tok[64], path[300], *acme, *before, *after;
	const char	*p[1];
	struct it_resp	 r;

	it_klaviyo_cold();
	it_store("Admin Accounts", store, sizeof(store));
	it_member("owner", store, tok, sizeof(tok));
	it_connect(store, tok, IT_KEY_BLUEBIRD, IT_METRIC_BLUEBIRD_PO, &r);
	it_assert_ok(&r);
	it_resp_free(&r);
	oauth_consent(store, tok, IT_ACCT_ACME);
	snprintf(path, sizeof(path), "/api/store/%s/klaviyo-accounts", store);
	it_post(path, tok, "{\"method\":\"oauth\",\"conversionMetricId\":\""
	    IT_METRIC_ACME_API_PO "\"}", &r);
	ck_assert_msg(r.status == 201, "add: %ld %s", r.status, r.body);
	ck_assert_str_eq(it_jstr(it_jget(it_jget(r.json, "account"),
	    "klaviyo_integration"), "auth_method"), "oauth");
	ck_assert(!it_jbool(it_jget(r.json, "account"), "primary"));
	it_resp_free(&r);
	acme = conn_id(store, IT_ACCT_ACME);
	p[0] = acme;
	before = it_sql_value("SELECT encode(ciphertext, 'hex') FROM"
	    " klaviyo_credentials c JOIN klaviyo_connections k"
	    " ON k.id = c.connection_id WHERE k.public_id = $1", 1, p);

	/* A new grant of the same account replaces its credential. */
	oauth_consent(store, tok, IT_ACCT_ACME);
	snprintf(path, sizeof(path), "/api/store/%s/klaviyo-accounts/%s",
	    store, acme);
	{
		const char	*body = "{\"method\":\"oauth\"}";

		it_patch(path, tok, body, &r);
		it_assert_ok(&r);
		ck_assert_str_eq(it_str(&r, "message"),
		    "Klaviyo authorization updated");
		it_resp_free(&r);
		after = it_sql_value("SELECT encode(ciphertext, 'hex') FROM"
		    " klaviyo_credentials c JOIN klaviyo_connections k"
		    " ON k.id = c.connection_id WHERE k.public_id = $1", 1, p);
		ck_assert_str_ne(before, after);
		ck_assert_int_eq(count1("SELECT count(*) FROM audit_log"
		    " WHERE action = 'rotate_key' AND detail ->>"
		    " 'connection_id' = $1", acme), 1);

		/* A grant of another account: refused, nothing changed. */
		oauth_consent(store, tok, IT_ACCT_CEDAR);
		it_patch(path, tok, body, &r);
		it_assert_error(&r, 409, "account_mismatch");
		it_resp_free(&r);
		free(before);
		before = it_sql_value("SELECT encode(ciphertext, 'hex') FROM"
		    " klaviyo_credentials c JOIN klaviyo_connections k"
		    " ON k.id = c.connection_id WHERE k.public_id = $1", 1, p);
		ck_assert_str_eq(before, after);
	}
	free(before);
	free(after);
	free(acme);
}
END_TEST

START_TEST(accounts_unknown_store_or_account)
{
	char		 store[80], other[80], tok[64], tok2[64], *blue, *oblue;
	char		*before, *after;
	struct it_resp	 r;

	it_klaviyo_cold();
	it_store("Admin accounts errors", store, sizeof(store));
	it_member("owner", store, tok, sizeof(tok));
	it_connect(store, tok, IT_KEY_CEDAR, IT_METRIC_CEDAR_PO, &r);
	it_assert_ok(&r);
	it_resp_free(&r);
	add_bluebird(store, tok);
	it_store("Admin accounts other", other, sizeof(other));
	it_member("owner", other, tok2, sizeof(tok2));
	add_bluebird(other, tok2);
	blue = conn_id(store, IT_ACCT_BLUEBIRD);
	oblue = conn_id(other, IT_ACCT_BLUEBIRD);
	before = it_store_state(store);

	expect_free(4, "list nosuch", ADM " accounts list nosuch-store 2>&1");
	expect_free(4, "list bad id", ADM " accounts list 'a b' 2>&1");
	expect_free(4, "remove nosuch store", ADM " accounts remove "
	    "nosuch-store '%s' 2>&1", blue);
	expect_free(4, "remove nosuch account", ADM " accounts remove '%s' "
	    "kcn_nosuch 2>&1", store);
	expect_free(4, "remove bad account", ADM " accounts remove '%s' "
	    "'x;y' 2>&1", store);
	/* Another store's account is not this store's. */
	expect_free(4, "remove other's", ADM " accounts remove '%s' '%s' 2>&1",
	    store, oblue);
	expect_free(4, "make-primary other's", ADM " accounts make-primary "
	    "'%s' '%s' 2>&1", store, oblue);
	expect_free(4, "make-primary nosuch", ADM " accounts make-primary "
	    "'%s' kcn_nosuch 2>&1", store);
	expect_free(2, "remove one arg", ADM " accounts remove '%s' 2>&1",
	    store);
	expect_free(2, "list two args", ADM " accounts list '%s' x 2>&1",
	    store);
	expect_free(2, "accounts alone", ADM " accounts 2>&1");
	expect_free(4, "jobs of nosuch", ADM " jobs list --account kcn_nosuch"
	    " 2>&1");
	expect_free(4, "jobs of other's", ADM " jobs list --store '%s' "
	    "--account '%s' 2>&1", store, oblue);
	after = it_store_state(store);
	ck_assert_str_eq(before, after);
	ck_assert_int_eq(count1("SELECT count(*) FROM klaviyo_connections"
	    " WHERE public_id = $1", oblue), 1);
	quiet(store);
	quiet(other);
	free(before);
	free(after);
	free(blue);
	free(oblue);
}
END_TEST

Suite *
suite_admin_accounts(void)
{
	Suite	*s = suite_create("admin_accounts");
	TCase	*tc;

	tc = tcase_create("klaviyo_accounts");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, accounts_list_make_primary_remove);
	tcase_add_test(tc, accounts_remove_grant_not_revoked);
	tcase_add_test(tc, accounts_unknown_store_or_account);
	tcase_add_test(tc, web_oauth_second_account_add_and_replace);
	suite_add_tcase(s, tc);
	return s;
}
