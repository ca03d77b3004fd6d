/*
 * test_audit.c - the audit log's hash chain: appends, verification of
 * edited, deleted, truncated and rewritten logs, concurrent appenders,
 * rotation, crash repair, ENOSPC, and hostile lines for the reader.
 *
 * Where an edit is reported: a byte changed inside a line's values keeps
 * that line valid, so the break shows on the NEXT line, whose prev no
 * longer matches ("line 51: prev does not match line 50"); an edit that
 * breaks the line's own JSON or seq is reported on the line itself; an
 * edit of the last line is caught by the head file.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gio/gio.h>
#include <glib/gstdio.h>

#include "quarantine/mg_audit.h"

struct fixture {
	char *dir;
	char *path;
};

#define ZEROS64 \
	"0000000000000000000000000000000000000000000000000000000000000000"
#define ONES64 \
	"1111111111111111111111111111111111111111111111111111111111111111"

static void
fx_setup(struct fixture *f, gconstpointer data)
{
	GError *err = NULL;

	f->dir = g_dir_make_tmp("mg_audit_XXXXXX", &err);
	g_assert_no_error(err);
	f->path = g_build_filename(f->dir, "audit.log", NULL);
}

static void
fx_teardown(struct fixture *f, gconstpointer data)
{
	GDir *d = g_dir_open(f->dir, 0, NULL);
	const char *name;

	while (d != NULL && (name = g_dir_read_name(d)) != NULL) {
		g_autofree char *p = g_build_filename(f->dir, name, NULL);

		g_unlink(p);
	}
	if (d != NULL)
		g_dir_close(d);
	g_rmdir(f->dir);
	g_free(f->dir);
	g_free(f->path);
}

static JsonObject *
make_record(guint i)
{
	JsonObject *o = json_object_new();
	g_autofree char *qid = g_strdup_printf("Q%05u", i);

	json_object_set_string_member(o, "type", "message");
	json_object_set_string_member(o, "queue_id", qid);
	json_object_set_string_member(o, "subject", "請求書の件");
	json_object_set_int_member(o, "n", i);
	return o;
}

static void
append_n(struct mg_audit *a, guint first, guint n)
{
	guint i;

	for (i = 0; i < n; i++) {
		g_autoptr(JsonObject) o = make_record(first + i);
		g_autoptr(GError) err = NULL;

		g_assert_true(mg_audit_append(a, o, &err));
		g_assert_no_error(err);
	}
}

static void
write_log(const char *path, guint n)
{
	g_autoptr(GError) err = NULL;
	g_autoptr(mg_audit) a = mg_audit_open(path, FALSE, &err);

	g_assert_no_error(err);
	append_n(a, 1, n);
}

static char *
read_file(const char *path, gsize *len)
{
	g_autoptr(GError) err = NULL;
	char *s = NULL;

	g_assert_true(g_file_get_contents(path, &s, len, &err));
	g_assert_no_error(err);
	return s;
}

/* Write in place (same inode), so an open handle does not see a
 * rotation. */
static void
overwrite(const char *path, const char *data, gsize len)
{
	int fd = open(path, O_WRONLY | O_TRUNC);

	g_assert_cmpint(fd, >=, 0);
	g_assert_cmpint(write(fd, data, len), ==, (gssize)len);
	close(fd);
}

/* Lines of a file that ends in a newline. */
static char **
read_lines(const char *path)
{
	gsize len;
	g_autofree char *s = read_file(path, &len);
	char **v;

	g_assert_cmpuint(len, >, 0);
	g_assert_cmpint(s[len - 1], ==, '\n');
	s[len - 1] = '\0';
	v = g_strsplit(s, "\n", -1);
	return v;
}

/* Write lines 1..max of v back, leaving out line `skip` (1-based; 0:
 * none). */
static void
write_lines_n(const char *path, char **v, guint skip, guint max)
{
	GString *s = g_string_new(NULL);
	guint i;

	for (i = 0; v[i] != NULL && i < max; i++) {
		if (i + 1 == skip)
			continue;
		g_string_append(s, v[i]);
		g_string_append_c(s, '\n');
	}
	overwrite(path, s->str, s->len);
	g_string_free(s, TRUE);
}

static void
write_lines(const char *path, char **v, guint skip)
{
	write_lines_n(path, v, skip, G_MAXUINT);
}

static void
assert_broken(const char *path, const char *prefix)
{
	g_autoptr(GError) err = NULL;
	guint64 n = 0;

	g_assert_false(mg_audit_verify(path, &n, &err));
	g_assert_error(err, MG_AUDIT_ERROR, MG_AUDIT_ERROR_BROKEN);
	if (!g_str_has_prefix(err->message, prefix))
		g_error("expected \"%s…\", got \"%s\"", prefix, err->message);
}

static void
assert_ok(const char *path, guint64 count)
{
	g_autoptr(GError) err = NULL;
	guint64 n = 0;

	g_assert_true(mg_audit_verify(path, &n, &err));
	g_assert_no_error(err);
	g_assert_cmpuint(n, ==, count);
}

