/*
 * A Klaviyo answer as klaviyo.c reads it: the first line is a header
 * line (Retry-After, RateLimit-*, Content-Type parsed as on_header
 * does, then as seconds), the rest a JSON:API page body; two pages in
 * a row are appended to one data array, and a links.next that is not
 * Klaviyo's origin is refused.
 */
/* layers: kccore kclib */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "klaviyo.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define BASE "https://a.klaviyo.com"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct json_object	*pages = NULL;
	char			*s, *body, *nl, next[4096], v[32];
	long			 secs;
	size_t			 n;

	if ((s = malloc(size + 1)) == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	nl = strchr(s, '\n');
	body = nl ? nl + 1 : s + size;
	n = nl ? (size_t)(nl - s) + 1 : size;
	v[0] = '\0';
	kv_header_value(s, n, "Retry-After", v, sizeof(v));
	if (strlen(v) >= sizeof(v))
		__builtin_trap();
	secs = kv_parse_seconds(v);
	if (secs < -1 || secs > 2 * 86400)
		__builtin_trap();
	kv_header_value(s, n, "RateLimit-Reset", v, sizeof(v));
	(void)kv_parse_seconds(v);

	if (kv_page_parse(body, BASE, &pages, next, sizeof(next)) == KC_OK) {
		if (!json_object_is_type(pages, json_type_array))
			__builtin_trap();
		if (next[0] != '\0' && !kv_same_origin(BASE, next))
			__builtin_trap();
		if (kv_page_parse(body, BASE "/", &pages, next,
		    sizeof(next)) != KC_OK)
			__builtin_trap();
	} else if (next[0] != '\0')
		__builtin_trap();
	json_object_put(pages);
	free(s);
	return 0;
}
