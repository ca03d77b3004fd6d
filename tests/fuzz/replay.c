/*
 * replay.c - a main() for the libFuzzer targets outside libFuzzer: feeds
 * each file named on the command line, or each file in each directory
 * named (sorted, not recursive), to LLVMFuzzerTestOneInput() once; with
 * no argument, the empty input.
 *
 * Built with gcc against mugaika_asan, so that CTest replays the
 * regressions (tests/fuzz/regressions/<target>/) and the stored seeds
 * under ASan and UBSan without clang.  A file named *.b64 is stored
 * base64-encoded (inputs that would look hostile to a scanner) and is
 * decoded here; README* and dot files are skipped.
 *
 * Untrusted input: the files (they are the fuzz inputs).  Limits: a file
 * over REPLAY_MAX_INPUT bytes is an error, as libFuzzer's -max_len would cut it
 * and the replay would then test something else.  A crash is the
 * target's own (the name of the file is printed before each run).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));

#define REPLAY_MAX_INPUT ((gsize)16 * 1024 * 1024)

static gboolean
run_file(const char *path)
{
	g_autoptr(GError) err = NULL;
	g_autofree char *text = NULL;
	g_autofree guchar *data = NULL;
	gsize len = 0;

	if (!g_file_get_contents(path, &text, &len, &err)) {
		fprintf(stderr, "replay: %s\n", err->message);
		return FALSE;
	}
	if (len > REPLAY_MAX_INPUT) {
		fprintf(stderr, "replay: %s: over %zu bytes\n", path,
		    REPLAY_MAX_INPUT);
		return FALSE;
	}
	if (g_str_has_suffix(path, ".b64")) {
		data = g_base64_decode(text, &len);
	} else {
		data = (guchar *)g_steal_pointer(&text);
	}
	fprintf(stderr, "replay: %s (%zu bytes)\n", path, len);
	/* A copy of its exact size, so ASan sees a read past the end. */
	{
		guchar *copy = g_malloc(len > 0 ? len : 1);

		memcpy(copy, data, len);
		(void)LLVMFuzzerTestOneInput(copy, len);
		g_free(copy);
	}
	return TRUE;
}

static int
cmp_names(gconstpointer a, gconstpointer b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static gboolean
skipped(const char *name)
{
	return name[0] == '.' || g_str_has_prefix(name, "README");
}

/* Every file in `dir`, sorted by name; the number run in *n_r. */
static gboolean
run_dir(const char *dir, guint *n_r)
{
	g_autoptr(GError) err = NULL;
	g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
	GDir *d = g_dir_open(dir, 0, &err);
	const char *n;
	guint i;

	if (d == NULL) {
		fprintf(stderr, "replay: %s\n", err->message);
		return FALSE;
	}
	while ((n = g_dir_read_name(d)) != NULL)
		if (!skipped(n))
			g_ptr_array_add(names, g_build_filename(dir, n, NULL));
	g_dir_close(d);
	g_ptr_array_sort(names, cmp_names);
	for (i = 0; i < names->len; i++) {
		const char *p = g_ptr_array_index(names, i);

		if (!g_file_test(p, G_FILE_TEST_IS_REGULAR))
			continue;
		if (!run_file(p))
			return FALSE;
		(*n_r)++;
	}
	return TRUE;
}

int
main(int argc, char **argv)
{
	guint n = 0;
	int i;

	if (LLVMFuzzerInitialize != NULL)
		LLVMFuzzerInitialize(&argc, &argv);
	/* No stored inputs yet: the empty input, as libFuzzer starts. */
	if (argc < 2) {
		static const uint8_t none[1];

		(void)LLVMFuzzerTestOneInput(none, 0);
		n++;
	}
	for (i = 1; i < argc; i++) {
		if (g_file_test(argv[i], G_FILE_TEST_IS_DIR)) {
			if (!run_dir(argv[i], &n))
				return 1;
		} else if (run_file(argv[i])) {
			n++;
		} else {
			return 1;
		}
	}
	printf("replay: %u inputs, no crash\n", n);
	return 0;
}
