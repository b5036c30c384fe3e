/*
 * poll()-driven HTTP/1.1 server for klaviyo-sandbox; see http.h.
 *
 * Each connection is a small state machine: READ (collect one request),
 * DELAY (a response waits for its timer), WRITE (drain the response),
 * HANG (no answer until the timer or the client gives up).  One request
 * per connection is in flight at a time; pipelined requests wait in the
 * input buffer.  All timers are deadlines the loop sleeps towards.
 */
#include "http.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>

#include "log.h"

enum conn_state { CS_READ, CS_DELAY, CS_WRITE, CS_HANG };

struct conn {
	int		 fd;
	enum conn_state	 state;
	struct buf	 in;
	struct buf	 out;
	size_t		 outoff;
	uint64_t	 deadline;
	int		 close_after;
	enum sbx_action	 act;
	long		 hang_ms;
	int		 sent_continue;
	char		 peer[INET6_ADDRSTRLEN + 8];
};

struct sbx_server {
	int		  lfd;
	struct conn	**conns;
	size_t		  nconns;
	size_t		  capconns;
	struct pollfd	 *pfds;
	size_t		  cappfds;
};

static const struct {
	int		 code;
	const char	*text;
} status_texts[] = {
	{ 100, "Continue" }, { 200, "OK" }, { 201, "Created" },
	{ 202, "Accepted" }, { 204, "No Content" }, { 302, "Found" },
	{ 400, "Bad Request" }, { 401, "Unauthorized" },
	{ 403, "Forbidden" }, { 404, "Not Found" },
	{ 405, "Method Not Allowed" }, { 406, "Not Acceptable" },
	{ 408, "Request Timeout" }, { 409, "Conflict" },
	{ 411, "Length Required" }, { 413, "Content Too Large" },
	{ 414, "URI Too Long" }, { 415, "Unsupported Media Type" },
	{ 422, "Unprocessable Content" }, { 429, "Too Many Requests" },
	{ 431, "Request Header Fields Too Large" },
	{ 500, "Internal Server Error" }, { 501, "Not Implemented" },
	{ 502, "Bad Gateway" }, { 503, "Service Unavailable" },
	{ 504, "Gateway Timeout" },
};

const char *
sbx_status_text(int code)
{
	size_t i;

	for (i = 0; i < sizeof(status_texts) / sizeof(status_texts[0]); i++)
		if (status_texts[i].code == code)
			return status_texts[i].text;
	return code >= 500 ? "Server Error" : code >= 400 ?
	    "Client Error" : "Unknown";
}

uint64_t
sbx_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000ULL +
	    (uint64_t)ts.tv_nsec / 1000ULL;
}

const char *
sbx_req_header(const struct sbx_req *r, const char *name)
{
	size_t i;

	for (i = 0; i < r->nheaders; i++)
		if (strcasecmp(r->headers[i].name, name) == 0)
			return r->headers[i].value;
	return NULL;
}

int
sbx_resp_header(struct sbx_resp *resp, const char *name, const char *fmt,
    ...)
{
	va_list	 ap;
	int	 rc;

	if ((rc = buf_printf(&resp->headers, "%s: ", name)) != KC_OK)
		return rc;
	va_start(ap, fmt);
	rc = buf_vprintf(&resp->headers, fmt, ap);
	va_end(ap);
	if (rc != KC_OK)
		return rc;
	return buf_puts(&resp->headers, "\r\n");
}

int
sbx_resp_set_body(struct sbx_resp *resp, int status, const char *ctype,
    const char *body, size_t len)
{
	resp->status = status;
	snprintf(resp->content_type, sizeof(resp->content_type), "%s",
	    ctype ? ctype : "");
	buf_reset(&resp->body);
	return buf_append(&resp->body, body, len);
}

static void
resp_init(struct sbx_resp *resp)
{
	memset(resp, 0, sizeof(*resp));
	resp->status = 500;
	buf_init(&resp->headers, SBX_HEAD_MAX);
	buf_init(&resp->body, SBX_RESP_MAX);
	resp->action = SBX_ACT_SEND;
}

static void
resp_free(struct sbx_resp *resp)
{
	buf_free(&resp->headers);
	buf_free(&resp->body);
}

static int
set_nonblock(int fd)
{
	int fl;

	if ((fl = fcntl(fd, F_GETFL)) == -1 ||
	    fcntl(fd, F_SETFL, fl | O_NONBLOCK) == -1)
		return KC_ERR_IO;
	return KC_OK;
}

