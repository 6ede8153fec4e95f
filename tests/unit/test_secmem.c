/*
 * Guarded memory for Secret material (lib/secmem.c): the Secret, the Share URL with its
 * fragment, export blobs and opened plaintexts live in sodium_malloc blocks for as long as the library holds them;
 * the kernel's view agrees (/proc/self/smaps: the page is excluded from core dumps and, when
 * RLIMIT_MEMLOCK allows, locked); tigress_free() and tigress_buf_dispose() release such blocks;
 * a refusing allocator hook fails a secure allocation cleanly.
 */
#include "transfer_fixture.h"

#include <inttypes.h>
#include <stdlib.h>

/* ------------------------------------------------------------------ the kernel's view */

typedef struct page_flags {
    bool found;
    bool dontdump;  /* VmFlags "dd": MADV_DONTDUMP */
    long locked_kb; /* "Locked:" of the mapping */
} page_flags;

/* The smaps entry of the mapping holding p. */
static page_flags smaps_of(const void *p)
{
    page_flags r = { false, false, 0 };
    FILE *f = fopen("/proc/self/smaps", "r");
    char line[512];
    bool in = false;
    uintptr_t a = (uintptr_t)p;

    if (f == NULL)
        return r;
    while (fgets(line, sizeof(line), f) != NULL) {
        uintmax_t lo, hi;
        char dash;

        if (sscanf(line, "%jx%c%jx ", &lo, &dash, &hi) == 3 && dash == '-' &&
            strchr(line, ':') != NULL && strchr(line, ':') > strchr(line, ' ')) {
            in = a >= (uintptr_t)lo && a < (uintptr_t)hi;
            if (in)
                r.found = true;
            continue;
        }
        if (!in)
            continue;
        if (strncmp(line, "Locked:", 7) == 0)
            r.locked_kb = strtol(line + 7, NULL, 10);
        if (strncmp(line, "VmFlags:", 8) == 0)
            r.dontdump = strstr(line, " dd") != NULL;
    }
    fclose(f);
    return r;
}

/* p is in a registered sodium_malloc block and the kernel treats its page as guarded. */
static void assert_guarded(const void *p, const char *what)
{
    page_flags pf;

    assert_non_null(p);
    if (!tigress__secure_owns(p))
        fail_msg("%s is not in guarded memory", what);
    /* Under a user-mode emulator (TIGRESS_TEST_EXEC, e.g. qemu-aarch64 for the cross runs)
     * /proc/self/smaps describes the emulator's own host mappings, and madvise(MADV_DONTDUMP)
     * is not passed through: only the registry can be checked there. */
    const char *emu = getenv("TIGRESS_TEST_EXEC");
    if (emu != NULL && emu[0] != '\0')
        return;
    pf = smaps_of(p);
    if (!pf.found)
        return; /* no /proc: the registry is the whole check */
    if (!pf.dontdump)
        fail_msg("%s: its page would go into a core dump", what);
    /* mlock is best effort in sodium_malloc (RLIMIT_MEMLOCK); when it worked, say so. */
    if (pf.locked_kb == 0)
        print_message("note: %s is not locked (RLIMIT_MEMLOCK?)\n", what);
}

/* ------------------------------------------------------------------ tests */

static void test_secmem__initiator_share_url_and_secret_guarded(void **state)
{
    fx *f = *state;
    size_t base = tigress__secure_live();
    tigress_transfer *t = fx_share(f, 0, TIGRESS_PAYLOAD_AES_256_GCM);
    const tigress_secret *s = tigress_transfer_secret(t);

    assert_non_null(strchr(tigress_transfer_share_url(t), '#'));
    assert_guarded(tigress_transfer_share_url(t), "the Share URL");
    assert_guarded(s, "the Secret");
    assert_guarded(tigress_secret_text(s), "the Secret's text");
    assert_guarded(tigress_secret_bytes(s), "the Secret's bytes");
    /* The URL without the Secret stays in ordinary memory. */
    assert_false(tigress__secure_owns(tigress_transfer_url(t)));
    tigress_transfer_free(t);
    assert_int_equal(tigress__secure_live(), base);
}

static void test_secmem__recipient_and_parsed_url_guarded(void **state)
{
    fx *f = *state;
    size_t base = tigress__secure_live();
    tigress_transfer *init = fx_share(f, 1, TIGRESS_PAYLOAD_AES_128_GCM);
    tigress_transfer *rec = fx_redeem(f, init);
    tigress_share_url *u = NULL;

    assert_guarded(tigress_transfer_share_url(rec), "the Recipient's Share URL");
    assert_guarded(tigress_transfer_secret(rec), "the Recipient's Secret");
    assert_int_equal(tigress_share_url_parse(&u, tigress_transfer_share_url(init), 0), TIGRESS_OK);
    assert_guarded(tigress_share_url_secret(u), "a parsed Share URL's Secret");
    tigress_share_url_free(u);
    tigress_transfer_free(rec);
    tigress_transfer_free(init);
    assert_int_equal(tigress__secure_live(), base);
}

