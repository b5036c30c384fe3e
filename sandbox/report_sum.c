/*
 * Sums of the reporting endpoints: the account's store grouped by the
 * request's group_by and added up over the time frame (values) or per
 * bucket of the interval (series), with the orders attributed to each
 * group as conversions.
 */
#include "report.h"

#include <stdlib.h>
#include <string.h>

#include "jsonapi.h"

/* The series bucket [bounds[i], bounds[i+1]) holding t. */
static size_t
bucket_index(const int64_t *bounds, size_t nb, int64_t t)
{
	size_t lo = 0, hi = nb, mid;

	while (hi - lo > 1) {
		mid = (lo + hi) / 2;
		if (bounds[mid] <= t)
			lo = mid;
		else
			hi = mid;
	}
	return lo;
}

/* Units: campaigns, flow messages, form versions, segments. */

static size_t
rpt_nunits(const struct sbx_store *st, enum rpt_kind k)
{
	return k == RK_CAMPAIGN ? st->ncampaigns : k == RK_FLOW ? st->nmsgs :
	    k == RK_FORM ? st->nvers : st->nsegments;
}

/* A grouping or filter attribute of a unit; NULL for null. */
static const char *
unit_attr(const struct sbx_store *st, enum rpt_kind k, size_t u,
    const char *name)
{
	const struct sbx_campaign	*c;
	const struct sbx_flow_msg	*m;
	enum sbx_channel		 ch = SBX_CH_EMAIL;
	int				 mms = 0;

	switch (k) {
	case RK_CAMPAIGN:
		c = &st->campaigns[u];
		ch = c->channel;
		mms = c->mms;
		if (strcmp(name, "campaign_id") == 0)
			return c->id;
		if (strcmp(name, "campaign_message_id") == 0 ||
		    strcmp(name, "variation") == 0)
			return c->msg_id;
		if (strcmp(name, "campaign_message_name") == 0 ||
		    strcmp(name, "variation_name") == 0)
			return c->name;
		break;
	case RK_FLOW:
		m = &st->msgs[u];
		ch = m->channel;
		mms = m->mms;
		if (strcmp(name, "flow_id") == 0)
			return st->flows[m->flow].id;
		if (strcmp(name, "flow_name") == 0)
			return st->flows[m->flow].name;
		if (strcmp(name, "flow_message_id") == 0 ||
		    strcmp(name, "variation") == 0)
			return m->id;
		if (strcmp(name, "flow_message_name") == 0 ||
		    strcmp(name, "variation_name") == 0)
			return m->name;
		break;
	case RK_FORM:
		if (strcmp(name, "form_id") == 0)
			return st->forms[st->vers[u].form].id;
		if (strcmp(name, "form_version_id") == 0)
			return st->vers[u].id;
		return NULL;
	case RK_SEGMENT:
		return strcmp(name, "segment_id") == 0 ?
		    st->segments[u].id : NULL;
	}
	if (strcmp(name, "send_channel") == 0)
		return sbx_send_channels[ch];
	if (strcmp(name, "text_message_format") == 0)
		return ch != SBX_CH_SMS ? NULL : mms ? "mms" : "sms";
	return NULL;	/* group, group_name, tag_id, tag_name: none */
}

struct unit_ref {
	const struct sbx_store	*st;
	enum rpt_kind		 kind;
	size_t			 u;
};

static int
unit_get(void *arg, const struct sbx_filter_field *f, const char **s,
    int64_t *n)
{
	struct unit_ref *ur = arg;

	*n = 0;
	*s = unit_attr(ur->st, ur->kind, ur->u, f->field);
	return *s != NULL;
}

void
rpt_res_free(struct rpt_res *res)
{
	size_t i;

	for (i = 0; i < res->ng; i++) {
		free(res->g[i].acc);
		free(res->g[i].conv);
		free(res->g[i].cents);
		free(res->g[i].uniq);
		free(res->g[i].members);
	}
	free(res->g);
	free(res->bounds);
	free(res->unit_group);
}

