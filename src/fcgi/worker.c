/* The FastCGI request loop of one worker; see worker.h. */
#include "worker.h"

#include <errno.h>
#include <limits.h>
#include <fcgiapp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

static void
on_term(int sig)
{
	(void)sig;
	stopping = 1;
	FCGX_ShutdownPending();
}

/* Only wakes an idle accept() so the heartbeat is written on time. */
static void
on_alarm(int sig)
{
	(void)sig;
}

/* SIGALRM every HEARTBEAT_SECONDS, without SA_RESTART. */
static void
heartbeat_timer(void)
{
	struct sigaction	sa;
	struct itimerval	it;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, NULL);
	memset(&it, 0, sizeof(it));
	it.it_interval.tv_sec = HEARTBEAT_SECONDS;
	it.it_value.tv_sec = HEARTBEAT_SECONDS;
	if (setitimer(ITIMER_REAL, &it, NULL) == -1)
		log_warn("setitimer; the heartbeat waits for requests");
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

/* The request's index in the route table, for the metrics. */
static size_t
route_id(const struct http_req *req, int parsed)
{
	const struct route	*rt;
	struct route_params	 params;
	char			 allow[128];

	if (parsed != KC_OK || router_match(routes, nroutes, req->method,
	    req->path, &rt, &params, allow, sizeof(allow)) != KC_OK)
		return OPSTATS_UNMATCHED;
	return (size_t)(rt - routes);
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
	opstats_request(route_id(&req, rc), resp.status, ms);
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
	sigset_t		 term, old;
	struct keyring		 kr = *keyring;	/* SIGHUP may replace it */
	struct heartbeat	 hb;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_term;	/* no SA_RESTART: accept() must wake */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&term);
	sigaddset(&term, SIGTERM);
	sigaddset(&term, SIGINT);
	sigaddset(&term, SIGHUP);
	sigaddset(&term, SIGALRM);	/* never inside a request */
	sighup_install();
	heartbeat_timer();
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
			if (errno == EINTR) {
				/* Idle: what piled up on the connection. */
				if (w.cache)
					readcache_drain(w.cache, db);
				continue;
			}
			log_warn("accept failed");
			nanosleep(&(struct timespec){ 0, 100000000 }, NULL);
			continue;
		}
		/* A request in flight is finished before SIGTERM acts. */
		sigprocmask(SIG_BLOCK, &term, &old);
		handle(&fr, &w);
		fcgi_wipe_request(&fr);
		FCGX_Finish_r(&fr);
		sigprocmask(SIG_SETMASK, &old, NULL);
	}
	FCGX_Free(&fr, 0);
	heartbeat_forget(&hb, db);
	readcache_free(w.cache);
	kv_client_free(w.kv);
	db_close(db);
	keyring_wipe(&kr);
	return 0;
}
