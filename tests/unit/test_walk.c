/* Unit tests: the walk and the engine's output, through the public API
 * (mugaika_sanitize_fd) with a private config and quarantine. */
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <gmime/gmime.h>
#include <json-glib/json-glib.h>

#include "mugaika.h"

struct fixture {
	char *dir;
	char *conf;
	mugaika_engine *engine;
};

static void
rm_rf(const char *path)
{
	GDir *d = g_dir_open(path, 0, NULL);
	const char *n;

	if (d != NULL) {
		while ((n = g_dir_read_name(d)) != NULL) {
			g_autofree char *p = g_build_filename(path, n, NULL);

			if (g_file_test(p, G_FILE_TEST_IS_DIR) &&
			    !g_file_test(p, G_FILE_TEST_IS_SYMLINK))
				rm_rf(p);
			else
				unlink(p);
		}
		g_dir_close(d);
	}
	rmdir(path);
}

static void
setup(struct fixture *f, const char *extra)
{
	const char *src = g_getenv("MUGAIKA_SOURCE_DIR");
	g_autoptr(GError) err = NULL;
	g_autofree char *text = NULL;

	g_assert_nonnull(src);
	f->dir = g_dir_make_tmp("mugaika-walk-XXXXXX", &err);
	g_assert_no_error(err);
	f->conf = g_build_filename(f->dir, "test.conf", NULL);
	text = g_strdup_printf("[quarantine]\ndir = %s/q\n"
	                       "[notice]\ntemplates = %s/conf/templates\n"
	                       "[scan]\ndatabase = %s/corpus/signatures\n"
	                       "%s",
	    f->dir, src, src, extra != NULL ? extra : "");
	g_assert_true(g_file_set_contents(f->conf, text, -1, NULL));
	f->engine = mugaika_engine_new(f->conf, &err);
	g_assert_no_error(err);
}

static void
teardown(struct fixture *f)
{
	mugaika_engine_free(f->engine);
	rm_rf(f->dir);
	g_free(f->dir);
	g_free(f->conf);
}

static mugaika_result *
run(struct fixture *f, const char *msg, gssize len)
{
	g_autoptr(GError) err = NULL;
	g_autofree char *path = g_build_filename(f->dir, "in.eml", NULL);
	mugaika_result *r;
	int fd;

	g_assert_true(g_file_set_contents(path, msg, len, NULL));
	fd = open(path, O_RDONLY);
	g_assert_cmpint(fd, >=, 0);
	r = mugaika_sanitize_fd(f->engine, fd, NULL, &err);
	g_assert_no_error(err);
	close(fd);
	return r;
}

/* The whole output message as written by the CLI, and its decoded body. */
static char *
output(struct fixture *f, const mugaika_result *r, char **body_r)
{
	g_autofree char *path = g_build_filename(f->dir, "out.eml", NULL);
	g_autoptr(GError) err = NULL;
	char *text = NULL;
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	g_assert_true(mugaika_result_write_message(r, fd, &err));
	g_assert_no_error(err);
	close(fd);
	g_assert_true(g_file_get_contents(path, &text, NULL, NULL));
	if (body_r != NULL) {
		GMimeStream *s =
		    g_mime_stream_mem_new_with_buffer(text, strlen(text));
		GMimeParser *p = g_mime_parser_new_with_stream(s);
		GMimeMessage *m = g_mime_parser_construct_message(p, NULL);
		GMimeObject *body;
		g_autofree char *t = NULL;

		g_assert_nonnull(m);
		body = g_mime_message_get_mime_part(m);
		g_assert_true(GMIME_IS_TEXT_PART(body));
		t = g_mime_text_part_get_text(GMIME_TEXT_PART(body));
		*body_r = g_steal_pointer(&t);
		g_object_unref(m);
		g_object_unref(p);
		g_object_unref(s);
	}
	return text;
}

static JsonObject *
report(const mugaika_result *r, JsonParser **parser_r)
{
	JsonParser *p = json_parser_new();
	g_autoptr(GError) err = NULL;

	json_parser_load_from_data(p, mugaika_result_report_json(r), -1, &err);
	g_assert_no_error(err);
	*parser_r = p;
	return json_node_get_object(json_parser_get_root(p));
}

