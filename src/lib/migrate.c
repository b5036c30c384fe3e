/* Schema migrations; see migrate.h. */
#include "migrate.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "crypto.h"

#define MIGRATION_MAX_BYTES (4 * 1024 * 1024)
/* Arbitrary constant shared by every migrate run. */
#define MIGRATE_LOCK_KEY "7263540001"

int
migrate_parse_name(const char *f, int *version, char *name, size_t namelen)
{
	size_t	 len = strlen(f), i, n;
	int	 v = 0;

	/* NNN_name.sql: three or more digits, '_', [a-z0-9_]+, ".sql" */
	for (i = 0; i < len && isdigit((unsigned char)f[i]); i++) {
		if (v > 99999)
			return KC_ERR_BAD_INPUT;
		v = v * 10 + (f[i] - '0');
	}
	if (i < 3 || i >= len || f[i] != '_' || len < i + 6 ||
	    strcmp(f + len - 4, ".sql") != 0)
		return KC_ERR_BAD_INPUT;
	n = len - 4 - (i + 1);
	if (n == 0 || n + 1 > namelen)
		return KC_ERR_BAD_INPUT;
	for (size_t j = i + 1; j < len - 4; j++)
		if (!islower((unsigned char)f[j]) &&
		    !isdigit((unsigned char)f[j]) && f[j] != '_')
			return KC_ERR_BAD_INPUT;
	if (v == 0)
		return KC_ERR_BAD_INPUT;
	memcpy(name, f + i + 1, n);
	name[n] = '\0';
	*version = v;
	return KC_OK;
}

int
migrate_looks_like(const char *f)
{
	size_t len = strlen(f);

	if (f[0] == '.')
		return 0;
	return (len >= 4 && strcmp(f + len - 4, ".sql") == 0) ||
	    isdigit((unsigned char)f[0]);
}

static int
read_file(const char *path, struct buf *b)
{
	FILE	*fp;
	char	 chunk[8192];
	size_t	 n;
	int	 rc = KC_OK;

	buf_init(b, MIGRATION_MAX_BYTES);
	if ((fp = fopen(path, "r")) == NULL)
		return KC_ERR_IO;
	while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0)
		if ((rc = buf_append(b, chunk, n)) != KC_OK)
			break;
	if (rc == KC_OK && ferror(fp))
		rc = KC_ERR_IO;
	fclose(fp);
	if (rc == KC_OK && b->data == NULL)
		rc = buf_append(b, "", 0);
	if (rc != KC_OK)
		buf_free(b);
	return rc;
}

static int
cmp_version(const void *a, const void *b)
{
	const struct migration *x = a, *y = b;

	return (x->version > y->version) - (x->version < y->version);
}

void
migrate_free(struct migration *m, size_t n)
{
	size_t i;

	for (i = 0; m && i < n; i++)
		free(m[i].sql);
	free(m);
}

int
migrate_scan(const char *dir, struct migration **out, size_t *nout,
    char *err, size_t errlen)
{
	DIR			*d;
	struct dirent		*de;
	struct migration	*m = NULL, *tmp, *cur;
	struct buf		 b;
	size_t			 n = 0, i;
	char			 path[4096];
	int			 rc = KC_OK, version;
	char			 name[128];

	*out = NULL;
	*nout = 0;
	if ((d = opendir(dir)) == NULL) {
		snprintf(err, errlen, "cannot open migrations folder %s: %s",
		    dir, strerror(errno));
		return KC_ERR_IO;
	}
	while ((de = readdir(d)) != NULL) {
		if (migrate_parse_name(de->d_name, &version, name,
		    sizeof(name)) != KC_OK) {
			/* A typo must not skip a migration silently. */
			if (!migrate_looks_like(de->d_name))
				continue;
			snprintf(err, errlen, "%s/%s: not a migration name "
			    "(want NNN_name.sql: three or more digits from "
			    "001, '_', then a-z, 0-9 or '_'); rename or "
			    "remove it", dir, de->d_name);
			rc = KC_ERR_BAD_INPUT;
			break;
		}
		if (strlen(de->d_name) >= sizeof(cur->file)) {
			snprintf(err, errlen, "file name too long: %s",
			    de->d_name);
			rc = KC_ERR_BAD_INPUT;
			break;
		}
		if ((tmp = realloc(m, (n + 1) * sizeof(*m))) == NULL) {
			rc = KC_ERR_NOMEM;
			break;
		}
		m = tmp;
		cur = &m[n];
		memset(cur, 0, sizeof(*cur));
		n++;
		cur->version = version;
		snprintf(cur->name, sizeof(cur->name), "%s", name);
		snprintf(cur->file, sizeof(cur->file), "%s", de->d_name);
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if ((rc = read_file(path, &b)) != KC_OK) {
			snprintf(err, errlen, "cannot read %s: %s", path,
			    kc_strerror(rc));
			break;
		}
		crypto_sha256_hex(b.data, b.len, cur->checksum);
		cur->sql = buf_steal(&b);
	}
	closedir(d);
	if (rc != KC_OK) {
		migrate_free(m, n);
		return rc;
	}
	if (n > 0)
		qsort(m, n, sizeof(*m), cmp_version);
	for (i = 1; i < n; i++)
		if (m[i].version == m[i - 1].version) {
			snprintf(err, errlen, "two migrations share version "
			    "%03d: %s and %s", m[i].version, m[i - 1].file,
			    m[i].file);
			migrate_free(m, n);
			return KC_ERR_BAD_INPUT;
		}
	*out = m;
	*nout = n;
	return KC_OK;
}

