/*
 * The pure halves of reading a Klaviyo answer (see klaviyo.h): one
 * header line's value, and one JSON:API page's data and links.next.
 * Kept apart from the curl transfer so they can be fuzzed on bytes.
 */
#include "klaviyo.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

void
kv_header_value(const char *line, size_t n, const char *name, char *out,
    size_t outlen)
{
	size_t nlen = strlen(name), vlen;

	if (outlen == 0 || n <= nlen || strncasecmp(line, name, nlen) != 0 ||
	    line[nlen] != ':')
		return;
	line += nlen + 1;
	n -= nlen + 1;
	while (n > 0 && (*line == ' ' || *line == '\t')) {
		line++;
		n--;
	}
	vlen = n;
	while (vlen > 0 && (line[vlen - 1] == '\r' || line[vlen - 1] == '\n'))
		vlen--;
	if (vlen >= outlen)
		vlen = outlen - 1;
	memcpy(out, line, vlen);
	out[vlen] = '\0';
}

int
kv_page_parse(const char *body, const char *base_url,
    struct json_object **data, char *next, size_t nextlen)
{
	struct json_object	*doc, *d, *links, *nx;
	enum json_tokener_error	 jerr;
	size_t			 i, n;
	const char		*s;
	int			 rc = KC_ERR_UPSTREAM;

	next[0] = '\0';
	doc = json_tokener_parse_verbose(body, &jerr);
	if (doc == NULL || !json_object_is_type(doc, json_type_object) ||
	    !json_object_object_get_ex(doc, "data", &d) ||
	    !(json_object_is_type(d, json_type_array) ||
	    json_object_is_type(d, json_type_object)))
		goto out;
	/* links.next first: a page that points elsewhere adds nothing. */
	if (json_object_object_get_ex(doc, "links", &links) &&
	    json_object_object_get_ex(links, "next", &nx) &&
	    json_object_is_type(nx, json_type_string)) {
		s = json_object_get_string(nx);
		/* Never send the key anywhere but Klaviyo's own origin. */
		if (!kv_same_origin(base_url, s) || strlen(s) >= nextlen)
			goto out;
		snprintf(next, nextlen, "%s", s);
	}
	rc = KC_ERR_NOMEM;
	if (*data == NULL && (*data = json_object_new_array()) == NULL)
		goto out;
	if (json_object_is_type(d, json_type_array)) {
		n = json_object_array_length(d);
		for (i = 0; i < n; i++)
			if (json_object_array_add(*data, json_object_get(
			    json_object_array_get_idx(d, i))) != 0)
				goto out;
	} else if (json_object_array_add(*data, json_object_get(d)) != 0)
		goto out;
	rc = KC_OK;
out:
	if (rc != KC_OK)
		next[0] = '\0';
	json_object_put(doc);
	return rc;
}
