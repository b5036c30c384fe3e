/*
 * klaviyo-admin accounts list | accounts remove | accounts make-primary:
 * a store's Klaviyo connections (klaviyo_connections, sql/011) seen and
 * changed by an operator.  Changes go through connect_store.c as the
 * web routes' do (same transaction, same audit row), with actor 0: no
 * role re-check, and the audit row says "via":"klaviyo-admin".
 */
#include "admin.h"

#include <curl/curl.h>
#include <stdio.h>
#include <string.h>

#include "connect_store.h"
#include "connection.h"
#include "integration.h"
#include "oauth.h"
#include "oauth_cred.h"
#include "perm.h"
#include "secretbox.h"
#include "store.h"
#include "webhook.h"
#include "webhook_klaviyo.h"
#include "wipe.h"

#define LIST_FMT "%-36s %-7s %-12s %-8s %-14s %-24s %-20s %s\n"

/* The store of argv[0] as the access connect_store.c acts with. */
static int
load_store(struct db *db, const char *pub, struct store_access *a)
{
	int rc;

	memset(a, 0, sizeof(*a));
	rc = perm_public_id_valid(pub) ? store_find(db, pub, &a->store_id) :
	    KC_ERR_NOT_FOUND;
	if (rc == KC_ERR_NOT_FOUND)
		admin_err("no store %s", pub);
	if (rc == KC_OK)
		snprintf(a->public_id, sizeof(a->public_id), "%s", pub);
	return rc;
}

/* The store's connection named argv[1]; says which is missing. */
static int
load_conn(struct db *db, const struct store_access *a, const char *id,
    struct kconn *c)
{
	int rc;

	if ((rc = conn_find(db, a->store_id, id, c)) == KC_ERR_NOT_FOUND)
		admin_err("store %s has no Klaviyo account %s", a->public_id,
		    id);
	return rc;
}

/*
 * Account and metric names come from Klaviyo: control characters are
 * shown as '?' so they cannot rewrite the operator's terminal.
 */
static const char *
printable(const char *s, char *buf, size_t len)
{
	size_t i;

	if (s == NULL || *s == '\0')
		return "-";
	for (i = 0; s[i] && i + 1 < len; i++)
		buf[i] = (unsigned char)s[i] < 0x20 || s[i] == 0x7f ? '?' :
		    s[i];
	buf[i] = '\0';
	return buf;
}

static int
print_conn(void *arg, const struct kconn *c)
{
	struct integration	 in;
	char			 acct[80], metric[256], name[256];
	const char		*auth;
	int			 rc;

	(void)arg;
	if ((rc = integ_parse(c->doc, &in)) != KC_OK) {
		integ_clear(&in);
		admin_err("account %s: unreadable integration", c->public_id);
		return rc;
	}
	auth = in.auth == INTEG_AUTH_OAUTH ? "oauth" : in.api_key_hint ?
	    in.api_key_hint : integ_auth_name(in.auth);
	printf(LIST_FMT, c->public_id, c->primary ? "yes" : "no",
	    integ_status_name(in.status),
	    printable(in.account_id, acct, sizeof(acct)), auth,
	    printable(in.metric.name, metric, sizeof(metric)),
	    in.last_sync ? in.last_sync : "-",
	    printable(in.account.name, name, sizeof(name)));
	integ_clear(&in);
	return KC_OK;
}

int
admin_accounts_list(const struct kc_config *cfg, struct db *db, int argc,
    char **argv)
{
	struct store_access	a;
	int			rc;

	(void)cfg;
	if (argc != 1)
		return EXIT_USAGE;
	if ((rc = load_store(db, argv[0], &a)) != KC_OK)
		return admin_exit(rc);
	printf(LIST_FMT, "ID", "PRIMARY", "STATUS", "ACCOUNT", "AUTH",
	    "METRIC", "LAST_SYNC", "NAME");
	return admin_exit(conn_list(db, a.store_id, print_conn, NULL));
}

