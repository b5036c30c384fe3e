/*
 * --fleet N: small generated accounts beside the table's, for the
 * benchmarks (fleet.c).  Each is drawn from its index alone, so the
 * same N gives the same accounts on every run; only its key, name and
 * size are kept all the time, its store and collections are built on
 * demand (sbx_data_load).  GET /__sandbox/fleet describes them
 * (ctl_fleet.c).
 */
#ifndef KC_SANDBOX_FLEET_H
#define KC_SANDBOX_FLEET_H

#include <stddef.h>
#include <stdint.h>

#include "sandbox.h"

#define SBX_FLEET_MAX		20000
/* Fleet accounts loaded at once unless --fleet-cache says otherwise. */
#define SBX_FLEET_CACHE		64

/* Key of fleet account i: "pk_fleet" and i in 27 digits (35 chars). */
#define SBX_FLEET_KEY_FMT	"pk_fleet%027zu"
#define SBX_FLEET_KEY_LEN	35

/* The report types a full sync reads, in sbx_fleet_sum.min order. */
enum {
	SBX_FR_CAMPAIGN_VALUES, SBX_FR_FLOW_SERIES, SBX_FR_FORM_SERIES,
	SBX_FR_SEGMENT_SERIES, SBX_FR_N
};

/*
 * What a fleet account's data asks of a full sync: the first history
 * day of each type (campaigns: the first send; -1: no data) and the
 * fewest report requests per report type (docs/SANDBOX.md has the
 * rule).
 */
struct sbx_fleet_sum {
	int	first[SBX_FR_N];
	int	min[SBX_FR_N];
	char	order_metric[8];
	int	ndays;
	int64_t	first_wall;		/* midnight starting day 0 */
	size_t	campaigns, sent, flows, msgs, forms, vers, segments, orders;
};

int	sbx_fleet_new(size_t n, struct sbx_fleet **) KC_MUSTCHECK;
void	sbx_fleet_free(struct sbx_fleet *);
/* Fleet account i's definition (i < n). */
const struct sbx_account_def *sbx_fleet_def(const struct sbx_fleet *,
	    size_t i);
/* The fleet index of a key of the fleet's form, or -1. */
long	sbx_fleet_key_index(const char *key);
/* The account id of fleet account i: "F" and 5 letters or digits. */
void	sbx_fleet_id(size_t i, char out[8]);
/*
 * Summarizes an account's store (its own store, or one built and
 * dropped again when it is not loaded).
 */
int	sbx_fleet_sum(const struct sbx_account *, struct sbx_fleet_sum *)
	    KC_MUSTCHECK;
/* The report endpoint of a sbx_fleet_sum.min slot, e.g. "flow-series". */
const char *sbx_fleet_report_name(int);
const char *sbx_fleet_report_path(int);

/* ctl_fleet.c: GET /__sandbox/fleet[?from=I&count=N] */
struct sbx_app;
void	sbx_ctl_fleet(struct sbx_app *, const struct sbx_req *,
	    struct sbx_resp *);

#endif
