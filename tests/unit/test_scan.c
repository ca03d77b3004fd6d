/*
 * test_scan.c - the libclamav engine with the project's test signatures
 * (corpus/signatures, found through MUGAIKA_SOURCE_DIR): loading, empty
 * and missing databases, what the signatures detect (EICAR, the marker,
 * the 44 files of Debian's clamav-testfiles), limits, encryption, scans
 * from several threads and the database's age.
 *
 * Nothing hostile is stored here: the EICAR string and the marker are
 * joined from two halves at run time, and every container (zip, nested
 * zip, encrypted zip, encrypted PDF) is built by the test.
 */
#include <string.h>
#include <utime.h>

#include <archive.h>
#include <archive_entry.h>
#include <glib/gstdio.h>

#include "scan/mg_scan.h"

#define TESTFILES_DIR "/usr/share/clamav-testfiles"
#define TESTFILES_COUNT 44

#define NAME_EICAR "Mugaika.Test.EICAR.UNOFFICIAL"
#define NAME_EICAR_HTML "Mugaika.Test.EICAR.HTML.UNOFFICIAL"
#define NAME_MARKER "Mugaika.Test.Marker.UNOFFICIAL"
#define NAME_MARKER_HTML "Mugaika.Test.Marker.HTML.UNOFFICIAL"
#define NAME_TESTFILE "Mugaika.Test.ClamavTestfile.UNOFFICIAL"

/* The EICAR test string and the marker, in two halves each. */
static const char eicar_head[] = "X5O!P%@AP[4\\PZX54(P^)7CC)7}$";
static const char eicar_tail[] = "EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*";
static const char marker_head[] = "MUGAIKA-TEST-MARKER-";
static const char marker_tail[] = "QBJCZEAW7S76KJW37VUEDZJ6Q5SN8M7T";

/* The engine with the test signatures, shared by the tests that need no
 * special policy (built once: loading costs more than a scan). */
static struct mg_scan_engine *shared_engine;

static char *
eicar(void)
{
	char *s = g_strconcat(eicar_head, eicar_tail, NULL);

	g_assert_cmpuint(strlen(s), ==, 68);
	return s;
}

static char *
marker(void)
{
	return g_strconcat(marker_head, marker_tail, NULL);
}

static char *
signatures_dir(void)
{
	const char *src = g_getenv("MUGAIKA_SOURCE_DIR");

	if (src == NULL)
		return NULL;
	return g_build_filename(src, "corpus", "signatures", NULL);
}

/* A default policy on the test signatures; NULL (and the test skipped)
 * without MUGAIKA_SOURCE_DIR. */
static struct mg_policy *
test_policy(void)
{
	char *dir = signatures_dir();
	struct mg_policy *p;

	if (dir == NULL) {
		g_test_skip("MUGAIKA_SOURCE_DIR not set");
		return NULL;
	}
	p = mg_policy_new_default();
	g_free(p->scan_database);
	p->scan_database = dir;
	return p;
}

static struct mg_scan_engine *
engine_for(const struct mg_policy *p)
{
	GError *err = NULL;
	struct mg_scan_engine *e = mg_scan_engine_new(p, &err);

	g_assert_no_error(err);
	g_assert_nonnull(e);
	return e;
}

static struct mg_scan_engine *
engine(void)
{
	g_autoptr(mg_policy) p = NULL;

	if (shared_engine != NULL)
		return shared_engine;
	if ((p = test_policy()) == NULL)
		return NULL;
	shared_engine = engine_for(p);
	return shared_engine;
}

static void
assert_scan(struct mg_scan_engine *e, const void *data, gsize len,
    enum mg_scan_result want, const char *want_threat)
{
	char *threat = NULL;
	enum mg_scan_result r;

	r = mg_scan_buffer(e, data, len, "test", &threat);
	g_assert_cmpstr(mg_scan_result_name(r), ==, mg_scan_result_name(want));
	g_assert_cmpstr(threat, ==, want_threat);
	g_free(threat);
}

/* Text that differs on every call, so that libclamav's cache of clean
 * results (keyed by the bytes' hash) never answers for the scanner. */
