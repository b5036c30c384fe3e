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
int	crypto_equal(const void *, const void *, size_t);
void	crypto_wipe(void *, size_t);

#endif
