/* Unit tests: the config file (mg_policy). */
#include <string.h>
#include <unistd.h>

#include "mg_policy.h"

static char *
write_conf(const char *text)
{
	g_autoptr(GError) err = NULL;
	char *path = NULL;
	int fd = g_file_open_tmp("mugaika-conf-XXXXXX", &path, &err);

	g_assert_no_error(err);
	close(fd);
	g_assert_true(g_file_set_contents(path, text, -1, NULL));
	return path;
}

static struct mg_policy *
load(const char *text, GError **err)
{
	g_autofree char *path = write_conf(text);
	struct mg_policy *p = mg_policy_load(path, err);

	unlink(path);
	return p;
}

static void
test_defaults(void)
{
	g_autoptr(mg_policy) p = mg_policy_new_default();

	g_assert_cmpint(p->mode, ==, MG_MODE_TEXT);
	g_assert_cmpuint(
	    p->limits.max_message_size, ==, MG_DEF_MAX_MESSAGE_SIZE);
	g_assert_cmpuint(p->limits.max_depth, ==, MG_DEF_MAX_DEPTH);
	g_assert_cmpstr(p->language, ==, "ja");
	g_assert_true(p->html_link_list);
}

static void
test_shipped_config(void)
{
	const char *src = g_getenv("MUGAIKA_SOURCE_DIR");
	g_autofree char *path = NULL;
	g_autoptr(GError) err = NULL;
	g_autoptr(mg_policy) p = NULL;

	if (src == NULL) {
		g_test_skip("MUGAIKA_SOURCE_DIR not set");
		return;
	}
	/* The documented config must load and state the defaults. */
	path = g_build_filename(src, "conf", "mugaika.conf", NULL);
	p = mg_policy_load(path, &err);
	g_assert_no_error(err);
	g_assert_cmpuint(
	    p->limits.max_message_size, ==, MG_DEF_MAX_MESSAGE_SIZE);
	g_assert_cmpuint(p->limits.max_parts, ==, MG_DEF_MAX_PARTS);
	g_assert_cmpuint(p->limits.max_header_size, ==, MG_DEF_MAX_HEADER_SIZE);
	g_assert_cmpstr(p->subject_tag, ==, "");
	/* The documented lists are the built-in ones. */
	{
		g_autoptr(mg_policy) d = mg_policy_new_default();

		g_assert_true(
		    g_strv_equal((const char *const *)p->blocked_types,
		        (const char *const *)d->blocked_types));
		g_assert_true(
		    g_strv_equal((const char *const *)p->blocked_extensions,
		        (const char *const *)d->blocked_extensions));
		g_assert_cmpint(p->max_database_age, ==, d->max_database_age);
		g_assert_cmpuint(
		    p->limits.scan_max_time, ==, d->limits.scan_max_time);
		g_assert_cmpuint(p->limits.max_archive_total, ==,
		    d->limits.max_archive_total);
	}
}

static void
test_values(void)
{
	g_autoptr(GError) err = NULL;
	g_autoptr(mg_policy) p = load("[limits]\nmax_message_size = 10M\n"
	                              "max_depth = 7\n"
	                              "[notice]\nlanguage = en\n"
	                              "subject_tag = [無害化]\n"
	                              "position = bottom\n"
	                              "[output]\ncharset = ISO-2022-JP\n"
	                              "link_list = no\n",
	    &err);

	g_assert_no_error(err);
	g_assert_cmpuint(p->limits.max_message_size, ==, 10 * 1024 * 1024);
	g_assert_cmpuint(p->limits.max_depth, ==, 7);
	g_assert_cmpstr(p->language, ==, "en");
	g_assert_cmpstr(p->subject_tag, ==, "[無害化]");
	g_assert_cmpint(p->notice_position, ==, MG_NOTICE_BOTTOM);
	g_assert_cmpint(p->output_charset, ==, MG_OUT_ISO2022JP);
	g_assert_false(p->html_link_list);
}

static void
expect_error(const char *text, const char *fragment)
{
	g_autoptr(GError) err = NULL;
	g_autoptr(mg_policy) p = load(text, &err);

	g_assert_null(p);
	g_assert_nonnull(err);
	if (strstr(err->message, fragment) == NULL)
		g_error("error \"%s\" lacks \"%s\"", err->message, fragment);
}

static void
test_errors(void)
{
	expect_error(
	    "[limits]\nmax_depht = 3\n", ":2: unknown key \"max_depht\"");
	expect_error("# c\n\n[limits]\nmax_depth = 3\nmax_parts = lots\n",
	    ":5: bad value for max_parts");
	expect_error("[limits]\nmax_message_size = 0\n", ":2: bad value");
	expect_error("[general]\nmode = pdf\n", "expected text | cdr");
	expect_error("[nosuch]\nx = 1\n", ":1: unknown section [nosuch]");
	expect_error("[output]\nlink_list = maybe\n", "yes | no");
	expect_error("not a key file\n", "");
}

static void
test_parsers(void)
{
	guint64 n;
	gint64 s;

	g_assert_true(mg_policy_parse_size("512k", &n));
	g_assert_cmpuint(n, ==, 512 * 1024);
	g_assert_true(mg_policy_parse_size("1G", &n));
	g_assert_cmpuint(n, ==, 1024u * 1024 * 1024);
	g_assert_true(mg_policy_parse_size("20MB", &n));
	g_assert_false(mg_policy_parse_size("-1", &n));
	g_assert_false(mg_policy_parse_size("12Q", &n));
	g_assert_false(mg_policy_parse_size("99999999999999999999G", &n));
	g_assert_true(mg_policy_parse_duration("30d", &s));
	g_assert_cmpint(s, ==, 30 * 86400);
	g_assert_true(mg_policy_parse_duration("12h", &s));
	g_assert_cmpint(s, ==, 12 * 3600);
	g_assert_true(mg_policy_parse_duration("45", &s));
	g_assert_cmpint(s, ==, 45);
	g_assert_false(mg_policy_parse_duration("3x", &s));
	g_assert_false(mg_policy_parse_duration("d", &s));
	g_assert_false(mg_policy_parse_duration("3dd", &s));
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/policy/defaults", test_defaults);
	g_test_add_func("/policy/shipped-config", test_shipped_config);
	g_test_add_func("/policy/values", test_values);
	g_test_add_func("/policy/errors", test_errors);
	g_test_add_func("/policy/parsers", test_parsers);
	return g_test_run();
}
