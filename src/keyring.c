/*
 * keyring — loading, checking and using the master key.
 */
#include "keyring.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "seal.h"
#include "store.h"

static unsigned char master[SEAL_KEY_BYTES];
static char master_id[SEAL_KEY_ID];
static bool loaded;

void keyring_default_file(const char *db_url, char *out, size_t cap)
{
	if (strncmp(db_url, "sqlite:", 7) == 0)
		snprintf(out, cap, "%s.key", db_url + 7);
	else
		snprintf(out, cap, "visor.key");
}

/* Compare the key's fingerprint with the database's, or record it. */
static bool check_fingerprint(struct db *db, const char *id, char *msg, size_t msglen)
{
	char *known = NULL;
	enum store_rc rc;
	bool ok;

	if (db_begin(db, true) != DB_OK) {
		snprintf(msg, msglen, "cannot read the database");
		return false;
	}
	rc = store_setting_get(db, "master_key_id", &known);
	if (rc == STORE_NOT_FOUND)
		rc = store_setting_set(db, "master_key_id", id);
	ok = rc == STORE_OK && (!known || strcmp(known, id) == 0);
	if (rc != STORE_OK)
		snprintf(msg, msglen, "cannot read the master key's fingerprint");
	else if (!ok)
		snprintf(msg, msglen,
		         "the master key (fingerprint %s) is not the one this database was sealed "
		         "with (%s); give the right VISOR_MASTER_KEY or --key-file",
		         id, known);
	free(known);
	if (!ok || db_commit(db) != DB_OK) {
		db_rollback(db);
		return false;
	}
	return true;
}

bool keyring_open(struct db *db, const char *key_file, bool create, char *msg, size_t msglen)
{
	char id[SEAL_KEY_ID];

	if (!seal_key_load(getenv("VISOR_MASTER_KEY"), key_file, create, master, msg, msglen))
		return false;
	seal_key_id(master, id);
	if (!check_fingerprint(db, id, msg, msglen)) {
		sodium_memzero(master, sizeof(master));
		return false;
	}
	memcpy(master_id, id, sizeof(master_id));
	loaded = true;
	return true;
}

bool keyring_seal(struct db *db, const char *plaintext, char **sealed, struct err *e)
{
	char *known = NULL;
	enum store_rc rc;
	bool current;

	if (!loaded)
		abort(); /* a programming error: the server opens the keyring first */
	*sealed = NULL;
	rc = store_setting_get(db, "master_key_id", &known);
	current = rc == STORE_OK && strcmp(known, master_id) == 0;
	free(known);
	if (rc == STORE_ERROR)
		return err_storage(e);
	if (!current)
		return keyring_mismatch(e);
	*sealed = seal_encrypt(master, plaintext);
	return true;
}

bool keyring_mismatch(struct err *e)
{
	return err_set(e, 503, "master_key_mismatch",
	               "The database's master key is not this server's (after `visor rekey`, "
	               "restart every server with the new key); nothing was changed.");
}

static void derive_audit_key(const unsigned char *from, unsigned char key[32])
{
	static const char context[] = "visor audit chain v1";

	crypto_generichash(key, 32, (const unsigned char *)context, sizeof(context) - 1, from,
	                   SEAL_KEY_BYTES);
}

void keyring_audit_key(unsigned char key[32])
{
	derive_audit_key(master, key);
}

bool keyring_unseal(const char *sealed, char **plaintext)
{
	return loaded && seal_decrypt(master, sealed, plaintext);
}

/* Open one value under the old key and seal it under the new one. */
static bool reseal(struct db *db, json_t *row, const unsigned char *new_key)
{
	const char *value = json_string_value(json_object_get(row, "value"));
	char *plain = NULL, *again;
	bool ok;

	if (!value || !seal_decrypt(master, value, &plain))
		return false;
	again = seal_encrypt(new_key, plain);
	sodium_memzero(plain, strlen(plain));
	free(plain);
	ok = store_sealed_update(db, json_string_value(json_object_get(row, "kind")),
	                         json_integer_value(json_object_get(row, "id")), again) == STORE_OK;
	free(again);
	return ok;
}

static bool reseal_all(struct db *db, const unsigned char *new_key, int *count)
{
	unsigned char audit_key[32];
	json_t *rows = NULL, *row;
	char id[SEAL_KEY_ID];
	bool ok;
	size_t i;

	ok = store_sealed_list(db, &rows) == STORE_OK;
	json_array_foreach (rows, i, row) {
		if (ok)
			ok = reseal(db, row, new_key);
	}
	*count = (int)json_array_size(rows);
	json_decref(rows);
	seal_key_id(new_key, id);
	derive_audit_key(new_key, audit_key);
	ok = ok && audit_rechain(db, audit_key);
	sodium_memzero(audit_key, sizeof(audit_key));
	return ok && store_setting_set(db, "master_key_id", id) == STORE_OK;
}

bool keyring_rekey(struct db *db, const char *new_key_file, int *count, char *msg, size_t msglen)
{
	unsigned char new_key[SEAL_KEY_BYTES];
	bool ok;

	if (!seal_key_load(getenv("VISOR_NEW_MASTER_KEY"), new_key_file, true, new_key, msg,
	                   msglen))
		return false;
	ok =
	    db_begin(db, true) == DB_OK && reseal_all(db, new_key, count) && db_commit(db) == DB_OK;
	if (!ok) {
		db_rollback(db);
		snprintf(msg, msglen, "re-sealing failed; nothing was changed");
	} else {
		memcpy(master, new_key, sizeof(master));
		seal_key_id(master, master_id);
	}
	sodium_memzero(new_key, sizeof(new_key));
	return ok;
}
