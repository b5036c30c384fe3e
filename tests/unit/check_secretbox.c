/*
 * Unit tests for credentials at rest (secretbox.h): parsing the versioned
 * KC_MASTER_KEYS without ever echoing key material, AES-256-GCM sealing
 * with a fresh nonce, refusal of every kind of tampering (ciphertext,
 * tag, nonce, another store, a relabelled version), key rotation, and
 * the binding of purpose and row with the pre-008 format read only.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "secretbox.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* base64 of the bytes 0x01..0x20, 0x41..0x60 and 0x80..0x9f. */
#define K1 "AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA="
#define K2 "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVpbXF1eX2A="
#define K3 "gIGCg4SFhoeIiYqLjI2Oj5CRkpOUlZaXmJmam5ydnp8="
/* 31 and 33 bytes. */
#define K31 "AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHw=="
#define K33 "AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyAh"

#define STORE "st_4Fq9xK2m"
#define SECRET "pk_0123456789abcdefABCDEF0123456789"

static const unsigned char *
kbytes(int which)
{
	static unsigned char	b[3][32];
	int			i;

	for (i = 0; i < 32; i++) {
		b[0][i] = (unsigned char)(0x01 + i);
		b[1][i] = (unsigned char)(0x41 + i);
		b[2][i] = (unsigned char)(0x80 + i);
	}
	return b[which - 1];
}

/* The key bytes the keyring holds for a version, or NULL. */
static const unsigned char *
kr_key(const struct keyring *kr, int version)
{
	int i;

	for (i = 0; i < kr->n; i++)
		if (kr->keys[i].version == version)
			return kr->keys[i].key;
	return NULL;
}

static void
must_parse(const char *spec, struct keyring *kr)
{
	char err[256] = "";

	ck_assert_msg(keyring_parse(spec, kr, err, sizeof(err)) == KC_OK,
	    "'%s' refused: %s", spec, err);
}

/* ---- keyring_parse ---- */

/* which[v] is the key (1..3) expected for version v, 0: not listed. */
static const struct {
	const char	*spec;
	int		 n;
	int		 newest;
	int		 which[5];
} kr_ok_cases[] = {
	{ "1:" K1, 1, 1, { 0, 1, 0, 0, 0 } },
	{ "2:" K2 ",1:" K1, 2, 2, { 0, 1, 2, 0, 0 } },
	{ "1:" K1 ",2:" K2, 2, 2, { 0, 1, 2, 0, 0 } },
	{ "1:" K1 ",4:" K3 ",2:" K2, 3, 4, { 0, 1, 2, 0, 3 } },
	{ "3:" K3, 1, 3, { 0, 0, 0, 3, 0 } },
};

START_TEST(test_keyring_ok)
{
	struct keyring	 kr;
	int		 v;

	memset(&kr, 0xa5, sizeof(kr));
	must_parse(kr_ok_cases[_i].spec, &kr);
	ck_assert_int_eq(kr.n, kr_ok_cases[_i].n);
	ck_assert_int_eq(keyring_newest(&kr), kr_ok_cases[_i].newest);
	for (v = 0; v < 5; v++) {
		ck_assert_int_eq(keyring_has(&kr, v),
		    kr_ok_cases[_i].which[v] != 0);
		if (kr_ok_cases[_i].which[v] == 0)
			continue;
		ck_assert_mem_eq(kr_key(&kr, v),
		    kbytes(kr_ok_cases[_i].which[v]), 32);
	}
	keyring_wipe(&kr);
	ck_assert_int_eq(kr.n, 0);
	ck_assert_int_eq(keyring_newest(&kr), 0);
}
END_TEST

