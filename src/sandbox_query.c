/* Query strings, filters, sparse fieldsets, cursors; see sandbox_query.h. */
#include "sandbox_query.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "crypto.h"

#define FILTER_COND_MAX		16
#define FILTER_VALUES_MAX	100
#define FIELDS_MAX		64

struct cond {
	const struct sbx_filter_field	*f;
	unsigned			 op;
	int				 is_list;
	char				*values[FILTER_VALUES_MAX];
	int64_t				 epochs[FILTER_VALUES_MAX];
	size_t				 nvalues;
};

struct sbx_filter {
	struct cond	c[FILTER_COND_MAX];
	size_t		n;
};

static const struct {
	const char	*name;
	unsigned	 op;
} op_names[] = {
	{ "equals", SBX_OP_EQUALS }, { "any", SBX_OP_ANY },
	{ "greater-than", SBX_OP_GREATER_THAN },
	{ "less-than", SBX_OP_LESS_THAN },
	{ "greater-or-equal", SBX_OP_GREATER_OR_EQUAL },
	{ "less-or-equal", SBX_OP_LESS_OR_EQUAL },
	{ "contains", SBX_OP_CONTAINS },
};

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int
sbx_url_decode(const char *s, size_t n, char *out, size_t outlen)
{
	size_t	 i, o = 0;
	int	 hi, lo, c;

	for (i = 0; i < n; i++) {
		c = (unsigned char)s[i];
		if (c == '+')
			c = ' ';
		else if (c == '%') {
			if (i + 2 >= n)
				return 0;
			hi = hexval((unsigned char)s[i + 1]);
			lo = hexval((unsigned char)s[i + 2]);
			if (hi < 0 || lo < 0)
				return 0;
			c = hi * 16 + lo;
			i += 2;
		}
		if (c == 0 || o + 1 >= outlen)
			return 0;
		out[o++] = (char)c;
	}
	out[o] = '\0';
	return 1;
}

int
sbx_query_parse(const char *raw, struct sbx_query *q, char *err,
    size_t errlen)
{
	const char	*p = raw, *amp, *eq;
	char		 name[256], value[SBX_QVALUE_MAX + 1];
	size_t		 len, nlen, i;

	memset(q, 0, sizeof(*q));
	while (p && *p) {
		amp = strchr(p, '&');
		len = amp ? (size_t)(amp - p) : strlen(p);
		if (len == 0) {
			p = amp ? amp + 1 : NULL;
			continue;
		}
		eq = memchr(p, '=', len);
		nlen = eq ? (size_t)(eq - p) : len;
		if (!sbx_url_decode(p, nlen, name, sizeof(name)) ||
		    name[0] == '\0') {
			snprintf(err, errlen, "A query parameter name is "
			    "empty, too long or badly encoded");
			goto bad;
		}
		if (!sbx_url_decode(eq ? eq + 1 : p + len, eq ? len - nlen -
		    1 : 0, value, sizeof(value))) {
			snprintf(err, errlen, "The value of '%.64s' is too "
			    "long or badly encoded", name);
			goto bad;
		}
		for (i = 0; i < q->n; i++)
			if (strcmp(q->p[i].name, name) == 0) {
				snprintf(err, errlen, "Query parameter "
				    "'%.64s' is given more than once", name);
				goto bad;
			}
		if (q->n == SBX_QPARAMS_MAX) {
			snprintf(err, errlen, "Too many query parameters");
			goto bad;
		}
		if ((q->p[q->n].name = strdup(name)) == NULL ||
		    (q->p[q->n].value = strdup(value)) == NULL) {
			free(q->p[q->n].name);
			q->p[q->n].name = NULL;
			sbx_query_free(q);
			return KC_ERR_NOMEM;
		}
		q->n++;
		p = amp ? amp + 1 : NULL;
	}
	return KC_OK;
bad:
	sbx_query_free(q);
	return KC_ERR_BAD_INPUT;
}

void
sbx_query_free(struct sbx_query *q)
{
	size_t i;

	for (i = 0; i < q->n; i++) {
		free(q->p[i].name);
		free(q->p[i].value);
	}
	q->n = 0;
}

const char *
sbx_query_get(const struct sbx_query *q, const char *name)
{
	size_t i;

	for (i = 0; i < q->n; i++)
		if (strcmp(q->p[i].name, name) == 0)
			return q->p[i].value;
	return NULL;
}

