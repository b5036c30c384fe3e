/*
 * Unit tests for the configuration table (config.h), read through a fake
 * lookup function instead of getenv: defaults, number parsing and ranges,
 * octal modes, log levels, URLs, error lines that name the variable but
 * never a secret value, values read from files (NAME_FILE, systemd
 * credentials), and a check that README.md (KC_README) and the example
 * environment file (KC_ENV_EXAMPLE) document every variable (pgbouncer's
 * etc/optscan.sh).
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"

#define MAX_FAKE 8

/* The fake environment: name/value pairs, the rest unset. */
static const char	*fake_names[MAX_FAKE];
static const char	*fake_values[MAX_FAKE];
static int		 nfake;

static void
fake_clear(void)
{
	nfake = 0;
}

static void
fake_set(const char *name, const char *value)
{
	ck_assert_int_lt(nfake, MAX_FAKE);
	fake_names[nfake] = name;
	fake_values[nfake] = value;
	nfake++;
}

static const char *
fake_get(const char *name)
{
	int i;

	for (i = 0; i < nfake; i++)
		if (strcmp(fake_names[i], name) == 0)
			return fake_values[i];
	return NULL;
}

static const struct config_var *
find_var(const char *name)
{
	size_t i;

	for (i = 0; i < config_nvars; i++)
		if (strcmp(config_vars[i].name, name) == 0)
			return &config_vars[i];
	return NULL;
}

START_TEST(test_defaults)
{
	struct kc_config	 cfg;
	char			 err[256] = "";

	fake_clear();
	ck_assert_msg(config_load_from(&cfg, fake_get, err, sizeof(err)) ==
	    KC_OK, "defaults rejected: %s", err);
	ck_assert_str_eq(cfg.database_url, "");
	ck_assert_str_eq(cfg.app_url, "http://127.0.0.1:8080");
#ifdef KC_RUNDIR
	/* The configure-time run directory, as in the nginx snippet. */
	ck_assert_str_eq(cfg.socket_path, KC_RUNDIR "/fcgi.sock");
#else
	ck_assert_str_eq(cfg.socket_path, "/run/klaviyo-connect/fcgi.sock");
#endif
	ck_assert_int_eq(cfg.socket_mode, 0660);
	ck_assert_int_eq(cfg.workers, 0);
	ck_assert_str_eq(cfg.log_level, "info");
	ck_assert_int_eq(cfg.session_ttl_hours, 168);
	ck_assert_int_eq(cfg.login_max_failures, 5);
	ck_assert_int_eq(cfg.login_max_failures_ip, 20);
	ck_assert_int_eq(cfg.login_window_seconds, 900);
	ck_assert_int_eq(cfg.login_lockout_seconds, 900);
	ck_assert_str_eq(cfg.klaviyo_base_url, "https://a.klaviyo.com");
	ck_assert_str_eq(cfg.klaviyo_client_secret, "");
	ck_assert_str_eq(cfg.report_server_key, "");
	ck_assert_str_eq(cfg.master_keys, "");
#ifdef KC_SQLDIR
	ck_assert_str_eq(cfg.sql_dir, KC_SQLDIR);
#endif
}
END_TEST

/*
 * The Klaviyo caps of a web request (issue 14): a wait of at most 1 s,
 * a deadline below nginx's 60 s, one worker kept free by default.
 */
