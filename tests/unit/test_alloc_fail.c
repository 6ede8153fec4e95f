/*
 * Allocation failure everywhere: a counting allocator, installed with tigress_global_init_mem,
 * fails the Nth allocation for N = 1, 2, 3, ... while one public entry point runs, until a run
 * makes fewer than N allocations (every failure point has been hit). Each failing run must
 * return a typed error, leave the transfer in its state, and leak nothing (checked here by a
 * live-allocation count and the count of live guarded blocks, and by valgrind over the whole
 * program). Guarded (sodium_malloc) allocations are charged to the hooks as a one-byte probe,
 * so their failure points are counted and exercised like any other.
 *
 * For this test only, cJSON is routed through the failing allocator too (cJSON_InitHooks is
 * process-global, which the library itself never touches); the mock relay's own cJSON use is
 * exempted so that the fake relay keeps working.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <cjson/cJSON.h>

#include "transfer_internal.h"
#include "helpers/mock_transport.h"

/* ------------------------------------------------------------------ the failing allocator */

static struct {
    long count;      /* allocations while armed */
    long fail_at;    /* fail this one (1-based) */
    long live;       /* outstanding tigress allocations */
    bool armed;
    int cjson_paused;
    long total_points;
} g;

static bool should_fail(void)
{
    return g.armed && ++g.count == g.fail_at;
}

static void *a_malloc(size_t n, void *ud)
{
    void *p;

    (void)ud;
    if (should_fail())
        return NULL;
    p = malloc(n);
    if (p != NULL)
        g.live++;
    return p;
}

static void *a_realloc(void *p, size_t n, void *ud)
{
    void *q;

    (void)ud;
    if (should_fail())
        return NULL;
    q = realloc(p, n);
    if (q != NULL && p == NULL)
        g.live++;
    return q;
}

static void a_free(void *p, void *ud)
{
    (void)ud;
    if (p != NULL) {
        g.live--;
        free(p);
    }
}

static void *j_malloc(size_t n)
{
    if (g.cjson_paused == 0 && should_fail())
        return NULL;
    return malloc(n);
}

static void j_free(void *p)
{
    free(p);
}

/* ------------------------------------------------------------------ two devices */

static mock_transport *M;
static tigress_client *A, *B;
static tigress_transport INNER;
static tigress_ed25519_key *KEY;
static uint8_t PUB[32];
static tigress_signer SIGNER;
static tigress_verifier VERIFIER;
static const uint8_t TX[] = { 1, 2, 3, 4, 5, 6, 7, 8 };

/* The mock relay's cJSON calls are not the library's: never fail them. */
static int wrap_send(const tigress_http_request *req, tigress_http_response *resp, void *ud)
{
    int rc;

    (void)ud;
    g.cjson_paused++;
    rc = INNER.send(req, resp, INNER.user_data);
    g.cjson_paused--;
    return rc;
}

static tigress_client *new_client(void)
{
    tigress_client_options o = TIGRESS_CLIENT_OPTIONS_INIT;
    tigress_transport t = { TIGRESS_TRANSPORT_VERSION, wrap_send, NULL, NULL, NULL };
    tigress_client *c = NULL;

    o.transport = &t;
    assert_int_equal(tigress_client_new(&c, &o), TIGRESS_OK);
    return c;
}

static tigress_share_options share_opts(int stateful)
{
    tigress_share_options o = TIGRESS_SHARE_OPTIONS_INIT;

    o.relay_url = "https://relay.test";
    o.format = "digitalwallet.generic.authorizationToken";
    o.content_json = "{\"token\":\"abc\",\"n\":[1,2,{\"x\":null}]}";
    o.title = "Door";
    o.description = "Front door";
    o.vertical = 'h';
    o.payload_type = TIGRESS_PAYLOAD_AES_256_GCM;
    o.stateful = stateful;
    o.notification_token_type = "webpush";
    o.notification_token_data = "https://push.example/i";
    o.attestation = "att-1";
    return o;
}

/* ------------------------------------------------------------------ fixtures per entry point */

typedef struct obj {
    tigress_transfer *init, *rec, *out;
    tigress_buf buf;      /* output of the call under test */
    tigress_buf in;       /* input prepared by the setup */
    tigress_secret *secret;
    tigress_share_url *url;
    tigress_state state;  /* the state of the transfer under test before the call */
    tigress_transfer *subject;
} obj;