int
sbx_url_encode(struct buf *b, const char *s)
{
	static const char	 hex[] = "0123456789ABCDEF";
	char			 esc[3];
	int			 rc;

	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (isalnum(c) || c == '-' || c == '.' || c == '_' ||
		    c == '~') {
			if ((rc = buf_append(b, s, 1)) != KC_OK)
				return rc;
			continue;
		}
		esc[0] = '%';
		esc[1] = hex[c >> 4];
		esc[2] = hex[c & 15];
		if ((rc = buf_append(b, esc, 3)) != KC_OK)
			return rc;
	}
	return KC_OK;
}

/* Reads up to n digits; -1 when one is missing. */
static int
digits(const char **p, int n)
{
	int v = 0;

	while (n-- > 0) {
		if (!isdigit((unsigned char)**p))
			return -1;
		v = v * 10 + (**p - '0');
		(*p)++;
	}
	return v;
}

int
sbx_parse_datetime(const char *s, int64_t *out)
{
	const char	*p = s;
	struct tm	 tm;
	int		 y, mo, d, h = 0, mi = 0, se = 0, oh, om, sign;
	long		 off = 0;
	time_t		 t;

	*out = 0;
	memset(&tm, 0, sizeof(tm));
	if ((y = digits(&p, 4)) < 0 || *p++ != '-' ||
	    (mo = digits(&p, 2)) < 1 || mo > 12 || *p++ != '-' ||
	    (d = digits(&p, 2)) < 1 || d > 31)
		return KC_ERR_BAD_INPUT;
	if (*p == 'T' || *p == 't' || *p == ' ') {
		p++;
		if ((h = digits(&p, 2)) < 0 || h > 23 || *p++ != ':' ||
		    (mi = digits(&p, 2)) < 0 || mi > 59)
			return KC_ERR_BAD_INPUT;
		if (*p == ':') {
			p++;
			if ((se = digits(&p, 2)) < 0 || se > 60)
				return KC_ERR_BAD_INPUT;
			if (*p == '.') {
				p++;
				if (!isdigit((unsigned char)*p))
					return KC_ERR_BAD_INPUT;
				while (isdigit((unsigned char)*p))
					p++;
			}
		}
		if (*p == 'Z' || *p == 'z')
			p++;
		else if (*p == '+' || *p == '-') {
			sign = *p++ == '-' ? -1 : 1;
			if ((oh = digits(&p, 2)) < 0 || oh > 23)
				return KC_ERR_BAD_INPUT;
			if (*p == ':')
				p++;
			if ((om = digits(&p, 2)) < 0 || om > 59)
				return KC_ERR_BAD_INPUT;
			off = sign * (oh * 3600L + om * 60L);
		}
	}
	if (*p != '\0')
		return KC_ERR_BAD_INPUT;
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = se;
	t = timegm(&tm);
	/* timegm normalizes Feb 30 into March: refuse such dates. */
	if (tm.tm_mday != d || tm.tm_mon != mo - 1)
		return KC_ERR_BAD_INPUT;
	*out = (int64_t)t - off;
	return KC_OK;
}

/* Filters. */

static void
skip_ws(const char **p)
{
	while (**p == ' ')
		(*p)++;
}

/* Copies one value: 'quoted', "quoted" or bare up to ',' ')' ']'. */
static int
parse_value(const char **pp, char *out, size_t outlen)
{
	const char	*p = *pp, *e;
	size_t		 n;
	char		 qc;

	skip_ws(&p);
	if (*p == '\'' || *p == '"') {
		qc = *p++;
		if ((e = strchr(p, qc)) == NULL)
			return 0;
		n = (size_t)(e - p);
		e++;
	} else {
		e = p + strcspn(p, ",)]");
		n = (size_t)(e - p);
		while (n > 0 && p[n - 1] == ' ')
			n--;
		if (n == 0)
			return 0;
	}
	if (n >= outlen)
		return 0;
	memcpy(out, p, n);
	out[n] = '\0';
	*pp = e;
	return 1;
}

static int
parse_exprs(const char **pp, const struct sbx_filter_field *fields,
    struct sbx_filter *f, int depth, char *err, size_t errlen);

