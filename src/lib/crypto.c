/* OpenSSL-backed helpers; see crypto.h. */
#include "crypto.h"

#include <pthread.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

int
crypto_random(void *p, size_t n)
{
	if (n > 0x7fffffff || RAND_bytes(p, (int)n) != 1)
		return KC_ERR_CRYPTO;
	return KC_OK;
}

/*
 * OpenSSL 3's SHA256() looks the algorithm up by name on every call
 * (EVP_Q_digest, EVP_MD_fetch): a web worker hashes a session token per
 * request, so it is fetched once per process.
 */
static EVP_MD		*sha256_md;
static pthread_once_t	 sha256_once = PTHREAD_ONCE_INIT;

static void
sha256_fetch(void)
{
	sha256_md = EVP_MD_fetch(NULL, "SHA256", NULL);
}

void
crypto_sha256(const void *p, size_t n, unsigned char out[32])
{
	if (pthread_once(&sha256_once, sha256_fetch) != 0 ||
	    sha256_md == NULL || EVP_Digest(p, n, out, NULL, sha256_md,
	    NULL) != 1)
		SHA256(p, n, out);
}

void
crypto_hex(const void *p, size_t n, char *out)
{
	static const char	 digits[] = "0123456789abcdef";
	const unsigned char	*b = p;
	size_t			 i;

	for (i = 0; i < n; i++) {
		out[2 * i] = digits[b[i] >> 4];
		out[2 * i + 1] = digits[b[i] & 0xf];
	}
	out[2 * n] = '\0';
}

int
crypto_hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int
crypto_unhex(const char *h, unsigned char *out, size_t outlen, size_t *n)
{
	size_t	len = strlen(h), i;
	int	hi, lo;

	*n = 0;
	if (len % 2 || len / 2 > outlen)
		return KC_ERR_BAD_INPUT;
	for (i = 0; i < len / 2; i++) {
		if ((hi = crypto_hexval(h[2 * i])) < 0 ||
		    (lo = crypto_hexval(h[2 * i + 1])) < 0)
			return KC_ERR_BAD_INPUT;
		out[i] = (unsigned char)(hi << 4 | lo);
	}
	*n = len / 2;
	return KC_OK;
}

size_t
crypto_b64url_span(const char *s)
{
	size_t i;

	for (i = 0; (s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= 'a' &&
	    s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-' ||
	    s[i] == '_'; i++)
		;
	return i;
}

void
crypto_sha256_hex(const void *p, size_t n, char out[SHA256_HEX_LEN + 1])
{
	unsigned char md[32];

	crypto_sha256(p, n, md);
	crypto_hex(md, sizeof(md), out);
}

int
crypto_b64_encode(const void *p, size_t n, char *out, size_t outlen)
{
	if (n > 0x3fffffff || outlen < 4 * ((n + 2) / 3) + 1)
		return KC_ERR_INTERNAL;
	EVP_EncodeBlock((unsigned char *)out, p, (int)n);
	return KC_OK;
}

int
crypto_b64url_encode(const void *p, size_t n, char *out, size_t outlen)
{
	size_t	 len;
	char	*c;
	int	 rc;

	if ((rc = crypto_b64_encode(p, n, out, outlen)) != KC_OK)
		return rc;
	len = strlen(out);
	while (len > 0 && out[len - 1] == '=')
		out[--len] = '\0';
	for (c = out; *c; c++) {
		if (*c == '+')
			*c = '-';
		else if (*c == '/')
			*c = '_';
	}
	return KC_OK;
}

/* Decodes standard padded base64; *outn gets the exact decoded length. */
int
crypto_b64_decode(const char *in, unsigned char *out, size_t outlen,
    size_t *outn)
{
	size_t	len = strlen(in), pad = 0;
	int	n;

	if (len == 0 || len % 4 != 0 || len > 0x3fffffff ||
	    outlen < len / 4 * 3)
		return KC_ERR_BAD_INPUT;
	if (in[len - 1] == '=')
		pad++;
	if (in[len - 2] == '=') {
		if (pad == 0)
			return KC_ERR_BAD_INPUT;
		pad++;
	}
	/* '=' only as trailing padding: OpenSSL would decode it as zeros. */
	if (memchr(in, '=', len - pad) != NULL)
		return KC_ERR_BAD_INPUT;
	n = EVP_DecodeBlock(out, (const unsigned char *)in, (int)len);
	if (n < 0 || (size_t)n < pad)
		return KC_ERR_BAD_INPUT;
	*outn = (size_t)n - pad;
	return KC_OK;
}

int
crypto_equal(const void *a, const void *b, size_t n)
{
	return CRYPTO_memcmp(a, b, n) == 0;
}

void
crypto_wipe(void *p, size_t n)
{
	if (p != NULL)
		OPENSSL_cleanse(p, n);
}
