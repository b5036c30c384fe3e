/* Encrypted Klaviyo credentials; see credential.h. */
#include "credential.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apikey.h"
#include "crypto.h"

static const char SQL_SAVE[] =
    "INSERT INTO klaviyo_credentials (connection_id, kind, key_version, nonce,"
    " ciphertext, tag, sealed_format) VALUES ($1, $2, $3,"
    " decode($4, 'hex'), decode($5, 'hex'), decode($6, 'hex'), 2)"
    " ON CONFLICT (connection_id) DO UPDATE SET kind = EXCLUDED.kind,"
    " key_version = EXCLUDED.key_version, nonce = EXCLUDED.nonce,"
    " ciphertext = EXCLUDED.ciphertext, tag = EXCLUDED.tag,"
    " sealed_format = 2, rotated_at = now()";
/* ROW_COLS: the columns open_row() reads, in its order. */
#define ROW_COLS "c.kind, c.key_version, encode(c.nonce, 'hex')," \
	" encode(c.ciphertext, 'hex'), encode(c.tag, 'hex')," \
	" c.sealed_format, c.connection_id"
static const char SQL_LOAD[] =
    "SELECT " ROW_COLS " FROM klaviyo_credentials c WHERE c.connection_id = $1";
static const char SQL_DELETE[] =
    "DELETE FROM klaviyo_credentials WHERE connection_id = $1";

int
sealed_text_seal(const struct keyring *kr, const struct sealed_ctx *ctx,
    const char *secret, struct sealed_text *t)
{
	struct sealed	s;
	int		rc;

	memset(t, 0, sizeof(*t));
	if ((rc = secretbox_seal(kr, ctx, secret, strlen(secret), &s)) !=
	    KC_OK)
		return rc;
	if ((t->ct = malloc(2 * s.ctlen + 1)) == NULL) {
		sealed_free(&s);
		return KC_ERR_NOMEM;
	}
	crypto_hex(s.ct, s.ctlen, t->ct);
	crypto_hex(s.nonce, sizeof(s.nonce), t->nonce);
	crypto_hex(s.tag, sizeof(s.tag), t->tag);
	snprintf(t->version, sizeof(t->version), "%d", s.version);
	sealed_free(&s);
	return KC_OK;
}

void
sealed_text_free(struct sealed_text *t)
{
	free(t->ct);
	t->ct = NULL;
}

int
sealed_text_open(const struct keyring *kr, const struct sealed_ctx *ctx,
    const char *version, const char *nonce, const char *ct, const char *tag,
    char **secret, size_t *len)
{
	struct sealed	s;
	size_t		n;
	int		rc;

	memset(&s, 0, sizeof(s));
	s.version = (int)strtol(version, NULL, 10);
	if (crypto_unhex(nonce, s.nonce, sizeof(s.nonce), &n) != KC_OK ||
	    n != sizeof(s.nonce) ||
	    crypto_unhex(tag, s.tag, sizeof(s.tag), &n) != KC_OK ||
	    n != sizeof(s.tag))
		return KC_ERR_CRYPTO;
	n = strlen(ct) / 2;
	if ((s.ct = malloc(n ? n : 1)) == NULL)
		return KC_ERR_NOMEM;
	/* Malformed hex is a credential we cannot open, like a bad tag. */
	if ((rc = crypto_unhex(ct, s.ct, n, &s.ctlen)) != KC_OK)
		rc = KC_ERR_CRYPTO;
	else
		rc = secretbox_open(kr, ctx, &s, secret, len);
	sealed_free(&s);
	return rc;
}

/* The purpose a credential of this kind is sealed for. */
static const char *
kind_purpose(const char *kind)
{
	if (strcmp(kind, "api_key") == 0)
		return SECRETBOX_CREDENTIAL_API_KEY;
	if (strcmp(kind, "oauth") == 0)
		return SECRETBOX_CREDENTIAL_OAUTH;
	return NULL;
}

