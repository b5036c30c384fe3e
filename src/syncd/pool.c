/* The job pool of klaviyo-syncd; see pool.h. */
#include "pool.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "coro.h"
#include "jobq.h"
#include "log.h"
#include "opstats.h"

struct pool_job {
	struct pool		*pool;
	struct job		 job;
	struct sync_ctx		 sc;
	struct coro		*co;
	int64_t			 wake_at;	/* 0: no timer */
	int			 runnable;
	int			 cancelled;
};

struct pool {
	struct db			*db;
	struct kv_client		*kv;
	const struct keyring		*kr;
	const struct oauth_client	*oauth;
	struct pool_opts		 opt;
	struct pool_job			**jobs;
	size_t				 n;
	struct pool_job			*running;
	int64_t				 last_check;
	int64_t				 last_renew;
	int64_t				 last_empty;	/* claim found none */
	int				 stop_seen;
};

/* ---- what kv_run asks of the pool ---- */

static void *
hook_task(void *arg)
{
	struct pool *p = arg;

	return p->running;
}

static void
hook_sleep(void *arg, void *task, long ms)
{
	struct pool_job *j = task;

	(void)arg;
	j->wake_at = kc_now_ms() + (ms > 0 ? ms : 0);
	j->runnable = 0;
	coro_yield();
	j->wake_at = 0;
}

static void
hook_wake(void *arg, void *task)
{
	struct pool_job *j = task;

	(void)arg;
	j->runnable = 1;
}

static int
hook_stop(void *arg, void *task)
{
	struct pool	*p = arg;
	struct pool_job	*j = task;

	if (j->cancelled)
		return KC_ERR_CONFLICT;
	return *p->opt.stopping ? KC_ERR_IO : KC_OK;
}

/*
 * The job a request is for: the statement that takes its rate-limit
 * slot checks the job's row too, since a disconnect may have committed
 * just now.
 */
static int
hook_may_send(void *arg, void *task, struct kv_guard *g)
{
	struct pool	*p = arg;
	struct pool_job	*j = task;

	if (j->cancelled)
		return KC_ERR_CONFLICT;
	g->job_id = j->job.id;
	g->owner = p->opt.owner;
	return KC_OK;
}

/* ---- jobs ---- */

static void
job_main(void *arg)
{
	struct pool_job	*j = arg;
	struct job	*job = &j->job;

	log_info("job %lld: %s %s of store %s (attempt %d)", job->id,
	    job->mode, job->type, job->store_public_id, job->attempts);
	if (sync_run_job(&j->sc) != KC_OK)
		log_warnx("job %lld: bookkeeping failed", job->id);
	opstats_job_end(j->sc.error[0] != '\0');
}

static void
job_free(struct pool_job *j)
{
	coro_free(j->co);
	job_clear(&j->job);
	free(j);
}

/* Claims one job and starts its coroutine; KC_ERR_NOT_FOUND: none. */
static int
claim_one(struct pool *p)
{
	struct pool_job	*j;
	int		 rc;

	if ((j = calloc(1, sizeof(*j))) == NULL)
		return KC_ERR_NOMEM;
	if ((rc = jobq_claim(p->db, p->opt.owner, p->opt.sync->lease_seconds,
	    &j->job)) != KC_OK) {
		free(j);
		return rc;
	}
	j->pool = p;
	j->sc.db = p->db;
	j->sc.kv = p->kv;
	j->sc.keyring = p->kr;
	j->sc.oauth = p->oauth;
	j->sc.opt = p->opt.sync;
	j->sc.owner = p->opt.owner;
	j->sc.stopping = p->opt.stopping;
	j->sc.job = &j->job;
	j->runnable = 1;
	if ((rc = coro_new(p->opt.stack_size, job_main, j, &j->co)) != KC_OK) {
		/* Back to the queue at once for this or another daemon. */
		if (jobq_reschedule(p->db, &j->job, p->opt.owner, 0,
		    "the daemon was out of memory") != KC_OK)
			log_warnx("job %lld: cannot release it", j->job.id);
		job_free(j);
		return rc;
	}
	p->jobs[p->n++] = j;
	return KC_OK;
}

/*
 * One statement for every job held: the ones missing were cancelled (a
 * disconnect, a replaced key) or lost their lease; they stop at once,
 * even in the middle of a rate-limit wait.
 */
static void
check_held(struct pool *p, int renew)
{
	long long	*ids = NULL;
	size_t		 n, i, k;

	if (jobq_held(p->db, p->opt.owner, p->opt.sync->lease_seconds, renew,
	    &ids, &n) != KC_OK)
		return;		/* the jobs' own steps will notice too */
	for (i = 0; i < p->n; i++) {
		for (k = 0; k < n && ids[k] != p->jobs[i]->job.id; k++)
			;
		if (k == n && !p->jobs[i]->cancelled) {
			p->jobs[i]->cancelled = 1;
			p->jobs[i]->runnable = 1;
			log_info("job %lld was cancelled or lost its lease; "
			    "stopping it", p->jobs[i]->job.id);
		}
	}
	free(ids);
}

