/*
 * Klaviyo private API keys at the edge: the format check made before any
 * network call (DESIGN.md 3) and the masked hint that is all a response,
 * a log line or a table may ever show of a key.
 */
#ifndef KC_APIKEY_H
#define KC_APIKEY_H

#include <stddef.h>

#include "kc_err.h"

#define APIKEY_MAX 67		/* "pk_" + 64 */
#define APIKEY_HINT_MAX 16

/*
 * Trims surrounding white space into out and checks "pk_" + 20-64 ASCII
 * letters or digits.  On failure *why is a sentence for a person.
 */
int	apikey_check(const char *in, char *out, size_t outlen,
	    const char **why) KC_MUSTCHECK;
/* "pk_3f9a…" (first four characters after pk_, then an ellipsis). */
void	apikey_hint(const char *key, char *out, size_t outlen);

#endif