int
rpt_keycmp(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return (a != NULL) - (b != NULL);
	return strcmp(a, b);
}

int
rpt_group_cmp(const void *x, const void *y, void *arg)
{
	const struct rpt_group	*a = x, *b = y;
	size_t			 n = *(const size_t *)arg, i;
	int			 c;

	for (i = 0; i < n; i++)
		if ((c = rpt_keycmp(a->key[i], b->key[i])) != 0)
			return c;
	return 0;
}

/* The buckets: [start, end) once, or the interval's from its floor. */
static int
rpt_buckets(const struct sbx_account *a, const struct rpt_req *r,
    struct rpt_res *res)
{
	int64_t	 t;
	size_t	 n = 0, cap = 0;
	void	*p;

	if (!r->def->series) {
		if ((res->bounds = calloc(2, sizeof(int64_t))) == NULL)
			return KC_ERR_NOMEM;
		res->bounds[0] = r->start;
		res->bounds[1] = r->end;
		res->nb = 1;
		return KC_OK;
	}
	for (t = sbx_bucket_floor(a->tz, r->iv, r->start); ;
	    t = sbx_bucket_next(a->tz, r->iv, t)) {
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			if ((p = realloc(res->bounds, cap *
			    sizeof(int64_t))) == NULL)
				return KC_ERR_NOMEM;
			res->bounds = p;
		}
		res->bounds[n++] = t;
		if (t >= r->end)
			break;
	}
	res->nb = n - 1;
	return KC_OK;
}

static int
add_group(struct rpt_res *res, size_t nkeys, const char **key,
    size_t nb, size_t *out)
{
	struct rpt_group	*g;
	size_t			 i, j;
	void			*p;

	for (i = 0; i < res->ng; i++) {
		for (j = 0; j < nkeys &&
		    rpt_keycmp(res->g[i].key[j], key[j]) == 0; j++)
			;
		if (j == nkeys) {
			*out = i;
			return KC_OK;
		}
	}
	if ((p = realloc(res->g, (res->ng + 1) * sizeof(*res->g))) == NULL)
		return KC_ERR_NOMEM;
	res->g = p;
	g = &res->g[res->ng++];
	memset(g, 0, sizeof(*g));
	for (j = 0; j < nkeys; j++)
		g->key[j] = key[j];
	if ((g->acc = calloc(nb, sizeof(*g->acc))) == NULL ||
	    (g->conv = calloc(nb, sizeof(int64_t))) == NULL ||
	    (g->cents = calloc(nb, sizeof(int64_t))) == NULL ||
	    (g->uniq = calloc(nb, sizeof(int64_t))) == NULL ||
	    (g->members = calloc(nb, sizeof(int64_t))) == NULL)
		return KC_ERR_NOMEM;
	*out = res->ng - 1;
	return KC_OK;
}

struct conv_hit {
	size_t		g, b;
	uint32_t	profile;
};

static int
hit_cmp(const void *x, const void *y)
{
	const struct conv_hit *a = x, *b = y;

	if (a->g != b->g)
		return a->g < b->g ? -1 : 1;
	if (a->b != b->b)
		return a->b < b->b ? -1 : 1;
	return a->profile < b->profile ? -1 : a->profile > b->profile;
}

/* Conversions: the store's orders attributed to the grouped units. */
static int
rpt_conversions(const struct sbx_store *st, const struct rpt_req *r,
    struct rpt_res *res)
{
	const struct sbx_order	*o;
	struct conv_hit		*hits = NULL;
	size_t			 nh = 0, i, gi, b;
	struct rpt_group	*g;

