/* Strict JSON parsing and field-table validation; see json_util.h. */
#include "json_util.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "wipe.h"

#define JSON_MAX_DEPTH 32

/*
 * Strict RFC 3629 UTF-8: json-c lets overlong forms, surrogates and code
 * points above U+10FFFF through, which PostgreSQL then rejects.
 */
int
json_utf8_valid(const char *p, size_t n)
{
	const unsigned char	*s = (const unsigned char *)p;
	size_t			 i = 0, k, need;
	unsigned long		 cp, min;

	while (i < n) {
		if (s[i] < 0x80) {
			i++;
			continue;
		}
		if (s[i] >= 0xc2 && s[i] <= 0xdf) {
			need = 1;
			cp = s[i] & 0x1f;
			min = 0x80;
		} else if (s[i] >= 0xe0 && s[i] <= 0xef) {
			need = 2;
			cp = s[i] & 0x0f;
			min = 0x800;
		} else if (s[i] >= 0xf0 && s[i] <= 0xf4) {
			need = 3;
			cp = s[i] & 0x07;
			min = 0x10000;
		} else
			return 0;
		if (n - i <= need)
			return 0;
		for (k = 1; k <= need; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return 0;
			cp = cp << 6 | (s[i + k] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		i += need + 1;
	}
	return 1;
}

int
json_parse_object(const char *s, size_t len, struct json_object **out,
    char *err, size_t errlen)
{
	struct json_tokener	*tok;
	struct json_object	*obj;
	enum json_tokener_error	 jerr;
	size_t			 off;
	int			 rc = KC_ERR_BAD_INPUT;

	*out = NULL;
	if (len == 0) {
		snprintf(err, errlen, "Request body is empty; expected a "
		    "JSON object");
		return KC_ERR_BAD_INPUT;
	}
	if (len > (size_t)INT32_MAX) {
		snprintf(err, errlen, "Request body is too large");
		return KC_ERR_TOO_LARGE;
	}
	if (!json_utf8_valid(s, len)) {
		snprintf(err, errlen, "Request body is not valid UTF-8");
		return KC_ERR_BAD_INPUT;
	}
	if ((tok = json_tokener_new_ex(JSON_MAX_DEPTH)) == NULL)
		return KC_ERR_NOMEM;
	json_tokener_set_flags(tok,
	    JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	obj = json_tokener_parse_ex(tok, s, (int)len);
	jerr = json_tokener_get_error(tok);
	off = json_tokener_get_parse_end(tok);
	if (obj == NULL || jerr != json_tokener_success) {
		if (jerr == json_tokener_error_parse_utf8_string)
			snprintf(err, errlen, "Request body is not valid "
			    "UTF-8");
		else if (jerr == json_tokener_continue)
			snprintf(err, errlen, "Request body is not valid "
			    "JSON: it ends too early");
		else
			snprintf(err, errlen, "Request body is not valid "
			    "JSON: %s at byte %zu",
			    json_tokener_error_desc(jerr), off);
		goto out;
	}
	/* Only white space may follow the value. */
	for (; off < len; off++)
		if (s[off] == '\0' || strchr(" \t\r\n", s[off]) == NULL) {
			snprintf(err, errlen, "Request body has data after "
			    "the JSON value (byte %zu)", off);
			goto out;
		}
	if (!json_object_is_type(obj, json_type_object)) {
		snprintf(err, errlen, "Request body must be a JSON object");
		goto out;
	}
	*out = obj;
	obj = NULL;
	rc = KC_OK;
out:
	wipe_json_put(obj);
	/* Its buffer holds the last string read: a key, a token. */
	wipe_json_tokener(tok);
	json_tokener_free(tok);
	return rc;
}

static const char *
type_name(enum jf_type t)
{
	switch (t) {
	case JF_STRING:
		return "a string";
	case JF_BOOL:
		return "true or false";
	case JF_INT:
		return "an integer";
	case JF_STRING_ARRAY:
		return "an array of strings";
	}
	return "?";
}

static int
string_ok(struct json_object *v, size_t max)
{
	int len = json_object_get_string_len(v);

	/* An embedded NUL would make C see a different string. */
	if (strlen(json_object_get_string(v)) != (size_t)len)
		return 0;
	/* "\ud800" escapes decode to bytes no database accepts. */
	if (!json_utf8_valid(json_object_get_string(v), (size_t)len))
		return 0;
	return max == 0 || (size_t)len <= max;
}

int
json_check_fields(struct json_object *obj, const struct jfield *f, size_t n,
    char *err, size_t errlen)
{
	struct json_object	*v, *item;
	size_t			 i, j, alen;
	int			 ok;

	for (i = 0; i < n; i++) {
		if (!json_object_object_get_ex(obj, f[i].name, &v) ||
		    json_object_is_type(v, json_type_null)) {
			if (f[i].required) {
				snprintf(err, errlen, "Field '%s' is "
				    "required", f[i].name);
				return KC_ERR_BAD_INPUT;
			}
			continue;
		}
		switch (f[i].type) {
		case JF_STRING:
			ok = json_object_is_type(v, json_type_string);
			if (ok && !string_ok(v, f[i].max)) {
				snprintf(err, errlen, "Field '%s' is longer "
				    "than %zu bytes or contains a NUL",
				    f[i].name, f[i].max);
				return KC_ERR_BAD_INPUT;
			}
			break;
		case JF_BOOL:
			ok = json_object_is_type(v, json_type_boolean);
			break;
		case JF_INT:
			ok = json_object_is_type(v, json_type_int);
			break;
		case JF_STRING_ARRAY:
			ok = json_object_is_type(v, json_type_array);
			if (!ok)
				break;
			alen = json_object_array_length(v);
			if (f[i].max && alen > f[i].max) {
				snprintf(err, errlen, "Field '%s' has more "
				    "than %zu items", f[i].name, f[i].max);
				return KC_ERR_BAD_INPUT;
			}
			for (j = 0; j < alen && ok; j++) {
				item = json_object_array_get_idx(v, j);
				ok = json_object_is_type(item,
				    json_type_string) && string_ok(item, 256);
			}
			break;
		default:
			ok = 0;
		}
		if (!ok) {
			snprintf(err, errlen, "Field '%s' must be %s",
			    f[i].name, type_name(f[i].type));
			return KC_ERR_BAD_INPUT;
		}
	}
	return KC_OK;
}

const char *
json_get_str(struct json_object *obj, const char *key)
{
	struct json_object *v;

	if (obj == NULL || !json_object_object_get_ex(obj, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

int
json_get_bool(struct json_object *obj, const char *key)
{
	struct json_object *v;

	if (obj == NULL || !json_object_object_get_ex(obj, key, &v) ||
	    !json_object_is_type(v, json_type_boolean))
		return 0;
	return json_object_get_boolean(v);
}

int
json_add_obj(struct json_object *obj, const char *key,
    struct json_object *val)
{
	if (json_object_object_add(obj, key, val) != 0) {
		json_object_put(val);
		return KC_ERR_NOMEM;
	}
	return KC_OK;
}

int
json_add_str(struct json_object *obj, const char *key, const char *s)
{
	struct json_object *v = NULL;

	if (s != NULL && (v = json_object_new_string(s)) == NULL)
		return KC_ERR_NOMEM;
	return json_add_obj(obj, key, v);
}

int
json_add_int(struct json_object *obj, const char *key, long long n)
{
	struct json_object *v;

	if ((v = json_object_new_int64(n)) == NULL)
		return KC_ERR_NOMEM;
	return json_add_obj(obj, key, v);
}

int
json_add_bool(struct json_object *obj, const char *key, int b)
{
	struct json_object *v;

	if ((v = json_object_new_boolean(b)) == NULL)
		return KC_ERR_NOMEM;
	return json_add_obj(obj, key, v);
}
