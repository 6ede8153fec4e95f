/*
 * RFC 3339 timestamps (timestamp.c): every expiration is an int64_t, parsed and formatted by
 * calendar arithmetic, never through time_t. The cases past 2038-01-19T03:14:07Z and past
 * 2106-02-07T06:28:15Z (the ends of a signed and an unsigned 32-bit time_t) fail on a 32-bit
 * target if a time_t sneaks back in. Values cross-checked with Python's calendar.timegm.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "internal.h"

static const struct {
    const char *text;
    int64_t unix_s;
} known[] = {
    { "1970-01-01T00:00:00Z", 0 },
    { "2000-02-29T12:34:56Z", 951827696 },
    { "2038-01-19T03:14:07Z", INT64_C(2147483647) },
    { "2038-01-19T03:14:08Z", INT64_C(2147483648) },
    { "2099-01-01T00:00:00Z", INT64_C(4070908800) },
    { "2106-02-07T06:28:16Z", INT64_C(4294967296) },
    { "2107-01-01T00:00:00Z", INT64_C(4323283200) },
    { "9999-12-31T23:59:59Z", INT64_C(253402300799) },
};

static void test_timestamp__known_values_round_trip(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
        int64_t t = -1;
        char out[21];

        assert_int_equal(tigress__time_parse(known[i].text, &t), TIGRESS_OK);
        assert_true(t == known[i].unix_s);
        memset(out, 'x', sizeof(out));
        assert_int_equal(tigress__time_format(known[i].unix_s, out), TIGRESS_OK);
        assert_string_equal(out, known[i].text);
    }
}

/* Every day from 1970 to past 2106 (one sample second per day) formats and parses back. */
static void test_timestamp__every_day_round_trips(void **state)
{
    (void)state;
    for (int64_t day = 0; day < 60000; day++) {
        int64_t t = day * 86400 + (day * 7919) % 86400, back = -1;
        char out[21];

        assert_int_equal(tigress__time_format(t, out), TIGRESS_OK);
        assert_int_equal(tigress__time_parse(out, &back), TIGRESS_OK);
        assert_true(back == t);
    }
}

static void test_timestamp__invalid_dates_are_e_format(void **state)
{
    static const char *const bad[] = {
        "2023-02-29T00:00:00Z", "2100-02-29T00:00:00Z", "2024-04-31T00:00:00Z",
        "2024-13-01T00:00:00Z", "2024-00-01T00:00:00Z", "2024-01-00T00:00:00Z",
        "2024-01-01T24:00:00Z", "2024-01-01T00:60:00Z", "2024-01-01T00:00:61Z",
        "2024-01-01T00:00:00", "2024-01-01 00:00:00Z", "2024-01-01T00:00:00+00:00",
        "+024-01-01T00:00:00Z", "2024-1-01T00:00:00Z", "", "2024-01-01T00:00:00.5Z",
    };
    int64_t t = 42;
    (void)state;

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(tigress__time_parse(bad[i], &t), TIGRESS_E_FORMAT);
    assert_int_equal(tigress__time_parse(NULL, &t), TIGRESS_E_FORMAT);
    assert_true(t == 42);
    /* 2400 is a leap year, and a leap second is the next minute's first second. */
    assert_int_equal(tigress__time_parse("2400-02-29T00:00:00Z", &t), TIGRESS_OK);
    assert_int_equal(tigress__time_parse("2016-12-31T23:59:60Z", &t), TIGRESS_OK);
    assert_true(t == INT64_C(1483228800));
}

static void test_timestamp__format_range(void **state)
{
    char out[21];
    (void)state;

    assert_int_equal(tigress__time_format(-1, out), TIGRESS_E_INVALID);
    assert_int_equal(tigress__time_format(INT64_C(253402300800), out), TIGRESS_E_INVALID);
    assert_int_equal(tigress__time_format(INT64_MAX, out), TIGRESS_E_INVALID);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_timestamp__known_values_round_trip),
        cmocka_unit_test(test_timestamp__every_day_round_trips),
        cmocka_unit_test(test_timestamp__invalid_dates_are_e_format),
        cmocka_unit_test(test_timestamp__format_range),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