int
sbx_server_new(const char *listen_addr, struct sbx_server **out,
    char *bound, size_t boundlen)
{
	struct sbx_server	*s = NULL;
	struct addrinfo		 hints, *ai = NULL;
	struct sockaddr_storage	 ss;
	socklen_t		 sslen = sizeof(ss);
	char			 host[256], port[16], hbuf[NI_MAXHOST];
	char			 pbuf[NI_MAXSERV];
	const char		*colon;
	size_t			 hlen;
	int			 one = 1, rc = KC_ERR_CONFIG, fd = -1;

	*out = NULL;
	if ((colon = strrchr(listen_addr, ':')) == NULL ||
	    (hlen = (size_t)(colon - listen_addr)) == 0 ||
	    hlen >= sizeof(host) || strlen(colon + 1) == 0 ||
	    strlen(colon + 1) >= sizeof(port)) {
		log_warnx("--listen wants HOST:PORT, got '%s'", listen_addr);
		return KC_ERR_CONFIG;
	}
	memcpy(host, listen_addr, hlen);
	host[hlen] = '\0';
	if (host[0] == '[' && hlen > 2 && host[hlen - 1] == ']') {
		memmove(host, host + 1, hlen - 2);
		host[hlen - 2] = '\0';
	}
	snprintf(port, sizeof(port), "%s", colon + 1);
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	if (getaddrinfo(host, port, &hints, &ai) != 0 || ai == NULL) {
		log_warnx("cannot resolve listen address '%s'", listen_addr);
		goto out;
	}
	rc = KC_ERR_IO;
	if ((fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
	    ai->ai_protocol)) == -1) {
		log_warn("socket");
		goto out;
	}
	(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, ai->ai_addr, ai->ai_addrlen) == -1) {
		log_warn("bind %s", listen_addr);
		goto out;
	}
	if (listen(fd, 511) == -1 || set_nonblock(fd) != KC_OK) {
		log_warn("listen %s", listen_addr);
		goto out;
	}
	if (getsockname(fd, (struct sockaddr *)&ss, &sslen) == -1 ||
	    getnameinfo((struct sockaddr *)&ss, sslen, hbuf, sizeof(hbuf),
	    pbuf, sizeof(pbuf), NI_NUMERICHOST | NI_NUMERICSERV) != 0) {
		log_warn("getsockname");
		goto out;
	}
	if (ss.ss_family == AF_INET6)
		snprintf(bound, boundlen, "[%s]:%s", hbuf, pbuf);
	else
		snprintf(bound, boundlen, "%s:%s", hbuf, pbuf);
	rc = KC_ERR_NOMEM;
	if ((s = calloc(1, sizeof(*s))) == NULL)
		goto out;
	s->lfd = fd;
	fd = -1;
	*out = s;
	rc = KC_OK;
out:
	if (fd != -1)
		close(fd);
	if (ai)
		freeaddrinfo(ai);
	return rc;
}

static void
conn_free(struct conn *c)
{
	if (c == NULL)
		return;
	if (c->fd != -1)
		close(c->fd);
	buf_free(&c->in);
	buf_free(&c->out);
	free(c);
}

static void
conn_reset(struct conn *c)
{
	struct linger lg = { 1, 0 };

	(void)setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	close(c->fd);
	c->fd = -1;
}

static void
accept_all(struct sbx_server *s, uint64_t now)
{
	struct sockaddr_storage	 ss;
	socklen_t		 sslen;
	struct conn		*c, **nc;
	char			 h[INET6_ADDRSTRLEN], p[8];
	int			 fd, one = 1;
	size_t			 ncap;

	for (;;) {
		sslen = sizeof(ss);
		fd = accept4(s->lfd, (struct sockaddr *)&ss, &sslen,
		    SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd == -1) {
			if (errno != EAGAIN && errno != EWOULDBLOCK &&
			    errno != EINTR && errno != ECONNABORTED)
				log_warn("accept");
			return;
		}
		if (s->nconns >= SBX_CONNS_MAX) {
			log_warnx("too many connections, refusing one");
			close(fd);
			continue;
		}
		if (s->nconns == s->capconns) {
			ncap = s->capconns ? s->capconns * 2 : 64;
			if ((nc = realloc(s->conns, ncap * sizeof(*nc))) ==
			    NULL) {
				close(fd);
				return;
			}
			s->conns = nc;
			s->capconns = ncap;
		}
		if ((c = calloc(1, sizeof(*c))) == NULL) {
			close(fd);
			return;
		}
		(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one,
		    sizeof(one));
		c->fd = fd;
		c->state = CS_READ;
		c->deadline = now + SBX_IDLE_US;
		buf_init(&c->in, SBX_HEAD_MAX + SBX_BODY_MAX);
		buf_init(&c->out, SBX_RESP_MAX + SBX_HEAD_MAX);
		if (getnameinfo((struct sockaddr *)&ss, sslen, h, sizeof(h),
		    p, sizeof(p), NI_NUMERICHOST | NI_NUMERICSERV) == 0)
			snprintf(c->peer, sizeof(c->peer), "%s:%s", h, p);
		s->conns[s->nconns++] = c;
	}
}