int
credential_save(struct db *db, const struct keyring *kr, long long conn_id,
    const char *pub, const char *kind, const char *secret)
{
	struct sealed_text	 t;
	struct sealed_ctx	 ctx;
	char			 sid[24];
	const char		*params[6];
	int			 rc;

	snprintf(sid, sizeof(sid), "%lld", conn_id);
	ctx.purpose = kind_purpose(kind);
	ctx.store = pub;
	ctx.row = sid;
	ctx.legacy = 0;
	if (ctx.purpose == NULL)
		return KC_ERR_INTERNAL;
	if ((rc = sealed_text_seal(kr, &ctx, secret, &t)) != KC_OK)
		return rc;
	params[0] = sid;
	params[1] = kind;
	params[2] = t.version;
	params[3] = t.nonce;
	params[4] = t.ct;
	params[5] = t.tag;
	rc = db_query(db, SQL_SAVE, 6, params, NULL);
	sealed_text_free(&t);
	return rc;
}

/*
 * Whether a plaintext opened from a pre-008 row has the shape of its
 * kind.  The old AAD did not name the purpose, so an OAuth verifier or
 * token blob planted in a credential row would open: a PKCE verifier or
 * a JSON blob is never "pk_..." and a key is never a JSON object, so
 * neither is ever sent to Klaviyo as the other.
 */
static int
legacy_shape_ok(const char *kind, const char *plain)
{
	char		 key[APIKEY_MAX + 1];
	const char	*why;
	int		 ok;

	if (strcmp(kind, "api_key") != 0)
		return plain[0] == '{';
	ok = apikey_check(plain, key, sizeof(key), &why) == KC_OK &&
	    strcmp(key, plain) == 0;
	crypto_wipe(key, sizeof(key));
	return ok;
}

/* Decodes one row of ROW_COLS's shape and opens it. */
static int
open_row(const struct keyring *kr, const char *pub, const PGresult *res,
    int r, char **secret, size_t *len)
{
	struct sealed_ctx	 ctx;
	const char		*kind = PQgetvalue(res, r, 0);
	int			 rc;

	ctx.purpose = kind_purpose(kind);
	ctx.store = pub;
	ctx.row = PQgetvalue(res, r, 6);
	ctx.legacy = strcmp(PQgetvalue(res, r, 5), "1") == 0;
	if (ctx.purpose == NULL)
		return KC_ERR_CRYPTO;
	rc = sealed_text_open(kr, &ctx, PQgetvalue(res, r, 1),
	    PQgetvalue(res, r, 2), PQgetvalue(res, r, 3), PQgetvalue(res, r, 4),
	    secret, len);
	if (rc == KC_OK && ctx.legacy && !legacy_shape_ok(kind, *secret)) {
		secretbox_free_plain(*secret, *len);
		*secret = NULL;
		*len = 0;
		rc = KC_ERR_CRYPTO;
	}
	return rc;
}

int
credential_load(struct db *db, const struct keyring *kr, long long conn_id,
    const char *pub, char **kind, char **secret, size_t *len)
{
	char		 sid[24];
	const char	*params[1] = { sid };
	PGresult	*res = NULL;
	int		 rc;

	*secret = NULL;
	*len = 0;
	if (kind)
		*kind = NULL;
	snprintf(sid, sizeof(sid), "%lld", conn_id);
	if ((rc = db_query(db, SQL_LOAD, 1, params, &res)) != KC_OK)
		return rc;
	if (PQntuples(res) != 1) {
		PQclear(res);
		return KC_ERR_NOT_FOUND;
	}
	rc = open_row(kr, pub, res, 0, secret, len);
	if (rc == KC_OK && kind &&
	    (*kind = strdup(PQgetvalue(res, 0, 0))) == NULL) {
		secretbox_free_plain(*secret, *len);
		*secret = NULL;
		rc = KC_ERR_NOMEM;
	}
	PQclear(res);
	return rc;
}

int
credential_delete(struct db *db, long long conn_id)
{
	char		 sid[24];
	const char	*params[1] = { sid };

	snprintf(sid, sizeof(sid), "%lld", conn_id);
	return db_query(db, SQL_DELETE, 1, params, NULL);
}

