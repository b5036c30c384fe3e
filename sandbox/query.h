/*
 * Query strings of Klaviyo requests for klaviyo-sandbox: decoding and
 * strict re-encoding for links (query.c), JSON:API filter expressions
 * ("equals(integration.name,'Shopify')", "any(id,['a','b'])",
 * "greater-than(updated,2024-01-01T00:00:00Z)", and(...); filter.c),
 * sparse fieldsets and opaque page cursors (query.c).
 */
#ifndef KC_SANDBOX_QUERY_H
#define KC_SANDBOX_QUERY_H

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "buf.h"
#include "kc_err.h"

#define SBX_QPARAMS_MAX		32
#define SBX_QVALUE_MAX		2048

struct sbx_qparam {
	char	*name;
	char	*value;
};

struct sbx_query {
	struct sbx_qparam	p[SBX_QPARAMS_MAX];
	size_t			n;
};

/* Filter operators, as bits. */
enum {
	SBX_OP_EQUALS		= 1u << 0,
	SBX_OP_ANY		= 1u << 1,
	SBX_OP_GREATER_THAN	= 1u << 2,
	SBX_OP_LESS_THAN	= 1u << 3,
	SBX_OP_GREATER_OR_EQUAL	= 1u << 4,
	SBX_OP_LESS_OR_EQUAL	= 1u << 5,
	SBX_OP_CONTAINS		= 1u << 6,
	SBX_OP_STARTS_WITH	= 1u << 7,
	SBX_OP_ENDS_WITH	= 1u << 8,
	SBX_OP_HAS		= 1u << 9,	/* has(field): no value */
	SBX_OP_CONTAINS_ANY	= 1u << 10,	/* reporting filters */
	SBX_OP_CONTAINS_ALL	= 1u << 11
};

enum sbx_vtype {
	SBX_V_STRING,
	SBX_V_DATETIME,		/* RFC 3339, compared as instants */
	SBX_V_BOOL,		/* true / false */
	SBX_V_INT		/* an integer (or a date-time: epoch s) */
};

/* A filterable field (x-klaviyo-filters): operators by value shape. */
struct sbx_filter_field {
	const char	*field;		/* "id", "name", "integration.name" */
	unsigned	 single_ops;	/* op(field,value) */
	unsigned	 list_ops;	/* op(field,[values]) */
	enum sbx_vtype	 vtype;
	/*
	 * Where a resource keeps the value: NULL for attributes.<field>
	 * ("id" is the resource's id), else a dotted path from the
	 * resource object itself ("_sbx.channel").
	 */
	const char	*path;
};

struct sbx_filter;

/* Decodes a raw query; err gets a sentence on KC_ERR_BAD_INPUT. */
int	sbx_query_parse(const char *, struct sbx_query *, char *, size_t)
	    KC_MUSTCHECK;
void	sbx_query_free(struct sbx_query *);
const char *sbx_query_get(const struct sbx_query *, const char *);
/* Percent-encodes all but RFC 3986 unreserved characters. */
int	sbx_url_encode(struct buf *, const char *) KC_MUSTCHECK;
/* Decodes %XX and '+'; 0 on a bad escape or an embedded NUL. */
int	sbx_url_decode(const char *, size_t, char *, size_t);

int	sbx_filter_parse(const char *, const struct sbx_filter_field *,
	    struct sbx_filter **, char *err, size_t) KC_MUSTCHECK;
/* 1 when a JSON:API resource object matches every condition. */
int	sbx_filter_match(const struct sbx_filter *, struct json_object *);
/*
 * A field's value for sbx_filter_match_fn: *s for strings (booleans as
 * "true"/"false"), *n for date-times and integers (epoch seconds).
 * Returns 0 when the thing has no value for the field (null).
 */
typedef int	(*sbx_filter_get_fn)(void *, const struct sbx_filter_field *,
		    const char **s, int64_t *n);
/* 1 when whatever get describes matches every condition. */
int	sbx_filter_match_fn(const struct sbx_filter *, sbx_filter_get_fn,
	    void *);
/* The conditions, in order, for checks an endpoint adds. */
size_t	sbx_filter_nconds(const struct sbx_filter *);
void	sbx_filter_cond(const struct sbx_filter *, size_t,
	    const struct sbx_filter_field **, unsigned *op,
	    char *const **values, size_t *nvalues);
void	sbx_filter_free(struct sbx_filter *);

/*
 * Keeps only the listed attributes ("a,b.c": nested members by dotted
 * path) of an attributes object, in place.
 */
int	sbx_fields_prune(struct json_object *, const char *) KC_MUSTCHECK;

/* Opaque page cursors that carry an offset. */
void	sbx_cursor_make(size_t, char *, size_t);
int	sbx_cursor_parse(const char *, size_t *) KC_MUSTCHECK;
/* The same with a tag (a hash of the request it belongs to). */
void	sbx_cursor_make_tagged(size_t, uint32_t, char *, size_t);
int	sbx_cursor_parse_tagged(const char *, size_t *, uint32_t *)
	    KC_MUSTCHECK;

#endif
