/* The FastCGI request loop of one worker; see worker.h. */
#include "worker.h"

#include <errno.h>
#include <limits.h>
#include <fcgiapp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>

#include "clock.h"
#include "crypto.h"
#include "db.h"
#include "dispatch.h"
#include "fcgi_wipe.h"
#include "heartbeat.h"
#include "klaviyo.h"
#include "log.h"
#include "oauth.h"
#include "opstats.h"
#include "readcache.h"
#include "reload.h"
#include "routes.h"
#include "sighup.h"
#include "wipe.h"

static volatile sig_atomic_t stopping;

/*
 * Only a flag: FCGX_ShutdownPending would make libfcgi fail the reads
 * of a request in flight.
 */
static void
on_term(int sig)
{
	(void)sig;
	stopping = 1;
}

/*
 * An idle worker's accept() gives up after HEARTBEAT_SECONDS, so the
 * heartbeat is written on time without a timer signal.  A timeout on the
 * listening socket also makes a signal end accept() (EINTR) even with
 * SA_RESTART, while every call inside a request is restarted: no signal
 * needs blocking around a request.  Accepted unix sockets do not inherit
 * it.
 */
static void
accept_timeout(int listen_fd)
{
	struct timeval tv = { HEARTBEAT_SECONDS, 0 };

	if (setsockopt(listen_fd, SOL_SOCKET, SO_RCVTIMEO, &tv,
	    sizeof(tv)) == -1)
		log_warn("SO_RCVTIMEO; the heartbeat waits for requests");
}

static int
read_body(struct kc_ctx *ctx, size_t len)
{
	FCGX_Request	*fr = ctx->io;
	int		 n;

	if ((ctx->req->body = malloc(len + 1)) == NULL)
		return KC_ERR_NOMEM;
	n = FCGX_GetStr(ctx->req->body, (int)len, fr->in);
	if (n < 0 || (size_t)n != len) {
		crypto_wipe(ctx->req->body, len + 1);	/* body_len is 0 */
		return KC_ERR_BAD_INPUT;
	}
	ctx->req->body[len] = '\0';
	ctx->req->body_len = len;
	return KC_OK;
}

static int
stream(struct kc_ctx *ctx, const char *data, size_t len)
{
	FCGX_Request	*fr = ctx->io;
	struct buf	 head;
	int		 rc = KC_OK;

	if (!ctx->resp->streamed) {
		buf_init(&head, 16 * 1024);
		if (http_resp_header(ctx->resp, "X-Request-Id", "%s",
		    ctx->req->request_id) != KC_OK ||
		    http_resp_format_stream_head(ctx->resp, &head) != KC_OK)
			rc = KC_ERR_INTERNAL;
		else if (FCGX_PutStr(head.data, (int)head.len, fr->out) < 0)
			rc = KC_ERR_IO;
		buf_free(&head);
		if (rc != KC_OK)
			return rc;
		/* From here the handler's answer is on the wire. */
		ctx->resp->streamed = 1;
	}
	if (len == 0 || strcmp(ctx->req->method, "HEAD") == 0)
		return KC_OK;
	if (len > INT_MAX || FCGX_PutStr(data, (int)len, fr->out) < 0)
		return KC_ERR_IO;
	return KC_OK;
}

static double
elapsed_ms(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) * 1e3 +
	    (double)(t1.tv_nsec - t0->tv_nsec) / 1e6;
}

/*
 * FCGX_Finish_r shuts the socket down and waits, up to libfcgi's poll
 * timeout, for nginx to close its end: input left unread would otherwise
 * reset the connection under the answer.  When everything nginx sent has
 * been read (the empty STDIN record ends every request, with or without
 * a body), nothing can, and that wait is a sleep and three system calls
 * a request: FCGX_Detach makes FCGX_Finish_r just close.  Checked before
 * the input buffer is wiped.
 */
static void
close_without_linger(FCGX_Request *fr)
{
	if (FCGX_HasSeenEOF(fr->in) == EOF || (FCGX_GetChar(fr->in) == EOF &&
	    FCGX_HasSeenEOF(fr->in) == EOF && FCGX_GetError(fr->in) == 0))
		(void)FCGX_Detach(fr);
}

struct worker {
	const struct kc_config	*cfg;
	const char		*app_origin;
	const struct keyring	*keyring;
	struct db		*db;
	struct kv_client	*kv;
	const struct oauth_client *oauth;	/* NULL: OAuth is off */
	struct readcache	*cache;		/* NULL: off */
};

