/*
 * The Klaviyo API client (DESIGN.md 4), libcurl multi: the independent
 * calls of one request run concurrently, each one follows links.next to
 * its last page, takes a slot from the shared rate limiter before every
 * request, retries 5xx and connection errors with jittered exponential
 * backoff (bounded), and maps every failure to one kc_err with a sentence
 * for a person.  The key only ever lives in the Authorization header.
 */
#ifndef KC_KLAVIYO_H
#define KC_KLAVIYO_H

#include <json-c/json.h>
#include <stdint.h>

#include "db.h"
#include "kc_err.h"

enum kv_endpoint {
	KV_ACCOUNTS,
	KV_METRICS,
	KV_CUSTOM_METRICS,
	KV_LISTS,
	KV_CAMPAIGNS,
	KV_FLOWS,
	KV_SEGMENTS,
	KV_FORMS,
	KV_EVENTS,
	KV_CAMPAIGN_VALUES,
	KV_FLOW_SERIES,
	KV_SEGMENT_SERIES,
	KV_FORM_SERIES,
	KV_WEBHOOK_TOPICS,
	KV_WEBHOOKS,
	KV_WEBHOOK_CREATE,
	KV_WEBHOOK_DELETE,
	KV__MAX
};

struct kv_endpoint_info {
	const char	*name;		/* rate-limit bucket name */
	const char	*method;
	const char	*path;
	const char	*scope;
	int		 burst;		/* per second */
	int		 steady;	/* per minute */
	int		 daily;		/* per day, 0: none */
	int		 page_size;	/* page[size] to ask for, 0: none */
};

extern const struct kv_endpoint_info kv_endpoints[KV__MAX];

struct kv_options {
	const char	*base_url;	/* https://a.klaviyo.com */
	const char	*revision;
	long		 connect_timeout_ms;
	long		 timeout_ms;	/* per HTTP request */
	int		 max_retries;	/* for 5xx and connection errors */
	long		 max_wait_ms;	/* longest rate-limit wait */
	double		 window_scale;	/* rate windows divided by this */
	int		 max_inflight;	/* transfers at once; 0: no cap */
};

struct kv_call {
	/* in */
	enum kv_endpoint	 ep;
	const char		*query;	/* extra query string, may be NULL */
	const char		*body;	/* JSON:API body of a POST, or NULL */
	const char		*url;	/* a links.next to fetch, or NULL */
	const char		*id;	/* appended to the path: /api/x/{id} */
	int			 all_pages;
	int			 max_pages;	/* 0: no cap but the guard */
	long			 max_wait_ms;	/* 0: the client's */
	/* out */
	int			 err;	/* kc_err */
	char			 code[40];	/* machine code of err */
	char			 errmsg[256];
	long			 status;	/* last HTTP status */
	long			 retry_after;	/* seconds, with 429 */
	struct json_object	*data;	/* all pages' data items */
	int			 pages;
	int			 requests;	/* HTTP requests made */
	char			 next[4096];	/* links.next left unfollowed */
	long			 rl_limit, rl_remaining, rl_reset;
};

struct kv_client;

int	kv_client_new(const struct kv_options *, struct db *,
	    struct kv_client **) KC_MUSTCHECK;
void	kv_client_free(struct kv_client *);
/*
 * A web request's deadline (kc_now_ms() clock; 0: none, as in
 * klaviyo-syncd): every HTTP request's timeouts are cut to what is left,
 * no retry or rate-limit wait is started that would end after it, and
 * whatever is still open then fails with KC_ERR_TIMEOUT.
 */
void	kv_client_set_deadline(struct kv_client *, int64_t at_ms);
/*
 * Runs n calls concurrently with the credential (a private key "pk_..."
 * or an OAuth access token when bearer is set).  account_key names the
 * rate-limit buckets.  Returns the most telling error of the calls
 * (each call has its own err).
 */
