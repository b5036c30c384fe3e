/*
 * One line per event on stderr: "ts level component req_id message".
 * The level is checked before formatting (redis serverLog).  Strings that
 * come from users go through log_escape first.  Never pass a secret, a
 * password, a token or an Authorization header to these functions.
 */
#ifndef KC_LOG_H
#define KC_LOG_H

#include <stddef.h>

#include "kc_err.h"

enum log_level { LOG_LVL_ERROR, LOG_LVL_WARN, LOG_LVL_INFO, LOG_LVL_DEBUG };

void	log_init(const char *component, enum log_level);
/* A new level for a running program (reload on SIGHUP). */
void	log_set_level(enum log_level);
int	log_level_parse(const char *, enum log_level *);
void	log_set_request_id(const char *);
int	log_enabled(enum log_level);
void	log_msg(enum log_level, const char *, ...) KC_PRINTF(2, 3);
/* log_warn appends strerror(errno); log_warnx does not. */
void	log_warn(const char *, ...) KC_PRINTF(1, 2);
void	log_warnx(const char *, ...) KC_PRINTF(1, 2);
char	*log_escape(const char *, char *, size_t);

#define log_error(...) log_msg(LOG_LVL_ERROR, __VA_ARGS__)
#define log_info(...) log_msg(LOG_LVL_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_LVL_DEBUG, __VA_ARGS__)

#endif
