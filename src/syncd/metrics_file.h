/*
 * klaviyo-syncd's metrics: the counters of opstats.h, the queues and its
 * pool, written to SYNCD_METRICS_FILE in Prometheus's text format for
 * node_exporter's textfile collector.  A file rather than a listener: the
 * daemon is one thread driving coroutines, and a file needs no socket,
 * no port and no request parsing inside it; the heartbeat's 15 s cadence
 * is a scrape interval's.  Written to PATH.tmp, then renamed, so a reader
 * never sees half a file.
 */
#ifndef KC_METRICS_FILE_H
#define KC_METRICS_FILE_H

#include <stddef.h>

#include "db.h"
#include "kc_err.h"

/* concurrency: SYNC_CONCURRENCY; active: jobs running now. */
int	metrics_file_write(const char *path, struct db *, size_t concurrency,
	    size_t active) KC_MUSTCHECK;

#endif
