/*
 * Reports of the synced Klaviyo data (issue 18, docs/REPORTS.md): per
 * Klaviyo connection of a store, in its account's time zone and
 * currency, never summed across connections.  reports_accounts.c lists
 * the connections, reports_json.c answers the JSON kinds, and
 * reports_export.c streams the tables as CSV through a cursor.  The
 * statements are in reports_sql.h; sql/014 holds their indexes.
 */
#ifndef KC_REPORTS_H
#define KC_REPORTS_H

#include <json-c/json.h>

#include "buf.h"
#include "db.h"
#include "kc_err.h"
#include "reports_range.h"
#include "sync_type.h"

enum reports_kind {
	RK_SUMMARY,
	RK_SERIES,
	RK_CAMPAIGNS,
	RK_FLOWS,
	RK_SEGMENTS,
	RK_FORMS,
	RK__COUNT,
};

/* The kind of a path segment; KC_ERR_NOT_FOUND for none. */
int	reports_kind_parse(const char *, enum reports_kind *) KC_MUSTCHECK;
const char *reports_kind_name(enum reports_kind);
/* 1 when the kind is a table (sort, order, limit, offset). */
int	reports_kind_table(enum reports_kind);
/* 1 when the kind has a CSV export. */
int	reports_kind_csv(enum reports_kind);
/* 1 when name is one of the kind's sort keys; its default. */
int	reports_sort_valid(enum reports_kind, const char *name);
const char *reports_sort_default(enum reports_kind);

#define REPORTS_LIMIT_DEFAULT 10
#define REPORTS_LIMIT_MAX 200
#define REPORTS_OFFSET_MAX 1000000

/* One Klaviyo connection of the store, as a report shows it. */
struct reports_account {
	long long	 id;
	char		*public_id;	/* kcn_... */
	char		*klaviyo_id;	/* the Klaviyo account */
	char		*name;
	char		*currency;
	char		*timezone;	/* never NULL: UTC without one */
	char		*status;
	int		 primary;
	reports_day	 today;		/* in its time zone */
	char		*fresh[SYNC_TYPE_COUNT];	/* ISO or NULL */
	struct reports_range range;	/* set by the caller */
};

struct reports_accounts {
	struct reports_account	*v;
	size_t			 n;
};

/*
 * The store's connections, primary first, then oldest first; only the
 * one with that public id when it is not NULL (KC_ERR_NOT_FOUND when
 * the store has none such).
 */
int	reports_accounts_load(struct db *, long long store_id,
	    const char *public_id, struct reports_accounts *) KC_MUSTCHECK;
void	reports_accounts_free(struct reports_accounts *);
/* Adds from, to, previous_from and previous_to to o. */
int	reports_range_json(struct json_object *o, const struct reports_range *)
	    KC_MUSTCHECK;
/* {"id", "klaviyo_account_id", "name", ..., "freshness", "from", ...}. */
int	reports_account_json(const struct reports_account *,
	    struct json_object **) KC_MUSTCHECK;

/* What a table asks for. */
struct reports_query {
	enum reports_kind	 kind;
	enum reports_interval	 interval;	/* series */
	const char		*sort;		/* tables */
	int			 desc;
	long			 limit;		/* < 0: all (CSV) */
	long			 offset;
};

/*
 * Adds the kind's members to the account's object o: summary "current"
 * and "previous", series "points", tables "total" and "rows".
 */
int	reports_json(struct db *, const struct reports_account *,
	    const struct reports_query *, struct json_object *o)
	    KC_MUSTCHECK;

/* Where the CSV goes: a failure (the client went away) stops it. */
typedef int (*reports_emit)(void *arg, const char *data, size_t len);

/* The kind's header row. */
int	reports_csv_header(enum reports_kind, struct buf *) KC_MUSTCHECK;
/*
 * Streams one account's rows of the kind as CSV: a cursor, fetched a
 * page at a time, each page formatted into out and handed to emit (out
 * is emptied after).  Runs in the caller's transaction (db_begin).
 */
int	reports_csv_account(struct db *, const struct reports_account *,
	    const struct reports_query *, struct buf *out, reports_emit emit,
	    void *arg) KC_MUSTCHECK;

#endif
