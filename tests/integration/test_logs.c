/*
 * test_logs — the two logs: the event log says when the server is ready and
 * where; the access log has one line per request (time, request id, method,
 * path, status, duration, actor), as text or JSON lines, and neither ever
 * holds a token secret, an admin key or a data source password.
 */
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "world.h"

static struct world w;

static const char *log_file(const char *name)
{
	return fmt("%s/%s", S.dir, name);
}

/* Restart the server writing its logs to files of the test's folder. */
static void serve_with_logs(bool json)
{
	static const char *args[8];
	int n = 0;

	args[n++] = "--event-log";
	args[n++] = log_file("event.log");
	args[n++] = "--access-log";
	args[n++] = log_file("access.log");
	if (json)
		args[n++] = "--access-log-json";
	args[n] = NULL;
	srv_serve_args(args);
	cr_assert_eq(srv_signal_and_wait(SIGTERM), 0, "the server did not stop cleanly");
	srv_restart();
}

static const char *read_log(const char *name)
{
	size_t len = 0;
	char *text = file_bytes(log_file(name), &len);

	cr_assert_not_null(text, "no %s was written", name);
	return text;
}

/* The log once it holds needle: a line is written when its request ends,
 * just after the answer went out. */
static const char *log_with(const char *name, const char *needle)
{
	const char *text = "";

	for (int i = 0; i < 200; i++) {
		size_t len = 0;
		char *bytes = file_bytes(log_file(name), &len);

		text = bytes ? bytes : "";
		if (strstr(text, needle))
			break;
		usleep(10 * 1000);
	}
	return text;
}

static void expect_no_secret(const char *text, const char *what)
{
	cr_expect_null(strstr(text, w.tok_test), "%s holds an API token secret", what);
	cr_expect_null(strstr(text, S.team[0].admin_key), "%s holds the admin key", what);
	cr_expect_null(strstr(text, DS_PASSWORD), "%s holds a data source password", what);
}

VTEST(logs, event_log_says_ready_with_the_address)
{
	serve_with_logs(false);
	cr_assert_not_null(
	    strstr(log_with("event.log", "ready on"), fmt("ready on http://127.0.0.1:%d", S.port)),
	    "no ready line naming the address: %s", read_log("event.log"));
}

VTEST(logs, access_log_text_has_one_line_per_request)
{
	const char *text;
	struct resp *r;

	world_tour(&w);
	serve_with_logs(false);
	r = api(w.tok_test, "GET", "/api/customers/", NULL);
	expect_status(r, 200);
	expect_status(api(w.tok_test, "GET", "/api/get_customer/?provided_id=nobody", NULL), 404);
	text = log_with("access.log", "\"GET /api/get_customer/\" 404");
	cr_assert_not_null(strstr(text, resp_header(r, "X-Request-Id")),
	                   "the request id is not in the access log: %s", text);
	cr_assert_not_null(strstr(text, "\"GET /api/customers/\" 200"), "%s", text);
	cr_assert_not_null(strstr(text, "\"GET /api/get_customer/\" 404"), "%s", text);
	cr_assert_not_null(strstr(text, fmt("token:%" JSON_INTEGER_FORMAT, w.tok_test_id)),
	                   "the token id is not in the access log: %s", text);
	expect_no_secret(text, "the access log");
	expect_no_secret(read_log("event.log"), "the event log");
}

VTEST(logs, access_log_json_lines_carry_every_field)
{
	static const char *const fields[] = {"time",   "request_id",  "method", "path",
	                                     "status", "duration_ms", "actor",  NULL};
	const char *text, *line;
	json_t *o = NULL;

	world_tour(&w);
	serve_with_logs(true);
	expect_status(api(w.tok_test, "GET", "/api/data_sources/", NULL), 200);
	text = log_with("access.log", "/api/data_sources/");
	for (line = text; *line && !o;
	     line += strcspn(line, "\n") + (line[strcspn(line, "\n")] != 0)) {
		json_t *l = jkeep(json_loadb(line, strcspn(line, "\n"), 0, NULL));

		cr_assert(json_is_object(l), "not a JSON line: %.*s", (int)strcspn(line, "\n"),
		          line);
		if (strcmp(jstr(l, "path"), "/api/data_sources/") == 0)
			o = l;
	}
	cr_assert_not_null(o, "no line for the request: %s", text);
	for (int i = 0; fields[i]; i++)
		cr_expect_not_null(jget(o, fields[i]), "the access log lacks %s: %s", fields[i],
		                   line);
	cr_expect_str_eq(jstr(o, "actor"), fmt("token:%" JSON_INTEGER_FORMAT, w.tok_test_id));
	expect_no_secret(text, "the JSON access log");
}
