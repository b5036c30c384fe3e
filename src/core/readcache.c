/* The web worker's read cache; see readcache.h. */
#include "readcache.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "crypto.h"
#include "log.h"

struct rc_session {
	int		 used;
	int64_t		 until_ms;	/* expiry or TTL, whichever first */
	char		 hash[SHA256_HEX_LEN + 1];
	struct kc_user	 user;
};

struct rc_store {
	int			 used;
	int64_t			 until_ms;
	long long		 user_id;
	struct store_access	 access;	/* integration: owned */
	char			*body;		/* status answer or NULL */
};

struct readcache {
	struct rc_session	 sess[READCACHE_SESSIONS];
	struct rc_store		 store[READCACHE_STORES];
	size_t			 bytes;		/* integration + body text */
	unsigned long		 epoch;		/* db_epoch we listen on */
	int			 synced;	/* this request */
	int			 seen;		/* notifications this read */
	int			 fence;		/* wait for a round trip */
	int			 strict;	/* this request: fence anyway */
};

int
readcache_new(int fence, struct readcache **out)
{
	if ((*out = calloc(1, sizeof(**out))) == NULL)
		return KC_ERR_NOMEM;
	(*out)->fence = fence != 0;
	return KC_OK;
}

/* An entry's status answer, and its bytes from the bound. */
static void
body_drop(struct readcache *c, struct rc_store *e)
{
	if (e->body)
		c->bytes -= strlen(e->body) + 1;
	free(e->body);
	e->body = NULL;
}

static void
store_drop(struct readcache *c, struct rc_store *e)
{
	if (!e->used)
		return;
	if (e->access.integration)
		c->bytes -= strlen(e->access.integration) + 1;
	body_drop(c, e);
	perm_access_clear(&e->access);
	memset(e, 0, sizeof(*e));
}

static void
drop_all(struct readcache *c)
{
	size_t i;

	for (i = 0; i < READCACHE_STORES; i++)
		store_drop(c, &c->store[i]);
	/* The email is the only thing in a slot: no secret to wipe. */
	memset(c->sess, 0, sizeof(c->sess));
}

void
readcache_free(struct readcache *c)
{
	if (c == NULL)
		return;
	drop_all(c);
	free(c);
}

void
readcache_invalidate(struct readcache *c, const char *payload)
{
	char		*end;
	long long	 id;
	size_t		 i;

	if ((payload[0] != 'u' && payload[0] != 's' && payload[0] != 'p') ||
	    payload[1] != ':' || (id = strtoll(payload + 2, &end, 10)) <= 0 ||
	    *end != '\0') {
		drop_all(c);	/* "*" and anything we do not know */
		return;
	}
	/* Sync progress: the status answers only, the access stays. */
	if (payload[0] == 'p') {
		for (i = 0; i < READCACHE_STORES; i++)
			if (c->store[i].used &&
			    c->store[i].access.store_id == id)
				body_drop(c, &c->store[i]);
		return;
	}
	if (payload[0] == 'u') {
		for (i = 0; i < READCACHE_SESSIONS; i++)
			if (c->sess[i].user.id == id)
				memset(&c->sess[i], 0, sizeof(c->sess[i]));
		for (i = 0; i < READCACHE_STORES; i++)
			if (c->store[i].user_id == id)
				store_drop(c, &c->store[i]);
		return;
	}
	for (i = 0; i < READCACHE_STORES; i++)
		if (c->store[i].used && c->store[i].access.store_id == id)
			store_drop(c, &c->store[i]);
}

static int
on_notify(void *arg, const char *payload)
{
	struct readcache *c = arg;

	/* Past the burst, one drop of everything is cheaper than more. */
	if (++c->seen == READCACHE_BURST)
		drop_all(c);
	else if (c->seen < READCACHE_BURST)
		readcache_invalidate(c, payload);
	return KC_OK;
}

/*
 * Reads the notifications; a connection other than the one we listen
 * on lost them: forget everything and listen on the new one.
 */
static int
read_notifies(struct readcache *c, struct db *db, int fence)
{
	int rc;

	if (db_epoch(db) != c->epoch || c->epoch == 0) {
		drop_all(c);
		c->epoch = 0;
		if (db_listen(db, READCACHE_CHANNEL) != KC_OK)
			return KC_ERR_DB_DOWN;
		c->epoch = db_epoch(db);
	}
	c->seen = 0;
	rc = db_notifies(db, fence, on_notify, c);
	if (rc != KC_OK || db_epoch(db) != c->epoch) {
		drop_all(c);
		c->epoch = 0;
		return KC_ERR_DB_DOWN;
	}
	return KC_OK;
}

void
readcache_request(struct readcache *c)
{
	c->synced = 0;
	c->strict = 0;
}

void
readcache_strict(struct readcache *c)
{
	c->strict = 1;
}