static void
test_plain_clean(void)
{
	struct fixture f;
	mugaika_result *r;
	g_autofree char *out = NULL, *body = NULL;

	setup(&f, NULL);
	r = run(&f,
	    "From: a@example.jp\nTo: b@example.lg.jp\nSubject: hi\n"
	    "X-Mugaika: clean; forged\nX-Mugaika-Score: 0\n"
	    "Content-Type: text/plain; charset=us-ascii\n\nhello\n",
	    -1);
	g_assert_cmpint(mugaika_result_disposition(r), ==, MUGAIKA_CLEAN);
	g_assert_null(mugaika_result_quarantine_id(r));
	out = output(&f, r, &body);
	g_assert_nonnull(strstr(out, "From: a@example.jp\n"));
	g_assert_nonnull(strstr(out, "X-Mugaika: clean; id=-; mode=text"));
	g_assert_null(strstr(out, "forged"));
	g_assert_null(strstr(out, "X-Mugaika-Score"));
	g_assert_nonnull(
	    strstr(out, "Content-Type: text/plain; charset=UTF-8"));
	g_assert_cmpstr(body, ==, "hello\n");
	mugaika_result_free(r);
	teardown(&f);
}

static void
test_attachment_removed(void)
{
	struct fixture f;
	mugaika_result *r;
	g_autofree char *body = NULL, *out = NULL;
	g_autoptr(JsonParser) jp = NULL;
	JsonObject *o;
	JsonArray *parts;
	JsonObject *p2;

	setup(&f, NULL);
	r = run(&f,
	    "From: a@example.jp\nSubject: doc\nMIME-Version: 1.0\n"
	    "Content-Type: multipart/mixed; boundary=\"b\"\n\n"
	    "--b\nContent-Type: text/plain; charset=utf-8\n\n本文です。\n"
	    "--b\nContent-Type: application/pdf; name=\"a.pdf\"\n"
	    "Content-Transfer-Encoding: base64\n"
	    "Content-Disposition: attachment; filename=\"a.pdf\"\n\n"
	    "JVBERi0xLjQKJcfsj6IK\n--b--\n",
	    -1);
	g_assert_cmpint(mugaika_result_disposition(r), ==, MUGAIKA_SANITIZED);
	g_assert_nonnull(mugaika_result_quarantine_id(r));
	out = output(&f, r, &body);
	g_assert_nonnull(strstr(body, "a.pdf"));
	g_assert_nonnull(strstr(body, mugaika_result_quarantine_id(r)));
	g_assert_nonnull(strstr(body, "本文です。"));
	/* The notice comes first by default. */
	g_assert_true(strstr(body, "a.pdf") < strstr(body, "本文です。"));
	g_assert_null(strstr(out, "multipart"));
	o = report(r, &jp);
	g_assert_cmpstr(
	    json_object_get_string_member(o, "disposition"), ==, "sanitized");
	parts = json_object_get_array_member(o, "parts");
	g_assert_cmpuint(json_array_get_length(parts), ==, 2);
	p2 = json_array_get_object_element(parts, 1);
	g_assert_cmpstr(json_object_get_string_member(p2, "path"), ==, "2");
	g_assert_cmpstr(
	    json_object_get_string_member(p2, "filename"), ==, "a.pdf");
	g_assert_cmpstr(
	    json_object_get_string_member(p2, "action"), ==, "removed");
	g_assert_cmpstr(
	    json_object_get_string_member(p2, "reason"), ==, "attachment");
	g_assert_cmpstr(json_object_get_string_member(p2, "detected_type"), ==,
	    "application/pdf");
	g_assert_cmpint(json_object_get_int_member(p2, "size"), ==, 15);
	mugaika_result_free(r);
	teardown(&f);
}

static void
test_alternative(void)
{
	struct fixture f;
	mugaika_result *r;
	g_autofree char *body = NULL, *out = NULL;
	const char *msg =
	    "From: a@example.jp\nSubject: alt\nMIME-Version: 1.0\n"
	    "Content-Type: multipart/alternative; boundary=\"b\"\n\n"
	    "--b\nContent-Type: text/plain; charset=utf-8\n\nTEXTVERSION\n"
	    "--b\nContent-Type: text/html; charset=utf-8\n\n"
	    "<p>HTMLVERSION <a href=\"https://example.jp/x\">x</a></p>\n"
	    "--b--\n";

	setup(&f, NULL);
	r = run(&f, msg, -1);
	g_assert_cmpint(mugaika_result_disposition(r), ==, MUGAIKA_CLEAN);
	out = output(&f, r, &body);
	g_assert_nonnull(strstr(body, "TEXTVERSION"));
	g_assert_null(strstr(body, "HTMLVERSION"));
	mugaika_result_free(r);
	teardown(&f);

	setup(&f, "[output]\nprefer_alternative = html\n");
	r = run(&f, msg, -1);
	g_free(out);
	g_free(body);
	out = output(&f, r, &body);
	g_assert_nonnull(strstr(body, "HTMLVERSION"));
	g_assert_nonnull(strstr(body, "https://example.jp/x"));
	g_assert_null(strstr(body, "TEXTVERSION"));
	mugaika_result_free(r);
	teardown(&f);
}