static const char SQL_OLD[] =
    "SELECT c.connection_id, s.public_id FROM klaviyo_credentials c"
    " JOIN klaviyo_connections k ON k.id = c.connection_id"
    " JOIN stores s ON s.id = k.store_id WHERE c.key_version <> $1"
    " OR c.sealed_format <> 2 ORDER BY c.connection_id";
static const char SQL_LOCK_ONE[] =
    "SELECT " ROW_COLS " FROM klaviyo_credentials c"
    " WHERE c.connection_id = $1 FOR UPDATE";

int
credential_rotate_all(struct db *db, const struct keyring *kr, int *done,
    char *err, size_t errlen)
{
	char		 newest[16], *secret = NULL;
	const char	*params[1] = { newest };
	PGresult	*res = NULL, *row = NULL;
	size_t		 len;
	long long	 sid;
	int		 r, rc = KC_OK;

	*done = 0;
	snprintf(newest, sizeof(newest), "%d", keyring_newest(kr));
	if ((rc = db_query(db, SQL_OLD, 1, params, &res)) != KC_OK) {
		snprintf(err, errlen, "cannot list credentials");
		return rc;
	}
	for (r = 0; r < PQntuples(res); r++) {
		const char *sp = PQgetvalue(res, r, 0);

		sid = strtoll(sp, NULL, 10);
		/* One row per transaction: the service keeps running. */
		if ((rc = db_begin(db)) != KC_OK ||
		    (rc = db_query(db, SQL_LOCK_ONE, 1, &sp, &row)) != KC_OK)
			goto fail;
		if (PQntuples(row) == 1) {
			if ((rc = open_row(kr, PQgetvalue(res, r, 1), row, 0,
			    &secret, &len)) != KC_OK) {
				snprintf(err, errlen, "a credential of store "
				    "%s does not decrypt with KC_MASTER_KEYS",
				    PQgetvalue(res, r, 1));
				goto fail;
			}
			rc = credential_save(db, kr, sid, PQgetvalue(res, r,
			    1), PQgetvalue(row, 0, 0), secret);
			secretbox_free_plain(secret, len);
			secret = NULL;
			if (rc != KC_OK)
				goto fail;
		}
		PQclear(row);
		row = NULL;
		if ((rc = db_commit(db)) != KC_OK)
			goto fail;
		(*done)++;
	}
	PQclear(res);
	return KC_OK;
fail:
	if (err[0] == '\0')
		snprintf(err, errlen, "re-encryption failed: %s",
		    kc_strerror(rc));
	db_rollback(db);
	PQclear(row);
	PQclear(res);
	return rc;
}

static const char SQL_VERSIONS[] =
    "SELECT DISTINCT ON (c.key_version) " ROW_COLS ", s.public_id"
    " FROM klaviyo_credentials c"
    " JOIN klaviyo_connections k ON k.id = c.connection_id"
    " JOIN stores s ON s.id = k.store_id"
    " ORDER BY c.key_version, c.connection_id";

int
credential_check_keyring(struct db *db, const struct keyring *kr, char *err,
    size_t errlen)
{
	PGresult	*res = NULL;
	char		*secret = NULL;
	size_t		 len;
	int		 r, rc, v;

	if ((rc = db_query(db, SQL_VERSIONS, 0, NULL, &res)) != KC_OK) {
		snprintf(err, errlen, "cannot read stored credentials: %s",
		    kc_strerror(rc));
		return rc;
	}
	for (r = 0; r < PQntuples(res); r++) {
		v = (int)strtol(PQgetvalue(res, r, 1), NULL, 10);
		if (!keyring_has(kr, v)) {
			snprintf(err, errlen, "KC_MASTER_KEYS lacks version %d,"
			    " which stored credentials use", v);
			rc = KC_ERR_CONFIG;
			break;
		}
		if (open_row(kr, PQgetvalue(res, r, 7), res, r, &secret,
		    &len) != KC_OK) {
			snprintf(err, errlen, "KC_MASTER_KEYS version %d does "
			    "not decrypt the stored credentials (wrong key?)",
			    v);
			rc = KC_ERR_CONFIG;
			break;
		}
		secretbox_free_plain(secret, len);
		secret = NULL;
	}
	PQclear(res);
	return rc;
}