/* err must contain what; it never contains key material. */
static const struct {
	const char	*spec;
	const char	*what;
} kr_bad_cases[] = {
	{ NULL, "KC_MASTER_KEYS" },
	{ "", "KC_MASTER_KEYS" },
	{ K1, "VERSION:BASE64" },
	{ "1:" K1 "," K2, "entry 2 is not VERSION:BASE64" },
	{ "1:" K1 ",,2:" K2, "entry 2 is not VERSION:BASE64" },
	{ "1" K1, "VERSION:BASE64" },
	{ "0:" K1, "bad version" },
	{ "x:" K1, "bad version" },
	{ "-1:" K1, "bad version" },
	{ "1x:" K1, "bad version" },
	{ ":" K1, "bad version" },
	{ "99999999999999999999:" K1, "bad version" },
	{ K1 ":1", "bad version" },
	{ "2:" K2 ",0:" K1, "entry 2 has a bad version" },
	{ "1:" K31, "not 32 bytes" },
	{ "1:" K33, "not 32 bytes" },
	{ "1:", "not 32 bytes" },
	{ "1:" K1 K1 K1 K1, "not 32 bytes" },
	{ "1:" K1 K1 K1 "AAAA", "not 32 bytes" },
	{ "1:" K1 " ", "not 32 bytes" },
	{ "1:AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA", "not 32 bytes" },
	{ "1:AQIDBAUG!wgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA=", "not 32 bytes" },
	{ "1:" K1 ",1:" K2, "version 1 twice" },
	{ "2:" K1 ",1:" K2 ",2:" K3, "version 2 twice" },
	{ "1:" K1 ",2:" K2 ",3:" K3 ",4:" K1 ",5:" K2 ",6:" K3 ",7:" K1
	  ",8:" K2 ",9:" K3 ",10:" K1 ",11:" K2 ",12:" K3 ",13:" K1
	  ",14:" K2 ",15:" K3 ",16:" K1 ",17:" K2, "more than 16" },
};

/* 1 when s holds any 8 characters in a row of key. */
static int
leaks(const char *s, const char *key)
{
	char	 w[9];
	size_t	 i, n = strlen(key);

	for (i = 0; i + 8 <= n; i++) {
		memcpy(w, key + i, 8);
		w[8] = '\0';
		if (strstr(s, w) != NULL)
			return 1;
	}
	return 0;
}

START_TEST(test_keyring_bad)
{
	static const unsigned char	 zero[sizeof(struct keyring)];
	static const char *const	 keys[] = { K1, K2, K3, K31, K33 };
	struct keyring			 kr;
	char				 err[256];
	size_t				 i;
	int				 rc;

	memset(&kr, 0xa5, sizeof(kr));
	memset(err, 0, sizeof(err));
	rc = keyring_parse(kr_bad_cases[_i].spec, &kr, err, sizeof(err));
	ck_assert_msg(rc == KC_ERR_CONFIG, "'%s': rc %d",
	    kr_bad_cases[_i].spec ? kr_bad_cases[_i].spec : "(null)", rc);
	ck_assert_msg(strstr(err, kr_bad_cases[_i].what) != NULL,
	    "'%s': '%s' lacks '%s'", kr_bad_cases[_i].spec ?
	    kr_bad_cases[_i].spec : "(null)", err, kr_bad_cases[_i].what);
	ck_assert_msg(strstr(err, "KC_MASTER_KEYS") != NULL, "'%s'", err);
	for (i = 0; i < NELEM(keys); i++)
		ck_assert_msg(!leaks(err, keys[i]), "key material in '%s'",
		    err);
	/* Nothing of the keys parsed before the error is kept. */
	ck_assert_mem_eq(&kr, zero, sizeof(kr));
}
END_TEST

/* ---- seal and open ---- */

/* A credential of store: what most tests seal (one call at a time). */
static const struct sealed_ctx *
cx(const char *store)
{
	static struct sealed_ctx c;

	c.purpose = SECRETBOX_CREDENTIAL_API_KEY;
	c.store = store;
	c.row = "42";
	c.legacy = 0;
	return &c;
}

static void
seal(const struct keyring *kr, const char *store, const char *pt,
    struct sealed *s)
{
	ck_assert_int_eq(secretbox_seal(kr, cx(store), pt, strlen(pt), s),
	    KC_OK);
	ck_assert_ptr_nonnull(s->ct);
	ck_assert_uint_eq(s->ctlen, strlen(pt));
}