static int
row_version(const PGresult *res, int r)
{
	return (int)strtol(PQgetvalue(res, r, 0), NULL, 10);
}

static const char SQL_BOOTSTRAP[] =
    "CREATE TABLE IF NOT EXISTS schema_migrations ("
    " version integer PRIMARY KEY,"
    " name text NOT NULL,"
    " checksum text NOT NULL,"
    " applied_at timestamptz NOT NULL DEFAULT now())";
static const char SQL_LOCK[] = "SELECT pg_advisory_lock(" MIGRATE_LOCK_KEY ")";
static const char SQL_UNLOCK[] =
    "SELECT pg_advisory_unlock(" MIGRATE_LOCK_KEY ")";
static const char SQL_APPLIED[] =
    "SELECT version, name, checksum, to_char(applied_at AT TIME ZONE 'UTC',"
    " 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') FROM schema_migrations"
    " ORDER BY version";
static const char SQL_HAS_TABLE[] =
    "SELECT to_regclass('schema_migrations') IS NOT NULL";
static const char SQL_RECORD[] =
    "INSERT INTO schema_migrations (version, name, checksum)"
    " VALUES ($1, $2, $3)";

static int
apply_one(struct db *db, const struct migration *m, char *err, size_t errlen)
{
	char		 ver[16], msg[512];
	const char	*params[3];
	int		 rc;

	if ((rc = db_begin(db)) != KC_OK) {
		snprintf(err, errlen, "cannot begin a transaction");
		return rc;
	}
	if ((rc = db_exec_script(db, m->sql, msg, sizeof(msg))) != KC_OK) {
		snprintf(err, errlen, "%s failed: %s", m->file, msg);
		db_rollback(db);
		return rc;
	}
	snprintf(ver, sizeof(ver), "%d", m->version);
	params[0] = ver;
	params[1] = m->name;
	params[2] = m->checksum;
	if ((rc = db_query(db, SQL_RECORD, 3, params, NULL)) != KC_OK ||
	    (rc = db_commit(db)) != KC_OK) {
		snprintf(err, errlen, "%s: cannot record it", m->file);
		db_rollback(db);
		return rc;
	}
	return KC_OK;
}

int
migrate_run(struct db *db, const char *dir, int mode, FILE *out,
    int *napplied, char *err, size_t errlen)
{
	struct migration	*m = NULL;
	PGresult		*res = NULL;
	size_t			 n = 0, i;
	int			 rc, r, locked = 0, found, nrows;
	const char		*sum;
	int			 status_only = mode == MIGRATE_STATUS;

	*napplied = 0;
	if ((rc = migrate_scan(dir, &m, &n, err, errlen)) != KC_OK)
		return rc;
	if (mode != MIGRATE_APPLY) {
		/* Read-only: no lock, no table created. */
		if ((rc = db_query(db, SQL_HAS_TABLE, 0, NULL, &res)) !=
		    KC_OK) {
			snprintf(err, errlen, "cannot read schema_migrations");
			goto out;
		}
		found = PQgetvalue(res, 0, 0)[0] == 't';
		PQclear(res);
		res = NULL;
		if (!found)
			goto list;
	} else {
		if ((rc = db_exec_script(db, SQL_LOCK, err, errlen)) != KC_OK)
			goto out;
		locked = 1;
		if ((rc = db_exec_script(db, SQL_BOOTSTRAP, err, errlen)) !=
		    KC_OK)
			goto out;
	}
	if ((rc = db_query(db, SQL_APPLIED, 0, NULL, &res)) != KC_OK) {
		snprintf(err, errlen, "cannot read schema_migrations");
		goto out;
	}
list:
	nrows = res ? PQntuples(res) : 0;
	/* Every applied version must still exist, unchanged. */
	for (r = 0; r < nrows; r++) {
		found = 0;
		for (i = 0; i < n; i++) {
			if (m[i].version != row_version(res, r))
				continue;
			found = 1;
			sum = PQgetvalue(res, r, 2);
			if (strcmp(sum, m[i].checksum) != 0) {
				snprintf(err, errlen, "%s was edited after it "
				    "was applied (checksum differs); restore "
				    "it and put the change in a new migration",
				    m[i].file);
				rc = KC_ERR_CONFLICT;
				goto out;
			}
			if (status_only)
				fprintf(out, "applied  %s  %s\n", m[i].file,
				    PQgetvalue(res, r, 3));
		}
		if (!found && status_only)
			fprintf(out, "applied  %03d_%s.sql  %s  (file "
			    "missing)\n", row_version(res, r),
			    PQgetvalue(res, r, 1), PQgetvalue(res, r, 3));
	}
	for (i = 0; i < n; i++) {
		found = 0;
		for (r = 0; r < nrows && !found; r++)
			found = row_version(res, r) == m[i].version;
		if (found)
			continue;
		if (mode != MIGRATE_APPLY) {
			fprintf(out, "%s  %s\n", status_only ? "pending" :
			    "would apply", m[i].file);
			(*napplied)++;
			continue;
		}
		if ((rc = apply_one(db, &m[i], err, errlen)) != KC_OK)
			goto out;
		fprintf(out, "applied  %s\n", m[i].file);
		(*napplied)++;
	}
	rc = KC_OK;
out:
	PQclear(res);
	if (locked) {
		char ignored[64];

		if (db_exec_script(db, SQL_UNLOCK, ignored,
		    sizeof(ignored)) != KC_OK)
			fprintf(out, "warning: advisory lock not released\n");
	}
	migrate_free(m, n);
	return rc;
}
