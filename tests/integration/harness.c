/*
 * harness — process and HTTP plumbing for the integration tests: a temporary
 * directory, `visor init` and `visor serve` on a free loopback port, libcurl
 * requests with the answer parsed by jansson, raw socket exchanges for what
 * curl will not send, and one pool that frees everything when a test ends.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "harness.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "dbsnap.h"

struct srv S;

static void **pool;
static size_t pool_n, pool_cap;
static json_t **jpool;
static size_t jpool_n, jpool_cap;
static CURL *curl;

void *xrealloc(void *p, size_t size)
{
	p = realloc(p, size);
	if (p == NULL)
		abort();
	return p;
}

void *xzalloc(size_t size)
{
	return memset(xrealloc(NULL, size), 0, size);
}

void *keep(void *p)
{
	if (pool_n == pool_cap) {
		pool_cap = pool_cap ? pool_cap * 2 : 64;
		pool = xrealloc(pool, pool_cap * sizeof(*pool));
	}
	pool[pool_n++] = p;
	return p;
}

json_t *jkeep(json_t *j)
{
	if (j == NULL)
		return NULL;
	if (jpool_n == jpool_cap) {
		jpool_cap = jpool_cap ? jpool_cap * 2 : 64;
		jpool = xrealloc(jpool, jpool_cap * sizeof(*jpool));
	}
	jpool[jpool_n++] = j;
	return j;
}

static void pool_release(void)
{
	for (size_t i = 0; i < pool_n; i++)
		free(pool[i]);
	for (size_t i = 0; i < jpool_n; i++)
		json_decref(jpool[i]);
	free(pool);
	free(jpool);
	pool = NULL;
	jpool = NULL;
	pool_n = pool_cap = jpool_n = jpool_cap = 0;
}

char *fmt(const char *f, ...)
{
	va_list ap;
	char *s = NULL;

	va_start(ap, f);
	cr_assert_geq(vasprintf(&s, f, ap), 0, "out of memory");
	va_end(ap);
	return keep(s);
}

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t n = 0;

	if (len)
		*len = 0;
	if (f == NULL)
		return keep(strdup(""));
	buf = xzalloc(1);
	for (;;) {
		char chunk[8192];
		size_t got = fread(chunk, 1, sizeof(chunk), f);
		if (got == 0)
			break;
		buf = xrealloc(buf, n + got + 1);
		memcpy(buf + n, chunk, got);
		n += got;
	}
	fclose(f);
	buf[n] = '\0';
	if (len)
		*len = n;
	return keep(buf);
}

char *file_bytes(const char *path, size_t *len)
{
	return slurp(path, len);
}

const char *srv_log(void)
{
	return slurp(S.log_path, NULL);
}

const char *srv_log_tail(void)
{
	size_t n = 0;
	const char *all = slurp(S.log_path, &n);
	return n > 2000 ? all + n - 2000 : all;
}

static const char *visor_bin(void)
{
	const char *bin = getenv("VISOR_BIN");

	cr_assert(bin != NULL && *bin, "VISOR_BIN is not set (meson sets it)");
	cr_assert_eq(access(bin, X_OK), 0, "VISOR_BIN=%s is not executable", bin);
	return bin;
}

/* Fork and exec visor with stdout to out_fd and stderr to err_fd (the log when < 0). */
static pid_t spawn_fds(const char *const *args, int out_fd, int err_fd)
{
	const char *argv[32];
	int n = 0;
	pid_t pid;

	argv[n++] = visor_bin();
	for (int i = 0; args[i] != NULL && n < 31; i++)
		argv[n++] = args[i];
	argv[n] = NULL;

	pid = fork();
	cr_assert_neq(pid, -1, "fork: %s", strerror(errno));
	if (pid == 0) {
		int logfd = open(S.log_path, O_WRONLY | O_CREAT | O_APPEND, 0600);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		dup2(out_fd >= 0 ? out_fd : logfd, STDOUT_FILENO);
		dup2(err_fd >= 0 ? err_fd : logfd, STDERR_FILENO);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	return pid;
}

static pid_t spawn(const char *const *args, int out_fd)
{
	return spawn_fds(args, out_fd, -1);
}

int visor_run(const char *const *args, char **out)
{
	char path[320];
	int fd, status = 0;
	pid_t pid;

	snprintf(path, sizeof(path), "%s/cli.out", S.dir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	cr_assert_geq(fd, 0, "open %s: %s", path, strerror(errno));
	pid = spawn(args, fd);
	close(fd);
	cr_assert_eq(waitpid(pid, &status, 0), pid, "waitpid: %s", strerror(errno));
	if (out)
		*out = slurp(path, NULL);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static void init_team(int t, const char *name, const char *email)
{
	const char *db = fmt("sqlite:%s", S.db_path);
	const char *args[] = {"init",          "--db", db,       "--team", name,
	                      "--admin-email", email,  "--json", NULL};
	char *out = NULL;
	int rc = visor_run(args, &out);
	json_error_t jerr;
	json_t *j;

	cr_assert_eq(rc, 0, "visor init exited %d: %s\nlog: %s", rc, out, srv_log_tail());
	j = jkeep(json_loads(out, 0, &jerr));
	cr_assert_not_null(j, "visor init --json printed no JSON object (%s): %s", jerr.text, out);
	cr_assert(json_is_integer(json_object_get(j, "team_id")), "team_id not an integer: %s",
	          out);
	S.team[t].id = json_integer_value(json_object_get(j, "team_id"));
	S.team[t].admin_email = jstr(j, "admin_email");
	S.team[t].password = jstr(j, "password");
	S.team[t].admin_key = jstr(j, "admin_key");
	cr_assert(S.team[t].admin_key && S.team[t].password && S.team[t].admin_email,
	          "visor init --json lacks a field: %s", out);
	S.n_teams = t + 1;
}

static int free_port(void)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	cr_assert_geq(fd, 0, "socket: %s", strerror(errno));
	cr_assert_eq(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0, "bind: %s", strerror(errno));
	cr_assert_eq(getsockname(fd, (struct sockaddr *)&a, &len), 0, "getsockname");
	close(fd);
	return ntohs(a.sin_port);
}

static void sleep_ms(int ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

static size_t discard(char *ptr, size_t size, size_t nmemb, void *ud)
{
	return size * nmemb;
}

/* A quiet GET: its status, or 0 when nothing answers. */
static long probe(const char *path, const char *auth)
{
	CURL *c = curl_easy_init();
	struct curl_slist *h = auth ? curl_slist_append(NULL, auth) : NULL;
	long status = 0;
	char url[96];

	snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", S.port, path);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 500L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
	if (curl_easy_perform(c) == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_cleanup(c);
	curl_slist_free_all(h);
	return status;
}

/* Ours answers /healthz and knows our admin key (another test's server,
 * should it hold the same port, would not). */
static bool ours_is_ready(void)
{
	const char *auth = fmt("Authorization: Bearer %s", S.team[0].admin_key);
	return probe("/healthz", NULL) == 200 && probe("/admin/api/schemas", auth) == 200;
}

/* Wait for pid at most timeout_ms: its wait status, or -1 when it had to be killed. */
static int wait_or_kill(pid_t pid, int timeout_ms)
{
	int status = 0;

	for (int waited = 0; waited < timeout_ms; waited += 20) {
		if (waitpid(pid, &status, WNOHANG) == pid)
			return status;
		sleep_ms(20);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	return -1;
}

int visor_run_full(const char *const *args, int timeout_ms, char **out, char **err)
{
	const char *out_path = fmt("%s/cli.out", S.dir), *err_path = fmt("%s/cli.err", S.dir);
	int ofd = open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	int efd = open(err_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	pid_t pid;
	int status;

	cr_assert(ofd >= 0 && efd >= 0, "open %s: %s", out_path, strerror(errno));
	pid = spawn_fds(args, ofd, efd);
	close(ofd);
	close(efd);
	status = wait_or_kill(pid, timeout_ms);
	if (out)
		*out = slurp(out_path, NULL);
	if (err)
		*err = slurp(err_path, NULL);
	if (status == -1)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static const char **serve_extra;

void srv_serve_args(const char *const *extra)
{
	size_t n = 0;

	serve_extra = NULL;
	if (extra == NULL)
		return;
	while (extra[n])
		n++;
	serve_extra = keep(xzalloc((n + 1) * sizeof(*serve_extra)));
	for (size_t i = 0; i < n; i++)
		serve_extra[i] = fmt("%s", extra[i]);
}

/* Start serve on a fresh port; false if it exited before answering. */
static bool try_serve(void)
{
	const char *args[24] = {"serve", "--db", fmt("sqlite:%s", S.db_path), "--listen"};
	int status, n = 5;

	S.port = free_port();
	args[4] = fmt("127.0.0.1:%d", S.port);
	for (int i = 0; serve_extra && serve_extra[i] && n < 23; i++)
		args[n++] = serve_extra[i];
	args[n] = NULL;
	S.pid = spawn(args, -1);
	for (int i = 0; i < 500; i++) {
		if (waitpid(S.pid, &status, WNOHANG) == S.pid) {
			S.pid = 0;
			return false;
		}
		if (ours_is_ready())
			return true;
		sleep_ms(20);
	}
	cr_assert_fail("visor serve was not ready within 10 s; log:\n%s", srv_log_tail());
	return false;
}

int srv_signal_and_wait(int sig)
{
	int status = -1;

	cr_assert_gt(S.pid, 0, "no server to signal");
	kill(S.pid, sig);
	for (int i = 0; i < 250; i++) {
		if (waitpid(S.pid, &status, WNOHANG) == S.pid) {
			S.pid = 0;
			return status;
		}
		sleep_ms(20);
	}
	kill(S.pid, SIGKILL);
	waitpid(S.pid, &status, 0);
	S.pid = 0;
	return -1;
}

void srv_restart(void)
{
	for (int attempt = 0; attempt < 3; attempt++)
		if (try_serve())
			return;
	cr_assert_fail("visor serve exited before answering; log:\n%s", srv_log_tail());
}

static void start(int teams)
{
	memset(&S, 0, sizeof(S));
	serve_extra = NULL;
	snprintf(S.dir, sizeof(S.dir), "/tmp/visor-it-XXXXXX");
	cr_assert_not_null(mkdtemp(S.dir), "mkdtemp: %s", strerror(errno));
	snprintf(S.db_path, sizeof(S.db_path), "%s/visor.db", S.dir);
	snprintf(S.log_path, sizeof(S.log_path), "%s/server.log", S.dir);
	curl_global_init(CURL_GLOBAL_ALL);

	init_team(0, "Acme", "admin@acme.test");
	if (teams > 1)
		init_team(1, "Globex", "admin@globex.test");
	srv_restart();
}

void srv_start(void)
{
	start(1);
}

void srv_start_two_teams(void)
{
	start(2);
}

void srv_check_alive(void)
{
	int status;

	cr_assert_neq(S.pid, 0, "no server");
	if (waitpid(S.pid, &status, WNOHANG) == S.pid) {
		S.pid = 0;
		cr_assert_fail("the server exited during the test (%s %d); log:\n%s",
		               WIFSIGNALED(status) ? "signal" : "status",
		               WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status),
		               srv_log_tail());
	}
}

void srv_check_end(void)
{
	srv_check_alive();
	db_check_invariants();
}

static int rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	return remove(path);
}

void srv_stop(void)
{
	if (S.pid > 0)
		srv_signal_and_wait(SIGTERM);
	if (curl)
		curl_easy_cleanup(curl);
	curl = NULL;
	if (S.dir[0] && getenv("VISOR_KEEP_TMP") == NULL)
		nftw(S.dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	serve_extra = NULL;
	pool_release();
}

/* ---- HTTP through libcurl ---- */

struct buf {
	char *p;
	size_t n;
};

static size_t on_data(char *ptr, size_t size, size_t nmemb, void *ud)
{
	struct buf *b = ud;
	size_t add = size * nmemb;

	b->p = xrealloc(b->p, b->n + add + 1);
	memcpy(b->p + b->n, ptr, add);
	b->n += add;
	b->p[b->n] = '\0';
	return add;
}

static struct curl_slist *request_headers(const char *const *headers, bool has_body)
{
	struct curl_slist *list = NULL;
	bool has_type = false;

	for (int i = 0; headers && headers[i]; i++) {
		list = curl_slist_append(list, headers[i]);
		if (strncasecmp(headers[i], "Content-Type:", 13) == 0)
			has_type = true;
	}
	if (has_body && !has_type)
		list = curl_slist_append(list, "Content-Type: application/json");
	/* Send bodies at once rather than waiting for 100 Continue. */
	return curl_slist_append(list, "Expect:");
}

static bool has_json_type(const char *headers)
{
	for (const char *p = headers; (p = strcasestr(p, "content-type:")) != NULL; p++) {
		p += strlen("content-type:");
		p += strspn(p, " \t");
		if (strncasecmp(p, "application/json", 16) == 0)
			return true;
	}
	return false;
}

/* What every answer must satisfy, whatever the test: never a 5xx, always a
 * JSON object, and an error always in the shape of DESIGN §3. */
static void check_shape(const struct resp *r)
{
	cr_expect_lt(r->status, 500, "%s %s answered %ld (never a 5xx): %.600s", r->method, r->path,
	             r->status, r->body);
	cr_expect(json_is_object(r->json), "%s %s: answer %ld is not a JSON object: %.600s",
	          r->method, r->path, r->status, r->body);
	cr_expect(has_json_type(r->headers), "%s %s: answer %ld without a JSON Content-Type:\n%s",
	          r->method, r->path, r->status, r->headers);
	if (r->status < 400 || !json_is_object(r->json))
		return;
	cr_expect(json_is_integer(jget(r->json, "success")) && jint(r->json, "success") == 0,
	          "%s %s: error body lacks \"success\": 0: %.600s", r->method, r->path, r->body);
	cr_expect(jstr(r->json, "error") && *jstr(r->json, "error"),
	          "%s %s: error body lacks an \"error\" sentence: %.600s", r->method, r->path,
	          r->body);
	cr_expect(jstr(r->json, "code") && *jstr(r->json, "code"),
	          "%s %s: error body lacks a \"code\": %.600s", r->method, r->path, r->body);
}

static void set_method(const char *method, const char *body, size_t len)
{
	if (body != NULL) {
		curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
		curl_easy_setopt(curl, CURLOPT_COPYPOSTFIELDS, body);
	} else if (strcmp(method, "POST") == 0) {
		curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, 0L);
		curl_easy_setopt(curl, CURLOPT_POSTFIELDS, "");
	} else {
		curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L);
	}
	if (strcmp(method, "GET") != 0 || body != NULL)
		curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method);
}

struct resp *http(const char *method, const char *path, const char *const *headers,
                  const char *body, size_t len)
{
	struct resp *r = keep(xzalloc(sizeof(*r)));
	struct buf data = {0}, hdrs = {0};
	struct curl_slist *list = request_headers(headers, body != NULL);
	CURLcode rc;

	if (curl == NULL)
		curl = curl_easy_init();
	curl_easy_reset(curl);
	curl_easy_setopt(curl, CURLOPT_URL, fmt("http://127.0.0.1:%d%s", S.port, path));
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, list);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT, 30L);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, &data);
	curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_data);
	curl_easy_setopt(curl, CURLOPT_HEADERDATA, &hdrs);
	set_method(method, body, len);
	rc = curl_easy_perform(curl);
	curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &r->status);
	curl_slist_free_all(list);

	r->method = method;
	r->path = path;
	r->body = keep(data.p ? data.p : strdup(""));
	r->len = data.n;
	r->headers = keep(hdrs.p ? hdrs.p : strdup(""));
	if (r->status == 0) {
		srv_check_alive();
		cr_assert_fail("%s %s: no answer (%s); log:\n%s", method, path,
		               curl_easy_strerror(rc), srv_log_tail());
	}
	r->json = jkeep(json_loadb(r->body, r->len, JSON_DECODE_ANY, NULL));
	check_shape(r);
	return r;
}

