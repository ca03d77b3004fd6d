/*
 * fuzz_cdr_archive.c - the archive CDR module (cdr/cdr_archive.c) on
 * arbitrary bytes, with small limits.
 *
 * The first byte chooses the mode and the context.  Bit 0 clear: the rest
 * is the file as it came.  Bit 0 set: the rest is a list of members,
 * "name\ncontent", separated by "\n--\n", which the harness archives (a
 * stored zip, or a tar when bit 1 is set; a name starting with '@' becomes
 * a symlink) so that mutations reach the naming rules instead of dying at
 * a CRC.  Bit 2 gives the module a fake walk: a member whose name ends in
 * 'e' is refused, one ending in 'm' comes back as "R" with the extension
 * "docx", the rest come back unchanged.  Checks the invariants of every
 * outcome: a rebuilt file is a zip of regular files, each name valid
 * UTF-8, safe (mg_unpack_name_unsafe), without backslash, colon, empty,
 * "." or ".." components, unique on a case-insensitive file system, no
 * file where another member needs a directory, never more members than
 * the walk gave back; a refusal carries a reason, no data and no removal
 * ids.
 */
#include <locale.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <archive.h>
#include <archive_entry.h>

#include "cdr/mg_cdr.h"
#include "unpack/mg_unpack.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

extern const struct mg_cdr_module mg_cdr_archive;

static struct mg_limits lim = {
    .max_part_size = 2u * 1024 * 1024,
    .max_member_size = 1024 * 1024,
    .max_archive_total = 4u * 1024 * 1024,
    .max_archive_members = 64,
    .max_archive_ratio = 50,
};

static guint given; /* members the fake walk gave back */

static GBytes *
fake_walk(void *walk, const char *name, const char *type, GBytes *data,
    char **extension_r)
{
	gsize n = strlen(name);

	(void)walk;
	(void)type;
	if (extension_r != NULL)
		*extension_r = NULL;
	if (n > 0 && name[n - 1] == 'e')
		return NULL;
	given++;
	if (n > 0 && name[n - 1] == 'm') {
		if (extension_r != NULL)
			*extension_r = g_strdup("docx");
		return g_bytes_new_static("R", 1);
	}
	return g_bytes_ref(data);
}

static la_ssize_t
grow(struct archive *a, void *data, const void *buf, size_t n)
{
	(void)a;
	g_byte_array_append(data, buf, (guint)n);
	return (la_ssize_t)n;
}

/* Archive the "name\ncontent" list. */
static GBytes *
build(const char *s, gsize n, gboolean tar)
{
	struct archive *a = archive_write_new();
	GByteArray *out = g_byte_array_new();
	const char *end = s + n, *p = s;

	if (tar)
		archive_write_set_format_pax_restricted(a);
	else {
		archive_write_set_format_zip(a);
		archive_write_set_options(a, "zip:compression=store");
	}
	archive_write_set_bytes_per_block(a, tar ? 512 : 0);
	archive_write_open2(a, out, NULL, grow, NULL, NULL);
	while (p < end) {
		const char *sep = g_strstr_len(p, end - p, "\n--\n");
		const char *stop = sep != NULL ? sep : end;
		const char *nl = memchr(p, '\n', (gsize)(stop - p));
		g_autofree char *name = NULL;
		struct archive_entry *e = archive_entry_new();
		const char *body = nl != NULL ? nl + 1 : stop;
		gsize blen = (gsize)(stop - body);

		name = g_strndup(p, (gsize)((nl != NULL ? nl : stop) - p));
		if (name[0] == '@') {
			archive_entry_set_pathname(e, name + 1);
			archive_entry_set_filetype(e, AE_IFLNK);
			archive_entry_set_symlink(e, "target");
			blen = 0;
		} else {
			archive_entry_set_pathname(e, name);
			archive_entry_set_filetype(e, AE_IFREG);
		}
		archive_entry_set_perm(e, 0644);
		archive_entry_set_size(e, (la_int64_t)blen);
		if (archive_write_header(a, e) == ARCHIVE_OK && blen > 0)
			archive_write_data(a, body, blen);
		archive_entry_free(e);
		p = sep != NULL ? sep + 4 : end;
	}
	archive_write_close(a);
	archive_write_free(a);
	return g_byte_array_free_to_bytes(out);
}

