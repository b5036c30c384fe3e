/*
 * The header and query helpers of src/lib/http_req.c on one input split
 * at its first two newlines: a header value, a name to look for, and
 * the rest as the other side (an allowed origin).  Each copy must fit
 * its buffer and be NUL-terminated.
 */
/* layers: kclib */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http_req.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* The next '\n'-terminated piece of *s (s moves past it). */
static char *
piece(char **s)
{
	char *p = *s, *nl;

	if ((nl = strchr(p, '\n')) != NULL) {
		*nl = '\0';
		*s = nl + 1;
	} else
		*s = p + strlen(p);
	return p;
}

static void
check_copy(int rc, const char *out, size_t outlen)
{
	if (rc == KC_OK && strnlen(out, outlen) >= outlen)
		__builtin_trap();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	*s, *rest, *value, *name;
	char	 out[65], small[4];
	int	 rc;

	if ((s = malloc(size + 1)) == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	rest = s;
	value = piece(&rest);
	name = piece(&rest);

	rc = http_cookie_get(value, name, out, sizeof(out));
	check_copy(rc, out, sizeof(out));
	rc = http_cookie_get(value, "kc_session", small, sizeof(small));
	check_copy(rc, small, sizeof(small));
	rc = http_bearer_get(value, out, sizeof(out));
	check_copy(rc, out, sizeof(out));
	rc = http_bearer_get(value, small, sizeof(small));
	check_copy(rc, small, sizeof(small));
	rc = http_query_get(value, name, out, sizeof(out));
	check_copy(rc, out, sizeof(out));
	rc = http_query_get(value, "apiKey", small, sizeof(small));
	check_copy(rc, small, sizeof(small));
	(void)http_is_json_type(value);
	(void)http_origin_allowed(value, rest);
	(void)http_origin_allowed(value, "https://app.example.com");
	free(s);
	return 0;
}
