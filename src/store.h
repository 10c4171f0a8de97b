/*
 * store — every read and write of Visor's data, behind one interface that
 * knows nothing of the engine (db.h carries the SQL to SQLite or
 * PostgreSQL). Every function is scoped by team, and the customer
 * functions by group where the caller is fenced to one; an object outside
 * the scope is reported exactly as a missing one (STORE_NOT_FOUND).
 *
 * Functions returning json_t give the caller a new reference.
 */
#ifndef VISOR_STORE_H
#define VISOR_STORE_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "db.h"
#include "domain.h"

enum store_rc { STORE_OK, STORE_NOT_FOUND, STORE_CONFLICT, STORE_ERROR };

struct page {
	int64_t limit;
	int64_t offset;
};

/* Credentials as found by hash. */
struct cred {
	int64_t id;
	int64_t team_id;
	int64_t group_id;     /* API tokens */
	bool read_write;      /* API tokens */
	int64_t expires_at;   /* API tokens; 0 = never */
	int64_t last_used_at; /* API tokens; 0 = never */
	enum role role;       /* members and admin keys */
	char hash[65];
};

struct customer {
	int64_t id;
	int64_t team_id;
	int64_t group_id;
	int64_t parent_id; /* 0 = none */
	int64_t level_id;
	int64_t level_rank;
	char *provided_id;
	char *name;
	char *token;
	char *level_name;
	char *group_name;
	bool is_demo;
	json_t *properties; /* object */
	json_t *emails;     /* array of strings */
	json_t *tags;       /* array of names */
	struct mapping own;
};

void customer_init(struct customer *c);
void customer_free(struct customer *c);

/* credentials */
enum store_rc store_token_by_hash(struct db *db, const char *hash, struct cred *out);
enum store_rc store_admin_key_by_hash(struct db *db, const char *hash, struct cred *out);
enum store_rc store_member_login(struct db *db, const char *email, struct cred *out,
                                 char **password_hash);

/* teams, members, admin keys */
/* The longest lifetime of a new API token in seconds (0: no limit). */
enum store_rc store_team_token_policy(struct db *db, int64_t team, int64_t *max_life);
enum store_rc store_team_get(struct db *db, int64_t team, json_t **out);
enum store_rc store_team_update(struct db *db, int64_t team, const char *name, bool set_life,
                                int64_t max_life);
enum store_rc store_team_create(struct db *db, const char *name, int64_t *id);
enum store_rc store_member_create(struct db *db, int64_t team, const char *email, enum role role,
                                  const char *pw_hash, int64_t *id);
enum store_rc store_member_get(struct db *db, int64_t team, int64_t id, json_t **out);
enum store_rc store_member_list(struct db *db, int64_t team, struct page pg, json_t **items,
                                int64_t *total);
enum store_rc store_member_update(struct db *db, int64_t team, int64_t id, const char *role);
enum store_rc store_member_delete(struct db *db, int64_t team, int64_t id);
enum store_rc store_admin_key_create(struct db *db, int64_t team, const char *name,
                                     const char *hash, const char *head, const char *last4,
                                     int64_t *id);
enum store_rc store_admin_key_get(struct db *db, int64_t team, int64_t id, json_t **out);
enum store_rc store_admin_key_list(struct db *db, int64_t team, struct page pg, json_t **items,
                                   int64_t *total);
enum store_rc store_admin_key_delete(struct db *db, int64_t team, int64_t id);

/* schemas */
enum store_rc store_schema_create(struct db *db, int64_t team, const char *name, int64_t *id);
enum store_rc store_schema_get(struct db *db, int64_t team, int64_t id, json_t **out);
enum store_rc store_schema_list(struct db *db, int64_t team, struct page pg, json_t **items,
                                int64_t *total);
enum store_rc store_schema_rename(struct db *db, int64_t team, int64_t id, const char *name);
enum store_rc store_schema_set_default(struct db *db, int64_t team, int64_t id, int64_t ds);
enum store_rc store_schema_delete(struct db *db, int64_t team, int64_t id);
enum store_rc store_schema_ds_count(struct db *db, int64_t team, int64_t id, int64_t *n);

/* data sources */
/* config is the public settings, secrets the write-only ones (JSON texts);
 * secret_names lists the secret keys for reads to show. */
enum store_rc store_ds_create(struct db *db, int64_t team, int64_t schema, const char *name,
                              const char *type, const char *config, const char *secrets,
                              const char *secret_names, int64_t *id);
enum store_rc store_ds_get(struct db *db, int64_t team, int64_t id, json_t **out);
enum store_rc store_ds_schema(struct db *db, int64_t team, int64_t id, int64_t *schema);
enum store_rc store_ds_list(struct db *db, int64_t team, struct page pg, json_t **items,
                            int64_t *total);