/* Opens and compares with want. */
static void
open_ok(const struct keyring *kr, const char *store, const struct sealed *s,
    const char *want)
{
	char	*pt = NULL;
	size_t	 n = 0;
	int	 rc;

	rc = secretbox_open(kr, cx(store), s, &pt, &n);
	ck_assert_msg(rc == KC_OK, "open: rc %d", rc);
	ck_assert_ptr_nonnull(pt);
	ck_assert_uint_eq(n, strlen(want));
	ck_assert_str_eq(pt, want);
	secretbox_free_plain(pt, n);
}

/* Open must fail with KC_ERR_CRYPTO and hand back nothing. */
static void
open_refused(const struct keyring *kr, const char *store,
    const struct sealed *s, const char *what)
{
	char	*pt = (char *)"unset";
	size_t	 n = 99;
	int	 rc;

	rc = secretbox_open(kr, cx(store), s, &pt, &n);
	ck_assert_msg(rc == KC_ERR_CRYPTO, "%s: rc %d%s%s", what, rc,
	    rc == KC_OK ? ", plaintext " : "", rc == KC_OK ? pt : "");
	ck_assert_ptr_null(pt);
	ck_assert_uint_eq(n, 0);
}

START_TEST(test_round_trip)
{
	struct keyring	kr;
	struct sealed	s;

	must_parse("1:" K1, &kr);
	seal(&kr, STORE, SECRET, &s);
	ck_assert_int_eq(s.version, 1);
	ck_assert_msg(memcmp(s.ct, SECRET, s.ctlen) != 0, "not encrypted");
	open_ok(&kr, STORE, &s, SECRET);
	sealed_free(&s);
	keyring_wipe(&kr);
}
END_TEST

/* Bytes with NULs and every value, and the empty plaintext. */
START_TEST(test_round_trip_binary)
{
	struct keyring	 kr;
	struct sealed	 s;
	unsigned char	 in[300];
	char		*pt = NULL;
	size_t		 i, n = 0;

	for (i = 0; i < sizeof(in); i++)
		in[i] = (unsigned char)(i * 7);
	must_parse("2:" K2, &kr);
	ck_assert_int_eq(secretbox_seal(&kr, cx(STORE), in, sizeof(in), &s),
	    KC_OK);
	ck_assert_uint_eq(s.ctlen, sizeof(in));
	ck_assert_int_eq(secretbox_open(&kr, cx(STORE), &s, &pt, &n), KC_OK);
	ck_assert_uint_eq(n, sizeof(in));
	ck_assert_mem_eq(pt, in, sizeof(in));
	ck_assert_int_eq(pt[n], '\0');
	secretbox_free_plain(pt, n);
	sealed_free(&s);

	seal(&kr, STORE, "", &s);
	ck_assert_uint_eq(s.ctlen, 0);
	open_ok(&kr, STORE, &s, "");
	sealed_free(&s);
	keyring_wipe(&kr);
}
END_TEST

START_TEST(test_fresh_nonce)
{
	struct keyring	kr;
	struct sealed	a, b;

	must_parse("1:" K1, &kr);
	seal(&kr, STORE, SECRET, &a);
	seal(&kr, STORE, SECRET, &b);
	ck_assert_msg(memcmp(a.nonce, b.nonce, SECRETBOX_NONCE) != 0,
	    "nonce reused");
	ck_assert_uint_eq(a.ctlen, b.ctlen);
	ck_assert_msg(memcmp(a.ct, b.ct, a.ctlen) != 0, "same ciphertext");
	ck_assert_msg(memcmp(a.tag, b.tag, SECRETBOX_TAG) != 0, "same tag");
	open_ok(&kr, STORE, &a, SECRET);
	open_ok(&kr, STORE, &b, SECRET);
	sealed_free(&a);
	sealed_free(&b);
	keyring_wipe(&kr);
}
END_TEST

