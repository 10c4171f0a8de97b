/*
 * Unit tests of token.c: format, checksum, hashing and display parts.
 */
#include <criterion/criterion.h>
#include <sodium.h>
#include <string.h>

#include "token.h"

static void init(void)
{
	cr_assert(sodium_init() >= 0);
}

TestSuite(token, .init = init);

Test(token, api_token_has_prefix_length_and_valid_checksum)
{
	char t[TOKEN_TEXT_MAX];

	token_generate(TOKEN_API, t);
	cr_expect_eq(strncmp(t, "vis_", 4), 0);
	cr_expect_eq(strlen(t), 4 + 43 + 6);
	cr_expect(token_well_formed(TOKEN_API, t));
	cr_expect_not(token_well_formed(TOKEN_ADMIN_KEY, t), "kinds are not interchangeable");
}

Test(token, one_changed_character_fails_the_checksum)
{
	char t[TOKEN_TEXT_MAX];

	token_generate(TOKEN_API, t);
	t[10] = t[10] == 'A' ? 'B' : 'A';
	cr_expect_not(token_well_formed(TOKEN_API, t));
}

Test(token, truncated_padded_and_foreign_texts_are_refused)
{
	char t[TOKEN_TEXT_MAX];
	char longer[TOKEN_TEXT_MAX + 2];

	token_generate(TOKEN_API, t);
	snprintf(longer, sizeof(longer), "%sA", t);
	cr_expect_not(token_well_formed(TOKEN_API, longer));
	t[20] = '\0';
	cr_expect_not(token_well_formed(TOKEN_API, t));
	cr_expect_not(token_well_formed(TOKEN_API, ""));
	cr_expect_not(token_well_formed(TOKEN_API, "vis_' OR 1=1 --"));
}

Test(token, admin_keys_have_their_own_prefix)
{
	char k[TOKEN_TEXT_MAX];

	token_generate(TOKEN_ADMIN_KEY, k);
	cr_expect_eq(strncmp(k, "visadm_", 7), 0);
	cr_expect(token_well_formed(TOKEN_ADMIN_KEY, k));
}

Test(token, two_tokens_differ_and_hash_differently)
{
	char a[TOKEN_TEXT_MAX], b[TOKEN_TEXT_MAX], ha[TOKEN_HASH_HEX], hb[TOKEN_HASH_HEX];

	token_generate(TOKEN_API, a);
	token_generate(TOKEN_API, b);
	cr_expect_str_neq(a, b);
	token_hash(a, ha);
	token_hash(b, hb);
	cr_expect_eq(strlen(ha), 64);
	cr_expect_not(token_hash_equal(ha, hb));
	cr_expect(token_hash_equal(ha, ha));
	cr_expect(strstr(ha, a + 4) == NULL, "the hash does not contain the secret");
}

Test(token, display_keeps_head_and_last_four)
{
	char t[TOKEN_TEXT_MAX], head[TOKEN_SHOW_HEAD + 1], last4[5];

	token_generate(TOKEN_API, t);
	token_display(t, head, last4);
	cr_expect_eq(strlen(head), TOKEN_SHOW_HEAD);
	cr_expect_eq(strncmp(head, t, TOKEN_SHOW_HEAD), 0);
	cr_expect_str_eq(last4, t + strlen(t) - 4);
}

Test(token, embed_tokens_are_64_hex_characters)
{
	char e[65];

	token_embed(e);
	cr_expect_eq(strlen(e), 64);
	cr_expect_eq(strspn(e, "0123456789abcdef"), 64);
}
