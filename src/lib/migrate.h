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
#define MIGRATE_APPLY	0	/* apply what is pending */
#define MIGRATE_STATUS	1	/* list applied and pending, change nothing */
#define MIGRATE_DRY_RUN	2	/* list what would be applied */
/*
 * Applies pending migrations (or, per mode, only lists them) and reports
 * on out.  *napplied gets the count applied (listed as pending).
 */
int	migrate_run(struct db *, const char *dir, int mode, FILE *out,
	    int *napplied, char *err, size_t errlen) KC_MUSTCHECK;
/*
 * 1 when a file of a migrations folder was meant as a migration (ends
 * in .sql or starts with a digit): a bad name is then refused, not
 * skipped.
 */
int	migrate_looks_like(const char *);

#endif
