/* scrypt password hashing; see password.h. */
#include "password.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "crypto.h"

/*
 * N = 2^log_n (OWASP: 2^17, about 128 MiB and 0.3 s), r = 8, p = 1.
 * Older hashes (2^15) still verify and are upgraded at the next login.
 */
#define SCRYPT_R 8
#define SCRYPT_P 1
#define SALT_LEN 16
#define HASH_LEN 32
/* The largest V we would write (2^18 * 128 * 8), plus scrypt's B. */
#define SCRYPT_MAXV (128ULL * SCRYPT_R << PASSWORD_LOG_N_MAX)
#define SCRYPT_MAXMEM (SCRYPT_MAXV + 16ULL * 1024 * 1024)

static int
derive(const char *pw, const unsigned char *salt, size_t saltlen,
    unsigned ln, unsigned r, unsigned p, unsigned char out[HASH_LEN])
{
	if (ln < 10 || ln > 20 || r < 1 || r > 32 || p < 1 || p > 16)
		return KC_ERR_BAD_INPUT;
	if (EVP_PBE_scrypt(pw, strlen(pw), salt, saltlen,
	    (uint64_t)1 << ln, r, p, SCRYPT_MAXMEM, out, HASH_LEN) != 1)
		return KC_ERR_CRYPTO;
	return KC_OK;
}

int
password_hash(const char *pw, unsigned log_n, char *out, size_t outlen)
{
	unsigned char	 salt[SALT_LEN], hash[HASH_LEN];
	char		 s64[32], h64[64];
	int		 rc, n;

	if ((rc = crypto_random(salt, sizeof(salt))) != KC_OK)
		return rc;
	if (log_n < PASSWORD_LOG_N_MIN || log_n > PASSWORD_LOG_N_MAX)
		return KC_ERR_BAD_INPUT;
	if ((rc = derive(pw, salt, sizeof(salt), log_n, SCRYPT_R,
	    SCRYPT_P, hash)) != KC_OK)
		return rc;
	if ((rc = crypto_b64url_encode(salt, sizeof(salt), s64,
	    sizeof(s64))) != KC_OK ||
	    (rc = crypto_b64url_encode(hash, sizeof(hash), h64,
	    sizeof(h64))) != KC_OK)
		goto out;
	n = snprintf(out, outlen, "scrypt$%u$%d$%d$%s$%s", log_n,
	    SCRYPT_R, SCRYPT_P, s64, h64);
	rc = (n < 0 || (size_t)n >= outlen) ? KC_ERR_INTERNAL : KC_OK;
out:
	crypto_wipe(hash, sizeof(hash));
	return rc;
}

/* base64url (no padding) back to bytes; the lengths here are fixed. */
static int
b64url_decode(const char *in, size_t inlen, unsigned char *out,
    size_t want)
{
	char	 tmp[128];
	size_t	 i, n;

	if (inlen + 4 >= sizeof(tmp))
		return KC_ERR_BAD_INPUT;
	for (i = 0; i < inlen; i++) {
		if (in[i] == '-')
			tmp[i] = '+';
		else if (in[i] == '_')
			tmp[i] = '/';
		else
			tmp[i] = in[i];
	}
	while (i % 4 != 0)
		tmp[i++] = '=';
	tmp[i] = '\0';
	{
		unsigned char dec[96];

		if (crypto_b64_decode(tmp, dec, sizeof(dec), &n) != KC_OK ||
		    n != want)
			return KC_ERR_BAD_INPUT;
		memcpy(out, dec, want);
	}
	return KC_OK;
}

int
password_verify(const char *pw, const char *enc)
{
	unsigned char	 salt[SALT_LEN], want[HASH_LEN], got[HASH_LEN];
	unsigned	 ln, r, p;
	const char	*s, *h;
	int		 off = 0, rc;

	if (sscanf(enc, "scrypt$%u$%u$%u$%n", &ln, &r, &p, &off) != 3 ||
	    off == 0)
		return KC_ERR_UNAUTHORIZED;
	s = enc + off;
	if ((h = strchr(s, '$')) == NULL)
		return KC_ERR_UNAUTHORIZED;
	if (b64url_decode(s, (size_t)(h - s), salt, sizeof(salt)) != KC_OK ||
	    b64url_decode(h + 1, strlen(h + 1), want, sizeof(want)) != KC_OK)
		return KC_ERR_UNAUTHORIZED;
	/* A cost beyond what we would ever write is not ours: no match. */
	if ((uint64_t)128 * r * ((uint64_t)1 << (ln < 30 ? ln : 30)) >
	    SCRYPT_MAXV)
		return KC_ERR_UNAUTHORIZED;
	if ((rc = derive(pw, salt, sizeof(salt), ln, r, p, got)) != KC_OK)
		return rc == KC_ERR_BAD_INPUT ? KC_ERR_UNAUTHORIZED : rc;
	rc = crypto_equal(got, want, HASH_LEN) ? KC_OK : KC_ERR_UNAUTHORIZED;
	crypto_wipe(got, sizeof(got));
	return rc;
}

int
password_needs_rehash(const char *enc, unsigned log_n)
{
	unsigned	ln, r, p;
	int		off = 0;

	/* Not ours to read: verify refuses it, nothing to upgrade. */
	if (sscanf(enc, "scrypt$%u$%u$%u$%n", &ln, &r, &p, &off) != 3 ||
	    off == 0)
		return 0;
	/* Weaker in memory or time; never lowered to a smaller setting. */
	return ln < log_n || r < SCRYPT_R || p < SCRYPT_P;
}

void
password_burn(const char *pw, unsigned log_n)
{
	static const unsigned char	salt[SALT_LEN];
	unsigned char			out[HASH_LEN];

	if (derive(pw, salt, sizeof(salt), log_n, SCRYPT_R, SCRYPT_P,
	    out) == KC_OK)
		crypto_wipe(out, sizeof(out));
}

const char *
password_policy(const char *pw)
{
	size_t n = strlen(pw);

	if (n < PASSWORD_MIN_LEN)
		return "Password must be at least 10 characters";
	if (n > PASSWORD_MAX_LEN)
		return "Password must be at most 1024 characters";
	return NULL;
}
