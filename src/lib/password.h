/*
 * Password hashing with scrypt (OpenSSL EVP_PBE_scrypt) and a random
 * 16-byte salt.  Encoded as "scrypt$ln$r$p$salt$hash" (base64url), so the
 * cost can be raised later without invalidating stored hashes.
 */
#ifndef KC_PASSWORD_H
#define KC_PASSWORD_H

#include <stddef.h>

#include "kc_err.h"

#define PASSWORD_HASH_MAX 160
#define PASSWORD_MIN_LEN 10
#define PASSWORD_MAX_LEN 1024

int	password_hash(const char *, char *out, size_t outlen) KC_MUSTCHECK;
/* KC_OK on a match, KC_ERR_UNAUTHORIZED otherwise. */
int	password_verify(const char *, const char *encoded) KC_MUSTCHECK;
/* Spends the same time as a verify, for unknown accounts. */
void	password_burn(const char *);
/* NULL when acceptable, else a sentence saying what is wrong. */
const char *password_policy(const char *);

#endif
