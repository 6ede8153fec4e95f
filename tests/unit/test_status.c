/* Status codes, version, buffers, global init and the allocator hooks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "internal.h"

static void test_status__every_code_has_name_and_message(void **state)
{
    (void)state;
#define CHECK_CODE(name, value, msg)                                                   \
    assert_string_equal(tigress_status_name(value), "TIGRESS_" #name);                 \
    assert_string_equal(tigress_strerror(value), msg);                                 \
    assert_true(strlen(msg) > 0);
    TIGRESS_STATUS_MAP(CHECK_CODE)
#undef CHECK_CODE
}

static void test_status__values_are_stable(void **state)
{
    (void)state;
    /* Bindings depend on these numbers: they must never change. */
    assert_int_equal(TIGRESS_OK, 0);
    assert_int_equal(TIGRESS_E_INVALID, -1);
    assert_int_equal(TIGRESS_E_NOT_FOUND, -18);
    assert_int_equal(TIGRESS_E_EXPIRED, -19);
    assert_int_equal(TIGRESS_E_AGAIN, -25);
    assert_int_equal(TIGRESS_E_BUFFER, -29);
}

static void test_status__unknown_codes(void **state)
{
    (void)state;
    assert_string_equal(tigress_status_name(-9999), "TIGRESS_E_UNKNOWN");
    assert_string_equal(tigress_strerror(12345), "unknown error");
    assert_string_equal(tigress_status_name(TIGRESS_E_USER_MIN - 5), "TIGRESS_E_USER");
    assert_string_equal(tigress_strerror(TIGRESS_E_USER_MIN), "application callback error");
}

static void test_status__version(void **state)
{
    (void)state;
    assert_int_equal(tigress_version_num(), TIGRESS_VERSION_NUM);
    assert_string_equal(tigress_version_string(), TIGRESS_VERSION_STRING);
    assert_true(TIGRESS_VERSION_CHECK(1, 0, 0));
    assert_false(TIGRESS_VERSION_CHECK(99, 0, 0));
}

static void test_status__buf_dispose_resets(void **state)
{
    tigress_buf buf = {0};
    (void)state;
    tigress_buf_dispose(NULL);
    tigress_buf_dispose(&buf);
    assert_int_equal(tigress__buf_set(&buf, "abc", 3), TIGRESS_OK);
    assert_int_equal(buf.size, 3);
    assert_string_equal((char *)buf.ptr, "abc");
    tigress_buf_dispose(&buf);
    assert_null(buf.ptr);
    assert_int_equal(buf.size, 0);
}

static void test_status__thread_local_error(void **state)
{
    (void)state;
    tigress__fail(TIGRESS_E_URL, "bad %s", "thing");
    assert_int_equal(tigress_error_last()->code, TIGRESS_E_URL);
    assert_string_equal(tigress_error_last()->message, "bad thing");
}

static int g_allocs;
static void *count_malloc(size_t n, void *ud) { (void)ud; g_allocs++; return malloc(n); }
static void *count_realloc(void *p, size_t n, void *ud) { (void)ud; return realloc(p, n); }
static void count_free(void *p, void *ud) { (void)ud; free(p); }

static void test_status__global_init_is_refcounted_and_hooks_apply(void **state)
{
    tigress_allocator a = { TIGRESS_ALLOCATOR_VERSION, count_malloc, count_realloc, count_free, NULL };
    tigress_allocator bad = { 99, count_malloc, count_realloc, count_free, NULL };
    char *s;
    (void)state;

    assert_int_equal(tigress_global_init_mem(&bad), TIGRESS_E_VERSION);
    assert_int_equal(tigress_global_init_mem(&a), TIGRESS_OK);
    assert_int_equal(tigress_global_init(), TIGRESS_OK);
    /* Hooks cannot change while initialised. */
    assert_int_equal(tigress_global_init_mem(NULL), TIGRESS_E_STATE);
    s = tigress__strdup("hello");
    assert_non_null(s);
    assert_int_equal(g_allocs, 1);
    tigress__free(s);
    tigress_global_cleanup();
    assert_true(tigress__initialized());
    tigress_global_cleanup();
    assert_false(tigress__initialized());
    tigress_global_cleanup(); /* extra cleanup is a no-op */
    assert_int_equal(tigress_global_init_mem(NULL), TIGRESS_OK);
    tigress_global_cleanup();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_status__every_code_has_name_and_message),
        cmocka_unit_test(test_status__values_are_stable),
        cmocka_unit_test(test_status__unknown_codes),
        cmocka_unit_test(test_status__version),
        cmocka_unit_test(test_status__buf_dispose_resets),
        cmocka_unit_test(test_status__thread_local_error),
        cmocka_unit_test(test_status__global_init_is_refcounted_and_hooks_apply),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
