/*
 * Sealed secrets are bound to their purpose and row (migration 008): an
 * OAuth flow's ciphertext copied into the same store's credential row
 * does not open there (it used to, and its plaintext went to Klaviyo as
 * an API key).  Credentials sealed before 008 keep working, only with the
 * shape of their kind, and rotate-keys re-seals them in the new format.
 */
#include "itest.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"

static void
setup(void)
{
	it_klaviyo_cold();
}

/* Version 1's key bytes from run.sh's KC_MASTER_KEYS ("1:base64"). */
static void
master_key(unsigned char key[32])
{
	const char	*v = getenv("KC_MASTER_KEYS");
	unsigned char	 raw[48];
	size_t		 n;

	ck_assert_msg(v != NULL && strncmp(v, "1:", 2) == 0 &&
	    strchr(v, ',') == NULL, "run.sh's KC_MASTER_KEYS is expected "
	    "to be one version 1 key");
	ck_assert(crypto_b64_decode(v + 2, raw, sizeof(raw), &n) == KC_OK &&
	    n == 32);
	memcpy(key, raw, 32);
	crypto_wipe(raw, sizeof(raw));
}

/*
 * Writes plain into the store's credential row as a pre-008 row would
 * hold it: AAD "klaviyo-connect:credential:<store>:1", sealed_format 1.
 */
static void
plant_legacy(const char *store, const char *kind, const char *plain)
{
	EVP_CIPHER_CTX	*ctx;
	unsigned char	 key[32], nonce[12], ct[256], tag[16];
	char		 aad[128], hn[25], hct[513], htag[33];
	const char	*p[5] = { store, kind, hn, hct, htag };
	int		 len, total;

	ck_assert(strlen(plain) < sizeof(ct) - 16);
	master_key(key);
	ck_assert(crypto_random(nonce, sizeof(nonce)) == KC_OK);
	snprintf(aad, sizeof(aad), "klaviyo-connect:credential:%s:1", store);
	ck_assert_ptr_nonnull(ctx = EVP_CIPHER_CTX_new());
	ck_assert(EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, key,
	    nonce) == 1);
	ck_assert(EVP_EncryptUpdate(ctx, NULL, &len,
	    (const unsigned char *)aad, (int)strlen(aad)) == 1);
	ck_assert(EVP_EncryptUpdate(ctx, ct, &len,
	    (const unsigned char *)plain, (int)strlen(plain)) == 1);
	total = len;
	ck_assert(EVP_EncryptFinal_ex(ctx, ct + total, &len) == 1);
	total += len;
	ck_assert(EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, 16, tag) ==
	    1);
	EVP_CIPHER_CTX_free(ctx);
	crypto_wipe(key, sizeof(key));
	crypto_hex(nonce, sizeof(nonce), hn);
	crypto_hex(ct, (size_t)total, hct);
	crypto_hex(tag, sizeof(tag), htag);
	PQclear(it_sql("UPDATE klaviyo_credentials c SET kind = $2,"
	    " key_version = 1, nonce = decode($3, 'hex'),"
	    " ciphertext = decode($4, 'hex'), tag = decode($5, 'hex'),"
	    " sealed_format = 1 WHERE c.connection_id = "
	    IT_SQL_PRIMARY_ID("$1"), 5, p));
}

static char *
sealed_format(const char *store)
{
	const char *p[1] = { store };

	return it_sql_value("SELECT c.sealed_format::text FROM"
	    " klaviyo_credentials c WHERE c.connection_id = "
	    IT_SQL_PRIMARY_ID("$1"), 1, p);
}

/* Re-saves the metric with the stored credential (no key in the body). */
static void
reconnect(const char *store, const char *tok, struct it_resp *r)
{
	PQclear(it_sql("DELETE FROM klaviyo_probe_cache", 0, NULL));
	it_connect(store, tok, NULL, IT_METRIC_ACME_API_PO, r);
}

/* The stored credential does not open: 500, and the store unchanged. */
static void
expect_unreadable(const char *store, const char *tok, const char *what)
{
	struct it_resp	 r;
	char		*before, *after;

	before = it_store_state(store);
	reconnect(store, tok, &r);
	after = it_store_state(store);
	ck_assert_msg(r.status == 500, "%s: the credential was used: %ld %s",
	    what, r.status, r.body);
	it_assert_error(&r, 500, "internal_error");
	ck_assert_str_eq(before, after);
	it_resp_free(&r);
	free(before);
	free(after);
}

