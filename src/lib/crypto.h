/*
 * Small cryptographic helpers over OpenSSL: random bytes, SHA-256,
 * base64url and hex, constant-time comparison, secure wiping.
 */
#ifndef KC_CRYPTO_H
#define KC_CRYPTO_H

#include <stddef.h>

#include "kc_err.h"

#define SHA256_HEX_LEN 64

int	crypto_random(void *, size_t) KC_MUSTCHECK;
void	crypto_sha256(const void *, size_t, unsigned char out[32]);
void	crypto_sha256_hex(const void *, size_t, char out[SHA256_HEX_LEN + 1]);
/* base64url without padding; out needs 4 * ceil(n / 3) + 1 bytes. */
int	crypto_b64url_encode(const void *, size_t, char *, size_t)
	    KC_MUSTCHECK;
/* Standard base64 with padding (OpenSSL EVP_EncodeBlock). */
int	crypto_b64_encode(const void *, size_t, char *, size_t) KC_MUSTCHECK;
int	crypto_b64_decode(const char *, unsigned char *, size_t,
	    size_t *) KC_MUSTCHECK;
void	crypto_hex(const void *, size_t, char *);
/* One hex digit's value, -1 for anything else. */
int	crypto_hexval(int);
/* Hex text (either case) into out; KC_ERR_BAD_INPUT when malformed. */
int	crypto_unhex(const char *, unsigned char *out, size_t outlen,
	    size_t *n) KC_MUSTCHECK;
/*
 * The length of s's leading run of the base64url alphabet
 * [A-Za-z0-9_-], which is also the shape of public ids and tokens.
 */
size_t	crypto_b64url_span(const char *s);
int	crypto_equal(const void *, const void *, size_t);
void	crypto_wipe(void *, size_t);

#endif
