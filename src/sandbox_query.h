/*
 * Query strings of Klaviyo requests for klaviyo-sandbox: decoding,
 * strict re-encoding for links, JSON:API filter expressions
 * ("equals(integration.name,'Shopify')", "any(id,['a','b'])",
 * "greater-than(updated,2024-01-01T00:00:00Z)", and(...)), sparse
 * fieldsets and opaque page cursors.
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
	SBX_OP_CONTAINS		= 1u << 6
};

enum sbx_vtype { SBX_V_STRING, SBX_V_DATETIME };

/* A filterable field (x-klaviyo-filters): operators by value shape. */
struct sbx_filter_field {
	const char	*field;		/* "id", "name", "integration.name" */
	unsigned	 single_ops;	/* op(field,value) */
	unsigned	 list_ops;	/* op(field,[values]) */
	enum sbx_vtype	 vtype;
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
void	sbx_filter_free(struct sbx_filter *);

/*
 * Keeps only the listed attributes ("a,b.c": nested members by dotted
 * path) of an attributes object, in place.
 */
int	sbx_fields_prune(struct json_object *, const char *) KC_MUSTCHECK;

/* Opaque page cursors that carry an offset. */
void	sbx_cursor_make(size_t, char *, size_t);
int	sbx_cursor_parse(const char *, size_t *) KC_MUSTCHECK;

/* RFC 3339 date-time (or a bare YYYY-MM-DD) to epoch seconds. */
int	sbx_parse_datetime(const char *, int64_t *) KC_MUSTCHECK;

#endif