/* One bit flipped anywhere in ciphertext, tag or nonce. */
START_TEST(test_tamper)
{
	struct keyring	kr;
	struct sealed	s;
	char		what[64];
	size_t		i;

	must_parse("1:" K1, &kr);
	seal(&kr, STORE, SECRET, &s);
	for (i = 0; i < s.ctlen; i++) {
		s.ct[i] ^= 0x01;
		snprintf(what, sizeof(what), "ciphertext byte %zu", i);
		open_refused(&kr, STORE, &s, what);
		s.ct[i] ^= 0x01;
	}
	for (i = 0; i < SECRETBOX_TAG; i++) {
		s.tag[i] ^= 0x80;
		snprintf(what, sizeof(what), "tag byte %zu", i);
		open_refused(&kr, STORE, &s, what);
		s.tag[i] ^= 0x80;
	}
	for (i = 0; i < SECRETBOX_NONCE; i++) {
		s.nonce[i] ^= 0x10;
		snprintf(what, sizeof(what), "nonce byte %zu", i);
		open_refused(&kr, STORE, &s, what);
		s.nonce[i] ^= 0x10;
	}
	s.ctlen--;
	open_refused(&kr, STORE, &s, "ciphertext cut short");
	s.ctlen++;
	/* Undone, it opens again: the refusals were the tampering. */
	open_ok(&kr, STORE, &s, SECRET);
	sealed_free(&s);
	keyring_wipe(&kr);
}
END_TEST

/* The store's public id is authenticated: no copying between stores. */
static const char *const other_stores[] = {
	"st_4Fq9xK2n",
	"st_4Fq9xK2",
	"st_4Fq9xK2mm",
	"ST_4FQ9XK2M",
	"",
	STORE ":1",
	" " STORE,
};

START_TEST(test_other_store)
{
	struct keyring	kr;
	struct sealed	s;

	must_parse("1:" K1, &kr);
	seal(&kr, STORE, SECRET, &s);
	open_refused(&kr, other_stores[_i], &s, other_stores[_i]);
	open_ok(&kr, STORE, &s, SECRET);
	sealed_free(&s);
	keyring_wipe(&kr);
}
END_TEST

/* Public ids are up to 64 characters; the last one still counts. */
START_TEST(test_other_store_long)
{
	struct keyring	kr;
	struct sealed	s;
	char		a[65], b[65];

	memset(a, 'a', 64);
	a[64] = '\0';
	memcpy(b, a, sizeof(b));
	b[63] = 'b';
	must_parse("1000000:" K1, &kr);
	seal(&kr, a, SECRET, &s);
	ck_assert_int_eq(s.version, 1000000);
	open_refused(&kr, b, &s, "last character differs");
	open_ok(&kr, a, &s, SECRET);
	sealed_free(&s);
	keyring_wipe(&kr);
}
END_TEST

START_TEST(test_relabel)
{
	struct keyring	kr, same;
	struct sealed	s;

	/* Another version's key. */
	must_parse("2:" K2 ",1:" K1, &kr);
	seal(&kr, STORE, SECRET, &s);
	ck_assert_int_eq(s.version, 2);
	s.version = 1;
	open_refused(&kr, STORE, &s, "version 2 relabelled 1");
	s.version = 3;
	open_refused(&kr, STORE, &s, "version 2 relabelled 3");
	s.version = 2;
	open_ok(&kr, STORE, &s, SECRET);
	sealed_free(&s);

	/* The same key under two versions: only the AAD tells them apart. */
	must_parse("2:" K1 ",1:" K1, &same);
	seal(&same, STORE, SECRET, &s);
	ck_assert_int_eq(s.version, 2);
	s.version = 1;
	open_refused(&same, STORE, &s, "same key, version relabelled");
	s.version = 2;
	open_ok(&same, STORE, &s, SECRET);
	sealed_free(&s);
	keyring_wipe(&kr);
	keyring_wipe(&same);
}
END_TEST

