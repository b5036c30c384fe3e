/*
 * Schema migrations: sql/NNN_name.sql applied in order, each in one
 * transaction, recorded in schema_migrations with a SHA-256 checksum.
 * An applied file that was edited is refused; two admins running migrate
 * at once serialize on an advisory lock.
 */
#ifndef KC_MIGRATE_H
#define KC_MIGRATE_H

#include <stdio.h>

#include "db.h"
#include "kc_err.h"

struct migration {
	int	 version;
	char	 name[128];
	char	 file[256];
	char	 checksum[65];
	char	*sql;
};

/* "001_foundation.sql" -> 1, "foundation"; KC_ERR_BAD_INPUT otherwise. */
int	migrate_parse_name(const char *, int *, char *, size_t) KC_MUSTCHECK;
/* Reads every migration of dir, sorted by version. */
int	migrate_scan(const char *dir, struct migration **, size_t *,
	    char *err, size_t errlen) KC_MUSTCHECK;
void	migrate_free(struct migration *, size_t);
/*
 * Applies pending migrations (or, with status_only, lists applied and
 * pending ones) and reports on out.  *napplied gets the count applied.
 */
int	migrate_run(struct db *, const char *dir, int status_only, FILE *out,
	    int *napplied, char *err, size_t errlen) KC_MUSTCHECK;

#endif
