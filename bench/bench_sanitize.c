/*
 * bench_sanitize.c - messages per second and peak RSS of the engine,
 * in-process, on one core.  Not a test: it asserts nothing, it measures.
 *
 *   bench_sanitize SOURCE_DIR [SECONDS_PER_KIND [KIND]]
 *
 * KIND (default all): small, small-unique, html, att or rss - one kind
 * alone, e.g. under perf record.
 *
 * Kinds: a small Japanese text mail (ISO-2022-JP), an HTML mail
 * (multipart/alternative with a 20 KB HTML part), a mail with a 10 MB
 * attachment (which is removed and its original stored, fsync included),
 * and one 50 MB message run in a child process for its peak RSS.
 * The quarantine lives in a temp dir on the same disk as $TMPDIR.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "mugaika.h"

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

static char *
write_tmp(const char *dir, const char *name, const char *data, gsize len)
{
	char *path = g_build_filename(dir, name, NULL);

	if (!g_file_set_contents(path, data, (gssize)len, NULL))
		g_error("cannot write %s", path);
	return path;
}

static GString *
small_mail(void)
{
	GString *m = g_string_new(
	    "From: =?ISO-2022-JP?B?GyRCOzNFRBsoQg==?= <yamada@example.co.jp>\n"
	    "To: soumu@city.example.lg.jp\n"
	    "Subject: =?ISO-2022-JP?B?GyRCJCpMZCQkOWckbyQ7GyhC?=\n"
	    "Date: Mon, 11 Nov 2024 10:15:30 +0900\n"
	    "Message-ID: <bench-00000000@example.co.jp>\n"
	    "MIME-Version: 1.0\n"
	    "Content-Type: text/plain; charset=ISO-2022-JP\n"
	    "Content-Transfer-Encoding: 7bit\n\n");
	int i;

	/* About 2 KB of JIS text: "いつもお世話になっております。" */
	for (i = 0; i < 40; i++)
		g_string_append(m, "\x1b$B$$$D$b$*@$OC$K$J$C$F$*$j$^$9!#"
		                   "\x1b(B\n");
	g_string_append(m, "No. 00000000\n");
	return m;
}

static GString *
html_mail(void)
{
	GString *m = g_string_new(
	    "From: news@example.com\nTo: soumu@city.example.lg.jp\n"
	    "Subject: newsletter\nMIME-Version: 1.0\n"
	    "Content-Type: multipart/alternative; boundary=\"alt\"\n\n"
	    "--alt\nContent-Type: text/plain; charset=utf-8\n\n \n"
	    "--alt\nContent-Type: text/html; charset=utf-8\n\n"
	    "<html><head><style>p{color:red}</style></head><body>\n");
	int i;

	for (i = 0; i < 100; i++)
		g_string_append_printf(m,
		    "<p>お知らせ %d: <a href=\"https://example.com/n/%d\">"
		    "詳細</a> <b>重要</b></p><table><tr><td>項目</td>"
		    "<td>%d</td></tr></table>\n",
		    i, i, i);
	g_string_append(m, "</body></html>\n--alt--\n");
	return m;
}

static GString *
attachment_mail(gsize bytes)
{
	GString *m = g_string_new(
	    "From: a@example.com\nTo: soumu@city.example.lg.jp\n"
	    "Subject: big\nMIME-Version: 1.0\n"
	    "Content-Type: multipart/mixed; boundary=\"mix\"\n\n"
	    "--mix\nContent-Type: text/plain; charset=utf-8\n\n"
	    "資料を送ります。\n"
	    "--mix\nContent-Type: application/pdf; name=\"data.pdf\"\n"
	    "Content-Disposition: attachment; filename=\"data.pdf\"\n"
	    "Content-Transfer-Encoding: base64\n\n");
	guchar *raw = g_malloc(bytes);
	g_autofree char *b64 = NULL;
	gsize i, n;

	/* A GRand of our own: g_random_int() takes a global mutex per call,
	 * which once showed up in profiles as the engine's. */
	g_autoptr(GRand) rnd = g_rand_new_with_seed(42);

	memcpy(raw, "%PDF-1.4\n", 9);
	for (i = 9; i < bytes; i++)
		raw[i] = (guchar)g_rand_int(rnd);
	b64 = g_base64_encode(raw, bytes);
	g_free(raw);
	n = strlen(b64);
	for (i = 0; i < n; i += 76) {
		g_string_append_len(m, b64 + i, MIN(76, n - i));
		g_string_append_c(m, '\n');
	}
	g_string_append(m, "--mix--\n");
	return m;
}

/*
 * With `unique`, every run gets another message: each "00000000" of the
 * file is overwritten with the run's number first, so that libclamav's
 * cache of clean results never answers (as behind Postfix, where every
 * mail differs).
 */
