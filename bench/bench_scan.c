/*
 * bench_scan.c - what a libclamav engine costs: load and compile time and
 * resident memory for a signature database, then scan throughput on 1 MiB
 * buffers.  Not a test: it asserts nothing, it measures.
 *
 *   bench_scan [-n SCANS] [-s MIB] [-t THREADS] DATABASE...
 *
 * Each DATABASE (a directory or file, e.g. corpus/signatures, or one
 * written by bench/gen_sigs.py) is measured in a child process of its own,
 * so that its RSS is not mixed with the one before.  Kinds of input:
 * random bytes, random text (ASCII words and lines) and a zip holding text
 * and random members (deflated).  Every buffer is new (libclamav caches
 * clean results by hash, so rescanning the same bytes would measure the
 * cache); building them is not timed.  One rescan of identical bytes is
 * timed separately to show what the cache saves.  With -t, THREADS
 * threads also scan at once on the one engine; MB/s is then their total,
 * over wall time.  Defaults: 32 scans of 1 MiB per kind, 1 thread.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "scan/mg_scan.h"

enum kind { K_RANDOM, K_TEXT, K_ZIP, K_COUNT };

static guint32 seed = 1;

static const char *const kind_name[K_COUNT] = {
    "random bytes", "random text", "zip (text + random)"};

struct job {
	struct mg_scan_engine *e;
	GPtrArray *inputs; /* GBytes, each scanned once */
	double seconds;    /* time inside mg_scan_buffer */
	double cpu;        /* this thread's CPU time inside it */
	guint64 bytes;
	guint not_clean;
};