	if (!r->orders || st->norders == 0)
		return KC_OK;
	if ((hits = calloc(st->norders, sizeof(*hits))) == NULL)
		return KC_ERR_NOMEM;
	for (i = 0; i < st->norders; i++) {
		o = &st->orders[i];
		if (r->def->kind == RK_CAMPAIGN && o->kind == SBX_OK_CAMPAIGN) {
			/* By send time: the campaign is in or out. */
			if ((gi = res->unit_group[o->target]) == (size_t)-1)
				continue;
			b = 0;
		} else if (r->def->kind == RK_FLOW && o->kind == SBX_OK_FLOW) {
			if ((gi = res->unit_group[o->target]) == (size_t)-1 ||
			    o->t < r->start || o->t >= r->end)
				continue;
			b = bucket_index(res->bounds, res->nb, o->t);
		} else
			continue;
		g = &res->g[gi];
		g->conv[b]++;
		g->cents[b] += o->cents;
		g->any = 1;
		hits[nh].g = gi;
		hits[nh].b = b;
		hits[nh].profile = o->profile;
		nh++;
	}
	qsort(hits, nh, sizeof(*hits), hit_cmp);
	for (i = 0; i < nh; i++)
		if (i == 0 || hit_cmp(&hits[i - 1], &hits[i]) != 0)
			res->g[hits[i].g].uniq[hits[i].b]++;
	free(hits);
	return KC_OK;
}

int
rpt_compute(const struct sbx_account *a, const struct rpt_req *r,
    struct rpt_res *res)
{
	const struct sbx_store	*st = a->store;
	const char		*key[RPT_GROUPS_MAX];
	struct unit_ref		 ur;
	struct rpt_group	*g;
	enum sbx_unit		 su;
	size_t			 n = rpt_nunits(st, r->def->kind), u, j, gi, b;
	int			 rc;

	memset(res, 0, sizeof(*res));
	if ((rc = rpt_buckets(a, r, res)) != KC_OK)
		return rc;
	if (n > 0 && (res->unit_group = calloc(n, sizeof(size_t))) == NULL)
		return KC_ERR_NOMEM;
	ur.st = st;
	ur.kind = r->def->kind;
	su = r->def->kind == RK_FLOW ? SBX_U_FLOW_MSG : r->def->kind ==
	    RK_FORM ? SBX_U_FORM_VER : SBX_U_SEGMENT;
	for (u = 0; u < n; u++) {
		res->unit_group[u] = (size_t)-1;
		ur.u = u;
		if (!sbx_filter_match_fn(r->filter, unit_get, &ur))
			continue;
		if (r->def->kind == RK_CAMPAIGN && (st->campaigns[u].status !=
		    SBX_CS_SENT || st->campaigns[u].send < r->start ||
		    st->campaigns[u].send >= r->end))
			continue;
		if (r->def->kind == RK_SEGMENT && st->segments[u].created >=
		    r->end)
			continue;
		for (j = 0; j < r->ngroup; j++)
			key[j] = unit_attr(st, r->def->kind, u, r->group[j]);
		if ((rc = add_group(res, r->ngroup, key, res->nb, &gi)) !=
		    KC_OK)
			return rc;
		res->unit_group[u] = gi;
		g = &res->g[gi];
		switch (r->def->kind) {
		case RK_CAMPAIGN:
			for (j = 0; j < SBX_C_MSG_N; j++)
				g->acc[0][j] += st->campaigns[u].c[j];
			g->any = 1;
			break;
		case RK_FLOW:
		case RK_FORM:
			sbx_store_add(st, su, u, r->start, r->end, res->bounds,
			    res->nb, g->acc);
			for (b = 0; b < res->nb && !g->any; b++)
				for (j = 0; j < SBX_COUNTERS_MAX; j++)
					g->any |= g->acc[b][j] != 0;
			break;
		case RK_SEGMENT:
			sbx_store_add(st, su, u, r->start, r->end, res->bounds,
			    res->nb, g->acc);
			g->seg = u;
			for (b = 0; b < res->nb; b++) {
				int64_t t = res->bounds[b + 1] < r->end ?
				    res->bounds[b + 1] : r->end;

				g->members[b] = sbx_store_members_at(st, u, t);
			}
			g->any = 1;
			break;
		}
	}
	return rpt_conversions(st, r, res);
}
