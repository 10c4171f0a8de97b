/*
 * http — the HTTP/1.1 front end on libmicrohttpd: epoll with a pool of
 * one thread per core, body and header limits answered in JSON, one
 * request context per request freed in one place, and the access log.
 */
#ifndef VISOR_HTTP_H
#define VISOR_HTTP_H

#include <stdbool.h>
#include <stddef.h>

struct http_server;

/* Bind listen ("ADDR:PORT", "[ADDR6]:PORT") and start serving. On failure
 * returns NULL with a message a person can act on in msg. */
struct http_server *http_start(const char *listen, char *msg, size_t msglen);

/* Is listen a well-formed numeric ADDR:PORT? Checked before anything opens. */
bool http_listen_valid(const char *listen, char *msg, size_t msglen);

/* The address actually bound ("127.0.0.1:8080"), for the ready line. */
const char *http_address(const struct http_server *s);

/* Stop accepting, finish what is in flight, free everything. */
void http_stop(struct http_server *s);

#endif
