/*
 * bench_cdr.c - rebuild throughput of the CDR modules per format, in
 * process, on one core.  Not a test: it asserts nothing, it measures.
 *
 *   bench_cdr SOURCE_DIR SAMPLE_DIR [SECONDS_PER_FORMAT [FORMAT]]
 *
 * Every regular file in SAMPLE_DIR (bench/run-cdr fills it: files built
 * by bench/gen_cdr.py, and dangerzone's sample-* documents when
 * ../shared/corpus-external exists) is copied once into a memfd and
 * cleaned once through the public API (mugaika_clean_fd) to learn its
 * format: the module the report names.  Files that were refused are
 * listed and left out.  Then, per format, its files are cleaned round
 * robin for SECONDS_PER_FORMAT (at least one full pass), and the table
 * gives files/s and MB/s of input (MB = 10^6 bytes), by wall clock and
 * by this process's CPU time.  FORMAT runs one format alone (e.g. under
 * perf record).
 *
 * The engine is loaded once, with the test signatures (corpus/signatures)
 * and a quarantine in a temp dir.  Each run is what `mugaika clean` does
 * in its child: the inspection (type, name, scan, archives), the module,
 * files inside handed back through the walk, and a scan of the output.
 *
 * Input: the sample files (trusted: the benchmark's own).  The sample
 * directory belongs to the caller; the temp dir is removed.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "mugaika.h"

struct sample {
	char *name;   /* base name: the extension steers the bid */
	int fd;       /* memfd holding the bytes */
	gsize size;   /* bytes */
	char *format; /* module that handled it, or NULL when refused */
	char *reason; /* why it was refused */
	double spent; /* wall seconds in the timed runs */
	guint runs;   /* timed runs */
};

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double
cpu(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	       (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

static void
rm_rf(const char *path)
{
	GDir *d = g_dir_open(path, 0, NULL);
	const char *n;

	while (d != NULL && (n = g_dir_read_name(d)) != NULL) {
		g_autofree char *p = g_build_filename(path, n, NULL);

		if (g_file_test(p, G_FILE_TEST_IS_DIR) &&
		    !g_file_test(p, G_FILE_TEST_IS_SYMLINK))
			rm_rf(p);
		else
			unlink(p);
	}
	if (d != NULL)
		g_dir_close(d);
	rmdir(path);
}

/* One clean of s, as `mugaika clean` runs it; an environment failure
 * ends the benchmark. */
static mugaika_clean *
clean_once(mugaika_engine *e, struct sample *s)
{
	g_autoptr(GError) err = NULL;
	mugaika_clean *c;

	if (lseek(s->fd, 0, SEEK_SET) != 0)
		g_error("%s: lseek failed", s->name);
	c = mugaika_clean_fd(e, s->fd, s->name, &err);
	if (c == NULL)
		g_error("%s: %s", s->name,
		    err != NULL ? err->message : "failure without an error");
	return c;
}

/* The top-level "module" of a clean report (the first one in it: nested
 * entries name no module). */
static char *
report_module(const char *json)
{
	g_autoptr(GRegex) re =
	    g_regex_new("\"module\"\\s*:\\s*\"([a-z0-9_]+)\"", 0, 0, NULL);
	g_autoptr(GMatchInfo) mi = NULL;

	if (json != NULL && g_regex_match(re, json, 0, &mi))
		return g_match_info_fetch(mi, 1);
	return g_strdup("unknown");
}

/* GPtrArray of strings in byte order (g_ptr_array_sort_values() is
 * GLib 2.76; Debian 12 has 2.74). */
static gint
cmp_str(gconstpointer a, gconstpointer b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static gboolean
load(const char *dir, GPtrArray *samples)
{
	g_autoptr(GError) err = NULL;
	GDir *d = g_dir_open(dir, 0, &err);
	g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
	const char *n;
	guint i;

	if (d == NULL) {
		fprintf(stderr, "bench_cdr: %s\n", err->message);
		return FALSE;
	}
	while ((n = g_dir_read_name(d)) != NULL)
		g_ptr_array_add(names, g_strdup(n));
	g_dir_close(d);
	g_ptr_array_sort(names, cmp_str);
	for (i = 0; i < names->len; i++) {
		const char *name = g_ptr_array_index(names, i);
		g_autofree char *path = g_build_filename(dir, name, NULL);
		g_autofree char *data = NULL;
		struct sample *s;
		gsize len;

		if (!g_file_test(path, G_FILE_TEST_IS_REGULAR) ||
		    !g_file_get_contents(path, &data, &len, NULL))
			continue;
		s = g_new0(struct sample, 1);
		s->name = g_strdup(name);
		s->size = len;
		s->fd = memfd_create("bench-cdr", MFD_CLOEXEC);
		if (s->fd < 0 || write(s->fd, data, len) != (ssize_t)len)
			g_error("memfd for %s failed", name);
		g_ptr_array_add(samples, s);
	}
	return TRUE;
}

static void
sample_free(gpointer p)
{
	struct sample *s = p;

	close(s->fd);
	g_free(s->name);
	g_free(s->format);
	g_free(s->reason);
	g_free(s);
}

/* Clean the files of one format round robin for `secs` (at least one full
 * pass) and print its row. */
static void
bench_format(
    mugaika_engine *e, const char *format, GPtrArray *samples, double secs)
{
	g_autoptr(GPtrArray) mine = g_ptr_array_new();
	guint i, runs = 0, files;
	double t0, c0, t;
	struct sample *slowest = NULL;
	guint64 bytes = 0, pass_bytes = 0;

	for (i = 0; i < samples->len; i++) {
		struct sample *s = g_ptr_array_index(samples, i);

		if (s->format != NULL && strcmp(s->format, format) == 0) {
			g_ptr_array_add(mine, s);
			pass_bytes += s->size;
		}
	}
	files = mine->len;
	if (files == 0)
		return;
	t0 = now();
	c0 = cpu();
	do {
		struct sample *s = g_ptr_array_index(mine, runs % files);
		double t1 = now();

		mugaika_clean_free(clean_once(e, s));
		s->spent += now() - t1;
		s->runs++;
		bytes += s->size;
		runs++;
	} while (runs < files || now() - t0 < secs);
	t = now() - t0;
	for (i = 0; i < files; i++) {
		struct sample *s = g_ptr_array_index(mine, i);

		if (slowest == NULL ||
		    s->spent / s->runs > slowest->spent / slowest->runs)
			slowest = s;
	}
	printf("| %-8s | %5u | %9.3f | %6u | %9.1f | %7.2f | %9.1f | %7.2f "
	       "| %s, %.1f ms |\n",
	    format, files, (double)pass_bytes / 1e6, runs, runs / t,
	    (double)bytes / 1e6 / t, runs / (cpu() - c0),
	    (double)bytes / 1e6 / (cpu() - c0), slowest->name,
	    1e3 * slowest->spent / slowest->runs);
	fflush(stdout);
}

int
main(int argc, char **argv)
{
	g_autoptr(GError) err = NULL;
	g_autoptr(GPtrArray) samples = NULL;
	g_autoptr(GPtrArray) formats = NULL;
	g_autofree char *dir = NULL, *conf = NULL, *text = NULL;
	double secs = argc > 3 ? g_ascii_strtod(argv[3], NULL) : 5.0;
	const char *only = argc > 4 ? argv[4] : NULL;
	mugaika_engine *e;
	guint i, refused = 0;

	if (argc < 3) {
		fprintf(stderr, "usage: bench_cdr SOURCE_DIR SAMPLE_DIR "
		                "[SECONDS_PER_FORMAT [FORMAT]]\n");
		return 64;
	}
	mugaika_init();
	samples = g_ptr_array_new_with_free_func(sample_free);
	if (!load(argv[2], samples))
		return 66;
	dir = g_dir_make_tmp("mugaika-bench-cdr-XXXXXX", &err);
	if (dir == NULL)
		g_error("%s", err->message);
	conf = g_build_filename(dir, "bench.conf", NULL);
	text = g_strdup_printf("[quarantine]\ndir = %s/q\n"
	                       "[notice]\ntemplates = %s/conf/templates\n"
	                       "[scan]\ndatabase = %s/corpus/signatures\n",
	    dir, argv[1], argv[1]);
	if (!g_file_set_contents(conf, text, -1, &err))
		g_error("%s", err->message);
	e = mugaika_engine_new(conf, &err);
	if (e == NULL)
		g_error("%s", err->message);

	/* One pass to learn each file's format (and to warm the caches). */
	formats = g_ptr_array_new_with_free_func(g_free);
	for (i = 0; i < samples->len; i++) {
		struct sample *s = g_ptr_array_index(samples, i);
		mugaika_clean *c = clean_once(e, s);

		if (mugaika_clean_outcome(c) == MUGAIKA_CLEAN_REFUSED) {
			s->reason = g_strdup(mugaika_clean_reason(c));
			refused++;
		} else {
			s->format = report_module(mugaika_clean_report_json(c));
			if (!g_ptr_array_find_with_equal_func(
			        formats, s->format, g_str_equal, NULL))
				g_ptr_array_add(formats, g_strdup(s->format));
		}
		mugaika_clean_free(c);
	}
	g_ptr_array_sort(formats, cmp_str);

	printf("| format   | files | MB a pass |   runs |   files/s |    MB/s "
	       "| files/s CPU | MB/s CPU | slowest file (wall per run) |\n");
	printf("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- "
	       "|\n");
	for (i = 0; i < formats->len; i++) {
		const char *f = g_ptr_array_index(formats, i);

		if (only == NULL || strcmp(only, f) == 0)
			bench_format(e, f, samples, secs);
	}
	if (refused > 0) {
		printf("\nrefused, not timed (%u):", refused);
		for (i = 0; i < samples->len; i++) {
			struct sample *s = g_ptr_array_index(samples, i);

			if (s->format == NULL)
				printf(" %s (%s)", s->name,
				    s->reason != NULL ? s->reason : "?");
		}
		printf("\n");
	}
	mugaika_engine_free(e);
	rm_rf(dir);
	return 0;
}
