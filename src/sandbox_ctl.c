/*
 * Control API of klaviyo-sandbox; see sandbox_ctl.h and docs/SANDBOX.md.
 * Bodies are plain application/json, never JSON:API: this is the test
 * harness talking, not Klaviyo.
 */
#include "sandbox_ctl.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "json_util.h"
#include "log.h"
#include "sandbox.h"
#include "sandbox_rate.h"

struct sbx_ctl {
	struct sbx_fault	 faults[SBX_FAULTS_MAX];
	size_t			 nfaults;
	int			 next_id;
	struct sbx_log_entry	*log;		/* ring of SBX_LOG_MAX */
	uint64_t		 logseq;	/* entries ever added */
	uint64_t		 logfirst;	/* seq of the oldest kept */
};

static const char *const fault_names[] = {
	[SBX_F_NONE] = "none", [SBX_F_LATENCY] = "latency",
	[SBX_F_STATUS] = "status", [SBX_F_HANG] = "hang",
	[SBX_F_RESET] = "reset", [SBX_F_MALFORMED] = "malformed",
	[SBX_F_CONTENT_TYPE] = "content_type", [SBX_F_HTML] = "html",
};

const char *
sbx_fault_name(enum sbx_fault_type t)
{
	if ((size_t)t >= sizeof(fault_names) / sizeof(fault_names[0]))
		return "none";
	return fault_names[t];
}

static enum sbx_fault_type
fault_type(const char *s)
{
	size_t i;

	for (i = 1; i < sizeof(fault_names) / sizeof(fault_names[0]); i++)
		if (strcmp(fault_names[i], s) == 0)
			return (enum sbx_fault_type)i;
	return SBX_F_NONE;
}

int
sbx_ctl_new(struct sbx_ctl **out)
{
	struct sbx_ctl *c;

	*out = NULL;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return KC_ERR_NOMEM;
	if ((c->log = calloc(SBX_LOG_MAX, sizeof(*c->log))) == NULL) {
		free(c);
		return KC_ERR_NOMEM;
	}
	c->next_id = 1;
	*out = c;
	return KC_OK;
}

void
sbx_ctl_free(struct sbx_ctl *c)
{
	if (c == NULL)
		return;
	free(c->log);
	free(c);
}

static int
path_matches(const char *pattern, const char *path)
{
	size_t n = strlen(pattern);

	if (n == 0)
		return 1;
	if (pattern[n - 1] == '*')
		return strncmp(pattern, path, n - 1) == 0;
	if (n > 1 && pattern[n - 1] == '/')
		n--;
	return strncmp(pattern, path, n) == 0 && path[n] == '\0';
}

void
sbx_ctl_faults(struct sbx_ctl *c, const char *key, const char *path,
    struct sbx_fault *lat, struct sbx_fault *other)
{
	struct sbx_fault	*f;
	size_t			 i, j;

	lat->type = SBX_F_NONE;
	other->type = SBX_F_NONE;
	/* The newest matching rule wins, so a test can override. */
	for (i = c->nfaults; i-- > 0;) {
		f = &c->faults[i];
		if (f->key[0] != '\0' && strcmp(f->key, key ? key : "") != 0)
			continue;
		if (!path_matches(f->path, path))
			continue;
		if (f->type == SBX_F_LATENCY) {
			if (lat->type != SBX_F_NONE)
				continue;
			*lat = *f;
		} else {
			if (other->type != SBX_F_NONE)
				continue;
			*other = *f;
		}
		f->hits++;
		if (f->count > 0 && --f->count == 0) {
			for (j = i; j + 1 < c->nfaults; j++)
				c->faults[j] = c->faults[j + 1];
			c->nfaults--;
		}
	}
}

static int
parse_long(const char *s, long min, long max, long *out)
{
	char		*end;
	long long	 v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < min || v > max)
		return KC_ERR_BAD_INPUT;
	*out = (long)v;
	return KC_OK;
}

static void
fault_defaults(struct sbx_fault *f)
{
	if (f->type == SBX_F_STATUS && f->status == 0)
		f->status = 503;
	if (f->type == SBX_F_HANG && f->ms == 0)
		f->ms = 300000;
	if (f->type == SBX_F_LATENCY && f->ms == 0)
		f->ms = 1000;
}

