/*
 * klaviyo-sandbox: a stand-in Klaviyo API for tests and the demo
 * (DESIGN.md section 8; docs/SANDBOX.md has the accounts, faults and
 * time-scale semantics).  Never used in production.
 *
 *   klaviyo-sandbox --listen 127.0.0.1:PORT [--time-scale N] [--log FILE]
 *       [--today YYYY-MM-DD] [--oauth-client-file FILE |
 *       --oauth-client ID:SECRET]
 *       [--oauth-access-ttl SECONDS] [--fleet N] [--fleet-cache N]
 *       [--webhook-allow-http] [--webhook-retry-base-ms MS]
 *       [--webhook-max-attempts N]
 *
 * Prints "listening on HOST:PORT" on stdout once it accepts connections
 * (port 0 picks a free port and prints the real one); SIGTERM or SIGINT
 * stops it cleanly.
 */
#include "kc_autoconf.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include <curl/curl.h>

#include "log.h"
#include "privs.h"
#include "sandbox.h"
#include "ctl.h"
#include "fleet.h"
#include "oauth.h"
#include "rate.h"
#include "webhooks.h"

static volatile sig_atomic_t stop;

static void
on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void
usage(void)
{
	fprintf(stderr, "usage: klaviyo-sandbox --listen HOST:PORT "
	    "[--time-scale N] [--log FILE] [--log-level LEVEL]\n"
	    "       [--today YYYY-MM-DD] [--oauth-client-file FILE] "
	    "[--oauth-access-ttl S]\n"
	    "       [--fleet N] [--fleet-cache N] [--webhook-allow-http]\n"
	    "       [--webhook-retry-base-ms MS] [--webhook-max-attempts N]\n"
	    "  --time-scale N  divide every rate-limit window by N "
	    "(1 to 86400; 60:\n"
	    "                  a minute lasts 1 s); default 1\n"
	    "  --log FILE      append log lines to FILE instead of "
	    "stderr\n"
	    "  --today DATE    the accounts' today (their history ends the "
	    "day before);\n"
	    "                  default: each account's current date\n"
	    "  --oauth-client-file FILE\n"
	    "                  register the OAuth client ID:SECRET read from "
	    "FILE's first\n"
	    "                  line (/oauth/authorize, /oauth/token, "
	    "/oauth/revoke);\n"
	    "                  without it /oauth/ is 404\n"
	    "  --oauth-client ID:SECRET\n"
	    "                  the same on the command line (visible to "
	    "every user: tests)\n"
	    "  --oauth-access-ttl S\n"
	    "                  access-token lifetime in real seconds "
	    "(1 to 31622400,\n"
	    "                  not scaled by --time-scale); default 3600\n"
	    "  --fleet N       add N small generated accounts (0 to 20000; "
	    "keys\n"
	    "                  pk_fleet + the index in 27 digits); default 0\n"
	    "  --fleet-cache N fleet accounts kept built at once (1 to "
	    "20000); default 64\n"
	    "  --webhook-allow-http\n"
	    "                  accept http:// webhook endpoint URLs (tests, "
	    "demo);\n"
	    "                  default: https only, like Klaviyo\n"
	    "  --webhook-retry-base-ms MS\n"
	    "                  first retry of a failed delivery after MS, "
	    "then twice\n"
	    "                  as long each time (1 to 3600000); default "
	    "1000\n"
	    "  --webhook-max-attempts N\n"
	    "                  attempts of a delivery before it fails (1 to "
	    "100);\n"
	    "                  default 8\n"
	    "  -V, --version   show the version\n");
}

/*
 * The OAuth client "ID:SECRET" from the first line of path, so the
 * secret is on no command line; KC_OK only when it has that shape.
 */
static int
read_client_file(const char *path, char *out, size_t len)
{
	FILE	*f;
	int	 ok;

	if ((f = fopen(path, "r")) == NULL)
		return KC_ERR_CONFIG;
	ok = fgets(out, (int)len, f) != NULL;
	fclose(f);
	if (ok)
		out[strcspn(out, "\r\n")] = '\0';
	return ok && sbx_oauth_client_ok(out) ? KC_OK : KC_ERR_CONFIG;
}

static int
parse_ttl(const char *s, long *out)
{
	char		*end;
	long long	 v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < 1 ||
	    v > SBX_OAUTH_TTL_MAX)
		return KC_ERR_CONFIG;
	*out = (long)v;
	return KC_OK;
}

