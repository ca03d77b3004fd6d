/*
 * test_attempts.c - attempt records that survive the gateway going down
 * (milter/mg_attempts.c).
 *
 * "A crash" is mg_attempts_free() with jobs still begun: the records stay
 * in the file, as they do when the process is killed, and the next
 * mg_attempts_open() must count them.  Each case works in its own
 * temporary directory.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gio/gio.h>
#include <glib/gstdio.h>

#include "mg_attempts.h"

#define T0 1700000000

static const char *K1 =
    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
static const char *K2 =
    "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210";

static char *
tmpdir(void)
{
	GError *err = NULL;
	char *d = g_dir_make_tmp("mg-attempts-XXXXXX", &err);

	g_assert_no_error(err);
	return d;
}

static void
rmtree(const char *dir)
{
	GDir *d = g_dir_open(dir, 0, NULL);
	const char *n;

	while (d != NULL && (n = g_dir_read_name(d)) != NULL) {
		g_autofree char *p = g_build_filename(dir, n, NULL);

		g_unlink(p);
	}
	if (d != NULL)
		g_dir_close(d);
	g_rmdir(dir);
}

static struct mg_attempts *
open_at(const char *dir, gint64 now)
{
	GError *err = NULL;
	struct mg_attempts *a = mg_attempts_open(dir, now, &err);

	g_assert_no_error(err);
	g_assert_nonnull(a);
	return a;
}

static void
test_settled(void)
{
	g_autofree char *dir = tmpdir();
	struct mg_attempts *a = open_at(dir, T0);

	g_assert_cmpuint(mg_attempts_begin(a, K1, T0), ==, 1);
	g_assert_cmpuint(mg_attempts_records(a), ==, 1);
	mg_attempts_end(a, K1, TRUE);
	g_assert_cmpuint(mg_attempts_records(a), ==, 0);
	g_assert_cmpuint(mg_attempts_begin(a, K1, T0), ==, 1);
	mg_attempts_end(a, K1, TRUE);
	mg_attempts_free(a);
	/* Nothing is left for the next run. */
	a = open_at(dir, T0);
	g_assert_cmpuint(mg_attempts_records(a), ==, 0);
	mg_attempts_free(a);
	rmtree(dir);
}

static void
test_crash_counts(void)
{
	g_autofree char *dir = tmpdir();
	struct mg_attempts *a = open_at(dir, T0);
	guint n;

	g_assert_cmpuint(mg_attempts_begin(a, K1, T0), ==, 1);
	g_assert_cmpuint(mg_attempts_begin(a, K2, T0), ==, 1);
	mg_attempts_end(a, K2, TRUE);
	mg_attempts_free(a); /* down with K1 in flight */
	for (n = 2; n <= 4; n++) {
		a = open_at(dir, T0 + n);
		g_assert_cmpuint(mg_attempts_records(a), ==, 1);
		g_assert_cmpuint(mg_attempts_begin(a, K1, T0 + n), ==, n);
		g_assert_cmpuint(mg_attempts_begin(a, K2, T0 + n), ==, 1);
		mg_attempts_end(a, K2, TRUE);
		mg_attempts_free(a);
	}
	/* Held at last: the record goes. */
	a = open_at(dir, T0 + 10);
	g_assert_cmpuint(mg_attempts_begin(a, K1, T0 + 10), ==, 5);
	mg_attempts_end(a, K1, TRUE);
	mg_attempts_free(a);
	a = open_at(dir, T0 + 11);
	g_assert_cmpuint(mg_attempts_records(a), ==, 0);
	mg_attempts_free(a);
	rmtree(dir);
}

