/*
 * klaviyo-admin against the test database: migrations, users, stores,
 * roles and sessions, checked through its exit codes, the database and
 * the API.
 */
#include "itest.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "session.h"

#define ADM "\"$KC_TEST_ADMIN\""
#define ADMIN_PW "admin pass phrase 42"
#define SQL_900 "CREATE TABLE it_extra_900 (id integer PRIMARY KEY);\n"
/* Slow on purpose: two concurrent runs must overlap. */
#define SQL_901 "CREATE TABLE it_extra_901 (id integer PRIMARY KEY);\n" \
	"SELECT pg_sleep(0.3);\n"

/*
 * Runs a shell command; its stdout (add 2>&1 for stderr) goes to a
 * malloc'd *out.  Returns the exit status, -1 when it did not exit.
 */
static int __attribute__((format(printf, 2, 3)))
run(char **out, const char *fmt, ...)
{
	char	 cmd[4096], chunk[4096], *s = NULL, *t;
	size_t	 n = 0, got;
	va_list	 ap;
	FILE	*fp;
	int	 st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	ck_assert_ptr_nonnull(fp = popen(cmd, "r"));
	while ((got = fread(chunk, 1, sizeof(chunk), fp)) > 0) {
		ck_assert_ptr_nonnull(t = realloc(s, n + got + 1));
		s = t;
		memcpy(s + n, chunk, got);
		n += got;
	}
	st = pclose(fp);
	if (s == NULL)
		ck_assert_ptr_nonnull(s = strdup(""));
	s[n] = '\0';
	if (out)
		*out = s;
	else
		free(s);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* run() that checks the exit status and frees the output. */
static void
run_expect(int want, const char *what, const char *cmd)
{
	char	*out;
	int	 st = run(&out, "%s 2>&1", cmd);

	ck_assert_msg(st == want, "%s: exit %d, want %d; output: %s", what,
	    st, want, out);
	free(out);
}

static long long
users_with(const char *email)
{
	const char *p[1] = { email };

	return it_sql_count("SELECT count(*) FROM users WHERE email = $1", 1,
	    p);
}

static void
fresh_email(const char *prefix, char *out, size_t len)
{
	snprintf(out, len, "%s-%s@example.test", prefix, it_unique());
}

static void
quiet(void *arg, const char *msg)
{
	(void)arg;
	(void)msg;
}

/* Own connection: unchecked fixtures run in the runner process. */
static void
exec_fresh(const char *sql)
{
	const char	*url = getenv("KC_TEST_DATABASE_URL");
	PGconn		*c;

	if (url == NULL)
		return;
	c = PQconnectdb(url);
	PQsetNoticeProcessor(c, quiet, NULL);
	if (PQstatus(c) == CONNECTION_OK)
		PQclear(PQexec(c, sql));
	PQfinish(c);
}

static void
migrations_clean(void)
{
	exec_fresh("DROP TABLE IF EXISTS it_extra_900, it_extra_901;"
	    " DELETE FROM schema_migrations WHERE version IN (900, 901)");
}

/* ---------------------------------------------------------- command -- */

START_TEST(admin_migrate_again_is_noop)
{
	char	*out;
	int	 st;

	st = run(&out, ADM " migrate 2>&1");
	ck_assert_msg(st == 0, "exit %d: %s", st, out);
	ck_assert_msg(strstr(out, "nothing to apply") != NULL, "%s", out);
	free(out);
}
END_TEST

START_TEST(admin_migrate_status_lists_applied)
{
	char	*out;
	int	 st;

	st = run(&out, ADM " migrate --status 2>&1");
	ck_assert_msg(st == 0, "exit %d: %s", st, out);
	ck_assert_msg(strstr(out, "applied  001_foundation.sql") != NULL,
	    "%s", out);
	ck_assert_msg(strstr(out, "pending") == NULL, "%s", out);
	free(out);
}
END_TEST

START_TEST(admin_help_and_unknown_command)
{
	char	*out;
	int	 st;

	st = run(&out, ADM " --help 2>/dev/null");
	ck_assert_int_eq(st, 0);
	ck_assert_msg(strstr(out, "usage: klaviyo-admin") != NULL, "%s", out);
	ck_assert_msg(strstr(out, "user add") != NULL, "%s", out);
	free(out);
	st = run(&out, ADM " user add --help 2>/dev/null");
	ck_assert_int_eq(st, 0);
	ck_assert_msg(strstr(out, "standard input") != NULL, "%s", out);
	free(out);
	run_expect(2, "unknown command", ADM " frobnicate");
	run_expect(2, "no command", ADM);
	run_expect(2, "extra argument", ADM " migrate --bogus");
}
END_TEST

/* ------------------------------------------------------------ users -- */

START_TEST(admin_user_add_hashes_password)
{
	char		 email[128], *hash;
	const char	*p[1] = { email };
	char		*out;
	int		 st;

	fresh_email("adm", email, sizeof(email));
	st = run(&out, "printf '%%s\\n' '%s' | " ADM " user add '%s' 2>&1",
	    ADMIN_PW, email);
	ck_assert_msg(st == 0, "exit %d: %s", st, out);
	ck_assert_msg(strstr(out, ADMIN_PW) == NULL, "password echoed: %s",
	    out);
	free(out);
	ck_assert_int_eq(users_with(email), 1);
	hash = it_sql_value("SELECT password_hash FROM users WHERE email = $1",
	    1, p);
	ck_assert_ptr_nonnull(hash);
	ck_assert_msg(strncmp(hash, "scrypt$", 7) == 0, "hash %s", hash);
	ck_assert_ptr_null(strstr(hash, ADMIN_PW));
	free(hash);
	/* The API accepts the password the CLI stored, and only it. */
	ck_assert_int_eq(it_login(email, ADMIN_PW, NULL, 0), 200);
	ck_assert_int_eq(it_login(email, ADMIN_PW "x", NULL, 0), 401);
}
END_TEST

START_TEST(admin_user_add_duplicate_3)
{
	char	email[128], upper[128];
	char	cmd[512];
	size_t	i;

	fresh_email("admdup", email, sizeof(email));
	snprintf(cmd, sizeof(cmd), "printf '%%s\\n' '%s' | " ADM
	    " user add '%s'", ADMIN_PW, email);
	run_expect(0, "first add", cmd);
	run_expect(3, "same e-mail", cmd);
	/* The same address in capitals is the same user. */
	snprintf(upper, sizeof(upper), "%s", email);
	for (i = 0; upper[i]; i++)
		if (upper[i] >= 'a' && upper[i] <= 'z')
			upper[i] = (char)(upper[i] - 'a' + 'A');
	snprintf(cmd, sizeof(cmd), "printf '%%s\\n' '%s' | " ADM
	    " user add '%s'", ADMIN_PW, upper);
	run_expect(3, "same e-mail in capitals", cmd);
	ck_assert_int_eq(users_with(email), 1);
}
END_TEST

START_TEST(admin_user_add_short_password_2)
{
	char email[128], cmd[512];

	fresh_email("admshort", email, sizeof(email));
	snprintf(cmd, sizeof(cmd), "printf 'pw\\n' | " ADM " user add '%s'",
	    email);
	run_expect(2, "short password", cmd);
	ck_assert_int_eq(users_with(email), 0);
}
END_TEST

START_TEST(admin_user_add_needs_stdin_2)
{
	char email[128], cmd[512];

	/* The password is never an argument: no stdin, no user. */
	fresh_email("admnostdin", email, sizeof(email));
	snprintf(cmd, sizeof(cmd), ADM " user add '%s' </dev/null", email);
	run_expect(2, "empty stdin", cmd);
	snprintf(cmd, sizeof(cmd), ADM " user add '%s' '%s' </dev/null",
	    email, ADMIN_PW);
	run_expect(2, "password as an argument", cmd);
	ck_assert_int_eq(users_with(email), 0);
}
END_TEST

/* ----------------------------------------------------------- stores -- */

/* store add - NAME; returns the printed public id. */
static void
store_add(const char *name, char *id, size_t len)
{
	char	*out;
	size_t	 n;
	int	 st;

	st = run(&out, ADM " store add - '%s' 2>/dev/null", name);
	ck_assert_msg(st == 0, "store add: exit %d: %s", st, out);
	n = strcspn(out, "\n");
	ck_assert_msg(n == 7 && strspn(out, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789") == 7,
	    "store add printed '%s'", out);
	snprintf(id, len, "%.*s", (int)n, out);
	free(out);
}

START_TEST(admin_store_add_generates_id)
{
	char		 name[64], id[16], cmd[256], *got;
	const char	*p[1] = { id };

	snprintf(name, sizeof(name), "Admin store %s", it_unique());
	store_add(name, id, sizeof(id));
	got = it_sql_value("SELECT name FROM stores WHERE public_id = $1", 1,
	    p);
	ck_assert_ptr_nonnull(got);
	ck_assert_str_eq(got, name);
	free(got);
	snprintf(cmd, sizeof(cmd), ADM " store add '%s' 'Other name'", id);
	run_expect(3, "duplicate store", cmd);
	ck_assert_int_eq(it_sql_count("SELECT count(*) FROM stores"
	    " WHERE public_id = $1", 1, p), 1);
}
END_TEST

START_TEST(admin_grant_missing_user_store_or_role_4)
{
	char email[128], id[16], ghost[128], cmd[512];

	store_add("Grant errors", id, sizeof(id));
	it_user("admgrant", email, sizeof(email));
	fresh_email("nobody", ghost, sizeof(ghost));
	snprintf(cmd, sizeof(cmd), ADM " grant '%s' '%s' viewer", ghost, id);
	run_expect(4, "missing user", cmd);
	snprintf(cmd, sizeof(cmd), ADM " grant '%s' NoSuchStore9 viewer",
	    email);
	run_expect(4, "missing store", cmd);
	snprintf(cmd, sizeof(cmd), ADM " grant '%s' '%s' emperor", email, id);
	run_expect(4, "missing role", cmd);
	snprintf(cmd, sizeof(cmd), ADM " session issue '%s'", ghost);
	run_expect(4, "session for a missing user", cmd);
}
END_TEST

/* GET the store's status with a token; returns the HTTP status. */
static long
store_status(const char *id, const char *tok, int *can_manage)
{
	struct it_resp		 r;
	struct json_object	*v;
	char			 path[128];
	long			 s;

	snprintf(path, sizeof(path), "/api/store/%s/klaviyo-connect", id);
	it_get(path, tok, &r);
	s = r.status;
	if (s == 200) {
		ck_assert(json_object_object_get_ex(r.json, "can_manage",
		    &v));
		*can_manage = json_object_get_boolean(v);
	} else
		it_assert_error(&r, 404, "not_found");
	it_resp_free(&r);
	return s;
}

START_TEST(admin_grant_session_revoke_through_api)
{
	char	 email[128], id[16], cmd[512], tok[128], *out;
	size_t	 n;
	int	 st, manage = -1;

	store_add("Granted store", id, sizeof(id));
	it_user("admapi", email, sizeof(email));
	st = run(&out, ADM " session issue '%s' 2>/dev/null", email);
	ck_assert_msg(st == 0, "session issue: exit %d", st);
	n = strcspn(out, "\n");
	snprintf(tok, sizeof(tok), "%.*s", (int)n, out);
	ck_assert_msg(n == SESSION_TOKEN_LEN && session_token_valid(tok),
	    "session issue printed '%s'", out);
	free(out);

	ck_assert_int_eq(store_status(id, tok, &manage), 404);
	snprintf(cmd, sizeof(cmd), ADM " grant '%s' '%s' viewer", email, id);
	run_expect(0, "grant viewer", cmd);
	ck_assert_int_eq(store_status(id, tok, &manage), 200);
	ck_assert_int_eq(manage, 0);
	/* A second grant replaces the role. */
	snprintf(cmd, sizeof(cmd), ADM " grant '%s' '%s' admin", email, id);
	run_expect(0, "grant admin", cmd);
	ck_assert_int_eq(store_status(id, tok, &manage), 200);
	ck_assert_int_eq(manage, 1);

	snprintf(cmd, sizeof(cmd), ADM " revoke '%s' '%s'", email, id);
	run_expect(0, "revoke", cmd);
	ck_assert_int_eq(store_status(id, tok, &manage), 404);
	run_expect(4, "revoke again", cmd);
}
END_TEST

/* ------------------------------------------------------- migrations -- */

/* A folder under the state folder: dir/sql holds a copy of sql/. */
static void
migr_dir(char *dir, size_t len)
{
	const char *state = getenv("KC_TEST_STATE");

	ck_assert_ptr_nonnull(state);
	snprintf(dir, len, "%s/migr.XXXXXX", state);
	ck_assert_ptr_nonnull(mkdtemp(dir));
	/* klaviyo-admin runs as the service user when the tests are root. */
	ck_assert_int_eq(chmod(dir, 0755), 0);
	ck_assert_int_eq(it_system("mkdir '%s/sql' && cp \"$KC_SQL_DIR\"/*.sql"
	    " '%s/sql/'", dir, dir), 0);
}

static void
write_file(const char *dir, const char *name, const char *text)
{
	char	 path[1024];
	FILE	*fp;

	snprintf(path, sizeof(path), "%s/sql/%s", dir, name);
	ck_assert_ptr_nonnull(fp = fopen(path, "w"));
	ck_assert_int_ge(fputs(text, fp), 0);
	ck_assert_int_eq(fclose(fp), 0);
}

static long long
migration_rows(const char *version)
{
	const char *p[1] = { version };

	return it_sql_count("SELECT count(*) FROM schema_migrations"
	    " WHERE version = $1::integer", 1, p);
}

START_TEST(migrate_dir_applies_new_file_once)
{
	char	 dir[512], *out;
	int	 st;

	migr_dir(dir, sizeof(dir));
	write_file(dir, "900_test_extra.sql", SQL_900);
	st = run(&out, ADM " migrate --dir '%s/sql' 2>&1", dir);
	ck_assert_msg(st == 0, "exit %d: %s", st, out);
	ck_assert_msg(strstr(out, "900_test_extra.sql") != NULL, "%s", out);
	ck_assert_msg(strstr(out, "001_foundation") == NULL, "%s", out);
	free(out);
	ck_assert_int_eq(migration_rows("900"), 1);
	ck_assert_int_eq(it_sql_count("SELECT count(*) FROM pg_tables"
	    " WHERE tablename = 'it_extra_900'", 0, NULL), 1);

	st = run(&out, ADM " migrate --dir '%s/sql' 2>&1", dir);
	ck_assert_msg(st == 0, "exit %d: %s", st, out);
	ck_assert_msg(strstr(out, "nothing to apply") != NULL, "%s", out);
	free(out);
	ck_assert_int_eq(migration_rows("900"), 1);
	it_system("rm -rf '%s'", dir);
}
END_TEST

START_TEST(migrate_refuses_edited_file)
{
	char	 dir[512], *out, *sum, *sum2;
	int	 st;

	migr_dir(dir, sizeof(dir));
	write_file(dir, "900_test_extra.sql", SQL_900);
	/* Applied here or by the test before: either way up to date. */
	st = run(&out, ADM " migrate --dir '%s/sql' 2>&1", dir);
	ck_assert_msg(st == 0, "exit %d: %s", st, out);
	free(out);
	sum = it_sql_value("SELECT checksum FROM schema_migrations"
	    " WHERE version = 900", 0, NULL);
	ck_assert_ptr_nonnull(sum);

	write_file(dir, "900_test_extra.sql", SQL_900
	    "ALTER TABLE it_extra_900 ADD COLUMN sneaky text;\n");
	st = run(&out, ADM " migrate --dir '%s/sql' 2>&1", dir);
	ck_assert_msg(st == 3, "exit %d, want 3: %s", st, out);
	ck_assert_msg(strstr(out, "edited") != NULL, "%s", out);
	free(out);
	/* Nothing of the edit ran, nothing was re-recorded. */
	ck_assert_int_eq(it_sql_count("SELECT count(*)"
	    " FROM information_schema.columns WHERE table_name ="
	    " 'it_extra_900' AND column_name = 'sneaky'", 0, NULL), 0);
	sum2 = it_sql_value("SELECT checksum FROM schema_migrations"
	    " WHERE version = 900", 0, NULL);
	ck_assert_ptr_nonnull(sum2);
	ck_assert_str_eq(sum, sum2);
	free(sum);
	free(sum2);
	it_system("rm -rf '%s'", dir);
}
END_TEST

START_TEST(migrate_concurrent_runs_apply_once)
{
	char	 dir[512], path[600], *o1, *o2, *s1, *s2;
	int	 st, applied;

	migr_dir(dir, sizeof(dir));
	write_file(dir, "900_test_extra.sql", SQL_900);
	write_file(dir, "901_test_extra_two.sql", SQL_901);
	st = it_system("cd '%s' && ("
	    " (" ADM " migrate --dir sql >o1 2>&1; echo $? >s1) &"
	    " (" ADM " migrate --dir sql >o2 2>&1; echo $? >s2) &"
	    " wait )", dir);
	ck_assert_int_eq(st, 0);
	snprintf(path, sizeof(path), "%s/o1", dir);
	o1 = it_read_file(path);
	snprintf(path, sizeof(path), "%s/o2", dir);
	o2 = it_read_file(path);
	snprintf(path, sizeof(path), "%s/s1", dir);
	s1 = it_read_file(path);
	snprintf(path, sizeof(path), "%s/s2", dir);
	s2 = it_read_file(path);
	ck_assert_msg(strcmp(s1, "0\n") == 0, "first run exit %s: %s", s1,
	    o1);
	ck_assert_msg(strcmp(s2, "0\n") == 0, "second run exit %s: %s", s2,
	    o2);
	ck_assert_int_eq(migration_rows("901"), 1);
	ck_assert_int_eq(it_sql_count("SELECT count(*) FROM pg_tables"
	    " WHERE tablename = 'it_extra_901'", 0, NULL), 1);
	/* Exactly one of them applied it. */
	applied = (strstr(o1, "901_test_extra_two.sql") != NULL) +
	    (strstr(o2, "901_test_extra_two.sql") != NULL);
	ck_assert_msg(applied == 1, "901 applied %d times:\n%s\n%s", applied,
	    o1, o2);
	free(o1);
	free(o2);
	free(s1);
	free(s2);
	it_system("rm -rf '%s'", dir);
}
END_TEST

Suite *
suite_admin(void)
{
	Suite	*s = suite_create("admin");
	TCase	*tc;

	tc = tcase_create("commands");
	tcase_add_test(tc, admin_migrate_again_is_noop);
	tcase_add_test(tc, admin_migrate_status_lists_applied);
	tcase_add_test(tc, admin_help_and_unknown_command);
	suite_add_tcase(s, tc);

	tc = tcase_create("users");
	tcase_add_test(tc, admin_user_add_hashes_password);
	tcase_add_test(tc, admin_user_add_duplicate_3);
	tcase_add_test(tc, admin_user_add_short_password_2);
	tcase_add_test(tc, admin_user_add_needs_stdin_2);
	suite_add_tcase(s, tc);

	tc = tcase_create("stores");
	tcase_add_test(tc, admin_store_add_generates_id);
	tcase_add_test(tc, admin_grant_missing_user_store_or_role_4);
	tcase_add_test(tc, admin_grant_session_revoke_through_api);
	suite_add_tcase(s, tc);

	/* Leaves no table or schema_migrations row behind, pass or fail. */
	tc = tcase_create("migrations");
	tcase_add_unchecked_fixture(tc, migrations_clean, migrations_clean);
	tcase_add_test(tc, migrate_dir_applies_new_file_once);
	tcase_add_test(tc, migrate_refuses_edited_file);
	tcase_add_test(tc, migrate_concurrent_runs_apply_once);
	suite_add_tcase(s, tc);
	return s;
}
