/*
 * Wiping libfcgi's copies of a request (issue 14): the parameters
 * (QUERY_STRING and REQUEST_URI may hold ?apiKey=) and the input
 * stream's buffer (the raw records: parameters and body).  FCGX_Finish_r
 * frees both unwiped.
 */
#include "fcgi_wipe.h"

#include <string.h>

#include "crypto.h"

/*
 * The head of libfcgi's private FCGX_Stream_Data (fcgiapp.c, unchanged
 * since 2.4.0, Debian's 2.4.2): the aligned buffer and its length.
 */
struct fcgi_stream_head {
	unsigned char	*buff;
	int		 bufflen;
};

static void
wipe_stream(FCGX_Stream *s)
{
	struct fcgi_stream_head *h;

	if (s == NULL || s->data == NULL)
		return;
	h = s->data;
	if (h->buff != NULL && h->bufflen > 0)
		crypto_wipe(h->buff, (size_t)h->bufflen);
}

void
fcgi_wipe_request(FCGX_Request *fr)
{
	char **e;

	for (e = fr->envp; e != NULL && *e != NULL; e++)
		crypto_wipe(*e, strlen(*e));
	wipe_stream(fr->in);
}
