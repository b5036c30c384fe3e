/*
 * A small single-threaded HTTP/1.1 server on a poll() loop for
 * klaviyo-sandbox: keep-alive, pipelining, Content-Length bodies, capped
 * request sizes, many connections at once.  A handler answers each
 * request with a response that may be delayed, may hang the connection
 * without an answer, or may reset it; delays and hangs are timers of the
 * loop, never sleeps, so other clients are served meanwhile.
 * Nothing here knows about Klaviyo.
 */
#ifndef KC_SANDBOX_HTTP_H
#define KC_SANDBOX_HTTP_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "kc_err.h"

#define SBX_HEAD_MAX		(16 * 1024)	/* request line + headers */
#define SBX_BODY_MAX		(64 * 1024)
#define SBX_HEADERS_MAX		64
#define SBX_RESP_MAX		(8 * 1024 * 1024)
#define SBX_CONNS_MAX		4096
#define SBX_IDLE_US		(60ULL * 1000000)	/* keep-alive idle */

struct sbx_header {
	const char	*name;
	const char	*value;
};

/* A parsed request; every pointer is valid only during the handler. */
struct sbx_req {
	const char		*method;
	const char		*target;	/* path (the query split off) */
	const char		*path;		/* raw path, no query */
	const char		*query;		/* raw query, "" if none */
	int			 http_minor;
	struct sbx_header	 headers[SBX_HEADERS_MAX];
	size_t			 nheaders;
	const char		*body;
	size_t			 body_len;
	const char		*peer;
	uint64_t		 received_us;
};

enum sbx_action {
	SBX_ACT_SEND,		/* write the response */
	SBX_ACT_HANG,		/* say nothing; close after hang_ms */
	SBX_ACT_RESET		/* close with SO_LINGER 0 (RST) */
};

struct sbx_resp {
	int		 status;
	char		 content_type[96];
	struct buf	 headers;	/* extra "Name: value\r\n" lines */
	struct buf	 body;
	enum sbx_action	 action;
	long		 delay_ms;	/* before the action */
	long		 hang_ms;
	int		 close;		/* Connection: close afterwards */
};

typedef void	(*sbx_handler_fn)(void *, const struct sbx_req *,
		    struct sbx_resp *);

struct sbx_server;

/*
 * Parses a request head in place (head is a NUL-terminated copy that
 * ends with the empty line) into r and the Content-Length; on error,
 * *why names the problem.  Pure, so it can be fuzzed.
 */
int	sbx_parse_head(char *head, struct sbx_req *r, long long *clen,
	    const char **why) KC_MUSTCHECK;
/* Case-insensitive header lookup; NULL when absent. */
const char *sbx_req_header(const struct sbx_req *, const char *);
int	sbx_resp_header(struct sbx_resp *, const char *, const char *, ...)
	    KC_PRINTF(3, 4) KC_MUSTCHECK;
/* Replaces the body and content type. */
int	sbx_resp_set_body(struct sbx_resp *, int status, const char *ctype,
	    const char *, size_t) KC_MUSTCHECK;
const char *sbx_status_text(int);
uint64_t sbx_now_us(void);

/*
 * Binds "HOST:PORT" (port 0: any free port) and writes the address
 * actually bound to bound ("127.0.0.1:41234").
 */
int	sbx_server_new(const char *listen, struct sbx_server **,
	    char *bound, size_t boundlen) KC_MUSTCHECK;
/* Serves until *stop becomes non-zero (a signal handler sets it). */
int	sbx_server_run(struct sbx_server *, sbx_handler_fn, void *,
	    volatile sig_atomic_t *stop) KC_MUSTCHECK;
void	sbx_server_free(struct sbx_server *);

#endif
