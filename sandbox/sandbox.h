/*
 * klaviyo-sandbox: a stand-in Klaviyo API for tests and the demo
 * (DESIGN.md section 8, docs/SANDBOX.md; README.md here maps the
 * files).  This header ties the modules together: accounts and their
 * stores (accounts.c, store*.c, rng.c), the endpoint table
 * (endpoints.c) and what its rows point at (endpoints.h), the request
 * pipeline (pipeline.c, reply.c, collection.c), rate limits (rate.c),
 * the control API (ctl.c), query parsing (query.c, filter.c), time
 * arithmetic (calendar.c), OAuth (oauth*.c) and the HTTP server
 * (http.c).
 */
#ifndef KC_SANDBOX_H
#define KC_SANDBOX_H

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "calendar.h"
#include "http.h"
#include "kc_err.h"
#include "query.h"

/* The newest revision this sandbox knows (the spec in klaviyo-openapi/). */
#define SBX_REVISION_NEWEST	"2026-07-15"
/* The first revision of Klaviyo's current APIs. */
#define SBX_REVISION_OLDEST	"2022-10-17"

#define SBX_JSONAPI_TYPE	"application/vnd.api+json"

/* API key scopes (x-klaviyo-scopes). */
enum {
	SBX_SC_ACCOUNTS		= 1u << 0,	/* accounts:read */
	SBX_SC_METRICS		= 1u << 1,	/* metrics:read */
	SBX_SC_LISTS		= 1u << 2,	/* lists:read */
	SBX_SC_CAMPAIGNS	= 1u << 3,	/* campaigns:read */
	SBX_SC_FLOWS		= 1u << 4,	/* flows:read */
	SBX_SC_SEGMENTS		= 1u << 5,	/* segments:read */
	SBX_SC_FORMS		= 1u << 6,	/* forms:read */
	SBX_SC_EVENTS		= 1u << 7,	/* events:read */
	SBX_SC_PROFILES		= 1u << 8,	/* profiles:read (OAuth only) */
	SBX_SC_ALL_READ		= 0x1ffu,
	SBX_SC_WEBHOOKS_READ	= 1u << 9,	/* webhooks:read */
	SBX_SC_WEBHOOKS_WRITE	= 1u << 10,	/* webhooks:write */
	SBX_SC_WEBHOOKS		= 3u << 9,
	SBX_SC_ALL		= SBX_SC_ALL_READ | SBX_SC_WEBHOOKS
};
#define SBX_SC_NBITS	11u

/* What kind of store an account is; the generators read it. */
enum sbx_profile {
	SBX_PROF_SHOPIFY_BIG,	/* Shopify Placed Order, 3 pages of metrics */
	SBX_PROF_WOO,		/* Placed Order from WooCommerce only */
	SBX_PROF_CUSTOM,	/* custom metrics, one also in /api/metrics */
	SBX_PROF_EMPTY,		/* no metrics, no lists */
	SBX_PROF_NOSCOPE,	/* key with accounts:read only */
	SBX_PROF_MANY_LISTS,	/* Shopify store with many pages of lists */
	SBX_PROF_FLEET		/* a small generated Shopify store (--fleet) */
};

/*
 * The store behind an account's campaigns, flows, forms, segments and
 * Placed Order events (store.c).  Everything is generated per
 * account-local day of a history that ends where the account's "today"
 * begins, so the figures are the same on every day the sandbox runs;
 * only the dates move.
 */
struct sbx_store_size {
	int		 ndays;		/* history, ending yesterday */
	int		 ncampaigns[3];	/* email, sms, mobile_push */
	int		 nflows;
	int		 nforms;
	int		 nsegments;
	int		 norders;	/* Placed Order events */
	int		 nprofiles;	/* who placed them */
	int		 volume;	/* percent of the base send volume */
};

enum sbx_channel { SBX_CH_EMAIL, SBX_CH_SMS, SBX_CH_PUSH };