static JsonObject *
parse_object(const char *line)
{
	g_autoptr(JsonParser) p = json_parser_new();
	g_autoptr(GError) err = NULL;

	g_assert_true(json_parser_load_from_data(p, line, -1, &err));
	g_assert_no_error(err);
	return json_object_ref(json_node_get_object(json_parser_get_root(p)));
}

static void
test_append_verify(struct fixture *f, gconstpointer data)
{
	g_autoptr(GError) err = NULL;
	g_autoptr(mg_audit) a = mg_audit_open(f->path, TRUE, &err);
	g_autoptr(JsonObject) rec = make_record(0);
	g_autoptr(GRegex) time_re =
	    g_regex_new("^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{6}Z$",
	        0, 0, NULL);
	g_auto(GStrv) lines = NULL;
	g_autofree char *head_path = g_strconcat(f->path, ".head", NULL);
	g_autofree char *head = NULL, *prev = NULL, *want_head = NULL;
	struct stat st;
	guint i;

	g_assert_no_error(err);
	g_assert_nonnull(a);
	g_assert_cmpuint(mg_audit_last_seq(a), ==, 0);
	/* The caller's object is copied, not changed. */
	g_assert_true(mg_audit_append(a, rec, &err));
	g_assert_false(json_object_has_member(rec, "seq"));
	append_n(a, 1, 99);
	g_assert_cmpuint(mg_audit_last_seq(a), ==, 100);
	assert_ok(f->path, 100);

	g_assert_cmpint(stat(f->path, &st), ==, 0);
	g_assert_cmpuint(st.st_mode & 0777, ==, 0600);
	g_assert_cmpint(stat(head_path, &st), ==, 0);
	g_assert_cmpuint(st.st_mode & 0777, ==, 0600);

	lines = read_lines(f->path);
	g_assert_cmpuint(g_strv_length(lines), ==, 100);
	prev = g_strnfill(64, '0');
	for (i = 0; i < 100; i++) {
		g_autoptr(JsonObject) o = parse_object(lines[i]);
		GList *names = json_object_get_members(o);

		/* seq, time, prev come first, then the caller's members. */
		g_assert_cmpstr(g_list_nth_data(names, 0), ==, "seq");
		g_assert_cmpstr(g_list_nth_data(names, 1), ==, "time");
		g_assert_cmpstr(g_list_nth_data(names, 2), ==, "prev");
		g_assert_cmpstr(g_list_nth_data(names, 3), ==, "type");
		g_list_free(names);
		g_assert_cmpint(
		    json_object_get_int_member(o, "seq"), ==, i + 1);
		g_assert_cmpint(json_object_get_int_member(o, "n"), ==, i);
		g_assert_true(g_regex_match(time_re,
		    json_object_get_string_member(o, "time"), 0, NULL));
		g_assert_cmpstr(
		    json_object_get_string_member(o, "prev"), ==, prev);
		g_free(prev);
		prev = g_compute_checksum_for_string(
		    G_CHECKSUM_SHA256, lines[i], -1);
	}
	head = read_file(head_path, NULL);
	want_head = g_strdup_printf("{\"seq\":100,\"sha256\":\"%s\"}\n", prev);
	g_assert_cmpstr(head, ==, want_head);
}

static void
test_edit(struct fixture *f, gconstpointer data)
{
	g_auto(GStrv) lines = NULL;
	char *p;

	write_log(f->path, 100);
	lines = read_lines(f->path);
	/* A byte inside a value of line 50: the line still parses, the
	 * chain breaks at line 51. */
	p = strstr(lines[49], "Q00050");
	g_assert_nonnull(p);
	p[5] = '1';
	write_lines(f->path, lines, 0);
	assert_broken(f->path,
	    "line 51: prev does not match line 50 (edited or deleted line)");
	/* Undone, it verifies again. */
	p[5] = '0';
	write_lines(f->path, lines, 0);
	assert_ok(f->path, 100);
	/* An edit that breaks the line itself is reported on that line. */
	lines[49][0] = '[';
	write_lines(f->path, lines, 0);
	assert_broken(f->path, "line 50: not a JSON object");
	lines[49][0] = '{';
	/* So is a changed seq. */
	p = strstr(lines[49], "\"seq\":50");
	g_assert_nonnull(p);
	p[7] = '1';
	write_lines(f->path, lines, 0);
	assert_broken(f->path, "line 50: seq 51 follows seq 49 on line 49");
}

