/*
 * Reading other processes through /proc for the secrets tests: their
 * environment, command line, children and memory.  Memory is read as
 * root (CAP_SYS_PTRACE reads a non-dumpable process), so the services'
 * production setting (PR_SET_DUMPABLE 0) is what is tested.
 */
#include "itest.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Regions larger than this are ASan's reserved shadow, never data. */
#define SCAN_REGION_MAX (256L * 1024 * 1024)
#define SCAN_CHUNK (1024 * 1024)

long
it_proc_pidfile(const char *path)
{
	char	*s = it_read_file(path);
	long	 pid = strtol(s, NULL, 10);

	free(s);
	ck_assert_msg(pid > 1, "no pid in %s", path);
	return pid;
}

char *
it_proc_read(long pid, const char *what, size_t *len)
{
	char	 path[64], *buf = NULL;
	size_t	 cap = 0, n = 0;
	ssize_t	 r;
	int	 fd;

	snprintf(path, sizeof(path), "/proc/%ld/%s", pid, what);
	fd = open(path, O_RDONLY);
	ck_assert_msg(fd >= 0, "open %s: %s", path, strerror(errno));
	do {
		if (n + 4096 > cap) {
			cap = cap ? 2 * cap : 65536;
			ck_assert_ptr_nonnull(buf = realloc(buf, cap + 1));
		}
		r = read(fd, buf + n, cap - n);
		ck_assert_msg(r >= 0, "read %s: %s", path, strerror(errno));
		n += (size_t)r;
	} while (r > 0);
	close(fd);
	buf[n] = '\0';
	*len = n;
	return buf;
}

size_t
it_proc_children(long parent, long *pids, size_t max)
{
	DIR		*d;
	struct dirent	*e;
	char		 path[64], *st, *p;
	size_t		 n = 0, len;
	long		 pid;

	ck_assert_ptr_nonnull(d = opendir("/proc"));
	while ((e = readdir(d)) != NULL && n < max) {
		if ((pid = strtol(e->d_name, &p, 10)) <= 0 || *p != '\0')
			continue;
		snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
		if (access(path, R_OK) != 0)
			continue;
		st = it_read_file(path);
		len = strlen(st);
		/* "pid (comm) state ppid": comm may hold spaces. */
		p = len ? strrchr(st, ')') : NULL;
		if (p != NULL && strtol(p + 3, NULL, 10) == parent)
			pids[n++] = pid;
		free(st);
	}
	closedir(d);
	return n;
}

/*
 * With KC_TEST_SCAN_SHOW=1, what precedes a copy (to find who left it),
 * printable bytes only.
 */
static void
show(const char *buf, const char *at)
{
	const char	*from = at - buf > 64 ? at - 64 : buf;
	char		 line[160];
	size_t		 n = 0;

	for (; from < at + 8 && n < sizeof(line) - 1; from++)
		line[n++] = *from >= 0x20 && *from < 0x7f ? *from : '.';
	line[n] = '\0';
	fprintf(stderr, "  copy after: %s\n", line);
}

/* Occurrences of needle in buf[0, len). */
static long
count_in(const char *buf, size_t len, const char *needle, size_t nlen)
{
	const char	*p = buf, *end = buf + len, *v;
	long		 n = 0;
	int		 verbose;

	v = getenv("KC_TEST_SCAN_SHOW");
	verbose = v != NULL && strcmp(v, "1") == 0;
	while ((size_t)(end - p) >= nlen &&
	    (p = memmem(p, (size_t)(end - p), needle, nlen)) != NULL) {
		if (verbose)
			show(buf, p);
		n++;
		p += nlen;
	}
	return n;
}

long
it_proc_mem_count(long pid, const char *needle, size_t *scanned)
{
	char		 path[64], *maps, *line, *next, perms[8];
	char		*buf;
	unsigned long	 lo, hi, at;
	size_t		 mlen, nlen = strlen(needle), want;
	ssize_t		 r;
	long		 count = 0;
	int		 fd;

	*scanned = 0;
	maps = it_proc_read(pid, "maps", &mlen);
	snprintf(path, sizeof(path), "/proc/%ld/mem", pid);
	fd = open(path, O_RDONLY);
	ck_assert_msg(fd >= 0, "open %s: %s", path, strerror(errno));
	/* Overlap chunks by the needle's length so none is cut in two. */
	ck_assert_ptr_nonnull(buf = malloc(SCAN_CHUNK + nlen));
	for (line = maps; line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		if (sscanf(line, "%lx-%lx %7s", &lo, &hi, perms) != 3 ||
		    perms[0] != 'r' || hi - lo > SCAN_REGION_MAX ||
		    strstr(line, "[vvar") != NULL)
			continue;
		for (at = lo; at < hi; at += SCAN_CHUNK) {
			want = hi - at > SCAN_CHUNK + nlen ? SCAN_CHUNK + nlen :
			    hi - at;
			r = pread(fd, buf, want, (off_t)at);
			if (r <= 0)
				break;	/* unmapped meanwhile, or I/O */
			count += count_in(buf, (size_t)r, needle, nlen);
			/* A match in the overlap is counted by the next. */
			if ((size_t)r > SCAN_CHUNK)
				count -= count_in(buf + SCAN_CHUNK,
				    (size_t)r - SCAN_CHUNK, needle, nlen);
			*scanned += (size_t)r;
		}
	}
	free(buf);
	close(fd);
	free(maps);
	return count;
}
