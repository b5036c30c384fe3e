/* Process heartbeats; see heartbeat.h. */
#include "kc_autoconf.h"

#include "heartbeat.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "log.h"

/* A restarted pid on the same host takes the old row over. */
static const char SQL_BEAT[] =
    "INSERT INTO process_heartbeat (host, pid, program, version,"
    " started_at, heartbeat_at, key_versions, jobs_running)"
    " VALUES ($1, $2::int, $3, $4, to_timestamp($5::bigint), now(),"
    " $6::int[], $7::bigint[])"
    " ON CONFLICT (host, pid) DO UPDATE SET program = EXCLUDED.program,"
    " version = EXCLUDED.version, started_at = EXCLUDED.started_at,"
    " heartbeat_at = now(), key_versions = EXCLUDED.key_versions,"
    " jobs_running = EXCLUDED.jobs_running";
static const char SQL_FORGET[] =
    "DELETE FROM process_heartbeat WHERE host = $1 AND pid = $2::int";
static const char SQL_LIST[] =
    "SELECT host, pid, program, version,"
    " extract(epoch FROM now() - heartbeat_at)::bigint,"
    " extract(epoch FROM now() - started_at)::bigint,"
    " key_versions::text, coalesce(jobs_running::text, '')"
    " FROM process_heartbeat WHERE heartbeat_at > now() - make_interval("
    "secs => $1::int) ORDER BY program, host, pid";

void
heartbeat_init(struct heartbeat *hb, const char *program)
{
	memset(hb, 0, sizeof(*hb));
	if (gethostname(hb->host, sizeof(hb->host)) != 0)
		snprintf(hb->host, sizeof(hb->host), "host");
	hb->host[sizeof(hb->host) - 1] = '\0';
	hb->pid = (int)getpid();
	hb->program = program;
	hb->started = time(NULL);
}

int
heartbeat_due(const struct heartbeat *hb, int64_t now_ms)
{
	return hb->last_ms == 0 ||
	    now_ms - hb->last_ms >= HEARTBEAT_SECONDS * 1000L;
}

static int
cmp_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;

	return (x > y) - (x < y);
}

int
heartbeat_versions_literal(const struct keyring *kr, char *out, size_t len)
{
	int	v[KEYRING_MAX];
	int	i, n;
	size_t	o;

	n = kr->n < KEYRING_MAX ? kr->n : KEYRING_MAX;
	for (i = 0; i < n; i++)
		v[i] = kr->keys[i].version;
	qsort(v, (size_t)n, sizeof(v[0]), cmp_int);
	if (len < 3)
		return KC_ERR_INTERNAL;
	out[0] = '{';
	o = 1;
	for (i = 0; i < n; i++) {
		int w = snprintf(out + o, len - o, "%s%d", i ? "," : "", v[i]);

		if (w < 0 || (size_t)w >= len - o)
			return KC_ERR_INTERNAL;
		o += (size_t)w;
	}
	if (o + 2 > len)
		return KC_ERR_INTERNAL;
	out[o++] = '}';
	out[o] = '\0';
	return KC_OK;
}

/* "{12,14}" of the job ids, or "{}". */
static int
jobs_literal(const long long *jobs, size_t n, char *out, size_t len)
{
	size_t	i, o = 1;
	int	w;

	out[0] = '{';
	for (i = 0; i < n; i++) {
		w = snprintf(out + o, len - o, "%s%lld", i ? "," : "", jobs[i]);
		if (w < 0 || (size_t)w >= len - o)
			return KC_ERR_INTERNAL;
		o += (size_t)w;
	}
	if (o + 2 > len)
		return KC_ERR_INTERNAL;
	out[o++] = '}';
	out[o] = '\0';
	return KC_OK;
}

