/*
 * The users table (the seed's User): accounts by lower-cased e-mail and
 * their scrypt hashes.  Every statement on the table is here.
 */
#ifndef KC_USER_H
#define KC_USER_H

#include <stddef.h>

#include "db.h"
#include "kc_err.h"

/* Creates a user; KC_ERR_CONFLICT when the e-mail is taken. */
int	user_add(struct db *, const char *email, const char *hash,
	    long long *id) KC_MUSTCHECK;
/* KC_ERR_NOT_FOUND when no user has the e-mail. */
int	user_find(struct db *, const char *email, long long *id)
	    KC_MUSTCHECK;
/*
 * The id and password hash of a sign-in; KC_ERR_NOT_FOUND (also for a
 * disabled user).
 */
int	user_login(struct db *, const char *email, long long *id,
	    char *hash, size_t hashlen) KC_MUSTCHECK;

/* One user of user_list, with its stores as "store:role ..." or "-". */
struct user_row {
	const char	*id;
	const char	*email;
	const char	*created;	/* YYYY-MM-DD, UTC */
	const char	*stores;
};
/* Every user by e-mail, each given to fn (which may fail the list). */
int	user_list(struct db *, int (*fn)(void *, const struct user_row *),
	    void *arg) KC_MUSTCHECK;

/*
 * Disables (sets disabled_at) or enables a user; *changed is 0 when it
 * already was.  Sessions are session_revoke_user's.
 */
int	user_set_disabled(struct db *, long long id, int disabled,
	    int *changed) KC_MUSTCHECK;
/* Replaces the password hash; KC_ERR_NOT_FOUND. */
int	user_set_password(struct db *, long long id, const char *hash)
	    KC_MUSTCHECK;
/*
 * A stronger hash of the same password, saved only while the stored one
 * is still old (a password changed meanwhile is kept).
 */
int	user_upgrade_hash(struct db *, long long id, const char *old,
	    const char *hash) KC_MUSTCHECK;

#endif
