/*
 * Secrets (DESIGN.md 5): credentials sealed with AES-256-GCM, a fresh
 * nonce, the tag, and purpose, store public id, row and key version as
 * AAD (t_secrets_purpose.c: purpose and the pre-008 format);
 * tampering or moving a credential never yields a usable key; the raw
 * key is in no response, log or database dump; klaviyo-admin
 * rotate-keys re-encrypts under the newest master key; a wrong or
 * missing KC_MASTER_KEYS stops the programs at start.
 */
#include "itest.h"

#include <glob.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "crypto.h"
#include "secretbox.h"

static void
setup(void)
{
	it_klaviyo_cold();
}

static const char *
master_keys(void)
{
	const char *v = getenv("KC_MASTER_KEYS");

	ck_assert_msg(v != NULL && *v, "KC_MASTER_KEYS is not set");
	return v;
}

/* A fresh "base64 of 32 random bytes". */
static void
random_master(char *out, size_t len)
{
	unsigned char raw[32];

	ck_assert(crypto_random(raw, sizeof(raw)) == KC_OK);
	ck_assert(crypto_b64_encode(raw, sizeof(raw), out, len) == KC_OK);
}

/* The base64 part of KC_MASTER_KEYS's version 1 (run.sh has one key). */
static void
current_master(char *out, size_t len)
{
	const char *v = master_keys();

	ck_assert_msg(strncmp(v, "1:", 2) == 0 && strchr(v, ',') == NULL,
	    "run.sh's KC_MASTER_KEYS is expected to be one version 1 key");
	snprintf(out, len, "%s", v + 2);
}

static void
owned_store(const char *name, char *store, size_t slen, char *tok,
    size_t tlen)
{
	it_store(name, store, slen);
	it_member("owner", store, tok, tlen);
}

static void
connect_ok(const char *store, const char *tok, const char *key,
    const char *metric)
{
	struct it_resp r;

	it_connect(store, tok, key, metric, &r);
	it_assert_ok(&r);
	it_assert_no_secret(&r, key);
	it_resp_free(&r);
}

static void
unhex(const char *h, unsigned char *out, size_t cap, size_t *n)
{
	size_t		i, len = strlen(h);
	unsigned int	b;

	ck_assert(len % 2 == 0 && len / 2 <= cap);
	for (i = 0; i < len / 2; i++) {
		ck_assert(sscanf(h + 2 * i, "%2x", &b) == 1);
		out[i] = (unsigned char)b;
	}
	*n = len / 2;
}

/* The stored credential row of the store. */
struct cred {
	char	row[24];	/* store id: part of the AAD */
	int	version;
	char	nonce[64];
	char	ct[512];
	char	tag[64];
};

static int
cred_read(const char *store, struct cred *c)
{
	const char	*p[1] = { store };
	PGresult	*res;
	int		 found;

	memset(c, 0, sizeof(*c));
	res = it_sql("SELECT c.key_version, encode(c.nonce, 'hex'),"
	    " encode(c.ciphertext, 'hex'), encode(c.tag, 'hex'),"
	    " c.connection_id FROM klaviyo_credentials c"
	    " WHERE c.connection_id = " IT_SQL_PRIMARY_ID("$1"), 1, p);
	found = PQntuples(res) == 1;
	if (found) {
		c->version = atoi(PQgetvalue(res, 0, 0));
		snprintf(c->nonce, sizeof(c->nonce), "%s", PQgetvalue(res, 0,
		    1));
		snprintf(c->ct, sizeof(c->ct), "%s", PQgetvalue(res, 0, 2));
		snprintf(c->tag, sizeof(c->tag), "%s", PQgetvalue(res, 0, 3));
		snprintf(c->row, sizeof(c->row), "%s", PQgetvalue(res, 0, 4));
	}
	PQclear(res);
	return found;
}

