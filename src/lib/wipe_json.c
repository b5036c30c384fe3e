/* Wiping json-c's copies of secrets; see wipe.h. */
#include "wipe.h"

#include <stdint.h>
#include <string.h>

#include "crypto.h"

static void
wipe_strings(struct json_object *o)
{
	size_t i, n;

	switch (json_object_get_type(o)) {
	case json_type_string:
		/* json-c owns the bytes; overwriting them in place is fine. */
		crypto_wipe((char *)(uintptr_t)json_object_get_string(o),
		    (size_t)json_object_get_string_len(o));
		break;
	case json_type_array:
		n = json_object_array_length(o);
		for (i = 0; i < n; i++)
			wipe_strings(json_object_array_get_idx(o, i));
		break;
	case json_type_object: {
		json_object_object_foreach(o, k, v) {
			(void)k;
			wipe_strings(v);
		}
		break;
	}
	default:
		break;
	}
}

void
wipe_json_put(struct json_object *o)
{
	if (o == NULL)
		return;
	wipe_strings(o);
	json_object_put(o);
}

void
wipe_json_tokener(struct json_tokener *tok)
{
	if (tok != NULL && tok->pb != NULL && tok->pb->buf != NULL &&
	    tok->pb->size > 0)
		crypto_wipe(tok->pb->buf, (size_t)tok->pb->size);
}

void
wipe_json_text(struct json_object *o, int flags)
{
	const char	*s;
	size_t		 len;

	if (o == NULL)
		return;
	s = json_object_to_json_string_length(o, flags, &len);
	if (s != NULL)
		crypto_wipe((char *)(uintptr_t)s, len);
}
