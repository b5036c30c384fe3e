/* AES-256-GCM credential sealing; see secretbox.h. */
#include "secretbox.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "crypto.h"

#define SECRETBOX_MAX_PLAIN (64 * 1024)
#define AAD_MAX 384

int
keyring_parse(const char *spec, struct keyring *kr, char *err, size_t errlen)
{
	const char	*p = spec, *colon, *end;
	char		 b64[128];
	unsigned char	 raw[96];
	size_t		 n, rawlen;
	long		 v;
	char		*vend;
	int		 i;

	memset(kr, 0, sizeof(*kr));
	if (spec == NULL || *spec == '\0') {
		snprintf(err, errlen, "KC_MASTER_KEYS is required (e.g. "
		    "1:<base64 of 32 random bytes>; generate one with "
		    "openssl rand -base64 32)");
		return KC_ERR_CONFIG;
	}
	while (*p) {
		end = strchr(p, ',');
		n = end ? (size_t)(end - p) : strlen(p);
		colon = memchr(p, ':', n);
		if (colon == NULL) {
			snprintf(err, errlen, "KC_MASTER_KEYS entry %d is not "
			    "VERSION:BASE64", kr->n + 1);
			goto bad;
		}
		errno = 0;
		v = strtol(p, &vend, 10);
		if (errno || vend != colon || v < 1 || v > 1000000) {
			snprintf(err, errlen, "KC_MASTER_KEYS entry %d has a "
			    "bad version (a number from 1)", kr->n + 1);
			goto bad;
		}
		n -= (size_t)(colon + 1 - p);
		if (n >= sizeof(b64)) {
			snprintf(err, errlen, "KC_MASTER_KEYS version %ld is "
			    "not 32 bytes of base64", v);
			goto bad;
		}
		memcpy(b64, colon + 1, n);
		b64[n] = '\0';
		if (crypto_b64_decode(b64, raw, sizeof(raw), &rawlen) !=
		    KC_OK || rawlen != 32) {
			crypto_wipe(b64, sizeof(b64));
			snprintf(err, errlen, "KC_MASTER_KEYS version %ld is "
			    "not 32 bytes of base64", v);
			goto bad;
		}
		crypto_wipe(b64, sizeof(b64));
		for (i = 0; i < kr->n; i++)
			if (kr->keys[i].version == v) {
				snprintf(err, errlen, "KC_MASTER_KEYS lists "
				    "version %ld twice", v);
				goto bad;
			}
		if (kr->n == KEYRING_MAX) {
			snprintf(err, errlen, "KC_MASTER_KEYS has more than "
			    "%d keys", KEYRING_MAX);
			goto bad;
		}
		kr->keys[kr->n].version = (int)v;
		memcpy(kr->keys[kr->n].key, raw, 32);
		crypto_wipe(raw, sizeof(raw));
		kr->n++;
		p = end ? end + 1 : p + strlen(p);
	}
	return KC_OK;
bad:
	crypto_wipe(raw, sizeof(raw));
	keyring_wipe(kr);
	return KC_ERR_CONFIG;
}

int
keyring_newest(const struct keyring *kr)
{
	int i, best = 0;

	for (i = 0; i < kr->n; i++)
		if (kr->keys[i].version > best)
			best = kr->keys[i].version;
	return best;
}

static const unsigned char *
keyring_get(const struct keyring *kr, int version)
{
	int i;

	for (i = 0; i < kr->n; i++)
		if (kr->keys[i].version == version)
			return kr->keys[i].key;
	return NULL;
}

int
keyring_has(const struct keyring *kr, int version)
{
	return keyring_get(kr, version) != NULL;
}

void
keyring_wipe(struct keyring *kr)
{
	crypto_wipe(kr, sizeof(*kr));
}

/*
 * The AAD for ctx under key version.  Each field is length-prefixed so no
 * choice of fields can spell another's AAD.  The legacy form (before
 * migration 008) named neither purpose nor row.  KC_ERR_CRYPTO when a
 * field is missing or the whole does not fit.
 */
static int
make_aad(char *out, size_t len, const struct sealed_ctx *ctx, int version)
{
	int n;

	if (ctx == NULL || ctx->store == NULL)
		return KC_ERR_CRYPTO;
	if (ctx->legacy) {
		/* Only credential rows ever held the old format. */
		if (ctx->purpose == NULL || strncmp(ctx->purpose,
		    "credential/", 11) != 0)
			return KC_ERR_CRYPTO;
		n = snprintf(out, len, "klaviyo-connect:credential:%s:%d",
		    ctx->store, version);
	} else {
		if (ctx->purpose == NULL || ctx->row == NULL)
			return KC_ERR_CRYPTO;
		n = snprintf(out, len, "klaviyo-connect:2:%zu:%s:%zu:%s:"
		    "%zu:%s:%d", strlen(ctx->purpose), ctx->purpose,
		    strlen(ctx->store), ctx->store, strlen(ctx->row), ctx->row,
		    version);
	}
	return n > 0 && (size_t)n < len ? KC_OK : KC_ERR_CRYPTO;
}