static void
cred_write(const char *store, const struct cred *c)
{
	char		 v[16];
	const char	*p[5] = { store, v, c->nonce, c->ct, c->tag };

	snprintf(v, sizeof(v), "%d", c->version);
	PQclear(it_sql("UPDATE klaviyo_credentials c SET key_version = $2,"
	    " nonce = decode($3, 'hex'), ciphertext = decode($4, 'hex'),"
	    " tag = decode($5, 'hex')"
	    " WHERE c.connection_id = " IT_SQL_PRIMARY_ID("$1"), 5, p));
}

/*
 * Opens a stored credential in this process with the keyring spec and
 * the store id given as AAD.  Returns the kc_err; *out malloc'd.
 */
static int
cred_open(const struct cred *c, const char *keys, const char *aad_store,
    char **out)
{
	struct keyring		 kr;
	struct sealed		 s;
	struct sealed_ctx	 ctx = { SECRETBOX_CREDENTIAL_API_KEY,
				    aad_store, c->row, 0 };
	unsigned char		 ct[256];
	char			 err[256];
	size_t			 n, len;
	int			 rc;

	*out = NULL;
	ck_assert_msg(keyring_parse(keys, &kr, err, sizeof(err)) == KC_OK,
	    "%s", err);
	memset(&s, 0, sizeof(s));
	s.version = c->version;
	unhex(c->nonce, s.nonce, sizeof(s.nonce), &n);
	ck_assert_uint_eq(n, SECRETBOX_NONCE);
	unhex(c->tag, s.tag, sizeof(s.tag), &n);
	ck_assert_uint_eq(n, SECRETBOX_TAG);
	unhex(c->ct, ct, sizeof(ct), &s.ctlen);
	s.ct = ct;
	rc = secretbox_open(&kr, &ctx, &s, out, &len);
	keyring_wipe(&kr);
	return rc;
}

START_TEST(secrets_sealed_with_fresh_nonce_and_aad)
{
	struct cred	 a, a2, b;
	char		 sa[32], sb[32], ta[64], tb[64], cur[64], keys[160];
	char		*plain;

	owned_store("Sealed A", sa, sizeof(sa), ta, sizeof(ta));
	owned_store("Sealed B", sb, sizeof(sb), tb, sizeof(tb));
	connect_ok(sa, ta, IT_KEY_ACME, IT_METRIC_ACME_SHOPIFY_PO);
	connect_ok(sb, tb, IT_KEY_ACME, IT_METRIC_ACME_SHOPIFY_PO);
	ck_assert(cred_read(sa, &a));
	ck_assert(cred_read(sb, &b));
	ck_assert_int_eq(a.version, 1);
	ck_assert_uint_eq(strlen(a.nonce), 2 * SECRETBOX_NONCE);
	ck_assert_uint_eq(strlen(a.tag), 2 * SECRETBOX_TAG);
	/* GCM: as long as the key, and not the key. */
	ck_assert_uint_eq(strlen(a.ct), 2 * strlen(IT_KEY_ACME));
	/* Same key, two stores: nothing in common. */
	ck_assert_str_ne(a.nonce, b.nonce);
	ck_assert_str_ne(a.ct, b.ct);
	ck_assert_str_ne(a.tag, b.tag);
	/* It opens with the master key and the store's own id only. */
	ck_assert_int_eq(cred_open(&a, master_keys(), sa, &plain), KC_OK);
	ck_assert_str_eq(plain, IT_KEY_ACME);
	secretbox_free_plain(plain, strlen(plain));
	ck_assert_int_eq(cred_open(&a, master_keys(), sb, &plain),
	    KC_ERR_CRYPTO);
	ck_assert_ptr_null(plain);
	/* The version is bound too: relabelled, it does not open. */
	current_master(cur, sizeof(cur));
	snprintf(keys, sizeof(keys), "2:%s,1:%s", cur, cur);
	a2 = a;
	a2.version = 2;
	ck_assert_int_eq(cred_open(&a2, keys, sa, &plain), KC_ERR_CRYPTO);
	/* Another master key: no. */
	random_master(cur, sizeof(cur));
	snprintf(keys, sizeof(keys), "1:%s", cur);
	ck_assert_int_eq(cred_open(&a, keys, sa, &plain), KC_ERR_CRYPTO);
	/* Saving again (a key rotation) seals with a new nonce. */
	connect_ok(sa, ta, IT_KEY_ACME, IT_METRIC_ACME_SHOPIFY_PO);
	ck_assert(cred_read(sa, &a2));
	ck_assert_str_ne(a.nonce, a2.nonce);
	ck_assert_str_ne(a.ct, a2.ct);
}
END_TEST

