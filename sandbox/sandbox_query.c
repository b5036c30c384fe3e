/* Query strings, filters, sparse fieldsets, cursors; see sandbox_query.h. */
#include "sandbox_query.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
	{ "starts-with", SBX_OP_STARTS_WITH },
	{ "ends-with", SBX_OP_ENDS_WITH },
	{ "has", SBX_OP_HAS },
	{ "contains-any", SBX_OP_CONTAINS_ANY },
	{ "contains-all", SBX_OP_CONTAINS_ALL },
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

/* Civil dates (H. Hinnant's algorithms). */

int64_t
sbx_days_from_civil(int y, int m, int d)
{
	int64_t		 era, yy = y - (m <= 2);
	unsigned	 yoe, doy, doe;

	era = (yy >= 0 ? yy : yy - 399) / 400;
	yoe = (unsigned)(yy - era * 400);
	doy = (unsigned)((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1);
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

void
sbx_civil_from_days(int64_t z, int *y, int *m, int *d)
{
	int64_t		 era;
	unsigned	 doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = (unsigned)(z - era * 146097);
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = (int)((int64_t)yoe + era * 400 + (*m <= 2));
}

int
sbx_weekday(int64_t days)
{
	/* 1970-01-01 was a Thursday. */
	return (int)(((days % 7) + 11) % 7);
}

static int
days_in_month(int y, int m)
{
	static const int dm[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31,
	    30, 31 };

	if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return 29;
	return dm[m - 1];
}

/* Both readings of a date-time: its wall clock and its offset. */
static int
parse_dt(const char *s, int64_t *wall, long *offset)
{
	const char	*p = s;
	int		 y, mo, d, h = 0, mi = 0, se = 0, oh, om, sign;
	long		 off = 0;

	*wall = 0;
	*offset = 0;
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
	/* Refuse Feb 30 and the like. */
	if (d > days_in_month(y, mo))
		return KC_ERR_BAD_INPUT;
	*wall = sbx_days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 +
	    (se > 59 ? 59 : se);
	*offset = off;
	return KC_OK;
}

int
sbx_parse_datetime(const char *s, int64_t *out)
{
	int64_t	 wall;
	long	 off;
	int	 rc;

	*out = 0;
	if ((rc = parse_dt(s, &wall, &off)) != KC_OK)
		return rc;
	*out = wall - off;
	return KC_OK;
}

int
sbx_parse_wallclock(const char *s, int64_t *out)
{
	long off;

	return parse_dt(s, out, &off);
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

/* An integer (epoch seconds) or a date-time. */
static int
parse_int_value(const char *s, int64_t *out)
{
	char		*end;
	long long	 v;

	if (*s == '-' || (*s >= '0' && *s <= '9')) {
		v = strtoll(s, &end, 10);
		if (end != s && *end == '\0') {
			*out = (int64_t)v;
			return KC_OK;
		}
	}
	return sbx_parse_datetime(s, out);
}

/* Checks a condition's values against its field's type. */
static int
check_values(struct cond *c, char *err, size_t errlen)
{
	size_t i;

	for (i = 0; i < c->nvalues; i++) {
		switch (c->f->vtype) {
		case SBX_V_DATETIME:
			if (sbx_parse_datetime(c->values[i], &c->epochs[i]) !=
			    KC_OK) {
				snprintf(err, errlen, "Invalid filter: '%.64s' "
				    "is not a date-time", c->values[i]);
				return KC_ERR_BAD_INPUT;
			}
			break;
		case SBX_V_INT:
			if (parse_int_value(c->values[i], &c->epochs[i]) !=
			    KC_OK) {
				snprintf(err, errlen, "Invalid filter: '%.64s' "
				    "is not an integer or a date-time",
				    c->values[i]);
				return KC_ERR_BAD_INPUT;
			}
			break;
		case SBX_V_BOOL:
			if (strcmp(c->values[i], "true") != 0 &&
			    strcmp(c->values[i], "false") != 0) {
				snprintf(err, errlen, "Invalid filter: '%.64s' "
				    "is not true or false", c->values[i]);
				return KC_ERR_BAD_INPUT;
			}
			break;
		case SBX_V_STRING:
			break;
		}
	}
	return KC_OK;
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
	if (n == 0 || n >= sizeof(field) || (p[n] != ',' &&
	    !(p[n] == ')' && c->op == SBX_OP_HAS))) {
		snprintf(err, errlen, "Invalid filter: expected a field "
		    "name after '%s('", opname);
		return KC_ERR_BAD_INPUT;
	}
	memcpy(field, p, n);
	field[n] = '\0';
	while (n > 0 && field[n - 1] == ' ')
		field[--n] = '\0';
	for (i = 0; fields && fields[i].field; i++)
		if (strcmp(fields[i].field, field) == 0)
			c->f = &fields[i];
	if (c->f == NULL) {
		snprintf(err, errlen, "Invalid filter: '%.95s' is not a "
		    "filterable field of this endpoint", field);
		return KC_ERR_BAD_INPUT;
	}
	if (c->op == SBX_OP_HAS) {
		/* has(field): no value. */
		p += strcspn(p, ",)");
		if (*p != ')') {
			snprintf(err, errlen, "Invalid filter: 'has' takes "
			    "a field only");
			return KC_ERR_BAD_INPUT;
		}
		f->n++;
		goto ops;
	}
	p += strcspn(p, ",") + 1;
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
ops:
	if (!((c->is_list ? c->f->list_ops : c->f->single_ops) & c->op)) {
		snprintf(err, errlen, "Invalid filter: operator '%s' with "
		    "%s is not allowed on '%s'", opname, c->op ==
		    SBX_OP_HAS ? "no value" : c->is_list ? "a list" :
		    "a single value", field);
		return KC_ERR_BAD_INPUT;
	}
	if ((rc = check_values(c, err, errlen)) != KC_OK)
		return rc;
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

size_t
sbx_filter_nconds(const struct sbx_filter *f)
{
	return f ? f->n : 0;
}

void
sbx_filter_cond(const struct sbx_filter *f, size_t i,
    const struct sbx_filter_field **field, unsigned *op,
    char *const **values, size_t *nvalues)
{
	*field = f->c[i].f;
	*op = f->c[i].op;
	*values = f->c[i].values;
	*nvalues = f->c[i].nvalues;
}

/* The member at a dotted path below o, or NULL. */
static struct json_object *
member_at(struct json_object *o, const char *path)
{
	struct json_object	*v = NULL;
	char			 seg[96];
	const char		*p = path, *dot;
	size_t			 n;

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
			return v;
		o = v;
		p = dot + 1;
	}
}

/* sbx_filter_get_fn over a JSON:API resource object. */
static int
json_get(void *arg, const struct sbx_filter_field *f, const char **s,
    int64_t *n)
{
	struct json_object	*item = arg, *v, *at;

	*s = NULL;
	*n = 0;
	if (f->path != NULL)
		v = member_at(item, f->path);
	else if (strcmp(f->field, "id") == 0)
		v = json_object_object_get_ex(item, "id", &v) ? v : NULL;
	else
		v = json_object_object_get_ex(item, "attributes", &at) ?
		    member_at(at, f->field) : NULL;
	if (v == NULL)
		return 0;
	switch (f->vtype) {
	case SBX_V_BOOL:
		if (!json_object_is_type(v, json_type_boolean))
			return 0;
		*s = json_object_get_boolean(v) ? "true" : "false";
		return 1;
	case SBX_V_INT:
		if (json_object_is_type(v, json_type_int)) {
			*n = json_object_get_int64(v);
			return 1;
		}
		/* FALLTHROUGH */
	case SBX_V_DATETIME:
		return json_object_is_type(v, json_type_string) &&
		    sbx_parse_datetime(json_object_get_string(v), n) == KC_OK;
	case SBX_V_STRING:
		break;
	}
	if (!json_object_is_type(v, json_type_string))
		return 0;
	*s = json_object_get_string(v);
	return 1;
}

static int
value_eq(const struct cond *c, size_t i, const char *s, int64_t n)
{
	if (c->f->vtype == SBX_V_DATETIME || c->f->vtype == SBX_V_INT)
		return n == c->epochs[i];
	return s != NULL && strcmp(s, c->values[i]) == 0;
}

static int
cond_match(const struct cond *c, int have, const char *s, int64_t n)
{
	size_t	 i, len, vlen;
	int	 cmp;

	if (c->op == SBX_OP_HAS)
		return have;
	if (!have)
		return 0;
	switch (c->op) {
	case SBX_OP_CONTAINS:
	case SBX_OP_STARTS_WITH:
	case SBX_OP_ENDS_WITH:
		if (s == NULL)
			return 0;
		len = strlen(s);
		for (i = 0; i < c->nvalues; i++) {
			vlen = strlen(c->values[i]);
			if (c->op == SBX_OP_CONTAINS &&
			    strstr(s, c->values[i]) != NULL)
				return 1;
			if (c->op == SBX_OP_STARTS_WITH &&
			    strncmp(s, c->values[i], vlen) == 0)
				return 1;
			if (c->op == SBX_OP_ENDS_WITH && vlen <= len &&
			    strcmp(s + len - vlen, c->values[i]) == 0)
				return 1;
		}
		return 0;
	case SBX_OP_EQUALS:
	case SBX_OP_ANY:
	case SBX_OP_CONTAINS_ANY:
		for (i = 0; i < c->nvalues; i++)
			if (value_eq(c, i, s, n))
				return 1;
		return 0;
	case SBX_OP_CONTAINS_ALL:
		/* A single value holds all of them only if they are it. */
		for (i = 0; i < c->nvalues; i++)
			if (!value_eq(c, i, s, n))
				return 0;
		return c->nvalues > 0;
	}
	if (c->f->vtype == SBX_V_DATETIME || c->f->vtype == SBX_V_INT)
		cmp = n < c->epochs[0] ? -1 : n > c->epochs[0];
	else if (s != NULL)
		cmp = strcmp(s, c->values[0]);
	else
		return 0;
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
sbx_filter_match_fn(const struct sbx_filter *f, sbx_filter_get_fn get,
    void *arg)
{
	const char	*s;
	int64_t		 n;
	size_t		 i;
	int		 have;

	for (i = 0; f && i < f->n; i++) {
		have = get(arg, f->c[i].f, &s, &n);
		if (!cond_match(&f->c[i], have, s, n))
			return 0;
	}
	return 1;
}

int
sbx_filter_match(const struct sbx_filter *f, struct json_object *item)
{
	return sbx_filter_match_fn(f, json_get, item);
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

/* Tagged cursors: base64url of "sbx2:<offset>:<tag>". */

void
sbx_cursor_make_tagged(size_t off, uint32_t tag, char *out, size_t outlen)
{
	char raw[48];
	int  n;

	n = snprintf(raw, sizeof(raw), "sbx2:%zu:%08x", off, (unsigned)tag);
	if (n < 0 || crypto_b64url_encode(raw, (size_t)n, out, outlen) !=
	    KC_OK)
		snprintf(out, outlen, "invalid");
}

int
sbx_cursor_parse_tagged(const char *s, size_t *off, uint32_t *tag)
{
	char			 std[72], *end;
	unsigned char		 raw[56];
	size_t			 n = strlen(s), i, rawlen = 0;
	unsigned long long	 v, t;

	*off = 0;
	*tag = 0;
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
	    rawlen < 8 || memcmp(raw, "sbx2:", 5) != 0)
		return KC_ERR_BAD_INPUT;
	raw[rawlen] = '\0';
	if (!isdigit(raw[5]))
		return KC_ERR_BAD_INPUT;
	v = strtoull((const char *)raw + 5, &end, 10);
	if (*end != ':' || v > 100000000ULL || !isxdigit((unsigned char)
	    end[1]))
		return KC_ERR_BAD_INPUT;
	t = strtoull(end + 1, &end, 16);
	if (*end != '\0' || t > 0xffffffffULL)
		return KC_ERR_BAD_INPUT;
	*off = (size_t)v;
	*tag = (uint32_t)t;
	return KC_OK;
}

/* Time zones. */

static const struct sbx_tz zones[] = {
	{ "UTC", 0, 0, SBX_TZR_NONE },
	{ "America/New_York", -5 * 3600, -4 * 3600, SBX_TZR_US },
	{ "America/Chicago", -6 * 3600, -5 * 3600, SBX_TZR_US },
	{ "America/Denver", -7 * 3600, -6 * 3600, SBX_TZR_US },
	{ "America/Los_Angeles", -8 * 3600, -7 * 3600, SBX_TZR_US },
	{ "Europe/London", 0, 3600, SBX_TZR_EU },
	{ "Europe/Berlin", 3600, 7200, SBX_TZR_EU },
	{ "Europe/Paris", 3600, 7200, SBX_TZR_EU },
	{ "Asia/Tokyo", 9 * 3600, 9 * 3600, SBX_TZR_NONE },
	{ "Australia/Sydney", 10 * 3600, 11 * 3600, SBX_TZR_AU },
};

const struct sbx_tz *
sbx_tz_find(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(zones) / sizeof(zones[0]); i++)
		if (strcmp(zones[i].name, name) == 0)
			return &zones[i];
	return NULL;
}

static int64_t
floor_div(int64_t a, int64_t b)
{
	return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

/* Day of month of the n-th (1-based) Sunday, or the last when n is 0. */
static int
sunday_of(int y, int m, int n)
{
	int last = days_in_month(y, m), first;

	if (n == 0)
		return last - sbx_weekday(sbx_days_from_civil(y, m, last));
	first = 1 + (7 - sbx_weekday(sbx_days_from_civil(y, m, 1))) % 7;
	return first + 7 * (n - 1);
}

static int64_t
civil_s(int y, int m, int d, int h)
{
	return sbx_days_from_civil(y, m, d) * 86400 + h * 3600;
}

static int
dst_active(const struct sbx_tz *z, int64_t utc)
{
	int64_t	 start, end;
	int	 y, m, d;

	sbx_civil_from_days(floor_div(utc + z->std_off, 86400), &y, &m, &d);
	switch (z->rule) {
	case SBX_TZR_US:
		start = civil_s(y, 3, sunday_of(y, 3, 2), 2) - z->std_off;
		end = civil_s(y, 11, sunday_of(y, 11, 1), 2) - z->dst_off;
		return utc >= start && utc < end;
	case SBX_TZR_EU:
		start = civil_s(y, 3, sunday_of(y, 3, 0), 1);
		end = civil_s(y, 10, sunday_of(y, 10, 0), 1);
		return utc >= start && utc < end;
	case SBX_TZR_AU:
		end = civil_s(y, 4, sunday_of(y, 4, 1), 3) - z->dst_off;
		start = civil_s(y, 10, sunday_of(y, 10, 1), 2) - z->std_off;
		return utc < end || utc >= start;
	case SBX_TZR_NONE:
		break;
	}
	return 0;
}

int
sbx_tz_offset(const struct sbx_tz *z, int64_t utc)
{
	return dst_active(z, utc) ? z->dst_off : z->std_off;
}

int64_t
sbx_tz_to_wall(const struct sbx_tz *z, int64_t utc)
{
	return utc + sbx_tz_offset(z, utc);
}

int64_t
sbx_tz_to_utc(const struct sbx_tz *z, int64_t wall)
{
	int64_t u = wall - z->dst_off;

	/* Daylight time when that reading holds (the first of two). */
	if (z->dst_off != z->std_off && dst_active(z, u))
		return u;
	return wall - z->std_off;
}

void
sbx_fmt_local(const struct sbx_tz *z, int64_t utc, char *out, size_t len)
{
	int64_t	 wall, days, secs;
	int	 y, m, d, off = sbx_tz_offset(z, utc);

	wall = utc + off;
	days = floor_div(wall, 86400);
	secs = wall - days * 86400;
	sbx_civil_from_days(days, &y, &m, &d);
	snprintf(out, len, "%04d-%02d-%02dT%02d:%02d:%02d%c%02d:%02d", y, m,
	    d, (int)(secs / 3600), (int)(secs / 60 % 60), (int)(secs % 60),
	    off < 0 ? '-' : '+', abs(off) / 3600, abs(off) / 60 % 60);
}

/* Report time frames. */

int
sbx_interval_parse(const char *s, enum sbx_interval *out)
{
	static const struct {
		const char		*name;
		enum sbx_interval	 iv;
	} ivs[] = {
		{ "hourly", SBX_IV_HOURLY }, { "daily", SBX_IV_DAILY },
		{ "weekly", SBX_IV_WEEKLY }, { "monthly", SBX_IV_MONTHLY },
	};
	size_t i;

	*out = SBX_IV_NONE;
	for (i = 0; i < sizeof(ivs) / sizeof(ivs[0]); i++)
		if (strcmp(ivs[i].name, s) == 0) {
			*out = ivs[i].iv;
			return KC_OK;
		}
	return KC_ERR_BAD_INPUT;
}

int64_t
sbx_wall_add_months(int64_t wall, int months)
{
	int64_t	 days = floor_div(wall, 86400), secs = wall - days * 86400;
	int64_t	 total;
	int	 y, m, d, ny, nm;

	sbx_civil_from_days(days, &y, &m, &d);
	total = (int64_t)y * 12 + (m - 1) + months;
	ny = (int)floor_div(total, 12);
	nm = (int)(total - (int64_t)ny * 12) + 1;
	if (d > days_in_month(ny, nm))
		d = days_in_month(ny, nm);
	return sbx_days_from_civil(ny, nm, d) * 86400 + secs;
}

int
sbx_timeframe_key(const char *key, int64_t today, int64_t *start,
    int64_t *end)
{
	static const struct {
		const char	*key;
		int		 days;
	} last_days[] = {
		{ "last_7_days", 7 }, { "last_30_days", 30 },
		{ "last_90_days", 90 }, { "last_365_days", 365 },
	};
	int64_t	 days = floor_div(today, 86400), week, month, year;
	int	 y, m, d;
	size_t	 i;

	today = days * 86400;
	sbx_civil_from_days(days, &y, &m, &d);
	week = today - (int64_t)sbx_weekday(days) * 86400;
	month = sbx_days_from_civil(y, m, 1) * 86400;
	year = sbx_days_from_civil(y, 1, 1) * 86400;
	*start = *end = 0;
	for (i = 0; i < sizeof(last_days) / sizeof(last_days[0]); i++)
		if (strcmp(key, last_days[i].key) == 0) {
			*start = today - (int64_t)last_days[i].days * 86400;
			*end = today;
			return KC_OK;
		}
	if (strcmp(key, "today") == 0) {
		*start = today;
		*end = today + 86400;
	} else if (strcmp(key, "yesterday") == 0) {
		*start = today - 86400;
		*end = today;
	} else if (strcmp(key, "last_3_months") == 0) {
		*start = sbx_wall_add_months(today, -3);
		*end = today;
	} else if (strcmp(key, "last_12_months") == 0) {
		*start = sbx_wall_add_months(today, -12);
		*end = today;
	} else if (strcmp(key, "this_week") == 0) {
		*start = week;
		*end = today + 86400;
	} else if (strcmp(key, "last_week") == 0) {
		*start = week - 7 * 86400;
		*end = week;
	} else if (strcmp(key, "this_month") == 0) {
		*start = month;
		*end = today + 86400;
	} else if (strcmp(key, "last_month") == 0) {
		*start = sbx_wall_add_months(month, -1);
		*end = month;
	} else if (strcmp(key, "this_year") == 0) {
		*start = year;
		*end = today + 86400;
	} else if (strcmp(key, "last_year") == 0) {
		*start = sbx_days_from_civil(y - 1, 1, 1) * 86400;
		*end = year;
	} else
		return KC_ERR_BAD_INPUT;
	return KC_OK;
}

int64_t
sbx_bucket_floor(const struct sbx_tz *z, enum sbx_interval iv, int64_t utc)
{
	int64_t	 days = floor_div(sbx_tz_to_wall(z, utc), 86400);
	int	 y, m, d;

	switch (iv) {
	case SBX_IV_HOURLY:
		return floor_div(utc, 3600) * 3600;
	case SBX_IV_DAILY:
		return sbx_tz_to_utc(z, days * 86400);
	case SBX_IV_WEEKLY:
		days -= sbx_weekday(days);
		return sbx_tz_to_utc(z, days * 86400);
	case SBX_IV_MONTHLY:
		sbx_civil_from_days(days, &y, &m, &d);
		return sbx_tz_to_utc(z, sbx_days_from_civil(y, m, 1) * 86400);
	case SBX_IV_NONE:
		break;
	}
	return utc;
}

int64_t
sbx_bucket_next(const struct sbx_tz *z, enum sbx_interval iv, int64_t utc)
{
	int64_t wall = sbx_tz_to_wall(z, utc);

	switch (iv) {
	case SBX_IV_HOURLY:
		return utc + 3600;
	case SBX_IV_DAILY:
		return sbx_tz_to_utc(z, wall + 86400);
	case SBX_IV_WEEKLY:
		return sbx_tz_to_utc(z, wall + 7 * 86400);
	case SBX_IV_MONTHLY:
		return sbx_tz_to_utc(z, sbx_wall_add_months(wall, 1));
	case SBX_IV_NONE:
		break;
	}
	return utc;
}
