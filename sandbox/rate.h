/*
 * Klaviyo's rate limits for klaviyo-sandbox: fixed windows per account
 * and endpoint, burst (1 s), steady (60 s) and daily (86400 s) where the
 * spec has one, all divided by the time scale.  Windows are aligned to
 * multiples of their length since the limiter started, as Klaviyo's
 * fixed windows are aligned to the clock.
 */
#ifndef KC_SANDBOX_RATE_H
#define KC_SANDBOX_RATE_H

#include <stddef.h>
#include <stdint.h>

#include "kc_err.h"

struct sbx_limit;
struct sbx_rate;

struct sbx_rate_info {
	int	limit;		/* steady limit: RateLimit-Limit */
	int	remaining;	/* in the steady window */
	long	reset_s;	/* seconds until the steady window resets */
	long	retry_after_s;	/* on a refusal: at least 1 */
	int	window;		/* on a refusal: 0 burst, 1 steady, 2 daily */
};

int	sbx_rate_new(size_t naccounts, size_t nendpoints, double scale,
	    uint64_t now_us, struct sbx_rate **) KC_MUSTCHECK;
void	sbx_rate_free(struct sbx_rate *);
/* 1 and counts the request when allowed, 0 when throttled. */
int	sbx_rate_take(struct sbx_rate *, size_t acc, size_t ep,
	    const struct sbx_limit *, uint64_t now_us, struct sbx_rate_info *);
/* The state without counting a request. */
void	sbx_rate_peek(struct sbx_rate *, size_t acc, size_t ep,
	    const struct sbx_limit *, uint64_t now_us, struct sbx_rate_info *);
void	sbx_rate_reset(struct sbx_rate *);
/*
 * Requests counted in a window (0 burst, 1 steady, 2 daily) now and the
 * microseconds until it rolls over.
 */
void	sbx_rate_window(struct sbx_rate *, size_t acc, size_t ep, int window,
	    uint64_t now_us, int *count, uint64_t *reset_us);
/* Length in microseconds of a window after scaling (never below 1 ms). */
uint64_t sbx_rate_window_us(const struct sbx_rate *, int window);

#endif
