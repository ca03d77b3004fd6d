/*
 * mg_detect.c - libmagic on decoded bytes.
 *
 * Input: the decoded bytes of a part (untrusted).  libmagic is given at
 * most MG_DETECT_MAX_BYTES of them and runs without decompression, so a
 * hostile file costs a bounded amount of work.  A magic_t is not
 * thread-safe, so each thread has its own, freed when the thread exits.
 */
#include <magic.h>

#include "detect/mg_detect.h"

#define MG_DETECT_MAX_BYTES (1024 * 1024)

static void
magic_free(gpointer m)
{
	magic_close(m);
}

static GPrivate magic_key = G_PRIVATE_INIT(magic_free);

static magic_t
thread_magic(void)
{
	magic_t m = g_private_get(&magic_key);

	if (m != NULL)
		return m;
	m = magic_open(MAGIC_MIME_TYPE | MAGIC_NO_CHECK_COMPRESS | MAGIC_ERROR);
	if (m == NULL)
		return NULL;
	if (magic_load(m, NULL) != 0) {
		magic_close(m);
		return NULL;
	}
	g_private_set(&magic_key, m);
	return m;
}

char *
mg_detect_type(const void *data, gsize len)
{
	magic_t m = thread_magic();
	const char *t;

	if (m == NULL)
		return NULL;
	if (len == 0)
		return g_strdup("application/x-empty");
	t = magic_buffer(m, data, MIN(len, MG_DETECT_MAX_BYTES));
	return t != NULL ? g_strdup(t) : NULL;
}