static GString *
unique_text(gsize approx)
{
	static gint counter;
	GString *s = g_string_new(NULL);
	int n = g_atomic_int_add(&counter, 1);

	g_string_append_printf(s,
	    "Plain text number %d, %" G_GINT64_FORMAT ".\n", n,
	    g_get_monotonic_time());
	while (s->len < approx)
		g_string_append(s, "The quick brown fox jumps over the lazy "
		                   "dog.\n");
	return s;
}

/*
 * Containers.  A zip through libarchive's writer (deflated, optionally
 * ZipCrypto-encrypted with a password), or by hand (stored members, each
 * with its own "encrypted" flag) where libarchive cannot mix encrypted and
 * plain members.
 */
struct member {
	const char *name;
	const void *data;
	gsize len;
};

static GBytes *
zip_build(const struct member *m, guint n, const char *password)
{
	gsize cap = 4096, used = 0;
	struct archive *a;
	guint8 *buf;
	guint i;

	for (i = 0; i < n; i++)
		cap += m[i].len + 256;
	buf = g_malloc(cap);
	a = archive_write_new();
	g_assert_cmpint(archive_write_set_format_zip(a), ==, ARCHIVE_OK);
	if (password != NULL) {
		g_assert_cmpint(
		    archive_write_set_options(a, "zip:encryption=zipcrypt"), ==,
		    ARCHIVE_OK);
		g_assert_cmpint(
		    archive_write_set_passphrase(a, password), ==, ARCHIVE_OK);
	}
	archive_write_set_bytes_in_last_block(a, 1);
	g_assert_cmpint(
	    archive_write_open_memory(a, buf, cap, &used), ==, ARCHIVE_OK);
	for (i = 0; i < n; i++) {
		struct archive_entry *e = archive_entry_new();

		archive_entry_set_pathname(e, m[i].name);
		archive_entry_set_size(e, (la_int64_t)m[i].len);
		archive_entry_set_filetype(e, AE_IFREG);
		archive_entry_set_perm(e, 0644);
		g_assert_cmpint(archive_write_header(a, e), ==, ARCHIVE_OK);
		g_assert_cmpint(archive_write_data(a, m[i].data, m[i].len), ==,
		    (la_ssize_t)m[i].len);
		archive_entry_free(e);
	}
	g_assert_cmpint(archive_write_close(a), ==, ARCHIVE_OK);
	archive_write_free(a);
	return g_bytes_new_take(buf, used);
}

static guint32
crc32_of(const guint8 *p, gsize n)
{
	guint32 c = 0xffffffffu;
	gsize i;
	int k;

	for (i = 0; i < n; i++) {
		c ^= p[i];
		for (k = 0; k < 8; k++)
			c = (c >> 1) ^ (0xedb88320u & (0u - (c & 1)));
	}
	return ~c;
}

static void
put16(GByteArray *b, guint v)
{
	guint8 x[2] = {v & 0xff, (v >> 8) & 0xff};

	g_byte_array_append(b, x, 2);
}

static void
put32(GByteArray *b, guint32 v)
{
	put16(b, v & 0xffff);
	put16(b, v >> 16);
}

/*
 * Stored members (APPNOTE 4.3.7 and 4.3.12); a member with `encrypted` set
 * has general purpose bit 0 on and 12 bytes of "encryption header" before
 * its data, which is all a reader sees before it needs the password.
 */