START_TEST(test_klaviyo_web_limits)
{
	struct kc_config	 cfg;
	char			 err[256] = "";

	fake_clear();
	ck_assert_int_eq(config_load_from(&cfg, fake_get, err, sizeof(err)),
	    KC_OK);
	ck_assert_int_le(cfg.klaviyo_max_wait_ms, 1000);
	ck_assert_int_lt(cfg.klaviyo_request_deadline_ms, 60000);
	ck_assert_int_le(cfg.klaviyo_probe_cache_seconds, 10);
	ck_assert_int_eq(cfg.klaviyo_web_concurrency_per_user, 2);
	cfg.workers = 3;
	ck_assert_int_eq(config_klaviyo_web_cap(&cfg), 2);
	cfg.workers = 1;
	ck_assert_int_eq(config_klaviyo_web_cap(&cfg), 1);
	cfg.workers = 0;
	ck_assert_int_ge(config_klaviyo_web_cap(&cfg), 1);
	ck_assert_int_eq(config_klaviyo_web_cap(&cfg),
	    config_worker_count(&cfg) - 1);
	cfg.klaviyo_web_concurrency = 7;
	ck_assert_int_eq(config_klaviyo_web_cap(&cfg), 7);
	config_free(&cfg);
}
END_TEST

/* Every default in the table must be valid for its own variable. */
START_TEST(test_table_defaults_valid)
{
	struct kc_config	 cfg;
	char			 err[256];
	size_t			 i;
	long			 n;
	char			*end;
	const char		*s;
	const struct config_var	*v;

	fake_clear();
	ck_assert_int_eq(config_load_from(&cfg, fake_get, err, sizeof(err)),
	    KC_OK);
	for (i = 0; i < config_nvars; i++) {
		v = &config_vars[i];
		ck_assert_ptr_nonnull(v->def);
		ck_assert_msg(v->doc != NULL && v->doc[0] != '\0',
		    "%s has no doc", v->name);
		if (v->type == CFG_INT || v->type == CFG_OCTAL) {
			n = strtol(v->def, &end, v->type == CFG_OCTAL ? 8 : 10);
			ck_assert_int_eq(*end, '\0');
			ck_assert_int_eq(*(long *)((char *)&cfg + v->offset),
			    n);
		} else {
			s = *(const char **)((char *)&cfg + v->offset);
			ck_assert_pstr_eq(s, v->def);
		}
	}
}
END_TEST

START_TEST(test_values)
{
	struct kc_config	 cfg;
	char			 err[256] = "";

	fake_clear();
	fake_set("KC_WORKERS", "8");
	fake_set("KC_SOCKET_MODE", "0600");
	fake_set("LOG_LEVEL", "debug");
	fake_set("APP_URL", "https://app.example.com");
	fake_set("DATABASE_URL", "postgresql:///kc");
	fake_set("SESSION_TTL_HOURS", "1");
	fake_set("KC_MASTER_KEYS", "2:abc,1:def");
	ck_assert_msg(config_load_from(&cfg, fake_get, err, sizeof(err)) ==
	    KC_OK, "rejected: %s", err);
	ck_assert_int_eq(cfg.workers, 8);
	ck_assert_int_eq(cfg.socket_mode, 0600);
	ck_assert_int_eq(cfg.socket_mode, 384);
	ck_assert_str_eq(cfg.log_level, "debug");
	ck_assert_str_eq(cfg.app_url, "https://app.example.com");
	ck_assert_str_eq(cfg.database_url, "postgresql:///kc");
	ck_assert_int_eq(cfg.session_ttl_hours, 1);
	ck_assert_str_eq(cfg.master_keys, "2:abc,1:def");
	/* Untouched ones keep their defaults. */
	ck_assert_int_eq(cfg.login_max_failures, 5);
}
END_TEST

/* Values that load; the number is the expected long (or -1: a string). */
static const struct {
	const char	*name;
	const char	*value;
	long		 want;
} good_cases[] = {
	{ "KC_WORKERS", "0", 0 },
	{ "KC_WORKERS", "256", 256 },
	{ "KC_WORKERS", "010", 10 },
	{ "KC_SOCKET_MODE", "0", 0 },
	{ "KC_SOCKET_MODE", "777", 0777 },
	{ "KC_SOCKET_MODE", "0660", 0660 },
	{ "KC_SOCKET_MODE", "0666", 438 },
	{ "SESSION_TTL_HOURS", "8760", 8760 },
	{ "LOGIN_WINDOW_SECONDS", "86400", 86400 },
	{ "LOG_LEVEL", "error", -1 },
	{ "LOG_LEVEL", "warn", -1 },
	{ "LOG_LEVEL", "DEBUG", -1 },
	{ "APP_URL", "http://localhost:8080/", -1 },
	{ "APP_URL", "https://app.example.com/path?x=1", -1 },
	{ "KLAVIYO_BASE_URL", "http://127.0.0.1:9999", -1 },
};