START_TEST(test_rotation)
{
	struct keyring	old, both, only2;
	struct sealed	s1, s2;

	must_parse("1:" K1, &old);
	must_parse("2:" K2 ",1:" K1, &both);
	must_parse("2:" K2, &only2);

	seal(&old, STORE, SECRET, &s1);
	ck_assert_int_eq(s1.version, 1);
	open_ok(&both, STORE, &s1, SECRET);	/* old values still open */
	open_refused(&only2, STORE, &s1, "version 1 after it was dropped");

	seal(&both, STORE, SECRET "2", &s2);	/* new values: the newest */
	ck_assert_int_eq(s2.version, 2);
	open_ok(&both, STORE, &s2, SECRET "2");
	open_ok(&only2, STORE, &s2, SECRET "2");
	open_refused(&old, STORE, &s2, "version 2 with only version 1");

	sealed_free(&s1);
	sealed_free(&s2);
	keyring_wipe(&old);
	keyring_wipe(&both);
	keyring_wipe(&only2);
}
END_TEST

START_TEST(test_seal_refused)
{
	struct keyring	 kr, empty;
	struct sealed	 s;
	char		*big;
	size_t		 max = 64 * 1024;

	memset(&empty, 0, sizeof(empty));
	memset(&s, 0xa5, sizeof(s));
	ck_assert_int_eq(secretbox_seal(&empty, cx(STORE), SECRET,
	    strlen(SECRET), &s), KC_ERR_CRYPTO);
	ck_assert_ptr_null(s.ct);
	ck_assert_uint_eq(s.ctlen, 0);

	must_parse("1:" K1, &kr);
	ck_assert_ptr_nonnull(big = calloc(1, max + 2));
	memset(big, 'k', max + 1);
	memset(&s, 0xa5, sizeof(s));
	ck_assert_int_eq(secretbox_seal(&kr, cx(STORE), big, max + 1, &s),
	    KC_ERR_CRYPTO);
	ck_assert_ptr_null(s.ct);
	big[max] = '\0';
	seal(&kr, STORE, big, &s);		/* 64 KiB is still fine */
	open_ok(&kr, STORE, &s, big);
	sealed_free(&s);
	free(big);
	keyring_wipe(&kr);
}
END_TEST

START_TEST(test_free_safe)
{
	struct keyring	 kr;
	struct sealed	 s;
	char		*p;

	secretbox_free_plain(NULL, 0);
	secretbox_free_plain(NULL, 64);
	ck_assert_ptr_nonnull(p = strdup(SECRET));
	secretbox_free_plain(p, strlen(p) + 1);

	memset(&s, 0, sizeof(s));
	sealed_free(&s);
	ck_assert_ptr_null(s.ct);

	must_parse("1:" K1, &kr);
	seal(&kr, STORE, SECRET, &s);
	sealed_free(&s);
	ck_assert_ptr_null(s.ct);
	ck_assert_uint_eq(s.ctlen, 0);
	sealed_free(&s);		/* twice is harmless */
	keyring_wipe(&kr);
}
END_TEST

/* ---- purpose and row (issue 14) ---- */

static const char *const purposes[] = {
	SECRETBOX_CREDENTIAL_API_KEY,
	SECRETBOX_CREDENTIAL_OAUTH,
	SECRETBOX_OAUTH_VERIFIER,
	SECRETBOX_OAUTH_GRANT,
};

/*
 * Sealed for one purpose, it opens for that purpose only: an OAuth
 * verifier or grant copied into a credential row (or back) does not open.
 */
