/*
 * Wiping what held a secret before the memory goes back to the allocator
 * (issue 14): a freed buffer keeps its bytes until reused, so an idle
 * worker held copies of finished requests' keys.  crypto_wipe (crypto.h)
 * wipes our own buffers; these reach into the libraries'.
 */
#ifndef KC_WIPE_H
#define KC_WIPE_H

#include <json-c/json.h>

#include "kc_err.h"

/*
 * Overwrites every string value (at any depth) of o, then puts it; the
 * caller holds the last reference.
 */
void	wipe_json_put(struct json_object *o);
/* Overwrites the tokener's copy of the last string it read. */
void	wipe_json_tokener(struct json_tokener *tok);
/* json_object_to_json_string_ext's cached text of o, overwritten. */
void	wipe_json_text(struct json_object *o, int flags);
/*
 * OpenSSL allocates through functions that zero what they free (TLS
 * records with an Authorization line).  First thing in main: refused
 * once OpenSSL has allocated.
 */
int	wipe_ssl_init(void) KC_MUSTCHECK;
/*
 * curl_global_init() with the same for libcurl (the request it composes
 * from our headers, its copies of them).
 */
int	wipe_curl_global_init(void) KC_MUSTCHECK;

#endif