static tigress_transfer *share(int stateful)
{
    tigress_share_options o = share_opts(stateful);
    tigress_transfer *t = NULL;

    assert_int_equal(tigress_share_create(&t, A, &o), TIGRESS_OK);
    return t;
}

static tigress_transfer *redeem(tigress_transfer *init)
{
    tigress_redeem_options o = TIGRESS_REDEEM_OPTIONS_INIT;
    tigress_transfer *r = NULL;

    o.share_url = tigress_transfer_share_url(init);
    o.verifier = &VERIFIER;
    assert_int_equal(tigress_redeem(&r, B, &o), TIGRESS_OK);
    return r;
}

/* Steps of the stateful flow, done without failures to reach a starting point. */
static void advance(obj *o, int steps)
{
    o->init = share(1);
    if (steps >= 1)
        o->rec = redeem(o->init);
    if (steps >= 2)
        assert_int_equal(tigress_transfer_update(o->rec, "pk", TX, sizeof(TX)), TIGRESS_OK);
    if (steps >= 3)
        assert_int_equal(tigress_transfer_poll(o->init), TIGRESS_OK);
    if (steps >= 4)
        assert_int_equal(tigress_transfer_approve(o->init, &SIGNER), TIGRESS_OK);
}

static void cleanup(obj *o)
{
    tigress_transfer_free(o->init);
    tigress_transfer_free(o->rec);
    tigress_transfer_free(o->out);
    tigress_buf_dispose(&o->buf);
    tigress_buf_dispose(&o->in);
    tigress_secret_free(o->secret);
    tigress_share_url_free(o->url);
    memset(o, 0, sizeof(*o));
}

typedef void (*setup_fn)(obj *o);
typedef tigress_status (*call_fn)(obj *o);

/* Run call under failure N = 1, 2, ... until it needs fewer than N allocations. */
static long exercise(const char *name, setup_fn setup, call_fn call)
{
    long points = 0;

    for (long n = 1;; n++) {
        obj o;
        long live0 = g.live;
        size_t secure0 = tigress__secure_live();
        tigress_status rc;
        bool hit;

        memset(&o, 0, sizeof(o));
        setup(&o);
        if (o.subject != NULL)
            o.state = tigress_transfer_state(o.subject);
        g.count = 0;
        g.fail_at = n;
        g.armed = true;
        rc = call(&o);
        g.armed = false;
        hit = g.count >= n;
        if (hit && rc != TIGRESS_OK) {
            /* A typed error: one of the library's own codes, never a crash or success. */
            assert_true(rc < 0 && rc >= TIGRESS_STATUS_LAST_);
            assert_int_not_equal(rc, TIGRESS_E_INTERNAL);
            assert_null(o.out);
            assert_null(o.buf.ptr);
            if (o.subject != NULL)
                assert_int_equal(tigress_transfer_state(o.subject), o.state);
            points++;
        } else if (!hit) {
            assert_int_equal(rc, TIGRESS_OK);
        }
        cleanup(&o);
        if (g.live != live0)
            fail_msg("%s: %ld allocation(s) leaked when allocation %ld failed", name,
                     g.live - live0, n);
        /* Guarded blocks (sodium_malloc: mmap, unseen by valgrind's leak check) too. */
        if (tigress__secure_live() != secure0)
            fail_msg("%s: %ld guarded block(s) leaked when allocation %ld failed", name,
                     (long)(tigress__secure_live() - secure0), n);
        if (!hit) {
            print_message("%-28s %4ld failure points (%ld allocations when none fails)\n",
                          name, points, n - 1);
            g.total_points += points;
            return points;
        }
    }
}

/* ------------------------------------------------------------------ the entry points */

static void s_none(obj *o) { (void)o; }
static void s_shared(obj *o) { advance(o, 0); o->subject = o->init; }
static void s_shared_stateless(obj *o) { o->init = share(0); o->subject = o->init; }
static void s_redeemed(obj *o) { advance(o, 1); o->subject = o->rec; }
static void s_updated(obj *o) { advance(o, 2); o->subject = o->init; }
static void s_txinfo(obj *o) { advance(o, 3); o->subject = o->init; }
static void s_approved(obj *o) { advance(o, 4); o->subject = o->rec; }

static void s_redeemed_stateless(obj *o)
{
    o->init = share(0);
    o->rec = redeem(o->init);
    o->subject = o->rec;
}