int
sbx_fault_parse_header(const char *h, struct sbx_fault *f)
{
	char	 copy[256], *p, *semi, *eq;
	long	 v;

	memset(f, 0, sizeof(*f));
	f->count = 1;
	if (snprintf(copy, sizeof(copy), "%s", h) >= (int)sizeof(copy))
		return KC_ERR_BAD_INPUT;
	p = copy;
	if ((semi = strchr(p, ';')) != NULL)
		*semi++ = '\0';
	if ((f->type = fault_type(p)) == SBX_F_NONE)
		return KC_ERR_BAD_INPUT;
	for (p = semi; p != NULL; p = semi) {
		if ((semi = strchr(p, ';')) != NULL)
			*semi++ = '\0';
		while (*p == ' ')
			p++;
		if ((eq = strchr(p, '=')) == NULL)
			return KC_ERR_BAD_INPUT;
		*eq++ = '\0';
		if (strcmp(p, "ms") == 0 &&
		    parse_long(eq, 0, 3600000, &v) == KC_OK)
			f->ms = v;
		else if (strcmp(p, "status") == 0 &&
		    parse_long(eq, 100, 599, &v) == KC_OK)
			f->status = (int)v;
		else
			return KC_ERR_BAD_INPUT;
	}
	fault_defaults(f);
	return KC_OK;
}

struct sbx_log_entry *
sbx_ctl_log_new(struct sbx_ctl *c)
{
	struct sbx_log_entry *e = &c->log[c->logseq % SBX_LOG_MAX];

	memset(e, 0, sizeof(*e));
	e->seq = ++c->logseq;
	if (c->logseq - c->logfirst > SBX_LOG_MAX)
		c->logfirst = c->logseq - SBX_LOG_MAX;
	return e;
}

/* Control replies. */

static void
ctl_json(struct sbx_resp *resp, int status, struct json_object *o)
{
	const char *s;

	if (o == NULL) {
		if (sbx_resp_set_body(resp, 500, "application/json",
		    "{\"error\":\"out of memory\"}", 25) != KC_OK)
			resp->action = SBX_ACT_RESET;
		return;
	}
	s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
	    JSON_C_TO_STRING_NOSLASHESCAPE);
	if (sbx_resp_set_body(resp, status, "application/json", s,
	    strlen(s)) != KC_OK)
		resp->action = SBX_ACT_RESET;
	json_object_put(o);
}

static void
ctl_error(struct sbx_resp *resp, int status, const char *msg)
{
	struct json_object *o = json_object_new_object();

	if (o && json_add_str(o, "error", msg) != KC_OK) {
		json_object_put(o);
		o = NULL;
	}
	ctl_json(resp, status, o);
}

