/*
 * JSON:API filter expressions of Klaviyo requests ("equals(name,'x')",
 * "any(id,['a','b'])", "greater-than(updated,2024-01-01T00:00:00Z)",
 * and(...)): parsing against an endpoint's fields, matching resources.
 */
#include "query.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "calendar.h"

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
