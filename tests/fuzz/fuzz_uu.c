/*
 * fuzz_uu.c - uuencode and BinHex extraction on arbitrary text, with the
 * default block limit and with a limit of one block.  Checks that the
 * result is at least as long as the text outside the blocks implies and
 * that every block found has its data.
 */
#include <stdint.h>
#include <string.h>

#include "text/mg_uu.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	GPtrArray *found =
	    g_ptr_array_new_with_free_func((GDestroyNotify)mg_embedded_free);
	gboolean trunc;
	gsize len;
	guint i;
	char *t;

	t = mg_uu_extract_len(
	    (const char *)data, size, "[{name}]", 0, found, &trunc, &len);
	if (found->len == 0 && (len != size || memcmp(t, data, size) != 0))
		__builtin_trap();
	for (i = 0; i < found->len; i++) {
		struct mg_embedded *e = g_ptr_array_index(found, i);

		if (e->data == NULL || e->name == NULL ||
		    !g_utf8_validate(e->name, -1, NULL))
			__builtin_trap();
	}
	g_free(t);
	g_ptr_array_set_size(found, 0);

	t = mg_uu_extract((const char *)data, size, NULL, 1, found, &trunc);
	if (found->len > 1)
		__builtin_trap();
	g_free(t);
	g_ptr_array_unref(found);
	return 0;
}