static struct json_object *
fault_json(const struct sbx_fault *f)
{
	struct json_object *o;

	if ((o = json_object_new_object()) == NULL)
		return NULL;
	if (json_add_int(o, "id", f->id) != KC_OK ||
	    json_add_str(o, "key", f->key[0] ? f->key : NULL) != KC_OK ||
	    json_add_str(o, "path", f->path[0] ? f->path : NULL) != KC_OK ||
	    json_add_str(o, "fault", sbx_fault_name(f->type)) != KC_OK ||
	    json_add_int(o, "ms", f->ms) != KC_OK ||
	    json_add_int(o, "status", f->status) != KC_OK ||
	    json_add_int(o, "count", f->count) != KC_OK ||
	    json_add_int(o, "hits", f->hits) != KC_OK) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

static void
faults_list(struct sbx_ctl *c, struct sbx_resp *resp)
{
	struct json_object	*o = NULL, *arr = NULL, *f;
	size_t			 i;

	if ((o = json_object_new_object()) == NULL ||
	    (arr = json_object_new_array()) == NULL)
		goto fail;
	for (i = 0; i < c->nfaults; i++) {
		if ((f = fault_json(&c->faults[i])) == NULL ||
		    json_object_array_add(arr, f) != 0) {
			json_object_put(f);
			goto fail;
		}
	}
	if (json_add_obj(o, "faults", arr) != KC_OK) {
		arr = NULL;
		goto fail;
	}
	ctl_json(resp, 200, o);
	return;
fail:
	json_object_put(arr);
	json_object_put(o);
	ctl_json(resp, 500, NULL);
}

static void
faults_add(struct sbx_ctl *c, const struct sbx_req *req,
    struct sbx_resp *resp)
{
	static const struct jfield fields[] = {
		{ "fault", JF_STRING, 1, 32 },
		{ "key", JF_STRING, 0, 127 },
		{ "path", JF_STRING, 0, 255 },
		{ "ms", JF_INT, 0, 0 },
		{ "status", JF_INT, 0, 0 },
		{ "count", JF_INT, 0, 0 },
	};
	struct json_object	*body = NULL, *v, *o;
	struct sbx_fault	 f;
	char			 err[256];
	const char		*s;
	long long		 n;

	memset(&f, 0, sizeof(f));
	if (json_parse_object(req->body, req->body_len, &body, err,
	    sizeof(err)) != KC_OK ||
	    json_check_fields(body, fields, sizeof(fields) /
	    sizeof(fields[0]), err, sizeof(err)) != KC_OK) {
		ctl_error(resp, 400, err);
		goto out;
	}
	if ((f.type = fault_type(json_get_str(body, "fault"))) ==
	    SBX_F_NONE) {
		ctl_error(resp, 400, "fault must be one of latency, status, "
		    "hang, reset, malformed, content_type, html");
		goto out;
	}
	if ((s = json_get_str(body, "key")) != NULL)
		snprintf(f.key, sizeof(f.key), "%s", s);
	if ((s = json_get_str(body, "path")) != NULL)
		snprintf(f.path, sizeof(f.path), "%s", s);
	f.count = -1;
	if (json_object_object_get_ex(body, "ms", &v)) {
		n = json_object_get_int64(v);
		if (n < 0 || n > 3600000) {
			ctl_error(resp, 400, "ms must be 0 to 3600000");
			goto out;
		}
		f.ms = (long)n;
	}
	if (json_object_object_get_ex(body, "status", &v)) {
		n = json_object_get_int64(v);
		if (n < 100 || n > 599) {
			ctl_error(resp, 400, "status must be 100 to 599");
			goto out;
		}
		f.status = (int)n;
	}
	if (json_object_object_get_ex(body, "count", &v) &&
	    !json_object_is_type(v, json_type_null)) {
		n = json_object_get_int64(v);
		if (n < 1 || n > 1000000) {
			ctl_error(resp, 400, "count must be 1 to 1000000 "
			    "(leave it out for forever)");
			goto out;
		}
		f.count = (long)n;
	}
	if (c->nfaults == SBX_FAULTS_MAX) {
		ctl_error(resp, 409, "too many faults; DELETE "
		    "/__sandbox/faults first");
		goto out;
	}
	fault_defaults(&f);
	f.id = c->next_id++;
	c->faults[c->nfaults++] = f;
	log_info("fault %d: %s key=%.8s path=%s ms=%ld status=%d count=%ld",
	    f.id, sbx_fault_name(f.type), f.key[0] ? f.key : "*",
	    f.path[0] ? f.path : "*", f.ms, f.status, f.count);
	o = fault_json(&f);
	ctl_json(resp, 201, o);
out:
	json_object_put(body);
}

static struct json_object *
log_json(const struct sbx_log_entry *e)
{
	struct json_object *o;

	if ((o = json_object_new_object()) == NULL)
		return NULL;
	if (json_add_int(o, "seq", (long long)e->seq) != KC_OK ||
	    json_add_str(o, "time", e->time) != KC_OK ||
	    json_add_str(o, "method", e->method) != KC_OK ||
	    json_add_str(o, "path", e->path) != KC_OK ||
	    json_add_str(o, "query", e->query) != KC_OK ||
	    json_add_str(o, "auth", e->auth[0] ? e->auth : NULL) != KC_OK ||
	    json_add_str(o, "key", e->key[0] ? e->key : NULL) != KC_OK ||
	    json_add_str(o, "revision", e->revision[0] ? e->revision :
	    NULL) != KC_OK ||
	    json_add_str(o, "accept", e->accept[0] ? e->accept : NULL) !=
	    KC_OK ||
	    json_add_str(o, "content_type", e->content_type[0] ?
	    e->content_type : NULL) != KC_OK ||
	    json_add_str(o, "fault", e->fault[0] ? e->fault : NULL) !=
	    KC_OK ||
	    json_add_int(o, "status", e->status) != KC_OK) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

static void
requests_list(struct sbx_ctl *c, struct sbx_resp *resp)
{
	struct json_object	*o = NULL, *arr = NULL, *e;
	uint64_t		 s;

	if ((o = json_object_new_object()) == NULL ||
	    (arr = json_object_new_array()) == NULL)
		goto fail;
	for (s = c->logfirst + 1; s <= c->logseq; s++) {
		if ((e = log_json(&c->log[(s - 1) % SBX_LOG_MAX])) == NULL ||
		    json_object_array_add(arr, e) != 0) {
			json_object_put(e);
			goto fail;
		}
	}
	if (json_add_obj(o, "requests", arr) != KC_OK) {
		arr = NULL;
		goto fail;
	}
	ctl_json(resp, 200, o);
	return;
fail:
	json_object_put(arr);
	json_object_put(o);
	ctl_json(resp, 500, NULL);
}

static void
accounts_list(struct sbx_app *app, struct sbx_resp *resp)
{
	struct json_object	*o = NULL, *arr = NULL, *a = NULL, *sc;
	const struct sbx_account *acc;
	size_t			 i, b;

	if ((o = json_object_new_object()) == NULL ||
	    (arr = json_object_new_array()) == NULL)
		goto fail;
	for (i = 0; i < app->data->nacc; i++) {
		acc = &app->data->acc[i];
		if ((a = json_object_new_object()) == NULL ||
		    (sc = json_object_new_array()) == NULL)
			goto fail;
		for (b = 0; b < 8; b++)
			if ((acc->def->scopes & (1u << b)) &&
			    json_object_array_add(sc, json_object_new_string(
			    sbx_scope_name(1u << b))) != 0) {
				json_object_put(sc);
				goto fail;
			}
		if (json_add_str(a, "key", acc->def->key) != KC_OK ||
		    json_add_str(a, "id", acc->id) != KC_OK ||
		    json_add_str(a, "name", acc->def->org) != KC_OK ||
		    json_add_obj(a, "scopes", sc) != KC_OK ||
		    json_object_array_add(arr, a) != 0)
			goto fail;
		a = NULL;
	}
	if (json_add_obj(o, "accounts", arr) != KC_OK) {
		arr = NULL;
		goto fail;
	}
	ctl_json(resp, 200, o);
	return;
fail:
	json_object_put(a);
	json_object_put(arr);
	json_object_put(o);
	ctl_json(resp, 500, NULL);
}

static void
cleared(struct sbx_resp *resp, long long n)
{
	struct json_object *o = json_object_new_object();

	if (o && json_add_int(o, "cleared", n) != KC_OK) {
		json_object_put(o);
		o = NULL;
	}
	ctl_json(resp, 200, o);
}

void
sbx_ctl_handle(struct sbx_app *app, const struct sbx_req *req,
    struct sbx_resp *resp)
{
	struct sbx_ctl	*c = app->ctl;
	const char	*p = req->path + strlen("/__sandbox/");
	const char	*m = req->method;
	char		 name[64];
	size_t		 n;

	n = strcspn(p, "/");
	if (n >= sizeof(name) || (p[n] == '/' && p[n + 1] != '\0')) {
		ctl_error(resp, 404, "unknown control endpoint");
		return;
	}
	memcpy(name, p, n);
	name[n] = '\0';
	if (strcmp(name, "health") == 0 && strcmp(m, "GET") == 0) {
		ctl_json(resp, 200, json_tokener_parse("{\"ok\":true}"));
	} else if (strcmp(name, "accounts") == 0 && strcmp(m, "GET") == 0) {
		accounts_list(app, resp);
	} else if (strcmp(name, "faults") == 0 && strcmp(m, "GET") == 0) {
		faults_list(c, resp);
	} else if (strcmp(name, "faults") == 0 && strcmp(m, "POST") == 0) {
		faults_add(c, req, resp);
	} else if (strcmp(name, "faults") == 0 &&
	    strcmp(m, "DELETE") == 0) {
		cleared(resp, (long long)c->nfaults);
		c->nfaults = 0;
	} else if (strcmp(name, "requests") == 0 && strcmp(m, "GET") == 0) {
		requests_list(c, resp);
	} else if (strcmp(name, "requests") == 0 &&
	    strcmp(m, "DELETE") == 0) {
		cleared(resp, (long long)(c->logseq - c->logfirst));
		c->logfirst = c->logseq;
	} else if (strcmp(name, "ratelimits") == 0 &&
	    strcmp(m, "DELETE") == 0) {
		sbx_rate_reset(app->rate);
		ctl_json(resp, 200, json_tokener_parse("{\"ok\":true}"));
	} else if (strcmp(name, "health") == 0 ||
	    strcmp(name, "accounts") == 0 || strcmp(name, "faults") == 0 ||
	    strcmp(name, "requests") == 0 || strcmp(name, "ratelimits") == 0) {
		ctl_error(resp, 405, "method not allowed");
	} else
		ctl_error(resp, 404, "unknown control endpoint");
}
