/*
 * A growing byte buffer with a hard maximum set at init (curl's dynbuf).
 * A failed append frees the contents and returns KC_ERR_TOO_LARGE or
 * KC_ERR_NOMEM, so a caller never works on a truncated buffer.
 * The data is always NUL-terminated.
 */
#ifndef KC_BUF_H
#define KC_BUF_H

#include <stdarg.h>
#include <stddef.h>

#include "kc_err.h"

struct buf {
	char	*data;
	size_t	 len;
	size_t	 cap;
	size_t	 max;
};

void	 buf_init(struct buf *, size_t max);
int	 buf_append(struct buf *, const void *, size_t) KC_MUSTCHECK;
int	 buf_puts(struct buf *, const char *) KC_MUSTCHECK;
int	 buf_printf(struct buf *, const char *, ...)
	    KC_PRINTF(2, 3) KC_MUSTCHECK;
int	 buf_vprintf(struct buf *, const char *, va_list) KC_MUSTCHECK;
const char *buf_cstr(const struct buf *);
char	*buf_steal(struct buf *);
void	 buf_reset(struct buf *);
void	 buf_free(struct buf *);
void	 buf_free_secret(struct buf *);

#endif