/* The store's state apart from its credential row. */
static char *
store_rows(const char *store)
{
	const char *p[1] = { store };

	return it_sql_value(
	    "SELECT md5(concat_ws('#',"
	    " (SELECT string_agg(k::text, '|' ORDER BY k.id)"
	    "  FROM klaviyo_connections k WHERE k.store_id = s.id),"
	    " (SELECT string_agg(t::text, '|' ORDER BY t.id)"
	    "  FROM report_triggers t WHERE t.store_id = s.id),"
	    " (SELECT string_agg(k::text, '|' ORDER BY k.id)"
	    "  FROM klaviyo_syncs k WHERE k.store_id = s.id)))"
	    " FROM stores s WHERE s.public_id = $1", 1, p);
}

/* POST {conversionMetricId} must not succeed with this credential. */
static void
expect_unusable(const char *store, const char *tok, const char *metric,
    const char *what, const struct cred *restore)
{
	struct it_resp	 r;
	char		*before, *after;

	PQclear(it_sql("DELETE FROM klaviyo_probe_cache", 0, NULL));
	before = store_rows(store);
	it_connect(store, tok, NULL, metric, &r);
	/* Restored before any check can fail, for the tests after. */
	if (restore)
		cred_write(store, restore);
	after = store_rows(store);
	ck_assert_msg(r.status != 200, "%s: the credential was used: %s",
	    what, r.body);
	/* It does not decrypt (KC_ERR_CRYPTO): never a Klaviyo call. */
	ck_assert_msg(r.status == 500, "%s: %ld %s", what, r.status, r.body);
	it_assert_error(&r, 500, "internal_error");
	ck_assert_msg(strstr(r.body, "pk_sbx") == NULL, "%s: %s", what,
	    r.body);
	it_resp_free(&r);
	/* The integration, triggers and sync rows are untouched. */
	ck_assert_msg(strcmp(before, after) == 0, "%s: the store changed",
	    what);
	free(before);
	free(after);
}

START_TEST(secrets_tampered_credential_never_decrypts)
{
	static const struct {
		const char *what, *sql;
	} tamper[] = {
		{ "first ciphertext byte", "ciphertext = set_byte(ciphertext,"
		  " 0, get_byte(ciphertext, 0) # 1)" },
		{ "last ciphertext byte", "ciphertext = set_byte(ciphertext,"
		  " length(ciphertext) - 1,"
		  " get_byte(ciphertext, length(ciphertext) - 1) # 128)" },
		{ "truncated ciphertext", "ciphertext = substring(ciphertext"
		  " from 1 for length(ciphertext) - 1)" },
		{ "empty ciphertext", "ciphertext = ''::bytea" },
		{ "tag", "tag = set_byte(tag, 15, get_byte(tag, 15) # 1)" },
		{ "nonce", "nonce = set_byte(nonce, 0, get_byte(nonce, 0) # 1)" },
		{ "key version", "key_version = key_version + 1" },
	};
	struct it_resp	 r;
	struct cred	 orig, now;
	char		 store[32], tok[64], sql[512], *integ1, *integ2;
	const char	*p[1] = { store };
	size_t		 i;

	owned_store("Tamper", store, sizeof(store), tok, sizeof(tok));
	connect_ok(store, tok, IT_KEY_ACME, IT_METRIC_ACME_SHOPIFY_PO);
	ck_assert(cred_read(store, &orig));
	integ1 = it_sql_value("SELECT " IT_SQL_INTEG("$1") "::text", 1, p);
	ck_assert_ptr_nonnull(integ1);
	for (i = 0; i < sizeof(tamper) / sizeof(tamper[0]); i++) {
		snprintf(sql, sizeof(sql), "UPDATE klaviyo_credentials c SET"
		    " %s WHERE c.connection_id = " IT_SQL_PRIMARY_ID("$1"),
		    tamper[i].sql);
		PQclear(it_sql(sql, 1, p));
		ck_assert(cred_read(store, &now));
		ck_assert_msg(memcmp(&now, &orig, sizeof(now)) != 0,
		    "%s: not tampered", tamper[i].what);
		expect_unusable(store, tok, IT_METRIC_ACME_API_PO,
		    tamper[i].what, &orig);
		ck_assert(cred_read(store, &now));
		ck_assert(memcmp(&now, &orig, sizeof(now)) == 0);
	}
	/* The integration was not touched by any of it... */
	integ2 = it_sql_value("SELECT " IT_SQL_INTEG("$1") "::text", 1, p);
	ck_assert_ptr_nonnull(integ2);
	ck_assert_str_eq(integ1, integ2);
	/* ...and the untouched credential still works. */
	it_connect(store, tok, NULL, IT_METRIC_ACME_API_PO, &r);
	it_assert_ok(&r);
	it_resp_free(&r);
	it_assert_logs_clean(IT_KEY_ACME);
	free(integ1);
	free(integ2);
}
END_TEST

