/*
 * Credentials at rest (DESIGN.md 5): AES-256-GCM with a fresh 12-byte
 * nonce per encryption and a 16-byte tag, the store's public id and the
 * key version as additional authenticated data, so a ciphertext copied to
 * another store, or relabelled with another version, does not decrypt.
 * KC_MASTER_KEYS holds versioned keys "2:base64,1:base64"; the highest
 * version encrypts, any listed one decrypts.
 */
#ifndef KC_SECRETBOX_H
#define KC_SECRETBOX_H

#include <stddef.h>

#include "kc_err.h"

#define KEYRING_MAX 16
#define SECRETBOX_NONCE 12
#define SECRETBOX_TAG 16

struct keyring {
	int	n;
	struct {
		int		version;
		unsigned char	key[32];
	} keys[KEYRING_MAX];
};

struct sealed {
	int		 version;
	unsigned char	 nonce[SECRETBOX_NONCE];
	unsigned char	 tag[SECRETBOX_TAG];
	unsigned char	*ct;
	size_t		 ctlen;
};

/* Parses KC_MASTER_KEYS; err names the problem, never a key. */
int	keyring_parse(const char *, struct keyring *, char *err,
	    size_t errlen) KC_MUSTCHECK;
int	keyring_newest(const struct keyring *);
int	keyring_has(const struct keyring *, int version);
void	keyring_wipe(struct keyring *);
/* Encrypts under the newest key. */
int	secretbox_seal(const struct keyring *, const char *store_public_id,
	    const void *, size_t, struct sealed *) KC_MUSTCHECK;
/*
 * Decrypts into a NUL-terminated malloc'd buffer; the caller wipes and
 * frees it (secretbox_free_plain).  KC_ERR_CRYPTO on any tampering.
 */
int	secretbox_open(const struct keyring *, const char *store_public_id,
	    const struct sealed *, char **, size_t *) KC_MUSTCHECK;
void	secretbox_free_plain(char *, size_t);
void	sealed_free(struct sealed *);

#endif
