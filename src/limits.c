/*
 * limits — the defaults of every bound (DESIGN.md §3).
 */
#include "limits.h"

struct limits limits = {
    .body_max = 1024 * 1024,
    .header_max = 16 * 1024,
    .depth_max = 32,
    .id_max = 255,
    .name_max = 1024,
    .array_max = 1000,
    .embed_token_max = 8192,
    .page_max = 1000,
    .page_default = 20,
    .connections = 1024,
    .idle_timeout_s = 30,
    .threads = 0,
    .token_rate = 100,
    .token_burst = 200,
    .auth_failures = 10,
};