START_TEST(test_good_values)
{
	const struct config_var	*v = find_var(good_cases[_i].name);
	struct kc_config	 cfg;
	char			 err[256] = "";

	ck_assert_ptr_nonnull(v);
	fake_clear();
	fake_set(good_cases[_i].name, good_cases[_i].value);
	ck_assert_msg(config_load_from(&cfg, fake_get, err, sizeof(err)) ==
	    KC_OK, "%s=%s rejected: %s", good_cases[_i].name,
	    good_cases[_i].value, err);
	if (good_cases[_i].want >= 0)
		ck_assert_int_eq(*(long *)((char *)&cfg + v->offset),
		    good_cases[_i].want);
	else
		ck_assert_str_eq(*(const char **)((char *)&cfg + v->offset),
		    good_cases[_i].value);
}
END_TEST

static const struct {
	const char	*name;
	const char	*value;
} bad_cases[] = {
	{ "KC_WORKERS", "abc" },
	{ "KC_WORKERS", "12x" },
	{ "KC_WORKERS", "" },
	{ "KC_WORKERS", "1.5" },
	{ "KC_WORKERS", "0x10" },
	{ "KC_WORKERS", "257" },
	{ "KC_WORKERS", "-1" },
	{ "KC_WORKERS", "99999999999999999999999" },
	{ "SESSION_TTL_HOURS", "0" },
	{ "SESSION_TTL_HOURS", "8761" },
	{ "LOGIN_MAX_FAILURES", "1001" },
	{ "LOGIN_MAX_FAILURES_IP", "0" },
	{ "LOGIN_LOCKOUT_SECONDS", "86401" },
	{ "KC_SOCKET_MODE", "0999" },
	{ "KC_SOCKET_MODE", "8" },
	{ "KC_SOCKET_MODE", "1000" },
	{ "KC_SOCKET_MODE", "rw-rw----" },
	{ "KC_SOCKET_MODE", "-1" },
	{ "LOG_LEVEL", "verbose" },
	{ "LOG_LEVEL", "" },
	{ "LOG_LEVEL", "info " },
	{ "LOG_LEVEL", "trace" },
	{ "APP_URL", "ftp://app.example.com" },
	{ "APP_URL", "app.example.com" },
	{ "APP_URL", "" },
	{ "APP_URL", "https://" },
	{ "APP_URL", "http:///path" },
	{ "APP_URL", "https://user@app.example.com" },
	{ "APP_URL", "https://app example.com" },
	{ "APP_URL", "javascript:alert(1)" },
	{ "KLAVIYO_BASE_URL", "a.klaviyo.com" },
	/* Issue 14: no sleep over 1 s in a worker, no deadline at nginx's. */
	{ "KLAVIYO_MAX_WAIT_MS", "1001" },
	{ "KLAVIYO_REQUEST_DEADLINE_MS", "60000" },
	{ "KLAVIYO_REQUEST_DEADLINE_MS", "999" },
	{ "KLAVIYO_WEB_CONCURRENCY_PER_USER", "0" },
	{ "KLAVIYO_PROBE_CACHE_SECONDS", "11" },
};

