/*
 * http — libmicrohttpd glue. The access handler is called several times
 * per request: first with the headers (we check them and return MHD_YES —
 * answering here would cost keep-alive on libmicrohttpd 0.9.75), then with
 * each piece of the body, and last with none, when the router runs and the
 * answer is queued. The completion callback writes the access log line and
 * frees the request.
 */
#include "http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netdb.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "jsonv.h"
#include "limits.h"
#include "log.h"
#include "mem.h"
#include "req.h"
#include "router.h"
#include "util.h"

struct http_server {
	struct MHD_Daemon *daemon;
	int fd;
	char address[80];
};

static unsigned process_tag; /* 24 random bits, for request ids */
static atomic_uint_fast64_t request_count;

struct http_req {
	struct req r;
	struct timespec start;
	bool close_after; /* answer with Connection: close */
	bool refused;     /* an answer is already decided; ignore the body */
	size_t body_cap;
	size_t received; /* body bytes seen, kept or not */
	char client[64];
};

static double elapsed_ms(const struct timespec *start)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - start->tv_sec) * 1e3 +
	       (double)(now.tv_nsec - start->tv_nsec) / 1e6;
}

static void client_address(struct MHD_Connection *conn, char *out, size_t len)
{
	const union MHD_ConnectionInfo *info =
	    MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);

	snprintf(out, len, "-");
	if (!info || !info->client_addr)
		return;
	if (getnameinfo(info->client_addr,
	                info->client_addr->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6)
	                                                         : sizeof(struct sockaddr_in),
	                out, (socklen_t)len, NULL, 0, NI_NUMERICHOST) != 0)
		snprintf(out, len, "-");
}

static enum MHD_Result check_utf8(void *cls, enum MHD_ValueKind kind, const char *key,
                                  const char *value)
{
	bool *ok = cls;

	if (!jsonv_utf8(key, strlen(key)) || (value && !jsonv_utf8(value, strlen(value))))
		*ok = false;
	return *ok ? MHD_YES : MHD_NO;
}

static enum MHD_Result add_header_size(void *cls, enum MHD_ValueKind kind, const char *key,
                                       const char *value)
{
	size_t *total = cls;

	*total += strlen(key) + (value ? strlen(value) : 0) + 4;
	return MHD_YES;
}

/* The checks that need only the headers. */
static void check_headers(struct http_req *h)
{
	struct req *r = &h->r;
	const char *cl = req_header(r, MHD_HTTP_HEADER_CONTENT_LENGTH);
	const char *te = req_header(r, MHD_HTTP_HEADER_TRANSFER_ENCODING);
	size_t header_bytes = strlen(r->method) + strlen(r->path) + 16;
	int64_t declared = 0;
	bool utf8 = jsonv_utf8(r->path, strlen(r->path));

	MHD_get_connection_values(r->conn, MHD_HEADER_KIND, add_header_size, &header_bytes);
	if (utf8)
		MHD_get_connection_values(r->conn, MHD_GET_ARGUMENT_KIND, check_utf8, &utf8);
	if (cl && te) {
		h->close_after = true;
		err_set(&r->err, 400, "ambiguous_length",
		        "Send either Content-Length or Transfer-Encoding, not both.");
	} else if (header_bytes > limits.header_max) {
		h->close_after = true;
		err_set(&r->err, 431, "headers_too_large", "The request headers exceed %zu bytes.",
		        limits.header_max);
	} else if (cl && util_parse_i64(cl, 0, INT64_MAX, &declared) &&
	           (uint64_t)declared > limits.body_max) {
		h->close_after = true;
		err_set(&r->err, 413, "body_too_large", "The request body exceeds %zu bytes.",
		        limits.body_max);
	} else if (!utf8) {
		err_set(&r->err, 400, "invalid_utf8",
		        "The path or query is not valid UTF-8 (percent-decoded).");
	}
	h->refused = r->err.status != 0;
}

static void append_body(struct http_req *h, const char *data, size_t len)
{
	struct req *r = &h->r;

	if (h->refused)
		return;
	if (r->body_len + len > limits.body_max) {
		h->refused = true;
		h->close_after = true;
		err_set(&r->err, 413, "body_too_large", "The request body exceeds %zu bytes.",
		        limits.body_max);
		return;
	}
	if (r->body_len + len + 1 > h->body_cap) {
		h->body_cap = (r->body_len + len + 1) * 2;
		if (h->body_cap > limits.body_max + 1)
			h->body_cap = limits.body_max + 1;
		r->body = xrealloc(r->body, h->body_cap);
	}
	memcpy(r->body + r->body_len, data, len);
	r->body_len += len;
	r->body[r->body_len] = '\0';
}