enum sbx_camp_status {
	SBX_CS_SENT, SBX_CS_DRAFT, SBX_CS_SCHEDULED, SBX_CS_CANCELLED
};

enum sbx_flow_status { SBX_FS_LIVE, SBX_FS_MANUAL, SBX_FS_DRAFT };

enum sbx_order_kind { SBX_OK_NONE, SBX_OK_CAMPAIGN, SBX_OK_FLOW };

/* Counters of a campaign's send or of a flow message's day. */
enum {
	SBX_C_RECIPIENTS, SBX_C_DELIVERED, SBX_C_BOUNCED, SBX_C_FAILED,
	SBX_C_OPENS, SBX_C_OPENS_U, SBX_C_CLICKS, SBX_C_CLICKS_U,
	SBX_C_UNSUBS, SBX_C_UNSUBS_U, SBX_C_SPAM, SBX_C_SEGMENTS,
	SBX_C_MSG_N
};
/* Counters of a form version's day. */
enum {
	SBX_FM_VIEWS, SBX_FM_VIEWS_U, SBX_FM_QUAL, SBX_FM_QUAL_U,
	SBX_FM_STEP_VIEWS, SBX_FM_STEP_VIEWS_U, SBX_FM_STEP_SUBS,
	SBX_FM_STEP_SUBS_U, SBX_FM_SUBMITS, SBX_FM_CLOSED, SBX_FM_CLOSED_U,
	SBX_FM_N
};
/* Counters of a segment's day. */
enum { SBX_SG_ADDED, SBX_SG_REMOVED, SBX_SG_N };
#define SBX_COUNTERS_MAX	12

struct sbx_campaign {
	char			 id[28];	/* 26 characters, ULID-like */
	char			 msg_id[28];
	char			 name[96];
	enum sbx_channel	 channel;
	enum sbx_camp_status	 status;
	int			 archived;
	int			 mms;		/* an SMS with an image */
	int			 list;		/* audience: index of a list */
	int64_t			 created, updated;
	int64_t			 scheduled;	/* 0: none */
	int64_t			 send;		/* 0: not sent */
	uint32_t		 c[SBX_C_MSG_N];
};

struct sbx_flow {
	char			 id[8];
	char			 name[96];
	const char		*trigger;	/* trigger_type */
	enum sbx_flow_status	 status;
	int			 archived;
	int64_t			 created, updated;
	size_t			 first_msg, nmsg;
};

struct sbx_flow_msg {
	char			 id[8];
	char			 name[128];
	size_t			 flow;
	enum sbx_channel	 channel;
	int			 mms;
	uint32_t		 base;		/* recipients a day; 0: none */
	int			 from_day;
};

struct sbx_form {
	char			 id[8];
	char			 name[96];
	int			 live;
	int			 ab_test;
	int64_t			 created, updated;
	size_t			 first_ver, nver;
};

struct sbx_form_ver {
	char			 id[12];
	size_t			 form;
	uint32_t		 base;		/* unique views a day, or 0 */
	int			 steps;
	int			 from_day;
};

struct sbx_segment {
	char			 id[8];
	char			 name[96];
	int			 active, starred;
	int64_t			 created, updated;
	int			 from_day;
	uint32_t		*added, *removed;	/* per day */
	int64_t			*members;	/* at day starts: ndays+1 */
};

struct sbx_order {
	int64_t			 t;		/* UTC */
	int64_t			 send_ts;	/* of the attributed send */
	uint32_t		 cents;
	uint32_t		 profile;
	uint32_t		 number;	/* OrderId */
	enum sbx_order_kind	 kind;
	uint32_t		 target;	/* campaign or flow message */
	char			 id[16];
	char			 uuid[40];
};