static void s_completed_elsewhere(obj *o)
{
    s_redeemed_stateless(o);
    assert_int_equal(tigress_transfer_complete(o->rec), TIGRESS_OK);
    o->subject = o->init;
}

static tigress_status c_share(obj *o)
{
    tigress_share_options so = share_opts(1);

    return tigress_share_create(&o->out, A, &so);
}

static tigress_status c_redeem(obj *o)
{
    tigress_redeem_options ro = TIGRESS_REDEEM_OPTIONS_INIT;

    ro.share_url = tigress_transfer_share_url(o->init);
    ro.verifier = &VERIFIER;
    ro.notification_token_type = "webpush";
    ro.notification_token_data = "https://push.example/r";
    return tigress_redeem(&o->out, B, &ro);
}

static tigress_status c_update(obj *o) { return tigress_transfer_update(o->rec, "pk", TX, sizeof(TX)); }
static tigress_status c_poll(obj *o) { return tigress_transfer_poll(o->subject); }
static tigress_status c_approve(obj *o) { return tigress_transfer_approve(o->init, &SIGNER); }
static tigress_status c_revoke(obj *o) { return tigress_transfer_revoke(o->init); }
static tigress_status c_relinquish(obj *o) { return tigress_transfer_relinquish(o->rec); }
static tigress_status c_complete(obj *o) { return tigress_transfer_complete(o->rec); }

static tigress_status c_wait(obj *o)
{
    tigress_wait_options w = TIGRESS_WAIT_OPTIONS_INIT;

    w.timeout_ms = 60000; /* the message is already there: no sleep happens */
    return tigress_transfer_wait(o->init, &w);
}

static tigress_status c_export(obj *o)
{
    return tigress_transfer_export(o->init, 0, &o->buf);
}

static void s_blob(obj *o)
{
    advance(o, 3);
    assert_int_equal(tigress_transfer_export(o->init, 0, &o->in), TIGRESS_OK);
}

static tigress_status c_import(obj *o)
{
    return tigress_transfer_import(&o->out, A, o->in.ptr, o->in.size, NULL);
}

static void s_blob_without_secret(obj *o)
{
    advance(o, 3);
    assert_int_equal(tigress_transfer_export(o->init, TIGRESS_EXPORT_WITHOUT_SECRET, &o->in),
                     TIGRESS_OK);
}

static tigress_status c_import_secret(obj *o)
{
    return tigress_transfer_import(&o->out, A, o->in.ptr, o->in.size,
                                   tigress_secret_text(tigress_transfer_secret(o->init)));
}

static void s_secret(obj *o)
{
    assert_int_equal(tigress_secret_generate(&o->secret, TIGRESS_PAYLOAD_AES_128_GCM), TIGRESS_OK);
}

static tigress_status c_seal(obj *o)
{
    static const char pt[] = "{\"format\":\"f\",\"content\":{}}";

    return tigress_payload_seal(&o->buf, TIGRESS_PAYLOAD_AES_128_GCM, o->secret,
                                (const uint8_t *)pt, sizeof(pt) - 1);
}

static void s_sealed(obj *o)
{
    s_secret(o);
    assert_int_equal(c_seal(o), TIGRESS_OK);
    o->in = o->buf;
    memset(&o->buf, 0, sizeof(o->buf));
}

static tigress_status c_open(obj *o)
{
    tigress_buf pt = {0};
    tigress_status rc = tigress_payload_open(&pt, TIGRESS_PAYLOAD_AES_128_GCM, o->secret,
                                             (const char *)o->in.ptr);

    if (rc == TIGRESS_OK)
        assert_string_equal((const char *)pt.ptr, "{\"format\":\"f\",\"content\":{}}");
    else
        assert_null(pt.ptr);
    tigress_buf_dispose(&pt);
    return rc;
}

static tigress_status c_url_parse(obj *o)
{
    return tigress_share_url_parse(&o->url, "https://relay.test:8443/v1/m/"
                                   "2bba630e-519b-41ec-bf63-0242ac130002?v=c#hXlr6aRC7KgJpOLTNZaLsw%3D%3D", 0);
}

static tigress_status c_url_build(obj *o)
{
    return tigress_share_url_build(&o->buf, "https://relay.test/v1/m/"
                                   "2bba630e-519b-41ec-bf63-0242ac130002", 'a', o->secret);
}

