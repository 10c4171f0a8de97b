/*
 * main — the entry point of the `visor` binary; everything else lives in
 * cli.c and the modules it calls.
 */
#include "cli.h"

int main(int argc, char **argv)
{
	return cli_main(argc, argv);
}
