/* klaviyo-syncd's metrics file; see metrics_file.h. */
#include "metrics_file.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "log.h"
#include "opstats.h"
#include "queue_stats.h"

static int
render(struct buf *b, struct db *db, size_t concurrency, size_t active)
{
	struct queue_stats	qs;
	int			rc, db_ok;

	db_ok = queue_stats_read(db, &qs) == KC_OK;
	if ((rc = opstats_render(b, NULL, 0)) != KC_OK ||
	    (rc = opstats_render_queues(b, db_ok ? &qs : NULL)) != KC_OK ||
	    (rc = opstats_render_gauge(b, "kc_syncd_pool_size", "Sync jobs "
	    "this klaviyo-syncd runs at once at most (SYNC_CONCURRENCY).",
	    (long long)concurrency)) != KC_OK)
		return rc;
	return opstats_render_gauge(b, "kc_syncd_jobs_active",
	    "Sync jobs this klaviyo-syncd runs now.", (long long)active);
}

static int
write_all(int fd, const char *p, size_t n)
{
	ssize_t w;

	while (n > 0) {
		if ((w = write(fd, p, n)) < 0) {
			if (errno == EINTR)
				continue;
			return KC_ERR_IO;
		}
		p += w;
		n -= (size_t)w;
	}
	return KC_OK;
}

int
metrics_file_write(const char *path, struct db *db, size_t concurrency,
    size_t active)
{
	struct buf	b;
	char		tmp[PATH_MAX];
	int		fd, rc;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
		return KC_ERR_CONFIG;
	buf_init(&b, 1024 * 1024);
	if ((rc = render(&b, db, concurrency, active)) != KC_OK) {
		buf_free(&b);
		return rc;
	}
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)) <
	    0) {
		buf_free(&b);
		return KC_ERR_IO;
	}
	rc = write_all(fd, buf_cstr(&b), b.len);
	if (close(fd) != 0 && rc == KC_OK)
		rc = KC_ERR_IO;
	buf_free(&b);
	if (rc == KC_OK && rename(tmp, path) != 0)
		rc = KC_ERR_IO;
	if (rc != KC_OK)
		(void)unlink(tmp);
	return rc;
}
