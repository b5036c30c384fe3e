/*
 * Unit tests for the pure parts of the OAuth client (oauth.h): the PKCE
 * challenge (RFC 7636 appendix B), the scopes asked for, the authorize
 * URL's encoding, the token answer's validation, the sealed form of
 * tokens and when a token is refreshed.
 */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "oauth.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

START_TEST(test_challenge_rfc7636)
{
	char out[OAUTH_CHALLENGE_LEN + 1];

	ck_assert_int_eq(oauth_challenge(
	    "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk", out), KC_OK);
	ck_assert_str_eq(out, "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
}
END_TEST

START_TEST(test_random)
{
	char	a[OAUTH_VERIFIER_LEN + 1], b[OAUTH_VERIFIER_LEN + 1];
	size_t	i;

	ck_assert_int_eq(oauth_random(48, a, sizeof(a)), KC_OK);
	ck_assert_int_eq(oauth_random(48, b, sizeof(b)), KC_OK);
	/* RFC 7636: 43 to 128 unreserved characters. */
	ck_assert_uint_eq(strlen(a), OAUTH_VERIFIER_LEN);
	ck_assert_str_ne(a, b);
	for (i = 0; a[i]; i++)
		ck_assert(strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnop"
		    "qrstuvwxyz0123456789-_", a[i]) != NULL);
	ck_assert_int_eq(oauth_random(32, a, sizeof(a)), KC_OK);
	ck_assert_uint_eq(strlen(a), OAUTH_STATE_LEN);
	ck_assert_int_ne(oauth_random(32, a, 10), KC_OK);
	ck_assert_int_ne(oauth_random(65, a, sizeof(a)), KC_OK);
}
END_TEST

START_TEST(test_scopes)
{
	char s[512];

	ck_assert_int_eq(oauth_scopes(s, sizeof(s)), KC_OK);
	/* Every endpoint's scope once, sorted. */
	ck_assert_str_eq(s, "accounts:read campaigns:read events:read "
	    "flows:read forms:read lists:read metrics:read segments:read "
	    "webhooks:read webhooks:write");
	ck_assert_int_eq(oauth_scopes(s, 20), KC_ERR_TOO_LARGE);
}
END_TEST

static const char *
env_oauth(const char *name)
{
	if (strcmp(name, "KLAVIYO_CLIENT_ID") == 0)
		return "app id/1";
	if (strcmp(name, "APP_URL") == 0)
		return "https://app.example.com/";
	if (strcmp(name, "KLAVIYO_OAUTH_AUTHORIZE_URL") == 0)
		return "https://k.example/oauth/authorize";
	return NULL;
}

static const char *
env_none(const char *name)
{
	(void)name;
	return NULL;
}

