/*
 * One closed set of error codes for the whole service (kcgi's enum
 * kcgi_err, openssh's ssherr.h).  Each maps to one HTTP status and one
 * machine code for DESIGN.md's JSON error body.
 */
#ifndef KC_ERR_H
#define KC_ERR_H

enum kc_err {
	KC_OK = 0,
	KC_ERR_NOMEM,		/* out of memory */
	KC_ERR_INTERNAL,	/* a bug or an unexpected library failure */
	KC_ERR_BAD_INPUT,	/* 400: the request is malformed */
	KC_ERR_UNAUTHORIZED,	/* 401: no or expired session */
	KC_ERR_FORBIDDEN,	/* 403: authenticated but not allowed */
	KC_ERR_NOT_FOUND,	/* 404: unknown route or invisible store */
	KC_ERR_METHOD,		/* 405: route exists, method does not */
	KC_ERR_CONFLICT,	/* 409: state does not allow it */
	KC_ERR_TOO_LARGE,	/* 413: body (or a buffer) over its cap */
	KC_ERR_MEDIA_TYPE,	/* 415: body is not application/json */
	KC_ERR_UNPROCESSABLE,	/* 422: Klaviyo refused the key or metric */
	KC_ERR_RATE_LIMITED,	/* 429: slow down, see Retry-After */
	KC_ERR_UPSTREAM,	/* 502: Klaviyo failed or answered garbage */
	KC_ERR_DB_DOWN,		/* 503: PostgreSQL unreachable */
	KC_ERR_TIMEOUT,		/* 504: Klaviyo timed out */
	KC_ERR_DB,		/* a query failed (constraint, bug) */
	KC_ERR_CRYPTO,		/* decryption or key failure */
	KC_ERR_CONFIG,		/* bad configuration */
	KC_ERR_IO,		/* file or socket error */
	KC_ERR__MAX
};

const char *kc_strerror(int);
const char *kc_err_code(int);
int kc_err_http_status(int);

/* The number of elements of an array (OpenBSD's nitems). */
#ifndef nitems
#define nitems(a) (sizeof(a) / sizeof((a)[0]))
#endif

#if defined(__GNUC__)
#define KC_MUSTCHECK __attribute__((warn_unused_result))
#define KC_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define KC_MUSTCHECK
#define KC_PRINTF(a, b)
#endif

#endif