/* 1 when the comma-separated header value lists token. */
static int
header_has_token(const char *v, const char *token)
{
	size_t	 tl = strlen(token);
	const char *p = v;

	while (p && *p) {
		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		if (strncasecmp(p, token, tl) == 0 &&
		    (p[tl] == '\0' || p[tl] == ',' || p[tl] == ' ' ||
		    p[tl] == '\t' || p[tl] == ';'))
			return 1;
		p = strchr(p, ',');
	}
	return 0;
}

static char *
trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
		*--e = '\0';
	return s;
}

int
sbx_parse_head(char *head, struct sbx_req *r, long long *clen,
    const char **why)
{
	char		*line, *next, *sp1, *sp2, *colon, *q, *end;
	const char	*v;
	long long	 n;

	*clen = 0;
	line = head;
	if ((next = strstr(line, "\r\n")) == NULL) {
		*why = "Malformed request line";
		return KC_ERR_BAD_INPUT;
	}
	*next = '\0';
	next += 2;
	if ((sp1 = strchr(line, ' ')) == NULL ||
	    (sp2 = strchr(sp1 + 1, ' ')) == NULL ||
	    strchr(sp2 + 1, ' ') != NULL) {
		*why = "Malformed request line";
		return KC_ERR_BAD_INPUT;
	}
	*sp1 = '\0';
	*sp2 = '\0';
	r->method = line;
	r->target = sp1 + 1;
	if (strcmp(sp2 + 1, "HTTP/1.1") == 0)
		r->http_minor = 1;
	else if (strcmp(sp2 + 1, "HTTP/1.0") == 0)
		r->http_minor = 0;
	else {
		*why = "Unsupported HTTP version";
		return KC_ERR_BAD_INPUT;
	}
	if (r->method[0] == '\0' || r->target[0] != '/') {
		*why = "Request target must be an absolute path";
		return KC_ERR_BAD_INPUT;
	}
	r->nheaders = 0;
	for (line = next; *line != '\0'; line = next) {
		if ((next = strstr(line, "\r\n")) == NULL)
			break;
		*next = '\0';
		next += 2;
		if (*line == '\0')
			break;
		if (*line == ' ' || *line == '\t') {
			*why = "Obsolete header line folding";
			return KC_ERR_BAD_INPUT;
		}
		if ((colon = strchr(line, ':')) == NULL || colon == line) {
			*why = "Malformed header line";
			return KC_ERR_BAD_INPUT;
		}
		*colon = '\0';
		if (strpbrk(line, " \t") != NULL) {
			*why = "White space in a header name";
			return KC_ERR_BAD_INPUT;
		}
		if (r->nheaders == SBX_HEADERS_MAX) {
			*why = "Too many header lines";
			return KC_ERR_TOO_LARGE;
		}
		r->headers[r->nheaders].name = line;
		r->headers[r->nheaders].value = trim(colon + 1);
		r->nheaders++;
	}
	if ((v = sbx_req_header(r, "Transfer-Encoding")) != NULL) {
		*why = "Transfer-Encoding is not supported; send "
		    "Content-Length";
		return KC_ERR_MEDIA_TYPE;
	}
	if ((v = sbx_req_header(r, "Content-Length")) != NULL) {
		errno = 0;
		n = strtoll(v, &end, 10);
		if (errno != 0 || end == v || *end != '\0' || n < 0) {
			*why = "Invalid Content-Length";
			return KC_ERR_BAD_INPUT;
		}
		*clen = n;
	}
	/* Split the target; the handler sees the raw path and query. */
	r->path = r->target;
	r->query = "";
	if ((q = strchr(sp1 + 1, '?')) != NULL) {
		*q = '\0';
		r->query = q + 1;
	}
	return KC_OK;
}