static void
test_delete_line(struct fixture *f, gconstpointer data)
{
	g_auto(GStrv) lines = NULL;

	write_log(f->path, 100);
	lines = read_lines(f->path);
	write_lines(f->path, lines, 30);
	assert_broken(f->path, "line 30: seq 31 follows seq 29 on line 29 "
	                       "(1 missing: deleted lines)");
	/* The first line deleted: seq 2 with no predecessor given; its
	 * prev is not zeros, so it looks like a rotated file's start; the
	 * head still matches, so only the summary tells. */
	write_lines(f->path, lines, 1);
	{
		g_autoptr(GError) err = NULL;
		struct mg_audit_summary sum;
		const char *paths[] = {f->path};

		g_assert_true(mg_audit_verify_files(paths, 1, 0, &sum, &err));
		g_assert_no_error(err);
		g_assert_cmpuint(sum.first_seq, ==, 2);
		g_assert_cmpuint(sum.records, ==, 99);
	}
	/* Two lines swapped. */
	{
		char *t = lines[40];

		lines[40] = lines[41];
		lines[41] = t;
	}
	write_lines(f->path, lines, 0);
	assert_broken(f->path, "line 41: seq 42 follows seq 40 on line 40");
}

static void
test_truncate_mid_line(struct fixture *f, gconstpointer data)
{
	gsize len;
	g_autofree char *s = NULL;

	write_log(f->path, 100);
	s = read_file(f->path, &len);
	overwrite(f->path, s, len - 20);
	assert_broken(f->path, "line 100: no newline at the end of the file");
	/* Only the newline missing. */
	overwrite(f->path, s, len - 1);
	assert_broken(f->path, "line 100: no newline at the end of the file");
}

static void
test_truncate_boundary(struct fixture *f, gconstpointer data)
{
	g_auto(GStrv) lines = NULL;

	write_log(f->path, 100);
	lines = read_lines(f->path);
	write_lines_n(f->path, lines, 0, 97);
	/* The chain itself is intact: only the head file shows it. */
	assert_broken(f->path,
	    "line 97: the last record is seq 97 but the head file says seq "
	    "100: the last 3 records were removed (file truncated)");
	/* All lines removed. */
	overwrite(f->path, "", 0);
	assert_ok(f->path, 0);
}

static void
test_rewrite_last(struct fixture *f, gconstpointer data)
{
	g_auto(GStrv) lines = NULL;
	char *p;

	write_log(f->path, 100);
	lines = read_lines(f->path);
	p = strstr(lines[99], "Q00100");
	g_assert_nonnull(p);
	p[1] = '9';
	write_lines(f->path, lines, 0);
	assert_broken(f->path, "line 100: the last record does not match the "
	                       "head file's hash (the last line was "
	                       "rewritten)");
}

static void
test_head_missing(struct fixture *f, gconstpointer data)
{
	g_autofree char *head = g_strconcat(f->path, ".head", NULL);
	g_autoptr(GError) err = NULL;
	struct mg_audit_summary sum;
	const char *paths[] = {f->path};

	/* A new, empty log has no head yet: fine. */
	mg_audit_close(mg_audit_open(f->path, FALSE, &err));
	g_assert_no_error(err);
	assert_ok(f->path, 0);
	write_log(f->path, 5);
	g_assert_cmpint(g_unlink(head), ==, 0);
	assert_broken(f->path, "head file missing");
	g_assert_true(mg_audit_verify_files(
	    paths, 1, MG_AUDIT_VERIFY_NO_HEAD, &sum, &err));
	g_assert_no_error(err);
	g_assert_false(sum.head_checked);
	g_assert_cmpuint(sum.records, ==, 5);
	/* The appender refuses too: writing on would make a new head
	 * that hides whatever was removed. */
	g_assert_null(mg_audit_open(f->path, FALSE, &err));
	g_assert_error(err, MG_AUDIT_ERROR, MG_AUDIT_ERROR_BROKEN);
	g_clear_error(&err);
	/* A damaged head file. */
	g_assert_true(g_file_set_contents(head, "{\"seq\":\"5\"}\n", -1, NULL));
	assert_broken(f->path, "head file ");
	g_assert_null(mg_audit_open(f->path, FALSE, &err));
	g_assert_error(err, MG_AUDIT_ERROR, MG_AUDIT_ERROR_BROKEN);
}

