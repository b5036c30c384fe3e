/*
 * Secrets at rest (DESIGN.md 5): AES-256-GCM with a fresh 12-byte nonce
 * per encryption and a 16-byte tag.  The additional authenticated data
 * binds what the secret is for (its purpose), the store's public id, the
 * row that holds it and the key version, so a ciphertext copied to another
 * store, row or purpose (an OAuth verifier into a credential row), or
 * relabelled with another version, does not decrypt.
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

/* Purposes: one per kind of secret and the column family it lives in. */
#define SECRETBOX_CREDENTIAL_API_KEY	"credential/api_key"
#define SECRETBOX_CREDENTIAL_OAUTH	"credential/oauth"
#define SECRETBOX_OAUTH_VERIFIER	"oauth_flow/verifier"
#define SECRETBOX_OAUTH_GRANT		"oauth_flow/grant"
#define SECRETBOX_WEBHOOK_SECRET	"webhook/secret"

/*
 * What a ciphertext is bound to.  legacy: sealed before migration 008,
 * whose AAD held only the store and the version; such a ciphertext can
 * only be opened, never made, and only for a credential purpose (the
 * caller then checks the plaintext's shape, see credential.c).
 */
struct sealed_ctx {
	const char	*purpose;	/* SECRETBOX_* above */
	const char	*store;		/* the store's public id */
	const char	*row;		/* the identity of the row it is in */
	int		 legacy;
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
/* Encrypts under the newest key, in the current format. */
int	secretbox_seal(const struct keyring *, const struct sealed_ctx *,
	    const void *, size_t, struct sealed *) KC_MUSTCHECK;
/*
 * Decrypts into a NUL-terminated malloc'd buffer; the caller wipes and
 * frees it (secretbox_free_plain).  KC_ERR_CRYPTO on any tampering.
 */
int	secretbox_open(const struct keyring *, const struct sealed_ctx *,
	    const struct sealed *, char **, size_t *) KC_MUSTCHECK;
void	secretbox_free_plain(char *, size_t);
void	sealed_free(struct sealed *);

#endif
