/*
 * klaviyo-sandbox: a stand-in Klaviyo API for tests and the demo
 * (DESIGN.md section 8, docs/SANDBOX.md).  This header ties the modules
 * together: accounts and their generated data (sandbox_data.c), the
 * endpoint table and its generators (sandbox_endpoints.c), the request
 * pipeline (sandbox_api.c), rate limits (sandbox_rate.c), faults and the
 * request log (sandbox_ctl.c), query parsing (sandbox_query.c) and the
 * HTTP server (sandbox_http.c).
 */
#ifndef KC_SANDBOX_H
#define KC_SANDBOX_H

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "kc_err.h"
#include "sandbox_http.h"
#include "sandbox_query.h"

/* The newest revision this sandbox knows (the spec in klaviyo-openapi/). */
#define SBX_REVISION_NEWEST	"2026-07-15"
/* The first revision of Klaviyo's current APIs. */
#define SBX_REVISION_OLDEST	"2022-10-17"

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
	SBX_SC_ALL_READ		= 0xffu
};

/* What kind of store an account is; the generators read it. */
enum sbx_profile {
	SBX_PROF_SHOPIFY_BIG,	/* Shopify Placed Order, 3 pages of metrics */
	SBX_PROF_WOO,		/* Placed Order from WooCommerce only */
	SBX_PROF_CUSTOM,	/* custom metrics, one also in /api/metrics */
	SBX_PROF_EMPTY,		/* no metrics, no lists */
	SBX_PROF_NOSCOPE,	/* key with accounts:read only */
	SBX_PROF_MANY_LISTS	/* Shopify store with many pages of lists */
};

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
};

struct sbx_account {
	const struct sbx_account_def *def;
	char		  id[8];	/* account id = public API key */
	uint64_t	  seed;
	struct json_object **coll;	/* one array per endpoint row */
};

struct sbx_data {
	struct sbx_account	*acc;
	size_t			 nacc;
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
	SBX_P_SORT		/* sort=x (enum) */
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

struct sbx_app {
	struct sbx_data	*data;
	struct sbx_rate	*rate;
	struct sbx_ctl	*ctl;
	double		 scale;
	uint64_t	 err_seq;
};

/* The request being answered. */
struct sbx_ctx {
	struct sbx_app			*app;
	const struct sbx_req		*req;
	const struct sbx_endpoint	*ep;
	size_t				 ep_idx;
	const struct sbx_account	*acc;
	size_t				 acc_idx;
	struct sbx_query		 q;
	char				 base[320];	/* http://host */
};

/* sandbox_data.c */
extern const struct sbx_account_def	sbx_account_defs[];
extern const size_t			sbx_naccount_defs;
int	sbx_data_new(struct sbx_data **) KC_MUSTCHECK;
void	sbx_data_free(struct sbx_data *);
/* The account of a private key, or NULL. */
const struct sbx_account *sbx_data_by_key(const struct sbx_data *,
	    const char *, size_t *idx);
/* An account's collection of resources of a JSON:API type, or NULL. */
struct json_object *sbx_account_coll(const struct sbx_account *,
	    const char *type);
const char *sbx_scope_name(unsigned);

/* Deterministic generation: splitmix64 seeded per key and stream. */
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

/* sandbox_endpoints.c */
const struct sbx_endpoint *sbx_endpoint_find(const char *path,
	    size_t *idx);

/* sandbox_api.c */
void	sbx_app_handle(void *, const struct sbx_req *, struct sbx_resp *);
int	sbx_handle_collection(struct sbx_ctx *, struct sbx_resp *)
	    KC_MUSTCHECK;
/* A Klaviyo error body: {"errors":[{id,status,code,title,detail,...}]}. */
int	sbx_reply_error(struct sbx_app *, struct sbx_resp *, int status,
	    const char *code, const char *title, const char *detail,
	    const char *source_kind, const char *source_value) KC_MUSTCHECK;
/* A JSON body with the JSON:API content type. */
int	sbx_reply_json(struct sbx_resp *, int status, struct json_object *)
	    KC_MUSTCHECK;

#endif