static int
parse_expr(const char **pp, const struct sbx_filter_field *fields,
    struct sbx_filter *f, int depth, char *err, size_t errlen)
{
	const char	*p = *pp, *paren;
	char		 opname[32], field[96], val[SBX_QVALUE_MAX + 1];
	struct cond	*c;
	size_t		 n, i;
	int		 rc;

	skip_ws(&p);
	if ((paren = strchr(p, '(')) == NULL || (n = (size_t)(paren - p)) ==
	    0 || n >= sizeof(opname)) {
		snprintf(err, errlen, "Invalid filter: expected "
		    "operator(field,value)");
		return KC_ERR_BAD_INPUT;
	}
	memcpy(opname, p, n);
	opname[n] = '\0';
	p = paren + 1;
	if (strcmp(opname, "and") == 0) {
		if (depth > 4) {
			snprintf(err, errlen, "Invalid filter: nested too "
			    "deeply");
			return KC_ERR_BAD_INPUT;
		}
		if ((rc = parse_exprs(&p, fields, f, depth + 1, err,
		    errlen)) != KC_OK)
			return rc;
		skip_ws(&p);
		if (*p++ != ')') {
			snprintf(err, errlen, "Invalid filter: missing ')'");
			return KC_ERR_BAD_INPUT;
		}
		*pp = p;
		return KC_OK;
	}
	if (f->n == FILTER_COND_MAX) {
		snprintf(err, errlen, "Invalid filter: too many conditions");
		return KC_ERR_BAD_INPUT;
	}
	c = &f->c[f->n];
	memset(c, 0, sizeof(*c));
	for (i = 0; i < sizeof(op_names) / sizeof(op_names[0]); i++)
		if (strcmp(op_names[i].name, opname) == 0)
			c->op = op_names[i].op;
	if (c->op == 0) {
		snprintf(err, errlen, "Invalid filter: unknown operator "
		    "'%.31s'", opname);
		return KC_ERR_BAD_INPUT;
	}
	skip_ws(&p);
	n = strcspn(p, ",)");
	if (n == 0 || n >= sizeof(field) || p[n] != ',') {
		snprintf(err, errlen, "Invalid filter: expected a field "
		    "name after '%s('", opname);
		return KC_ERR_BAD_INPUT;
	}
	memcpy(field, p, n);
	field[n] = '\0';
	while (n > 0 && field[n - 1] == ' ')
		field[--n] = '\0';
	p += strcspn(p, ",") + 1;
	for (i = 0; fields && fields[i].field; i++)
		if (strcmp(fields[i].field, field) == 0)
			c->f = &fields[i];
	if (c->f == NULL) {
		snprintf(err, errlen, "Invalid filter: '%.95s' is not a "
		    "filterable field of this endpoint", field);
		return KC_ERR_BAD_INPUT;
	}
	skip_ws(&p);
	if (*p == '[') {
		c->is_list = 1;
		p++;
		for (;;) {
			skip_ws(&p);
			if (c->nvalues == FILTER_VALUES_MAX) {
				snprintf(err, errlen, "Invalid filter: more "
				    "than %d values", FILTER_VALUES_MAX);
				return KC_ERR_BAD_INPUT;
			}
			if (!parse_value(&p, val, sizeof(val)))
				goto badvalue;
			if ((c->values[c->nvalues++] = strdup(val)) == NULL)
				return KC_ERR_NOMEM;
			skip_ws(&p);
			if (*p == ',') {
				p++;
				continue;
			}
			if (*p++ != ']')
				goto badvalue;
			break;
		}
	} else {
		if (!parse_value(&p, val, sizeof(val)))
			goto badvalue;
		if ((c->values[c->nvalues++] = strdup(val)) == NULL)
			return KC_ERR_NOMEM;
	}
	f->n++;		/* owns the values from here on */
	if (!((c->is_list ? c->f->list_ops : c->f->single_ops) & c->op)) {
		snprintf(err, errlen, "Invalid filter: operator '%s' with "
		    "%s is not allowed on '%s'", opname, c->is_list ?
		    "a list" : "a single value", field);
		return KC_ERR_BAD_INPUT;
	}
	if (c->f->vtype == SBX_V_DATETIME)
		for (i = 0; i < c->nvalues; i++)
			if (sbx_parse_datetime(c->values[i], &c->epochs[i]) !=
			    KC_OK) {
				snprintf(err, errlen, "Invalid filter: '%.64s' "
				    "is not a date-time", c->values[i]);
				return KC_ERR_BAD_INPUT;
			}
	skip_ws(&p);
	if (*p++ != ')') {
		snprintf(err, errlen, "Invalid filter: missing ')' after "
		    "'%s'", field);
		return KC_ERR_BAD_INPUT;
	}
	*pp = p;
	return KC_OK;
badvalue:
	for (i = 0; i < c->nvalues; i++)
		free(c->values[i]);
	c->nvalues = 0;
	snprintf(err, errlen, "Invalid filter: bad value for '%s'", field);
	return KC_ERR_BAD_INPUT;
}

