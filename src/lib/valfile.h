/*
 * A setting kept in a file of its own (NAME_FILE, a systemd credential):
 * the whole file is the value, one trailing newline removed, as editors
 * and `echo` leave one.  Small files only: a value is a line, not a
 * document.
 */
#ifndef KC_VALFILE_H
#define KC_VALFILE_H

#include <stddef.h>

#include "kc_err.h"

#define VALFILE_MAX 65536

/*
 * Reads path into a NUL-terminated malloc'd string (*out); the caller
 * wipes and frees it.  KC_ERR_IO when it cannot be read (err says why,
 * with the path, never the content), KC_ERR_CONFIG when it is empty, has
 * a NUL byte or is over VALFILE_MAX, KC_ERR_NOMEM.
 */
int	valfile_read(const char *path, char **out, char *err, size_t errlen)
	    KC_MUSTCHECK;

#endif