START_TEST(test_bad_values)
{
	struct kc_config	 cfg;
	char			 err[256] = "";

	ck_assert_ptr_nonnull(find_var(bad_cases[_i].name));
	fake_clear();
	fake_set(bad_cases[_i].name, bad_cases[_i].value);
	ck_assert_msg(config_load_from(&cfg, fake_get, err, sizeof(err)) ==
	    KC_ERR_CONFIG, "%s=%s accepted", bad_cases[_i].name,
	    bad_cases[_i].value);
	/* One line that names the variable. */
	ck_assert_msg(strstr(err, bad_cases[_i].name) != NULL,
	    "'%s' does not name %s", err, bad_cases[_i].name);
	ck_assert_ptr_null(strchr(err, '\n'));
}
END_TEST

/* Variables that hold credentials must be marked secret. */
START_TEST(test_secret_flags)
{
	static const char *const secret[] = { "DATABASE_URL",
	    "KLAVIYO_CLIENT_SECRET", "REPORT_SERVER_KEY", "KC_MASTER_KEYS" };
	const struct config_var	*v;
	size_t			 i;

	for (i = 0; i < sizeof(secret) / sizeof(secret[0]); i++) {
		ck_assert_msg((v = find_var(secret[i])) != NULL, "%s missing",
		    secret[i]);
		ck_assert_msg(v->secret, "%s is not marked secret", secret[i]);
	}
	ck_assert_int_eq(find_var("LOG_LEVEL")->secret, 0);
}
END_TEST

/*
 * Whatever fails, a secret's value never shows in the error: give each
 * variable in turn a value that cannot be valid for a number, level or
 * URL, with every secret set as well.
 */
START_TEST(test_secret_never_in_error)
{
	static const char	 bad[] = "zz-SEKRET-not-valid \x01";
	struct kc_config	 cfg;
	char			 err[512];
	size_t			 i;
	int			 rc;

	for (i = 0; i < config_nvars; i++) {
		fake_clear();
		fake_set("DATABASE_URL", "postgresql://u:SEKRETPW@h/db");
		fake_set("KC_MASTER_KEYS", "1:SEKRETKEY");
		fake_set("KLAVIYO_CLIENT_SECRET", "SEKRETCLIENT");
		fake_set("REPORT_SERVER_KEY", "SEKRETREPORT");
		fake_set(config_vars[i].name, bad);
		err[0] = '\0';
		rc = config_load_from(&cfg, fake_get, err, sizeof(err));
		if (config_vars[i].type == CFG_STRING) {
			ck_assert_int_eq(rc, KC_OK);
			continue;
		}
		ck_assert_int_eq(rc, KC_ERR_CONFIG);
		ck_assert_msg(strstr(err, config_vars[i].name) != NULL,
		    "'%s' does not name %s", err, config_vars[i].name);
		ck_assert_msg(strstr(err, "SEKRET") == NULL,
		    "'%s' shows a value", err);
	}
}
END_TEST

static const struct {
	const char	*url;
	const char	*origin;	/* NULL: rejected */
} origin_cases[] = {
	{ "https://app.example.com/path", "https://app.example.com" },
	{ "https://app.example.com", "https://app.example.com" },
	{ "https://app.example.com/", "https://app.example.com" },
	{ "http://127.0.0.1:8080", "http://127.0.0.1:8080" },
	{ "http://localhost:8080/x/y?z#w", "http://localhost:8080" },
	{ "https://app.example.com?x=1", "https://app.example.com" },
	{ "https://app.example.com#frag", "https://app.example.com" },
	{ "https://[::1]:8443/p", "https://[::1]:8443" },
	{ "ftp://app.example.com", NULL },
	{ "app.example.com", NULL },
	{ "//app.example.com", NULL },
	{ "", NULL },
	{ "http://", NULL },
	{ "https://", NULL },
	{ "https:///path", NULL },
	{ "https://user@app.example.com", NULL },
	{ "https://user:pw@app.example.com/", NULL },
	{ "https://app example.com", NULL },
	{ "https://app.example.com\r\nX: y", NULL },
	{ "https://app.example.com\t", NULL },
};