static void
test_unsettled_keeps_count(void)
{
	g_autofree char *dir = tmpdir();
	struct mg_attempts *a = open_at(dir, T0);

	g_assert_cmpuint(mg_attempts_begin(a, K1, T0), ==, 1);
	mg_attempts_end(a, K1, FALSE); /* tempfailed */
	g_assert_cmpuint(mg_attempts_records(a), ==, 1);
	g_assert_cmpuint(mg_attempts_begin(a, K1, T0), ==, 2);
	mg_attempts_end(a, K1, TRUE);
	g_assert_cmpuint(mg_attempts_records(a), ==, 0);
	/* A key we never saw, and one that is not a key. */
	mg_attempts_end(a, K2, TRUE);
	g_assert_cmpuint(mg_attempts_begin(a, "../../etc/passwd", T0), ==, 1);
	g_assert_cmpuint(mg_attempts_records(a), ==, 0);
	mg_attempts_free(a);
	rmtree(dir);
}

static void
test_same_message_twice(void)
{
	g_autofree char *dir = tmpdir();
	struct mg_attempts *a = open_at(dir, T0);

	g_assert_cmpuint(mg_attempts_begin(a, K1, T0), ==, 1);
	g_assert_cmpuint(mg_attempts_begin(a, K1, T0), ==, 2);
	mg_attempts_end(a, K1, TRUE);
	g_assert_cmpuint(mg_attempts_records(a), ==, 1); /* one in flight */
	mg_attempts_end(a, K1, TRUE);
	g_assert_cmpuint(mg_attempts_records(a), ==, 0);
	mg_attempts_free(a);
	rmtree(dir);
}

static void
test_expiry(void)
{
	g_autofree char *dir = tmpdir();
	struct mg_attempts *a = open_at(dir, T0);

	mg_attempts_begin(a, K1, T0);
	mg_attempts_begin(a, K2, T0 + 100);
	mg_attempts_free(a);
	a = open_at(dir, T0 + MG_ATTEMPTS_MAX_AGE + 1);
	g_assert_cmpuint(mg_attempts_records(a), ==, 1);
	g_assert_cmpuint(
	    mg_attempts_begin(a, K1, T0 + MG_ATTEMPTS_MAX_AGE + 1), ==, 1);
	g_assert_cmpuint(
	    mg_attempts_begin(a, K2, T0 + MG_ATTEMPTS_MAX_AGE + 1), ==, 2);
	mg_attempts_free(a);
	/* A record from the future (clock set back) is dropped too. */
	a = open_at(dir, T0);
	g_assert_cmpuint(mg_attempts_records(a), ==, 0);
	mg_attempts_free(a);
	rmtree(dir);
}

/* The file is rewritten in place by one small write per step; a record
 * torn by a crash, or anything else that does not parse, is dropped. */
static void
test_damaged_file(void)
{
	g_autofree char *dir = tmpdir();
	g_autofree char *path = g_build_filename(dir, "inflight", NULL);
	g_autofree char *text = NULL;
	g_autoptr(GString) s = g_string_new(NULL);
	struct mg_attempts *a = open_at(dir, T0);
	gsize len;
	char rec[128];
	int fd;

	mg_attempts_begin(a, K1, T0);
	mg_attempts_free(a);
	g_assert_true(g_file_get_contents(path, &text, &len, NULL));
	g_assert_cmpuint(len, ==, 128);
	g_assert_true(g_str_has_prefix(text, K1));
	g_assert_cmpint(text[127], ==, '\n');
	memcpy(rec, text, sizeof(rec));
	g_string_append_len(s, rec, sizeof(rec));
	/* Upper-case hex, a zero count, a torn record, spaces only, a
	 * negative time, a short tail. */
	g_string_append_len(s, rec, sizeof(rec));
	s->str[128] = 'A';
	g_string_append_len(s, rec, sizeof(rec));
	memcpy(s->str + 256 + 65, "0 ", 2);
	g_string_append_len(s, rec, 60);
	g_string_append_len(s, "\0\0\0\0", 4);
	g_string_append_len(s, rec + 64, 64);
	{
		char sp[128];

		memset(sp, ' ', sizeof(sp));
		sp[127] = '\n';
		g_string_append_len(s, sp, sizeof(sp));
	}
	g_string_append_printf(s, "%s 1 -5", K2);
	while (s->len % 128 != 127)
		g_string_append_c(s, ' ');
	g_string_append_c(s, '\n');
	g_string_append(s, "short");
	fd = open(path, O_WRONLY | O_TRUNC);
	g_assert_cmpint(fd, >=, 0);
	g_assert_cmpint(write(fd, s->str, s->len), ==, (ssize_t)s->len);
	close(fd);
	a = open_at(dir, T0);
	g_assert_cmpuint(mg_attempts_records(a), ==, 1);
	g_assert_cmpuint(mg_attempts_begin(a, K1, T0), ==, 2);
	g_assert_cmpuint(mg_attempts_begin(a, K2, T0), ==, 1);
	mg_attempts_free(a);
	/* Compacted at open: two records now. */
	g_free(text);
	text = NULL;
	g_assert_true(g_file_get_contents(path, &text, &len, NULL));
	g_assert_cmpuint(len, ==, 256);
	rmtree(dir);
}

