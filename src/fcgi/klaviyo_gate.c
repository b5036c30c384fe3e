/* Caps and deadline of Klaviyo-calling requests; see klaviyo_gate.h. */
#include "klaviyo_gate.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "dispatch.h"
#include "klaviyo.h"
#include "log.h"

/*
 * "KC", a kind and the slot: a key space of our own beside prune's and
 * migrate's (single bigint keys never meet two-int4 ones).  The second
 * key is the user, or for the server's cap this host, so that several
 * hosts on one database each keep a worker of their own free.
 */
#define KGATE_CLASS_USER	0x4b431000	/* + slot */
#define KGATE_CLASS_GLOBAL	0x4b432000	/* + slot */
#define KGATE_SLOTS_MAX		256

static const char SQL_TRY[] = "SELECT pg_try_advisory_lock($1::int, $2::int)";
static const char SQL_UNLOCK[] =
    "SELECT pg_advisory_unlock($1::int, $2::int)";

/* 1 taken, 0 held by another session, or a negative kc_err. */
static int
try_lock(struct db *db, long k1, long k2)
{
	char		 a[24], b[24];
	const char	*p[2] = { a, b };
	PGresult	*res = NULL;
	int		 rc;

	snprintf(a, sizeof(a), "%ld", k1);
	snprintf(b, sizeof(b), "%ld", k2);
	if ((rc = db_query(db, SQL_TRY, 2, p, &res)) != KC_OK)
		return rc > 0 ? -rc : rc;
	rc = strcmp(PQgetvalue(res, 0, 0), "t") == 0;
	PQclear(res);
	return rc;
}

static void
unlock(struct db *db, long k1, long k2)
{
	char		 a[24], b[24];
	const char	*p[2] = { a, b };

	snprintf(a, sizeof(a), "%ld", k1);
	snprintf(b, sizeof(b), "%ld", k2);
	/* A lost connection took the lock with it: nothing to give back. */
	if (db_query(db, SQL_UNLOCK, 2, p, NULL) != KC_OK)
		log_warnx("cannot give back a Klaviyo request slot");
}

/*
 * The first free slot of cap among (class + slot, other): its number,
 * -1 when all are taken, or -2 with *err on a database failure.  Tried
 * one by one: each try takes one lock or none, whatever the plan.
 */
static int
take_slot(struct db *db, long cap, long class, long other, int *err)
{
	long	i;
	int	got;

	if (cap > KGATE_SLOTS_MAX)
		cap = KGATE_SLOTS_MAX;
	for (i = 0; i < cap; i++) {
		if ((got = try_lock(db, class + i, other)) < 0) {
			*err = -got;
			return -2;
		}
		if (got)
			return (int)i;
	}
	return -1;
}

/* This host's name as an int4 key (FNV-1a), the same in every worker. */
static long
host_key(void)
{
	char		name[256];
	uint32_t	h = 2166136261u;
	size_t		i;

	if (gethostname(name, sizeof(name)) != 0)
		return 0;
	name[sizeof(name) - 1] = '\0';
	for (i = 0; name[i]; i++)
		h = (h ^ (unsigned char)name[i]) * 16777619u;
	return (long)(h & 0x7fffffff);
}

/* When to ask again: a slot is free within one deadline at the latest. */
static long
retry_secs(const struct kc_ctx *ctx)
{
	long secs = (ctx->cfg->klaviyo_request_deadline_ms + 999) / 1000;

	return secs > 5 ? 5 : secs;
}

static int
busy(struct kc_ctx *ctx, const char *msg, long secs)
{
	http_resp_error_code(ctx->resp, KC_ERR_RATE_LIMITED, "klaviyo_busy",
	    msg);
	if (http_resp_header(ctx->resp, "Retry-After", "%ld", secs) != KC_OK)
		return ctx_fail(ctx, KC_ERR_INTERNAL, NULL);
	return KC_ERR_RATE_LIMITED;
}

int
kgate_enter(struct kc_ctx *ctx, struct kgate *g)
{
	long	cap = config_klaviyo_web_cap(ctx->cfg);
	long	ucap = ctx->cfg->klaviyo_web_concurrency_per_user;
	long	secs = retry_secs(ctx);
	char	msg[256];
	int	err = KC_OK;

	g->global = g->user = -1;
	g->user_key = g->host_key = 0;
	/* The user's own cap first: one user cannot take every slot. */
	if (ctx->authed) {
		/* int4 keys: ids past 2^31 share a key, which only cuts. */
		g->user_key = (long)(ctx->user.id & 0x7fffffff);
		g->user = take_slot(ctx->db, ucap, KGATE_CLASS_USER,
		    g->user_key, &err);
		if (g->user == -2)
			return ctx_fail(ctx, err, NULL);
		if (g->user < 0) {
			snprintf(msg, sizeof(msg), "You already have %ld "
			    "Klaviyo requests running; try again in %ld "
			    "seconds", ucap, secs);
			return busy(ctx, msg, secs);
		}
	}
	g->host_key = host_key();
	g->global = take_slot(ctx->db, cap, KGATE_CLASS_GLOBAL, g->host_key,
	    &err);
	if (g->global < 0) {
		kgate_leave(ctx, g);
		if (err != KC_OK)
			return ctx_fail(ctx, err, NULL);
		snprintf(msg, sizeof(msg), "All %ld of this server's Klaviyo "
		    "request slots are busy (Klaviyo is slow to answer); try "
		    "again in %ld seconds", cap, secs);
		return busy(ctx, msg, secs);
	}
	kv_client_set_deadline(ctx->kv, kc_now_ms() +
	    ctx->cfg->klaviyo_request_deadline_ms);
	return KC_OK;
}

void
kgate_leave(struct kc_ctx *ctx, struct kgate *g)
{
	kv_client_set_deadline(ctx->kv, 0);
	if (g->global >= 0)
		unlock(ctx->db, KGATE_CLASS_GLOBAL + g->global, g->host_key);
	if (g->user >= 0)
		unlock(ctx->db, KGATE_CLASS_USER + g->user, g->user_key);
	g->global = g->user = -1;
}
