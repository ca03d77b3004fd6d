/*
 * fuzz_unpack.c - archive detection and unpacking (libarchive) on
 * arbitrary bytes, with small limits so that bombs are cut short.  Checks
 * the invariants of every member: a valid UTF-8 name, no data for
 * encrypted, truncated or non-file members, data within the member limit,
 * and a budget that never passes its limits by more than one block.
 */
#include <stdint.h>
#include <string.h>

#include "unpack/mg_unpack.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct mg_limits lim = {
    .max_archive_members = 64,
    .max_archive_total = 16u * 1024 * 1024,
    .max_member_size = 4u * 1024 * 1024,
    .max_archive_ratio = 50,
};

static gboolean
check_member(const struct mg_member *m, void *ctx)
{
	guint *count = ctx;

	(*count)++;
	if (m->index != *count || m->name == NULL ||
	    !g_utf8_validate(m->name, -1, NULL))
		__builtin_trap();
	if (m->data != NULL) {
		if (m->encrypted || m->truncated ||
		    (m->kind != MG_MEMBER_FILE &&
		        m->kind != MG_MEMBER_HARDLINK) ||
		    g_bytes_get_size(m->data) > lim.max_member_size ||
		    g_bytes_get_size(m->data) != m->size)
			__builtin_trap();
	}
	if (m->unsafe_name != mg_unpack_name_unsafe(m->name) &&
	    strstr(m->name, "\\x") == NULL)
		__builtin_trap();
	return TRUE;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mg_unpack_budget budget = {0};
	guint count = 0;

	mg_unpack_format(data, size);
	mg_unpack(data, size, &lim, &budget, check_member, &count);
	if (budget.members > lim.max_archive_members ||
	    budget.members != count ||
	    budget.total_bytes > lim.max_archive_total + 64 * 1024)
		__builtin_trap();
	return 0;
}
