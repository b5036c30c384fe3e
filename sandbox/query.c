/* Query strings, sparse fieldsets, cursors; see query.h. */
#include "query.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"

#define FIELDS_MAX		64

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
			hi = crypto_hexval((unsigned char)s[i + 1]);
			lo = crypto_hexval((unsigned char)s[i + 2]);
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