static struct resp *with_auth(const char *auth, const char *method, const char *path, json_t *body)
{
	const char *hdrs[] = {auth, NULL};
	char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
	struct resp *r;

	if (body)
		cr_assert_not_null(text, "cannot encode the request body");
	r = http(method, path, hdrs, text, text ? strlen(text) : 0);
	free(text);
	json_decref(body);
	return r;
}

struct resp *adm_t(int t, const char *method, const char *path, json_t *body)
{
	return with_auth(fmt("Authorization: Bearer %s", S.team[t].admin_key), method, path, body);
}

struct resp *adm(const char *method, const char *path, json_t *body)
{
	return adm_t(0, method, path, body);
}

struct resp *api(const char *token, const char *method, const char *path, json_t *body)
{
	return with_auth(fmt("Explo-Authorization: Token %s", token), method, path, body);
}

struct resp *api_raw(const char *token, const char *method, const char *path, const char *body,
                     size_t len)
{
	const char *hdrs[] = {fmt("Explo-Authorization: Token %s", token), NULL};
	return http(method, path, hdrs, body, len);
}

/* ---- JSON helpers ---- */

json_t *J(const char *f, ...)
{
	json_error_t err;
	va_list ap;
	json_t *j;

	va_start(ap, f);
	j = json_vpack_ex(&err, 0, f, ap);
	va_end(ap);
	cr_assert_not_null(j, "json_pack(\"%s\"): %s", f, err.text);
	return j;
}