START_TEST(test_purpose_bound)
{
	struct keyring		 kr;
	struct sealed		 s;
	struct sealed_ctx	 c = { purposes[_i], STORE, "7", 0 }, o;
	char			*pt = NULL, what[96];
	size_t			 j, n = 0;

	must_parse("1:" K1, &kr);
	ck_assert_int_eq(secretbox_seal(&kr, &c, SECRET, strlen(SECRET), &s),
	    KC_OK);
	for (j = 0; j < NELEM(purposes); j++) {
		o = c;
		o.purpose = purposes[j];
		snprintf(what, sizeof(what), "%s opened as %s", purposes[_i],
		    purposes[j]);
		pt = NULL;
		ck_assert_int_eq(secretbox_open(&kr, &o, &s, &pt, &n),
		    j == (size_t)_i ? KC_OK : KC_ERR_CRYPTO);
		if (j == (size_t)_i)
			ck_assert_str_eq(pt, SECRET);
		else
			ck_assert_msg(pt == NULL, "%s", what);
		secretbox_free_plain(pt, n);
		/* Nor as a pre-008 (legacy) credential. */
		o.legacy = 1;
		pt = NULL;
		ck_assert_int_eq(secretbox_open(&kr, &o, &s, &pt, &n),
		    KC_ERR_CRYPTO);
		ck_assert_ptr_null(pt);
	}
	sealed_free(&s);
	keyring_wipe(&kr);
}
END_TEST

/* The row is bound: another row of the same store and purpose refuses. */
START_TEST(test_row_bound)
{
	static const char *const rows[] = { "8", "77", "", "7:", "07" };
	struct keyring		 kr;
	struct sealed		 s;
	struct sealed_ctx	 c = { SECRETBOX_OAUTH_GRANT, STORE, "7", 0 };
	struct sealed_ctx	 o = c;
	char			*pt = NULL;
	size_t			 i, n = 0;

	must_parse("1:" K1, &kr);
	ck_assert_int_eq(secretbox_seal(&kr, &c, SECRET, strlen(SECRET), &s),
	    KC_OK);
	for (i = 0; i < NELEM(rows); i++) {
		o.row = rows[i];
		ck_assert_msg(secretbox_open(&kr, &o, &s, &pt, &n) ==
		    KC_ERR_CRYPTO, "row '%s' opened row 7's secret", rows[i]);
		ck_assert_ptr_null(pt);
	}
	/* Fields cannot run into each other: store "a:1", row "" etc. */
	o = c;
	o.store = STORE ":1";
	o.row = "";
	ck_assert_int_eq(secretbox_open(&kr, &o, &s, &pt, &n), KC_ERR_CRYPTO);
	o = c;
	o.row = NULL;
	ck_assert_int_eq(secretbox_open(&kr, &o, &s, &pt, &n), KC_ERR_CRYPTO);
	ck_assert_int_eq(secretbox_open(&kr, &c, &s, &pt, &n), KC_OK);
	secretbox_free_plain(pt, n);
	sealed_free(&s);
	keyring_wipe(&kr);
}
END_TEST

/* A ciphertext as sealed before migration 008 (store and version). */
static void
legacy_seal(const unsigned char *key, int version, const char *store,
    const char *pt, struct sealed *s)
{
	EVP_CIPHER_CTX	*ctx;
	char		 aad[160];
	int		 len;

	memset(s, 0, sizeof(*s));
	s->version = version;
	memset(s->nonce, 0x3c, sizeof(s->nonce));
	snprintf(aad, sizeof(aad), "klaviyo-connect:credential:%s:%d", store,
	    version);
	ck_assert_ptr_nonnull(s->ct = malloc(strlen(pt) + 16));
	ck_assert_ptr_nonnull(ctx = EVP_CIPHER_CTX_new());
	ck_assert(EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, key,
	    s->nonce) == 1);
	ck_assert(EVP_EncryptUpdate(ctx, NULL, &len,
	    (const unsigned char *)aad, (int)strlen(aad)) == 1);
	ck_assert(EVP_EncryptUpdate(ctx, s->ct, &len,
	    (const unsigned char *)pt, (int)strlen(pt)) == 1);
	s->ctlen = (size_t)len;
	ck_assert(EVP_EncryptFinal_ex(ctx, s->ct + len, &len) == 1);
	s->ctlen += (size_t)len;
	ck_assert(EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG,
	    SECRETBOX_TAG, s->tag) == 1);
	EVP_CIPHER_CTX_free(ctx);
}