static int
append_date(struct buf *b)
{
	char		 ts[64];
	time_t		 t = time(NULL);
	struct tm	 tm;

	gmtime_r(&t, &tm);
	strftime(ts, sizeof(ts), "%a, %d %b %Y %H:%M:%S GMT", &tm);
	return buf_printf(b, "Date: %s\r\n", ts);
}

/* Serializes resp into c->out. */
static int
conn_queue(struct conn *c, const struct sbx_resp *resp, int head_only)
{
	int rc;

	buf_reset(&c->out);
	c->outoff = 0;
	if ((rc = buf_printf(&c->out, "HTTP/1.1 %d %s\r\n", resp->status,
	    sbx_status_text(resp->status))) != KC_OK ||
	    (rc = append_date(&c->out)) != KC_OK ||
	    (rc = buf_puts(&c->out, "Server: klaviyo-sandbox\r\n")) != KC_OK)
		return rc;
	if (resp->content_type[0] != '\0' && (rc = buf_printf(&c->out,
	    "Content-Type: %s\r\n", resp->content_type)) != KC_OK)
		return rc;
	/* A 204 has no body and so no Content-Length (RFC 9110 8.6). */
	if (resp->status != 204 && (rc = buf_printf(&c->out,
	    "Content-Length: %zu\r\n", resp->body.len)) != KC_OK)
		return rc;
	if ((rc = buf_printf(&c->out, "Connection: %s\r\n",
	    c->close_after ? "close" : "keep-alive")) != KC_OK ||
	    (rc = buf_append(&c->out, buf_cstr(&resp->headers),
	    resp->headers.len)) != KC_OK ||
	    (rc = buf_puts(&c->out, "\r\n")) != KC_OK)
		return rc;
	if (!head_only && (rc = buf_append(&c->out, buf_cstr(&resp->body),
	    resp->body.len)) != KC_OK)
		return rc;
	return KC_OK;
}

/* Moves the connection to its response (or delay, hang, reset). */
static void
conn_start(struct conn *c, const struct sbx_resp *resp, int head_only,
    uint64_t now)
{
	if (resp->close)
		c->close_after = 1;
	c->act = resp->action;
	c->hang_ms = resp->hang_ms;
	if (c->act == SBX_ACT_SEND && conn_queue(c, resp, head_only) !=
	    KC_OK) {
		log_warnx("cannot build a response; closing %s", c->peer);
		c->act = SBX_ACT_RESET;
	}
	if (resp->delay_ms > 0) {
		c->state = CS_DELAY;
		c->deadline = now + (uint64_t)resp->delay_ms * 1000ULL;
		return;
	}
	c->state = CS_DELAY;
	c->deadline = now;	/* acted on below, in the same pass */
}

static void
http_error(struct conn *c, int status, const char *detail, uint64_t now)
{
	struct sbx_resp	 resp;
	char		 body[512];
	int		 n;

	resp_init(&resp);
	n = snprintf(body, sizeof(body), "{\"errors\":[{\"id\":"
	    "\"00000000-0000-4000-8000-000000000000\",\"status\":%d,"
	    "\"code\":\"invalid\",\"title\":\"Invalid request.\","
	    "\"detail\":\"%s\"}]}", status, detail);
	if (n < 0 || (size_t)n >= sizeof(body) ||
	    sbx_resp_set_body(&resp, status, "application/vnd.api+json",
	    body, (size_t)n) != KC_OK)
		resp.action = SBX_ACT_RESET;
	resp.close = 1;
	conn_start(c, &resp, 0, now);
	resp_free(&resp);
}

