/*
 * A connection's Klaviyo credential in klaviyo_credentials, sealed with
 * secretbox (AES-256-GCM; AAD = purpose "credential/<kind>", store public
 * id, connection id, key version; a connection moved from a store by
 * migration 011 has the store's id, so its older rows still open).  Rows sealed before migration 008
 * (sealed_format 1) are still read, checked for the shape of their kind,
 * and re-sealed by the next save or klaviyo-admin rotate-keys.  The
 * plaintext only lives in memory for one request or job.
 */
#ifndef KC_CREDENTIAL_H
#define KC_CREDENTIAL_H

#include <stddef.h>

#include "db.h"
#include "kc_err.h"
#include "secretbox.h"

/*
 * A sealed secret as SQL text parameters (decimal version, hex nonce,
 * ciphertext and tag), for any table that keeps one.
 */
struct sealed_text {
	char	 version[16];
	char	 nonce[2 * SECRETBOX_NONCE + 1];
	char	 tag[2 * SECRETBOX_TAG + 1];
	char	*ct;
};

int	sealed_text_seal(const struct keyring *, const struct sealed_ctx *,
	    const char *secret, struct sealed_text *) KC_MUSTCHECK;
void	sealed_text_free(struct sealed_text *);
/* The caller frees *secret with secretbox_free_plain(*secret, *len). */
int	sealed_text_open(const struct keyring *, const struct sealed_ctx *,
	    const char *version, const char *nonce, const char *ct,
	    const char *tag, char **secret, size_t *len) KC_MUSTCHECK;

/* Encrypts and upserts (inside the caller's transaction). */
int	credential_save(struct db *, const struct keyring *, long long conn_id,
	    const char *store_public_id, const char *kind, const char *secret)
	    KC_MUSTCHECK;
/*
 * Loads and decrypts; KC_ERR_NOT_FOUND when the connection has none,
 * KC_ERR_CRYPTO when it does not decrypt (tampered, moved, wrong key).
 * The caller frees *secret with secretbox_free_plain(*secret, *len).
 */
int	credential_load(struct db *, const struct keyring *, long long conn_id,
	    const char *store_public_id, char **kind, char **secret,
	    size_t *len) KC_MUSTCHECK;
int	credential_delete(struct db *, long long conn_id) KC_MUSTCHECK;
/*
 * Re-encrypts every credential sealed under an older version or in the
 * pre-008 format with the newest key, one row per transaction; *done
 * gets the count.
 */
int	credential_rotate_all(struct db *, const struct keyring *, int *done,
	    char *err, size_t errlen) KC_MUSTCHECK;
/* Checks that every stored key version is in the keyring and opens. */
int	credential_check_keyring(struct db *, const struct keyring *,
	    char *err, size_t errlen) KC_MUSTCHECK;

#endif
