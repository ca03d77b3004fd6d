/*
 * cmd_status.c - `mugaika status`: what the engine would run with.
 *
 * Loads the config and the signature database exactly as `sanitize` does
 * and reports them: the administrator's check that the policy requirement
 * of current signatures is met.  Exit 0 when everything loads and the
 * signatures are current, 1 when they are stale, 75 when something does
 * not load (the message says what).
 */
#include <stdio.h>
#include <time.h>

#include "mg_cli.h"
#include "mugaika.h"

static void
print_time(const char *label, gint64 t)
{
	char buf[64];
	time_t tt = (time_t)t;
	struct tm tm;

	if (t <= 0) {
		printf("%-20s unknown\n", label);
		return;
	}
	localtime_r(&tt, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S %z", &tm);
	printf("%-20s %s\n", label, buf);
}

int
mg_cli_status(int argc, char **argv)
{
	g_autofree char *config = NULL;
	GOptionEntry entries[] = {
	    {"config", 'c', 0, G_OPTION_ARG_FILENAME, &config,
	        "Config file (default " MG_DEFAULT_CONFIG ")", "F"},
	    {NULL, 0, 0, 0, NULL, NULL, NULL},
	};
	g_autoptr(GOptionContext) ctx =
	    g_option_context_new("- show the config and signatures in use");
	g_autoptr(GError) err = NULL;
	struct mugaika_status st;
	mugaika_engine *e;

	g_option_context_add_main_entries(ctx, entries, NULL);
	if (!g_option_context_parse(ctx, &argc, &argv, &err) || argc > 1) {
		fprintf(stderr, "mugaika status: %s\n",
		    err != NULL ? err->message : "too many arguments");
		return MG_EXIT_USAGE;
	}
	e = mugaika_engine_new(
	    config != NULL ? config : MG_DEFAULT_CONFIG, &err);
	if (e == NULL) {
		fprintf(stderr, "mugaika status: %s\n", err->message);
		return MG_EXIT_TEMPFAIL;
	}
	mugaika_engine_status(e, &st);
	printf("%-20s %s\n", "version", MUGAIKA_VERSION);
	printf("%-20s %s\n", "config",
	    config != NULL ? config : MG_DEFAULT_CONFIG);
	printf("%-20s %s\n", "signature database", st.database);
	printf("%-20s %u\n", "signatures", st.signatures);
	if (st.version > 0)
		printf("%-20s %u\n", "database version", st.version);
	print_time("database built", st.build_time);
	if (st.age == G_MAXINT64)
		printf("%-20s unknown\n", "database age");
	else
		printf("%-20s %" G_GINT64_FORMAT "h %02" G_GINT64_FORMAT "m\n",
		    "database age", st.age / 3600, st.age % 3600 / 60);
	printf("%-20s %s\n", "signatures current",
	    st.stale ? "NO (older than [scan] max_database_age)" : "yes");
	mugaika_engine_free(e);
	return st.stale ? 1 : MG_EXIT_OK;
}