START_TEST(test_origin_table)
{
	char	out[128];
	int	rc;

	memset(out, 'Z', sizeof(out));
	rc = config_origin(origin_cases[_i].url, out, sizeof(out));
	if (origin_cases[_i].origin == NULL) {
		ck_assert_msg(rc == KC_ERR_CONFIG, "'%s' accepted as '%s'",
		    origin_cases[_i].url, rc == KC_OK ? out : "");
		return;
	}
	ck_assert_msg(rc == KC_OK, "'%s' rejected", origin_cases[_i].url);
	ck_assert_str_eq(out, origin_cases[_i].origin);
}
END_TEST

START_TEST(test_origin_outlen)
{
	const char	*url = "https://app.example.com/path";
	char		 out[24];	/* exactly the origin and its NUL */

	ck_assert_int_eq(config_origin(url, out, sizeof(out)), KC_OK);
	ck_assert_str_eq(out, "https://app.example.com");
	ck_assert_int_eq(config_origin(url, out, sizeof(out) - 1),
	    KC_ERR_CONFIG);
	ck_assert_int_eq(config_origin(url, out, 0), KC_ERR_CONFIG);
}
END_TEST

static char *
read_all(const char *path)
{
	FILE	*fp;
	char	*s;
	long	 n;

	if ((fp = fopen(path, "rb")) == NULL)
		return NULL;
	if (fseek(fp, 0, SEEK_END) != 0 || (n = ftell(fp)) < 0 ||
	    fseek(fp, 0, SEEK_SET) != 0 ||
	    (s = malloc((size_t)n + 1)) == NULL) {
		fclose(fp);
		return NULL;
	}
	if (fread(s, 1, (size_t)n, fp) != (size_t)n) {
		free(s);
		fclose(fp);
		return NULL;
	}
	s[n] = '\0';
	fclose(fp);
	return s;
}