static void
cred_insert(const char *store, const struct cred *c)
{
	char		 v[16];
	const char	*p[5] = { store, v, c->nonce, c->ct, c->tag };

	snprintf(v, sizeof(v), "%d", c->version);
	PQclear(it_sql("INSERT INTO klaviyo_credentials (connection_id, kind,"
	    " key_version, nonce, ciphertext, tag, sealed_format)"
	    " VALUES (" IT_SQL_PRIMARY_ID("$1") ", 'api_key', $2,"
	    " decode($3, 'hex'), decode($4, 'hex'), decode($5, 'hex'), 2)", 5,
	    p));
}

/*
 * A credential copied or moved to another store does not open there:
 * the AAD binds the store's public id.  (Without it, store B would now
 * run on store A's Klaviyo account.)
 */
START_TEST(secrets_credential_moved_to_other_store_fails)
{
	struct it_resp	 r;
	struct cred	 a, b;
	char		 sa[32], sb[32], ta[64], tb[64];
	const char	*p[2] = { sa, sb };

	owned_store("Moved A", sa, sizeof(sa), ta, sizeof(ta));
	owned_store("Moved B", sb, sizeof(sb), tb, sizeof(tb));
	connect_ok(sa, ta, IT_KEY_ACME, IT_METRIC_ACME_SHOPIFY_PO);
	connect_ok(sb, tb, IT_KEY_BLUEBIRD, IT_METRIC_BLUEBIRD_PO);
	ck_assert(cred_read(sa, &a));
	ck_assert(cred_read(sb, &b));
	/* A's sealed key copied over B's: neither account's metric. */
	cred_write(sb, &a);
	expect_unusable(sb, tb, IT_METRIC_ACME_API_PO, "A's credential in B",
	    NULL);
	expect_unusable(sb, tb, IT_METRIC_BLUEBIRD_PO, "A's credential in B",
	    &b);
	/* A's row moved to B (B's deleted). */
	PQclear(it_sql("DELETE FROM klaviyo_credentials WHERE connection_id ="
	    " " IT_SQL_PRIMARY_ID("$1"), 1, p + 1));
	PQclear(it_sql("UPDATE klaviyo_credentials SET connection_id ="
	    " " IT_SQL_PRIMARY_ID("$2") " WHERE connection_id ="
	    " " IT_SQL_PRIMARY_ID("$1"), 2, p));
	PQclear(it_sql("DELETE FROM klaviyo_probe_cache", 0, NULL));
	it_connect(sb, tb, NULL, IT_METRIC_ACME_API_PO, &r);
	/* Put both back before checking. */
	PQclear(it_sql("UPDATE klaviyo_credentials SET connection_id ="
	    " " IT_SQL_PRIMARY_ID("$1") " WHERE connection_id ="
	    " " IT_SQL_PRIMARY_ID("$2"), 2, p));
	cred_insert(sb, &b);
	ck_assert_msg(r.status != 200, "A's moved row was used by B: %s",
	    r.body);
	it_assert_error(&r, 500, "internal_error");
	it_resp_free(&r);
	/* Each works again with its own. */
	it_connect(sb, tb, NULL, IT_METRIC_BLUEBIRD_PO, &r);
	it_assert_ok(&r);
	it_resp_free(&r);
	it_connect(sa, ta, NULL, IT_METRIC_ACME_API_PO, &r);
	it_assert_ok(&r);
	it_resp_free(&r);
}
END_TEST

