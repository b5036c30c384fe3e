/*
 * Routes as a table (tmux cmd-*.c entries): method, path pattern with
 * {name} parameters, flags and handler.  Matching is exact: no trailing
 * slash, parameters are 1-64 of [A-Za-z0-9_-] (anything else is 404).
 */
#ifndef KC_ROUTER_H
#define KC_ROUTER_H

#include <stddef.h>

#include "kc_err.h"

#define RT_AUTH		0x01	/* needs a session */
#define RT_BODY		0x02	/* takes a JSON body */
#define RT_BODY_OPT	0x04	/* may take a JSON body */
#define RT_MUTATES	0x08	/* state-changing: CSRF rules apply */
#define RT_KLAVIYO	0x10	/* calls Klaviyo: capped, with a deadline */

#define ROUTE_MAX_PARAMS 4
#define ROUTE_PARAM_MAX 64

struct kc_ctx;

struct route {
	const char	*method;
	const char	*pattern;
	unsigned	 flags;
	int		(*handler)(struct kc_ctx *);
};

struct route_params {
	int		n;
	char		names[ROUTE_MAX_PARAMS][32];
	char		values[ROUTE_MAX_PARAMS][ROUTE_PARAM_MAX + 1];
};

/*
 * KC_OK with *out; KC_ERR_METHOD with allow filled ("GET, HEAD, POST");
 * KC_ERR_NOT_FOUND.  HEAD matches a GET route (the caller drops the body).
 */
int	router_match(const struct route *, size_t, const char *method,
	    const char *path, const struct route **out, struct route_params *,
	    char *allow, size_t allowlen) KC_MUSTCHECK;
const char *route_param(const struct route_params *, const char *);

#endif