void
readcache_drain(struct readcache *c, struct db *db)
{
	if (c->epoch != 0)
		(void)read_notifies(c, db, 0);
}

int
readcache_ready(struct readcache *c, struct db *db)
{
	if (c->synced == 0)
		c->synced = read_notifies(c, db, c->fence || c->strict) ==
		    KC_OK ? 1 : -1;
	return c->synced > 0;
}

/* FNV-1a of a key's bytes, into n slots. */
static size_t
slot(const void *p, size_t len, long long id, size_t n)
{
	const unsigned char	*s = p;
	uint64_t		 h = 14695981039346656037ULL;
	size_t			 i;

	for (i = 0; i < len; i++)
		h = (h ^ s[i]) * 1099511628211ULL;
	h = (h ^ (uint64_t)id) * 1099511628211ULL;
	return (size_t)(h % n);
}

int
readcache_session(struct readcache *c, const char *hash, struct kc_user *u)
{
	struct rc_session *e = &c->sess[slot(hash, SHA256_HEX_LEN, 0,
	    READCACHE_SESSIONS)];

	if (!e->used || strcmp(e->hash, hash) != 0)
		return 0;
	if (kc_now_ms() >= e->until_ms) {
		memset(e, 0, sizeof(*e));
		return 0;
	}
	*u = e->user;
	return 1;
}

void
readcache_session_put(struct readcache *c, const char *hash,
    const struct kc_user *u)
{
	struct rc_session	*e = &c->sess[slot(hash, SHA256_HEX_LEN, 0,
	    READCACHE_SESSIONS)];
	int64_t			 ttl = READCACHE_TTL_MS;

	if (u->expires_in_s <= 0 || strlen(hash) != SHA256_HEX_LEN)
		return;
	if (u->expires_in_s < ttl / 1000)
		ttl = u->expires_in_s * 1000;
	e->used = 1;
	e->until_ms = kc_now_ms() + ttl;
	memcpy(e->hash, hash, sizeof(e->hash));
	e->user = *u;
}

static struct rc_store *
store_slot(struct readcache *c, long long user_id, const char *public_id)
{
	return &c->store[slot(public_id, strlen(public_id), user_id,
	    READCACHE_STORES)];
}

/* The live entry of (user, store), or NULL. */
static struct rc_store *
store_find(struct readcache *c, long long user_id, const char *public_id)
{
	struct rc_store *e = store_slot(c, user_id, public_id);

	if (!e->used || e->user_id != user_id ||
	    strcmp(e->access.public_id, public_id) != 0)
		return NULL;
	if (kc_now_ms() >= e->until_ms) {
		store_drop(c, e);
		return NULL;
	}
	return e;
}

int
readcache_access(struct readcache *c, long long user_id,
    const char *public_id, struct store_access *a)
{
	struct rc_store *e = store_find(c, user_id, public_id);

	memset(a, 0, sizeof(*a));
	if (e == NULL)
		return KC_ERR_NOT_FOUND;
	*a = e->access;
	if ((a->integration = strdup(e->access.integration)) == NULL) {
		memset(a, 0, sizeof(*a));
		return KC_ERR_NOMEM;
	}
	return KC_OK;
}

void
readcache_access_put(struct readcache *c, long long user_id,
    const struct store_access *a)
{
	struct rc_store	*e = store_slot(c, user_id, a->public_id);
	size_t		 n;

	store_drop(c, e);
	if (a->integration == NULL)
		return;
	n = strlen(a->integration) + 1;
	if (c->bytes + n > READCACHE_MAX_BYTES)
		return;
	e->access = *a;
	if ((e->access.integration = strdup(a->integration)) == NULL) {
		memset(e, 0, sizeof(*e));
		return;
	}
	c->bytes += n;
	e->used = 1;
	e->user_id = user_id;
	e->until_ms = kc_now_ms() + READCACHE_TTL_MS;
}

const char *
readcache_status(struct readcache *c, long long user_id,
    const char *public_id)
{
	struct rc_store *e = store_find(c, user_id, public_id);

	return e ? e->body : NULL;
}

void
readcache_status_put(struct readcache *c, long long user_id,
    const char *public_id, const char *body)
{
	struct rc_store	*e = store_find(c, user_id, public_id);
	size_t		 n = strlen(body) + 1;

	if (e == NULL || e->body != NULL || c->bytes + n > READCACHE_MAX_BYTES)
		return;
	if ((e->body = strdup(body)) != NULL)
		c->bytes += n;
}

void
readcache_usage(const struct readcache *c, size_t *entries, size_t *bytes)
{
	size_t i, n = 0;

	for (i = 0; i < READCACHE_SESSIONS; i++)
		n += c->sess[i].used != 0;
	for (i = 0; i < READCACHE_STORES; i++)
		n += c->store[i].used != 0;
	*entries = n;
	*bytes = c->bytes;
}