static int
name_char(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

/* 1 when name occurs as a whole word (LOGIN_MAX_FAILURES is not _IP). */
static int
has_word(const char *text, const char *name)
{
	const char	*p = text;
	size_t		 n = strlen(name);

	while ((p = strstr(p, name)) != NULL) {
		if ((p == text || !name_char(p[-1])) && !name_char(p[n]))
			return 1;
		p += n;
	}
	return 0;
}

START_TEST(test_readme_documents_all)
{
	char	*readme;
	size_t	 i;

	readme = read_all(KC_README);
	ck_assert_msg(readme != NULL, "cannot read %s", KC_README);
	for (i = 0; i < config_nvars; i++)
		ck_assert_msg(has_word(readme, config_vars[i].name),
		    "%s does not document %s", KC_README,
		    config_vars[i].name);
	free(readme);
}
END_TEST

START_TEST(test_has_word)
{
	ck_assert_int_eq(has_word("| LOGIN_MAX_FAILURES_IP |",
	    "LOGIN_MAX_FAILURES"), 0);
	ck_assert_int_eq(has_word("`LOGIN_MAX_FAILURES`", "LOGIN_MAX_FAILURES"),
	    1);
	ck_assert_int_eq(has_word("X_APP_URL APP_URL=", "APP_URL"), 1);
	ck_assert_int_eq(has_word("X_APP_URL", "APP_URL"), 0);
}
END_TEST

/*
 * The example environment file: each variable has an assignment line,
 * commented out or not ("NAME=" or "#NAME="), right below a comment.
 */
START_TEST(test_env_example_documents_all)
{
	char		*text, *line, *next, *prev;
	size_t		 i, n;
	int		 found;

	text = read_all(KC_ENV_EXAMPLE);
	ck_assert_msg(text != NULL, "cannot read %s", KC_ENV_EXAMPLE);
	for (i = 0; i < config_nvars; i++) {
		n = strlen(config_vars[i].name);
		found = 0;
		prev = NULL;
		for (line = text; line != NULL && *line; line = next) {
			next = strchr(line, '\n');
			if (next != NULL)
				next++;
			if (strncmp(line + (*line == '#'), config_vars[i].name,
			    n) == 0 && line[(*line == '#') + n] == '=') {
				found = 1;
				ck_assert_msg(prev != NULL &&
				    strncmp(prev, "# ", 2) == 0,
				    "%s: %s has no comment above it",
				    KC_ENV_EXAMPLE, config_vars[i].name);
				break;
			}
			prev = line;
		}
		ck_assert_msg(found, "%s does not show %s=", KC_ENV_EXAMPLE,
		    config_vars[i].name);
	}
	free(text);
}
END_TEST

/* A file of its own for a value; the caller unlinks and frees it. */
static char *
tmpval(const char *content, size_t len)
{
	char	*path;
	int	 fd;

	ck_assert_int_gt(asprintf(&path, "%s/kc-cfg.XXXXXX",
	    getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp"), 0);
	ck_assert_int_ge(fd = mkstemp(path), 0);
	ck_assert_int_eq(write(fd, content, len), (ssize_t)len);
	ck_assert_int_eq(close(fd), 0);
	return path;
}

/* NAME_FILE: the content, one trailing newline removed. */
static const struct {
	const char	*content;
	const char	*want;
} file_cases[] = {
	{ "1:abc\n", "1:abc" },
	{ "1:abc", "1:abc" },
	{ "1:abc\r\n", "1:abc" },
	{ "1:abc\n\n", "1:abc\n" },
	{ " 1:abc \n", " 1:abc " },
	{ "2:x,1:y\n", "2:x,1:y" },
};

START_TEST(test_file_value)
{
	struct kc_config	 cfg;
	char			 err[512] = "";
	char			*path;

	path = tmpval(file_cases[_i].content, strlen(file_cases[_i].content));
	fake_clear();
	fake_set("KC_MASTER_KEYS_FILE", path);
	ck_assert_msg(config_load_from(&cfg, fake_get, err, sizeof(err)) ==
	    KC_OK, "rejected: %s", err);
	ck_assert_str_eq(cfg.master_keys, file_cases[_i].want);
	config_free(&cfg);
	unlink(path);
	free(path);
}
END_TEST

/* A number from a file goes through the same checks. */
START_TEST(test_file_number)
{
	struct kc_config	 cfg;
	char			 err[512] = "";
	char			*path;

	path = tmpval("8\n", 2);
	fake_clear();
	fake_set("KC_WORKERS_FILE", path);
	ck_assert_int_eq(config_load_from(&cfg, fake_get, err, sizeof(err)),
	    KC_OK);
	ck_assert_int_eq(cfg.workers, 8);
	config_free(&cfg);
	unlink(path);
	free(path);

	path = tmpval("many\n", 5);
	fake_clear();
	fake_set("KC_WORKERS_FILE", path);
	ck_assert_int_eq(config_load_from(&cfg, fake_get, err, sizeof(err)),
	    KC_ERR_CONFIG);
	ck_assert_ptr_nonnull(strstr(err, "KC_WORKERS"));
	unlink(path);
	free(path);
}
END_TEST

START_TEST(test_file_missing)
{
	struct kc_config	 cfg;
	char			 err[512] = "";

	fake_clear();
	fake_set("KC_MASTER_KEYS_FILE", "/nonexistent/kc-master-keys");
	ck_assert_int_eq(config_load_from(&cfg, fake_get, err, sizeof(err)),
	    KC_ERR_CONFIG);
	ck_assert_msg(strstr(err, "KC_MASTER_KEYS_FILE") != NULL &&
	    strstr(err, "/nonexistent/kc-master-keys") != NULL,
	    "'%s' names neither the variable nor the path", err);
	ck_assert_ptr_null(strchr(err, '\n'));
}
END_TEST

/* An empty file (or one of a newline only) is an error, not "". */
START_TEST(test_file_empty)
{
	static const char *const contents[] = { "", "\n", "\r\n" };
	struct kc_config	 cfg;
	char			 err[512];
	char			*path;
	size_t			 i;

	for (i = 0; i < nitems(contents); i++) {
		path = tmpval(contents[i], strlen(contents[i]));
		fake_clear();
		fake_set("REPORT_SERVER_KEY_FILE", path);
		err[0] = '\0';
		ck_assert_int_eq(config_load_from(&cfg, fake_get, err,
		    sizeof(err)), KC_ERR_CONFIG);
		ck_assert_msg(strstr(err, "REPORT_SERVER_KEY_FILE") != NULL &&
		    strstr(err, "empty") != NULL, "'%s'", err);
		unlink(path);
		free(path);
	}
	fake_clear();
	fake_set("REPORT_SERVER_KEY_FILE", "");
	ck_assert_int_eq(config_load_from(&cfg, fake_get, err, sizeof(err)),
	    KC_ERR_CONFIG);
	ck_assert_ptr_nonnull(strstr(err, "REPORT_SERVER_KEY_FILE"));
}
END_TEST

/* NAME and NAME_FILE both set: an error naming both, never a value. */
START_TEST(test_file_both_set)
{
	struct kc_config	 cfg;
	char			 err[512] = "";
	char			*path;

	path = tmpval("SEKRETFILE\n", 11);
	fake_clear();
	fake_set("KLAVIYO_CLIENT_SECRET", "SEKRETENV");
	fake_set("KLAVIYO_CLIENT_SECRET_FILE", path);
	ck_assert_int_eq(config_load_from(&cfg, fake_get, err, sizeof(err)),
	    KC_ERR_CONFIG);
	ck_assert_msg(strstr(err, "KLAVIYO_CLIENT_SECRET and "
	    "KLAVIYO_CLIENT_SECRET_FILE") != NULL, "'%s'", err);
	ck_assert_ptr_null(strstr(err, "SEKRET"));
	/* Even when the variable is empty: which one is meant is unclear. */
	fake_clear();
	fake_set("KLAVIYO_CLIENT_SECRET", "");
	fake_set("KLAVIYO_CLIENT_SECRET_FILE", path);
	ck_assert_int_eq(config_load_from(&cfg, fake_get, err, sizeof(err)),
	    KC_ERR_CONFIG);
	unlink(path);
	free(path);
}
END_TEST

/* $CREDENTIALS_DIRECTORY/NAME when neither NAME nor NAME_FILE is set. */
START_TEST(test_credentials_directory)
{
	struct kc_config	 cfg;
	char			 err[512] = "", dir[256], path[300];
	char			*other;
	FILE			*fp;

	snprintf(dir, sizeof(dir), "%s/kc-cred.XXXXXX",
	    getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/KC_MASTER_KEYS", dir);
	ck_assert_ptr_nonnull(fp = fopen(path, "w"));
	fputs("3:fromcred\n", fp);
	ck_assert_int_eq(fclose(fp), 0);

	fake_clear();
	fake_set("CREDENTIALS_DIRECTORY", dir);
	ck_assert_msg(config_load_from(&cfg, fake_get, err, sizeof(err)) ==
	    KC_OK, "rejected: %s", err);
	ck_assert_str_eq(cfg.master_keys, "3:fromcred");
	/* No credential for the others: their defaults. */
	ck_assert_str_eq(cfg.report_server_key, "");
	ck_assert_str_eq(cfg.log_level, "info");

	/* NAME, and NAME_FILE, come first. */
	fake_set("KC_MASTER_KEYS", "1:fromenv");
	ck_assert_int_eq(config_load_from(&cfg, fake_get, err, sizeof(err)),
	    KC_OK);
	ck_assert_str_eq(cfg.master_keys, "1:fromenv");
	other = tmpval("2:fromfile", 10);
	fake_clear();
	fake_set("CREDENTIALS_DIRECTORY", dir);
	fake_set("KC_MASTER_KEYS_FILE", other);
	ck_assert_int_eq(config_load_from(&cfg, fake_get, err, sizeof(err)),
	    KC_OK);
	ck_assert_str_eq(cfg.master_keys, "2:fromfile");
	config_free(&cfg);
	unlink(other);
	free(other);

	/* An empty credential is an error naming it. */
	ck_assert_ptr_nonnull(fp = fopen(path, "w"));
	ck_assert_int_eq(fclose(fp), 0);
	fake_clear();
	fake_set("CREDENTIALS_DIRECTORY", dir);
	ck_assert_int_eq(config_load_from(&cfg, fake_get, err, sizeof(err)),
	    KC_ERR_CONFIG);
	ck_assert_msg(strstr(err, "credential KC_MASTER_KEYS") != NULL,
	    "'%s'", err);
	unlink(path);
	rmdir(dir);
}
END_TEST

/* Loading again into the same struct frees the earlier file values. */
START_TEST(test_file_reload_frees)
{
	struct kc_config	 cfg;
	char			 err[512] = "";
	char			*path;
	int			 i;

	path = tmpval("1:abc\n", 6);
	fake_clear();
	fake_set("KC_MASTER_KEYS_FILE", path);
	fake_set("LOG_LEVEL_FILE", path);	/* not a level: fails late */
	for (i = 0; i < 3; i++)
		ck_assert_int_eq(config_load_from(&cfg, fake_get, err,
		    sizeof(err)), KC_ERR_CONFIG);
	fake_clear();
	fake_set("KC_MASTER_KEYS_FILE", path);
	for (i = 0; i < 3; i++)
		ck_assert_int_eq(config_load_from(&cfg, fake_get, err,
		    sizeof(err)), KC_OK);
	config_free(&cfg);
	config_free(&cfg);
	unlink(path);
	free(path);
}
END_TEST

static Suite *
config_suite(void)
{
	Suite	*s = suite_create("config");
	TCase	*tc = tcase_create("load");
	TCase	*to = tcase_create("origin");
	TCase	*tr = tcase_create("readme");
	TCase	*tf = tcase_create("files");

	tcase_add_test(tc, test_defaults);
	tcase_add_test(tc, test_klaviyo_web_limits);
	tcase_add_test(tc, test_table_defaults_valid);
	tcase_add_test(tc, test_values);
	tcase_add_loop_test(tc, test_good_values, 0,
	    sizeof(good_cases) / sizeof(good_cases[0]));
	tcase_add_loop_test(tc, test_bad_values, 0,
	    sizeof(bad_cases) / sizeof(bad_cases[0]));
	tcase_add_test(tc, test_secret_flags);
	tcase_add_test(tc, test_secret_never_in_error);
	suite_add_tcase(s, tc);

	tcase_add_loop_test(to, test_origin_table, 0,
	    sizeof(origin_cases) / sizeof(origin_cases[0]));
	tcase_add_test(to, test_origin_outlen);
	suite_add_tcase(s, to);

	tcase_add_test(tr, test_has_word);
	tcase_add_test(tr, test_readme_documents_all);
	tcase_add_test(tr, test_env_example_documents_all);
	suite_add_tcase(s, tr);

	tcase_add_loop_test(tf, test_file_value, 0, nitems(file_cases));
	tcase_add_test(tf, test_file_number);
	tcase_add_test(tf, test_file_missing);
	tcase_add_test(tf, test_file_empty);
	tcase_add_test(tf, test_file_both_set);
	tcase_add_test(tf, test_credentials_directory);
	tcase_add_test(tf, test_file_reload_frees);
	suite_add_tcase(s, tf);
	return s;
}

int
main(void)
{
	SRunner	*sr = srunner_create(config_suite());
	int	 failures;

	srunner_run_all(sr, CK_NORMAL);
	failures = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failures ? 1 : 0;
}
