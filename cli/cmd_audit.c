/* being written */
#include "mg_cli.h"
int
mg_cli_audit(int argc, char **argv)
{
	return MG_EXIT_USAGE;
}
