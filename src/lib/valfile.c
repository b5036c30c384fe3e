/* A value read from a file; see valfile.h. */
#include "valfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "crypto.h"

int
valfile_read(const char *path, char **out, char *err, size_t errlen)
{
	char	*buf = NULL;
	size_t	 len = 0;
	ssize_t	 n;
	int	 fd, rc = KC_ERR_IO;

	*out = NULL;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		snprintf(err, errlen, "cannot read %s: %s", path,
		    strerror(errno));
		return KC_ERR_IO;
	}
	/* One byte more than allowed tells a file that is too long. */
	if ((buf = malloc(VALFILE_MAX + 2)) == NULL) {
		rc = KC_ERR_NOMEM;
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	for (;;) {
		n = read(fd, buf + len, VALFILE_MAX + 1 - len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			snprintf(err, errlen, "cannot read %s: %s", path,
			    strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len > VALFILE_MAX)
			break;
	}
	rc = KC_ERR_CONFIG;
	if (len > VALFILE_MAX) {
		snprintf(err, errlen, "%s is larger than %d bytes", path,
		    VALFILE_MAX);
		goto out;
	}
	if (memchr(buf, '\0', len) != NULL) {
		snprintf(err, errlen, "%s holds a NUL byte", path);
		goto out;
	}
	if (len > 0 && buf[len - 1] == '\n')
		len--;
	if (len > 0 && buf[len - 1] == '\r')
		len--;
	if (len == 0) {
		snprintf(err, errlen, "%s is empty", path);
		goto out;
	}
	/* Keep len + 1 bytes, not the 64 KiB read buffer. */
	if ((*out = malloc(len + 1)) == NULL) {
		rc = KC_ERR_NOMEM;
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	memcpy(*out, buf, len);
	(*out)[len] = '\0';
	rc = KC_OK;
out:
	if (buf != NULL) {
		crypto_wipe(buf, VALFILE_MAX + 2);
		free(buf);
	}
	close(fd);
	return rc;
}