static json_t *error_body(const struct err *e)
{
	json_t *o = json_pack("{si ss ss}", "success", 0, "error", e->message, "code",
	                      e->code ? e->code : "error");
	json_t *detail = e->detail_json ? json_loads(e->detail_json, 0, NULL) : NULL;

	if (detail) {
		json_object_update_missing(o, detail);
		json_decref(detail);
	}
	return o;
}

static enum MHD_Result send_reply(struct http_req *h)
{
	struct req *r = &h->r;
	json_t *body = r->err.status ? error_body(&r->err) : r->reply;
	unsigned status = r->err.status ? r->err.status : r->status;
	char *json = body ? json_dumps(body, JSON_COMPACT) : NULL;
	struct MHD_Response *resp;
	enum MHD_Result ret;
	char *text;

	if (!json) {
		/* Never an empty body: a fixed refusal if the answer could not be built. */
		status = 500;
		json = xstrdup("{\"success\":0,\"error\":\"The server could not build its "
		               "answer.\",\"code\":\"internal_error\"}");
	}
	text = xasprintf("%s\n", json); /* a final newline, for terminals */
	free(json);
	if (r->err.status)
		json_decref(body);
	r->status = status;
	resp = MHD_create_response_from_buffer(strlen(text), text, MHD_RESPMEM_MUST_FREE);
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	MHD_add_response_header(resp, "X-Request-Id", r->id);
	if (h->close_after)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION, "close");
	if (r->retry_after) {
		char secs[16];

		snprintf(secs, sizeof(secs), "%u", r->retry_after);
		MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER, secs);
	}
	ret = MHD_queue_response(r->conn, status, resp);
	MHD_destroy_response(resp);
	return ret;
}

static struct http_req *begin(struct MHD_Connection *conn, const char *url, const char *method)
{
	struct http_req *h = xcalloc(1, sizeof(*h));
	uint64_t n = atomic_fetch_add(&request_count, 1);

	clock_gettime(CLOCK_MONOTONIC, &h->start);
	/* Unique per process without a system call: a random tag from the
	 * start, then a counter. */
	snprintf(h->r.id, sizeof(h->r.id), "%06x%010llx", process_tag,
	         (unsigned long long)(n & 0xffffffffffULL));
	h->r.conn = conn;
	h->r.method = method;
	h->r.path = url;
	h->r.status = 200;
	client_address(conn, h->client, sizeof(h->client));
	h->r.client = h->client;
	return h;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload,
                                  size_t *upload_size, void **ctx)
{
	struct http_req *h = *ctx;

	if (!h) {
		h = begin(conn, url, method);
		*ctx = h;
		check_headers(h);
		/* A refusal that closes the connection is answered at once, before
		 * "100 Continue" invites the client to send the body. */
		return h->close_after ? send_reply(h) : MHD_YES;
	}
	if (*upload_size) {
		append_body(h, upload, *upload_size);
		h->received += *upload_size;
		*upload_size = 0;
		/* libmicrohttpd takes no answer in the middle of a body: past the
		 * limit the rest is read and dropped, and the 413 follows at its
		 * end. A client that keeps streaming far past it is cut off. */
		return h->received > limits.body_max * 4 ? MHD_NO : MHD_YES;
	}
	log_set_request_id(h->r.id);
	if (!h->refused)
		router_dispatch(&h->r);
	log_set_request_id(NULL);
	return send_reply(h);
}

static void actor_text(const struct req *r, char *out, size_t len)
{
	static const char *const kinds[] = {"-", "member", "admin_key", "token"};

	if (r->who.kind == ACTOR_NONE)
		snprintf(out, len, "-");
	else
		snprintf(out, len, "%s:%lld", kinds[r->who.kind], (long long)r->who.id);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **ctx,
                         enum MHD_RequestTerminationCode toe)
{
	struct http_req *h = *ctx;
	struct access_entry e;
	char actor[48];

	if (!h)
		return;
	actor_text(&h->r, actor, sizeof(actor));
	e.request_id = h->r.id;
	e.method = h->r.method;
	e.path = h->r.path;
	e.client = h->client;
	e.status = toe == MHD_REQUEST_TERMINATED_COMPLETED_OK ? h->r.status : 499;
	e.duration_ms = elapsed_ms(&h->start);
	e.actor = actor;
	log_access(&e);
	json_decref(h->r.json);
	json_decref(h->r.reply);
	err_clear(&h->r.err);
	free(h->r.body);
	free(h);
	*ctx = NULL;
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	char line[512];

	vsnprintf(line, sizeof(line), fmt, ap);
	line[strcspn(line, "\n")] = '\0';
	log_warn("http: %s", line);
}

