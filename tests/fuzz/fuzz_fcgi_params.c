/*
 * FastCGI params as the worker hands them to http_req_parse(): the
 * input's lines are the environment ("NAME=value"), as libfcgi builds
 * envp from the params records.  The parsed request must hold a path
 * that fits and starts with '/', and a request id of the allowed shape.
 */
/* layers: kclib */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http_req.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define ENV_MAX 64

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct http_req	 r;
	char		*s, *p, *nl, *envp[ENV_MAX + 1];
	const char	*cookie;
	char		 out[65];
	size_t		 n = 0, i;

	if ((s = malloc(size + 1)) == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	for (p = s; *p && n < ENV_MAX; p = nl + 1) {
		envp[n++] = p;
		if ((nl = strchr(p, '\n')) == NULL)
			break;
		*nl = '\0';
	}
	envp[n] = NULL;
	if (http_req_parse(&r, envp) == KC_OK) {
		if (r.path[0] != '/' || strlen(r.path) > HTTP_PATH_MAX ||
		    r.query == NULL || r.method == NULL)
			__builtin_trap();
		if ((cookie = http_req_param(&r, "HTTP_COOKIE")) != NULL)
			(void)http_cookie_get(cookie, "kc_session", out,
			    sizeof(out));
		(void)http_query_get(r.query, "apiKey", out, sizeof(out));
	}
	for (i = 0; r.request_id[i]; i++)
		if (i >= HTTP_REQUEST_ID_MAX || r.request_id[i] == '\n')
			__builtin_trap();
	http_req_free(&r);
	free(s);
	return 0;
}