static void test_secmem__returned_buffers_guarded_and_released(void **state)
{
    fx *f = *state;
    size_t base = tigress__secure_live();
    tigress_transfer *t = fx_share(f, 1, TIGRESS_PAYLOAD_AES_256_GCM);
    tigress_buf built = {0}, plain = {0}, blob = {0}, bare = {0};
    char link[128];

    snprintf(link, sizeof(link), "https://relay.test/v1/m/%s", tigress_transfer_mailbox_id(t));
    assert_int_equal(tigress_share_url_build(&built, link, 'a', tigress_transfer_secret(t)),
                     TIGRESS_OK);
    assert_guarded(built.ptr, "a built Share URL with the Secret");
    assert_int_equal(tigress_share_url_build(&plain, link, 'a', NULL), TIGRESS_OK);
    assert_false(tigress__secure_owns(plain.ptr)); /* no Secret: ordinary memory */
    assert_int_equal(tigress_transfer_export(t, 0, &blob), TIGRESS_OK);
    assert_guarded(blob.ptr, "an export blob");
    assert_int_equal(strlen((const char *)blob.ptr), blob.size);
    /* Without the Secret the blob still holds the Device Claim. */
    assert_int_equal(tigress_transfer_export(t, TIGRESS_EXPORT_WITHOUT_SECRET, &bare), TIGRESS_OK);
    assert_guarded(bare.ptr, "an export blob without the Secret");

    {
        tigress_buf sealed = {0}, opened = {0};
        static const uint8_t pt[] = "the plaintext";

        assert_int_equal(tigress_payload_seal(&sealed, TIGRESS_PAYLOAD_AES_256_GCM,
                                              tigress_transfer_secret(t), pt, sizeof(pt) - 1),
                         TIGRESS_OK);
        assert_false(tigress__secure_owns(sealed.ptr)); /* ciphertext: ordinary memory */
        assert_int_equal(tigress_payload_open(&opened, TIGRESS_PAYLOAD_AES_256_GCM,
                                              tigress_transfer_secret(t),
                                              (const char *)sealed.ptr), TIGRESS_OK);
        assert_guarded(opened.ptr, "an opened plaintext");
        assert_int_equal(opened.size, sizeof(pt) - 1);
        assert_string_equal((const char *)opened.ptr, (const char *)pt);
        tigress_buf_dispose(&opened);
        tigress_buf_dispose(&sealed);
    }
    /* Both public release functions recognise guarded blocks. */
    tigress_buf_dispose(&built);
    assert_null(built.ptr);
    tigress_buf_dispose(&plain);
    tigress_free(blob.ptr);
    tigress_buf_dispose(&bare);
    tigress_transfer_free(t);
    assert_int_equal(tigress__secure_live(), base);
}

/* ------------------------------------------------------------------ the module itself */

static void test_secmem__alloc_registry(void **state)
{
    size_t base = tigress__secure_live();
    char *a = tigress__secure_alloc(0), *b = tigress__secure_strndup("abc", 3);
    void *c = tigress__secure_alloc(5000); /* more than a page */
    char heap[4];

    (void)state;
    assert_non_null(a);
    assert_non_null(b);
    assert_non_null(c);
    assert_string_equal(b, "abc");
    assert_int_equal((uintptr_t)c % _Alignof(max_align_t), 0);
    assert_true(tigress__secure_owns((char *)c + 4999));
    assert_false(tigress__secure_owns((char *)c + 5000));
    assert_false(tigress__secure_owns(heap));
    assert_false(tigress__secure_owns(NULL));
    assert_int_equal(tigress__secure_live(), base + 3);
    assert_false(tigress__secure_release(heap)); /* not ours: untouched */
    assert_false(tigress__secure_release((char *)c + 1)); /* interior: not a block start */
    assert_true(tigress__secure_release(c));
    tigress__secure_free(a);
    tigress__secure_free(b);
    tigress__secure_free(NULL);
    assert_int_equal(tigress__secure_live(), base);
    assert_null(tigress__secure_alloc(SIZE_MAX - 8));
}

/* A released block is wiped at once and kept for the next allocation of its class, so that
 * opening a payload does not map and unmap pages each time; it keeps its guard (the data still
 * ends against the trailing guard page: the end address is the same for any size in a class). */
