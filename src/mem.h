/*
 * mem — Visor's one memory policy: an allocation that fails aborts the
 * process with a message. No caller checks for NULL from these wrappers.
 */
#ifndef VISOR_MEM_H
#define VISOR_MEM_H

#include <stddef.h>

/* Allocate n bytes (zeroed for xcalloc); never returns NULL. Free with free(). */
void *xmalloc(size_t n) __attribute__((malloc, returns_nonnull));
void *xcalloc(size_t count, size_t size) __attribute__((malloc, returns_nonnull));
void *xrealloc(void *p, size_t n) __attribute__((returns_nonnull));

/* Copy a string; NULL in gives NULL out. The caller frees the copy. */
char *xstrdup(const char *s);

/* printf into a new string the caller frees. */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2), returns_nonnull));

/* Route jansson's allocations through the same policy. Call once at start. */
void mem_init(void);

#endif