/* Counts in the one-file-per-message format of earlier versions. */
static void
test_old_files(void)
{
	g_autofree char *dir = tmpdir();
	g_autofree char *old = g_build_filename(dir, K2, NULL);
	g_autofree char *junk = g_build_filename(dir, "not-a-key", NULL);
	struct mg_attempts *a;

	g_assert_true(g_file_set_contents(old, "2\n", -1, NULL));
	g_assert_true(g_file_set_contents(junk, "7\n", -1, NULL));
	a = open_at(dir, T0);
	g_assert_cmpuint(mg_attempts_records(a), ==, 1);
	g_assert_false(g_file_test(old, G_FILE_TEST_EXISTS));
	g_assert_true(g_file_test(junk, G_FILE_TEST_EXISTS));
	mg_attempts_free(a);
	rmtree(dir);
}

/* Full: the oldest record of a message not in flight makes room. */
static void
test_full(void)
{
	g_autofree char *dir = tmpdir();
	struct mg_attempts *a = open_at(dir, T0);
	char key[65];
	guint i;

	g_assert_cmpuint(mg_attempts_begin(a, K1, T0), ==, 1); /* in flight */
	for (i = 1; i < MG_ATTEMPTS_MAX_SLOTS; i++) {
		g_snprintf(key, sizeof(key), "%064x", i);
		mg_attempts_begin(a, key, T0 + i);
		mg_attempts_end(a, key, FALSE);
	}
	g_assert_cmpuint(mg_attempts_records(a), ==, MG_ATTEMPTS_MAX_SLOTS);
	g_assert_cmpuint(mg_attempts_begin(a, K2, T0 + i), ==, 1);
	g_assert_cmpuint(mg_attempts_records(a), ==, MG_ATTEMPTS_MAX_SLOTS);
	/* K1 (older, but in flight) stayed; the oldest other one went. */
	g_assert_cmpuint(mg_attempts_begin(a, K1, T0 + i), ==, 2);
	g_snprintf(key, sizeof(key), "%064x", 1);
	g_assert_cmpuint(mg_attempts_begin(a, key, T0 + i), ==, 1);
	g_snprintf(key, sizeof(key), "%064x", 3);
	g_assert_cmpuint(mg_attempts_begin(a, key, T0 + i), ==, 2);
	mg_attempts_free(a);
	rmtree(dir);
}

static void
test_unwritable(void)
{
	g_autofree char *dir = tmpdir();
	g_autofree char *sub = g_build_filename(dir, "missing", NULL);
	GError *err = NULL;

	g_assert_null(mg_attempts_open(sub, T0, &err));
	g_assert_error(err, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
	g_error_free(err);
	rmtree(dir);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/attempts/settled", test_settled);
	g_test_add_func("/attempts/crash_counts", test_crash_counts);
	g_test_add_func(
	    "/attempts/unsettled_keeps_count", test_unsettled_keeps_count);
	g_test_add_func(
	    "/attempts/same_message_twice", test_same_message_twice);
	g_test_add_func("/attempts/expiry", test_expiry);
	g_test_add_func("/attempts/damaged_file", test_damaged_file);
	g_test_add_func("/attempts/old_files", test_old_files);
	g_test_add_func("/attempts/full", test_full);
	g_test_add_func("/attempts/unwritable", test_unwritable);
	return g_test_run();
}
