/*
 * keyring — the master key of this process. Data source secrets and
 * signing keys are sealed under it before they reach the database (rule
 * 9). The key comes from VISOR_MASTER_KEY or a 0600 key file (`visor init`
 * creates one beside a SQLite database); its fingerprint is kept in the
 * database, so a wrong key is a clear start-up error rather than garbage.
 */
#ifndef VISOR_KEYRING_H
#define VISOR_KEYRING_H

#include <stdbool.h>
#include <stddef.h>

#include "db.h"

/* The key file used when none is named: "PATH.key" beside a SQLite
 * database at PATH, else "visor.key". */
void keyring_default_file(const char *db_url, char *out, size_t cap);

/* Load the key (creating the file if allowed and missing) and check it
 * against the database's fingerprint, recording it on first use. */
bool keyring_open(struct db *db, const char *key_file, bool create, char *msg,
                  size_t msglen) MUST_CHECK;

/* Seal plaintext under the master key into *sealed (free it). Inside a
 * write transaction: refused (503 master_key_mismatch in e) when the
 * database has meanwhile been moved to another master key (`visor
 * rekey`), so nothing is sealed under a stale key. */
bool keyring_seal(struct db *db, const char *plaintext, char **sealed, struct err *e) MUST_CHECK;

/* Open a sealed value; *plaintext is new (free it). False if it does not
 * open under this key. */
bool keyring_unseal(const char *sealed, char **plaintext) MUST_CHECK;

/* The refusal when a stored value does not open, or may not be sealed,
 * under this process's key: 503 master_key_mismatch. Returns false. */
bool keyring_mismatch(struct err *e);

/* The key of the audit log's hash chain, derived from the master key. */
void keyring_audit_key(unsigned char key[32]);

/* Re-seal everything under the key loaded from new_key_file (or
 * VISOR_NEW_MASTER_KEY) in one transaction; *count gets how many values. */
bool keyring_rekey(struct db *db, const char *new_key_file, int *count, char *msg,
                   size_t msglen) MUST_CHECK;

#endif