/* pg_dump of the test database into a malloc'd string. */
static char *
pg_dump(void)
{
	glob_t	 g;
	char	*out = NULL;
	int	 st;

	ck_assert_msg(glob("/usr/lib/postgresql/*/bin/pg_dump", 0, NULL, &g) ==
	    0 && g.gl_pathc > 0, "no pg_dump");
	/* The newest installed version is last. */
	st = it_run(&out, "'%s' --no-owner -d '%s' 2>&1",
	    g.gl_pathv[g.gl_pathc - 1], getenv("KC_TEST_DATABASE_URL"));
	globfree(&g);
	ck_assert_msg(st == 0, "pg_dump: %d %.500s", st, out);
	ck_assert_msg(strstr(out, "klaviyo_credentials") != NULL,
	    "pg_dump: %.500s", out);
	return out;
}

START_TEST(secrets_raw_key_nowhere)
{
	struct it_resp	 r;
	char		 store[32], tok[64], auth[128], hdr[128], hex[128];
	char		*dump;
	const char	*hdrs[3] = { auth, hdr, NULL };

	owned_store("Nowhere", store, sizeof(store), tok, sizeof(tok));
	snprintf(auth, sizeof(auth), "Authorization: Bearer %s", tok);
	snprintf(hdr, sizeof(hdr), "X-Klaviyo-Api-Key: %s", IT_KEY_CEDAR);
	/* Everything a user does with the key, every answer checked. */
	it_test_key(store, tok, IT_KEY_CEDAR, &r);
	it_assert_ok(&r);
	it_assert_no_secret(&r, IT_KEY_CEDAR);
	it_resp_free(&r);
	it_connect(store, tok, IT_KEY_CEDAR, IT_METRIC_CEDAR_PO, &r);
	it_assert_ok(&r);
	it_assert_no_secret(&r, IT_KEY_CEDAR);
	it_resp_free(&r);
	it_connect(store, tok, NULL, "z0Chwf", &r);
	it_assert_ok(&r);
	it_assert_no_secret(&r, IT_KEY_CEDAR);
	it_resp_free(&r);
	it_connect(store, tok, IT_KEY_CEDAR, "nonexistent", &r);
	it_assert_error(&r, 422, "unknown_metric");
	it_assert_no_secret(&r, IT_KEY_CEDAR);
	it_resp_free(&r);
	it_get(it_connect_path(store), tok, &r);
	it_assert_ok(&r);
	it_assert_no_secret(&r, IT_KEY_CEDAR);
	it_resp_free(&r);
	it_get("/api/me", tok, &r);
	it_assert_ok(&r);
	it_assert_no_secret(&r, IT_KEY_CEDAR);
	it_resp_free(&r);
	it_get("/api/klaviyo/test?apiKey=" IT_KEY_CEDAR, tok, &r);
	ck_assert_msg(r.status == 200, "%ld %s", r.status, r.body);
	it_assert_no_secret(&r, IT_KEY_CEDAR);
	it_resp_free(&r);
	it_request("GET", "/api/klaviyo/test", hdrs, NULL, 0, &r);
	ck_assert_msg(r.status == 200, "%ld %s", r.status, r.body);
	it_assert_no_secret(&r, IT_KEY_CEDAR);
	it_resp_free(&r);
	/* A failing call: the key in no error either. */
	PQclear(it_sql("DELETE FROM klaviyo_probe_cache", 0, NULL));
	it_sbx_fault("{\"fault\":\"status\",\"status\":503,\"key\":\""
	    IT_KEY_CEDAR "\"}");
	it_test_key(store, tok, IT_KEY_CEDAR " ", &r);
	it_assert_error(&r, 502, "klaviyo_error");
	it_assert_no_secret(&r, IT_KEY_CEDAR);
	it_resp_free(&r);
	it_get("/api/klaviyo/test?apiKey=" IT_KEY_CEDAR, tok, &r);
	ck_assert_int_eq(r.status, 502);
	it_assert_no_secret(&r, IT_KEY_CEDAR);
	it_resp_free(&r);

	/* Connected now: the database holds it only sealed. */
	dump = pg_dump();
	ck_assert_msg(strstr(dump, IT_KEY_CEDAR) == NULL,
	    "the raw key is in pg_dump");
	crypto_hex(IT_KEY_CEDAR, strlen(IT_KEY_CEDAR), hex);
	ck_assert_msg(strstr(dump, hex) == NULL,
	    "the key's bytes are in pg_dump");
	/* "pk_sbxc" + 28 more characters: not even most of it. */
	ck_assert_msg(strstr(dump, IT_KEY_CEDAR + 7) == NULL,
	    "most of the key is in pg_dump");
	free(dump);
	it_assert_logs_clean(IT_KEY_CEDAR);
	it_assert_logs_clean(IT_KEY_CEDAR + 7);
}
END_TEST