/* Resolve "ADDR:PORT" or "[ADDR6]:PORT" (numeric only) into *ai. */
static bool resolve_listen(const char *listen_at, struct addrinfo **ai, char *msg, size_t msglen)
{
	char host[64];
	const char *colon = strrchr(listen_at, ':');
	struct addrinfo hints = {0};
	size_t hlen;

	if (!colon || colon == listen_at || !colon[1]) {
		snprintf(msg, msglen, "--listen wants ADDR:PORT, e.g. 127.0.0.1:8080");
		return false;
	}
	hlen = (size_t)(colon - listen_at);
	if (listen_at[0] == '[' && hlen >= 2 && listen_at[hlen - 1] == ']')
		snprintf(host, sizeof(host), "%.*s", (int)(hlen - 2), listen_at + 1);
	else
		snprintf(host, sizeof(host), "%.*s", (int)hlen, listen_at);
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE;
	hints.ai_socktype = SOCK_STREAM;
	if (getaddrinfo(host, colon + 1, &hints, ai) != 0) {
		snprintf(msg, msglen, "--listen: \"%s\" is not a numeric ADDR:PORT", listen_at);
		return false;
	}
	return true;
}

bool http_listen_valid(const char *listen_at, char *msg, size_t msglen)
{
	struct addrinfo *ai = NULL;

	if (!resolve_listen(listen_at, &ai, msg, msglen))
		return false;
	freeaddrinfo(ai);
	return true;
}

static int bind_listener(const char *listen_at, char *msg, size_t msglen, int *family)
{
	struct addrinfo *ai = NULL;
	int fd, one = 1;

	if (!resolve_listen(listen_at, &ai, msg, msglen))
		return -1;
	fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	*family = ai->ai_family;
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
	    bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 || listen(fd, 1024) != 0) {
		snprintf(msg, msglen, "cannot listen on %s: %s%s", listen_at, strerror(errno),
		         errno == EADDRINUSE ? " (another process holds the port)" : "");
		if (fd >= 0)
			close(fd);
		fd = -1;
	}
	freeaddrinfo(ai);
	return fd;
}

static void describe_bound(struct http_server *s)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	char host[64] = "?", port[16] = "?";

	if (getsockname(s->fd, (struct sockaddr *)&ss, &len) == 0)
		getnameinfo((struct sockaddr *)&ss, len, host, sizeof(host), port, sizeof(port),
		            NI_NUMERICHOST | NI_NUMERICSERV);
	snprintf(s->address, sizeof(s->address), ss.ss_family == AF_INET6 ? "[%s]:%s" : "%s:%s",
	         host, port);
}

/* Headers must fit in libmicrohttpd's per-connection pool; past it the
 * library answers 431 itself, in HTML. The pool is cleared on every
 * request, so its size is paid each time: three times the header limit leaves
 * room for our own JSON 431 on most oversized requests at little cost. */
static size_t connection_memory(void)
{
	return limits.header_max * 3;
}

struct http_server *http_start(const char *listen_at, char *msg, size_t msglen)
{
	struct http_server *s = xcalloc(1, sizeof(*s));
	unsigned threads =
	    limits.threads ? limits.threads : (unsigned)sysconf(_SC_NPROCESSORS_ONLN);
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ERROR_LOG;
	int family = AF_INET;

	process_tag = randombytes_uniform(1u << 24);
	s->fd = bind_listener(listen_at, msg, msglen, &family);
	if (s->fd < 0) {
		free(s);
		return NULL;
	}
	if (family == AF_INET6)
		flags |= MHD_USE_IPv6;
	describe_bound(s);
	s->daemon = MHD_start_daemon(
	    flags, 0, NULL, NULL, on_request, NULL, MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
	    MHD_OPTION_LISTEN_SOCKET, s->fd, MHD_OPTION_THREAD_POOL_SIZE, threads ? threads : 1u,
	    MHD_OPTION_CONNECTION_LIMIT, limits.connections, MHD_OPTION_CONNECTION_TIMEOUT,
	    limits.idle_timeout_s, MHD_OPTION_CONNECTION_MEMORY_LIMIT, connection_memory(),
	    MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL, MHD_OPTION_END);
	if (!s->daemon) {
		snprintf(msg, msglen, "the HTTP server did not start on %s", listen_at);
		close(s->fd);
		free(s);
		return NULL;
	}
	return s;
}

const char *http_address(const struct http_server *s)
{
	return s->address;
}

void http_stop(struct http_server *s)
{
	if (!s)
		return;
	MHD_stop_daemon(s->daemon);
	close(s->fd);
	free(s);
}

/* req.h accessors that need libmicrohttpd */

const char *req_query(struct req *r, const char *name)
{
	return MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, name);
}

const char *req_header(struct req *r, const char *name)
{
	return MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, name);
}
