/*
 * What the files of check_sandbox share: the sandbox it started, the
 * keys of its accounts, and the libcurl helpers (check_sandbox.c).
 */
#ifndef CHECK_SANDBOX_H
#define CHECK_SANDBOX_H

#include <stddef.h>
#include <sys/types.h>

#include <check.h>
#include <curl/curl.h>
#include <json-c/json.h>

#define REV		"2026-07-15"
#define K_SHOPIFY	"pk_sbxshopify0000000000000000000001"
#define K_WOO		"pk_sbxwoocommerce000000000000000002"
#define K_CUSTOM	"pk_sbxcustom00000000000000000000003"
#define K_EMPTY		"pk_sbxempty000000000000000000000004"
#define K_NOSCOPE	"pk_sbxnoscope0000000000000000000005"
#define K_LISTS		"pk_sbxmanylists00000000000000000006"
#define BODY_MAX	(16 * 1024 * 1024)

/* The OAuth client the suite's sandbox is started with. */
#define OAUTH_CLIENT_ID		"kc-test-client"
#define OAUTH_CLIENT_SECRET	"s3cret-Sandbox+/=x"
#define OAUTH_CLIENT		OAUTH_CLIENT_ID ":" OAUTH_CLIENT_SECRET

struct hresp {
	long		 status;
	CURLcode	 cc;
	char		*body;
	size_t		 len;
	char		 headers[16384];
	size_t		 hlen;
	double		 secs;
};

/* "http://127.0.0.1:PORT" of the suite's sandbox. */
extern char	sbx_base[64];
extern int	sbx_port;
/* Its log file (--log). */
extern char	sbx_log[256];

double	now_s(void);
size_t	on_body(char *, size_t, size_t, void *);
size_t	on_header(char *, size_t, size_t, void *);
void	hresp_free(struct hresp *);
/* A response header's value copied to out; NULL when absent. */
const char *hdr(const struct hresp *, const char *, char *, size_t);
/*
 * One request.  url: absolute, or a path on the sandbox.  key NULL: no
 * Authorization; a key starting with "Bearer " is sent as is.
 */
void	http(const char *method, const char *url, const char *key,
	    const char *rev, const char *extra, const char *body,
	    long timeout_ms, struct hresp *);
void	get(const char *path, const char *key, struct hresp *);
/* A control request that must answer 2xx. */
void	control(const char *method, const char *path, const char *body);
void	reset_limits(void);
struct json_object *parse(const struct hresp *);
struct json_object *member(struct json_object *, const char *path);
const char *str(struct json_object *, const char *path);
/* The answer is a Klaviyo error: status, errors[0].code, the shape. */
void	expect_error(const struct hresp *, long status, const char *code);
int	spawn_sandbox(const char *scale, const char *log, const char *oauth,
	    const char *const *extra, pid_t *, int *port, const char **why);
/* SIGTERM; the exit status, or -1 when it did not exit in time. */
int	stop_pid(pid_t *);

/* check_sandbox_oauth.c */
TCase	*oauth_tcase(void);
/* check_sandbox_webhooks.c */
TCase	*webhooks_tcase(void);

#endif