/* A program's path: src/<folder>/<name>, beside src/admin. */
static void
program(const char *name, char *out, size_t len)
{
	char dir[1024];

	snprintf(dir, sizeof(dir), "%s", getenv("KC_TEST_ADMIN"));
	snprintf(out, len, "%s/../%s", dirname(dir), name);
	ck_assert_msg(access(out, X_OK) == 0, "no %s", out);
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Lines of s that are not empty. */
static int
lines(const char *s)
{
	int n = 0;

	while (*s) {
		size_t l = strcspn(s, "\n");

		n += l > 0;
		s += l;
		if (*s == '\n')
			s++;
	}
	return n;
}

/*
 * klaviyo-connect-fcgi and klaviyo-syncd started by hand with a bad
 * KC_MASTER_KEYS stop at once with one line naming it, bind nothing,
 * and print no key material.
 */
START_TEST(secrets_bad_master_key_stops_programs_at_start)
{
	static const char *const progs[] = { "fcgi/klaviyo-connect-fcgi",
	    "syncd/klaviyo-syncd" };
	static const char *const what[6] = { "unset", "empty", "short key",
	    "another key", "missing version", "bad version" };
	char	 store[32], tok[64], bin[1200], sock[256], other[64];
	char	 cur[64], spec[6][160], *out;
	double	 t0, dt;
	size_t	 p;
	int	 st, i;

	/* A stored credential for the start-up check to try. */
	owned_store("Master keys", store, sizeof(store), tok, sizeof(tok));
	connect_ok(store, tok, IT_KEY_BLUEBIRD, IT_METRIC_BLUEBIRD_PO);
	snprintf(sock, sizeof(sock), "%s/run/it-%s.sock",
	    getenv("KC_TEST_STATE"), it_unique());
	current_master(cur, sizeof(cur));
	random_master(other, sizeof(other));
	spec[0][0] = '\0';
	snprintf(spec[1], sizeof(spec[1]), "KC_MASTER_KEYS=''");
	snprintf(spec[2], sizeof(spec[2]), "KC_MASTER_KEYS='1:c2hvcnQ='");
	snprintf(spec[3], sizeof(spec[3]), "KC_MASTER_KEYS='1:%s'", other);
	snprintf(spec[4], sizeof(spec[4]), "KC_MASTER_KEYS='2:%s'", cur);
	snprintf(spec[5], sizeof(spec[5]), "KC_MASTER_KEYS='x:%s'", cur);
	for (p = 0; p < sizeof(progs) / sizeof(progs[0]); p++) {
		program(progs[p], bin, sizeof(bin));
		for (i = 0; i < 6; i++) {
			t0 = now_s();
			st = it_run(&out, "env -u KC_MASTER_KEYS KC_SOCKET='%s'"
			    " %s timeout -k 2 10 '%s' 2>&1 </dev/null", sock,
			    spec[i], bin);
			dt = now_s() - t0;
			ck_assert_msg(st != 0 && st != 124 && st != 137,
			    "%s, %s: exit %d: %s", progs[p], what[i], st, out);
			ck_assert_msg(dt < 5, "%s, %s: took %.1f s to stop",
			    progs[p], what[i], dt);
			ck_assert_msg(strstr(out, "KC_MASTER_KEYS") != NULL,
			    "%s, %s: the message does not name "
			    "KC_MASTER_KEYS: %s", progs[p], what[i], out);
			ck_assert_msg(lines(out) == 1, "%s, %s: not one line: "
			    "%s", progs[p], what[i], out);
			ck_assert_msg(strstr(out, cur) == NULL &&
			    strstr(out, other) == NULL, "%s, %s: key material "
			    "printed", progs[p], what[i]);
			ck_assert_msg(access(sock, F_OK) != 0, "%s, %s: it "
			    "bound %s", progs[p], what[i], sock);
			free(out);
		}
	}
	/* The running service was not disturbed. */
	{
		struct it_resp r;

		it_connect(store, tok, NULL, IT_METRIC_BLUEBIRD_PO, &r);
		it_assert_ok(&r);
		it_resp_free(&r);
	}
}
END_TEST

/*
 * klaviyo-admin rotate-keys while the service runs.  The workers only
 * hold run.sh's version 1, so the test works on its own credential
 * (the others are set aside in a table and put back at the end), and
 * passes --force: a rotation the workers cannot follow is refused
 * otherwise (t_heartbeat.c tests that refusal).
 */
START_TEST(secrets_rotate_keys_reencrypts_under_newest)
{
	struct it_resp	 r;
	struct cred	 c0, c1, c2, c3;
	char		 store[32], tok[64], bk[64], sql[256], cur[64];
	char		 newk[64], other[64], keys[200], *o1, *o2, *o3, *o4;
	char		*o5, *plain = NULL, *rotated;
	const char	*p[1] = { store };
	int		 s1, s2, s3, s4, s5, open_new, open_old;

	owned_store("Rotate keys", store, sizeof(store), tok, sizeof(tok));
	connect_ok(store, tok, IT_KEY_ACME, IT_METRIC_ACME_SHOPIFY_PO);
	ck_assert(cred_read(store, &c0));
	current_master(cur, sizeof(cur));
	random_master(newk, sizeof(newk));
	random_master(other, sizeof(other));
	snprintf(keys, sizeof(keys), "2:%s,1:%s", newk, cur);

	snprintf(bk, sizeof(bk), "it_cred_backup_%s", it_unique());
	snprintf(sql, sizeof(sql), "CREATE TABLE %s AS SELECT * FROM"
	    " klaviyo_credentials", bk);
	PQclear(it_sql(sql, 0, NULL));
	PQclear(it_sql("DELETE FROM klaviyo_credentials WHERE connection_id"
	    " NOT IN " IT_SQL_CONN_IDS("$1"), 1, p));

	s1 = it_run(&o1, "KC_MASTER_KEYS='%s' \"$KC_TEST_ADMIN\" rotate-keys"
	    " --force 2>&1", keys);
	ck_assert(cred_read(store, &c1));
	rotated = it_sql_value("SELECT (c.rotated_at IS NOT NULL)::text FROM"
	    " klaviyo_credentials c WHERE c.connection_id = "
	    IT_SQL_PRIMARY_ID("$1"), 1, p);
	open_new = cred_open(&c1, keys, store, &plain);
	if (plain) {
		ck_assert_str_eq(plain, IT_KEY_ACME);
		secretbox_free_plain(plain, strlen(plain));
		plain = NULL;
	}
	open_old = cred_open(&c1, master_keys(), store, &plain);
	/* Again: nothing left to do. */
	s2 = it_run(&o2, "KC_MASTER_KEYS='%s' \"$KC_TEST_ADMIN\" rotate-keys"
	    " --force 2>&1", keys);
	ck_assert(cred_read(store, &c2));
	/* A keyring without the version in use: refused, nothing changed. */
	s3 = it_run(&o3, "KC_MASTER_KEYS='3:%s' \"$KC_TEST_ADMIN\""
	    " rotate-keys --force 2>&1", other);
	ck_assert(cred_read(store, &c3));
	s4 = it_run(&o4, "KC_MASTER_KEYS='1:c2hvcnQ=' \"$KC_TEST_ADMIN\""
	    " rotate-keys 2>&1");
	s5 = it_run(&o5, "env -u KC_MASTER_KEYS \"$KC_TEST_ADMIN\""
	    " rotate-keys 2>&1");

	/* Everything back as it was before any check. */
	PQclear(it_sql("DELETE FROM klaviyo_credentials", 0, NULL));
	snprintf(sql, sizeof(sql), "INSERT INTO klaviyo_credentials SELECT *"
	    " FROM %s", bk);
	PQclear(it_sql(sql, 0, NULL));
	snprintf(sql, sizeof(sql), "DROP TABLE %s", bk);
	PQclear(it_sql(sql, 0, NULL));

	ck_assert_msg(s1 == 0, "rotate-keys: %d %s", s1, o1);
	ck_assert_msg(strstr(o1, "1 credential re-encrypted under key version"
	    " 2") != NULL, "rotate-keys said: %s", o1);
	ck_assert_int_eq(c1.version, 2);
	ck_assert_str_ne(c1.nonce, c0.nonce);
	ck_assert_str_ne(c1.ct, c0.ct);
	ck_assert_str_eq(rotated, "true");
	ck_assert_msg(open_new == KC_OK, "the rotated credential does not "
	    "open with the new keyring");
	ck_assert_msg(open_old != KC_OK, "version 2 opened with version 1");
	ck_assert_msg(s2 == 0 && strstr(o2, "0 credentials") != NULL,
	    "second run: %d %s", s2, o2);
	ck_assert(memcmp(&c2, &c1, sizeof(c1)) == 0);
	ck_assert_msg(s3 != 0, "rotate-keys without version 2: %d %s", s3,
	    o3);
	ck_assert_msg(strstr(o3, "KC_MASTER_KEYS") != NULL, "%s", o3);
	ck_assert(memcmp(&c3, &c1, sizeof(c1)) == 0);
	ck_assert_msg(s4 != 0 && strstr(o4, "KC_MASTER_KEYS") != NULL,
	    "short key: %d %s", s4, o4);
	ck_assert_msg(s5 != 0 && strstr(o5, "KC_MASTER_KEYS") != NULL,
	    "no key: %d %s", s5, o5);
	ck_assert_msg(strstr(o1, newk) == NULL && strstr(o1, cur) == NULL &&
	    strstr(o3, other) == NULL, "key material printed");
	/* Restored: the service uses its version 1 credential again. */
	it_connect(store, tok, NULL, IT_METRIC_ACME_API_PO, &r);
	it_assert_ok(&r);
	it_resp_free(&r);
	free(o1);
	free(o2);
	free(o3);
	free(o4);
	free(o5);
	free(rotated);
}
END_TEST

Suite *
suite_secrets(void)
{
	Suite	*s = suite_create("secrets");
	TCase	*tc = tcase_create("secrets");

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, secrets_sealed_with_fresh_nonce_and_aad);
	tcase_add_test(tc, secrets_tampered_credential_never_decrypts);
	tcase_add_test(tc, secrets_credential_moved_to_other_store_fails);
	tcase_add_test(tc, secrets_raw_key_nowhere);
	tcase_add_test(tc, secrets_bad_master_key_stops_programs_at_start);
	tcase_add_test(tc, secrets_rotate_keys_reencrypts_under_newest);
	suite_add_tcase(s, tc);
	return s;
}