int	kv_run(struct kv_client *, const char *credential, int bearer,
	    const char *account_key, struct kv_call *, size_t) KC_MUSTCHECK;
void	kv_call_reset(struct kv_call *);
/*
 * For a caller that runs many tasks in one thread (klaviyo-syncd's
 * coroutines): kv_run no longer drives the multi handle itself; it
 * sleeps, and the loop's owner calls kv_client_drive, which wakes the
 * task whose transfer finished.  task() names the running task (NULL:
 * run alone, as without hooks).  stop() is asked whenever the task
 * wakes: KC_ERR_CONFLICT drops everything (the job was cancelled), any
 * other error lets what is in flight land and sends nothing more (the
 * daemon is stopping).  may_send() is asked right before each request
 * leaves: it fills the guard, the sync job the request is for, and the
 * statement that takes the rate-limit slot checks in the same round
 * trip that the job is still running and held (KC_ERR_CONFLICT: it was
 * cancelled; send nothing).
 */
struct kv_guard {
	long long	 job_id;
	const char	*owner;
};
struct kv_hooks {
	void	*(*task)(void *arg);
	void	 (*sleep)(void *arg, void *task, long ms);
	void	 (*wake)(void *arg, void *task);
	int	 (*stop)(void *arg, void *task);
	int	 (*may_send)(void *arg, void *task, struct kv_guard *);
	void	 *arg;
};
void	kv_client_set_hooks(struct kv_client *, const struct kv_hooks *);
/*
 * Advances every transfer of the client and hands finished ones to
 * their run; returns the number still running.
 */
int	kv_client_drive(struct kv_client *);
/* Waits up to ms for activity on any transfer of the client. */
void	kv_client_poll(struct kv_client *, int ms);
/* The call's error sentence, or the default one. */
const char *kv_call_error(const struct kv_call *);
/* Picks the most telling of several call errors (422 > 429 > 504 ...). */
int	kv_worst(const struct kv_call *, size_t, size_t *which);
/* Rate-limit account key: "acct:<id>" when known, else "key:<sha256>". */
int	kv_account_key(struct db *, const char *credential, char *, size_t)
	    KC_MUSTCHECK;
/* Records which account a key belongs to. */
int	kv_remember_account(struct db *, const char *credential,
	    const char *account_id) KC_MUSTCHECK;

/*
 * klaviyo_rate.c: takes a slot of the account's buckets for one request
 * of ep; *wait gets the seconds to wait first (0: go).  scale shortens
 * the windows (tests, the demo).  With a guard, no slot is taken and
 * KC_ERR_CONFLICT returned when its job is no longer running and held.
 */
int	kv_rate_take(struct db *, double scale, const char *account_key,
	    enum kv_endpoint, const struct kv_guard *, double *wait)
	    KC_MUSTCHECK;
/* Blocks the endpoint's buckets for Klaviyo's seconds (429, spent). */
void	kv_rate_block(struct db *, const char *account_key, enum kv_endpoint,
	    long seconds);

/* Pure helpers, unit-tested. */
long	kv_backoff_ms(int attempt, unsigned rnd);
int	kv_same_origin(const char *base, const char *url);
long	kv_parse_seconds(const char *);
/*
 * klaviyo_page.c: copies the value of header line (n bytes, "Name: v\r\n")
 * into out when its name is name (any case); out is untouched otherwise.
 */
void	kv_header_value(const char *line, size_t n, const char *name,
	    char *out, size_t outlen);
/*
 * One JSON:API page body: appends its data (an array's items or a single
 * object) to *data (made when NULL) and copies its links.next into next
 * ("" when none).  KC_ERR_UPSTREAM for garbage, a page without data, or
 * a next on another origin than base_url (the key would follow it).
 */
int	kv_page_parse(const char *body, const char *base_url,
	    struct json_object **data, char *next, size_t nextlen)
	    KC_MUSTCHECK;

#endif
