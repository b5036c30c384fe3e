/* Error codes: messages, machine codes and HTTP statuses in one table. */
#include "kc_err.h"

#include <stddef.h>

static const struct {
	int		 status;
	const char	*code;
	const char	*msg;
} errtab[KC_ERR__MAX] = {
	[KC_OK] = { 200, "ok", "Success" },
	[KC_ERR_NOMEM] = { 500, "internal_error", "Out of memory" },
	[KC_ERR_INTERNAL] = { 500, "internal_error", "Internal error" },
	[KC_ERR_BAD_INPUT] = { 400, "bad_request", "Bad request" },
	[KC_ERR_UNAUTHORIZED] = { 401, "unauthorized",
	    "Not signed in or session expired" },
	[KC_ERR_FORBIDDEN] = { 403, "forbidden", "Insufficient permissions" },
	[KC_ERR_NOT_FOUND] = { 404, "not_found", "Not found" },
	[KC_ERR_METHOD] = { 405, "method_not_allowed",
	    "Method not allowed" },
	[KC_ERR_CONFLICT] = { 409, "conflict", "Conflicting state" },
	[KC_ERR_TOO_LARGE] = { 413, "payload_too_large",
	    "Request body is larger than 64 KiB" },
	[KC_ERR_MEDIA_TYPE] = { 415, "unsupported_media_type",
	    "Request body must be application/json" },
	[KC_ERR_UNPROCESSABLE] = { 422, "unprocessable",
	    "Klaviyo refused the request" },
	[KC_ERR_RATE_LIMITED] = { 429, "rate_limited",
	    "Too many requests, try again later" },
	[KC_ERR_UPSTREAM] = { 502, "klaviyo_error",
	    "Klaviyo answered with an error" },
	[KC_ERR_DB_DOWN] = { 503, "database_unavailable",
	    "The database is unavailable, try again shortly" },
	[KC_ERR_TIMEOUT] = { 504, "klaviyo_timeout",
	    "Klaviyo did not answer in time" },
	[KC_ERR_DB] = { 500, "internal_error", "Database error" },
	[KC_ERR_CRYPTO] = { 500, "internal_error", "Cryptographic failure" },
	[KC_ERR_CONFIG] = { 500, "internal_error", "Configuration error" },
	[KC_ERR_IO] = { 500, "internal_error", "I/O error" },
};

static int
valid(int e)
{
	return e >= 0 && e < KC_ERR__MAX;
}

const char *
kc_strerror(int e)
{
	return valid(e) ? errtab[e].msg : "Unknown error";
}

const char *
kc_err_code(int e)
{
	return valid(e) ? errtab[e].code : "internal_error";
}

int
kc_err_http_status(int e)
{
	return valid(e) ? errtab[e].status : 500;
}
