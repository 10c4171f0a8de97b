/*
 * world — builds the README tour through the admin API in a few calls: a
 * schema, a Testing and a Production data source, the groups "Testing" and
 * "Production" each holding its own data source as default, and a
 * read_write and a read_only token per group. Smaller builders let a test
 * make whatever else it needs; each one fails the test when the server
 * refuses.
 */
#ifndef VISOR_IT_WORLD_H
#define VISOR_IT_WORLD_H

#include <jansson.h>
#include <stdbool.h>

#include "harness.h"

struct world {
	json_int_t schema;               /* "Main"; team default: ds_prod */
	json_int_t ds_test, ds_prod;     /* "Testing DB", "Production DB" */
	json_int_t grp_test, grp_prod;   /* "Testing", "Production" */
	const char *tok_test, *tok_prod; /* read_write secrets */
	const char *ro_test, *ro_prod;   /* read_only secrets */
	json_int_t tok_test_id, tok_prod_id, ro_test_id, ro_prod_id;
};

/* The secret every data source made here carries in its config. */
#define DS_PASSWORD "pw-Sup3r-S3cret-a1b2c3"

void world_tour(struct world *w);

json_int_t mk_schema(const char *name);
/* A postgresql data source with DS_PASSWORD and an api_key in its config. */
json_int_t mk_ds(const char *name, json_int_t schema);
json_int_t mk_group(const char *name);
void group_add_ds(json_int_t group, json_int_t ds);
void group_set_default(json_int_t group, json_int_t schema, json_int_t ds);
void schema_set_default(json_int_t schema, json_int_t ds);
/* A token of a group; its id goes to *id when id is not NULL. */
const char *mk_token(json_int_t group, const char *permission, json_int_t *id);
/* A team tag / hierarchy level (rank above every existing one when rank < 0). */
json_int_t mk_tag(const char *name);
json_int_t mk_level(const char *name, json_int_t rank);
/* The rank of a level by name, -1 when absent. */
json_int_t level_rank(const char *name);

/* create_customer with a token; answers the customer object. body is stolen. */
json_t *mk_customer(const char *token, json_t *body);
/* get_customer by provided_id; NULL when the answer is not 200. */
json_t *get_customer(const char *token, const char *provided_id);
/* The admin id of a customer of a group, found through the admin list. */
json_int_t customer_admin_id(json_int_t group, const char *provided_id);

/* Decimal text of an id (harness-owned). */
const char *ids(json_int_t id);
/* {"<schema>": "<ds>"} */
json_t *map1(json_int_t schema, json_int_t ds);

/* Is v the id as an integer or as its decimal text? */
bool id_eq(json_t *v, json_int_t id);
/* A mapping as sorted {"schema":"ds"} text, ids as text, null entries left out. */
const char *mapping_text(json_t *m);
/* A customer object has every field of DESIGN §3 with the right type. */
void expect_customer_shape(json_t *c);
/* The hierarchy level's name, whether given as text or as an object. */
const char *level_of(json_t *c);

/* The customer's computed mapping equals want (stolen). */
#define expect_computed(c, want)                                                                   \
	do {                                                                                       \
		json_t *ec_ = (c), *ec_want_ = (want);                                             \
		const char *ec_got_ =                                                              \
		    mapping_text(jget(ec_, "computed_parent_schema_datasource_mapping"));          \
		const char *ec_exp_ = mapping_text(ec_want_);                                      \
		json_decref(ec_want_);                                                             \
		cr_assert_str_eq(ec_got_, ec_exp_, "computed mapping of %s: got %s, expected %s",  \
		                 jstr(ec_, "provided_id"), ec_got_, ec_exp_);                      \
	} while (0)

/*
 * Rule 1: the answer about an object outside the caller's scope must equal
 * the answer about a missing one. A message that echoes the reference the
 * caller sent may differ by that reference only, so the missing answer's
 * body is compared after its reference is replaced by the real one.
 */
#define expect_hidden(real, missing, real_ref, missing_ref)                                        \
	do {                                                                                       \
		const struct resp *eh_a_ = (real), *eh_b_ = (missing);                             \
		const char *eh_ref_ = (real_ref);                                                  \
		const char *eh_m_ = replace_all(eh_b_->body, (missing_ref), eh_ref_);              \
		cr_assert_eq(eh_a_->status, eh_b_->status,                                         \
		             "%s %s: out of scope answers %ld, missing %ld:\n%.600s\nvs\n%.600s",  \
		             eh_a_->method, eh_a_->path, eh_a_->status, eh_b_->status,             \
		             eh_a_->body, eh_b_->body);                                            \
		cr_assert_str_eq(eh_a_->body, eh_m_,                                               \
		                 "%s %s: out of scope and missing answers differ:\n%s\nvs\n%s",    \
		                 eh_a_->method, eh_a_->path, eh_a_->body, eh_m_);                  \
	} while (0)

/* s with every needle replaced (harness-owned). */
const char *replace_all(const char *s, const char *needle, const char *with);

#endif
