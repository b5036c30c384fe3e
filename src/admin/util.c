/* Helpers shared by klaviyo-admin commands. */
#include "admin.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "crypto.h"
#include "password.h"
#include "session.h"
#include "user.h"

void
admin_err(const char *fmt, ...)
{
	va_list ap;

	fputs("klaviyo-admin: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int
admin_exit(int rc)
{
	switch (rc) {
	case KC_OK:
		return EXIT_OK;
	case KC_ERR_CONFLICT:
		return EXIT_CONFLICT;
	case KC_ERR_NOT_FOUND:
		return EXIT_NOTFOUND;
	case KC_ERR_BAD_INPUT:
		return EXIT_USAGE;
	case KC_ERR_DB_DOWN:
		admin_err("cannot reach the database (check DATABASE_URL)");
		return EXIT_FAIL;
	default:
		return EXIT_FAIL;
	}
}

int
admin_email(const char *in, char *out, size_t outlen)
{
	size_t	 n = strlen(in), i;
	char	*at;

	if (n == 0 || n > EMAIL_MAX || n + 1 > outlen)
		return KC_ERR_BAD_INPUT;
	for (i = 0; i < n; i++) {
		if ((unsigned char)in[i] <= ' ' ||
		    (unsigned char)in[i] >= 0x7f)
			return KC_ERR_BAD_INPUT;
		out[i] = (char)tolower((unsigned char)in[i]);
	}
	out[n] = '\0';
	at = strchr(out, '@');
	if (at == NULL || at == out || at[1] == '\0' || strchr(at + 1, '@'))
		return KC_ERR_BAD_INPUT;
	return KC_OK;
}

int
admin_user_id(struct db *db, const char *email, long long *id)
{
	char e[EMAIL_MAX + 1];

	*id = 0;
	if (admin_email(email, e, sizeof(e)) != KC_OK)
		return KC_ERR_NOT_FOUND;
	return user_find(db, e, id);
}

static int
read_line(FILE *fp, char *out, size_t outlen)
{
	size_t n;

	if (fgets(out, (int)outlen, fp) == NULL)
		return KC_ERR_BAD_INPUT;
	n = strlen(out);
	if (n > 0 && out[n - 1] == '\n')
		out[--n] = '\0';
	else if (!feof(fp))
		return KC_ERR_TOO_LARGE;
	if (n > 0 && out[n - 1] == '\r')
		out[--n] = '\0';
	return KC_OK;
}

static int
prompt(const char *what, char *out, size_t outlen)
{
	struct termios	 old, quiet;
	int		 rc;

	fputs(what, stderr);
	fflush(stderr);
	if (tcgetattr(STDIN_FILENO, &old) != 0)
		return KC_ERR_IO;
	quiet = old;
	quiet.c_lflag &= ~(tcflag_t)ECHO;
	if (tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet) != 0)
		return KC_ERR_IO;
	rc = read_line(stdin, out, outlen);
	(void)tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
	fputc('\n', stderr);
	return rc;
}

int
admin_read_password(char *out, size_t outlen)
{
	char	again[1100];
	int	rc;

	if (!isatty(STDIN_FILENO))
		return read_line(stdin, out, outlen);
	if ((rc = prompt("Password: ", out, outlen)) != KC_OK ||
	    (rc = prompt("Again: ", again, sizeof(again))) != KC_OK)
		return rc;
	rc = strcmp(out, again) == 0 ? KC_OK : KC_ERR_CONFLICT;
	crypto_wipe(again, sizeof(again));
	if (rc != KC_OK)
		admin_err("the two passwords differ");
	return rc;
}

int
admin_number(const char *s, long long max, long long *out)
{
	char		*end;
	long long	 v;

	*out = 0;
	if (*s < '0' || *s > '9')
		return KC_ERR_BAD_INPUT;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || *end || v < 1 || v > max)
		return KC_ERR_BAD_INPUT;
	*out = v;
	return KC_OK;
}

int
admin_new_password(const struct kc_config *cfg, char *hash, size_t len)
{
	char		 pw[PASSWORD_MAX_LEN + 2];
	const char	*why;
	int		 rc;

	if (admin_read_password(pw, sizeof(pw)) != KC_OK) {
		crypto_wipe(pw, sizeof(pw));
		admin_err("no password read (give it on standard input)");
		return EXIT_USAGE;
	}
	if ((why = password_policy(pw)) != NULL) {
		crypto_wipe(pw, sizeof(pw));
		admin_err("%s", why);
		return EXIT_USAGE;
	}
	rc = password_hash(pw, (unsigned)cfg->password_scrypt_log_n, hash,
	    len);
	crypto_wipe(pw, sizeof(pw));
	if (rc != KC_OK) {
		admin_err("cannot hash the password");
		return EXIT_FAIL;
	}
	return EXIT_OK;
}
