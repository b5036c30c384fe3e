/*
 * JSON helpers over json-c: strict parsing of request bodies and
 * validation against a field table (kcgi's struct kvalid), so each
 * handler reads fields that are known to exist and have the right type.
 * Nothing here knows about Klaviyo.
 */
#ifndef KC_JSON_UTIL_H
#define KC_JSON_UTIL_H

#include <stddef.h>

#include <json-c/json.h>

#include "kc_err.h"

enum jf_type { JF_STRING, JF_BOOL, JF_INT, JF_STRING_ARRAY };

struct jfield {
	const char	*name;
	enum jf_type	 type;
	int		 required;
	size_t		 max;	/* string bytes or array items; 0: no cap */
};

/*
 * Parses a whole body as one JSON object: strict syntax, valid UTF-8,
 * nothing after it.  err gets a sentence for a person.
 */
int	json_parse_object(const char *, size_t, struct json_object **,
	    char *err, size_t errlen) KC_MUSTCHECK;
/* 1 when the bytes are strict UTF-8 (RFC 3629). */
int	json_utf8_valid(const char *, size_t);
/* Checks obj against the table: types, required fields, caps. */
int	json_check_fields(struct json_object *, const struct jfield *,
	    size_t, char *err, size_t errlen) KC_MUSTCHECK;
/* Borrowed string of a member, NULL when absent or not a string. */
const char *json_get_str(struct json_object *, const char *);
/* 1 when the member is boolean true. */
int	json_get_bool(struct json_object *, const char *);
/* Adds a string member; NULL adds JSON null. */
int	json_add_str(struct json_object *, const char *, const char *)
	    KC_MUSTCHECK;
int	json_add_int(struct json_object *, const char *, long long)
	    KC_MUSTCHECK;
int	json_add_bool(struct json_object *, const char *, int) KC_MUSTCHECK;
/* Adds val under key, taking ownership of val even on failure. */
int	json_add_obj(struct json_object *, const char *,
	    struct json_object *) KC_MUSTCHECK;

#endif
