/*
 * The reporting endpoints (POST /api/{campaign,flow,form,segment}-values-
 * reports and /api/{flow,form,segment}-series-reports).  A request body
 * is checked against the spec's DTOs, every violation becoming one
 * errors[] entry of a 400 (report_check.c); then the account's store is
 * summed per group over the time frame (values) or per bucket of the
 * interval (series; report_sum.c) and answered (report_answer.c).
 *
 * Time frames are read on the account's wall clock: a custom start and
 * end lose their offset, as at Klaviyo.  Campaigns count by send time
 * (a campaign is in a time frame when it was sent in it, with all its
 * conversions); flows, forms and segments by the time things happened.
 */
#ifndef KC_SANDBOX_REPORT_H
#define KC_SANDBOX_REPORT_H

#include "sandbox.h"
#include "endpoints.h"
enum rpt_kind { RK_CAMPAIGN, RK_FLOW, RK_FORM, RK_SEGMENT };

struct rpt_def {
	const char			*type;
	enum rpt_kind			 kind;
	int				 series;
	const char *const		*stats;
	const char *const		*groups;	/* NULL: no group_by */
	const char *const		*required;	/* in any group_by */
	const char *const		*defaults;	/* without group_by */
	const struct sbx_filter_field	*filters;
	int				 conversion;	/* metric required */
	int				 paged;		/* page_cursor */
};

#define RPT_STATS_MAX	40
#define RPT_GROUPS_MAX	12
#define RPT_ERRORS_MAX	20
/* group_by on campaign and flow reports: from revision 2025-10-15. */
#define RPT_GROUP_BY_SINCE	"2025-10-15"
/* Segment report data begins on 2023-06-01. */
#define RPT_SEGMENT_DATA_FROM	"2023-06-01"

/* A checked request. */
struct rpt_req {
	const struct rpt_def	*def;
	const char		*stat[RPT_STATS_MAX];
	size_t			 nstat;
	int64_t			 start, end;	/* UTC */
	int64_t			 wstart, wend;	/* the account's clock */
	enum sbx_interval	 iv;
	int			 orders;	/* conversions are our orders */
	const char		*group[RPT_GROUPS_MAX];
	size_t			 ngroup;
	struct sbx_filter	*filter;
	uint32_t		 tag;		/* of the request: cursors */
	size_t			 offset;
};

struct rpt_group {
	const char	*key[RPT_GROUPS_MAX];	/* borrowed from the store */
	int64_t		 (*acc)[SBX_COUNTERS_MAX];	/* per bucket */
	int64_t		*conv, *cents, *uniq;		/* per bucket */
	int64_t		*members;			/* segments */
	size_t		 seg;
	int		 any;
};

struct rpt_res {
	struct rpt_group	*g;
	size_t			 ng;
	int64_t			*bounds;	/* nb + 1 */
	size_t			 nb;
	size_t			*unit_group;	/* per unit; -1: none */
};

/* report_check.c */
/* The report an endpoint's JSON:API type names, or NULL. */
const struct rpt_def *rpt_def_find(const char *type);
/*
 * Checks the body and the page_cursor; fills r.  On a violation answers
 * 400 with every violation found and returns KC_ERR_BAD_INPUT.
 */
int	rpt_parse(struct sbx_ctx *, struct sbx_resp *, struct json_object **,
	    struct rpt_req *) KC_MUSTCHECK;

/* report_sum.c */
int	rpt_compute(const struct sbx_account *, const struct rpt_req *,
	    struct rpt_res *) KC_MUSTCHECK;
void	rpt_res_free(struct rpt_res *);
/* Group keys in order, a null key first. */
int	rpt_keycmp(const char *, const char *);
/* qsort_r order of groups on their first *(size_t *)arg keys. */
int	rpt_group_cmp(const void *, const void *, void *);

#endif