static int
parse_exprs(const char **pp, const struct sbx_filter_field *fields,
    struct sbx_filter *f, int depth, char *err, size_t errlen)
{
	int rc;

	for (;;) {
		if ((rc = parse_expr(pp, fields, f, depth, err, errlen)) !=
		    KC_OK)
			return rc;
		skip_ws(pp);
		if (**pp != ',')
			return KC_OK;
		(*pp)++;
	}
}

int
sbx_filter_parse(const char *s, const struct sbx_filter_field *fields,
    struct sbx_filter **out, char *err, size_t errlen)
{
	struct sbx_filter	*f;
	const char		*p = s;
	int			 rc;

	*out = NULL;
	if ((f = calloc(1, sizeof(*f))) == NULL)
		return KC_ERR_NOMEM;
	if ((rc = parse_exprs(&p, fields, f, 0, err, errlen)) != KC_OK)
		goto fail;
	skip_ws(&p);
	if (*p != '\0') {
		snprintf(err, errlen, "Invalid filter: unexpected text at "
		    "'%.32s'", p);
		rc = KC_ERR_BAD_INPUT;
		goto fail;
	}
	*out = f;
	return KC_OK;
fail:
	sbx_filter_free(f);
	return rc;
}

void
sbx_filter_free(struct sbx_filter *f)
{
	size_t i, j;

	if (f == NULL)
		return;
	for (i = 0; i < f->n; i++)
		for (j = 0; j < f->c[i].nvalues; j++)
			free(f->c[i].values[j]);
	free(f);
}

