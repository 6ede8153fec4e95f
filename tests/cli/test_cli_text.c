/*
 * tests/cli/test_cli_text.c: unit tests of cli_text_escape (examples/cli/text.c), the one
 * function every "Label: value" line of the CLI's text output goes through. Values chosen by the
 * peer or the relay must come out as one line that cannot drive a terminal: C0 controls, DEL,
 * C1 controls (raw bytes or UTF-8), bidi controls and line separators escaped, invalid UTF-8
 * escaped byte by byte, and every other character (ASCII, accents, CJK, emoji) unchanged.
 * And cli_json_write_string, the --json side: exact characters, always valid UTF-8 JSON.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static void expect_escape(const char *in, const char *want)
{
    char *got = cli_text_escape(in);
    assert_non_null(got);
    assert_string_equal(got, want);
    free(got);
}

static void test_printable_unchanged(void **state)
{
    (void)state;
    expect_escape("", "");
    expect_escape("Car key #2 (Alice's) \\n is text", "Car key #2 (Alice's) \\n is text");
    expect_escape("Zimmer 12 \xc3\xa9t\xc3\xa9 \xe9\x8d\xb5 \xf0\x9f\x94\x91",
                  "Zimmer 12 \xc3\xa9t\xc3\xa9 \xe9\x8d\xb5 \xf0\x9f\x94\x91");
    /* neighbours of the escaped ranges stay: U+00A0, U+200D (ZWJ), U+2065, U+202F, U+10FFFF */
    expect_escape("\xc2\xa0\xe2\x80\x8d\xe2\x81\xa5\xe2\x80\xaf\xf4\x8f\xbf\xbf",
                  "\xc2\xa0\xe2\x80\x8d\xe2\x81\xa5\xe2\x80\xaf\xf4\x8f\xbf\xbf");
    assert_null(cli_text_escape(NULL));
}

static void test_c0_and_del(void **state)
{
    (void)state;
    expect_escape("a\x1b]0;title\x07" "b\x1b[2J", "a\\x1b]0;title\\x07b\\x1b[2J");
    expect_escape("x\nState: COMPLETED", "x\\nState: COMPLETED");
    expect_escape("\r\t\x01\x1f\x7f", "\\r\\t\\x01\\x1f\\x7f");
}

static void test_c1_controls(void **state)
{
    (void)state;
    /* U+0080, U+0085 (NEL), U+009B (CSI), U+009F in UTF-8 */
    expect_escape("\xc2\x80\xc2\x85\xc2\x9b" "31m\xc2\x9f", "\\u0080\\u0085\\u009b31m\\u009f");
    /* the same as raw bytes are not UTF-8: byte by byte */
    expect_escape("\x9b" "31m\x85", "\\x9b31m\\x85");
}

static void test_bidi_and_separators(void **state)
{
    (void)state;
    expect_escape("\xd8\x9c\xe2\x80\x8e\xe2\x80\x8f", "\\u061c\\u200e\\u200f");
    expect_escape("\xe2\x80\xaa\xe2\x80\xab\xe2\x80\xac\xe2\x80\xad\xe2\x80\xae",
                  "\\u202a\\u202b\\u202c\\u202d\\u202e");
    expect_escape("\xe2\x81\xa6\xe2\x81\xa7\xe2\x81\xa8\xe2\x81\xa9",
                  "\\u2066\\u2067\\u2068\\u2069");
    expect_escape("a\xe2\x80\xa8" "b\xe2\x80\xa9", "a\\u2028b\\u2029");
    expect_escape("invoice\xe2\x80\xaegnp.exe", "invoice\\u202egnp.exe");
}

static void test_invalid_utf8(void **state)
{
    (void)state;
    expect_escape("\xc0\xaf", "\\xc0\\xaf");                 /* overlong '/' */
    expect_escape("\xe0\x80\xaf", "\\xe0\\x80\\xaf");         /* overlong, 3 bytes */
    expect_escape("\xed\xa0\x80", "\\xed\\xa0\\x80");         /* UTF-16 surrogate */
    expect_escape("\xf4\x90\x80\x80", "\\xf4\\x90\\x80\\x80"); /* above U+10FFFF */
    expect_escape("\xf5\xff\xfe", "\\xf5\\xff\\xfe");
    expect_escape("ab\xe2\x80", "ab\\xe2\\x80");              /* truncated at the end */
    expect_escape("\xe2\x80" "A", "\\xe2\\x80A");             /* truncated in the middle */
    /* a truncated sequence hides no C1 or bidi control behind it */
    expect_escape("\xe2\xc2\x9b", "\\xe2\\u009b");
}

static void test_worst_case_growth(void **state)
{
    (void)state;
    char in[257], want[4 * 256 + 1];
    for (int i = 0; i < 256; i++)
        in[i] = '\x1b';
    in[256] = '\0';
    for (int i = 0; i < 256; i++)
        memcpy(want + 4 * i, "\\x1b", 4);
    want[4 * 256] = '\0';
    expect_escape(in, want);
}

static void expect_json(const char *in, const char *want)
{
    char buf[512] = { 0 };
    FILE *f = fmemopen(buf, sizeof(buf) - 1, "w");
    assert_non_null(f);
    cli_json_write_string(f, in);
    assert_int_equal(fclose(f), 0);
    assert_string_equal(buf, want);
}

/* --json keeps what the peer wrote exactly (bidi controls, C1, DEL are characters a script may
 * want), escapes what JSON requires, and turns bytes that are not UTF-8 (possible in a
 * decrypted format or TxInfo type) into U+FFFD one per byte, so the object stays parseable. */
static void test_json_string(void **state)
{
    (void)state;
    expect_json("plain \"q\" \\ \n\r\t\x01", "\"plain \\\"q\\\" \\\\ \\n\\r\\t\\u0001\"");
    expect_json("caf\xc3\xa9 \xe2\x80\xae \xc2\x85\x7f \xf0\x9f\x94\x91",
                "\"caf\xc3\xa9 \xe2\x80\xae \xc2\x85\x7f \xf0\x9f\x94\x91\"");
    expect_json("a\xff\xc3(\xed\xa0\x80z", "\"a\\ufffd\\ufffd(\\ufffd\\ufffd\\ufffdz\"");
    expect_json("", "\"\"");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_printable_unchanged),
        cmocka_unit_test(test_c0_and_del),
        cmocka_unit_test(test_c1_controls),
        cmocka_unit_test(test_bidi_and_separators),
        cmocka_unit_test(test_invalid_utf8),
        cmocka_unit_test(test_worst_case_growth),
        cmocka_unit_test(test_json_string),
    };
    return cmocka_run_group_tests_name("cli text escaping", tests, NULL, NULL);
}