enum store_rc store_ds_update(struct db *db, int64_t team, int64_t id, const char *name,
                              const char *type, const char *config, const char *secrets,
                              const char *secret_names);
/* The sealed secrets of a data source (new string). */
enum store_rc store_ds_secrets(struct db *db, int64_t team, int64_t id, char **sealed);
enum store_rc store_ds_delete(struct db *db, int64_t team, int64_t id);
/* Customers mapping ds explicitly: in one group (group > 0) or anywhere. */
enum store_rc store_ds_mapped_count(struct db *db, int64_t group, int64_t ds, int64_t *n);
enum store_rc store_ds_drop_mappings(struct db *db, int64_t group, int64_t ds);
/* The data sources a group holds, as the customer API shows them. */
enum store_rc store_group_ds_list(struct db *db, int64_t group, json_t **items);

/* groups */
enum store_rc store_group_create(struct db *db, int64_t team, const char *name, int64_t *id);
enum store_rc store_group_get(struct db *db, int64_t team, int64_t id, json_t **out);
enum store_rc store_group_list(struct db *db, int64_t team, struct page pg, json_t **items,
                               int64_t *total);
enum store_rc store_group_rename(struct db *db, int64_t team, int64_t id, const char *name);
enum store_rc store_group_delete(struct db *db, int64_t team, int64_t id);
enum store_rc store_group_customer_count(struct db *db, int64_t group, int64_t *n);
enum store_rc store_group_view(struct db *db, int64_t team, int64_t id, struct group_view *g);
void group_view_free(struct group_view *g);
enum store_rc store_group_add_ds(struct db *db, int64_t group, int64_t ds, int64_t schema);
enum store_rc store_group_remove_ds(struct db *db, int64_t group, int64_t ds);
enum store_rc store_group_set_default(struct db *db, int64_t group, int64_t schema, int64_t ds);
enum store_rc store_group_clear_default(struct db *db, int64_t group, int64_t schema);
/* Remove ds from every group of the team (before deleting it). */
enum store_rc store_ds_leave_groups(struct db *db, int64_t ds);

/* API tokens */
enum store_rc store_token_create(struct db *db, int64_t team, int64_t group, const char *name,
                                 const char *permission, const char *hash, const char *head,
                                 const char *last4, int64_t expires_at, int64_t *id);
enum store_rc store_token_get(struct db *db, int64_t team, int64_t id, json_t **out);
enum store_rc store_token_list(struct db *db, int64_t team, int64_t group, struct page pg,
                               json_t **items, int64_t *total);
enum store_rc store_token_update(struct db *db, int64_t team, int64_t id, const char *name,
                                 const char *permission);
/* A new secret; the old one keeps working until grace_until (0: not at all). */
enum store_rc store_token_rehash(struct db *db, int64_t team, int64_t id, const char *hash,
                                 const char *head, const char *last4, int64_t grace_until);
/* Record use, outside the request's transaction. */
enum store_rc store_token_touch(struct db *db, int64_t id, int64_t now);
enum store_rc store_token_delete(struct db *db, int64_t team, int64_t id);

/* customers */
enum store_rc store_customer_by_provided(struct db *db, int64_t team, int64_t group,
                                         const char *provided_id, struct customer *c);
enum store_rc store_customer_by_id(struct db *db, int64_t team, int64_t id, struct customer *c);
enum store_rc store_customer_by_token(struct db *db, int64_t team, int64_t group, const char *token,
                                      struct customer *c);
/* Insert c (id, token and timestamps are filled in). */
enum store_rc store_customer_insert(struct db *db, struct customer *c);
/* Write back every field of c, its tags and its mapping. */
enum store_rc store_customer_save(struct db *db, struct customer *c);
/* Ids of the customers in one group (group > 0) or the team, with optional
 * parent and level filters (0 = any), in id order. */
enum store_rc store_customer_ids(struct db *db, int64_t team, int64_t group, int64_t parent,
                                 int64_t level, struct page pg, int64_t **ids, size_t *n,
                                 int64_t *total);
/* A page of customers with all their ancestors, read in a few statements.
 * page lists the page's ids in order; v holds every customer read, sorted
 * by id for customer_set_find. */
struct customer_set {
	struct customer *v;
	size_t n;
	int64_t *page;
	size_t n_page;
};

enum store_rc store_customer_page(struct db *db, int64_t team, int64_t group, int64_t parent,
                                  int64_t level, struct page pg, struct customer_set *set,
                                  int64_t *total);
struct customer *customer_set_find(const struct customer_set *set, int64_t id);
void customer_set_free(struct customer_set *set);