/* Parses and answers one buffered request when it is complete. */
static void
conn_process(struct conn *c, sbx_handler_fn fn, void *arg, uint64_t now)
{
	struct sbx_req	 req;
	struct sbx_resp	 resp;
	char		*head = NULL, *end;
	const char	*why = "", *v;
	size_t		 headlen, skip = 0, total;
	long long	 clen;
	int		 rc, keep;

	if (c->state != CS_READ)
		return;
	/* RFC 9112 2.2: ignore empty lines before a request line. */
	while (skip + 1 < c->in.len && c->in.data[skip] == '\r' &&
	    c->in.data[skip + 1] == '\n')
		skip += 2;
	if (skip > 0) {
		memmove(c->in.data, c->in.data + skip, c->in.len - skip);
		c->in.len -= skip;
		c->in.data[c->in.len] = '\0';
	}
	if (c->in.len == 0)
		return;
	end = memmem(c->in.data, c->in.len, "\r\n\r\n", 4);
	if (end == NULL) {
		if (c->in.len > SBX_HEAD_MAX)
			http_error(c, 431, "Request head is larger than 16 KiB",
			    now);
		return;
	}
	headlen = (size_t)(end - c->in.data) + 4;
	if (headlen > SBX_HEAD_MAX) {
		http_error(c, 431, "Request head is larger than 16 KiB", now);
		return;
	}
	if ((head = malloc(headlen + 1)) == NULL) {
		http_error(c, 500, "Out of memory", now);
		return;
	}
	memcpy(head, c->in.data, headlen);
	head[headlen] = '\0';
	memset(&req, 0, sizeof(req));
	rc = sbx_parse_head(head, &req, &clen, &why);
	if (rc == KC_ERR_TOO_LARGE) {
		http_error(c, 431, why, now);
		goto out;
	} else if (rc == KC_ERR_MEDIA_TYPE) {
		http_error(c, 501, why, now);
		goto out;
	} else if (rc != KC_OK) {
		http_error(c, 400, why, now);
		goto out;
	}
	if (clen > SBX_BODY_MAX) {
		http_error(c, 413, "Request body is larger than 64 KiB", now);
		goto out;
	}
	total = headlen + (size_t)clen;
	if (c->in.len < total) {
		v = sbx_req_header(&req, "Expect");
		if (v && strcasecmp(v, "100-continue") == 0 &&
		    !c->sent_continue) {
			c->sent_continue = 1;
			(void)send(c->fd, "HTTP/1.1 100 Continue\r\n\r\n", 25,
			    MSG_NOSIGNAL);
		}
		goto out;
	}
	c->sent_continue = 0;
	req.body = c->in.data + headlen;
	req.body_len = (size_t)clen;
	req.peer = c->peer;
	req.received_us = now;
	v = sbx_req_header(&req, "Connection");
	if (req.http_minor == 0)
		keep = v != NULL && header_has_token(v, "keep-alive");
	else
		keep = v == NULL || !header_has_token(v, "close");
	c->close_after = !keep;

	resp_init(&resp);
	fn(arg, &req, &resp);
	conn_start(c, &resp, strcmp(req.method, "HEAD") == 0, now);
	resp_free(&resp);

	memmove(c->in.data, c->in.data + total, c->in.len - total);
	c->in.len -= total;
	c->in.data[c->in.len] = '\0';
out:
	free(head);
}

/* Reads what is there; 0 when the peer closed or failed. */
static int
conn_read(struct conn *c)
{
	char	 tmp[16384];
	ssize_t	 n;

	for (;;) {
		n = recv(c->fd, tmp, sizeof(tmp), 0);
		if (n > 0) {
			if (buf_append(&c->in, tmp, (size_t)n) != KC_OK)
				return 0;	/* over the cap: give up */
			if ((size_t)n < sizeof(tmp))
				return 1;
			continue;
		}
		if (n == 0)
			return 0;
		if (errno == EINTR)
			continue;
		return errno == EAGAIN || errno == EWOULDBLOCK;
	}
}

/* Writes what it can; 0 on error, 1 otherwise. */
static int
conn_write(struct conn *c)
{
	ssize_t n;

	while (c->outoff < c->out.len) {
		n = send(c->fd, c->out.data + c->outoff,
		    c->out.len - c->outoff, MSG_NOSIGNAL);
		if (n > 0) {
			c->outoff += (size_t)n;
			continue;
		}
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 1;
		return 0;
	}
	return 1;
}

/*
 * Advances one connection after poll; returns 0 when it should be
 * closed and freed.
 */