static void test_secmem__released_blocks_wiped_and_reused(void **state)
{
    size_t idle0;
    unsigned char *a, *b;

    (void)state;
    tigress__secure_drain(); /* earlier tests may have filled the class */
    idle0 = tigress__secure_idle();
    assert_int_equal(idle0, 0);
    a = tigress__secure_alloc(1000);
    assert_non_null(a);
    assert_guarded(a, "a pooled block");
    memset(a, 0xA5, 1000);
    assert_true(tigress__secure_release(a));
    assert_int_equal(tigress__secure_idle(), idle0 + 1);
    /* Still mapped (it is idle, not unmapped): every byte that held data is zero. */
    for (size_t i = 0; i < 1000; i++)
        if (a[i] != 0)
            fail_msg("byte %zu of a released block was not wiped", i);
    b = tigress__secure_alloc(100);
    assert_non_null(b);
    assert_int_equal(tigress__secure_idle(), idle0);
    assert_ptr_equal(b + 112, a + 1008); /* same block, same end (sizes rounded to 16) */
    for (size_t i = 0; i < 100; i++)
        assert_int_equal(b[i], 0);
    assert_guarded(b, "a reused block");
    tigress__secure_free(b);

    /* Larger than the largest class: mapped and unmapped per block, as before. */
    size_t big = 80 * 4096;
    unsigned char *c = tigress__secure_alloc(big);
    assert_non_null(c);
    c[big - 1] = 1;
    tigress__secure_free(c);
    assert_int_equal(tigress__secure_idle(), idle0 + 1);
}

/* A refusing hook refuses guarded memory too (the fault-injection seam). */
static int g_refuse;
static void *r_malloc(size_t n, void *ud) { (void)ud; return g_refuse ? NULL : malloc(n); }
static void *r_realloc(void *p, size_t n, void *ud) { (void)ud; return g_refuse ? NULL : realloc(p, n); }
static void r_free(void *p, void *ud) { (void)ud; free(p); }
/* The hooks pass everything through until a test sets g_refuse. */
static const tigress_allocator g_hooks = { TIGRESS_ALLOCATOR_VERSION, r_malloc, r_realloc,
                                           r_free, NULL };

static void test_secmem__hooks_refusal_fails_secure_alloc(void **state)
{
    tigress_secret *s = NULL;
    uint8_t key[32] = { 1 };

    (void)state;
    g_refuse = 1;
    assert_null(tigress__secure_alloc(16));
    assert_int_equal(tigress_secret_from_bytes(&s, key, sizeof(key)), TIGRESS_E_NOMEM);
    assert_null(s);
    g_refuse = 0;
    assert_int_equal(tigress_secret_from_bytes(&s, key, sizeof(key)), TIGRESS_OK);
    assert_guarded(s, "a Secret from bytes");
    tigress_secret_free(s);
}

/* The pool is bounded per class (64 KiB), and the last global cleanup unmaps it. */
static void test_secmem__pool_bounded_and_drained(void **state)
{
    void *blocks[40];

    (void)state;
    for (size_t i = 0; i < 40; i++)
        assert_non_null(blocks[i] = tigress__secure_alloc(3000));
    for (size_t i = 0; i < 40; i++)
        tigress__secure_free(blocks[i]);
    assert_true(tigress__secure_idle() >= 1);
    assert_true(tigress__secure_idle() <= 16);
    /* Release main's reference and the mock transport's (else released at exit): the last
     * one unmaps the idle blocks. Then take both back. */
    tigress_global_cleanup();
    int released = 1;
    if (tigress__secure_idle() > 0) {
        tigress_global_cleanup();
        released++;
    }
    assert_int_equal(tigress__secure_idle(), 0);
    assert_int_equal(tigress_global_init_mem(&g_hooks), TIGRESS_OK);
    if (released == 2)
        assert_int_equal(tigress_global_init(), TIGRESS_OK);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_secmem__initiator_share_url_and_secret_guarded,
                                        fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_secmem__recipient_and_parsed_url_guarded, fx_setup,
                                        fx_teardown),
        cmocka_unit_test_setup_teardown(test_secmem__returned_buffers_guarded_and_released,
                                        fx_setup, fx_teardown),
        cmocka_unit_test(test_secmem__alloc_registry),
        cmocka_unit_test(test_secmem__hooks_refusal_fails_secure_alloc),
        cmocka_unit_test(test_secmem__released_blocks_wiped_and_reused),
        cmocka_unit_test(test_secmem__pool_bounded_and_drained),
    };

    if (tigress_global_init_mem(&g_hooks) != TIGRESS_OK)
        return 1;
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    tigress_global_cleanup();
    return rc;
}
