/*
 * test_process — the binary as an operator meets it: `--help` for each
 * subcommand, a clean exit on SIGTERM, a restart that keeps every token and
 * customer, and rule 11's second half: a write answered with success
 * survives a SIGKILL of the process.
 */
#include <signal.h>
#include <string.h>
#include <sys/wait.h>

#include "dbsnap.h"
#include "harness.h"
#include "world.h"

static struct world w;

VTEST(process, help_explains_each_subcommand)
{
	static const char *const cmds[] = {"serve", "init", "migrate", NULL};
	const char *top[] = {"--help", NULL};
	char *usage = NULL, *out = NULL;

	cr_assert_eq(visor_run(top, &usage), 0, "visor --help failed: %s", usage);
	for (int i = 0; cmds[i]; i++) {
		const char *args[] = {cmds[i], "--help", NULL};

		cr_assert_not_null(strstr(usage, cmds[i]), "visor --help does not name %s:\n%s",
		                   cmds[i], usage);
		cr_assert_eq(visor_run(args, &out), 0, "visor %s --help failed: %s", cmds[i], out);
		cr_assert_not_null(strstr(out, "--db"), "visor %s --help lists no options:\n%s",
		                   cmds[i], out);
	}
}

VTEST(process, sigterm_stops_cleanly)
{
	int status;

	world_tour(&w);
	status = srv_signal_and_wait(SIGTERM);
	cr_assert_neq(status, -1, "visor serve ignored SIGTERM for 5 s");
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	          "visor serve did not exit 0 on SIGTERM (status %d); log:\n%s", status,
	          srv_log_tail());
	srv_restart();
}

VTEST(process, restart_keeps_everything)
{
	const char *before;
	json_t *c;

	world_tour(&w);
	mk_customer(w.tok_test, J("{s:s, s:s}", "provided_id", "kept", "name", "Kept Co"));
	before = db_dump();
	srv_signal_and_wait(SIGTERM);
	srv_restart();
	c = get_customer(w.tok_test, "kept");
	cr_assert_not_null(c, "the customer is gone after a restart");
	cr_assert_str_eq(jstr(c, "name"), "Kept Co");
	expect_status(api(w.ro_prod, "GET", "/api/customers/", NULL), 200);
	expect_status(adm("GET", "/admin/api/groups", NULL), 200);
	expect_db_unchanged(before, "a restart");
}

VTEST(process, answered_writes_survive_sigkill)
{
	const int n = 25;

	world_tour(&w);
	for (int i = 0; i < n; i++)
		mk_customer(w.tok_test, J("{s:s}", "provided_id", fmt("durable-%d", i)));
	expect_status(adm("POST", "/admin/api/group_tags", J("{s:s}", "name", "last-write")), 201);
	srv_signal_and_wait(SIGKILL);
	cr_assert_eq(db_count("customers"), n, "answered customers were lost");
	srv_restart();
	for (int i = 0; i < n; i++)
		cr_assert_not_null(get_customer(w.tok_test, fmt("durable-%d", i)),
		                   "durable-%d is gone after SIGKILL", i);
	cr_assert_not_null(
	    strstr(api(w.tok_test, "GET", "/api/group_tags/", NULL)->body, "last-write"),
	    "the last answered write is gone after SIGKILL");
}
