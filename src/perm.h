/*
 * Store permissions exactly as the seed's validatePermissions: the user's
 * contract seat, its access to the store, the role.  Reading a store's
 * status needs any role on it; managing integrations needs
 * permissions.stores.manage_integrations and level >= 80.  A store the
 * user has no role on is "not found", never "forbidden".
 */
#ifndef KC_PERM_H
#define KC_PERM_H

#include "db.h"
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
	char		*integration;	/* klaviyo_integration JSON text */
};

/* 1 when s is 1-64 of [A-Za-z0-9_-]. */
int	perm_public_id_valid(const char *);
/* The pure decision: flag set and level >= 80. */
int	perm_can_manage(int level, int manage_flag);
/* KC_ERR_NOT_FOUND when the user has no role on the store. */
int	perm_store_access(struct db *, long long user_id,
	    const char *public_id, struct store_access *) KC_MUSTCHECK;
void	perm_access_clear(struct store_access *);

#endif