static void
handle(FCGX_Request *fr, const struct worker *w)
{
	struct http_req		 req;
	struct http_resp	 resp;
	struct kc_ctx		 ctx;
	struct buf		 out;
	struct timespec		 t0;
	char			 path[256], method[16];
	double			 ms;
	int			 rc;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	http_resp_init(&resp);
	buf_init(&out, 4 * 1024 * 1024);
	memset(&ctx, 0, sizeof(ctx));
	rc = http_req_parse(&req, fr->envp);
	log_set_request_id(req.request_id);
	ctx.cfg = w->cfg;
	ctx.app_origin = w->app_origin;
	ctx.db = w->db;
	ctx.keyring = w->keyring;
	ctx.kv = w->kv;
	ctx.oauth = w->oauth;
	ctx.cache = w->cache;
	if (w->cache)
		readcache_request(w->cache);
	ctx.req = &req;
	ctx.resp = &resp;
	ctx.read_body = read_body;
	ctx.stream = stream;
	ctx.io = fr;
	if (rc != KC_OK)
		http_resp_error(&resp, rc, "No such route");
	else
		dispatch(&ctx, routes, nroutes);
	/* A streamed answer (ctx.stream) is on the wire already. */
	if (!resp.streamed && (http_resp_header(&resp, "X-Request-Id", "%s",
	    req.request_id) != KC_OK || http_resp_format_ext(&resp, &out,
	    strcmp(req.method, "HEAD") != 0) != KC_OK)) {
		buf_reset(&out);
		buf_free(&out);
		buf_init(&out, 1024);
		if (buf_puts(&out, "Status: 500 Internal Server Error\r\n"
		    "Content-Type: application/json\r\n\r\n"
		    "{\"success\":false,\"error\":\"Internal error\","
		    "\"code\":\"internal_error\"}") != KC_OK)
			log_error("cannot format a response");
	}
	if (out.len > 0 && FCGX_PutStr(out.data, (int)out.len, fr->out) < 0)
		log_warnx("client went away before the response was sent");
	ms = elapsed_ms(&t0);
	opstats_request(ctx.route ? (size_t)(ctx.route - routes) :
	    OPSTATS_UNMATCHED, resp.status, ms);
	log_info("%s %s %d %.2fms",
	    log_escape(req.method, method, sizeof(method)),
	    log_escape(req.path, path, sizeof(path)), resp.status, ms);
	log_set_request_id(NULL);
	/* Any path may have copied a token in: failed bearer, logout. */
	crypto_wipe(ctx.token, sizeof(ctx.token));
	wipe_json_put(ctx.body);
	perm_access_clear(&ctx.store);
	buf_free(&out);
	http_resp_free(&resp);
	http_req_free(&req);
}

/* The Klaviyo client settings from the configuration. */
static void
kv_options_from(const struct kc_config *cfg, struct kv_options *o)
{
	o->base_url = cfg->klaviyo_base_url;
	o->revision = cfg->klaviyo_revision;
	o->connect_timeout_ms = cfg->klaviyo_connect_timeout_ms;
	o->timeout_ms = cfg->klaviyo_timeout_ms;
	o->max_retries = (int)cfg->klaviyo_max_retries;
	o->max_wait_ms = cfg->klaviyo_max_wait_ms;
	o->window_scale = (double)cfg->klaviyo_rate_scale;
}

int
worker_run(int listen_fd, const struct kc_config *cfg, const char *app_origin,
    const struct keyring *keyring)
{
	FCGX_Request		 fr;
	struct worker		 w;
	struct oauth_client	 oc;
	struct kv_options	 kvo;
	struct db		*db = NULL;
	struct sigaction	 sa;
	struct keyring		 kr = *keyring;	/* SIGHUP may replace it */
	struct heartbeat	 hb;

	/* A request in flight is finished before SIGTERM acts. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_term;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	sighup_install(1);
	accept_timeout(listen_fd);
	heartbeat_init(&hb, "klaviyo-connect-fcgi");

	if (FCGX_Init() != 0 ||
	    FCGX_InitRequest(&fr, listen_fd, FCGI_FAIL_ACCEPT_ON_INTR) != 0) {
		log_error("FastCGI initialisation failed");
		return 1;
	}
	if (db_open(cfg->database_url, "klaviyo-connect-fcgi", &db) != KC_OK) {
		log_error("out of memory");
		return 1;
	}
	memset(&w, 0, sizeof(w));
	w.cfg = cfg;
	w.app_origin = app_origin;
	w.keyring = &kr;
	w.db = db;
	if (oauth_client_init(cfg, &oc) == KC_OK)
		w.oauth = &oc;
	kv_options_from(cfg, &kvo);
	if (kv_client_new(&kvo, db, &w.kv) != KC_OK) {
		log_error("cannot create the Klaviyo client");
		db_close(db);
		return 1;
	}
	/* No LISTEN through a transaction pooler: every read asks. */
	if (cfg->read_cache != 0 && !db_transaction_pooling() &&
	    readcache_new(cfg->read_cache == 1, &w.cache) != KC_OK) {
		log_error("out of memory");
		kv_client_free(w.kv);
		db_close(db);
		return 1;
	}
	/* Connect now if we can; a database that is down is not fatal. */
	if (db_ensure(db) != KC_OK)
		log_warnx("database not reachable yet; will retry per request");
	while (!stopping) {
		/* Between two requests: none sees half a reload. */
		if (sighup_take()) {
			(void)reload_apply(cfg, &kr, db);
			hb.last_ms = 0;	/* the keys it holds, shown at once */
		}
		if (heartbeat_due(&hb, kc_now_ms()))
			(void)heartbeat_beat(&hb, db, &kr, NULL, 0);
		if (FCGX_Accept_r(&fr) < 0) {
			if (stopping)
				break;
			if (errno == EINTR || errno == EAGAIN ||
			    errno == EWOULDBLOCK) {
				/* Idle: what piled up on the connection. */
				if (w.cache)
					readcache_drain(w.cache, db);
				continue;
			}
			log_warn("accept failed");
			nanosleep(&(struct timespec){ 0, 100000000 }, NULL);
			continue;
		}
		handle(&fr, &w);
		close_without_linger(&fr);
		fcgi_wipe_request(&fr);
		FCGX_Finish_r(&fr);
	}
	FCGX_Free(&fr, 0);
	heartbeat_forget(&hb, db);
	readcache_free(w.cache);
	kv_client_free(w.kv);
	db_close(db);
	keyring_wipe(&kr);
	return 0;
}
