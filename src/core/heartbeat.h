/*
 * Process heartbeats (sql/007): every klaviyo-connect-fcgi worker and
 * klaviyo-syncd records in process_heartbeat that it is alive and which
 * master key versions it holds, at start, after a SIGHUP reload and every
 * HEARTBEAT_SECONDS; a clean exit deletes the row.  Rows older than
 * HEARTBEAT_STALE_SECONDS belong to dead processes: readers ignore them
 * and the prune deletes them.  klaviyo-admin rotate-keys reads them to
 * refuse a rotation some process could not follow, and status shows them.
 */
#ifndef KC_HEARTBEAT_H
#define KC_HEARTBEAT_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "db.h"
#include "kc_err.h"
#include "secretbox.h"

#define HEARTBEAT_SECONDS	15
/* Four missed beats: a busy or briefly disconnected process stays. */
#define HEARTBEAT_STALE_SECONDS	60

/* This process. */
struct heartbeat {
	char		 host[64];
	int		 pid;
	const char	*program;	/* "klaviyo-syncd" */
	time_t		 started;
	int64_t		 last_ms;	/* kc_now_ms of the last beat */
	int		 failing;	/* the last beat failed (logged once) */
};

/* One live process as read back. */
struct hb_proc {
	char	host[64];
	int	pid;
	char	program[32];
	char	version[32];
	long	age_s;			/* since its last heartbeat */
	long	up_s;			/* since it started */
	int	versions[KEYRING_MAX];	/* ascending */
	int	nversions;
	char	jobs[128];		/* "{12,14}", "" for none or a worker */
};

void	heartbeat_init(struct heartbeat *, const char *program);
/* 1 when HEARTBEAT_SECONDS have passed since the last beat (or none). */
int	heartbeat_due(const struct heartbeat *, int64_t now_ms);
/*
 * Writes the row: the keyring's versions and, for klaviyo-syncd, the ids
 * of the jobs it runs (jobs NULL: a web worker).  A failure is logged
 * once until a beat succeeds again; it never stops the program.
 */
int	heartbeat_beat(struct heartbeat *, struct db *, const struct keyring *,
	    const long long *jobs, size_t njobs);
/* Deletes the row (a clean exit). */
void	heartbeat_forget(struct heartbeat *, struct db *);

/* The live processes, by program, host and pid; *out to free(). */
int	heartbeat_list(struct db *, struct hb_proc **out, size_t *n)
	    KC_MUSTCHECK;
/* Index of the first process that does not hold version, or -1. */
long	heartbeat_first_lacking(const struct hb_proc *, size_t n,
	    int version);
/* A PostgreSQL array literal "{1,2}" of the keyring's versions. */
int	heartbeat_versions_literal(const struct keyring *, char *out,
	    size_t outlen) KC_MUSTCHECK;
/* Parses "{1,2}" (ascending on output); KC_ERR_BAD_INPUT when malformed. */
int	heartbeat_parse_versions(const char *, int *out, int max, int *n)
	    KC_MUSTCHECK;

#endif
