/*
 * fuzz_tnef.c - TNEF (winmail.dat) unpacking on arbitrary bytes: our
 * attribute walk and libytnef's MAPI property parser, with small limits.
 * Checks that every member has a valid UTF-8 name and data within the
 * limits, and that the budget is kept.
 */
#include <stdint.h>

#include "unpack/mg_unpack.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct mg_limits lim = {
    .max_archive_members = 32,
    .max_archive_total = 1024 * 1024,
    .max_member_size = 256 * 1024,
};

static gboolean
check_member(const struct mg_member *m, void *ctx)
{
	guint *count = ctx;

	(*count)++;
	if (m->index == 0 || m->name == NULL ||
	    !g_utf8_validate(m->name, -1, NULL))
		__builtin_trap();
	if (m->data != NULL &&
	    (m->truncated || g_bytes_get_size(m->data) != m->size ||
	        m->size > lim.max_member_size))
		__builtin_trap();
	return TRUE;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mg_unpack_budget budget = {0};
	GBytes *body = NULL;
	guint count = 0;

	mg_unpack_tnef(
	    data, size, &lim, &budget, check_member, &count, &body, NULL);
	if (budget.members > lim.max_archive_members || budget.members != count)
		__builtin_trap();
	if (body != NULL) {
		if (g_bytes_get_size(body) > size)
			__builtin_trap();
		g_bytes_unref(body);
	}
	return 0;
}