struct sbx_store {
	const struct sbx_tz	*tz;
	uint64_t		 seed;
	int			 ndays;
	int64_t			 first_wall;	/* midnight starting day 0 */
	int64_t			*day_utc;	/* ndays+1 midnights, UTC */
	struct sbx_campaign	*campaigns;
	size_t			 ncampaigns;
	struct sbx_flow		*flows;
	size_t			 nflows;
	struct sbx_flow_msg	*msgs;
	size_t			 nmsgs;
	struct sbx_form		*forms;
	size_t			 nforms;
	struct sbx_form_ver	*vers;
	size_t			 nvers;
	struct sbx_segment	*segments;
	size_t			 nsegments;
	struct sbx_order	*orders;	/* by time */
	size_t			 norders;
	size_t			 nprofiles;
};

/* What has day counters. */
enum sbx_unit { SBX_U_FLOW_MSG, SBX_U_FORM_VER, SBX_U_SEGMENT };

struct sbx_account_def {
	const char	*key;		/* private API key */
	const char	*org;		/* organization_name: its name */
	const char	*timezone;
	const char	*currency;
	const char	*locale;
	const char	*industry;
	const char	*website;
	const char	*sender_name;
	const char	*sender_email;
	const char	*address1;
	const char	*city;
	const char	*region;
	const char	*country;
	const char	*zip;
	unsigned	 scopes;
	enum sbx_profile profile;
	int		 nlists;
	const struct sbx_store_size *size;
	const char	*order_integ;	/* integration key of Placed Order */
};

struct sbx_account {
	const struct sbx_account_def *def;
	char		  id[8];	/* account id = public API key */
	uint64_t	  seed;
	const struct sbx_tz *tz;
	int64_t		  today;	/* wall midnight starting today */
	char		  order_metric[8];	/* Placed Order's id, or "" */
	struct sbx_store *store;
	struct json_object **coll;	/* one array per endpoint row */
	int		  fleet;	/* --fleet: store and coll on demand */
	uint64_t	  used;		/* when last loaded (LRU tick) */
};

struct sbx_fleet;

/*
 * The accounts: the table's (sbx_account_defs) first, always loaded,
 * then the --fleet accounts, whose store and collections are built when
 * a request needs them and dropped again, least recently used first,
 * when more than cache_max are loaded (fleet.c has their definitions).
 */
struct sbx_data {
	struct sbx_account	*acc;
	size_t			 nacc;
	size_t			 nfixed;	/* the table's */
	struct sbx_fleet	*fleet;		/* nacc - nfixed */
	size_t			 nloaded;	/* fleet accounts loaded */
	size_t			 cache_max;
	uint64_t		 tick;
};

/* Per-account, per-endpoint limits from x-klaviyo-ratelimit. */
struct sbx_limit {
	int	burst;		/* per second */
	int	steady;		/* per minute */
	int	daily;		/* per day; 0: none */
};

enum sbx_ptype {
	SBX_P_FIELDS,		/* fields[type]=a,b (enum) */
	SBX_P_INCLUDE,		/* include=a,b (enum) */
	SBX_P_FILTER,		/* filter=... (sbx_filter_field table) */
	SBX_P_CURSOR,		/* page[cursor] */
	SBX_P_SIZE,		/* page[size] */
	SBX_P_SORT,		/* sort=x (enum) */
	SBX_P_STRING		/* checked by the handler (page_cursor) */
};

struct sbx_param {
	const char		*name;
	enum sbx_ptype		 type;
	const char *const	*values;	/* NULL-terminated enum */
};

struct sbx_ctx;

/* Builds an account's whole collection for one endpoint. */
typedef int	(*sbx_gen_fn)(const struct sbx_account *,
		    struct json_object **);
/* Answers a request that passed auth, revision, scope and limits. */
typedef int	(*sbx_handle_fn)(struct sbx_ctx *, struct sbx_resp *);

/*
 * One row per Klaviyo endpoint.  A GET collection needs only a row and
 * a generator: sbx_handle_collection does filtering, sorting, paging,
 * sparse fieldsets, include and links.  Other endpoints (POST reports)
 * set handle.
 */