static void
bench(mugaika_engine *e, const char *label, const char *path, double secs,
    gboolean unique)
{
	int fd = open(path, unique ? O_RDWR : O_RDONLY);
	int out = open("/dev/null", O_WRONLY);
	double t0 = now(), c0 = cpu(), t;
	g_autoptr(GArray) marks = g_array_new(FALSE, FALSE, sizeof(off_t));
	g_autofree char *text = NULL;
	gsize len = 0;
	guint n = 0, i;
	struct stat st;

	fstat(fd, &st);
	if (unique && g_file_get_contents(path, &text, &len, NULL)) {
		const char *p = text;

		while ((p = g_strstr_len(p, len - (p - text), "00000000"))) {
			off_t off = p - text;

			g_array_append_val(marks, off);
			p += 8;
		}
	}
	do {
		g_autoptr(GError) err = NULL;
		mugaika_result *r;
		char num[9];

		g_snprintf(num, sizeof(num), "%08u", n);
		for (i = 0; i < marks->len; i++)
			if (pwrite(fd, num, 8,
			        g_array_index(marks, off_t, i)) != 8)
				g_error("%s: %s", path, g_strerror(errno));
		r = mugaika_sanitize_fd(e, fd, NULL, &err);

		if (r == NULL)
			g_error("%s: %s", label, err->message);
		mugaika_result_write_message(r, out, NULL);
		mugaika_result_free(r);
		n++;
	} while ((t = now() - t0) < secs);
	printf("| %-28s | %10ld | %6u | %9.1f | %9.1f |\n", label,
	    (long)st.st_size, n, n / t, n / (cpu() - c0));
	close(fd);
	close(out);
}

/* Peak RSS (KiB) of a child that sanitizes `path` once (or, with path
 * NULL, only creates the engine). */
static long
child_rss(const char *conf, const char *path)
{
	struct rusage ru;
	int status;
	pid_t pid = fork();

	if (pid == 0) {
		mugaika_engine *e = mugaika_engine_new(conf, NULL);

		if (e == NULL)
			_exit(1);
		if (path != NULL) {
			int fd = open(path, O_RDONLY);
			int out = open("/dev/null", O_WRONLY);
			mugaika_result *r =
			    mugaika_sanitize_fd(e, fd, NULL, NULL);

			if (r == NULL)
				_exit(2);
			mugaika_result_write_message(r, out, NULL);
		}
		_exit(0);
	}
	if (wait4(pid, &status, 0, &ru) < 0 || status != 0)
		g_error("child failed (%d)", status);
	return ru.ru_maxrss;
}

int
main(int argc, char **argv)
{
	g_autoptr(GError) err = NULL;
	g_autofree char *dir = NULL, *conf = NULL, *text = NULL;
	double secs = argc > 2 ? g_ascii_strtod(argv[2], NULL) : 5.0;
	const char *only = argc > 3 ? argv[3] : NULL;
	mugaika_engine *e;
	GString *m;
	char *p_small, *p_html, *p_att, *p_big;
	long base, big;

	if (argc < 2) {
		fprintf(stderr, "usage: bench_sanitize SOURCE_DIR [SECS]\n");
		return 64;
	}
	mugaika_init();
	dir = g_dir_make_tmp("mugaika-bench-XXXXXX", &err);
	conf = g_build_filename(dir, "bench.conf", NULL);
	text = g_strdup_printf("[quarantine]\ndir = %s/q\n"
	                       "[notice]\ntemplates = %s/conf/templates\n"
	                       "[scan]\ndatabase = %s/corpus/signatures\n"
	                       "[limits]\nmax_message_size = 100M\n",
	    dir, argv[1], argv[1]);
	g_file_set_contents(conf, text, -1, NULL);
	e = mugaika_engine_new(conf, &err);
	if (e == NULL)
		g_error("%s", err->message);

	m = small_mail();
	p_small = write_tmp(dir, "small.eml", m->str, m->len);
	g_string_free(m, TRUE);
	m = html_mail();
	p_html = write_tmp(dir, "html.eml", m->str, m->len);
	g_string_free(m, TRUE);
	m = attachment_mail(10u * 1024 * 1024);
	p_att = write_tmp(dir, "att10m.eml", m->str, m->len);
	g_string_free(m, TRUE);
	m = attachment_mail(37u * 1024 * 1024); /* ~50 MB in base64 */
	p_big = write_tmp(dir, "big50m.eml", m->str, m->len);
	g_string_free(m, TRUE);

	printf("| kind                         |      bytes |   runs | "
	       "msgs/s wall | msgs/s CPU |\n");
	printf("| --- | ---: | ---: | ---: | ---: |\n");
	if (only == NULL || strcmp(only, "small") == 0)
		bench(e, "small text (ISO-2022-JP)", p_small, secs, FALSE);
	if (only == NULL || strcmp(only, "small-unique") == 0)
		bench(e, "small text, each one new", p_small, secs, TRUE);
	if (only == NULL || strcmp(only, "html") == 0)
		bench(e, "HTML newsletter", p_html, secs, FALSE);
	if (only == NULL || strcmp(only, "att") == 0)
		bench(e, "10 MB attachment (stored)", p_att, secs, FALSE);
	mugaika_engine_free(e);
	if (only != NULL && strcmp(only, "rss") != 0) {
		rm_rf(dir);
		return 0;
	}

	base = child_rss(conf, NULL);
	big = child_rss(conf, p_big);
	{
		struct stat st;

		stat(p_big, &st);
		printf("\npeak RSS: engine alone %ld KiB; 50 MB message "
		       "(%ld bytes) %ld KiB = %.2fx the message size\n",
		    base, (long)st.st_size, big,
		    (double)big * 1024.0 / (double)st.st_size);
	}
	rm_rf(dir);
	return 0;
}
