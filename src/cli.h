/*
 * cli — the `visor` command line: serve, init, migrate and help, each
 * with --help. Exit status: 0 success, 1 failure at run time (database,
 * port), 2 a usage error.
 */
#ifndef VISOR_CLI_H
#define VISOR_CLI_H

int cli_main(int argc, char **argv);

#endif
