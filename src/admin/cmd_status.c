/*
 * klaviyo-admin status: the live processes (their heartbeats: age, key
 * versions, jobs) and the queues, and one clear line when no
 * klaviyo-syncd is alive, since then nothing is synced or delivered.
 */
#include "admin.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "heartbeat.h"
#include "queue_stats.h"

/* "1,2" of a process's key versions. */
static void
versions_text(const struct hb_proc *p, char *out, size_t len)
{
	size_t	o = 0;
	int	i, w;

	out[0] = '\0';
	for (i = 0; i < p->nversions && o < len; i++) {
		w = snprintf(out + o, len - o, "%s%d", i ? "," : "",
		    p->versions[i]);
		if (w < 0)
			break;
		o += (size_t)w;
	}
	if (p->nversions == 0)
		snprintf(out, len, "-");
}

/* "{12,14}" without the braces, or "-". */
static void
jobs_text(const char *jobs, char *out, size_t len)
{
	size_t n = strlen(jobs);

	if (n <= 2)
		snprintf(out, len, "-");
	else
		snprintf(out, len, "%.*s", (int)(n - 2), jobs + 1);
}

int
admin_status(const struct kc_config *cfg, struct db *db, int argc,
    char **argv)
{
	struct hb_proc		*p = NULL;
	struct queue_stats	 qs;
	char			 keys[KEYRING_MAX * 12], jobs[128];
	size_t			 n, i, syncd = 0;
	int			 rc;

	(void)cfg;
	if (argc != 0) {
		admin_err("unexpected argument '%s'", argv[0]);
		return EXIT_USAGE;
	}
	if ((rc = heartbeat_list(db, &p, &n)) != KC_OK)
		return admin_exit(rc);
	printf("processes (heartbeat within the last %d s):\n",
	    HEARTBEAT_STALE_SECONDS);
	printf("  %-21s %-20s %7s %-8s %8s %9s %-8s %s\n", "PROGRAM", "HOST",
	    "PID", "VERSION", "UP", "HEARTBEAT", "KEYS", "JOBS");
	for (i = 0; i < n; i++) {
		versions_text(&p[i], keys, sizeof(keys));
		jobs_text(p[i].jobs, jobs, sizeof(jobs));
		printf("  %-21s %-20s %7d %-8s %7lds %7lds ago %-8s %s\n",
		    p[i].program, p[i].host, p[i].pid, p[i].version,
		    p[i].up_s, p[i].age_s, keys,
		    strcmp(p[i].program, "klaviyo-syncd") == 0 ? jobs : "");
		syncd += strcmp(p[i].program, "klaviyo-syncd") == 0;
	}
	if (n == 0)
		printf("  none\n");
	free(p);
	if ((rc = queue_stats_read(db, &qs)) != KC_OK)
		return admin_exit(rc);
	printf("sync jobs: %lld queued (oldest due %lld s ago), %lld running,"
	    " %lld failed\n", qs.jobs_queued, qs.oldest_queued_s,
	    qs.jobs_running, qs.jobs_failed);
	printf("report triggers: %lld not delivered (oldest %lld s)\n",
	    qs.outbox_pending, qs.oldest_outbox_s);
	if (syncd == 0) {
		printf("WARNING: no klaviyo-syncd is alive: sync jobs do not "
		    "run and report triggers are not delivered\n");
		return EXIT_NO_SYNCD;
	}
	return EXIT_OK;
}