static GBytes *
zip_by_hand(const struct member *m, const gboolean *encrypted, guint n)
{
	GByteArray *out = g_byte_array_new(), *cd = g_byte_array_new();
	static const guint8 fake_header[12] = {
	    1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
	guint32 cd_offset;
	guint i;

	for (i = 0; i < n; i++) {
		guint32 crc = crc32_of(m[i].data, m[i].len);
		guint32 stored = (guint32)m[i].len + (encrypted[i] ? 12 : 0);
		guint16 flags = encrypted[i] ? 1 : 0;
		guint32 offset = out->len;
		guint16 nlen = (guint16)strlen(m[i].name);

		put32(out, 0x04034b50);
		put16(out, 20);
		put16(out, flags);
		put16(out, 0); /* stored */
		put16(out, 0);
		put16(out, 0x21); /* 1980-01-01 */
		put32(out, crc);
		put32(out, stored);
		put32(out, (guint32)m[i].len);
		put16(out, nlen);
		put16(out, 0);
		g_byte_array_append(out, (const guint8 *)m[i].name, nlen);
		if (encrypted[i])
			g_byte_array_append(out, fake_header, 12);
		g_byte_array_append(out, m[i].data, (guint)m[i].len);

		put32(cd, 0x02014b50);
		put16(cd, 20);
		put16(cd, 20);
		put16(cd, flags);
		put16(cd, 0);
		put16(cd, 0);
		put16(cd, 0x21);
		put32(cd, crc);
		put32(cd, stored);
		put32(cd, (guint32)m[i].len);
		put16(cd, nlen);
		put16(cd, 0);
		put16(cd, 0);
		put16(cd, 0);
		put16(cd, 0);
		put32(cd, 0);
		put32(cd, offset);
		g_byte_array_append(cd, (const guint8 *)m[i].name, nlen);
	}
	cd_offset = out->len;
	g_byte_array_append(out, cd->data, cd->len);
	put32(out, 0x06054b50);
	put16(out, 0);
	put16(out, 0);
	put16(out, n);
	put16(out, n);
	put32(out, cd->len);
	put32(out, cd_offset);
	put16(out, 0);
	g_byte_array_unref(cd);
	return g_byte_array_free_to_bytes(out);
}

/*
 * A one-page PDF whose trailer names a Standard security handler (PDF 1.7
 * section 7.6.3, revision 2) with random /O and /U: no password opens it,
 * the empty one included, so a reader cannot look inside.
 */
static GString *
encrypted_pdf(void)
{
	GString *s = g_string_new("%PDF-1.4\n%\xe2\xe3\xcf\xd3\n");
	const char *objs[5];
	gsize offs[5], xref;
	char o[65], u[65], id[33];
	guint i;

	for (i = 0; i < 64; i++) {
		o[i] = "0123456789abcdef"[g_random_int_range(0, 16)];
		u[i] = "0123456789abcdef"[g_random_int_range(0, 16)];
	}
	o[64] = u[64] = '\0';
	for (i = 0; i < 32; i++)
		id[i] = "0123456789abcdef"[g_random_int_range(0, 16)];
	id[32] = '\0';
	objs[0] = "<< /Type /Catalog /Pages 2 0 R >>";
	objs[1] = "<< /Type /Pages /Kids [3 0 R] /Count 1 >>";
	objs[2] = "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] "
	          "/Contents 5 0 R >>";
	objs[3] = NULL; /* the encryption dictionary, below */
	objs[4] = "<< /Length 16 >>\nstream\n0123456789abcdef\nendstream";
	for (i = 0; i < 5; i++) {
		offs[i] = s->len;
		g_string_append_printf(s, "%u 0 obj\n", i + 1);
		if (objs[i] != NULL)
			g_string_append(s, objs[i]);
		else
			g_string_append_printf(s,
			    "<< /Filter /Standard /V 1 /R 2 /O <%s> /U <%s> "
			    "/P -44 >>",
			    o, u);
		g_string_append(s, "\nendobj\n");
	}
	xref = s->len;
	g_string_append(s, "xref\n0 6\n0000000000 65535 f \n");
	for (i = 0; i < 5; i++)
		g_string_append_printf(s, "%010zu 00000 n \n", offs[i]);
	g_string_append_printf(s,
	    "trailer\n<< /Size 6 /Root 1 0 R /Encrypt 4 0 R /ID [<%s><%s>] "
	    ">>\nstartxref\n%zu\n%%%%EOF\n",
	    id, id, xref);
	return s;
}

/* ---- the engine ---- */

static void
test_load(void)
{
	g_autoptr(mg_policy) p = test_policy();
	g_autoptr(mg_scan_engine) e = NULL;
	const struct mg_scan_db_info *info;
	gint64 now = g_get_real_time() / G_USEC_PER_SEC;

	if (p == NULL)
		return;
	e = engine_for(p);
	info = mg_scan_engine_info(e);
	g_assert_cmpstr(info->path, ==, p->scan_database);
	/* mugaika-test.ndb: 4, mugaika-test.hdb: 1; README.md is ignored. */
	g_assert_cmpuint(info->signatures, ==, 5);
	g_assert_cmpuint(info->version, ==, 0);
	g_assert_cmpint(info->build_time, ==, 0);
	g_assert_cmpint(info->newest_mtime, >, 0);
	g_assert_cmpint(info->newest_mtime, <=, now);
	g_assert_cmpint(info->loaded_at, >=, now - 5);
	g_assert_cmpint(info->loaded_at, <=, now + 5);
}

static void
test_load_single_file(void)
{
	g_autoptr(mg_policy) p = test_policy();
	g_autoptr(mg_scan_engine) e = NULL;
	g_autofree char *m = marker();
	char *file;

	if (p == NULL)
		return;
	file = g_build_filename(p->scan_database, "mugaika-test.ndb", NULL);
	g_free(p->scan_database);
	p->scan_database = file;
	e = engine_for(p);
	g_assert_cmpuint(mg_scan_engine_info(e)->signatures, ==, 4);
	assert_scan(e, m, strlen(m), MG_SCAN_VIRUS, NAME_MARKER);
}

static void
test_empty_database(void)
{
	g_autoptr(mg_policy) p = mg_policy_new_default();
	g_autoptr(GError) err = NULL;
	g_autofree char *dir = g_dir_make_tmp("mg-scan-XXXXXX", NULL);
	g_autofree char *readme = g_build_filename(dir, "README", NULL);
	struct mg_scan_engine *e;

	g_assert_nonnull(dir);
	/* A file libclamav does not read makes no difference. */
	g_assert_true(
	    g_file_set_contents(readme, "not a database\n", -1, NULL));
	g_free(p->scan_database);
	p->scan_database = g_strdup(dir);
	e = mg_scan_engine_new(p, &err);
	g_assert_null(e);
	g_assert_error(err, MG_SCAN_ENGINE_ERROR, MG_SCAN_ENGINE_ERROR_EMPTY);
	g_assert_nonnull(strstr(err->message, "allow_empty_database"));
	g_assert_nonnull(strstr(err->message, dir));
	g_unlink(readme);
	g_rmdir(dir);
}

/* allow_empty_database: no signatures, but the heuristics still work. */
static void
test_empty_database_allowed(void)
{
	g_autoptr(mg_policy) p = mg_policy_new_default();
	g_autoptr(mg_scan_engine) e = NULL;
	g_autofree char *dir = g_dir_make_tmp("mg-scan-XXXXXX", NULL);
	g_autofree char *eic = eicar();
	struct member m = {"e.txt", eic, strlen(eic)};
	g_autoptr(GBytes) zip = NULL;

	g_free(p->scan_database);
	p->scan_database = g_strdup(dir);
	p->allow_empty_database = TRUE;
	e = engine_for(p);
	g_assert_cmpuint(mg_scan_engine_info(e)->signatures, ==, 0);
	g_assert_cmpint(mg_scan_engine_info(e)->newest_mtime, ==, 0);
	g_assert_cmpint(mg_scan_engine_age(e, 1000), ==, G_MAXINT64);
	assert_scan(e, eic, strlen(eic), MG_SCAN_CLEAN, NULL);
	zip = zip_build(&m, 1, "secret");
	assert_scan(e, g_bytes_get_data(zip, NULL), g_bytes_get_size(zip),
	    MG_SCAN_ENCRYPTED, "Heuristics.Encrypted.Zip");
	g_rmdir(dir);
}

static void
test_missing_database(void)
{
	g_autoptr(mg_policy) p = mg_policy_new_default();
	g_autoptr(GError) err = NULL;
	const char *path = "/nonexistent/mugaika/clamav";

	g_free(p->scan_database);
	p->scan_database = g_strdup(path);
	p->allow_empty_database = TRUE; /* missing is not empty */
	g_assert_null(mg_scan_engine_new(p, &err));
	g_assert_error(err, MG_SCAN_ENGINE_ERROR, MG_SCAN_ENGINE_ERROR_LOAD);
	g_assert_nonnull(strstr(err->message, path));
}

static void
test_malformed_database(void)
{
	g_autoptr(mg_policy) p = mg_policy_new_default();
	g_autoptr(GError) err = NULL;
	g_autofree char *dir = g_dir_make_tmp("mg-scan-XXXXXX", NULL);
	g_autofree char *db = g_build_filename(dir, "bad.ndb", NULL);

	g_assert_true(g_file_set_contents(db, "no colons here\n", -1, NULL));
	g_free(p->scan_database);
	p->scan_database = g_strdup(dir);
	g_assert_null(mg_scan_engine_new(p, &err));
	g_assert_error(err, MG_SCAN_ENGINE_ERROR, MG_SCAN_ENGINE_ERROR_LOAD);
	g_assert_nonnull(strstr(err->message, dir));
	g_assert_nonnull(strstr(err->message, "Malformed database"));
	g_unlink(db);
	g_rmdir(dir);
}

static void
test_age(void)
{
	g_autoptr(mg_policy) p = test_policy();
	g_autoptr(mg_scan_engine) e = NULL;
	g_autofree char *dir = NULL, *src = NULL, *dst = NULL;
	g_autofree char *text = NULL;
	struct utimbuf tb;
	gsize len;

	if (p == NULL)
		return;
	dir = g_dir_make_tmp("mg-scan-XXXXXX", NULL);
	src = g_build_filename(p->scan_database, "mugaika-test.ndb", NULL);
	dst = g_build_filename(dir, "copy.ndb", NULL);
	g_assert_true(g_file_get_contents(src, &text, &len, NULL));
	g_assert_true(g_file_set_contents(dst, text, (gssize)len, NULL));
	tb.actime = tb.modtime = 1700000000;
	g_assert_cmpint(g_utime(dst, &tb), ==, 0);
	g_free(p->scan_database);
	p->scan_database = g_strdup(dir);
	e = engine_for(p);
	g_assert_cmpint(mg_scan_engine_info(e)->newest_mtime, ==, 1700000000);
	g_assert_cmpint(mg_scan_engine_age(e, 1700000000 + 86400), ==, 86400);
	g_assert_cmpint(mg_scan_engine_age(e, 1700000000), ==, 0);
	g_unlink(dst);
	g_rmdir(dir);
}

/* ---- what the test signatures detect ---- */

static void
test_eicar(void)
{
	struct mg_scan_engine *e = engine();
	g_autofree char *eic = eicar();
	g_autofree char *lower = NULL;
	GString *s;

	if (e == NULL)
		return;
	assert_scan(e, eic, strlen(eic), MG_SCAN_VIRUS, NAME_EICAR);
	/* Anywhere in a file, not only at its start. */
	s = unique_text(4000);
	g_string_append(s, eic);
	g_string_append(s, "\nend\n");
	assert_scan(e, s->str, s->len, MG_SCAN_VIRUS, NAME_EICAR);
	g_string_free(s, TRUE);
	/* Outside HTML the match is exact: lower case is not EICAR. */
	lower = g_ascii_strdown(eic, -1);
	assert_scan(e, lower, strlen(lower), MG_SCAN_CLEAN, NULL);
}

static void
test_eicar_in_zip(void)
{
	struct mg_scan_engine *e = engine();
	g_autofree char *eic = eicar();
	GString *pad;
	g_autoptr(GBytes) zip = NULL;

	if (e == NULL)
		return;
	pad = unique_text(20000);
	{
		struct member m[2] = {{"readme.txt", pad->str, pad->len},
		    {"dir/eicar.com", eic, strlen(eic)}};

		zip = zip_build(m, 2, NULL);
	}
	assert_scan(e, g_bytes_get_data(zip, NULL), g_bytes_get_size(zip),
	    MG_SCAN_VIRUS, NAME_EICAR);
	g_string_free(pad, TRUE);
}

/*
 * In HTML libclamav matches the normalised text (comments dropped,
 * entities decoded, lower case), never the raw bytes: only the target
 * type 3 signatures can hit, and here nothing else could, since the source
 * hides a comment and an entity inside the string.
 */
static void
test_eicar_in_html(void)
{
	struct mg_scan_engine *e = engine();
	g_autofree char *eic = eicar();
	g_autofree char *m = marker();
	g_autofree char *html = NULL;
	g_autofree char *plain_html = NULL;
	g_autofree char *marker_html = NULL;
	char *cut;

	if (e == NULL)
		return;
	cut = strstr(eic, "EICAR-");
	g_assert_nonnull(cut);
	/* "...)7}$EICAR-<!-- -->STANDARD-...!&#x24;H+H*" */
	html = g_strdup_printf("<!DOCTYPE html>\n<HTML><HEAD><TITLE>t</TITLE>"
	                       "</HEAD><BODY>\n<DIV CLASS=\"x\"><P>%.*sEICAR-"
	                       "<!-- split -->%.*s&#x24;H+H*</P></DIV>\n"
	                       "</BODY></HTML>\n",
	    (int)(cut - eic), eic, (int)(strlen(cut) - 6 - 5), cut + 6);
	assert_scan(e, html, strlen(html), MG_SCAN_VIRUS, NAME_EICAR_HTML);
	/* As it stands, upper case, inside tags. */
	plain_html = g_strdup_printf(
	    "<html><body><p><b>%s</b></p></body></html>\n", eic);
	assert_scan(
	    e, plain_html, strlen(plain_html), MG_SCAN_VIRUS, NAME_EICAR_HTML);
	marker_html = g_strdup_printf(
	    "<HTML><BODY><TABLE><TR><TD>%s</TD></TR></TABLE></BODY></HTML>\n",
	    m);
	assert_scan(e, marker_html, strlen(marker_html), MG_SCAN_VIRUS,
	    NAME_MARKER_HTML);
}

static void
test_marker(void)
{
	struct mg_scan_engine *e = engine();
	g_autofree char *m = marker();
	GString *s;

	if (e == NULL)
		return;
	assert_scan(e, m, strlen(m), MG_SCAN_VIRUS, NAME_MARKER);
	s = unique_text(1000);
	g_string_append_printf(s, "attachment body: %s\r\n", m);
	assert_scan(e, s->str, s->len, MG_SCAN_VIRUS, NAME_MARKER);
	/* The prefix alone is not the marker. */
	assert_scan(e, marker_head, strlen(marker_head), MG_SCAN_CLEAN, NULL);
	g_string_free(s, TRUE);
}

static void
test_clean(void)
{
	struct mg_scan_engine *e = engine();
	GString *s;
	guint8 *bytes;
	guint i;

	if (e == NULL)
		return;
	s = unique_text(50000);
	assert_scan(e, s->str, s->len, MG_SCAN_CLEAN, NULL);
	/* The same bytes again: libclamav's clean cache, same answer. */
	assert_scan(e, s->str, s->len, MG_SCAN_CLEAN, NULL);
	g_string_free(s, TRUE);
	assert_scan(e, "", 0, MG_SCAN_CLEAN, NULL);
	bytes = g_malloc(65536);
	for (i = 0; i < 65536; i++)
		bytes[i] = (guint8)g_random_int();
	assert_scan(e, bytes, 65536, MG_SCAN_CLEAN, NULL);
	g_free(bytes);
	/* threat_r may be NULL. */
	g_assert_cmpint(
	    mg_scan_buffer(e, "x", 1, NULL, NULL), ==, MG_SCAN_CLEAN);
}

static void
test_clamav_testfiles(void)
{
	struct mg_scan_engine *e = engine();
	g_autoptr(GError) err = NULL;
	const char *name;
	guint count = 0;
	GDir *dir;

	if (e == NULL)
		return;
	if (!g_file_test(TESTFILES_DIR, G_FILE_TEST_IS_DIR)) {
		g_test_skip(
		    TESTFILES_DIR " missing (package clamav-testfiles)");
		return;
	}
	dir = g_dir_open(TESTFILES_DIR, 0, &err);
	g_assert_no_error(err);
	while ((name = g_dir_read_name(dir)) != NULL) {
		g_autofree char *path =
		    g_build_filename(TESTFILES_DIR, name, NULL);
		g_autofree char *data = NULL;
		g_autofree char *threat = NULL;
		gsize len;
		enum mg_scan_result r;

		g_assert_true(g_file_get_contents(path, &data, &len, NULL));
		r = mg_scan_buffer(e, data, len, name, &threat);
		if (r != MG_SCAN_VIRUS || g_strcmp0(threat, NAME_TESTFILE))
			g_error("%s: %s (%s)", name, mg_scan_result_name(r),
			    threat ? threat : "-");
		count++;
	}
	g_dir_close(dir);
	g_assert_cmpuint(count, >=, TESTFILES_COUNT);
}

/* ---- limits and encryption ---- */

static void
test_limit_filesize(void)
{
	g_autoptr(mg_policy) p = test_policy();
	g_autoptr(mg_scan_engine) e = NULL;
	g_autofree char *eic = eicar();
	GString *s;

	if (p == NULL)
		return;
	p->limits.scan_max_filesize = 4096;
	e = engine_for(p);
	s = unique_text(4096);
	g_string_truncate(s, 4096);
	assert_scan(e, s->str, s->len, MG_SCAN_CLEAN, NULL);
	g_string_append_c(s, '\n');
	assert_scan(e, s->str, s->len, MG_SCAN_LIMIT,
	    "Heuristics.Limits.Exceeded.MaxFileSize");
	/* Over the limit, even a signature is not looked for. */
	g_string_append(s, eic);
	assert_scan(e, s->str, s->len, MG_SCAN_LIMIT,
	    "Heuristics.Limits.Exceeded.MaxFileSize");
	g_string_free(s, TRUE);
}

static void
test_limit_scansize(void)
{
	g_autoptr(mg_policy) p = test_policy();
	g_autoptr(mg_scan_engine) e = NULL;
	GString *s;

	if (p == NULL)
		return;
	p->limits.scan_max_scansize = 2000;
	e = engine_for(p);
	s = unique_text(3000);
	assert_scan(e, s->str, s->len, MG_SCAN_LIMIT,
	    "Heuristics.Limits.Exceeded.MaxScanSize");
	g_string_free(s, TRUE);
}

static void
test_limit_files(void)
{
	g_autoptr(mg_policy) p = test_policy();
	g_autoptr(mg_scan_engine) e = NULL;
	struct member m[12];
	char names[12][16];
	g_autoptr(GBytes) zip = NULL;
	guint i;

	if (p == NULL)
		return;
	p->limits.scan_max_files = 5;
	e = engine_for(p);
	for (i = 0; i < G_N_ELEMENTS(m); i++) {
		g_snprintf(names[i], sizeof(names[i]), "f%02u.txt", i);
		m[i].name = names[i];
		m[i].data = names[i];
		m[i].len = strlen(names[i]);
	}
	zip = zip_build(m, G_N_ELEMENTS(m), NULL);
	assert_scan(e, g_bytes_get_data(zip, NULL), g_bytes_get_size(zip),
	    MG_SCAN_LIMIT, "Heuristics.Limits.Exceeded.MaxFiles");
}

static void
test_limit_recursion(void)
{
	g_autoptr(mg_policy) p = test_policy();
	g_autoptr(mg_scan_engine) e = NULL;
	GBytes *inner;
	guint i;

	if (p == NULL)
		return;
	p->limits.scan_max_recursion = 3;
	e = engine_for(p);
	inner = g_bytes_new_static("innermost\n", 10);
	for (i = 0; i < 6; i++) {
		struct member m = {i == 0 ? "x.txt" : "inner.zip",
		    g_bytes_get_data(inner, NULL), g_bytes_get_size(inner)};
		GBytes *outer = zip_build(&m, 1, NULL);

		g_bytes_unref(inner);
		inner = outer;
	}
	assert_scan(e, g_bytes_get_data(inner, NULL), g_bytes_get_size(inner),
	    MG_SCAN_LIMIT, "Heuristics.Limits.Exceeded.MaxRecursion");
	g_bytes_unref(inner);
}

static void
test_encrypted(void)
{
	struct mg_scan_engine *e = engine();
	g_autofree char *eic = eicar();
	GString *text, *pdf;
	g_autoptr(GBytes) zip = NULL;
	g_autoptr(GBytes) mixed = NULL;

	if (e == NULL)
		return;
	text = unique_text(3000);
	{
		struct member m = {"secret.txt", text->str, text->len};

		zip = zip_build(&m, 1, "password");
	}
	assert_scan(e, g_bytes_get_data(zip, NULL), g_bytes_get_size(zip),
	    MG_SCAN_ENCRYPTED, "Heuristics.Encrypted.Zip");

	/* A signature in a plain member wins over the encrypted one. */
	{
		struct member m[2] = {{"secret.bin", text->str, text->len},
		    {"eicar.txt", eic, strlen(eic)}};
		gboolean enc[2] = {TRUE, FALSE};

		mixed = zip_by_hand(m, enc, 2);
	}
	assert_scan(e, g_bytes_get_data(mixed, NULL), g_bytes_get_size(mixed),
	    MG_SCAN_VIRUS, NAME_EICAR);

	pdf = encrypted_pdf();
	assert_scan(e, pdf->str, pdf->len, MG_SCAN_ENCRYPTED,
	    "Heuristics.Encrypted.PDF");
	g_string_free(pdf, TRUE);
	g_string_free(text, TRUE);
}

/* ---- threads ---- */

#define THREADS 4
#define ROUNDS 12

static gpointer
scan_thread(gpointer data)
{
	struct mg_scan_engine *e = shared_engine;
	guint id = GPOINTER_TO_UINT(data);
	g_autofree char *eic = eicar();
	g_autofree char *m = marker();
	guint i;

	for (i = 0; i < ROUNDS; i++) {
		guint kind = (id + i) % 4;
		GString *s = unique_text(2000 + 100 * id);
		g_autoptr(GBytes) zip = NULL;
		enum mg_scan_result want = MG_SCAN_VIRUS;
		const char *want_threat = NULL;
		const void *buf = s->str;
		gsize len = s->len;
		char *threat = NULL;
		enum mg_scan_result r;

		switch (kind) {
		case 0:
			want = MG_SCAN_CLEAN;
			break;
		case 1:
			g_string_append(s, eic);
			want_threat = NAME_EICAR;
			buf = s->str;
			len = s->len;
			break;
		case 2:
			g_string_append(s, m);
			want_threat = NAME_MARKER;
			buf = s->str;
			len = s->len;
			break;
		default: {
			struct member mm[2] = {{"a.txt", s->str, s->len},
			    {"b.txt", eic, strlen(eic)}};

			zip = zip_build(mm, 2, NULL);
			buf = g_bytes_get_data(zip, &len);
			want_threat = NAME_EICAR;
			break;
		}
		}
		r = mg_scan_buffer(e, buf, len, "thread", &threat);
		g_assert_cmpstr(
		    mg_scan_result_name(r), ==, mg_scan_result_name(want));
		g_assert_cmpstr(threat, ==, want_threat);
		g_free(threat);
		g_string_free(s, TRUE);
	}
	return NULL;
}

static void
test_threads(void)
{
	GThread *t[THREADS];
	guint i;

	if (engine() == NULL)
		return;
	for (i = 0; i < THREADS; i++)
		t[i] = g_thread_new("scan", scan_thread, GUINT_TO_POINTER(i));
	for (i = 0; i < THREADS; i++)
		g_thread_join(t[i]);
}

static void
test_result_names(void)
{
	g_assert_cmpstr(mg_scan_result_name(MG_SCAN_CLEAN), ==, "clean");
	g_assert_cmpstr(mg_scan_result_name(MG_SCAN_VIRUS), ==, "virus");
	g_assert_cmpstr(mg_scan_result_name(MG_SCAN_LIMIT), ==, "limit");
	g_assert_cmpstr(
	    mg_scan_result_name(MG_SCAN_ENCRYPTED), ==, "encrypted");
	g_assert_cmpstr(mg_scan_result_name(MG_SCAN_ERROR), ==, "error");
}

int
main(int argc, char **argv)
{
	int rc;

	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/scan/result-names", test_result_names);
	g_test_add_func("/scan/load", test_load);
	g_test_add_func("/scan/load-single-file", test_load_single_file);
	g_test_add_func("/scan/empty-database", test_empty_database);
	g_test_add_func(
	    "/scan/empty-database-allowed", test_empty_database_allowed);
	g_test_add_func("/scan/missing-database", test_missing_database);
	g_test_add_func("/scan/malformed-database", test_malformed_database);
	g_test_add_func("/scan/age", test_age);
	g_test_add_func("/scan/eicar", test_eicar);
	g_test_add_func("/scan/eicar-in-zip", test_eicar_in_zip);
	g_test_add_func("/scan/eicar-in-html", test_eicar_in_html);
	g_test_add_func("/scan/marker", test_marker);
	g_test_add_func("/scan/clean", test_clean);
	g_test_add_func("/scan/clamav-testfiles", test_clamav_testfiles);
	g_test_add_func("/scan/limit-filesize", test_limit_filesize);
	g_test_add_func("/scan/limit-scansize", test_limit_scansize);
	g_test_add_func("/scan/limit-files", test_limit_files);
	g_test_add_func("/scan/limit-recursion", test_limit_recursion);
	g_test_add_func("/scan/encrypted", test_encrypted);
	g_test_add_func("/scan/threads", test_threads);
	rc = g_test_run();
	mg_scan_engine_free(shared_engine);
	return rc;
}
