/*
 * Unit tests for the database-free half of migrations (migrate.h): the
 * NNN_name.sql file-name rule, and migrate_scan over a temporary folder
 * (order by version, SHA-256 checksums, duplicate versions refused,
 * other files ignored).  The folder is made with mkdtemp by an unchecked
 * fixture and removed by it afterwards, even when a test fails.
 */
#include <check.h>
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crypto.h"
#include "migrate.h"

static const struct {
	const char	*file;
	int		 rc;
	int		 version;
	const char	*name;
} name_cases[] = {
	{ "001_foundation.sql", KC_OK, 1, "foundation" },
	{ "002_add_index_2.sql", KC_OK, 2, "add_index_2" },
	{ "010_x.sql", KC_OK, 10, "x" },
	{ "123_abc.sql", KC_OK, 123, "abc" },
	{ "0042_four_digits.sql", KC_OK, 42, "four_digits" },
	{ "1000_big.sql", KC_OK, 1000, "big" },
	{ "001__.sql", KC_OK, 1, "_" },
	{ "1_x.sql", KC_ERR_BAD_INPUT, 0, NULL },
	{ "01_x.sql", KC_ERR_BAD_INPUT, 0, NULL },
	{ "001-x.sql", KC_ERR_BAD_INPUT, 0, NULL },
	{ "001x.sql", KC_ERR_BAD_INPUT, 0, NULL },
	{ "001_X.sql", KC_ERR_BAD_INPUT, 0, NULL },
	{ "001_Foundation.sql", KC_ERR_BAD_INPUT, 0, NULL },
	{ "001_a-b.sql", KC_ERR_BAD_INPUT, 0, NULL },
	{ "001_a b.sql", KC_ERR_BAD_INPUT, 0, NULL },
	{ "001_a.b.sql", KC_ERR_BAD_INPUT, 0, NULL },
	{ "001_.sql", KC_ERR_BAD_INPUT, 0, NULL },
	{ "000_x.sql", KC_ERR_BAD_INPUT, 0, NULL },
	{ "001_x.sql.bak", KC_ERR_BAD_INPUT, 0, NULL },
	{ "001_x.SQL", KC_ERR_BAD_INPUT, 0, NULL },
	{ "001_x.sq", KC_ERR_BAD_INPUT, 0, NULL },
	{ "001_x", KC_ERR_BAD_INPUT, 0, NULL },
	{ "001_", KC_ERR_BAD_INPUT, 0, NULL },
	{ "001", KC_ERR_BAD_INPUT, 0, NULL },
	{ ".sql", KC_ERR_BAD_INPUT, 0, NULL },
	{ "", KC_ERR_BAD_INPUT, 0, NULL },
	{ "README.md", KC_ERR_BAD_INPUT, 0, NULL },
	{ ".001_x.sql", KC_ERR_BAD_INPUT, 0, NULL },
	{ "x001_x.sql", KC_ERR_BAD_INPUT, 0, NULL },
	{ "99999999999_x.sql", KC_ERR_BAD_INPUT, 0, NULL },
};

START_TEST(test_parse_name_table)
{
	char	name[128] = "unchanged";
	int	version = -1, rc;

	rc = migrate_parse_name(name_cases[_i].file, &version, name,
	    sizeof(name));
	ck_assert_msg(rc == name_cases[_i].rc, "'%s': rc %d, want %d",
	    name_cases[_i].file, rc, name_cases[_i].rc);
	if (rc != KC_OK)
		return;
	ck_assert_int_eq(version, name_cases[_i].version);
	ck_assert_str_eq(name, name_cases[_i].name);
}
END_TEST

START_TEST(test_parse_name_small_buffer)
{
	char	name[4];
	int	version;

	ck_assert_int_eq(migrate_parse_name("001_abc.sql", &version, name,
	    sizeof(name)), KC_OK);
	ck_assert_str_eq(name, "abc");
	ck_assert_int_eq(migrate_parse_name("001_abcd.sql", &version, name,
	    sizeof(name)), KC_ERR_BAD_INPUT);
}
END_TEST

/* The fixture's folder; each test makes its own subfolder in it. */
static char tmpdir[256];

