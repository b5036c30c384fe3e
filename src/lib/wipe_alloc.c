/* Allocators that zero what they free, for libcurl and OpenSSL. */
#include "wipe.h"

#include <malloc.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <openssl/crypto.h>

#include "crypto.h"

static void
zfree(void *p)
{
	if (p == NULL)
		return;
	crypto_wipe(p, malloc_usable_size(p));
	free(p);
}

/* realloc() may move the block and free the old one unwiped: never. */
static void *
zrealloc(void *p, size_t n)
{
	size_t	 old;
	void	*q;

	if (p == NULL)
		return malloc(n);
	if (n == 0) {
		zfree(p);
		return NULL;
	}
	old = malloc_usable_size(p);
	if (n <= old)
		return p;
	if ((q = malloc(n)) == NULL)
		return NULL;
	memcpy(q, p, old);
	zfree(p);
	return q;
}

static char *
zstrdup(const char *s)
{
	size_t	 n = strlen(s) + 1;
	char	*p;

	if ((p = malloc(n)) != NULL)
		memcpy(p, s, n);
	return p;
}

static void *
ssl_malloc(size_t n, const char *file, int line)
{
	(void)file;
	(void)line;
	return malloc(n);
}

static void *
ssl_realloc(void *p, size_t n, const char *file, int line)
{
	(void)file;
	(void)line;
	return zrealloc(p, n);
}

static void
ssl_free(void *p, const char *file, int line)
{
	(void)file;
	(void)line;
	zfree(p);
}

int
wipe_ssl_init(void)
{
	return CRYPTO_set_mem_functions(ssl_malloc, ssl_realloc, ssl_free) ==
	    1 ? KC_OK : KC_ERR_INTERNAL;
}

int
wipe_curl_global_init(void)
{
	return curl_global_init_mem(CURL_GLOBAL_DEFAULT, malloc, zfree,
	    zrealloc, zstrdup, calloc) == CURLE_OK ? KC_OK : KC_ERR_INTERNAL;
}
