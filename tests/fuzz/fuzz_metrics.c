/*
 * The metric list: the input is a JSON object {"metrics": [...],
 * "custom": [...]} standing for the data arrays of /api/metrics and
 * /api/custom-metrics; they are merged as probe.c does, and every id
 * of the merged list must be found again.
 */
/* layers: kccore kclib */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "json_util.h"
#include "metrics.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct json_object	*doc, *m = NULL, *c = NULL, *out, *it;
	char			*s;
	const char		*id;
	size_t			 i;

	if ((s = malloc(size + 1)) == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	doc = json_tokener_parse(s);
	free(s);
	if (doc == NULL)
		return 0;
	if (json_object_is_type(doc, json_type_object)) {
		/* Whatever type Klaviyo's "data" had. */
		(void)json_object_object_get_ex(doc, "metrics", &m);
		(void)json_object_object_get_ex(doc, "custom", &c);
	} else
		m = doc;
	if (metrics_merge(m, c, &out) == KC_OK) {
		if (!json_object_is_type(out, json_type_array))
			__builtin_trap();
		for (i = 0; i < json_object_array_length(out); i++) {
			it = json_object_array_get_idx(out, i);
			if ((id = json_get_str(it, "id")) != NULL &&
			    metrics_find(out, id) == NULL)
				__builtin_trap();
		}
		(void)metrics_find(out, "");
		json_object_put(out);
	}
	json_object_put(doc);
	return 0;
}
