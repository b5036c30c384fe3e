/*
 * Pieces of JSON:API documents the generators and handlers share
 * (jsonapi.c).  Builders return NULL when out of memory; sbx_arr_add
 * and sbx_add_new take what they are given even on failure.
 */
#ifndef KC_SANDBOX_JSONAPI_H
#define KC_SANDBOX_JSONAPI_H

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "sandbox.h"

/* Attribution channels ($attributed_channel, send_channel). */
extern const char *const sbx_send_channels[];

/* created in 2021..mid 2024, updated after it, both before mid 2026. */
void	sbx_gen_times(struct sbx_rng *, char *created, char *updated,
	    size_t);
/* A fresh id of n characters (hex or alphanumeric) not used yet in arr. */
void	sbx_unique_id(struct sbx_rng *, struct json_object *arr, char *,
	    size_t n, int hex);
/* {"data": [] (when data), "links": {"self": ..., "related": ...}} */
struct json_object *sbx_relationship(const char *coll, const char *id,
	    const char *rel, int data);
/* {"type", "id", "attributes": {} (in *attrs), "links": {"self"}} */
struct json_object *sbx_resource(const char *type, const char *coll,
	    const char *id, struct json_object **attrs);
/* {"type", "id", "attributes": {} (in *attrs)}: links come last. */
struct json_object *sbx_res_new(const char *type, const char *id,
	    struct json_object **attrs);
/* Adds "links": {"self": "/api/<coll>/<id>/"}. */
int	sbx_res_links(struct json_object *, const char *coll, const char *id)
	    KC_MUSTCHECK;
/* {"type": type, "id": id} */
struct json_object *sbx_ref_new(const char *type, const char *id);
/* {"data": {"type": type, "id": id}} */
struct json_object *sbx_to_one(const char *type, const char *id);
/* A date-time member, null for 0. */
int	sbx_add_time(struct json_object *, const char *, int64_t)
	    KC_MUSTCHECK;
/* Appends o to arr, taking it even on failure; NULL is out of memory. */
int	sbx_arr_add(struct json_object *arr, struct json_object *o)
	    KC_MUSTCHECK;
/* Adds what a builder made; NULL is out of memory, not JSON null. */
int	sbx_add_new(struct json_object *, const char *, struct json_object *)
	    KC_MUSTCHECK;
/* Cents as a JSON number with two decimals, exactly. */
struct json_object *sbx_money(int64_t cents);
/* 1 when the comma-separated list has s. */
int	sbx_list_has(const char *list, const char *s);
/* 1 when the NULL-terminated list has s. */
int	sbx_in_list(const char *const *list, const char *s);
/* The resource of a type and id in arr, or NULL. */
struct json_object *sbx_find_resource(struct json_object *arr,
	    const char *type, const char *id);

#endif
