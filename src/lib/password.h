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
/* scrypt N = 2^log_n with r = 8, p = 1; OWASP's minimum is 2^17. */
#define PASSWORD_LOG_N_DEFAULT 17
#define PASSWORD_LOG_N_MIN 12
#define PASSWORD_LOG_N_MAX 18

/* A new hash at cost 2^log_n (PASSWORD_LOG_N_MIN..MAX). */
int	password_hash(const char *, unsigned log_n, char *out,
	    size_t outlen) KC_MUSTCHECK;
/* KC_OK on a match, KC_ERR_UNAUTHORIZED otherwise; any stored cost. */
int	password_verify(const char *, const char *encoded) KC_MUSTCHECK;
/*
 * 1 when an encoding verify accepts has weaker parameters than a new
 * hash at 2^log_n would (so the next successful login re-hashes it).
 */
int	password_needs_rehash(const char *encoded, unsigned log_n);
/* Spends the same time as a verify at 2^log_n, for unknown accounts. */
void	password_burn(const char *, unsigned log_n);
/* NULL when acceptable, else a sentence saying what is wrong. */
const char *password_policy(const char *);

#endif
