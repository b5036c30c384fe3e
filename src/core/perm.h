/*
 * Store permissions exactly as the seed's validatePermissions (and every
 * statement on roles, contract_seats and seat_store_access): the user's
 * contract seat, its access to the store, the role.  Reading a store's
 * status needs any role on it; managing integrations needs
 * permissions.stores.manage_integrations and level >= 80.  A store the
 * user has no role on is "not found", never "forbidden".
 */
#ifndef KC_PERM_H
#define KC_PERM_H

#include "db.h"
#include "integration.h"
#include "kc_err.h"

#define STORE_PUBLIC_ID_MAX 64
#define PERM_MANAGE_MIN_LEVEL 80

struct store_access {
	long long	 store_id;
	char		 public_id[STORE_PUBLIC_ID_MAX + 1];
	char		 name[201];
	char		 role[32];
	int		 level;
	int		 manage_integrations;	/* the role's flag */
	/* The primary Klaviyo connection's klaviyo_integration JSON text
	 * ({"status":"not_configured"} without one), and its id (0). */
	char		*integration;
	long long	 primary_id;
};

/*
 * The access query with the user id and public id expressions filled in,
 * so session.c can join it to the session lookup.  Columns: store id,
 * public id, name, role, level, manage flag, the primary connection's
 * integration JSON text and id.
 */
#define PERM_ACCESS_SQL(user, pub)					\
    "SELECT s.id, s.public_id, s.name, r.name AS role, r.level,"	\
    " coalesce(r.permissions #> '{stores,manage_integrations}' = 'true',"\
    " false) AS manage, coalesce(" INTEG_SQL_DOC("k") ","		\
    " '{\"status\":\"not_configured\"}') AS integration,"		\
    " coalesce(k.id, 0) AS primary_id"					\
    " FROM stores s"							\
    " JOIN seat_store_access a ON a.store_id = s.id"			\
    " JOIN contract_seats c ON c.id = a.seat_id"			\
    " JOIN roles r ON r.id = a.role_id"					\
    " LEFT JOIN klaviyo_connections k ON k.store_id = s.id"		\
    "  AND k.is_primary"						\
    " WHERE s.public_id = " pub " AND c.user_id = " user		\
    " ORDER BY r.level DESC LIMIT 1"

/* 1 when s is 1-64 of [A-Za-z0-9_-]. */
int	perm_public_id_valid(const char *);
/* The pure decision: flag set and level >= 80. */
int	perm_can_manage(int level, int manage_flag);
/* KC_ERR_NOT_FOUND when the user has no role on the store. */
int	perm_store_access(struct db *, long long user_id,
	    const char *public_id, struct store_access *) KC_MUSTCHECK;
void	perm_access_clear(struct store_access *);
/*
 * Inside the transaction that saves, after the store row is locked: the
 * user may still manage the store's integration (the check made at the
 * start of the request may be stale).  KC_ERR_NOT_FOUND without a role
 * (or disabled), KC_ERR_FORBIDDEN with one that may not manage.
 */
int	perm_still_manages(struct db *, long long user_id, long long store_id)
	    KC_MUSTCHECK;
/*
 * Gives the user the role (owner, admin, viewer) on the store through
 * their first contract seat, made when they have none; replaces a role
 * they had.  KC_ERR_NOT_FOUND: no such role.
 */
int	perm_grant(struct db *, long long user_id, long long store_id,
	    const char *role) KC_MUSTCHECK;
/* Removes the user's access to the store; *removed counts the rows. */
int	perm_revoke(struct db *, long long user_id, long long store_id,
	    int *removed) KC_MUSTCHECK;

/* A store the user can see, with the highest of their roles on it. */
struct perm_store_row {
	const char	*public_id;
	const char	*name;
	const char	*role;
	int		 level;
	int		 manage_integrations;
	const char	*klaviyo_status;	/* the primary connection's */
	int		 klaviyo_accounts;	/* its Klaviyo connections */
};
/* The user's stores by name, each given to fn (which may fail it). */
int	perm_user_stores(struct db *, long long user_id,
	    int (*fn)(void *, const struct perm_store_row *), void *arg)
	    KC_MUSTCHECK;
/* Fills a from the seven access columns starting at column c. */
int	perm_access_from_row(const PGresult *, int row, int c,
	    struct store_access *) KC_MUSTCHECK;

#endif
