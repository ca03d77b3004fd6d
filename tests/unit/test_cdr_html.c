/* test_cdr_html.c - placeholder (being written). */
#include <glib.h>

static void
test_placeholder(void)
{
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/cdr_html/placeholder", test_placeholder);
	return g_test_run();
}
