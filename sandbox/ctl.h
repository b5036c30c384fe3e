/*
 * The sandbox's control API under /__sandbox/ (no Klaviyo key needed):
 * faults switched on per key, path and count, the log of Klaviyo
 * requests received, rate-limit resets, health and the account list.
 */
#ifndef KC_SANDBOX_CTL_H
#define KC_SANDBOX_CTL_H

#include <stddef.h>
#include <stdint.h>

#include "kc_err.h"
#include "http.h"

#define SBX_FAULTS_MAX		256
#define SBX_LOG_MAX		4096

enum sbx_fault_type {
	SBX_F_NONE = 0,
	SBX_F_LATENCY,		/* answer normally after ms */
	SBX_F_STATUS,		/* answer status with an errors[] body */
	SBX_F_HANG,		/* never answer; close after ms */
	SBX_F_RESET,		/* close with RST */
	SBX_F_MALFORMED,	/* the normal body cut in half */
	SBX_F_CONTENT_TYPE,	/* the normal body as text/plain */
	SBX_F_HTML		/* 403 text/html from "the edge" */
};

struct sbx_fault {
	int			 id;
	char			 key[128];	/* "": any key */
	char			 method[8];	/* "": any method */
	char			 path[256];	/* "": any; "x*": prefix */
	enum sbx_fault_type	 type;
	long			 ms;
	int			 status;
	long			 count;		/* left; -1: forever */
	long			 hits;
};

struct sbx_log_entry {
	uint64_t	seq;
	char		time[32];
	char		method[16];
	char		path[256];
	char		query[512];
	char		auth[24];	/* Klaviyo-API-Key, Bearer, ... */
	char		key[12];	/* first 8 characters only */
	char		revision[40];
	char		accept[96];
	char		content_type[96];
	char		fault[16];
	char		account[8];	/* of the key or OAuth token */
	char		grant_type[32];	/* of an /oauth/token request */
	int		status;		/* 0: none sent (hang, reset) */
};

struct sbx_ctl;
struct sbx_app;

int	sbx_ctl_new(struct sbx_ctl **) KC_MUSTCHECK;
void	sbx_ctl_free(struct sbx_ctl *);
const char *sbx_fault_name(enum sbx_fault_type);
/*
 * The faults that apply to a request (key as sent, path normalized):
 * at most one latency and one other fault; their counts are used up.
 * A type of SBX_F_NONE means none.
 */
void	sbx_ctl_faults(struct sbx_ctl *, const char *key, const char *method,
	    const char *path, struct sbx_fault *latency,
	    struct sbx_fault *other);
/* Room for per-account, per-endpoint request counts. */
int	sbx_ctl_stats_init(struct sbx_ctl *, size_t naccounts,
	    size_t nendpoints) KC_MUSTCHECK;
/* Counts a Klaviyo request of a known key to a known endpoint. */
void	sbx_ctl_count(struct sbx_ctl *, size_t acc, size_t ep, int status,
	    int faulted);
/* Requests and 429s of an account at an endpoint since the last reset. */
void	sbx_ctl_stat(const struct sbx_ctl *, size_t acc, size_t ep,
	    uint32_t *requests, uint32_t *throttled);
/* Parses "X-Sandbox-Fault: status;status=503;ms=100". */
int	sbx_fault_parse_header(const char *, struct sbx_fault *)
	    KC_MUSTCHECK;
/* A fresh, zeroed log slot (the oldest is overwritten when full). */
struct sbx_log_entry *sbx_ctl_log_new(struct sbx_ctl *);
void	sbx_ctl_handle(struct sbx_app *, const struct sbx_req *,
	    struct sbx_resp *);

/* A control route: a path segment, a method and its handler. */
typedef void	(*sbx_ctl_fn)(struct sbx_app *, const struct sbx_req *,
		    struct sbx_resp *);
struct sbx_ctl_route {
	const char	*name;
	const char	*method;
	sbx_ctl_fn	 fn;
};
/*
 * Answers a control request for name with the route of its method,
 * else 405 when a route has the name, else 404.
 */
void	sbx_ctl_dispatch(struct sbx_app *, const struct sbx_req *,
	    struct sbx_resp *, const struct sbx_ctl_route *, size_t,
	    const char *name);
/* Control answers: o (taken; NULL is a 500), {key: msg}, {key: n}. */
struct json_object;
void	sbx_ctl_reply(struct sbx_resp *, int status, struct json_object *);
/* ctl_stats.c: GET and DELETE /__sandbox/stats. */
void	sbx_ctl_stats_list(struct sbx_app *, const struct sbx_req *,
	    struct sbx_resp *);
void	sbx_ctl_stats_clear(struct sbx_app *, const struct sbx_req *,
	    struct sbx_resp *);
void	sbx_ctl_reply_str(struct sbx_resp *, int status, const char *key,
	    const char *msg);
void	sbx_ctl_reply_int(struct sbx_resp *, const char *key, long long);

#endif