/*
 * Revokes the removed connection's OAuth grant at Klaviyo, as the web
 * route does, but says how it went: the operator must revoke it by hand
 * when we could not.
 */
static void
revoke_grant(const struct kc_config *cfg, const struct kc_cred *cred)
{
	struct oauth_client	oc;
	struct oauth_error	e;
	int			rc;

	if ((rc = oauth_client_init(cfg, &oc)) != KC_OK) {
		printf("the OAuth grant could not be revoked at Klaviyo: %s; "
		    "revoke it in the Klaviyo account\n",
		    rc == KC_ERR_NOT_FOUND ? "no OAuth client is configured "
		    "(KLAVIYO_CLIENT_ID)" : "the OAuth client settings are "
		    "unusable (APP_URL too long)");
		return;
	}
	if (cred->tok.refresh == NULL) {
		printf("the OAuth grant could not be revoked at Klaviyo: it "
		    "holds no refresh token; revoke it in the Klaviyo "
		    "account\n");
		return;
	}
	/* libcurl's copies of the token are wiped when freed. */
	if (wipe_curl_global_init() != KC_OK) {
		printf("the OAuth grant could not be revoked at Klaviyo: "
		    "cannot start libcurl; revoke it in the Klaviyo "
		    "account\n");
		return;
	}
	if (oauth_revoke(&oc, cred->tok.refresh, &e) != KC_OK)
		printf("the OAuth grant could not be revoked at Klaviyo: %s; "
		    "revoke it in the Klaviyo account\n", e.msg);
	else
		printf("the OAuth grant was revoked at Klaviyo\n");
	curl_global_cleanup();
}

/*
 * Deletes the removed connection's webhook at Klaviyo with its old
 * credential, as the web routes do (webhook_klaviyo.h).
 */
static void
forget_webhook(const struct kc_config *cfg, struct db *db,
    struct kc_cred *cred, const struct webhook_forget *wf,
    const char *store)
{
	struct kv_options	 o;
	struct kv_client	*kv = NULL;
	int			 rc;

	if (wf->klaviyo_id[0] == '\0')
		return;
	memset(&o, 0, sizeof(o));
	o.base_url = cfg->klaviyo_base_url;
	o.revision = cfg->klaviyo_revision;
	o.connect_timeout_ms = cfg->klaviyo_connect_timeout_ms;
	o.timeout_ms = cfg->klaviyo_timeout_ms;
	o.max_retries = (int)cfg->klaviyo_max_retries;
	o.max_wait_ms = cfg->klaviyo_max_wait_ms;
	o.window_scale = (double)cfg->klaviyo_rate_scale;
	if (wipe_curl_global_init() != KC_OK ||
	    kv_client_new(&o, db, &kv) != KC_OK) {
		printf("its Klaviyo webhook %s could not be deleted: cannot "
		    "start libcurl; delete it in the Klaviyo account\n",
		    wf->klaviyo_id);
		curl_global_cleanup();
		return;
	}
	rc = webhook_forget_send(db, kv, cred, wf, store);
	if (rc == KC_OK)
		printf("its Klaviyo webhook was deleted at Klaviyo\n");
	else
		printf("its Klaviyo webhook %s could not be deleted at Klaviyo "
		    "(%s); delete it in the Klaviyo account\n", wf->klaviyo_id,
		    kc_strerror(rc));
	kv_client_free(kv);
	curl_global_cleanup();
}

/*
 * Reads the connection's credential before it goes (the removal deletes
 * it); *have is 1 when it could be read.
 */
static void
peek_cred(const struct kc_config *cfg, struct db *db,
    const struct store_access *a, const struct kconn *c,
    struct kc_cred *cred, int *have)
{
	struct keyring	kr;
	char		err[256];

