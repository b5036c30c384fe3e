/*
 * The route table as dispatch.c matches it: the input is
 * "METHOD PATH" (path may hold anything, including NULs cut it short).
 */
/* layers: kcfcgi kccore kclib */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "router.h"
#include "routes.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct route	*r;
	struct route_params	 p;
	char			 allow[128], *s, *path;
	int			 i;

	if ((s = malloc(size + 1)) == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	if ((path = strchr(s, ' ')) != NULL)
		*path++ = '\0';
	else
		path = s + strlen(s);
	switch (router_match(routes, nroutes, s, path, &r, &p, allow,
	    sizeof(allow))) {
	case KC_OK:
		if (p.n < 0 || p.n > ROUTE_MAX_PARAMS)
			__builtin_trap();
		for (i = 0; i < p.n; i++)
			if (route_param(&p, p.names[i]) == NULL ||
			    strlen(p.values[i]) > ROUTE_PARAM_MAX)
				__builtin_trap();
		break;
	case KC_ERR_METHOD:
		if (allow[0] == '\0')
			__builtin_trap();
		break;
	default:
		break;
	}
	free(s);
	return 0;
}