json_t *jget(json_t *root, const char *path)
{
	json_t *cur = root;
	const char *p = path;

	while (cur != NULL && *p) {
		size_t n = strcspn(p, ".");
		char part[128];

		snprintf(part, sizeof(part), "%.*s", (int)n, p);
		if (json_is_array(cur)) {
			char *end;
			long i = strtol(part, &end, 10);
			cur = *end ? NULL : json_array_get(cur, (size_t)i);
		} else {
			cur = json_object_get(cur, part);
		}
		p += n;
		if (*p == '.')
			p++;
	}
	return cur;
}

const char *jstr(json_t *root, const char *path)
{
	return json_string_value(jget(root, path));
}

json_int_t jint(json_t *root, const char *path)
{
	json_t *v = jget(root, path);
	return json_is_integer(v) ? json_integer_value(v) : -1;
}

const char *resp_code(const struct resp *r)
{
	const char *code = jstr(r->json, "code");
	return code ? code : "";
}

const char *resp_header(const struct resp *r, const char *name)
{
	size_t n = strlen(name);

	for (const char *p = r->headers; p && *p;) {
		size_t len = strcspn(p, "\n");

		if (strncasecmp(p, name, n) == 0 && p[n] == ':') {
			const char *v = p + n + 1 + strspn(p + n + 1, " \t");
			return fmt("%.*s", (int)strcspn(v, "\r\n"), v);
		}
		p += len + (p[len] != '\0');
	}
	return NULL;
}