int
secretbox_seal(const struct keyring *kr, const struct sealed_ctx *sc,
    const void *pt, size_t ptlen, struct sealed *s)
{
	EVP_CIPHER_CTX		*ctx = NULL;
	const unsigned char	*key;
	char			 aad[AAD_MAX];
	int			 len, rc = KC_ERR_CRYPTO;

	memset(s, 0, sizeof(*s));
	s->version = keyring_newest(kr);
	/* The old format is read, never written. */
	if ((key = keyring_get(kr, s->version)) == NULL ||
	    ptlen > SECRETBOX_MAX_PLAIN || sc == NULL || sc->legacy ||
	    make_aad(aad, sizeof(aad), sc, s->version) != KC_OK)
		return KC_ERR_CRYPTO;
	if (crypto_random(s->nonce, sizeof(s->nonce)) != KC_OK)
		return KC_ERR_CRYPTO;
	if ((s->ct = malloc(ptlen ? ptlen : 1)) == NULL)
		return KC_ERR_NOMEM;
	if ((ctx = EVP_CIPHER_CTX_new()) == NULL ||
	    EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, NULL, NULL) != 1 ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, SECRETBOX_NONCE,
	    NULL) != 1 ||
	    EVP_EncryptInit_ex(ctx, NULL, NULL, key, s->nonce) != 1 ||
	    EVP_EncryptUpdate(ctx, NULL, &len, (const unsigned char *)aad,
	    (int)strlen(aad)) != 1 ||
	    EVP_EncryptUpdate(ctx, s->ct, &len, pt, (int)ptlen) != 1)
		goto out;
	s->ctlen = (size_t)len;
	if (EVP_EncryptFinal_ex(ctx, s->ct + len, &len) != 1 ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, SECRETBOX_TAG,
	    s->tag) != 1)
		goto out;
	s->ctlen += (size_t)len;
	rc = KC_OK;
out:
	EVP_CIPHER_CTX_free(ctx);
	if (rc != KC_OK)
		sealed_free(s);
	return rc;
}

int
secretbox_open(const struct keyring *kr, const struct sealed_ctx *sc,
    const struct sealed *s, char **out, size_t *outlen)
{
	EVP_CIPHER_CTX		*ctx = NULL;
	const unsigned char	*key;
	unsigned char		*pt = NULL;
	unsigned char		 tag[SECRETBOX_TAG];
	char			 aad[AAD_MAX];
	int			 len, rc = KC_ERR_CRYPTO;
	size_t			 total = 0;

	*out = NULL;
	*outlen = 0;
	if ((key = keyring_get(kr, s->version)) == NULL ||
	    s->ctlen > SECRETBOX_MAX_PLAIN ||
	    make_aad(aad, sizeof(aad), sc, s->version) != KC_OK)
		return KC_ERR_CRYPTO;
	if ((pt = malloc(s->ctlen + 1)) == NULL)
		return KC_ERR_NOMEM;
	memcpy(tag, s->tag, sizeof(tag));
	if ((ctx = EVP_CIPHER_CTX_new()) == NULL ||
	    EVP_DecryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, NULL, NULL) != 1 ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, SECRETBOX_NONCE,
	    NULL) != 1 ||
	    EVP_DecryptInit_ex(ctx, NULL, NULL, key, s->nonce) != 1 ||
	    EVP_DecryptUpdate(ctx, NULL, &len, (const unsigned char *)aad,
	    (int)strlen(aad)) != 1 ||
	    EVP_DecryptUpdate(ctx, pt, &len, s->ct, (int)s->ctlen) != 1)
		goto out;
	total = (size_t)len;
	if (EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, SECRETBOX_TAG,
	    tag) != 1 || EVP_DecryptFinal_ex(ctx, pt + len, &len) != 1)
		goto out;
	total += (size_t)len;
	pt[total] = '\0';
	*out = (char *)pt;
	*outlen = total;
	pt = NULL;
	rc = KC_OK;
out:
	EVP_CIPHER_CTX_free(ctx);
	if (pt) {
		crypto_wipe(pt, s->ctlen + 1);
		free(pt);
	}
	return rc;
}

void
secretbox_free_plain(char *p, size_t n)
{
	if (p == NULL)
		return;
	crypto_wipe(p, n);
	free(p);
}

void
sealed_free(struct sealed *s)
{
	if (s == NULL)
		return;
	free(s->ct);
	s->ct = NULL;
	s->ctlen = 0;
}