static void
run_jobs(struct pool *p, int *worked)
{
	struct pool_job	*j;
	int64_t		 now = kc_now_ms();
	size_t		 i;

	/* Stopping: every job hears it once, then as usual. */
	if (*p->opt.stopping && !p->stop_seen) {
		p->stop_seen = 1;
		for (i = 0; i < p->n; i++)
			p->jobs[i]->runnable = 1;
	}
	i = 0;
	while (i < p->n) {
		j = p->jobs[i];
		if (!j->runnable && !(j->wake_at && j->wake_at <= now) &&
		    !j->cancelled) {
			i++;
			continue;
		}
		j->runnable = 0;
		p->running = j;
		if (coro_resume(j->co)) {
			p->running = NULL;
			job_free(j);
			p->jobs[i] = p->jobs[--p->n];
			(*worked)++;
			/* It may have queued itself again (a yield): ask now. */
			p->last_empty = 0;
			continue;
		}
		p->running = NULL;
		i++;
	}
}

/* ---- the pool ---- */

int
pool_new(struct db *db, struct kv_client *kv, const struct keyring *kr,
    const struct oauth_client *oauth, const struct pool_opts *opt,
    struct pool **out)
{
	struct kv_hooks	 h;
	struct pool	*p;

	*out = NULL;
	if ((p = calloc(1, sizeof(*p))) == NULL)
		return KC_ERR_NOMEM;
	if ((p->jobs = calloc(opt->concurrency, sizeof(*p->jobs))) == NULL) {
		free(p);
		return KC_ERR_NOMEM;
	}
	p->db = db;
	p->kv = kv;
	p->kr = kr;
	p->oauth = oauth;
	p->opt = *opt;
	memset(&h, 0, sizeof(h));
	h.task = hook_task;
	h.sleep = hook_sleep;
	h.wake = hook_wake;
	h.stop = hook_stop;
	h.may_send = hook_may_send;
	h.arg = p;
	kv_client_set_hooks(kv, &h);
	*out = p;
	return KC_OK;
}

void
pool_turn(struct pool *p, int claim, int *worked)
{
	int64_t	now = kc_now_ms();
	int	rc;

	/* An empty queue is asked again only after claim_ms. */
	if (now - p->last_empty < p->opt.claim_ms)
		claim = 0;
	while (claim && !*p->opt.stopping && p->n < p->opt.concurrency) {
		if ((rc = claim_one(p)) != KC_OK) {
			if (rc == KC_ERR_DB_DOWN)
				log_warnx("database unavailable; retrying");
			p->last_empty = now;
			break;
		}
		(*worked)++;
	}
	if (p->n > 0 && now - p->last_check >= p->opt.check_ms) {
		/* Leases: renewed a few times per lease, for all at once. */
		int renew = now - p->last_renew >=
		    p->opt.sync->lease_seconds * 1000L / 3;

		check_held(p, renew);
		p->last_check = now;
		if (renew)
			p->last_renew = now;
	}
	(void)kv_client_drive(p->kv);
	run_jobs(p, worked);
}

size_t
pool_active(const struct pool *p)
{
	return p->n;
}

size_t
pool_job_ids(const struct pool *p, long long *ids, size_t max)
{
	size_t i;

	for (i = 0; i < p->n && i < max; i++)
		ids[i] = p->jobs[i]->job.id;
	return i;
}

long
pool_timeout(const struct pool *p, long max_ms)
{
	int64_t	now = kc_now_ms(), t = max_ms;
	size_t	i;

	for (i = 0; i < p->n; i++) {
		if (p->jobs[i]->runnable || p->jobs[i]->cancelled)
			return 0;
		if (p->jobs[i]->wake_at && p->jobs[i]->wake_at - now < t)
			t = p->jobs[i]->wake_at - now;
	}
	if (p->n > 0 && p->opt.check_ms - (now - p->last_check) < t)
		t = p->opt.check_ms - (now - p->last_check);
	return t < 0 ? 0 : (long)t;
}

void
pool_wait(struct pool *p, long ms)
{
	kv_client_poll(p->kv, (int)ms);
}

void
pool_free(struct pool *p)
{
	size_t i;

	if (p == NULL)
		return;
	kv_client_set_hooks(p->kv, NULL);
	for (i = 0; i < p->n; i++)
		job_free(p->jobs[i]);
	free(p->jobs);
	free(p);
}