struct sbx_endpoint {
	const char			*method;
	const char			*path;
	const char			*scope_name;
	unsigned			 scope;
	struct sbx_limit		 limit;
	const char			*type;		/* of data[] items */
	int				 paged;		/* page[cursor] */
	int				 page_size;	/* default/fixed */
	int				 page_size_max;	/* 0: no page[size] */
	const struct sbx_param		*params;	/* {NULL} ends */
	const struct sbx_filter_field	*filters;	/* {NULL} ends */
	sbx_gen_fn			 gen;
	sbx_handle_fn			 handle;
};

extern const struct sbx_endpoint	sbx_endpoints[];
extern const size_t			sbx_nendpoints;

struct sbx_rate;
struct sbx_ctl;
struct sbx_oauth;
struct sbx_hooks;

struct sbx_app {
	struct sbx_data	*data;
	struct sbx_rate	*rate;
	struct sbx_ctl	*ctl;
	struct sbx_oauth *oauth;	/* oauth.c */
	struct sbx_hooks *hooks;	/* webhooks.h: webhooks, new events */
	double		 scale;
	uint64_t	 err_seq;
};

/* A request's revision date as days since 1970 (0 when absent). */
int64_t	sbx_revision_days(const char *);

/* The request being answered. */
struct sbx_ctx {
	struct sbx_app			*app;
	const struct sbx_req		*req;
	const struct sbx_endpoint	*ep;
	size_t				 ep_idx;
	const struct sbx_account	*acc;
	size_t				 acc_idx;
	unsigned			 scopes;	/* key or token */
	int				 bearer;	/* an OAuth token */
	struct sbx_query		 q;
	char				 base[320];	/* http://host */
	char				 path_id[128];	/* {id}, decoded */
};

/* accounts.c */
extern const struct sbx_account_def	sbx_account_defs[];
extern const size_t			sbx_naccount_defs;
/*
 * Builds every account.  today: the wall date (days since 1970) that is
 * "today" for every account, or -1 for each account's current date.
 * nfleet: how many --fleet accounts to add (0 to SBX_FLEET_MAX), of
 * which at most cache (at least 1) are loaded at a time.
 */
int	sbx_data_new(int64_t today, size_t nfleet, size_t cache,
	    struct sbx_data **) KC_MUSTCHECK;
void	sbx_data_free(struct sbx_data *);
/*
 * Makes sure account idx has its store and collections (a --fleet
 * account is built now when it is not loaded, which may drop the least
 * recently used other one).  Pointers into another fleet account's
 * store or collections are void after it.
 */
int	sbx_data_load(struct sbx_data *, size_t idx) KC_MUSTCHECK;
/* The account of a private key, or NULL. */
const struct sbx_account *sbx_data_by_key(const struct sbx_data *,
	    const char *, size_t *idx);
/* An account's collection of resources of a JSON:API type, or NULL. */
struct json_object *sbx_account_coll(const struct sbx_account *,
	    const char *type);
const char *sbx_scope_name(unsigned);

/* Deterministic generation (rng.c): splitmix64 seeded per key and stream. */
struct sbx_rng {
	uint64_t	s;
};
uint64_t sbx_hash(const char *);
void	sbx_rng_seed(struct sbx_rng *, uint64_t seed, const char *stream);
uint64_t sbx_rng_next(struct sbx_rng *);
uint64_t sbx_rng_below(struct sbx_rng *, uint64_t);
void	sbx_rng_alnum(struct sbx_rng *, char *, size_t n);
void	sbx_rng_hex(struct sbx_rng *, char *, size_t n);
/* "2024-03-05T12:34:56+00:00" */
void	sbx_fmt_time(int64_t, char *, size_t);
/* A bijective 64-bit mix (splitmix64's finalizer). */
uint64_t sbx_mix(uint64_t);

