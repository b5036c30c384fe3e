/* The schema version a service needs; see schema.h. */
#include "schema.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

/* Add the new file here with every new sql/NNN_name.sql. */
const char *const schema_required[] = {
	"001_foundation.sql",
	"002_klaviyo.sql",
	"003_sync.sql",
	"004_oauth.sql",
	"005_integration_status.sql",
	"006_day2_admin.sql",
	"007_process_heartbeat.sql",
	"008_sealed_purpose.sql",
	"009_claim_order.sql",
	"010_read_cache.sql",
	"011_klaviyo_connections.sql",
	"012_sync_settings.sql",
	"013_webhooks.sql",
	"014_reports.sql",
	"015_flow_days.sql",
	"016_cache_progress.sql",
};
const size_t schema_nrequired = nitems(schema_required);

static const char SQL_HAS_TABLE[] =
    "SELECT to_regclass('schema_migrations') IS NOT NULL";
static const char SQL_VERSIONS[] =
    "SELECT version FROM schema_migrations ORDER BY version";

int
schema_check(struct db *db, char *err, size_t errlen)
{
	PGresult	*res = NULL;
	size_t		 i;
	int		 r, rc, found, have;
	long		 want;

	err[0] = '\0';
	if ((rc = db_query(db, SQL_HAS_TABLE, 0, NULL, &res)) != KC_OK)
		return rc;
	have = PQgetvalue(res, 0, 0)[0] == 't';
	PQclear(res);
	res = NULL;
	if (have && (rc = db_query(db, SQL_VERSIONS, 0, NULL, &res)) != KC_OK)
		return rc;
	for (i = 0; i < schema_nrequired; i++) {
		want = strtol(schema_required[i], NULL, 10);
		found = 0;
		for (r = 0; res != NULL && r < PQntuples(res) && !found; r++)
			found = strtol(PQgetvalue(res, r, 0), NULL, 10) ==
			    want;
		if (!found) {
			snprintf(err, errlen, "the database schema is older "
			    "than this program: migration %s is not applied "
			    "(run klaviyo-admin migrate)", schema_required[i]);
			rc = KC_ERR_CONFIG;
			break;
		}
	}
	PQclear(res);
	return rc;
}

int
schema_check_start(struct db *db, const char *prog)
{
	char	err[256];
	int	rc;

	if (db_ensure(db) != KC_OK) {
		log_warnx("database unreachable at start; schema version not "
		    "checked");
		return KC_OK;
	}
	if ((rc = schema_check(db, err, sizeof(err))) == KC_ERR_CONFIG) {
		fprintf(stderr, "%s: %s\n", prog, err);
		return rc;
	}
	if (rc != KC_OK)
		log_warnx("schema version not checked: %s", kc_strerror(rc));
	return KC_OK;
}

int
schema_check_url(const char *database_url, const char *prog)
{
	struct db	*db = NULL;
	int		 rc;

	if (db_open(database_url, prog, &db) != KC_OK)
		return KC_ERR_NOMEM;
	rc = schema_check_start(db, prog);
	db_close(db);
	return rc;
}