static void
test_limits(void)
{
	struct fixture f;
	mugaika_result *r;
	GString *deep = g_string_new("From: a@example.jp\nSubject: deep\n"
	                             "MIME-Version: 1.0\n");
	g_autofree char *out = NULL, *body = NULL;
	int i;

	for (i = 0; i < 30; i++)
		g_string_append_printf(deep,
		    "Content-Type: multipart/mixed; boundary=\"b%d\"\n\n"
		    "--b%d\n",
		    i, i);
	g_string_append(deep, "Content-Type: text/plain\n\nbottom\n");
	for (i = 29; i >= 0; i--)
		g_string_append_printf(deep, "--b%d--\n", i);

	setup(&f, "[limits]\nmax_depth = 10\n");
	r = run(&f, deep->str, (gssize)deep->len);
	g_assert_cmpint(mugaika_result_disposition(r), ==, MUGAIKA_QUARANTINED);
	g_assert_nonnull(strstr(mugaika_result_report_json(r), "too_deep"));
	out = output(&f, r, &body);
	g_assert_null(strstr(body, "bottom"));
	g_assert_nonnull(strstr(body, mugaika_result_quarantine_id(r)));
	mugaika_result_free(r);
	teardown(&f);
	g_string_free(deep, TRUE);

	/* Over the size limit: rejected, nothing to write. */
	setup(&f, "[limits]\nmax_message_size = 1k\n");
	{
		g_autofree char *big = g_strnfill(2000, 'x');
		g_autofree char *m =
		    g_strdup_printf("Subject: big\n\n%s\n", big);
		g_autoptr(GError) err = NULL;

		r = run(&f, m, -1);
		g_assert_cmpint(
		    mugaika_result_disposition(r), ==, MUGAIKA_REJECTED);
		g_assert_false(mugaika_result_write_message(r, 1, &err));
		mugaika_result_free(r);
	}
	teardown(&f);
}

static void
test_subject_tag_and_8bit(void)
{
	struct fixture f;
	mugaika_result *r;
	g_autofree char *out = NULL;

	setup(&f, "[notice]\nsubject_tag = [無害化]\n");
	r = run(&f,
	    "From: a@example.jp\nSubject: =?UTF-8?B?44GC?=\n"
	    "Content-Type: text/plain\n\nx\n",
	    -1);
	out = output(&f, r, NULL);
	/* "[無害化] あ" encoded as RFC 2047 UTF-8. */
	g_assert_null(strstr(out, "Subject: =?UTF-8?B?44GC?=\n"));
	{
		const char *s = strstr(out, "Subject: ");
		g_autofree char *line = NULL;
		g_autofree char *dec = NULL;

		g_assert_nonnull(s);
		line = g_strndup(s + 9, strcspn(s + 9, "\n"));
		dec = g_mime_utils_header_decode_text(NULL, line);
		g_assert_cmpstr(dec, ==, "[無害化] あ");
	}
	mugaika_result_free(r);
	teardown(&f);
}

