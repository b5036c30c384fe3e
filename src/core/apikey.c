/* API key format check and masking; see apikey.h. */
#include "apikey.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static int
all_alnum(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]))
			return 0;
	return 1;
}

int
apikey_check(const char *in, char *out, size_t outlen, const char **why)
{
	size_t	n, i;

	*why = NULL;
	if (outlen)
		out[0] = '\0';
	while (*in && isspace((unsigned char)*in))
		in++;
	n = strlen(in);
	while (n > 0 && isspace((unsigned char)in[n - 1]))
		n--;
	if (n == 0) {
		*why = "Enter your Klaviyo private API key (it starts with "
		    "pk_)";
		return KC_ERR_BAD_INPUT;
	}
	if (strncasecmp(in, "Klaviyo-API-Key", 15) == 0) {
		*why = "Paste only the key itself, without the "
		    "'Klaviyo-API-Key' prefix";
		return KC_ERR_BAD_INPUT;
	}
	for (i = 0; i < n; i++)
		if (isspace((unsigned char)in[i])) {
			*why = "The key contains spaces or line breaks; copy "
			    "it again from Klaviyo (Settings > API keys)";
			return KC_ERR_BAD_INPUT;
		}
	if (n == 6 && all_alnum(in, n)) {
		*why = "This looks like your public API key (site ID); "
		    "connecting needs a private API key, which starts with "
		    "pk_";
		return KC_ERR_BAD_INPUT;
	}
	if (n < 3 || strncmp(in, "pk_", 3) != 0) {
		*why = "A Klaviyo private API key starts with pk_";
		return KC_ERR_BAD_INPUT;
	}
	if (n - 3 < 20 || n - 3 > 64 || !all_alnum(in + 3, n - 3)) {
		*why = "After pk_ a Klaviyo private API key has 20 to 64 "
		    "letters and digits";
		return KC_ERR_BAD_INPUT;
	}
	if (n + 1 > outlen) {
		*why = "The key is too long";
		return KC_ERR_BAD_INPUT;
	}
	memcpy(out, in, n);
	out[n] = '\0';
	return KC_OK;
}

void
apikey_hint(const char *key, char *out, size_t outlen)
{
	if (strncmp(key, "pk_", 3) == 0 && strlen(key) >= 7)
		snprintf(out, outlen, "pk_%.4s\xe2\x80\xa6", key + 3);
	else
		snprintf(out, outlen, "pk_\xe2\x80\xa6");
}
