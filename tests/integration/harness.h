/*
 * harness — runs the real `visor` binary for one integration test and talks
 * HTTP to it over loopback.
 *
 * Each test gets a fresh temporary directory, a database made by `visor
 * init`, and a `visor serve` on a free port (see VTEST). Every response the
 * helpers return is owned by the harness and freed when the test ends, so a
 * test never frees one. Every response is also checked on the way in: never
 * a 5xx, and every error is {"success": 0, "error": "…", "code": "…"}.
 */
#ifndef VISOR_IT_HARNESS_H
#define VISOR_IT_HARNESS_H

#include <criterion/criterion.h>
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* One team made by `visor init --json`. */
struct team {
	json_int_t id;
	const char *admin_email;
	const char *password;
	const char *admin_key;
};

/* The server of the running test. */
struct srv {
	pid_t pid;
	int port;
	char dir[256];
	char db_path[300];
	char log_path[300];
	struct team team[2];
	int n_teams;
};

extern struct srv S;

/* An HTTP answer. json is NULL when the body is not JSON. */
struct resp {
	long status;
	json_t *json;
	char *body;
	size_t len;
	char *headers;
	const char *method;
	const char *path;
};

/*
 * VTEST(suite, name, ...) declares a test that starts its own server with
 * one team and, after the body, checks that the server is still alive and
 * that the stored data keeps the rules (db_check_invariants); VTEST2 starts
 * it with two teams. Extra Criterion options may follow.
 */
#define VTEST_WITH(start, suite, name, ...)                                                        \
	static void suite##_##name##_body(void);                                                   \
	Test(suite, name, .init = start, .fini = srv_stop, ##__VA_ARGS__)                          \
	{                                                                                          \
		suite##_##name##_body();                                                           \
		srv_check_end();                                                                   \
	}                                                                                          \
	static void suite##_##name##_body(void)

#define VTEST(suite, name, ...)  VTEST_WITH(srv_start, suite, name, ##__VA_ARGS__)
#define VTEST2(suite, name, ...) VTEST_WITH(srv_start_two_teams, suite, name, ##__VA_ARGS__)

/* Criterion .init / .fini hooks. */
void srv_start(void);
void srv_start_two_teams(void);
void srv_stop(void);

/* Send sig to the server and wait for it: its wait status, or -1 when it
 * had to be killed after 5 s. The server is gone afterwards. */
int srv_signal_and_wait(int sig);

/* Start `visor serve` again on the same database (after srv_signal_and_wait). */
void srv_restart(void);

/* Extra arguments for every later `visor serve` of this test (NULL-terminated;
 * NULL for none), e.g. {"--key-file", path, NULL}. */
void srv_serve_args(const char *const *extra);

/* Fails the test if the server has exited. */
void srv_check_alive(void);

/* After a test body: the server is alive and the stored data keeps §2. */
void srv_check_end(void);

/* The last lines of the server's log, for failure messages. */
const char *srv_log_tail(void);

/* The whole server log (owned by the harness). */
const char *srv_log(void);

/* Allocation that aborts the test when memory runs out: the one policy of
 * these tests. xzalloc zero-fills. */
void *xrealloc(void *p, size_t size);
void *xzalloc(size_t size);

/* Keep p until the test ends, then free() it; returns p. */
void *keep(void *p);

/* Keep a JSON value until the test ends, then decref it; returns j. */
json_t *jkeep(json_t *j);

/* A printf into a string the harness owns. */
char *fmt(const char *f, ...) __attribute__((format(printf, 1, 2)));

/*
 * One request. headers is a NULL-terminated list of "Name: value" lines
 * (NULL for none); body may be NULL. A JSON Content-Type is sent with a body
 * unless headers name one.
 */
struct resp *http(const char *method, const char *path, const char *const *headers,
                  const char *body, size_t len);

/* A request with the admin key of team t (0 or 1); body is stolen (may be NULL). */
struct resp *adm_t(int t, const char *method, const char *path, json_t *body);
struct resp *adm(const char *method, const char *path, json_t *body);

/* Customer API with `Explo-Authorization: Token <token>`; body is stolen. */
struct resp *api(const char *token, const char *method, const char *path, json_t *body);

/* Customer API with a raw body text. */
struct resp *api_raw(const char *token, const char *method, const char *path, const char *body,
                     size_t len);

/* json_pack that fails the test on a format error. */
json_t *J(const char *f, ...);

/* The value at a dotted path ("customer.name", "items.0.id"), or NULL. */
json_t *jget(json_t *root, const char *path);
/* Its string (NULL if absent or not a string) / integer (-1 if absent). */
const char *jstr(json_t *root, const char *path);
json_int_t jint(json_t *root, const char *path);

/* The "code" of an error answer, or "" when there is none. */
const char *resp_code(const struct resp *r);

/* The value of a response header (harness-owned), or NULL when absent. */
const char *resp_header(const struct resp *r, const char *name);

/* A JSON value as compact text with sorted keys (harness-owned). */
char *jdump(const json_t *j);

/* A raw exchange on a fresh connection. */
struct raw {
	long status;
	char *text; /* whole answer, headers and body */
	const char *body;
	json_t *json;
	bool closed; /* the server closed the connection after answering */
};

/* Send bytes as they are and read until close or timeout_ms of silence. */
struct raw *raw_http(const char *bytes, size_t len, int timeout_ms);

/* Run `visor <args…>` (NULL-terminated); stdout into *out (harness-owned). */
int visor_run(const char *const *args, char **out);

/* The same with stderr into *err too (either may be NULL); a run longer than
 * timeout_ms is killed and answers -1. */
int visor_run_full(const char *const *args, int timeout_ms, char **out, char **err);

/* A file's bytes, NUL-terminated ("" when it is missing); harness-owned. */
char *file_bytes(const char *path, size_t *len);

/*
 * Assertions on answers. Each evaluates its arguments exactly once, so a
 * request may be written inside them: expect_ok(adm("DELETE", …)).
 */
#define expect_status(r, st)                                                                       \
	do {                                                                                       \
		const struct resp *es_ = (r);                                                      \
		long es_want_ = (long)(st);                                                        \
		cr_assert_eq(es_->status, es_want_, "%s %s: expected %ld, got %ld: %.600s",        \
		             es_->method, es_->path, es_want_, es_->status, es_->body);            \
	} while (0)

#define expect_error(r, st, code)                                                                  \
	do {                                                                                       \
		const struct resp *ee_ = (r);                                                      \
		const char *ee_code_ = (code);                                                     \
		expect_status(ee_, st);                                                            \
		cr_assert_str_eq(resp_code(ee_), ee_code_, "%s %s: expected code %s: %.600s",      \
		                 ee_->method, ee_->path, ee_code_, ee_->body);                     \
	} while (0)

/* 2xx of any kind. */
#define expect_ok(r)                                                                               \
	do {                                                                                       \
		const struct resp *eo_ = (r);                                                      \
		cr_assert(eo_->status >= 200 && eo_->status < 300,                                 \
		          "%s %s: expected success, got %ld: %.600s", eo_->method, eo_->path,      \
		          eo_->status, eo_->body);                                                 \
	} while (0)

#endif