	*have = 0;
	memset(cred, 0, sizeof(*cred));
	if (keyring_parse(cfg->master_keys, &kr, err, sizeof(err)) != KC_OK) {
		admin_err("%s", err);
		return;
	}
	*have = cred_peek(db, &kr, c->id, a->public_id, cred) == KC_OK;
	keyring_wipe(&kr);
}

int
admin_accounts_remove(const struct kc_config *cfg, struct db *db,
    int argc, char **argv)
{
	struct connect_actor	act = { db, NULL, 0, NULL };
	struct connect_target	t = { CONNECT_ONE, NULL };
	struct store_access	a;
	struct integration	in;
	struct kconn		c;
	struct kc_cred		cred;
	struct webhook_forget	wf;
	int			rc, was, oauth, have = 0;

	if (argc != 2)
		return EXIT_USAGE;
	memset(&c, 0, sizeof(c));
	memset(&cred, 0, sizeof(cred));
	memset(&wf, 0, sizeof(wf));
	if ((rc = load_store(db, argv[0], &a)) != KC_OK ||
	    (rc = load_conn(db, &a, argv[1], &c)) != KC_OK)
		goto out;
	rc = integ_parse(c.doc, &in);
	oauth = in.auth == INTEG_AUTH_OAUTH;
	integ_clear(&in);
	if (rc != KC_OK) {
		admin_err("account %s: unreadable integration", c.public_id);
		goto out;
	}
	peek_cred(cfg, db, &a, &c, &cred, &have);
	if (have && webhook_forget_load(db, c.id, &wf) != KC_OK)
		memset(&wf, 0, sizeof(wf));
	t.public_id = c.public_id;
	if ((rc = connect_remove(&act, &a, &t, &was)) == KC_OK && !was)
		rc = KC_ERR_NOT_FOUND;	/* removed meanwhile */
	if (rc == KC_ERR_NOT_FOUND)
		admin_err("store %s has no Klaviyo account %s", a.public_id,
		    argv[1]);
	else if (rc != KC_OK)
		admin_err("cannot remove the account: %s", kc_strerror(rc));
	if (rc != KC_OK)
		goto out;
	printf("Klaviyo account %s removed from store %s\n", c.public_id,
	    a.public_id);
	if (have)
		forget_webhook(cfg, db, &cred, &wf, a.public_id);
	if (have && cred.bearer)
		revoke_grant(cfg, &cred);
	else if (oauth)
		printf("the OAuth grant could not be revoked at Klaviyo: its "
		    "credential could not be read; revoke it in the Klaviyo "
		    "account\n");
out:
	cred_close(&cred);
	conn_clear(&c);
	return admin_exit(rc);
}

int
admin_accounts_make_primary(const struct kc_config *cfg, struct db *db,
    int argc, char **argv)
{
	struct connect_actor	act = { db, NULL, 0, NULL };
	struct connect_target	t = { CONNECT_ONE, NULL };
	struct connect_result	r;
	struct store_access	a;
	struct kconn		c;
	int			rc;

	(void)cfg;
	if (argc != 2)
		return EXIT_USAGE;
	memset(&c, 0, sizeof(c));
	memset(&r, 0, sizeof(r));
	if ((rc = load_store(db, argv[0], &a)) != KC_OK ||
	    (rc = load_conn(db, &a, argv[1], &c)) != KC_OK)
		goto out;
	if (c.primary) {
		printf("Klaviyo account %s is already the primary of store "
		    "%s\n", c.public_id, a.public_id);
		goto out;
	}
	t.public_id = c.public_id;
	rc = connect_make_primary(&act, &a, &t, &r);
	if (rc == KC_ERR_NOT_FOUND)
		admin_err("store %s has no Klaviyo account %s", a.public_id,
		    argv[1]);
	else if (rc != KC_OK)
		admin_err("cannot change the primary account: %s",
		    kc_strerror(rc));
	else
		printf("Klaviyo account %s is now the primary of store %s\n",
		    c.public_id, a.public_id);
out:
	connect_result_free(&r);
	conn_clear(&c);
	return admin_exit(rc);
}
