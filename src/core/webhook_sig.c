/* Klaviyo webhook signatures and timestamps; see webhook_sig.h. */
#include "webhook_sig.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "crypto.h"

static int
mac(const char *secret, size_t secretlen, const char *body, size_t bodylen,
    const char *timestamp, unsigned char out[32])
{
	OSSL_PARAM	 params[2];
	EVP_MAC		*m;
	EVP_MAC_CTX	*c = NULL;
	size_t		 n = 0;
	int		 ok = 0;

	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
	    (char *)"SHA256", 0);
	params[1] = OSSL_PARAM_construct_end();
	if ((m = EVP_MAC_fetch(NULL, "HMAC", NULL)) != NULL &&
	    (c = EVP_MAC_CTX_new(m)) != NULL)
		ok = EVP_MAC_init(c, (const unsigned char *)secret, secretlen,
		    params) &&
		    EVP_MAC_update(c, (const unsigned char *)body, bodylen) &&
		    EVP_MAC_update(c, (const unsigned char *)timestamp,
		    strlen(timestamp)) &&
		    EVP_MAC_final(c, out, &n, 32) && n == 32;
	EVP_MAC_CTX_free(c);
	EVP_MAC_free(m);
	return ok ? KC_OK : KC_ERR_CRYPTO;
}

int
webhook_sign(const char *secret, size_t secretlen, const char *body,
    size_t bodylen, const char *timestamp, char out[WEBHOOK_SIG_HEX + 1])
{
	unsigned char	d[32];
	int		rc;

	if ((rc = mac(secret, secretlen, body, bodylen, timestamp, d)) !=
	    KC_OK)
		return rc;
	crypto_hex(d, sizeof(d), out);
	return KC_OK;
}

int
webhook_sig_check(const char *secret, size_t secretlen, const char *body,
    size_t bodylen, const char *timestamp, const char *signature)
{
	unsigned char	want[32], got[32];
	size_t		n = 0;
	int		rc;

	if (signature == NULL || timestamp == NULL ||
	    strlen(signature) != WEBHOOK_SIG_HEX ||
	    crypto_unhex(signature, got, sizeof(got), &n) != KC_OK ||
	    n != sizeof(got))
		return KC_ERR_UNAUTHORIZED;
	if ((rc = mac(secret, secretlen, body, bodylen, timestamp, want)) !=
	    KC_OK)
		return rc;
	rc = crypto_equal(want, got, sizeof(want)) ? KC_OK :
	    KC_ERR_UNAUTHORIZED;
	crypto_wipe(want, sizeof(want));
	return rc;
}

/* n digits at s into *v; the end, or NULL. */
static const char *
digits(const char *s, int n, int *v)
{
	*v = 0;
	while (n-- > 0) {
		if (!isdigit((unsigned char)*s))
			return NULL;
		*v = *v * 10 + (*s++ - '0');
	}
	return s;
}

static int
iso_parse(const char *s, time_t *out)
{
	struct tm	tm;
	int		y, mo, d, h, mi, sec, oh = 0, om = 0, sign = 0;
	time_t		t;

	memset(&tm, 0, sizeof(tm));
	if ((s = digits(s, 4, &y)) == NULL || *s++ != '-' ||
	    (s = digits(s, 2, &mo)) == NULL || *s++ != '-' ||
	    (s = digits(s, 2, &d)) == NULL || (*s != 'T' && *s != ' ') ||
	    (s = digits(s + 1, 2, &h)) == NULL || *s++ != ':' ||
	    (s = digits(s, 2, &mi)) == NULL || *s++ != ':' ||
	    (s = digits(s, 2, &sec)) == NULL)
		return KC_ERR_BAD_INPUT;
	if (*s == '.') {
		s++;
		if (!isdigit((unsigned char)*s))
			return KC_ERR_BAD_INPUT;
		while (isdigit((unsigned char)*s))
			s++;
	}
	if (*s == 'Z' || *s == 'z')
		s++;
	else if (*s == '+' || *s == '-') {
		sign = *s++ == '-' ? -1 : 1;
		if ((s = digits(s, 2, &oh)) == NULL)
			return KC_ERR_BAD_INPUT;
		if (*s == ':')
			s++;
		if ((s = digits(s, 2, &om)) == NULL)
			return KC_ERR_BAD_INPUT;
	} else
		return KC_ERR_BAD_INPUT;
	if (*s != '\0' || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 ||
	    mi > 59 || sec > 60 || oh > 23 || om > 59)
		return KC_ERR_BAD_INPUT;
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	if ((t = timegm(&tm)) == (time_t)-1)
		return KC_ERR_BAD_INPUT;
	*out = t - sign * (oh * 3600 + om * 60);
	return KC_OK;
}

int
webhook_ts_parse(const char *s, time_t *out)
{
	const char		*p;
	unsigned long long	 v = 0;

	if (s == NULL || *s == '\0' || strlen(s) > 40)
		return KC_ERR_BAD_INPUT;
	/* "YYYY-": a date, not a number of seconds. */
	if (strlen(s) > 4 && s[4] == '-')
		return iso_parse(s, out);
	for (p = s; isdigit((unsigned char)*p); p++) {
		if (v > 100000000000000ULL)
			return KC_ERR_BAD_INPUT;
		v = v * 10 + (unsigned)(*p - '0');
	}
	if (p == s)
		return KC_ERR_BAD_INPUT;
	/* Decimal seconds, perhaps with a fraction. */
	if (*p == '.') {
		p++;
		while (isdigit((unsigned char)*p))
			p++;
	}
	if (*p != '\0')
		return KC_ERR_BAD_INPUT;
	/* Past year 5000 in seconds: it was milliseconds. */
	if (v > 95617584000ULL)
		v /= 1000;
	*out = (time_t)v;
	return KC_OK;
}

int
webhook_ts_fresh(time_t at, time_t now, long tolerance)
{
	long long d = (long long)now - (long long)at;

	return d <= tolerance && d >= -tolerance;
}
