/*
 * mg_cli.h - the subcommands of `mugaika`.  Each parses its own options
 * (GOptionContext), returns a process exit code (sysexits.h: 0, 2 for a
 * policy rejection, 64 usage, 75 temporary failure).
 */
#ifndef MG_CLI_H
#define MG_CLI_H

#define MG_EXIT_OK 0
#define MG_EXIT_REJECTED 2
#define MG_EXIT_USAGE 64
#define MG_EXIT_TEMPFAIL 75

/* argv[0] is the subcommand name. */
int mg_cli_sanitize(int argc, char **argv);
int mg_cli_quarantine(int argc, char **argv);
/* `mugaika quarantine release`: argv as mg_cli_quarantine() got it
 * (cmd_release.c). */
int mg_cli_quarantine_release(int argc, char **argv);
int mg_cli_audit(int argc, char **argv);
int mg_cli_status(int argc, char **argv);
int mg_cli_clean(int argc, char **argv);

/* The config file used when --config is not given. */
#define MG_DEFAULT_CONFIG MUGAIKA_SYSCONFDIR "/mugaika.conf"

#endif