enum store_rc store_customer_delete_tree(struct db *db, int64_t id, int64_t *deleted);
enum store_rc store_customer_child_count(struct db *db, int64_t id, int64_t *n);
/* Is id root itself or one of root's descendants? */
enum store_rc store_customer_in_subtree(struct db *db, int64_t root, int64_t id, bool *inside);
/* How many parent/child pairs moving level to rank would leave with the
 * parent not strictly higher than the child. */
enum store_rc store_level_rank_conflicts(struct db *db, int64_t level, int64_t rank, int64_t *n);
/* Children whose level is not strictly below rank. */
enum store_rc store_customer_children_not_below(struct db *db, int64_t id, int64_t rank,
                                                int64_t *n);

/* group tags and hierarchy levels (team-wide) */
enum store_rc store_tag_list(struct db *db, int64_t team, json_t **items);
enum store_rc store_tag_create(struct db *db, int64_t team, const char *name, int64_t *id);
enum store_rc store_tag_find(struct db *db, int64_t team, const char *name, int64_t *id);
enum store_rc store_tag_rename(struct db *db, int64_t team, int64_t id, const char *name);
enum store_rc store_tag_delete(struct db *db, int64_t team, int64_t id);
enum store_rc store_level_list(struct db *db, int64_t team, json_t **items);
enum store_rc store_level_create(struct db *db, int64_t team, const char *name, int64_t rank,
                                 int64_t *id);
enum store_rc store_level_find(struct db *db, int64_t team, const char *name, int64_t *id,
                               int64_t *rank);
enum store_rc store_level_by_id(struct db *db, int64_t team, int64_t id, int64_t *rank);
/* The highest level (the root), and the next one below a rank. */
enum store_rc store_level_root(struct db *db, int64_t team, int64_t *id, int64_t *rank);
enum store_rc store_level_below(struct db *db, int64_t team, int64_t rank, int64_t *id,
                                int64_t *below_rank);
enum store_rc store_level_update(struct db *db, int64_t team, int64_t id, const char *name,
                                 bool set_rank, int64_t rank);
enum store_rc store_level_delete(struct db *db, int64_t team, int64_t id);

/* audit */
/* One audit event as stored; texts are borrowed. */
struct audit_event {
	int64_t id; /* filled by store_audit_scan */
	int64_t team_id;
	int64_t at;
	const char *actor_type;
	int64_t actor_id;
	const char *action;
	const char *object_type;
	const char *object_id;
	const char *before; /* JSON text or NULL */
	const char *after;  /* JSON text or NULL */
	const char *request_id;
	char prev_hash[65]; /* the chain: the previous event's hash ("" first) */
	char hash[65];
};

/* The recorded head of the chain ("" when there is none). */
enum store_rc store_audit_head(struct db *db, char hash[65]);
/* The hash of the newest event ("" when there is none). */
enum store_rc store_audit_last_hash(struct db *db, char hash[65]);
/* Append an event and record head as the chain's head. */
enum store_rc store_audit_insert(struct db *db, const struct audit_event *ev, const char *head);
/* Call fn on up to limit events of a team (0: all) after after_id, in
 * order, until it returns false; *seen counts them. */
enum store_rc store_audit_scan(struct db *db, int64_t team, int64_t after_id, int64_t limit,
                               bool (*fn)(void *ctx, const struct audit_event *ev), void *ctx,
                               int64_t *seen);
/* Rewrite one event's place in the chain (visor rekey). */
enum store_rc store_audit_set_chain(struct db *db, int64_t id, const char *prev, const char *hash);
enum store_rc store_team_count(struct db *db, int64_t *n);
enum store_rc store_audit_list(struct db *db, int64_t team, const char *actor_type,
                               int64_t actor_id, const char *object_type, const char *object_id,
                               int64_t since, struct page pg, json_t **items, int64_t *total);

/* settings: small named values (the master key's fingerprint, the audit head) */
enum store_rc store_setting_get(struct db *db, const char *name, char **value);
enum store_rc store_setting_set(struct db *db, const char *name, const char *value);

/* signing keys of a group; the key itself is stored sealed and never read
 * back through the API */
enum store_rc store_key_create(struct db *db, int64_t team, int64_t group, const char *key_id,
                               const char *sealed);
enum store_rc store_key_list(struct db *db, int64_t team, int64_t group, json_t **items);
enum store_rc store_key_get(struct db *db, int64_t team, const char *key_id, json_t **out);
/* The named key of a group, or its newest when key_id is NULL. *sealed is
 * new (free it); found_id gets the key's id. */
enum store_rc store_key_sealed(struct db *db, int64_t group, const char *key_id, char found_id[37],
                               char **sealed);
enum store_rc store_key_delete(struct db *db, int64_t team, const char *key_id);

/* Every value sealed under the master key: [{kind, id, value}]. */
enum store_rc store_sealed_list(struct db *db, json_t **items);
enum store_rc store_sealed_update(struct db *db, const char *kind, int64_t id, const char *value);

#endif