static void
test_missing_file(struct fixture *f, gconstpointer data)
{
	g_autoptr(GError) err = NULL;
	g_autofree char *sub =
	    g_build_filename(f->dir, "no", "audit.log", NULL);

	g_assert_false(mg_audit_verify(f->path, NULL, &err));
	g_assert_error(err, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
	g_clear_error(&err);
	/* The parent directory must exist. */
	g_assert_null(mg_audit_open(sub, FALSE, &err));
	g_assert_error(err, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
}

#define WORKERS 4
#define PER_WORKER 50

static void
test_concurrent(struct fixture *f, gconstpointer data)
{
	g_autoptr(GError) err = NULL;
	g_autoptr(mg_audit) shared = mg_audit_open(f->path, FALSE, &err);
	g_auto(GStrv) lines = NULL;
	guint counts[WORKERS] = {0};
	pid_t pids[WORKERS];
	int i, status;

	g_assert_no_error(err);
	for (i = 0; i < WORKERS; i++) {
		pids[i] = fork();
		g_assert_cmpint(pids[i], >=, 0);
		if (pids[i] == 0) {
			struct mg_audit *a = shared, *own = NULL;
			int j, rc = 0;

			/* Half the workers use the handle opened before the
			 * fork (pre-forked workers), half open their own. */
			if (i % 2 == 1)
				a = own = mg_audit_open(f->path, FALSE, NULL);
			for (j = 0; a != NULL && j < PER_WORKER; j++) {
				JsonObject *o = json_object_new();

				json_object_set_int_member(o, "worker", i);
				json_object_set_int_member(o, "j", j);
				if (!mg_audit_append(a, o, NULL))
					rc = 1;
				json_object_unref(o);
			}
			mg_audit_close(own);
			_exit(a == NULL ? 2 : rc);
		}
	}
	for (i = 0; i < WORKERS; i++) {
		g_assert_cmpint(waitpid(pids[i], &status, 0), ==, pids[i]);
		g_assert_true(WIFEXITED(status));
		g_assert_cmpint(WEXITSTATUS(status), ==, 0);
	}
	assert_ok(f->path, WORKERS * PER_WORKER);
	lines = read_lines(f->path);
	g_assert_cmpuint(g_strv_length(lines), ==, WORKERS * PER_WORKER);
	for (i = 0; i < WORKERS * PER_WORKER; i++) {
		g_autoptr(JsonObject) o = parse_object(lines[i]);
		gint64 w = json_object_get_int_member(o, "worker");

		g_assert_cmpint(
		    json_object_get_int_member(o, "seq"), ==, i + 1);
		g_assert_cmpint(w, >=, 0);
		g_assert_cmpint(w, <, WORKERS);
		/* Each worker's records in its own order. */
		g_assert_cmpint(
		    json_object_get_int_member(o, "j"), ==, counts[w]);
		counts[w]++;
	}
	for (i = 0; i < WORKERS; i++)
		g_assert_cmpuint(counts[i], ==, PER_WORKER);
	/* The parent's handle notices the others' records. */
	append_n(shared, 0, 1);
	g_assert_cmpuint(mg_audit_last_seq(shared), ==, 201);
	assert_ok(f->path, 201);
}

/* Two handles in one process take turns: each must notice the other's
 * appends through the file's size and mtime. */
static void
test_two_handles(struct fixture *f, gconstpointer data)
{
	g_autoptr(GError) err = NULL;
	g_autoptr(mg_audit) a = mg_audit_open(f->path, FALSE, &err);
	g_autoptr(mg_audit) b = mg_audit_open(f->path, FALSE, &err);
	guint i;

	g_assert_no_error(err);
	for (i = 0; i < 20; i++)
		append_n(i % 3 == 0 ? a : b, i, 1);
	assert_ok(f->path, 20);
}

static void
test_rotation(struct fixture *f, gconstpointer data)
{
	g_autoptr(GError) err = NULL;
	g_autoptr(mg_audit) a = mg_audit_open(f->path, FALSE, &err);
	g_autofree char *old = g_strconcat(f->path, ".1", NULL);
	g_autofree char *older = g_strconcat(f->path, ".2", NULL);
	struct mg_audit_summary sum;
	const char *both[] = {old, f->path};
	const char *reversed[] = {f->path, old};
	const char *only_new[] = {f->path};
	const char *only_old[] = {old};

	g_assert_no_error(err);
	append_n(a, 1, 10);
	g_assert_cmpint(g_rename(f->path, old), ==, 0);
	/* The handle notices the rename and creates a new file that
	 * continues the chain. */
	append_n(a, 11, 5);
	g_assert_cmpuint(mg_audit_last_seq(a), ==, 15);

	g_assert_true(mg_audit_verify_files(both, 2, 0, &sum, &err));
	g_assert_no_error(err);
	g_assert_cmpuint(sum.records, ==, 15);
	g_assert_cmpuint(sum.first_seq, ==, 1);
	g_assert_cmpuint(sum.last_seq, ==, 15);
	g_assert_true(sum.head_checked);
	g_assert_cmpuint(sum.head_seq, ==, 15);

	/* The new file alone: its own chain and the head; the summary
	 * says it continues an earlier file at seq 11. */
	g_assert_true(mg_audit_verify_files(only_new, 1, 0, &sum, &err));
	g_assert_no_error(err);
	g_assert_cmpuint(sum.records, ==, 5);
	g_assert_cmpuint(sum.first_seq, ==, 11);
	g_assert_cmpuint(sum.head_seq, ==, 15);

	/* The old file alone has no head of its own. */
	g_assert_false(mg_audit_verify_files(only_old, 1, 0, &sum, &err));
	g_assert_error(err, MG_AUDIT_ERROR, MG_AUDIT_ERROR_BROKEN);
	g_assert_true(strstr(err->message, "head file missing") != NULL);
	g_clear_error(&err);
	g_assert_true(mg_audit_verify_files(
	    only_old, 1, MG_AUDIT_VERIFY_NO_HEAD, &sum, &err));
	g_assert_no_error(err);
	g_assert_cmpuint(sum.records, ==, 10);

	/* Out of order. */
	g_assert_false(mg_audit_verify_files(reversed, 2, 0, &sum, &err));
	g_assert_error(err, MG_AUDIT_ERROR, MG_AUDIT_ERROR_BROKEN);
	g_assert_true(g_str_has_prefix(err->message, old));
	g_assert_true(strstr(err->message, "line 1: seq 1 does not follow "
	                                   "seq 15") != NULL);
	g_clear_error(&err);

	/* A second rotation, then a fresh handle (another process) writes
	 * to a new file created by logrotate's "create". */
	g_assert_cmpint(g_rename(old, older), ==, 0);
	g_assert_cmpint(g_rename(f->path, old), ==, 0);
	g_assert_true(g_file_set_contents(f->path, "", 0, NULL));
	{
		const char *three[] = {older, old, f->path};
		const char *gap[] = {older, f->path};
		g_autoptr(mg_audit) b = mg_audit_open(f->path, FALSE, &err);

		g_assert_no_error(err);
		/* The empty new file and the head: fine before any record. */
		g_assert_true(mg_audit_verify_files(three, 3, 0, &sum, &err));
		g_assert_no_error(err);
		g_assert_cmpuint(sum.records, ==, 15);
		append_n(b, 16, 3);
		g_assert_true(mg_audit_verify_files(three, 3, 0, &sum, &err));
		g_assert_no_error(err);
		g_assert_cmpuint(sum.records, ==, 18);
		g_assert_cmpuint(sum.head_seq, ==, 18);
		/* A file missing from the sequence. */
		g_assert_false(mg_audit_verify_files(gap, 2, 0, &sum, &err));
		g_assert_error(err, MG_AUDIT_ERROR, MG_AUDIT_ERROR_BROKEN);
		g_assert_true(
		    strstr(err->message,
		        "line 1: seq 16 does not follow seq 10") != NULL);
		g_clear_error(&err);
	}
	/* The first handle still writes to the renamed file: it must
	 * notice and continue at the path, after the other's record. */
	append_n(a, 19, 1);
	g_assert_cmpuint(mg_audit_last_seq(a), ==, 19);
	assert_ok(f->path, 4);
}

static void
test_japanese_newlines(struct fixture *f, gconstpointer data)
{
	g_autoptr(GError) err = NULL;
	g_autoptr(mg_audit) a = mg_audit_open(f->path, FALSE, &err);
	g_auto(GStrv) lines = NULL;
	const char *subject = "件名: テスト\n二行目\r\n\t終わり\x1b[31m\u2028";
	const char *bad = "bad \xff\xfe utf-8 \xe3\x81";
	guint i;

	g_assert_no_error(err);
	for (i = 0; i < 3; i++) {
		g_autoptr(JsonObject) o = json_object_new();
		g_autoptr(JsonArray) arr = json_array_new();

		json_object_set_string_member(o, "subject", subject);
		json_object_set_string_member(o, "キー\n改行", "値");
		json_object_set_string_member(o, "bad", bad);
		json_object_set_double_member(o, "nan", NAN);
		json_array_add_string_element(arr, "添付\nファイル.pdf");
		json_array_add_null_element(arr);
		json_object_set_array_member(o, "parts", json_array_ref(arr));
		g_assert_true(mg_audit_append(a, o, &err));
		g_assert_no_error(err);
	}
	assert_ok(f->path, 3);
	lines = read_lines(f->path);
	g_assert_cmpuint(g_strv_length(lines), ==, 3);
	for (i = 0; i < 3; i++) {
		g_autoptr(JsonObject) o = parse_object(lines[i]);
		g_autofree char *fixed = g_utf8_make_valid(bad, -1);
		JsonArray *arr;

		g_assert_true(g_utf8_validate(lines[i], -1, NULL));
		g_assert_cmpstr(
		    json_object_get_string_member(o, "subject"), ==, subject);
		g_assert_cmpstr(
		    json_object_get_string_member(o, "キー\n改行"), ==, "値");
		g_assert_cmpstr(
		    json_object_get_string_member(o, "bad"), ==, fixed);
		g_assert_true(json_object_get_null_member(o, "nan"));
		arr = json_object_get_array_member(o, "parts");
		g_assert_cmpstr(json_array_get_string_element(arr, 0), ==,
		    "添付\nファイル.pdf");
	}
}

static void
test_record_errors(struct fixture *f, gconstpointer data)
{
	g_autoptr(GError) err = NULL;
	g_autoptr(mg_audit) a = mg_audit_open(f->path, FALSE, &err);
	static const char *const reserved[] = {"seq", "time", "prev"};
	gsize len0, len1;
	g_autofree char *before = NULL, *after = NULL;
	guint i;

	g_assert_no_error(err);
	append_n(a, 1, 2);
	before = read_file(f->path, &len0);
	for (i = 0; i < G_N_ELEMENTS(reserved); i++) {
		g_autoptr(JsonObject) o = make_record(9);

		json_object_set_int_member(o, reserved[i], 1);
		g_assert_false(mg_audit_append(a, o, &err));
		g_assert_error(err, MG_AUDIT_ERROR, MG_AUDIT_ERROR_RECORD);
		g_clear_error(&err);
	}
	{
		g_autoptr(JsonObject) o = make_record(9);
		g_autofree char *big = g_strnfill(MG_AUDIT_MAX_LINE, 'x');

		json_object_set_string_member(o, "big", big);
		g_assert_false(mg_audit_append(a, o, &err));
		g_assert_error(err, MG_AUDIT_ERROR, MG_AUDIT_ERROR_RECORD);
		g_clear_error(&err);
	}
	{
		g_autoptr(JsonObject) o = make_record(9);
		JsonArray *inner = json_array_new(), *outer;

		for (i = 0; i < MG_AUDIT_MAX_DEPTH + 5; i++) {
			outer = json_array_new();
			json_array_add_array_element(outer, inner);
			inner = outer;
		}
		json_object_set_array_member(o, "deep", inner);
		g_assert_false(mg_audit_append(a, o, &err));
		g_assert_error(err, MG_AUDIT_ERROR, MG_AUDIT_ERROR_RECORD);
		g_clear_error(&err);
	}
	after = read_file(f->path, &len1);
	g_assert_cmpmem(before, len0, after, len1);
	/* Nesting within the limit is fine and verifies. */
	{
		g_autoptr(JsonObject) o = make_record(9);
		JsonArray *inner = json_array_new(), *outer;

		for (i = 0; i < MG_AUDIT_MAX_DEPTH - 2; i++) {
			outer = json_array_new();
			json_array_add_array_element(outer, inner);
			inner = outer;
		}
		json_object_set_array_member(o, "deep", inner);
		g_assert_true(mg_audit_append(a, o, &err));
		g_assert_no_error(err);
	}
	append_n(a, 4, 1);
	assert_ok(f->path, 4);
}

/*
 * A child with RLIMIT_FSIZE just above (or at) the log's size appends:
 * the write is short (or fails with EFBIG), append returns FALSE, and
 * the log is as it was.  SIGXFSZ is ignored, as a daemon must.
 */
static void
enospc_child(const char *path, struct mg_audit *a, rlim_t extra)
{
	struct stat st;
	struct rlimit rl;
	JsonObject *o;
	GError *err = NULL;
	gboolean ok;
	off_t size;

	signal(SIGXFSZ, SIG_IGN);
	if (stat(path, &st) < 0)
		_exit(10);
	size = st.st_size;
	rl.rlim_cur = rl.rlim_max = (rlim_t)size + extra;
	if (setrlimit(RLIMIT_FSIZE, &rl) < 0)
		_exit(11);
	o = make_record(777);
	json_object_set_string_member(o, "padding", "0123456789abcdef");
	ok = mg_audit_append(a, o, &err);
	json_object_unref(o);
	if (ok || err == NULL || err->domain != G_IO_ERROR)
		_exit(12);
	g_error_free(err);
	if (stat(path, &st) < 0 || st.st_size != size)
		_exit(13);
	_exit(0);
}

static void
test_enospc(struct fixture *f, gconstpointer data)
{
	g_autoptr(GError) err = NULL;
	g_autoptr(mg_audit) a = mg_audit_open(f->path, TRUE, &err);
	rlim_t extras[] = {40, 0};
	guint i;
	int status;

	g_assert_no_error(err);
	append_n(a, 1, 10);
	for (i = 0; i < G_N_ELEMENTS(extras); i++) {
		pid_t pid = fork();

		g_assert_cmpint(pid, >=, 0);
		if (pid == 0)
			enospc_child(f->path, a, extras[i]);
		g_assert_cmpint(waitpid(pid, &status, 0), ==, pid);
		g_assert_true(WIFEXITED(status));
		g_assert_cmpint(WEXITSTATUS(status), ==, 0);
		assert_ok(f->path, 10);
	}
	/* The parent's handle goes on. */
	append_n(a, 11, 2);
	assert_ok(f->path, 12);
}

/* A crash in the middle of write(2): a partial last line after a line
 * that matches the head is cut off by the next open. */
static void
test_crash_torn(struct fixture *f, gconstpointer data)
{
	g_autoptr(GError) err = NULL;
	gsize len;
	g_autofree char *s = NULL;
	GString *torn;

	write_log(f->path, 5);
	s = read_file(f->path, &len);
	torn = g_string_new_len(s, (gssize)len);
	g_string_append(torn, "{\"seq\":6,\"time\":\"2026-");
	overwrite(f->path, torn->str, torn->len);
	g_string_free(torn, TRUE);
	assert_broken(f->path, "line 6: no newline");
	{
		g_autoptr(mg_audit) a = mg_audit_open(f->path, TRUE, &err);

		g_assert_no_error(err);
		assert_ok(f->path, 5);
		append_n(a, 6, 1);
	}
	assert_ok(f->path, 6);
}

/* A crash between the log's write and the head's rename: the log is
 * one record ahead of its head. */
static void
test_crash_head_lag(struct fixture *f, gconstpointer data)
{
	g_autoptr(GError) err = NULL;
	g_autofree char *head = g_strconcat(f->path, ".head", NULL);
	g_autofree char *saved = NULL;

	write_log(f->path, 5);
	saved = read_file(head, NULL);
	write_log(f->path, 1);
	g_assert_true(g_file_set_contents(head, saved, -1, NULL));
	assert_broken(f->path,
	    "line 6: the last record is seq 6 but the head file says seq 5: "
	    "the head is behind the log");
	{
		g_autoptr(mg_audit) a = mg_audit_open(f->path, FALSE, &err);

		g_assert_no_error(err);
		append_n(a, 7, 1);
	}
	assert_ok(f->path, 7);
	/* Two records ahead is not a crash: refused. */
	g_free(saved);
	saved = read_file(head, NULL);
	write_log(f->path, 2);
	g_assert_true(g_file_set_contents(head, saved, -1, NULL));
	g_assert_null(mg_audit_open(f->path, FALSE, &err));
	g_assert_error(err, MG_AUDIT_ERROR, MG_AUDIT_ERROR_BROKEN);
}

/* Tampering found by the appender: it refuses instead of writing a new
 * head over the evidence. */
static void
test_refuse_tampered(struct fixture *f, gconstpointer data)
{
	g_autoptr(GError) err = NULL;
	g_autoptr(mg_audit) a = mg_audit_open(f->path, FALSE, &err);
	g_auto(GStrv) lines = NULL;
	gsize len;
	g_autofree char *s = NULL;

	g_assert_no_error(err);
	append_n(a, 1, 10);
	lines = read_lines(f->path);
	write_lines_n(f->path, lines, 0, 8);
	{
		g_autoptr(JsonObject) o = make_record(11);

		g_assert_false(mg_audit_append(a, o, &err));
	}
	g_assert_error(err, MG_AUDIT_ERROR, MG_AUDIT_ERROR_BROKEN);
	g_assert_true(strstr(err->message, "seq 8 but the head file says "
	                                   "seq 10") != NULL);
	g_clear_error(&err);
	g_assert_null(mg_audit_open(f->path, FALSE, &err));
	g_assert_error(err, MG_AUDIT_ERROR, MG_AUDIT_ERROR_BROKEN);
	g_clear_error(&err);
	/* Cut in the middle of the last line (seq 8): the complete line
	 * before it (seq 7) does not match the head: refused, not
	 * "repaired". */
	s = read_file(f->path, &len);
	overwrite(f->path, s, len - 10);
	g_assert_null(mg_audit_open(f->path, FALSE, &err));
	g_assert_error(err, MG_AUDIT_ERROR, MG_AUDIT_ERROR_BROKEN);
	g_clear_error(&err);
	/* The evidence is left as it was. */
	{
		gsize len2;

		g_free(read_file(f->path, &len2));
		g_assert_cmpuint(len2, ==, len - 10);
	}
}

static void
test_tail(struct fixture *f, gconstpointer data)
{
	g_autoptr(GError) err = NULL;
	g_autoptr(GPtrArray) t = NULL;
	g_autofree char *big = NULL;
	guint i;

	write_log(f->path, 20);
	t = mg_audit_tail(f->path, 3, &err);
	g_assert_no_error(err);
	g_assert_cmpuint(t->len, ==, 3);
	for (i = 0; i < 3; i++) {
		g_autoptr(JsonObject) o = parse_object(t->pdata[i]);

		g_assert_cmpint(
		    json_object_get_int_member(o, "seq"), ==, 18 + i);
	}
	g_clear_pointer(&t, g_ptr_array_unref);
	t = mg_audit_tail(f->path, 100, &err);
	g_assert_no_error(err);
	g_assert_cmpuint(t->len, ==, 20);
	g_clear_pointer(&t, g_ptr_array_unref);
	t = mg_audit_tail(f->path, 0, &err);
	g_assert_no_error(err);
	g_assert_cmpuint(t->len, ==, 0);
	g_clear_pointer(&t, g_ptr_array_unref);

	/* Records larger than the first window read backwards. */
	{
		g_autoptr(mg_audit) a = mg_audit_open(f->path, FALSE, &err);

		big = g_strnfill(100000, 'y');
		for (i = 0; i < 3; i++) {
			g_autoptr(JsonObject) o = make_record(21 + i);

			json_object_set_string_member(o, "big", big);
			g_assert_true(mg_audit_append(a, o, &err));
		}
		append_n(a, 24, 1);
	}
	assert_ok(f->path, 24);
	t = mg_audit_tail(f->path, 5, &err);
	g_assert_no_error(err);
	g_assert_cmpuint(t->len, ==, 5);
	g_assert_true(g_str_has_prefix(t->pdata[0], "{\"seq\":20,"));
	g_assert_true(g_str_has_prefix(t->pdata[1], "{\"seq\":21,"));
	g_assert_true(g_str_has_prefix(t->pdata[4], "{\"seq\":24,"));
	g_clear_pointer(&t, g_ptr_array_unref);

	/* A partial last line is shown as the last of the n. */
	{
		gsize len;
		g_autofree char *s = read_file(f->path, &len);
		GString *g = g_string_new_len(s, (gssize)len);

		g_string_append(g, "{\"partial");
		overwrite(f->path, g->str, g->len);
		g_string_free(g, TRUE);
	}
	t = mg_audit_tail(f->path, 2, &err);
	g_assert_no_error(err);
	g_assert_cmpuint(t->len, ==, 2);
	g_assert_true(g_str_has_prefix(t->pdata[0], "{\"seq\":24,"));
	g_assert_cmpstr(t->pdata[1], ==, "{\"partial");
}

/* Lines an attacker may write, for the reader. */
static void
test_hostile(struct fixture *f, gconstpointer data)
{
	g_autofree char *head = g_strconcat(f->path, ".head", NULL);
	struct {
		const char *line;
		const char *error;
	} cases[] = {
	    {"", "line 1: empty line"},
	    {"[]", "line 1: not a JSON object"},
	    {"{\"seq\":1,", "line 1: not a JSON object"},
	    {"{\"seq\":\"1\",\"time\":\"t\",\"prev\":\"0\"}",
	        "line 1: no integer seq"},
	    {"{\"seq\":0,\"time\":\"t\",\"prev\":\"0\"}",
	        "line 1: seq is not positive"},
	    {"{\"seq\":1,\"prev\":\"0\"}", "line 1: no time"},
	    {"{\"seq\":1,\"time\":\"t\",\"prev\":\"ABC\"}",
	        "line 1: prev is not a SHA-256"},
	    {"{\"seq\":1,\"time\":\"t\",\"prev\":\"\xff\"}",
	        "line 1: not valid UTF-8"},
	    {"{\"seq\":2,\"time\":\"t\",\"prev\":\"" ZEROS64 "\"}",
	        "line 1: seq 2 has the all-zero prev"},
	    {"{\"seq\":1,\"time\":\"t\",\"prev\":\"" ONES64 "\"}",
	        "line 1: the first record (seq 1) has a prev other"},
	};
	g_autofree char *deep = NULL;
	guint i;

	g_unlink(head);
	for (i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autofree char *s = g_strconcat(cases[i].line, "\n", NULL);

		g_assert_true(g_file_set_contents(f->path, s, -1, NULL));
		assert_broken(f->path, cases[i].error);
	}
	/* A megabyte of "[": refused before json-glib recurses. */
	deep = g_strnfill(MG_AUDIT_MAX_LINE, '[');
	deep[MG_AUDIT_MAX_LINE - 1] = '\n';
	g_assert_true(
	    g_file_set_contents(f->path, deep, MG_AUDIT_MAX_LINE, NULL));
	assert_broken(f->path, "line 1: nested too deeply");
	/* Longer than a line may be. */
	g_free(deep);
	deep = g_strnfill(MG_AUDIT_MAX_LINE + 10, ' ');
	deep[MG_AUDIT_MAX_LINE + 9] = '\n';
	g_assert_true(
	    g_file_set_contents(f->path, deep, MG_AUDIT_MAX_LINE + 10, NULL));
	assert_broken(f->path, "line 1: longer than");
	/* The appender refuses what it cannot read back. */
	{
		g_autoptr(GError) err = NULL;
		g_autoptr(GPtrArray) t = NULL;

		g_assert_null(mg_audit_open(f->path, FALSE, &err));
		g_assert_error(err, MG_AUDIT_ERROR, MG_AUDIT_ERROR_BROKEN);
		g_clear_error(&err);
		/* So does tail: the line is longer than the limit. */
		t = mg_audit_tail(f->path, 1, &err);
		g_assert_null(t);
		g_assert_error(err, MG_AUDIT_ERROR, MG_AUDIT_ERROR_BROKEN);
	}
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
#define ADD(name, fn) \
	g_test_add(   \
	    "/audit/" name, struct fixture, NULL, fx_setup, fn, fx_teardown)
	ADD("append-verify", test_append_verify);
	ADD("edit", test_edit);
	ADD("delete-line", test_delete_line);
	ADD("truncate-mid-line", test_truncate_mid_line);
	ADD("truncate-boundary", test_truncate_boundary);
	ADD("rewrite-last", test_rewrite_last);
	ADD("head-missing", test_head_missing);
	ADD("missing-file", test_missing_file);
	ADD("concurrent", test_concurrent);
	ADD("two-handles", test_two_handles);
	ADD("rotation", test_rotation);
	ADD("japanese-newlines", test_japanese_newlines);
	ADD("record-errors", test_record_errors);
	ADD("enospc", test_enospc);
	ADD("crash-torn", test_crash_torn);
	ADD("crash-head-lag", test_crash_head_lag);
	ADD("refuse-tampered", test_refuse_tampered);
	ADD("tail", test_tail);
	ADD("hostile", test_hostile);
	return g_test_run();
}