static void
test_text_escaping_and_flowed(void)
{
	struct fixture f;
	mugaika_result *r;
	g_autofree char *body = NULL, *out = NULL;

	setup(&f, NULL);
	r = run(&f,
	    "From: a@example.jp\nSubject: x\nMIME-Version: 1.0\n"
	    "Content-Type: text/plain; charset=utf-8; format=flowed; "
	    "delsp=yes\n\n"
	    "\xe6\x9d\xa5\xe9\x80\xb1\xe3\x81\xae \n"
	    "\xe5\xae\x9a\xe4\xbe\x8b\xe4\xbc\x9a\n"
	    "see invoice\xe2\x80\xae"
	    "fdp.exe \x1b[2J now\n"
	    "> quoted \n> line\n-- \nsig\n",
	    -1);
	out = output(&f, r, &body);
	/* Soft line break removed with its space (delsp=yes). */
	g_assert_nonnull(strstr(body, "来週の定例会\n"));
	g_assert_nonnull(strstr(body, "see invoice\\u{202E}fdp.exe "
	                              "\\x1B[2J now\n"));
	g_assert_nonnull(strstr(body, "> quotedline\n"));
	g_assert_nonnull(strstr(body, "-- \nsig\n"));
	mugaika_result_free(r);
	teardown(&f);
}

static void
test_serialize(void)
{
	struct fixture f;
	mugaika_result *r, *back;
	g_autoptr(GError) err = NULL;
	g_autoptr(GBytes) b = NULL;
	g_autofree char *o1 = NULL, *o2 = NULL;

	setup(&f, NULL);
	r = run(&f,
	    "From: a@example.jp\nSubject: x\nX-Mugaika: forged\n"
	    "MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=b\n\n"
	    "--b\nContent-Type: text/plain\n\nhello\n--b\n"
	    "Content-Type: application/pdf\n\n%PDF-1.4\n--b--\n",
	    -1);
	b = mugaika_result_serialize(r);
	back = mugaika_result_deserialize(b, &err);
	g_assert_no_error(err);
	g_assert_cmpint(mugaika_result_disposition(back), ==,
	    mugaika_result_disposition(r));
	g_assert_cmpstr(mugaika_result_quarantine_id(back), ==,
	    mugaika_result_quarantine_id(r));
	g_assert_cmpuint(mugaika_result_header_edits(back)->len, ==,
	    mugaika_result_header_edits(r)->len);
	g_assert_true(
	    g_bytes_equal(mugaika_result_body(back), mugaika_result_body(r)));
	/* Garbage in: refused or a harmless default, never a crash. */
	{
		g_autoptr(GBytes) junk = g_bytes_new_static("\xff\x00junk", 6);
		g_autoptr(GError) e2 = NULL;
		mugaika_result *j = mugaika_result_deserialize(junk, &e2);

		g_assert_null(j);
		g_assert_nonnull(e2);
	}
	/* Every prefix of a real result, and one whose description claims
	 * more bytes than there are, and garbage in the description. */
	{
		gsize n = g_bytes_get_size(b), k;
		const guint8 *d = g_bytes_get_data(b, NULL);
		g_autofree guint8 *bad = g_memdup2(d, n);

		for (k = 0; k < n; k++) {
			g_autoptr(GBytes) pre = g_bytes_new(d, k);
			g_autoptr(GError) e2 = NULL;

			mugaika_result_free(
			    mugaika_result_deserialize(pre, &e2));
		}
		memset(bad + 8, 0xff, 8);
		{
			g_autoptr(GBytes) big = g_bytes_new(bad, n);
			g_autoptr(GError) e2 = NULL;

			g_assert_null(mugaika_result_deserialize(big, &e2));
			g_assert_nonnull(e2);
		}
		memcpy(bad, d, 16);
		for (k = 16; k < n && k < 200; k++)
			bad[k] ^= 0x5a;
		{
			g_autoptr(GBytes) mangled = g_bytes_new(bad, n);
			g_autoptr(GError) e2 = NULL;

			mugaika_result_free(
			    mugaika_result_deserialize(mangled, &e2));
		}
	}
	mugaika_result_free(back);
	mugaika_result_free(r);
	teardown(&f);
	(void)o1;
	(void)o2;
}

static void
test_hold(void)
{
	struct fixture f;
	g_autoptr(GError) err = NULL;
	g_autofree char *path = NULL;
	mugaika_result *r;
	int fd;

	setup(&f, NULL);
	path = g_build_filename(f.dir, "poison.eml", NULL);
	g_assert_true(
	    g_file_set_contents(path, "Subject: x\n\nboom\n", -1, NULL));
	fd = open(path, O_RDONLY);
	r = mugaika_engine_hold(f.engine, fd, "sanitizer_crash", NULL, &err);
	g_assert_no_error(err);
	close(fd);
	g_assert_cmpint(mugaika_result_disposition(r), ==, MUGAIKA_QUARANTINED);
	g_assert_true(mugaika_result_headers_unknown(r));
	g_assert_nonnull(
	    strstr(mugaika_result_report_json(r), "sanitizer_crash"));
	{
		gsize len;
		const char *body =
		    g_bytes_get_data(mugaika_result_body(r), &len);

		g_assert_cmpuint(len, >, 0);
		(void)body;
	}
	mugaika_result_free(r);
	teardown(&f);
}

