/*
 * CSV cells of the report exports (RFC 4180, docs/REPORTS.md): a cell
 * with a comma, quote, CR or LF is quoted with quotes doubled, and a
 * text cell that a spreadsheet would run as a formula (starting with
 * = + - @, tab or CR) gets a leading apostrophe.  Pure (tests/unit).
 */
#ifndef KC_REPORTS_CSV_H
#define KC_REPORTS_CSV_H

#include <stddef.h>

#include "buf.h"
#include "kc_err.h"

/* A cell's kind: text is made formula-safe, a number is written as is. */
enum csv_kind {
	CSV_TEXT,
	CSV_NUMBER,
};

/* Appends one cell (NULL: empty), without separator. */
int	reports_csv_cell(struct buf *, const char *, enum csv_kind)
	    KC_MUSTCHECK;
/* Appends a row of n cells, comma-separated, ended by CRLF. */
int	reports_csv_row(struct buf *, const char *const *cells,
	    const enum csv_kind *kinds, size_t n) KC_MUSTCHECK;

#endif