int
heartbeat_beat(struct heartbeat *hb, struct db *db, const struct keyring *kr,
    const long long *jobs, size_t njobs)
{
	char		 pid[16], started[24], versions[KEYRING_MAX * 12 + 3];
	char		 jl[64 * 21 + 3];
	const char	*params[7];
	int		 rc;

	hb->last_ms = kc_now_ms();
	snprintf(pid, sizeof(pid), "%d", hb->pid);
	snprintf(started, sizeof(started), "%lld", (long long)hb->started);
	if ((rc = heartbeat_versions_literal(kr, versions, sizeof(versions)))
	    != KC_OK)
		return rc;
	/* More jobs than fit are rare (SYNC_CONCURRENCY <= 64): cut. */
	if (jobs != NULL && njobs > 64)
		njobs = 64;
	if (jobs != NULL && (rc = jobs_literal(jobs, njobs, jl, sizeof(jl))) !=
	    KC_OK)
		return rc;
	params[0] = hb->host;
	params[1] = pid;
	params[2] = hb->program;
	params[3] = PACKAGE_VERSION;
	params[4] = started;
	params[5] = versions;
	params[6] = jobs != NULL ? jl : NULL;
	rc = db_query(db, SQL_BEAT, 7, params, NULL);
	if (rc != KC_OK && !hb->failing)
		log_warnx("heartbeat not recorded: %s", kc_strerror(rc));
	else if (rc == KC_OK && hb->failing)
		log_info("heartbeat recorded again");
	hb->failing = rc != KC_OK;
	return rc;
}

void
heartbeat_forget(struct heartbeat *hb, struct db *db)
{
	char		 pid[16];
	const char	*params[2] = { hb->host, pid };

	if (hb->last_ms == 0)
		return;		/* never written */
	snprintf(pid, sizeof(pid), "%d", hb->pid);
	if (db_query(db, SQL_FORGET, 2, params, NULL) != KC_OK)
		log_warnx("heartbeat row not removed; it expires in %d s",
		    HEARTBEAT_STALE_SECONDS);
}

int
heartbeat_parse_versions(const char *s, int *out, int max, int *n)
{
	char	*end;
	long	 v;

	*n = 0;
	if (*s++ != '{')
		return KC_ERR_BAD_INPUT;
	if (*s == '}' && s[1] == '\0')
		return KC_OK;
	for (;;) {
		if (*n >= max || *s < '0' || *s > '9')
			return KC_ERR_BAD_INPUT;
		v = strtol(s, &end, 10);
		if (v < 1 || v > 1000000)
			return KC_ERR_BAD_INPUT;
		out[(*n)++] = (int)v;
		s = end;
		if (*s == '}' && s[1] == '\0')
			break;
		if (*s++ != ',')
			return KC_ERR_BAD_INPUT;
	}
	qsort(out, (size_t)*n, sizeof(out[0]), cmp_int);
	return KC_OK;
}

static void
copy(char *dst, size_t len, const char *src)
{
	snprintf(dst, len, "%s", src ? src : "");
}

int
heartbeat_list(struct db *db, struct hb_proc **out, size_t *n)
{
	char		 stale[16];
	const char	*params[1] = { stale };
	PGresult	*res = NULL;
	struct hb_proc	*p;
	int		 r, rows, rc;

	*out = NULL;
	*n = 0;
	snprintf(stale, sizeof(stale), "%d", HEARTBEAT_STALE_SECONDS);
	if ((rc = db_query(db, SQL_LIST, 1, params, &res)) != KC_OK)
		return rc;
	rows = PQntuples(res);
	if ((p = calloc(rows > 0 ? (size_t)rows : 1, sizeof(*p))) == NULL) {
		PQclear(res);
		return KC_ERR_NOMEM;
	}
	for (r = 0; r < rows; r++) {
		copy(p[r].host, sizeof(p[r].host), db_val(res, r, 0));
		p[r].pid = atoi(db_val(res, r, 1));
		copy(p[r].program, sizeof(p[r].program), db_val(res, r, 2));
		copy(p[r].version, sizeof(p[r].version), db_val(res, r, 3));
		p[r].age_s = atol(db_val(res, r, 4));
		p[r].up_s = atol(db_val(res, r, 5));
		if (heartbeat_parse_versions(db_val(res, r, 6), p[r].versions,
		    KEYRING_MAX, &p[r].nversions) != KC_OK)
			p[r].nversions = 0;	/* holds nothing we know */
		copy(p[r].jobs, sizeof(p[r].jobs), db_val(res, r, 7));
	}
	PQclear(res);
	*out = p;
	*n = (size_t)rows;
	return KC_OK;
}

long
heartbeat_first_lacking(const struct hb_proc *p, size_t n, int version)
{
	size_t	i;
	int	k, has;

	for (i = 0; i < n; i++) {
		for (has = 0, k = 0; k < p[i].nversions && !has; k++)
			has = p[i].versions[k] == version;
		if (!has)
			return (long)i;
	}
	return -1;
}
