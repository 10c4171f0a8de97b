/*
 * log — writes the event log and the access log. Each line is formatted in
 * full and written with one write(2), so lines from the server's threads
 * never interleave.
 */
#include "log.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <fcntl.h>
#include <unistd.h>

enum log_level log_min_level = LOG_INFO;

static int event_fd = STDERR_FILENO;
static int access_fd = STDERR_FILENO;
static bool access_as_json;
static __thread char thread_request_id[40];

static const char *const level_names[] = {"debug", "info", "warn", "error"};

static int open_append(const char *path)
{
	if (!path || strcmp(path, "-") == 0)
		return STDERR_FILENO;
	return open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
}

int log_open(const char *event_path, const char *access_path, bool access_json)
{
	int efd = open_append(event_path);
	int afd = open_append(access_path);

	if (efd < 0 || afd < 0)
		return -1;
	event_fd = efd;
	access_fd = afd;
	access_as_json = access_json;
	return 0;
}

bool log_parse_level(const char *s, enum log_level *out)
{
	for (size_t i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++) {
		if (strcmp(s, level_names[i]) == 0) {
			*out = (enum log_level)i;
			return true;
		}
	}
	return false;
}

void log_set_request_id(const char *id)
{
	snprintf(thread_request_id, sizeof(thread_request_id), "%s", id ? id : "");
}

static size_t format_time(char *buf, size_t len)
{
	struct timeval tv;
	struct tm tm;
	size_t n;

	gettimeofday(&tv, NULL);
	gmtime_r(&tv.tv_sec, &tm);
	n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
	n += (size_t)snprintf(buf + n, len - n, ".%03dZ", (int)(tv.tv_usec / 1000));
	return n;
}

static void write_line(int fd, char *line, size_t len, size_t cap)
{
	if (len >= cap - 1)
		len = cap - 2;
	line[len++] = '\n';
	if (write(fd, line, len) < 0) {
		/* A log that cannot be written has nowhere to report to. */
	}
}

void log_write(enum log_level level, const char *fmt, ...)
{
	char line[2048];
	size_t n = format_time(line, sizeof(line));
	va_list ap;
	int m;

	m = snprintf(line + n, sizeof(line) - n, " [%d] %s%s%s ", (int)getpid(), level_names[level],
	             thread_request_id[0] ? " req=" : "", thread_request_id);
	n += (size_t)m;
	va_start(ap, fmt);
	m = vsnprintf(line + n, sizeof(line) - n, fmt, ap);
	va_end(ap);
	n += m > 0 ? (size_t)m : 0;
	write_line(event_fd, line, n > sizeof(line) - 1 ? sizeof(line) - 1 : n, sizeof(line));
}

static void access_json(const struct access_entry *e, const char *ts)
{
	json_t *o = json_pack("{ss ss ss ss ss si sf ss}", "time", ts, "request_id", e->request_id,
	                      "method", e->method, "path", e->path, "client", e->client, "status",
	                      (int)e->status, "duration_ms", e->duration_ms, "actor", e->actor);
	char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;
	char line[4096];
	int n = snprintf(line, sizeof(line), "%s", s ? s : "{}");

	write_line(access_fd, line, n > 0 ? (size_t)n : 0, sizeof(line));
	free(s);
	json_decref(o);
}

void log_access(const struct access_entry *e)
{
	char ts[40];
	char line[4096];
	int n;

	format_time(ts, sizeof(ts));
	if (access_as_json) {
		access_json(e, ts);
		return;
	}
	n = snprintf(line, sizeof(line), "%s %s %s \"%s %s\" %u %.3fms %s", ts, e->request_id,
	             e->client, e->method, e->path, e->status, e->duration_ms, e->actor);
	write_line(access_fd, line, n > 0 ? (size_t)n : 0, sizeof(line));
}