/* The store model (store.c, store_orders.c, store_days.c). */
void	sbx_store_free(struct sbx_store *);
/* The history day holding utc: -1 before it, ndays after it. */
int	sbx_store_day(const struct sbx_store *, int64_t utc);
/* A unit's counters of a day (SBX_C_*, SBX_FM_* or SBX_SG_*). */
size_t	sbx_store_day_counts(const struct sbx_store *, enum sbx_unit,
	    size_t idx, int d, int64_t *c);
/*
 * Adds a unit's counters of the instants [start, end) into the series
 * buckets [bounds[i], bounds[i+1]), i < nb.  Whole days go in at once;
 * a day cut by start, end or a bucket goes in by hours (an hour counts
 * where it begins).
 */
void	sbx_store_add(const struct sbx_store *, enum sbx_unit, size_t idx,
	    int64_t start, int64_t end, const int64_t *bounds, size_t nb,
	    int64_t (*acc)[SBX_COUNTERS_MAX]);
/* Members of a segment at an instant. */
int64_t	sbx_store_members_at(const struct sbx_store *, size_t seg,
	    int64_t utc);
/* A profile's id and name parts, generated from its index. */
void	sbx_store_profile(const struct sbx_store *, size_t, char id[28],
	    const char **first, const char **last);

/* endpoints.c */
/*
 * The row of a method and a normalized path (a row's trailing "/{id}"
 * matches one more non-empty segment, copied percent-decoded to id, of
 * idlen bytes, when id is not NULL); NULL when none.  method NULL: any
 * row of the path.  HEAD is GET.
 */
const struct sbx_endpoint *sbx_endpoint_find(const char *method,
	    const char *path, size_t *idx, char *id, size_t idlen);
/* The methods of a path's rows, ", "-separated, for Allow. */
void	sbx_endpoint_allow(const char *path, char *out, size_t len);

/* pipeline.c */
void	sbx_app_handle(void *, const struct sbx_req *, struct sbx_resp *);

/* collection.c */
int	sbx_handle_collection(struct sbx_ctx *, struct sbx_resp *)
	    KC_MUSTCHECK;

/* reply.c */
/* "http://host:port" from the request, for absolute links. */
void	sbx_base_url(const struct sbx_req *, char *, size_t);
/* A Klaviyo error body: {"errors":[{id,status,code,title,detail,...}]}. */
int	sbx_reply_error(struct sbx_app *, struct sbx_resp *, int status,
	    const char *code, const char *title, const char *detail,
	    const char *source_kind, const char *source_value) KC_MUSTCHECK;
/* One error object of such a body; errors[] of several, answered. */
struct json_object *sbx_error_new(struct sbx_app *, int status,
	    const char *code, const char *title, const char *detail,
	    const char *source_kind, const char *source_value);
int	sbx_reply_errors(struct sbx_resp *, int status, struct json_object *)
	    KC_MUSTCHECK;
/*
 * A resource as answered: a deep copy without the sandbox's own
 * members, links absolute, sparse fieldsets applied, relationship data
 * kept for the relationships named in include (a comma list or NULL).
 */
struct json_object *sbx_answer_copy(const struct sbx_ctx *,
	    struct json_object *, const char *include);
/* A JSON body with the JSON:API content type. */
int	sbx_reply_json(struct sbx_resp *, int status, struct json_object *)
	    KC_MUSTCHECK;
/*
 * The request's absolute URL with the cursor parameter pname set to
 * cursor (NULL: the URL as sent, an empty pname left out).
 */
int	sbx_page_link(const struct sbx_ctx *, const char *pname,
	    const char *cursor, char **) KC_MUSTCHECK;
/*
 * Adds doc's "links" of the page [off, end) of n items, size a page:
 * self, and next and prev (page[cursor]) when the endpoint pages.
 */
int	sbx_page_links(const struct sbx_ctx *, struct json_object *doc,
	    size_t off, size_t end, size_t n, size_t size) KC_MUSTCHECK;

#endif
