/*
 * bench/webhooks.sh's helper (built there, not part of the product):
 * seals a webhook signing secret the way klaviyo-syncd does
 * (src/core/webhook_klaviyo.c), so the bench can sign its own
 * deliveries.  Prints "version nonce ciphertext tag" (hex) for SQL.
 *   KC_MASTER_KEYS=... webhook_seal STORE_PUBLIC_ID WEBHOOK_PUBLIC_ID < secret
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "credential.h"
#include "secretbox.h"

int
main(int argc, char *argv[])
{
	struct keyring		 kr;
	struct sealed_ctx	 ctx;
	struct sealed_text	 t;
	const char		*keys = getenv("KC_MASTER_KEYS");
	char			 err[128], secret[256];

	if (argc != 3 || keys == NULL ||
	    fgets(secret, sizeof(secret), stdin) == NULL) {
		fprintf(stderr, "usage: KC_MASTER_KEYS=... webhook_seal STORE "
		    "WEBHOOK < secret\n");
		return 2;
	}
	secret[strcspn(secret, "\n")] = '\0';
	if (keyring_parse(keys, &kr, err, sizeof(err)) != KC_OK) {
		fprintf(stderr, "webhook_seal: %s\n", err);
		return 1;
	}
	memset(&t, 0, sizeof(t));
	ctx.purpose = SECRETBOX_WEBHOOK_SECRET;
	ctx.store = argv[1];
	ctx.row = argv[2];
	ctx.legacy = 0;
	if (sealed_text_seal(&kr, &ctx, secret, &t) != KC_OK) {
		fprintf(stderr, "webhook_seal: cannot seal\n");
		return 1;
	}
	printf("%s %s %s %s\n", t.version, t.nonce, t.ct, t.tag);
	sealed_text_free(&t);
	keyring_wipe(&kr);
	return 0;
}