START_TEST(secrets_flow_ciphertext_in_credential_row_refused)
{
	struct it_resp	 r;
	char		 store[80], tok[64], path[200];
	const char	*p[1] = { store };

	it_store("Purpose", store, sizeof(store));
	it_member("owner", store, tok, sizeof(tok));
	it_connect(store, tok, IT_KEY_ACME, IT_METRIC_ACME_SHOPIFY_PO, &r);
	it_assert_ok(&r);
	it_resp_free(&r);
	/* An OAuth attempt: its row holds the sealed PKCE verifier. */
	snprintf(path, sizeof(path), "/api/store/%s/klaviyo-oauth/start",
	    store);
	it_get(path, tok, &r);
	ck_assert_msg(r.status == 302, "start: %ld %s", r.status, r.body);
	it_resp_free(&r);
	/* Copied over the store's own credential, by SQL. */
	PQclear(it_sql("UPDATE klaviyo_credentials c SET"
	    " key_version = f.key_version, nonce = f.nonce,"
	    " ciphertext = f.ciphertext, tag = f.tag FROM oauth_flows f"
	    " JOIN stores s ON s.id = f.store_id WHERE s.public_id = $1"
	    " AND c.connection_id = " IT_SQL_PRIMARY_ID("$1"), 1, p));
	ck_assert_int_eq(it_sql_count("SELECT count(*) FROM"
	    " klaviyo_credentials c" IT_SQL_JOIN_STORE("c")
	    " JOIN oauth_flows f ON f.store_id = s.id"
	    " AND f.ciphertext = c.ciphertext WHERE s.public_id = $1", 1, p),
	    1);
	expect_unreadable(store, tok, "verifier as an API key");
	/* As an OAuth credential: no better. */
	PQclear(it_sql("UPDATE klaviyo_credentials c SET kind = 'oauth'"
	    " WHERE c.connection_id = " IT_SQL_PRIMARY_ID("$1"), 1, p));
	expect_unreadable(store, tok, "verifier as OAuth tokens");
	/* Saving a key again replaces it, and the store works. */
	it_connect(store, tok, IT_KEY_ACME, IT_METRIC_ACME_API_PO, &r);
	it_assert_ok(&r);
	it_resp_free(&r);
}
END_TEST

START_TEST(secrets_legacy_credential_opens_and_is_resealed)
{
	struct it_resp	 r;
	char		 store[80], tok[64], *fmt, *out = NULL;
	int		 st;

	it_store("Legacy", store, sizeof(store));
	it_member("owner", store, tok, sizeof(tok));
	it_connect(store, tok, IT_KEY_ACME, IT_METRIC_ACME_SHOPIFY_PO, &r);
	it_assert_ok(&r);
	it_resp_free(&r);
	/* A key sealed as before 008 is still used. */
	plant_legacy(store, "api_key", IT_KEY_ACME);
	reconnect(store, tok, &r);
	it_assert_ok(&r);
	it_resp_free(&r);
	/*
	 * What a pre-008 OAuth flow held (a PKCE verifier, a token blob)
	 * opened with the old AAD but has not the shape of the row's kind.
	 */
	plant_legacy(store, "api_key", "dGhpcyBpcyBhIFBLQ0UgdmVyaWZpZXIgb2YgNj"
	    "QgY2hhcmFjdGVycyBiYXNlNjR1cmw");
	expect_unreadable(store, tok, "legacy verifier as an API key");
	plant_legacy(store, "api_key", "{\"access\":\"kat_x\",\"refresh\":"
	    "\"krt_x\"}");
	expect_unreadable(store, tok, "legacy token blob as an API key");
	plant_legacy(store, "oauth", IT_KEY_ACME);
	expect_unreadable(store, tok, "legacy API key as OAuth tokens");
	/* rotate-keys re-seals a legacy row in the current format. */
	plant_legacy(store, "api_key", IT_KEY_ACME);
	fmt = sealed_format(store);
	ck_assert_str_eq(fmt, "1");
	free(fmt);
	st = it_run(&out, "\"$KC_TEST_ADMIN\" rotate-keys 2>&1");
	fmt = sealed_format(store);
	/* Other tests' stores keep theirs (none is legacy). */
	ck_assert_msg(st == 0 && strstr(out, "1 credential re-encrypted") !=
	    NULL, "rotate-keys: %d %s", st, out);
	ck_assert_str_eq(fmt, "2");
	free(fmt);
	free(out);
	reconnect(store, tok, &r);
	it_assert_ok(&r);
	it_resp_free(&r);
	/* A save also writes the current format. */
	plant_legacy(store, "api_key", IT_KEY_ACME);
	it_connect(store, tok, IT_KEY_ACME, IT_METRIC_ACME_API_PO, &r);
	it_assert_ok(&r);
	it_resp_free(&r);
	fmt = sealed_format(store);
	ck_assert_str_eq(fmt, "2");
	free(fmt);
}
END_TEST

Suite *
suite_secrets_purpose(void)
{
	Suite	*s = suite_create("secrets_purpose");
	TCase	*tc = tcase_create("secrets_purpose");

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, secrets_flow_ciphertext_in_credential_row_refused);
	tcase_add_test(tc, secrets_legacy_credential_opens_and_is_resealed);
	suite_add_tcase(s, tc);
	return s;
}