static void
test_release(void)
{
	struct fixture f;
	g_autofree char *key = NULL, *extra = NULL, *hv = NULL;
	g_autofree char *released = NULL, *forged = NULL, *tampered = NULL;
	g_autoptr(GError) err = NULL;
	const char *orig =
	    "From: a@example.jp\nSubject: doc\nMIME-Version: 1.0\n"
	    "Content-Type: multipart/mixed; boundary=b\n\n"
	    "--b\nContent-Type: text/plain\n\nhello\n--b\n"
	    "Content-Type: application/pdf; name=a.pdf\n\n%PDF-1.4\n--b--\n";
	g_autofree char *path = NULL;
	mugaika_result *r;
	int fd;

	key = g_strdup_printf("/tmp/mugaika-release-%d.key", (int)getpid());
	g_assert_true(
	    g_file_set_contents(key, "0123456789abcdef0123", -1, NULL));
	extra = g_strdup_printf("[release]\nkey_file = %s\n", key);
	setup(&f, extra);
	path = g_build_filename(f.dir, "orig.eml", NULL);
	g_assert_true(g_file_set_contents(path, orig, -1, NULL));
	fd = open(path, O_RDONLY);
	hv = mugaika_engine_release_header(
	    f.engine, "20261122-ABCDEFGHJKLM", fd, &err);
	close(fd);
	g_assert_no_error(err);

	/* Re-injected: the MTA adds a Received line and CRLF line ends. */
	released = g_strdup_printf("Received: from localhost\r\n"
	                           "X-Mugaika-Release: %s\r\n%s",
	    hv, orig);
	r = run(&f, released, -1);
	g_assert_true(mugaika_result_passthrough(r));
	g_assert_cmpint(mugaika_result_disposition(r), ==, MUGAIKA_CLEAN);
	{
		gsize blen;
		const char *bd =
		    g_bytes_get_data(mugaika_result_body(r), &blen);

		g_assert_nonnull(g_strstr_len(bd, (gssize)blen, "%PDF-1.4"));
	}
	mugaika_result_free(r);

	/* A forged or replayed header on other content is worthless. */
	forged = g_strdup_printf("X-Mugaika-Release: id=20261122-ABCDEFGHJKLM; "
	                         "mac=%064d\n%s",
	    0, orig);
	r = run(&f, forged, -1);
	g_assert_false(mugaika_result_passthrough(r));
	g_assert_cmpint(mugaika_result_disposition(r), ==, MUGAIKA_SANITIZED);
	mugaika_result_free(r);
	/* The same body relabelled (another Content-Type) is not released. */
	{
		g_autofree char *relabel =
		    g_strdup_printf("X-Mugaika-Release: %s\n%s", hv, orig);
		char *b = strstr(relabel, "boundary=b");

		g_assert_nonnull(b);
		memcpy(b, "boundary=x", 10);
		r = run(&f, relabel, -1);
		g_assert_false(mugaika_result_passthrough(r));
		mugaika_result_free(r);
	}
	tampered = g_strdup_printf("X-Mugaika-Release: %s\n%s", hv, orig);
	tampered[strlen(tampered) - 12] = 'X'; /* one byte of the body */
	r = run(&f, tampered, -1);
	g_assert_false(mugaika_result_passthrough(r));
	mugaika_result_free(r);
	teardown(&f);
	unlink(key);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	mugaika_init();
	g_test_add_func("/walk/plain-clean", test_plain_clean);
	g_test_add_func("/walk/attachment-removed", test_attachment_removed);
	g_test_add_func("/walk/alternative", test_alternative);
	g_test_add_func("/walk/limits", test_limits);
	g_test_add_func("/walk/subject-tag", test_subject_tag_and_8bit);
	g_test_add_func("/walk/escaping-flowed", test_text_escaping_and_flowed);
	g_test_add_func("/walk/serialize", test_serialize);
	g_test_add_func("/walk/hold", test_hold);
	g_test_add_func("/walk/release", test_release);
	return g_test_run();
}
