/* stderr logging; see log.h (OpenBSD httpd log.c, redis serverLog). */
#include "log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

static char		 component[32] = "kc";
static enum log_level	 level = LOG_LVL_INFO;
static char		 request_id[40] = "-";

static const char *const names[] = { "ERROR", "WARN", "INFO", "DEBUG" };

void
log_init(const char *comp, enum log_level lvl)
{
	snprintf(component, sizeof(component), "%s", comp);
	level = lvl;
}

void
log_set_level(enum log_level lvl)
{
	level = lvl;
}

int
log_level_parse(const char *s, enum log_level *out)
{
	size_t i;

	for (i = 0; i < nitems(names); i++)
		if (strcasecmp(s, names[i]) == 0) {
			*out = (enum log_level)i;
			return KC_OK;
		}
	return KC_ERR_CONFIG;
}

void
log_set_request_id(const char *id)
{
	char tmp[sizeof(request_id)];

	if (id == NULL || *id == '\0')
		id = "-";
	log_escape(id, tmp, sizeof(tmp));
	snprintf(request_id, sizeof(request_id), "%s", tmp);
}

int
log_enabled(enum log_level lvl)
{
	return lvl <= level;
}

/*
 * Copy s to out, replacing control bytes, quotes, backslashes and bytes
 * over 0x7e with \xNN, so one user string cannot forge a log line.
 */
char *
log_escape(const char *s, char *out, size_t outlen)
{
	size_t		 o = 0;
	unsigned char	 c;

	if (outlen == 0)
		return out;
	for (; s && *s; s++) {
		c = (unsigned char)*s;
		if (c < 0x20 || c > 0x7e || c == '"' || c == '\\') {
			if (o + 4 >= outlen)
				break;
			snprintf(out + o, outlen - o, "\\x%02x", c);
			o += 4;
		} else {
			if (o + 1 >= outlen)
				break;
			out[o++] = (char)c;
		}
	}
	out[o] = '\0';
	return out;
}

static void
log_vline(enum log_level lvl, const char *fmt, va_list ap, const char *tail)
{
	char		 ts[40], msg[2048], *p;
	struct timespec	 now;
	struct tm	 tm;

	clock_gettime(CLOCK_REALTIME, &now);
	gmtime_r(&now.tv_sec, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	/* One event, one line: libpq messages carry "\n\t". */
	for (p = msg; *p; p++)
		if ((unsigned char)*p < 0x20)
			*p = ' ';
	fprintf(stderr, "%s.%03ldZ %s %s %s %s%s%s\n", ts,
	    now.tv_nsec / 1000000, names[lvl], component, request_id, msg,
	    tail ? ": " : "", tail ? tail : "");
}

void
log_msg(enum log_level lvl, const char *fmt, ...)
{
	va_list ap;

	if (!log_enabled(lvl))
		return;
	va_start(ap, fmt);
	log_vline(lvl, fmt, ap, NULL);
	va_end(ap);
}

void
log_warn(const char *fmt, ...)
{
	va_list	 ap;
	int	 saved = errno;
	char	 ebuf[128];

	if (!log_enabled(LOG_LVL_WARN))
		return;
	va_start(ap, fmt);
	log_vline(LOG_LVL_WARN, fmt, ap,
	    strerror_r(saved, ebuf, sizeof(ebuf)));
	va_end(ap);
	errno = saved;
}

void
log_warnx(const char *fmt, ...)
{
	va_list ap;

	if (!log_enabled(LOG_LVL_WARN))
		return;
	va_start(ap, fmt);
	log_vline(LOG_LVL_WARN, fmt, ap, NULL);
	va_end(ap);
}
