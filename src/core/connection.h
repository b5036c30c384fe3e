/*
 * The rows of klaviyo_connections (sql/011): a store's Klaviyo accounts,
 * each with its own credential, jobs, KlaviyoSync row and synced data,
 * one of them the primary that the seed's routes and the report server
 * act on.  The klaviyo_integration document of a row belongs to
 * integration.h; this module finds, lists, adds, removes and promotes
 * rows.  Every change to a store's connections runs in a transaction
 * that locked the store row first (conn_lock_store, FOR NO KEY UPDATE),
 * so two requests on one store never both add the same account or leave
 * two primaries, while rows that reference the store can still be
 * written.
 */
#ifndef KC_CONNECTION_H
#define KC_CONNECTION_H

#include "db.h"
#include "integration.h"
#include "kc_err.h"

#define CONN_PUBLIC_ID_MAX 64

struct kconn {
	long long	 id;
	char		 public_id[CONN_PUBLIC_ID_MAX + 1];
	int		 primary;
	char		*doc;		/* klaviyo_integration JSON text */
	char		*created_at;	/* ISO 8601 UTC */
};

void	conn_clear(struct kconn *);
/* 1 when s has the shape of a connection public id (1-64 [A-Za-z0-9_-]). */
int	conn_public_id_valid(const char *);

/* Locks the store row; KC_ERR_NOT_FOUND when it is gone. */
int	conn_lock_store(struct db *, long long store_id) KC_MUSTCHECK;
/*
 * The store's connection with that public id (NULL: the primary);
 * KC_ERR_NOT_FOUND when there is none.
 */
int	conn_find(struct db *, long long store_id, const char *public_id,
	    struct kconn *) KC_MUSTCHECK;
/* The store of any connection with that public id; KC_ERR_NOT_FOUND. */
int	conn_store_of(struct db *, const char *public_id, long long *store_id)
	    KC_MUSTCHECK;
/* The store's connection of that Klaviyo account; KC_ERR_NOT_FOUND. */
int	conn_find_account(struct db *, long long store_id,
	    const char *account_id, struct kconn *) KC_MUSTCHECK;
/*
 * Adds a connection holding the document (primary when the store has
 * none); c gets its id and public id.  The store row must be locked.
 */
int	conn_insert(struct db *, long long store_id,
	    const struct integration *, struct kconn *c) KC_MUSTCHECK;
/*
 * Deletes a connection: its credential, jobs, KlaviyoSync row and synced
 * data go with it (foreign keys); its triggers stay as history.  When it
 * was the primary, the oldest remaining one becomes primary.
 */
int	conn_delete(struct db *, long long store_id, long long id,
	    int was_primary) KC_MUSTCHECK;
/* Makes a connection of the store its primary; KC_ERR_NOT_FOUND. */
int	conn_make_primary(struct db *, long long store_id, long long id)
	    KC_MUSTCHECK;
/* The store's connections, primary first, then oldest first. */
int	conn_list(struct db *, long long store_id,
	    int (*fn)(void *, const struct kconn *), void *arg) KC_MUSTCHECK;

#endif
