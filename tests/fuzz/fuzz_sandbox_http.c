/*
 * The sandbox's HTTP request head parser: the input, cut at its first
 * "\r\n\r\n" as conn_process does, is parsed in place; every pointer
 * of the request must lie inside the head.
 */
/* layers: kcsandbox kclib */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
inside(const char *p, const char *head, size_t len)
{
	if (p < head || p > head + len)
		__builtin_trap();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sbx_req	 r;
	char		*head, *end;
	const char	*why = NULL;
	long long	 clen;
	size_t		 i, len;

	if ((end = memmem(data, size, "\r\n\r\n", 4)) == NULL)
		return 0;
	len = (size_t)(end - (const char *)data) + 4;
	if ((head = malloc(len + 1)) == NULL)
		return 0;
	memcpy(head, data, len);
	head[len] = '\0';
	memset(&r, 0, sizeof(r));
	if (sbx_parse_head(head, &r, &clen, &why) == KC_OK) {
		inside(r.method, head, len);
		inside(r.path, head, len);
		if (r.query[0] != '\0')
			inside(r.query, head, len);
		if (clen < 0 || r.nheaders > SBX_HEADERS_MAX)
			__builtin_trap();
		for (i = 0; i < r.nheaders; i++) {
			inside(r.headers[i].name, head, len);
			inside(r.headers[i].value, head, len);
		}
		(void)sbx_req_header(&r, "Host");
	} else if (why == NULL || why[0] == '\0')
		__builtin_trap();
	free(head);
	return 0;
}