static int
conn_step(struct conn *c, short revents, sbx_handler_fn fn, void *arg,
    uint64_t now)
{
	if (c->fd == -1)
		return 0;
	if (revents & (POLLERR | POLLNVAL))
		return 0;
	switch (c->state) {
	case CS_READ:
		if (revents & (POLLIN | POLLHUP)) {
			if (!conn_read(c))
				return 0;
			c->deadline = now + SBX_IDLE_US;
			conn_process(c, fn, arg, now);
		} else if (now >= c->deadline)
			return 0;
		break;
	case CS_DELAY:
	case CS_HANG:
		/* Keep reading so a client that gives up is noticed. */
		if ((revents & (POLLIN | POLLHUP)) && !conn_read(c))
			return 0;
		break;
	case CS_WRITE:
		break;
	}
	if (c->state == CS_DELAY && now >= c->deadline) {
		switch (c->act) {
		case SBX_ACT_RESET:
			conn_reset(c);
			return 0;
		case SBX_ACT_HANG:
			c->state = CS_HANG;
			c->deadline = now + (uint64_t)(c->hang_ms > 0 ?
			    c->hang_ms : 300000) * 1000ULL;
			return 1;
		case SBX_ACT_SEND:
			c->state = CS_WRITE;
			break;
		}
	}
	if (c->state == CS_HANG && now >= c->deadline)
		return 0;
	if (c->state == CS_WRITE) {
		if (!conn_write(c))
			return 0;
		if (c->outoff == c->out.len) {
			if (c->close_after) {
				shutdown(c->fd, SHUT_WR);
				return 0;
			}
			buf_reset(&c->out);
			c->outoff = 0;
			c->state = CS_READ;
			c->deadline = now + SBX_IDLE_US;
			conn_process(c, fn, arg, now);
			/* An immediate answer to a pipelined request. */
			if (c->state == CS_DELAY && c->deadline <= now)
				return conn_step(c, 0, fn, arg, now);
		}
	}
	return 1;
}

int
sbx_server_run(struct sbx_server *s, sbx_handler_fn fn, void *arg,
    volatile sig_atomic_t *stop)
{
	sigset_t	 block, waitmask;
	struct pollfd	*npf;
	struct timespec	 ts, *tsp;
	uint64_t	 now, next;
	size_t		 i, j, n, ncap;
	int		 rc = KC_OK, pr;

	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigprocmask(SIG_BLOCK, &block, &waitmask);
	sigdelset(&waitmask, SIGTERM);
	sigdelset(&waitmask, SIGINT);
	while (!*stop) {
		n = s->nconns + 1;
		if (n > s->cappfds) {
			ncap = n + 64;
			if ((npf = realloc(s->pfds, ncap * sizeof(*npf))) ==
			    NULL) {
				rc = KC_ERR_NOMEM;
				break;
			}
			s->pfds = npf;
			s->cappfds = ncap;
		}
		now = sbx_now_us();
		next = UINT64_MAX;
		s->pfds[0].fd = s->lfd;
		s->pfds[0].events = POLLIN;
		s->pfds[0].revents = 0;
		for (i = 0; i < s->nconns; i++) {
			struct conn *c = s->conns[i];

			s->pfds[i + 1].fd = c->fd;
			s->pfds[i + 1].revents = 0;
			s->pfds[i + 1].events = c->state == CS_WRITE ?
			    POLLOUT : POLLIN;
			if (c->state != CS_WRITE && c->deadline < next)
				next = c->deadline;
		}
		tsp = NULL;
		if (next != UINT64_MAX) {
			next = next > now ? next - now : 0;
			ts.tv_sec = (time_t)(next / 1000000ULL);
			ts.tv_nsec = (long)(next % 1000000ULL) * 1000L;
			tsp = &ts;
		}
		pr = ppoll(s->pfds, n, tsp, &waitmask);
		if (pr == -1 && errno != EINTR) {
			log_warn("ppoll");
			rc = KC_ERR_IO;
			break;
		}
		if (*stop)
			break;
		now = sbx_now_us();
		for (i = 0, j = 0; i < s->nconns; i++) {
			struct conn *c = s->conns[i];
			short re = pr > 0 ? s->pfds[i + 1].revents : 0;

			if (!conn_step(c, re, fn, arg, now)) {
				conn_free(c);
				continue;
			}
			s->conns[j++] = c;
		}
		s->nconns = j;
		if (pr > 0 && (s->pfds[0].revents & POLLIN))
			accept_all(s, now);
	}
	sigprocmask(SIG_SETMASK, &waitmask, NULL);
	sigprocmask(SIG_UNBLOCK, &block, NULL);
	return rc;
}

void
sbx_server_free(struct sbx_server *s)
{
	size_t i;

	if (s == NULL)
		return;
	for (i = 0; i < s->nconns; i++)
		conn_free(s->conns[i]);
	free(s->conns);
	free(s->pfds);
	if (s->lfd != -1)
		close(s->lfd);
	free(s);
}