static void
check_name(const char *name, GHashTable *files, GHashTable *dirs)
{
	g_auto(GStrv) parts = NULL;
	GString *prefix = g_string_new(NULL);
	guint i;

	if (!g_utf8_validate(name, -1, NULL) || mg_unpack_name_unsafe(name) ||
	    strchr(name, '\\') != NULL || strchr(name, ':') != NULL)
		abort();
	parts = g_strsplit(name, "/", -1);
	for (i = 0; parts[i] != NULL; i++) {
		char *k;

		if (parts[i][0] == '\0' || strcmp(parts[i], ".") == 0 ||
		    strcmp(parts[i], "..") == 0)
			abort();
		if (i > 0)
			g_string_append_c(prefix, '/');
		g_string_append(prefix, parts[i]);
		k = g_utf8_casefold(prefix->str, -1);
		if (parts[i + 1] != NULL) {
			/* A directory: no file may have its path. */
			if (g_hash_table_contains(files, k))
				abort();
			g_hash_table_add(dirs, k);
		} else {
			if (g_hash_table_contains(files, k) ||
			    g_hash_table_contains(dirs, k))
				abort();
			g_hash_table_add(files, k);
		}
	}
	g_string_free(prefix, TRUE);
}

static void
check_zip(GBytes *b)
{
	struct archive *a = archive_read_new();
	struct archive_entry *e;
	GHashTable *files =
	    g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	GHashTable *dirs =
	    g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	gsize len;
	const void *d = g_bytes_get_data(b, &len);
	char block[4096];
	guint n = 0;
	int r;

	archive_read_support_format_zip(a);
	if (archive_read_open_memory(a, d, len) != ARCHIVE_OK)
		abort();
	while ((r = archive_read_next_header(a, &e)) == ARCHIVE_OK) {
		const char *name = archive_entry_pathname_utf8(e);

		if (name == NULL || archive_entry_filetype(e) != AE_IFREG)
			abort();
		check_name(name, files, dirs);
		while (archive_read_data(a, block, sizeof(block)) > 0)
			;
		n++;
	}
	if (r != ARCHIVE_EOF || n > given)
		abort();
	archive_read_free(a);
	g_hash_table_unref(files);
	g_hash_table_unref(dirs);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mg_cdr_ctx ctx = {0};
	struct mg_cdr_result r;
	GBytes *in;
	guint8 mode;

	if (size < 1)
		return 0;
	setlocale(LC_ALL, "C.UTF-8");
	mode = data[0];
	data++;
	size--;
	if (mode & 1)
		in = build((const char *)data, size, (mode & 2) != 0);
	else
		in = g_bytes_new(data, size);
	(void)mg_cdr_archive.bid("application/zip", "zip",
	    g_bytes_get_data(in, NULL), g_bytes_get_size(in));
	ctx.limits = &lim;
	if (mode & 4)
		ctx.nested = fake_walk;
	given = 0;
	mg_cdr_result_init(&r);
	if (mg_cdr_archive.rebuild(&ctx, in, &r) != MG_OK)
		abort();
	if (r.outcome == MG_CDR_REBUILT) {
		if (r.data == NULL || g_strcmp0(r.extension, "zip") != 0)
			abort();
		check_zip(r.data);
	} else if (r.outcome == MG_CDR_REFUSED) {
		if (r.reason == MG_REASON_NONE || r.data != NULL ||
		    r.removed->len != 0)
			abort();
	} else {
		abort();
	}
	mg_cdr_result_clear(&r);
	g_bytes_unref(in);
	return 0;
}
