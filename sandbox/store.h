/*
 * What the store's generators share (store.c, store_orders.c,
 * store_days.c): draws from the deterministic streams (rng.c) and the
 * generation of Placed Order events.
 */
#ifndef KC_SANDBOX_STORE_H
#define KC_SANDBOX_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "sandbox.h"

/* Short ids (flows, messages, forms, segments), unique per store. */
struct sbx_idset {
	char	(*ids)[12];
	size_t	 n, cap;
};

/* rng.c */
/* Uniform in [0, 1). */
double	sbx_frac(struct sbx_rng *);
/* Skewed to small values: repeat customers. */
double	sbx_pow_frac(struct sbx_rng *);
/* A local hour of activity, by the day's usual curve. */
int	sbx_pick_hour(struct sbx_rng *);
/* Growth over the history: 0.6 at its start to 1.4 at its end. */
double	sbx_trend(const struct sbx_store *, int day);
/* A day from from on, more likely when recent (by trend). */
int	sbx_pick_day(const struct sbx_store *, struct sbx_rng *, int from);
/* x as a counter: 0 below 0, capped at 4e9. */
uint32_t sbx_scale(double);
/* 26 characters like a ULID, unique for distinct v. */
void	sbx_ulid_like(uint64_t v, uint64_t w, char *out);
/* A fresh id (digits or alphanumeric) not in set, added to it. */
int	sbx_idset_fresh(struct sbx_idset *, struct sbx_rng *, char *, size_t,
	    int digits) KC_MUSTCHECK;

/* store.c */
int	sbx_store_new(const struct sbx_account *, struct sbx_store **)
	    KC_MUSTCHECK;

/* store_orders.c */
int	sbx_store_gen_orders(struct sbx_store *, const struct sbx_account *)
	    KC_MUSTCHECK;

#endif
