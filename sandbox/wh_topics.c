/*
 * Webhook topics of klaviyo-sandbox: one per metric of the account,
 * "event:<integration key>.<metric name in snake_case>", the way
 * Klaviyo names its system webhook topics (event:klaviyo.sent_sms,
 * event:shopify.placed_order).  Two metrics that give the same topic
 * (none do in the generated accounts) share it.
 */
#include "webhooks.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_util.h"

int
sbx_topic_of(struct json_object *metric, char *out, size_t len)
{
	struct json_object	*at, *integ;
	const char		*key, *name, *p;
	size_t			 n;
	int			 sep = 0;

	if (!json_object_object_get_ex(metric, "attributes", &at) ||
	    !json_object_object_get_ex(at, "integration", &integ) ||
	    (key = json_get_str(integ, "key")) == NULL || *key == '\0' ||
	    (name = json_get_str(at, "name")) == NULL)
		return 0;
	n = (size_t)snprintf(out, len, "event:%s.", key);
	if (n >= len)
		return 0;
	/* Lower case; every run of other characters one underscore. */
	for (p = name; *p != '\0' && n + 1 < len; p++) {
		if (isalnum((unsigned char)*p)) {
			if (sep && out[n - 1] != '.')
				out[n++] = '_';
			out[n++] = (char)tolower((unsigned char)*p);
			sep = 0;
		} else
			sep = 1;
	}
	out[n] = '\0';
	return *p == '\0' && out[n - 1] != '.';
}

static int
str_cmp(const void *a, const void *b)
{
	return strcmp(json_object_get_string(*(struct json_object *const *)a),
	    json_object_get_string(*(struct json_object *const *)b));
}

struct json_object *
sbx_topics(const struct sbx_account *acc)
{
	struct json_object	*metrics, *out, *s;
	char			 topic[256];
	size_t			 i, j, n;
	int			 dup;

	if ((out = json_object_new_array()) == NULL)
		return NULL;
	metrics = sbx_account_coll(acc, "metric");
	n = metrics ? json_object_array_length(metrics) : 0;
	for (i = 0; i < n; i++) {
		if (!sbx_topic_of(json_object_array_get_idx(metrics, i),
		    topic, sizeof(topic)))
			continue;
		for (j = 0, dup = 0; j < json_object_array_length(out) &&
		    !dup; j++)
			dup = strcmp(json_object_get_string(
			    json_object_array_get_idx(out, j)), topic) == 0;
		if (dup)
			continue;
		if ((s = json_object_new_string(topic)) == NULL ||
		    json_object_array_add(out, s) != 0) {
			json_object_put(s);
			json_object_put(out);
			return NULL;
		}
	}
	json_object_array_sort(out, str_cmp);
	return out;
}

int
sbx_topic_exists(const struct sbx_account *acc, const char *topic)
{
	struct json_object	*metrics;
	char			 t[256];
	size_t			 i, n;

	metrics = sbx_account_coll(acc, "metric");
	n = metrics ? json_object_array_length(metrics) : 0;
	for (i = 0; i < n; i++)
		if (sbx_topic_of(json_object_array_get_idx(metrics, i), t,
		    sizeof(t)) && strcmp(t, topic) == 0)
			return 1;
	return 0;
}

/*
 * By id first; else the first metric of that name, preferring the one
 * the store's orders use (Acme has a Shopify and an API Placed Order).
 */
struct json_object *
sbx_metric_lookup(const struct sbx_account *acc, const char *s)
{
	struct json_object	*metrics, *m, *at, *first = NULL;
	const char		*id, *name;
	size_t			 i, n;

	metrics = sbx_account_coll(acc, "metric");
	n = metrics ? json_object_array_length(metrics) : 0;
	for (i = 0; i < n; i++) {
		m = json_object_array_get_idx(metrics, i);
		if ((id = json_get_str(m, "id")) != NULL && strcmp(id, s) == 0)
			return m;
	}
	for (i = 0; i < n; i++) {
		m = json_object_array_get_idx(metrics, i);
		if (!json_object_object_get_ex(m, "attributes", &at) ||
		    (name = json_get_str(at, "name")) == NULL ||
		    strcmp(name, s) != 0)
			continue;
		if ((id = json_get_str(m, "id")) != NULL &&
		    strcmp(id, acc->order_metric) == 0)
			return m;
		if (first == NULL)
			first = m;
	}
	return first;
}