/* YYYY-MM-DD as days since 1970. */
static int
parse_today(const char *s, int64_t *out)
{
	int64_t t;

	if (strlen(s) != 10 || sbx_parse_datetime(s, &t) != KC_OK ||
	    t < 0)
		return KC_ERR_CONFIG;
	*out = t / 86400;
	return KC_OK;
}

/* A count from min to max. */
static int
parse_count(const char *s, long min, long max, size_t *out)
{
	char		*end;
	long long	 v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < min || v > max)
		return KC_ERR_CONFIG;
	*out = (size_t)v;
	return KC_OK;
}

static int
parse_scale(const char *s, double *out)
{
	char	*end;
	double	 v;

	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || end == s || *end != '\0' || !(v >= 1.0) ||
	    v > 86400.0)
		return KC_ERR_CONFIG;
	*out = v;
	return KC_OK;
}

int
main(int argc, char **argv)
{
	struct sigaction	 sa;
	struct rlimit		 rl;
	struct sbx_app		 app;
	struct sbx_server	*srv = NULL;
	const char		*listen_addr = NULL, *logfile = NULL;
	const char		*level = "info", *oauth_client = NULL;
	enum log_level		 lvl;
	char			 bound[128], client_buf[512];
	int64_t			 today = -1;
	long			 ttl = SBX_OAUTH_TTL_DEFAULT;
	size_t			 nfleet = 0, cache = SBX_FLEET_CACHE;
	size_t			 retry_ms = 1000, attempts = 8;
	int			 i, fd, rc = 1, allow_http = 0, curl_ok = 0;

	/* It holds the OAuth client secret: no core, no /proc/PID/mem. */
	(void)privs_no_dump();
	memset(&app, 0, sizeof(app));
	app.scale = 1.0;
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--listen") == 0 && i + 1 < argc)
			listen_addr = argv[++i];
		else if (strcmp(argv[i], "--time-scale") == 0 &&
		    i + 1 < argc) {
			if (parse_scale(argv[++i], &app.scale) != KC_OK) {
				fprintf(stderr, "klaviyo-sandbox: "
				    "--time-scale wants a number from 1 to "
				    "86400\n");
				return 2;
			}
		} else if (strcmp(argv[i], "--today") == 0 && i + 1 < argc) {
			if (parse_today(argv[++i], &today) != KC_OK) {
				fprintf(stderr, "klaviyo-sandbox: --today "
				    "wants a date YYYY-MM-DD\n");
				return 2;
			}
		} else if (strcmp(argv[i], "--oauth-client") == 0 &&
		    i + 1 < argc) {
			oauth_client = argv[++i];
			if (!sbx_oauth_client_ok(oauth_client)) {
				fprintf(stderr, "klaviyo-sandbox: "
				    "--oauth-client wants ID:SECRET (ID of "
				    "A-Z a-z 0-9 - . _ ~, at most 128; SECRET "
				    "printable, no spaces, at most 256)\n");
				return 2;
			}
		} else if (strcmp(argv[i], "--oauth-client-file") == 0 &&
		    i + 1 < argc) {
			if (read_client_file(argv[++i], client_buf,
			    sizeof(client_buf)) != KC_OK) {
				fprintf(stderr, "klaviyo-sandbox: "
				    "--oauth-client-file: %s is unreadable or "
				    "its first line is not ID:SECRET\n",
				    argv[i]);
				return 2;
			}
			oauth_client = client_buf;
		} else if (strcmp(argv[i], "--oauth-access-ttl") == 0 &&
		    i + 1 < argc) {
			if (parse_ttl(argv[++i], &ttl) != KC_OK) {
				fprintf(stderr, "klaviyo-sandbox: "
				    "--oauth-access-ttl wants seconds from 1 "
				    "to 31622400\n");
				return 2;
			}
		} else if (strcmp(argv[i], "--fleet") == 0 && i + 1 < argc) {
			if (parse_count(argv[++i], 0, SBX_FLEET_MAX, &nfleet) !=
			    KC_OK) {
				fprintf(stderr, "klaviyo-sandbox: --fleet "
				    "wants a count from 0 to %d\n",
				    SBX_FLEET_MAX);
				return 2;
			}
		} else if (strcmp(argv[i], "--fleet-cache") == 0 &&
		    i + 1 < argc) {
			if (parse_count(argv[++i], 1, SBX_FLEET_MAX, &cache) !=
			    KC_OK) {
				fprintf(stderr, "klaviyo-sandbox: "
				    "--fleet-cache wants a count from 1 to "
				    "%d\n", SBX_FLEET_MAX);
				return 2;
			}
		} else if (strcmp(argv[i], "--webhook-allow-http") == 0)
			allow_http = 1;
		else if (strcmp(argv[i], "--webhook-retry-base-ms") == 0 &&
		    i + 1 < argc) {
			if (parse_count(argv[++i], 1, 3600000, &retry_ms) !=
			    KC_OK) {
				fprintf(stderr, "klaviyo-sandbox: "
				    "--webhook-retry-base-ms wants 1 to "
				    "3600000\n");
				return 2;
			}
		} else if (strcmp(argv[i], "--webhook-max-attempts") == 0 &&
		    i + 1 < argc) {
			if (parse_count(argv[++i], 1, 100, &attempts) !=
			    KC_OK) {
				fprintf(stderr, "klaviyo-sandbox: "
				    "--webhook-max-attempts wants 1 to 100\n");
				return 2;
			}
		} else if (strcmp(argv[i], "--log") == 0 && i + 1 < argc)
			logfile = argv[++i];
		else if (strcmp(argv[i], "--log-level") == 0 && i + 1 < argc)
			level = argv[++i];
		else if (strcmp(argv[i], "--help") == 0 ||
		    strcmp(argv[i], "-h") == 0) {
			usage();
			return 0;
		} else if (strcmp(argv[i], "--version") == 0 ||
		    strcmp(argv[i], "-V") == 0) {
			printf("klaviyo-sandbox %s\n", PACKAGE_VERSION);
			return 0;
		} else {
			usage();
			return 2;
		}
	}
	if (listen_addr == NULL) {
		usage();
		return 2;
	}
	if (log_level_parse(level, &lvl) != KC_OK) {
		fprintf(stderr, "klaviyo-sandbox: --log-level wants error, "
		    "warn, info or debug\n");
		return 2;
	}
	if (logfile != NULL) {
		if ((fd = open(logfile, O_WRONLY | O_CREAT | O_APPEND |
		    O_CLOEXEC, 0644)) == -1) {
			fprintf(stderr, "klaviyo-sandbox: cannot open %s: "
			    "%s\n", logfile, strerror(errno));
			return 1;
		}
		if (dup2(fd, STDERR_FILENO) == -1) {
			close(fd);
			return 1;
		}
		close(fd);
	}
	log_init("sandbox", lvl);

	/* Room for many connections: raise the descriptor limit. */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	if (sbx_data_new(today, nfleet, cache, &app.data) != KC_OK ||
	    sbx_ctl_new(&app.ctl) != KC_OK ||
	    sbx_ctl_stats_init(app.ctl, app.data->nacc, sbx_nendpoints) !=
	    KC_OK ||
	    sbx_rate_new(app.data->nacc, sbx_nendpoints, app.scale,
	    sbx_now_us(), &app.rate) != KC_OK ||
	    sbx_oauth_new(oauth_client, ttl, &app.oauth) != KC_OK ||
	    !(curl_ok = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK) ||
	    sbx_hooks_new(app.data->nacc, allow_http, (long)retry_ms,
	    (int)attempts, &app.hooks) != KC_OK) {
		log_error("cannot set up the sandbox: out of memory");
		goto out;
	}
	if (sbx_server_new(listen_addr, &srv, bound, sizeof(bound)) != KC_OK)
		goto out;
	log_info("klaviyo-sandbox on %s, time scale %g, %zu accounts "
	    "(%zu of the fleet)", bound, app.scale, app.data->nacc, nfleet);
	if (oauth_client != NULL)
		log_info("OAuth client %.*s, access tokens last %ld s",
		    (int)strcspn(oauth_client, ":"), oauth_client, ttl);
	printf("listening on %s\n", bound);
	fflush(stdout);
	if (sbx_server_run(srv, sbx_app_handle, &app, &stop) != KC_OK)
		goto out;
	log_info("stopping");
	rc = 0;
out:
	sbx_server_free(srv);
	/* The delivery thread stops first: it uses libcurl. */
	sbx_hooks_free(app.hooks);
	if (curl_ok)
		curl_global_cleanup();
	sbx_oauth_free(app.oauth);
	sbx_rate_free(app.rate);
	sbx_ctl_free(app.ctl);
	sbx_data_free(app.data);
	return rc;
}
