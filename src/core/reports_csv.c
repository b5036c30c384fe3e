/* CSV cells; see reports_csv.h. */
#include "reports_csv.h"

#include <string.h>

int
reports_csv_cell(struct buf *b, const char *s, enum csv_kind kind)
{
	const char	*p;
	int		 quote, guard, rc;

	if (s == NULL || *s == '\0')
		return KC_OK;
	/* A number never needs it, and "-1.5" must stay a number. */
	guard = kind == CSV_TEXT && strchr("=+-@\t\r", *s) != NULL;
	quote = strpbrk(s, ",\"\r\n") != NULL;
	if (quote && (rc = buf_puts(b, "\"")) != KC_OK)
		return rc;
	if (guard && (rc = buf_puts(b, "'")) != KC_OK)
		return rc;
	if (!quote)
		rc = buf_puts(b, s);
	else {
		for (p = s, rc = KC_OK; *p && rc == KC_OK; p++)
			rc = *p == '"' ? buf_puts(b, "\"\"") :
			    buf_append(b, p, 1);
		if (rc == KC_OK)
			rc = buf_puts(b, "\"");
	}
	return rc;
}

int
reports_csv_row(struct buf *b, const char *const *cells,
    const enum csv_kind *kinds, size_t n)
{
	size_t	i;
	int	rc;

	for (i = 0; i < n; i++) {
		if (i > 0 && (rc = buf_puts(b, ",")) != KC_OK)
			return rc;
		if ((rc = reports_csv_cell(b, cells[i], kinds[i])) != KC_OK)
			return rc;
	}
	return buf_puts(b, "\r\n");
}
