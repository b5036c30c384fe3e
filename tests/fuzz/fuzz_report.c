/*
 * Klaviyo report answers as the sync runners read them: the first byte
 * picks the type (campaigns: values report summed per campaign and
 * channel; flows, segments, forms: daily series summed per object and
 * day), the rest is one page or an array of pages as kv_run collects
 * them.  No database: the folds are the parsing half of the runners.
 */
/* layers: kccore kclib */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "series_acc.h"
#include "sync.h"
#include "sync_step.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum sync_type_id ids[] = { SYNC_CAMPAIGNS, SYNC_FLOWS,
	    SYNC_SEGMENTS, SYNC_FORMS };
	struct sync_ctx		 sc;
	struct series_acc	 acc;
	struct json_object	*doc, *pages, *values;
	char			*s;
	size_t			 r, k;

	if (size < 1 || (s = malloc(size)) == NULL)
		return 0;
	memcpy(s, data + 1, size - 1);
	s[size - 1] = '\0';
	doc = json_tokener_parse(s);
	free(s);
	if (doc == NULL)
		return 0;
	if (json_object_is_type(doc, json_type_array))
		pages = json_object_get(doc);
	else if ((pages = json_object_new_array()) == NULL ||
	    json_object_array_add(pages, json_object_get(doc)) != 0) {
		json_object_put(doc);
		json_object_put(pages);
		return 0;
	}
	memset(&sc, 0, sizeof(sc));
	sc.type = &sync_types[ids[data[0] % 4]];
	if (sc.type->id == SYNC_CAMPAIGNS) {
		if ((values = json_object_new_object()) != NULL) {
			(void)sync_values_fold(&sc, pages, values);
			json_object_put(values);
		}
	} else if (series_acc_init(&acc, sc.type->ncounts) == KC_OK) {
		(void)sync_series_fold(&sc, pages, &acc);
		for (r = 0; r < acc.nrows; r++)
			for (k = 0; k < sc.type->ncounts; k++)
				(void)series_acc_value(&acc, r, k);
		series_acc_free(&acc);
	}
	json_object_put(pages);
	json_object_put(doc);
	return 0;
}
