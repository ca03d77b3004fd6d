/*
 * mugaika.c - the command-line front end: dispatch to a subcommand.
 *
 * The CLI runs the same engine as the milter, in-process.  Exit codes
 * follow sysexits.h (see mg_cli.h) so it can serve as a Postfix pipe(8)
 * content filter: 75 (EX_TEMPFAIL) makes Postfix retry later.
 */
#include <locale.h>
#include <stdio.h>
#include <string.h>

#include "mg_cli.h"
#include "mugaika.h"

static void
usage(FILE *f)
{
	fputs("usage: mugaika <command> [options]\n"
	      "\n"
	      "commands:\n"
	      "  sanitize    sanitize one message (text mode)\n"
	      "  clean       rebuild one file without active content (CDR)\n"
	      "  quarantine  list, show, export, release, delete or purge "
	      "kept originals\n"
	      "  status      show the config and signatures in use\n"
	      "  audit       verify the audit log's hash chain\n"
	      "  version     print the version\n"
	      "\n"
	      "Run 'mugaika <command> --help' for a command's options.\n",
	    f);
}

int
main(int argc, char **argv)
{
	/* Archive member names and charset conversion need a UTF-8
	 * locale for the C library; C.UTF-8 always exists on Debian. */
	if (setlocale(LC_ALL, "C.UTF-8") == NULL)
		setlocale(LC_ALL, "");
	if (argc < 2) {
		usage(stderr);
		return MG_EXIT_USAGE;
	}
	if (strcmp(argv[1], "sanitize") == 0)
		return mg_cli_sanitize(argc - 1, argv + 1);
	if (strcmp(argv[1], "quarantine") == 0)
		return mg_cli_quarantine(argc - 1, argv + 1);
	if (strcmp(argv[1], "clean") == 0)
		return mg_cli_clean(argc - 1, argv + 1);
	if (strcmp(argv[1], "status") == 0)
		return mg_cli_status(argc - 1, argv + 1);
	if (strcmp(argv[1], "audit") == 0)
		return mg_cli_audit(argc - 1, argv + 1);
	if (strcmp(argv[1], "version") == 0 ||
	    strcmp(argv[1], "--version") == 0) {
		printf("mugaika %s\n", MUGAIKA_VERSION);
		return MG_EXIT_OK;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return MG_EXIT_OK;
	}
	fprintf(stderr, "mugaika: unknown command \"%s\"\n", argv[1]);
	usage(stderr);
	return MG_EXIT_USAGE;
}