static void
tmp_setup(void)
{
	const char *t = getenv("TMPDIR");

	if (t == NULL || *t == '\0')
		t = "/tmp";
	snprintf(tmpdir, sizeof(tmpdir), "%s/check_migrate.XXXXXX", t);
	ck_assert_msg(mkdtemp(tmpdir) != NULL, "mkdtemp %s: %s", tmpdir,
	    strerror(errno));
}

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *f)
{
	(void)st;
	(void)f;
	return flag == FTW_DP ? rmdir(path) : unlink(path);
}

static void
tmp_teardown(void)
{
	nftw(tmpdir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static void
make_dir(char *out, size_t outlen, const char *sub)
{
	int n = snprintf(out, outlen, "%s/%s", tmpdir, sub);

	ck_assert_msg(n > 0 && (size_t)n < outlen, "path too long");
	ck_assert_msg(mkdir(out, 0700) == 0, "mkdir %s: %s", out,
	    strerror(errno));
}

static void
write_file(const char *dir, const char *file, const char *text)
{
	char	 path[512];
	FILE	*fp;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	ck_assert_ptr_nonnull(fp = fopen(path, "w"));
	ck_assert_uint_eq(fwrite(text, 1, strlen(text), fp), strlen(text));
	ck_assert_int_eq(fclose(fp), 0);
}

START_TEST(test_scan)
{
	static const struct {
		int		 version;
		const char	*file, *name, *sql;
	} want[] = {
		{ 1, "001_first.sql", "first", "CREATE TABLE a (x int);\n" },
		{ 2, "002_second.sql", "second", "SELECT 2;\n" },
		{ 10, "010_tenth.sql", "tenth", "" },
		{ 101, "101_last_one.sql", "last_one", "-- \xc3\xa9\n" },
	};
	struct migration	*m;
	char			 dir[256], sum[SHA256_HEX_LEN + 1], err[512];
	char			 sub[300];
	size_t			 n, i;

	make_dir(dir, sizeof(dir), "scan");
	/* Written out of order, with files that must be ignored. */
	write_file(dir, want[3].file, want[3].sql);
	write_file(dir, want[1].file, want[1].sql);
	write_file(dir, want[2].file, want[2].sql);
	write_file(dir, want[0].file, want[0].sql);
	write_file(dir, "README.md", "not a migration");
	write_file(dir, "x004.sql.bak", "SELECT 4;");
	write_file(dir, ".001_hidden.sql", "SELECT 1;");
	snprintf(sub, sizeof(sub), "%s/notes", dir);
	ck_assert_int_eq(mkdir(sub, 0700), 0);

	err[0] = '\0';
	ck_assert_msg(migrate_scan(dir, &m, &n, err, sizeof(err)) == KC_OK,
	    "scan: %s", err);
	ck_assert_uint_eq(n, 4);
	for (i = 0; i < n; i++) {
		ck_assert_int_eq(m[i].version, want[i].version);
		ck_assert_str_eq(m[i].file, want[i].file);
		ck_assert_str_eq(m[i].name, want[i].name);
		ck_assert_pstr_eq(m[i].sql, want[i].sql);
		crypto_sha256_hex(want[i].sql, strlen(want[i].sql), sum);
		ck_assert_str_eq(m[i].checksum, sum);
		ck_assert_uint_eq(strlen(m[i].checksum), SHA256_HEX_LEN);
	}
	/* SHA-256 of the empty file, known independently. */
	ck_assert_str_eq(m[2].checksum, "e3b0c44298fc1c149afbf4c8996fb924"
	    "27ae41e4649b934ca495991b7852b855");
	migrate_free(m, n);
}
END_TEST

/* A file meant as a migration but misnamed is refused, not skipped. */
START_TEST(test_scan_misnamed)
{
	static const char *const bad[] = { "003_Bad.sql", "000_zero.sql",
	    "5_short.sql", "004_x.sql.bak", "007-dash.sql", "notes.sql" };
	struct migration	*m = (struct migration *)&m;
	char			 dir[256], err[512], sub[32];
	size_t			 n = 99, i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(sub, sizeof(sub), "misnamed%zu", i);
		make_dir(dir, sizeof(dir), sub);
		write_file(dir, "001_a.sql", "SELECT 1;");
		write_file(dir, bad[i], "SELECT 2;");
		err[0] = '\0';
		ck_assert_int_eq(migrate_scan(dir, &m, &n, err, sizeof(err)),
		    KC_ERR_BAD_INPUT);
		ck_assert_ptr_null(m);
		ck_assert_uint_eq(n, 0);
		ck_assert_msg(strstr(err, bad[i]) != NULL &&
		    strstr(err, "NNN_name.sql") != NULL,
		    "'%s' does not name %s and the rule", err, bad[i]);
	}
}
END_TEST

START_TEST(test_scan_duplicate)
{
	struct migration	*m = (struct migration *)&m;
	char			 dir[256], err[512] = "";
	size_t			 n = 99;

	make_dir(dir, sizeof(dir), "dup");
	write_file(dir, "001_a.sql", "SELECT 1;");
	write_file(dir, "002_b.sql", "SELECT 2;");
	write_file(dir, "0002_c.sql", "SELECT 2;");
	ck_assert_int_eq(migrate_scan(dir, &m, &n, err, sizeof(err)),
	    KC_ERR_BAD_INPUT);
	ck_assert_ptr_null(m);
	ck_assert_uint_eq(n, 0);
	ck_assert_msg(strstr(err, "002_b.sql") != NULL &&
	    strstr(err, "0002_c.sql") != NULL, "'%s' does not name both", err);
}
END_TEST

START_TEST(test_scan_empty_and_missing)
{
	struct migration	*m;
	char			 dir[256], missing[300], err[512] = "";
	size_t			 n = 99;

	make_dir(dir, sizeof(dir), "empty");
	write_file(dir, "notes.txt", "nothing here");
	ck_assert_int_eq(migrate_scan(dir, &m, &n, err, sizeof(err)), KC_OK);
	ck_assert_uint_eq(n, 0);
	migrate_free(m, n);

	snprintf(missing, sizeof(missing), "%s/does-not-exist", dir);
	ck_assert_int_eq(migrate_scan(missing, &m, &n, err, sizeof(err)),
	    KC_ERR_IO);
	ck_assert_ptr_null(m);
	ck_assert_uint_eq(n, 0);
	ck_assert_ptr_nonnull(strstr(err, "does-not-exist"));
}
END_TEST

/* A folder whose name looks like a migration cannot be read as one. */
START_TEST(test_scan_unreadable)
{
	struct migration	*m;
	char			 dir[256], sub[300], err[512] = "";
	size_t			 n;

	make_dir(dir, sizeof(dir), "unreadable");
	write_file(dir, "001_ok.sql", "SELECT 1;");
	snprintf(sub, sizeof(sub), "%s/002_dir.sql", dir);
	ck_assert_int_eq(mkdir(sub, 0700), 0);
	ck_assert_int_ne(migrate_scan(dir, &m, &n, err, sizeof(err)), KC_OK);
	ck_assert_ptr_null(m);
	ck_assert_ptr_nonnull(strstr(err, "002_dir.sql"));
}
END_TEST

static Suite *
migrate_suite(void)
{
	Suite	*s = suite_create("migrate");
	TCase	*tn = tcase_create("name");
	TCase	*ts = tcase_create("scan");

	tcase_add_loop_test(tn, test_parse_name_table, 0,
	    sizeof(name_cases) / sizeof(name_cases[0]));
	tcase_add_test(tn, test_parse_name_small_buffer);
	suite_add_tcase(s, tn);

	tcase_add_unchecked_fixture(ts, tmp_setup, tmp_teardown);
	tcase_add_test(ts, test_scan);
	tcase_add_test(ts, test_scan_misnamed);
	tcase_add_test(ts, test_scan_duplicate);
	tcase_add_test(ts, test_scan_empty_and_missing);
	tcase_add_test(ts, test_scan_unreadable);
	suite_add_tcase(s, ts);
	return s;
}

int
main(void)
{
	SRunner	*sr = srunner_create(migrate_suite());
	int	 failures;

	srunner_run_all(sr, CK_NORMAL);
	failures = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failures ? 1 : 0;
}