START_TEST(test_client_and_url)
{
	struct kc_config	cfg;
	struct oauth_client	c;
	struct buf		b;
	char			err[256];

	ck_assert_int_eq(config_load_from(&cfg, env_none, err, sizeof(err)),
	    KC_OK);
	ck_assert_int_eq(oauth_client_init(&cfg, &c), KC_ERR_NOT_FOUND);
	ck_assert_str_eq(cfg.klaviyo_oauth_token_url,
	    "https://a.klaviyo.com/oauth/token");
	ck_assert_str_eq(cfg.klaviyo_oauth_revoke_url,
	    "https://a.klaviyo.com/oauth/revoke");

	ck_assert_int_eq(config_load_from(&cfg, env_oauth, err, sizeof(err)),
	    KC_OK);
	ck_assert_int_eq(oauth_client_init(&cfg, &c), KC_OK);
	ck_assert_str_eq(c.redirect_uri,
	    "https://app.example.com/api/klaviyo/oauth/callback");
	buf_init(&b, 4096);
	ck_assert_int_eq(oauth_authorize_url(&c, "st-1_x",
	    "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM", &b), KC_OK);
	ck_assert_str_eq(buf_cstr(&b), "https://k.example/oauth/authorize"
	    "?response_type=code&client_id=app%20id%2F1"
	    "&redirect_uri=https%3A%2F%2Fapp.example.com%2Fapi%2Fklaviyo"
	    "%2Foauth%2Fcallback"
	    "&scope=accounts%3Aread%20campaigns%3Aread%20events%3Aread"
	    "%20flows%3Aread%20forms%3Aread%20lists%3Aread%20metrics%3Aread"
	    "%20segments%3Aread%20webhooks%3Aread%20webhooks%3Awrite"
	    "&state=st-1_x&code_challenge_method=S256"
	    "&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
	buf_free(&b);
}
END_TEST

START_TEST(test_parse_ok)
{
	struct oauth_tokens	t;
	const char		*body = "{\"access_token\":\"kat_abc\","
	    "\"token_type\":\"Bearer\",\"expires_in\":3600,"
	    "\"refresh_token\":\"krt_def\",\"scope\":\"accounts:read\"}";

	ck_assert_int_eq(oauth_parse_token_response(body, strlen(body), 1000,
	    &t), KC_OK);
	ck_assert_str_eq(t.access, "kat_abc");
	ck_assert_str_eq(t.refresh, "krt_def");
	ck_assert_str_eq(t.scope, "accounts:read");
	ck_assert_int_eq(t.expires_at, 4600);
	ck_assert_int_eq(t.lifetime, 3600);
	oauth_tokens_free(&t);
	ck_assert_ptr_null(t.access);

	/* No refresh token (a refresh without rotation) is fine here. */
	body = "{\"access_token\":\"x\",\"token_type\":\"bearer\"}";
	ck_assert_int_eq(oauth_parse_token_response(body, strlen(body), 0,
	    &t), KC_OK);
	ck_assert_ptr_null(t.refresh);
	ck_assert_int_eq(t.expires_at, 3600);
	oauth_tokens_free(&t);
}
END_TEST

static const char *const bad_answers[] = {
	"",
	"not json",
	"[]",
	"{}",
	"{\"access_token\":\"\"}",
	"{\"access_token\":5}",
	"{\"access_token\":\"a\",\"token_type\":\"mac\"}",
	"{\"access_token\":\"a\",\"expires_in\":\"3600\"}",
	"{\"access_token\":\"a\",\"expires_in\":0}",
	"{\"access_token\":\"a\",\"expires_in\":-5}",
	"{\"access_token\":\"a\",\"expires_in\":99999999999}",
	"{\"access_token\":\"a\",\"expires_in\":1.5}",
	"{\"error\":\"invalid_grant\"}",
	"{\"access_token\":\"a\xff\"}",
};

START_TEST(test_parse_bad)
{
	struct oauth_tokens	t;
	const char		*b = bad_answers[_i];

	ck_assert_int_eq(oauth_parse_token_response(b, strlen(b), 0, &t),
	    KC_ERR_UPSTREAM);
	ck_assert_ptr_null(t.access);
	ck_assert_ptr_null(t.refresh);
}
END_TEST

START_TEST(test_encode_decode)
{
	struct oauth_tokens	t, u;
	char			*json = NULL;

	memset(&t, 0, sizeof(t));
	t.access = (char *)"kat_\"quoted\"";
	t.refresh = (char *)"krt_1";
	t.scope = (char *)"a b";
	t.expires_at = 1790000000;
	t.lifetime = 3600;
	ck_assert_int_eq(oauth_tokens_encode(&t, &json), KC_OK);
	ck_assert_int_eq(oauth_tokens_decode(json, &u), KC_OK);
	ck_assert_str_eq(u.access, t.access);
	ck_assert_str_eq(u.refresh, t.refresh);
	ck_assert_str_eq(u.scope, t.scope);
	ck_assert_int_eq(u.expires_at, t.expires_at);
	ck_assert_int_eq(u.lifetime, 3600);
	oauth_tokens_free(&u);
	oauth_wipe_free(json);
	ck_assert_int_eq(oauth_tokens_decode("{}", &u), KC_ERR_CRYPTO);
	ck_assert_int_eq(oauth_tokens_decode("pk_x", &u), KC_ERR_CRYPTO);
	ck_assert_int_eq(oauth_tokens_decode("{\"access_token\":\"a\"}", &u),
	    KC_ERR_CRYPTO);
}
END_TEST

START_TEST(test_needs_refresh)
{
	struct oauth_tokens t;

	memset(&t, 0, sizeof(t));
	t.expires_at = 10000;
	t.lifetime = 3600;
	/* Klaviyo's hour: refreshed 5 minutes before the end. */
	ck_assert_int_eq(oauth_needs_refresh(&t, 300, 9600), 0);
	ck_assert_int_eq(oauth_needs_refresh(&t, 300, 9700), 1);
	ck_assert_int_eq(oauth_needs_refresh(&t, 300, 20000), 1);
	/* A 60 s token: at most a tenth of its life, not all of it. */
	t.lifetime = 60;
	ck_assert_int_eq(oauth_needs_refresh(&t, 300, 9900), 0);
	ck_assert_int_eq(oauth_needs_refresh(&t, 300, 9994), 1);
	/* Unknown lifetime: the margin as configured. */
	t.lifetime = 0;
	ck_assert_int_eq(oauth_needs_refresh(&t, 0, 9999), 0);
	ck_assert_int_eq(oauth_needs_refresh(&t, 0, 10000), 1);
}
END_TEST

static Suite *
oauth_suite(void)
{
	Suite	*s = suite_create("oauth");
	TCase	*tc = tcase_create("pure");

	tcase_add_test(tc, test_challenge_rfc7636);
	tcase_add_test(tc, test_random);
	tcase_add_test(tc, test_scopes);
	tcase_add_test(tc, test_client_and_url);
	tcase_add_test(tc, test_parse_ok);
	tcase_add_loop_test(tc, test_parse_bad, 0, NELEM(bad_answers));
	tcase_add_test(tc, test_encode_decode);
	tcase_add_test(tc, test_needs_refresh);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner	*sr = srunner_create(oauth_suite());
	int	 failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
