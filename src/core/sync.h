/*
 * Running one sync job (DESIGN.md 6): the store's credential is
 * decrypted for the job's lifetime, each page or report window is
 * fetched, then written in one transaction that starts by renewing the
 * job's lease (so a cancelled job writes nothing more) and saves the
 * cursor, so a killed job resumes where it stopped.
 */
#ifndef KC_SYNC_H
#define KC_SYNC_H

#include <signal.h>

#include <json-c/json.h>

#include "db.h"
#include "jobq.h"
#include "kc_err.h"
#include "klaviyo.h"
#include "oauth_cred.h"
#include "secretbox.h"
#include "sync_type.h"

struct sync_opts {
	int	lease_seconds;
	int	lookback_days;		/* re-read at least the attribution */
	int	history_days;		/* a full sync's reach */
	double	rate_scale;		/* Klaviyo's windows shortened */
};

struct sync_ctx {
	struct db		*db;
	struct kv_client	*kv;
	const struct keyring	*keyring;
	const struct sync_opts	*opt;
	const char		*owner;
	volatile sig_atomic_t	*stopping;
	struct job		*job;
	const struct sync_type	*type;		/* the job's row */
	const struct oauth_client *oauth;	/* NULL: OAuth is off */
	struct kc_cred		 cred;		/* decrypted, wiped after */
	char			 acct[80];	/* rate-limit account key */
	const char		*kid;		/* Klaviyo account id */
	const char		*tz;		/* account timezone */
	const char		*currency;	/* account currency, or NULL */
	const char		*metric_id;	/* conversion metric */
	long long		 done, total;
	long long		 held;		/* objects stored; -1 unknown */
	int			 report_requests;
	long			 retry_after;
	int			 scope_missing;	/* error names the scope */
	int			 slot_wait;	/* only our own limiter said wait */
	int			 yield;		/* back to the queue at once */
	char			 error[256];
};

/* Runs a claimed job to its end (done, failed, rescheduled, released). */
int	sync_run_job(struct sync_ctx *) KC_MUSTCHECK;

#endif
