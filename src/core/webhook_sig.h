/*
 * Klaviyo's webhook signature (developers.klaviyo.com, "Working with
 * system webhooks"): Klaviyo-Signature is the hex HMAC-SHA256, keyed
 * with the webhook's secret, of the raw body followed by the
 * Klaviyo-Timestamp header's value as sent.  Pure, unit-tested.
 */
#ifndef KC_WEBHOOK_SIG_H
#define KC_WEBHOOK_SIG_H

#include <stddef.h>
#include <time.h>

#include "kc_err.h"

#define WEBHOOK_SIG_HEX	64

/* out gets the 64 hex digits and a NUL. */
int	webhook_sign(const char *secret, size_t secretlen, const char *body,
	    size_t bodylen, const char *timestamp,
	    char out[WEBHOOK_SIG_HEX + 1]) KC_MUSTCHECK;
/*
 * KC_OK when signature (hex, either case) is the body's and timestamp's,
 * compared in constant time; KC_ERR_UNAUTHORIZED for any other
 * signature, malformed or not.
 */
int	webhook_sig_check(const char *secret, size_t secretlen,
	    const char *body, size_t bodylen, const char *timestamp,
	    const char *signature) KC_MUSTCHECK;
/*
 * The timestamp as seconds since the epoch: decimal seconds (a value
 * past year 5000 is taken as milliseconds) or ISO 8601 with an offset
 * or Z.  KC_ERR_BAD_INPUT for anything else.
 */
int	webhook_ts_parse(const char *, time_t *) KC_MUSTCHECK;
/* 1 when at is within tolerance seconds of now, either way. */
int	webhook_ts_fresh(time_t at, time_t now, long tolerance);

#endif