static double
clock_s(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double
now(void)
{
	return clock_s(CLOCK_MONOTONIC);
}

/* VmRSS of this process in KiB, from /proc/self/status. */
static long
rss_kib(void)
{
	g_autofree char *status = NULL;
	const char *p;

	if (!g_file_get_contents("/proc/self/status", &status, NULL, NULL))
		return -1;
	if ((p = strstr(status, "VmRSS:")) == NULL)
		return -1;
	return strtol(p + 6, NULL, 10);
}

static void
fill_random(GRand *r, guint8 *b, gsize n)
{
	gsize i;

	for (i = 0; i + 4 <= n; i += 4) {
		guint32 v = g_rand_int(r);

		memcpy(b + i, &v, 4);
	}
	for (; i < n; i++)
		b[i] = (guint8)g_rand_int(r);
}

static void
fill_text(GRand *r, guint8 *b, gsize n)
{
	static const char *const words[] = {"the", "mail", "gateway", "scans",
	    "every", "part", "before", "it", "crosses", "network", "split",
	    "local", "government", "attachment", "removed", "notice", "text",
	    "of", "and", "a", "to", "in", "for", "with", "report", "quarantine",
	    "administrator", "review", "signature", "database"};
	gsize i = 0, col = 0;

	while (i < n) {
		const char *w =
		    words[g_rand_int_range(r, 0, G_N_ELEMENTS(words))];
		gsize k = strlen(w);

		if (col + k + 1 > 72) {
			b[i++] = '\n';
			col = 0;
			continue;
		}
		if (i + k + 1 > n)
			break;
		memcpy(b + i, w, k);
		i += k;
		b[i++] = ' ';
		col += k + 1;
	}
	for (; i < n; i++)
		b[i] = '\n';
}

static GBytes *
make_zip(GRand *r, gsize size)
{
	gsize half = size / 2, cap = size + 65536, used = 0;
	guint8 *text = g_malloc(half), *rnd = g_malloc(size - half);
	guint8 *buf = g_malloc(cap);
	struct archive *a = archive_write_new();
	const char *names[2] = {"report.txt", "data.bin"};
	guint8 *data[2] = {text, rnd};
	gsize len[2] = {half, size - half};
	guint i;

	fill_text(r, text, half);
	fill_random(r, rnd, size - half);
	archive_write_set_format_zip(a);
	archive_write_set_bytes_in_last_block(a, 1);
	archive_write_open_memory(a, buf, cap, &used);
	for (i = 0; i < 2; i++) {
		struct archive_entry *e = archive_entry_new();

		archive_entry_set_pathname(e, names[i]);
		archive_entry_set_size(e, (la_int64_t)len[i]);
		archive_entry_set_filetype(e, AE_IFREG);
		archive_entry_set_perm(e, 0644);
		archive_write_header(a, e);
		archive_write_data(a, data[i], len[i]);
		archive_entry_free(e);
	}
	archive_write_close(a);
	archive_write_free(a);
	g_free(text);
	g_free(rnd);
	return g_bytes_new_take(buf, used);
}

static GBytes *
make_input(GRand *r, enum kind k, gsize size)
{
	guint8 *b;

	if (k == K_ZIP)
		return make_zip(r, size);
	b = g_malloc(size);
	if (k == K_RANDOM)
		fill_random(r, b, size);
	else
		fill_text(r, b, size);
	return g_bytes_new_take(b, size);
}

static gpointer
run_job(gpointer data)
{
	struct job *j = data;
	guint i;

	for (i = 0; i < j->inputs->len; i++) {
		gsize len;
		const void *p = g_bytes_get_data(j->inputs->pdata[i], &len);
		double t0 = now();
		double c0 = clock_s(CLOCK_THREAD_CPUTIME_ID);

		if (mg_scan_buffer(j->e, p, len, "bench", NULL) !=
		    MG_SCAN_CLEAN)
			j->not_clean++;
		j->cpu += clock_s(CLOCK_THREAD_CPUTIME_ID) - c0;
		j->seconds += now() - t0;
		j->bytes += len;
	}
	return NULL;
}

/*
 * Inputs are built first (each scanned once, so the cache never answers),
 * then scanned: the wall time of the scans is the time to the last thread's
 * end.
 */
static void
measure_kind(struct mg_scan_engine *e, enum kind k, guint scans, gsize size,
    guint threads)
{
	struct job *jobs = g_new0(struct job, threads);
	GThread **t = g_new0(GThread *, threads);
	double wall, busy = 0, cpu = 0;
	guint64 bytes = 0;
	guint i, n, not_clean = 0;

	for (i = 0; i < threads; i++) {
		/* A seed never used before: equal inputs would be cached. */
		GRand *r = g_rand_new_with_seed(++seed);

		jobs[i].e = e;
		jobs[i].inputs = g_ptr_array_new_with_free_func(
		    (GDestroyNotify)g_bytes_unref);
		for (n = 0; n < scans; n++)
			g_ptr_array_add(jobs[i].inputs, make_input(r, k, size));
		g_rand_free(r);
	}
	wall = now();
	if (threads == 1) {
		run_job(&jobs[0]);
	} else {
		for (i = 0; i < threads; i++)
			t[i] = g_thread_new("scan", run_job, &jobs[i]);
		for (i = 0; i < threads; i++)
			g_thread_join(t[i]);
	}
	wall = now() - wall;
	for (i = 0; i < threads; i++) {
		busy += jobs[i].seconds;
		cpu += jobs[i].cpu;
		bytes += jobs[i].bytes;
		not_clean += jobs[i].not_clean;
		g_ptr_array_unref(jobs[i].inputs);
	}
	n = scans * threads;
	/* MB/s: all bytes over the wall time of the scans; per core: over
	 * the CPU time the scanning threads used, which other load on the
	 * machine disturbs less. */
	printf("  %-20s %4u x %4.2f MiB %7.2f ms/scan (cpu %6.2f)  %6.1f MB/s"
	       "  %6.1f MB/s per core%s\n",
	    kind_name[k], n, (double)bytes / n / (1024.0 * 1024.0),
	    busy * 1000.0 / n, cpu * 1000.0 / n, (double)bytes / 1e6 / wall,
	    (double)bytes / 1e6 / cpu, not_clean ? "  (some not clean!)" : "");
	g_free(jobs);
	g_free(t);
}

static void
measure_cache(struct mg_scan_engine *e, gsize size)
{
	GRand *r = g_rand_new_with_seed(4242);
	GBytes *in = make_input(r, K_TEXT, size);
	gsize len;
	const void *p = g_bytes_get_data(in, &len);
	double t0, first, again;

	t0 = now();
	mg_scan_buffer(e, p, len, "bench", NULL);
	first = now() - t0;
	t0 = now();
	mg_scan_buffer(e, p, len, "bench", NULL);
	again = now() - t0;
	printf("  %-20s first %.2f ms, same bytes again %.2f ms (cache)\n",
	    "random text", first * 1000.0, again * 1000.0);
	g_bytes_unref(in);
	g_rand_free(r);
}

static void
warm_up(struct mg_scan_engine *e, enum kind k, gsize size)
{
	GRand *r = g_rand_new_with_seed(77 + k);
	guint i;

	for (i = 0; i < 4; i++) {
		GBytes *in = make_input(r, k, size);
		gsize len;
		const void *p = g_bytes_get_data(in, &len);

		mg_scan_buffer(e, p, len, "warm-up", NULL);
		g_bytes_unref(in);
	}
	g_rand_free(r);
}

static int
bench_database(const char *db, guint scans, gsize size, guint threads)
{
	g_autoptr(mg_policy) p = mg_policy_new_default();
	g_autoptr(GError) err = NULL;
	struct mg_scan_engine *e;
	long rss0, rss1;
	double t0, t1;
	enum kind k;

	g_free(p->scan_database);
	p->scan_database = g_strdup(db);
	rss0 = rss_kib();
	t0 = now();
	e = mg_scan_engine_new(p, &err);
	t1 = now();
	if (e == NULL) {
		fprintf(stderr, "bench_scan: %s\n", err->message);
		return 1;
	}
	rss1 = rss_kib();
	printf("%s\n  %u signatures, load+compile %.0f ms, RSS %.1f MiB "
	       "(+%.1f MiB for the engine)\n",
	    db, mg_scan_engine_info(e)->signatures, (t1 - t0) * 1000.0,
	    rss1 / 1024.0, (rss1 - rss0) / 1024.0);
	/* Warm up (first-touch page faults, libclamav's lazy set-up); the
	 * first kind measured would otherwise pay for it. */
	for (k = 0; k < K_COUNT; k++)
		warm_up(e, k, size);
	for (k = 0; k < K_COUNT; k++)
		measure_kind(e, k, scans, size, 1);
	if (threads > 1) {
		printf("  %u threads at once:\n", threads);
		for (k = 0; k < K_COUNT; k++)
			measure_kind(e, k, scans, size, threads);
	}
	measure_cache(e, size);
	mg_scan_engine_free(e);
	return 0;
}

int
main(int argc, char **argv)
{
	guint scans = 32, threads = 1;
	gsize size = 1024 * 1024;
	int c, i, rc = 0;

	while ((c = getopt(argc, argv, "n:s:t:")) != -1) {
		switch (c) {
		case 'n':
			scans = (guint)MAX(1, atoi(optarg));
			break;
		case 's':
			size = (gsize)MAX(1, atoi(optarg)) * 1024 * 1024;
			break;
		case 't':
			threads = (guint)MAX(1, atoi(optarg));
			break;
		default:
			fprintf(stderr, "usage: bench_scan [-n SCANS] [-s MIB] "
			                "[-t THREADS] DATABASE...\n");
			return 2;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "usage: bench_scan [-n SCANS] [-s MIB] "
		                "[-t THREADS] DATABASE...\n");
		return 2;
	}
	for (i = optind; i < argc; i++) {
		pid_t pid;
		int status;

		fflush(stdout);
		/* Still single-threaded here: fork is safe. */
		if ((pid = fork()) < 0) {
			perror("bench_scan: fork");
			return 1;
		}
		if (pid == 0) {
			rc = bench_database(argv[i], scans, size, threads);
			fflush(stdout);
			_exit(rc);
		}
		if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) ||
		    WEXITSTATUS(status) != 0)
			rc = 1;
	}
	return rc;
}
