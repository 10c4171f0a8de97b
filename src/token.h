/*
 * token — the credentials Visor hands out and how it recognises them.
 *
 * An API token reads "vis_" + 43 characters of base64url randomness (256
 * bits from libsodium) + 6 characters of checksum; an admin key reads the
 * same behind "visadm_". The checksum lets a mistyped token be refused
 * before any lookup and a leaked one be found by scanners. Only a BLAKE2b
 * hash of a credential is stored; lookups go by hash and the final compare
 * is constant-time.
 */
#ifndef VISOR_TOKEN_H
#define VISOR_TOKEN_H

#include <stdbool.h>
#include <stddef.h>

enum token_kind { TOKEN_API, TOKEN_ADMIN_KEY };

#define TOKEN_TEXT_MAX  64 /* longest credential text, with its NUL */
#define TOKEN_HASH_HEX  65 /* 64 hex digits and a NUL */
#define TOKEN_SHOW_HEAD 12 /* characters kept for display ("vis_AbCdEfGh") */

/* Make a new credential of the kind into out[TOKEN_TEXT_MAX]. */
void token_generate(enum token_kind kind, char out[TOKEN_TEXT_MAX]);

/* True if text has the kind's prefix, length, alphabet and a valid checksum. */
bool token_well_formed(enum token_kind kind, const char *text);

/* Hex BLAKE2b-256 of the credential, as stored. */
void token_hash(const char *text, char out[TOKEN_HASH_HEX]);

/* Constant-time equality of two stored hashes. */
bool token_hash_equal(const char *a, const char *b);

/* The display parts: head (first TOKEN_SHOW_HEAD chars) and last four. */
void token_display(const char *text, char head[TOKEN_SHOW_HEAD + 1], char last4[5]);

/* A customer's embed token: 64 hex characters of randomness. */
void token_embed(char out[65]);

/* A one-time password for a new member: 24 base64url characters. */
void token_password(char out[25]);

#endif