#define LOOP(test, setup, call)                          \
    static void test(void **state)                       \
    {                                                    \
        (void)state;                                     \
        assert_true(exercise(&(#call)[2], setup, call) > 0); \
    }

LOOP(test_alloc_fail__share_create, s_none, c_share)
LOOP(test_alloc_fail__redeem, s_shared, c_redeem)
LOOP(test_alloc_fail__update, s_redeemed, c_update)
LOOP(test_alloc_fail__poll_txinfo, s_updated, c_poll)
LOOP(test_alloc_fail__approve, s_txinfo, c_approve)
LOOP(test_alloc_fail__poll_signature, s_approved, c_poll)
LOOP(test_alloc_fail__poll_gone, s_completed_elsewhere, c_poll)
LOOP(test_alloc_fail__wait, s_updated, c_wait)
LOOP(test_alloc_fail__revoke, s_shared_stateless, c_revoke)
LOOP(test_alloc_fail__relinquish, s_redeemed, c_relinquish)
LOOP(test_alloc_fail__complete, s_redeemed_stateless, c_complete)
LOOP(test_alloc_fail__export, s_txinfo, c_export)
LOOP(test_alloc_fail__import, s_blob, c_import)
LOOP(test_alloc_fail__import_with_secret, s_blob_without_secret, c_import_secret)
LOOP(test_alloc_fail__payload_seal, s_secret, c_seal)
LOOP(test_alloc_fail__payload_open, s_sealed, c_open)
LOOP(test_alloc_fail__share_url_parse, s_none, c_url_parse)
LOOP(test_alloc_fail__share_url_build, s_secret, c_url_build)

static void test_alloc_fail__total(void **state)
{
    (void)state;
    print_message("failure points exercised in total: %ld\n", g.total_points);
    assert_true(g.total_points > 100);
}

int main(void)
{
    static const tigress_allocator alloc = { TIGRESS_ALLOCATOR_VERSION, a_malloc, a_realloc,
                                             a_free, NULL };
    cJSON_Hooks hooks = { j_malloc, j_free };
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_alloc_fail__share_create),
        cmocka_unit_test(test_alloc_fail__redeem),
        cmocka_unit_test(test_alloc_fail__update),
        cmocka_unit_test(test_alloc_fail__poll_txinfo),
        cmocka_unit_test(test_alloc_fail__approve),
        cmocka_unit_test(test_alloc_fail__poll_signature),
        cmocka_unit_test(test_alloc_fail__poll_gone),
        cmocka_unit_test(test_alloc_fail__wait),
        cmocka_unit_test(test_alloc_fail__revoke),
        cmocka_unit_test(test_alloc_fail__relinquish),
        cmocka_unit_test(test_alloc_fail__complete),
        cmocka_unit_test(test_alloc_fail__export),
        cmocka_unit_test(test_alloc_fail__import),
        cmocka_unit_test(test_alloc_fail__import_with_secret),
        cmocka_unit_test(test_alloc_fail__payload_seal),
        cmocka_unit_test(test_alloc_fail__payload_open),
        cmocka_unit_test(test_alloc_fail__share_url_parse),
        cmocka_unit_test(test_alloc_fail__share_url_build),
        cmocka_unit_test(test_alloc_fail__total),
    };
    int rc;

    if (tigress_global_init_mem(&alloc) != TIGRESS_OK)
        return 1;
    cJSON_InitHooks(&hooks); /* this test only: see the file comment */
    M = mock_transport_new();
    mock_relay_enable(M, NULL);
    mock_transport_vtable(M, &INNER);
    A = new_client();
    B = new_client();
    if (tigress_ed25519_key_generate(&KEY) != TIGRESS_OK ||
        tigress_ed25519_key_public(KEY, PUB, sizeof(PUB)) != TIGRESS_OK ||
        tigress_signer_ed25519(&SIGNER, KEY) != TIGRESS_OK ||
        tigress_verifier_ed25519(&VERIFIER, PUB) != TIGRESS_OK)
        return 1;
    rc = cmocka_run_group_tests_name("alloc_fail", tests, NULL, NULL);
    tigress_ed25519_key_free(KEY);
    tigress_client_free(A);
    tigress_client_free(B);
    mock_transport_free(M);
    tigress_global_cleanup();
    cJSON_InitHooks(NULL);
    return rc;
}
