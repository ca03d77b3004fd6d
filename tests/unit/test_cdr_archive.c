/* test_cdr_archive.c - placeholder (being written). */
#include <glib.h>

static void
test_placeholder(void)
{
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/cdr_archive/placeholder", test_placeholder);
	return g_test_run();
}