/* The string at a dotted path of the resource ("id" is the id). */
static const char *
field_value(struct json_object *item, const char *field)
{
	struct json_object	*o, *v;
	char			 seg[96];
	const char		*p = field, *dot;
	size_t			 n;

	if (strcmp(field, "id") == 0)
		return json_object_object_get_ex(item, "id", &v) ?
		    json_object_get_string(v) : NULL;
	if (!json_object_object_get_ex(item, "attributes", &o))
		return NULL;
	for (;;) {
		dot = strchr(p, '.');
		n = dot ? (size_t)(dot - p) : strlen(p);
		if (n >= sizeof(seg))
			return NULL;
		memcpy(seg, p, n);
		seg[n] = '\0';
		if (!json_object_is_type(o, json_type_object) ||
		    !json_object_object_get_ex(o, seg, &v))
			return NULL;
		if (dot == NULL)
			break;
		o = v;
		p = dot + 1;
	}
	if (!json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

static int
cond_match(const struct cond *c, const char *v)
{
	int64_t	 t = 0;
	size_t	 i;
	int	 cmp;

	if (v == NULL)
		return 0;
	if (c->f->vtype == SBX_V_DATETIME &&
	    sbx_parse_datetime(v, &t) != KC_OK)
		return 0;
	if (c->op == SBX_OP_CONTAINS) {
		for (i = 0; i < c->nvalues; i++)
			if (strstr(v, c->values[i]) != NULL)
				return 1;
		return 0;
	}
	if (c->op == SBX_OP_EQUALS || c->op == SBX_OP_ANY) {
		for (i = 0; i < c->nvalues; i++)
			if (c->f->vtype == SBX_V_DATETIME ? t == c->epochs[i] :
			    strcmp(v, c->values[i]) == 0)
				return 1;
		return 0;
	}
	if (c->f->vtype == SBX_V_DATETIME)
		cmp = t < c->epochs[0] ? -1 : t > c->epochs[0];
	else
		cmp = strcmp(v, c->values[0]);
	switch (c->op) {
	case SBX_OP_GREATER_THAN:
		return cmp > 0;
	case SBX_OP_LESS_THAN:
		return cmp < 0;
	case SBX_OP_GREATER_OR_EQUAL:
		return cmp >= 0;
	case SBX_OP_LESS_OR_EQUAL:
		return cmp <= 0;
	}
	return 0;
}

int
sbx_filter_match(const struct sbx_filter *f, struct json_object *item)
{
	size_t i;

	for (i = 0; f && i < f->n; i++)
		if (!cond_match(&f->c[i], field_value(item, f->c[i].f->field)))
			return 0;
	return 1;
}

/* Sparse fieldsets. */

static int
prune_at(struct json_object *obj, char **paths, size_t npaths,
    const char *prefix)
{
	struct json_object	*v;
	char			 full[256], *keys[256];
	size_t			 nkeys = 0, i, j, plen;
	int			 keep, sub, rc = KC_OK;

	json_object_object_foreach(obj, k, val) {
		(void)val;
		if (nkeys == sizeof(keys) / sizeof(keys[0]))
			break;
		keys[nkeys++] = k;
	}
	for (i = 0; i < nkeys; i++) {
		snprintf(full, sizeof(full), "%s%s", prefix, keys[i]);
		plen = strlen(full);
		keep = sub = 0;
		for (j = 0; j < npaths; j++) {
			if (strcmp(paths[j], full) == 0)
				keep = 1;
			else if (strncmp(paths[j], full, plen) == 0 &&
			    paths[j][plen] == '.')
				sub = 1;
		}
		if (keep)
			continue;
		if (sub && json_object_object_get_ex(obj, keys[i], &v) &&
		    json_object_is_type(v, json_type_object)) {
			if (plen + 2 >= sizeof(full))
				return KC_ERR_BAD_INPUT;
			full[plen] = '.';
			full[plen + 1] = '\0';
			if ((rc = prune_at(v, paths, npaths, full)) != KC_OK)
				return rc;
			continue;
		}
		/* Deleting frees the key: do it last for this key. */
		json_object_object_del(obj, keys[i]);
	}
	return rc;
}

int
sbx_fields_prune(struct json_object *attrs, const char *list)
{
	char	*copy, *p, *comma, *paths[FIELDS_MAX];
	size_t	 n = 0;
	int	 rc;

	if (attrs == NULL || !json_object_is_type(attrs, json_type_object))
		return KC_OK;
	if ((copy = strdup(list)) == NULL)
		return KC_ERR_NOMEM;
	for (p = copy; p != NULL && n < FIELDS_MAX; p = comma) {
		if ((comma = strchr(p, ',')) != NULL)
			*comma++ = '\0';
		if (*p != '\0')
			paths[n++] = p;
	}
	rc = prune_at(attrs, paths, n, "");
	free(copy);
	return rc;
}

/* Cursors: base64url of "sbx1:<offset>". */

void
sbx_cursor_make(size_t off, char *out, size_t outlen)
{
	char raw[40];
	int  n;

	n = snprintf(raw, sizeof(raw), "sbx1:%zu", off);
	if (n < 0 || crypto_b64url_encode(raw, (size_t)n, out, outlen) !=
	    KC_OK)
		snprintf(out, outlen, "invalid");
}

int
sbx_cursor_parse(const char *s, size_t *off)
{
	char		 std[64], *end;
	unsigned char	 raw[48];
	size_t		 n = strlen(s), i, rawlen = 0;
	unsigned long long v;

	*off = 0;
	if (n == 0 || n + 4 >= sizeof(std))
		return KC_ERR_BAD_INPUT;
	for (i = 0; i < n; i++) {
		if (s[i] == '-')
			std[i] = '+';
		else if (s[i] == '_')
			std[i] = '/';
		else if (isalnum((unsigned char)s[i]))
			std[i] = s[i];
		else
			return KC_ERR_BAD_INPUT;
	}
	while (i % 4 != 0)
		std[i++] = '=';
	std[i] = '\0';
	if (crypto_b64_decode(std, raw, sizeof(raw) - 1, &rawlen) != KC_OK ||
	    rawlen < 6 || memcmp(raw, "sbx1:", 5) != 0)
		return KC_ERR_BAD_INPUT;
	raw[rawlen] = '\0';
	if (!isdigit(raw[5]))
		return KC_ERR_BAD_INPUT;
	v = strtoull((const char *)raw + 5, &end, 10);
	if (*end != '\0' || v > 100000000ULL)
		return KC_ERR_BAD_INPUT;
	*off = (size_t)v;
	return KC_OK;
}