/*
 * Rows sealed before 008 still open, as legacy and as a credential only;
 * nothing is ever sealed in the old format.
 */
START_TEST(test_legacy)
{
	struct keyring		 kr;
	struct sealed		 s, t;
	struct sealed_ctx	 c = { SECRETBOX_CREDENTIAL_API_KEY, STORE, "7",
				    1 };
	char			*pt = NULL;
	size_t			 n = 0;

	must_parse("1:" K1, &kr);
	legacy_seal(kbytes(1), 1, STORE, SECRET, &s);
	ck_assert_int_eq(secretbox_open(&kr, &c, &s, &pt, &n), KC_OK);
	ck_assert_str_eq(pt, SECRET);
	secretbox_free_plain(pt, n);
	c.purpose = SECRETBOX_CREDENTIAL_OAUTH;
	ck_assert_int_eq(secretbox_open(&kr, &c, &s, &pt, &n), KC_OK);
	secretbox_free_plain(pt, n);
	/* The old AAD is never tried for an OAuth flow's columns. */
	c.purpose = SECRETBOX_OAUTH_VERIFIER;
	ck_assert_int_eq(secretbox_open(&kr, &c, &s, &pt, &n), KC_ERR_CRYPTO);
	c.purpose = SECRETBOX_OAUTH_GRANT;
	ck_assert_int_eq(secretbox_open(&kr, &c, &s, &pt, &n), KC_ERR_CRYPTO);
	/* Read as the current format, it does not open. */
	c.purpose = SECRETBOX_CREDENTIAL_API_KEY;
	c.legacy = 0;
	ck_assert_int_eq(secretbox_open(&kr, &c, &s, &pt, &n), KC_ERR_CRYPTO);
	/* Still bound to its store. */
	c.legacy = 1;
	c.store = "st_other";
	ck_assert_int_eq(secretbox_open(&kr, &c, &s, &pt, &n), KC_ERR_CRYPTO);
	ck_assert_ptr_null(pt);
	/* Sealing in the old format is refused. */
	c.store = STORE;
	ck_assert_int_eq(secretbox_seal(&kr, &c, SECRET, strlen(SECRET), &t),
	    KC_ERR_CRYPTO);
	ck_assert_ptr_null(t.ct);
	sealed_free(&s);
	keyring_wipe(&kr);
}
END_TEST

static Suite *
secretbox_suite(void)
{
	Suite	*s = suite_create("secretbox");
	TCase	*tk = tcase_create("keyring");
	TCase	*tb = tcase_create("box");

	tcase_add_loop_test(tk, test_keyring_ok, 0, NELEM(kr_ok_cases));
	tcase_add_loop_test(tk, test_keyring_bad, 0, NELEM(kr_bad_cases));
	suite_add_tcase(s, tk);

	tcase_add_test(tb, test_round_trip);
	tcase_add_test(tb, test_round_trip_binary);
	tcase_add_test(tb, test_fresh_nonce);
	tcase_add_test(tb, test_tamper);
	tcase_add_loop_test(tb, test_other_store, 0, NELEM(other_stores));
	tcase_add_test(tb, test_other_store_long);
	tcase_add_test(tb, test_relabel);
	tcase_add_test(tb, test_rotation);
	tcase_add_test(tb, test_seal_refused);
	tcase_add_test(tb, test_free_safe);
	tcase_add_loop_test(tb, test_purpose_bound, 0, NELEM(purposes));
	tcase_add_test(tb, test_row_bound);
	tcase_add_test(tb, test_legacy);
	suite_add_tcase(s, tb);
	return s;
}

int
main(void)
{
	SRunner	*sr = srunner_create(secretbox_suite());
	int	 failures;

	srunner_run_all(sr, CK_NORMAL);
	failures = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failures ? 1 : 0;
}
