/*
 * Klaviyo's token endpoint answer (code exchange and refresh), then the
 * sealed form of the tokens round-tripped, and the input read as a
 * sealed form too (what the credential row holds after decryption).
 */
/* layers: kccore kclib */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "oauth.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct oauth_tokens	 t, back;
	char			*s, *json;

	memset(&t, 0, sizeof(t));
	memset(&back, 0, sizeof(back));
	if (oauth_parse_token_response((const char *)data, size,
	    1700000000LL, &t) == KC_OK) {
		if (t.access == NULL)
			__builtin_trap();
		(void)oauth_needs_refresh(&t, 300, 1700000000LL);
		if (oauth_tokens_encode(&t, &json) == KC_OK) {
			if (oauth_tokens_decode(json, &back) != KC_OK ||
			    strcmp(back.access, t.access) != 0)
				__builtin_trap();
			oauth_tokens_free(&back);
			oauth_wipe_free(json);
		}
	}
	oauth_tokens_free(&t);
	if ((s = malloc(size + 1)) == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	memset(&back, 0, sizeof(back));
	if (oauth_tokens_decode(s, &back) == KC_OK)
		(void)oauth_needs_refresh(&back, 300, 1700000000LL);
	oauth_tokens_free(&back);
	free(s);
	return 0;
}
