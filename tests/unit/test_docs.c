/*
 * Docs checked against code: every route the server has is documented in
 * docs/api.md, and every route docs/api.md names exists.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "router.h"

static const struct route *const tables[] = {api_customer_routes,   api_embed_routes,
                                             admin_schema_routes,   admin_group_routes,
                                             admin_customer_routes, admin_org_routes};

static char *read_docs(void)
{
	const char *path = getenv("VISOR_API_DOCS");
	FILE *f = path ? fopen(path, "r") : NULL;
	char *text;
	long n;

	cr_assert(f, "VISOR_API_DOCS must name docs/api.md");
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	text = calloc(1, (size_t)n + 1);
	cr_assert(fread(text, 1, (size_t)n, f) == (size_t)n);
	fclose(f);
	return text;
}

/* "`METHOD /path/{id}`", as the docs write a route. */
static void route_text(const char *method, size_t mlen, const char *pattern, char *out, size_t cap)
{
	size_t n = (size_t)snprintf(out, cap, "`%.*s ", (int)mlen, method);

	for (const char *p = pattern; *p && n + 6 < cap; p++) {
		if (p[0] == '{' && p[1] == '}') {
			n += (size_t)snprintf(out + n, cap - n, "{id}");
			p++;
		} else if (strncmp(p, "{key}", 5) == 0) {
			n += (size_t)snprintf(out + n, cap - n, "{key_id}");
			p += 4;
		} else {
			out[n++] = *p;
		}
	}
	snprintf(out + n, cap - n, "`");
}

Test(docs, every_route_is_documented)
{
	char *docs = read_docs();
	char want[256];

	for (size_t t = 0; t < sizeof(tables) / sizeof(tables[0]); t++) {
		for (const struct route *rt = tables[t]; rt->pattern; rt++) {
			for (const char *m = rt->methods; *m;) {
				size_t len = strcspn(m, " ");

				route_text(m, len, rt->pattern, want, sizeof(want));
				cr_expect(strstr(docs, want), "docs/api.md lacks %s", want);
				m += len;
				m += *m == ' ';
			}
		}
	}
	free(docs);
}

static bool route_exists(const char *method, const char *path)
{
	char want[256];

	for (size_t t = 0; t < sizeof(tables) / sizeof(tables[0]); t++) {
		for (const struct route *rt = tables[t]; rt->pattern; rt++) {
			for (const char *m = rt->methods; *m;) {
				size_t len = strcspn(m, " ");

				route_text(m, len, rt->pattern, want, sizeof(want));
				if (strncmp(want + 1, method, strlen(method)) == 0 &&
				    strlen(want) == strlen(method) + strlen(path) + 3 &&
				    strstr(want, path))
					return true;
				m += len;
				m += *m == ' ';
			}
		}
	}
	return false;
}

Test(docs, every_documented_route_exists)
{
	static const char *const methods[] = {"GET", "POST", "PUT", "PATCH", "DELETE"};
	char *docs = read_docs();
	char path[200];

	for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++) {
		char needle[16];

		snprintf(needle, sizeof(needle), "`%s /", methods[i]);
		for (char *p = strstr(docs, needle); p; p = strstr(p + 1, needle)) {
			size_t len = strcspn(p + strlen(needle) - 1, "`");

			snprintf(path, sizeof(path), "%.*s", (int)len, p + strlen(needle) - 1);
			cr_expect(route_exists(methods[i], path),
			          "docs/api.md names %s %s, which "
			          "the server lacks",
			          methods[i], path);
		}
	}
	free(docs);
}
