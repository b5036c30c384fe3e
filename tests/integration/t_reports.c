/* Placeholder: filled below. */
#include "itest.h"

Suite *
suite_reports(void)
{
	Suite *s = suite_create("reports");

	return s;
}
