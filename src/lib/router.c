/* Route matching; see router.h. */
#include "router.h"

#include <stdio.h>
#include <string.h>

#include "crypto.h"

/* 1 when path fits pattern; parameters go to p. */
static int
match_one(const char *pat, const char *path, struct route_params *p)
{
	const char	*e;
	size_t		 n, vlen;

	p->n = 0;
	while (*pat && *path) {
		if (*pat == '{') {
			if ((e = strchr(pat, '}')) == NULL ||
			    p->n == ROUTE_MAX_PARAMS)
				return 0;
			n = (size_t)(e - pat - 1);
			vlen = crypto_b64url_span(path);
			if (vlen == 0 || vlen > ROUTE_PARAM_MAX ||
			    n >= sizeof(p->names[0]))
				return 0;
			memcpy(p->names[p->n], pat + 1, n);
			p->names[p->n][n] = '\0';
			memcpy(p->values[p->n], path, vlen);
			p->values[p->n][vlen] = '\0';
			p->n++;
			pat = e + 1;
			path += vlen;
			continue;
		}
		if (*pat != *path)
			return 0;
		pat++;
		path++;
	}
	return *pat == '\0' && *path == '\0';
}

int
router_match(const struct route *rt, size_t n, const char *method,
    const char *path, const struct route **out, struct route_params *p,
    char *allow, size_t allowlen)
{
	struct route_params	 tmp;
	size_t			 i, used = 0;
	int			 path_found = 0, w, head, isget;

	*out = NULL;
	if (allowlen)
		allow[0] = '\0';
	memset(p, 0, sizeof(*p));
	/* HEAD is a GET without the body (RFC 9110 9.3.2). */
	head = strcmp(method, "HEAD") == 0;
	for (i = 0; i < n; i++) {
		if (!match_one(rt[i].pattern, path, &tmp))
			continue;
		isget = strcmp(rt[i].method, "GET") == 0;
		if (strcmp(rt[i].method, method) == 0 || (head && isget)) {
			*p = tmp;
			*out = &rt[i];
			return KC_OK;
		}
		path_found = 1;
		w = snprintf(allow + used, allowlen - used, "%s%s%s",
		    used ? ", " : "", rt[i].method, isget ? ", HEAD" : "");
		if (w > 0 && (size_t)w < allowlen - used)
			used += (size_t)w;
		else if (allowlen)
			allow[used] = '\0';	/* no half-written method */
	}
	return path_found ? KC_ERR_METHOD : KC_ERR_NOT_FOUND;
}

const char *
route_param(const struct route_params *p, const char *name)
{
	int i;

	for (i = 0; i < p->n; i++)
		if (strcmp(p->names[i], name) == 0)
			return p->values[i];
	return NULL;
}
