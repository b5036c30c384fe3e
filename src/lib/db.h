/*
 * One PostgreSQL connection per process, kept for life.  Statements are
 * prepared on first use per connection, keyed by the address of their SQL
 * text, so callers must pass string literals (static storage).  A
 * transaction's BEGIN travels with its first statement.  When the
 * server goes away the next call reconnects; a statement outside a
 * transaction is retried once on the new connection, so a PostgreSQL
 * restart costs at most the requests made while it is really down.
 */
#ifndef KC_DB_H
#define KC_DB_H

#include <libpq-fe.h>

#include "kc_err.h"

struct db;

int	db_open(const char *url, const char *appname, struct db **)
	    KC_MUSTCHECK;
void	db_close(struct db *);
/*
 * Transaction pooling (PgBouncer pool_mode=transaction): a statement
 * outside a transaction may reach another server connection, so no
 * protocol-level prepared statements (each statement is sent with
 * PQexecParams) and no "options" startup parameter (PgBouncer refuses
 * it; statement_timeout then comes from ALTER ROLE ... SET).  For the
 * whole process; set before the first connection.
 */
void	db_set_transaction_pooling(int on);
int	db_transaction_pooling(void);
/* Connects when not connected: KC_OK or KC_ERR_DB_DOWN. */
int	db_ensure(struct db *) KC_MUSTCHECK;
/*
 * Runs a prepared statement, prepared on first use and known by the
 * address of sql: pass a string that lives as long as the program (a
 * static), never a buffer that is reused for other text.  *out (when
 * out is not NULL) gets the result for the caller to PQclear.
 * KC_ERR_DB_DOWN when the server is gone, KC_ERR_DB for a failed
 * statement (see db_sqlstate).
 */
int	db_query(struct db *, const char *sql, int nparams,
	    const char *const *params, PGresult **out) KC_MUSTCHECK;
/*
 * db_query, then COMMIT of the open transaction, in one round trip; on
 * failure nothing is committed and the caller rolls back.
 */
int	db_query_commit(struct db *, const char *sql, int nparams,
	    const char *const *params, PGresult **out) KC_MUSTCHECK;
/* Runs SQL text with no parameters (several statements allowed). */
int	db_exec_script(struct db *, const char *sql, char *err,
	    size_t errlen) KC_MUSTCHECK;
int	db_begin(struct db *) KC_MUSTCHECK;
int	db_commit(struct db *) KC_MUSTCHECK;
void	db_rollback(struct db *);
/* SQLSTATE of the last failed statement, "" if none. */
const char *db_sqlstate(const struct db *);

/*
 * Notifications (LISTEN/NOTIFY; never with transaction pooling, where
 * db_listen refuses).  db_epoch counts the connections made: a new value
 * means the connection was replaced and its LISTENs and undelivered
 * notifications are gone (0 while not connected).
 */
unsigned long db_epoch(const struct db *);
int	db_listen(struct db *, const char *channel) KC_MUSTCHECK;
/*
 * Hands fn the payload of every notification received, in order, outside
 * a transaction.  fence 0 reads only what has already arrived (never
 * blocks); fence 1 first waits for one round trip (a bare Sync), after
 * which every transaction that committed before the call has been
 * delivered.  A failure of fn stops the calls (the rest is discarded)
 * and is returned; KC_ERR_DB_DOWN: the connection is gone (dropped).
 */
int	db_notifies(struct db *, int fence, int (*fn)(void *, const char *),
	    void *arg) KC_MUSTCHECK;
/*
 * An idle daemon's sleep that a notification ends: waits up to ms for
 * the server to send something, outside a transaction, and returns how
 * many notifications arrived (discarded; 0 after the full wait, a
 * signal, or without a connection, when it sleeps instead).
 */
int	db_wait_notify(struct db *, long ms);

/* Value of row r, column c, or NULL when SQL NULL. */
const char *db_val(const PGresult *, int r, int c);

#define SQLSTATE_UNIQUE_VIOLATION "23505"
#define SQLSTATE_FOREIGN_KEY "23503"
#define SQLSTATE_SERIALIZATION "40001"

#endif