char *jdump(const json_t *j)
{
	char *s = j ? json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY) : NULL;
	return keep(s ? s : strdup("(null)"));
}

/* ---- raw sockets ---- */

static int connect_loopback(void)
{
	struct sockaddr_in a = {.sin_family = AF_INET,
	                        .sin_port = htons((uint16_t)S.port),
	                        .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	cr_assert_geq(fd, 0, "socket: %s", strerror(errno));
	cr_assert_eq(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0, "connect: %s",
	             strerror(errno));
	return fd;
}

static void send_all(int fd, const char *bytes, size_t len)
{
	while (len > 0) {
		ssize_t n = send(fd, bytes, len, MSG_NOSIGNAL);
		if (n <= 0)
			return; /* the server may answer and close before reading it all */
		bytes += n;
		len -= (size_t)n;
	}
}

static void parse_raw(struct raw *r, size_t n)
{
	const char *sep = strstr(r->text, "\r\n\r\n");

	if (strncmp(r->text, "HTTP/1.", 7) == 0 && n > 12)
		r->status = strtol(r->text + 9, NULL, 10);
	r->body = sep ? sep + 4 : "";
	r->json = jkeep(json_loads(r->body, JSON_DISABLE_EOF_CHECK, NULL));
}

struct raw *raw_http(const char *bytes, size_t len, int timeout_ms)
{
	struct raw *r = keep(xzalloc(sizeof(*r)));
	struct buf b = {.p = xzalloc(1)};
	int fd = connect_loopback();

	send_all(fd, bytes, len);
	for (;;) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		char chunk[4096];
		ssize_t n;

		if (poll(&p, 1, timeout_ms) <= 0)
			break;
		n = recv(fd, chunk, sizeof(chunk), 0);
		if (n <= 0) {
			r->closed = true;
			break;
		}
		on_data(chunk, 1, (size_t)n, &b);
	}
	close(fd);
	r->text = keep(b.p);
	parse_raw(r, b.n);
	return r;
}
