/*
 * A request body as dispatch.c reads it: strict JSON object parsing,
 * then every route's field table (login, connect, sync now) and the
 * report trigger's payload check, as the handlers would apply them.
 */
/* layers: kcfcgi kccore kclib */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "json_util.h"
#include "report.h"
#include "routes.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct json_object	*o;
	char			 err[256];

	if (json_parse_object((const char *)data, size, &o, err,
	    sizeof(err)) != KC_OK) {
		/* Every refusal says why, for the JSON error's message. */
		if (err[0] == '\0')
			__builtin_trap();
		return 0;
	}
	if (json_check_fields(o, login_fields, nlogin_fields, err,
	    sizeof(err)) == KC_OK) {
		(void)json_get_str(o, "email");
		(void)json_get_str(o, "password");
	}
	if (json_check_fields(o, connect_fields, nconnect_fields, err,
	    sizeof(err)) == KC_OK)
		(void)json_get_str(o, "apiKey");
	(void)json_check_fields(o, sync_fields, nsync_fields, err,
	    sizeof(err));
	(void)report_payload_check(o, err, sizeof(err));
	(void)json_get_bool(o, "full");
	json_object_put(o);
	return 0;
}
