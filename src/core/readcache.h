/*
 * A web worker's cache of what its read routes look up on every request:
 * sessions (by token hash, never the token), the user's access to a store
 * (role, level, the integration document) and the status route's answer.
 *
 * Every row these come from has a trigger (sql/010_read_cache.sql) that
 * sends NOTIFY kc_cache with what changed ("u:USER", "s:STORE", "p:STORE"
 * for sync progress, which drops only the store's status answers, or "*"),
 * and before its first lookup in a request the worker reads its
 * connection up to a fence (one bare Sync round trip): every change
 * committed before the request arrived has then been seen and its entries
 * dropped, on every worker.  A replaced connection (notifications lost),
 * a burst of notifications or a failed read drops everything.  Bounded:
 * READCACHE_SESSIONS + READCACHE_STORES slots, direct-mapped (a collision
 * replaces), READCACHE_MAX_BYTES of copied text, and no entry older than
 * READCACHE_TTL_MS is used (so a session is still touched about once a
 * minute).  READ_CACHE=0 turns it off, and so does transaction pooling
 * (no LISTEN through PgBouncer).
 */
#ifndef KC_READCACHE_H
#define KC_READCACHE_H

#include "db.h"
#include "kc_err.h"
#include "perm.h"
#include "session.h"

#define READCACHE_SESSIONS	512
#define READCACHE_STORES	512
#define READCACHE_MAX_BYTES	(2 * 1024 * 1024)
#define READCACHE_TTL_MS	60000
#define READCACHE_CHANNEL	"kc_cache"
/* More notifications than this in one read: drop all instead. */
#define READCACHE_BURST		256

struct readcache;

/*
 * fence 0 (READ_CACHE=2) reads only the notifications that have already
 * arrived, without the round trip: faster, but a change committed a
 * moment before a request may reach that request's worker just after it.
 */
int	readcache_new(int fence, struct readcache **) KC_MUSTCHECK;
void	readcache_free(struct readcache *);
/* A new request: the next readcache_ready reads the notifications. */
void	readcache_request(struct readcache *);
/* This request waits for the fence even with READ_CACHE=2 (a write). */
void	readcache_strict(struct readcache *);
/*
 * Between requests (never blocks): what arrived so far, so an idle
 * worker's connection does not pile them up.
 */
void	readcache_drain(struct readcache *, struct db *);
/*
 * 1 when the cache may answer in this request (notifications read up to
 * the fence, once per request); 0 when not (database down, pooling): then
 * look everything up and put nothing.
 */
int	readcache_ready(struct readcache *, struct db *);
/* A cached session's user, by the token's SHA-256 hex; 1 when found. */
int	readcache_session(struct readcache *, const char *hash,
	    struct kc_user *);
void	readcache_session_put(struct readcache *, const char *hash,
	    const struct kc_user *);
/* The user's access to the store; a->integration is the caller's copy. */
int	readcache_access(struct readcache *, long long user_id,
	    const char *public_id, struct store_access *) KC_MUSTCHECK;
void	readcache_access_put(struct readcache *, long long user_id,
	    const struct store_access *);
/*
 * The status answer of a store for a user whose access is cached: NULL
 * when none (the pointer is the cache's, valid until the next call).
 */
const char *readcache_status(struct readcache *, long long user_id,
	    const char *public_id);
void	readcache_status_put(struct readcache *, long long user_id,
	    const char *public_id, const char *body);
/* What a payload drops (exposed for the unit test). */
void	readcache_invalidate(struct readcache *, const char *payload);
/* Entries in use and bytes of copied text (the unit test, /metrics). */
void	readcache_usage(const struct readcache *, size_t *entries,
	    size_t *bytes);

#endif
