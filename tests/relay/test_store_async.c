/*
 * tests/relay/test_store_async.c: store_submit() (relay/store/store.h), the asynchronous path the
 * relay's HTTP layer uses so that no server thread waits for a commit.
 *
 * What must hold: done() runs exactly once per queued job, from another thread, only after the
 * job's batch has committed (a read connection, which sees committed data only, already finds
 * the write from inside done()); a job that needs no write (a read by the Initiator) completes
 * at once without done(); many jobs queued by one thread share commits; and a backend without
 * a queue runs the blocking ops (store_submit returns false). Run on the SQLite backends
 * (in memory and on a file) and on Redis (no queue: the fallback) when it is available.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include <pthread.h>
#include <signal.h>

#include "store_fixture.h"
/* The fallback test below plays a backend without a queue: it needs the backend contract. */
#include "store_backend.h"

#define ST(state) (((sf_fixture *)*(state))->s)
#define MANY 300

/* One job plus what the test needs to wait for it and to check it from inside done(). */
typedef struct tjob {
    store_async a;
    char id[STORE_UUID_LEN + 1];
    char claim[STORE_UUID_LEN + 1];
    char rid[40];
    char body[128];
    store *s;
    pthread_t submitter;
    int done_calls;
    bool other_thread;
    store_rc peek_in_done;      /* peek from a read connection while in done() */
} tjob;

static pthread_mutex_t g_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t g_cv = PTHREAD_COND_INITIALIZER;
static int g_done;

static void on_done(store_async *a)
{
    tjob *j = a->ud;
    store_mailbox mb;
    j->peek_in_done = store_peek(j->s, j->id, SF_NOW, &mb);
    store_mailbox_clear(&mb);
    pthread_mutex_lock(&g_mu);
    j->done_calls++;
    j->other_thread = !pthread_equal(pthread_self(), j->submitter);
    g_done++;
    pthread_cond_signal(&g_cv);
    pthread_mutex_unlock(&g_mu);
}

static void wait_done(int n)
{
    pthread_mutex_lock(&g_mu);
    while (g_done < n)
        pthread_cond_wait(&g_cv, &g_mu);
    pthread_mutex_unlock(&g_mu);
}

static void init_create(tjob *j, store *s, uint32_t n, const char *rid)
{
    memset(j, 0, sizeof *j);
    j->s = s;
    j->submitter = pthread_self();
    sf_uuid(j->id, 0xa5a50000u, n);
    sf_uuid(j->claim, 0xc1a10000u, n);
    snprintf(j->rid, sizeof j->rid, "%s", rid);
    snprintf(j->body, sizeof j->body, "{\"urlLink\":\"https://relay.test/v1/m/%s\"}", j->id);
    j->a.op = STORE_OP_CREATE;
    j->a.mb = (store_new_mailbox){
        .id = j->id, .initiator_claim = j->claim,
        .payload_json = "{\"type\":\"XSALSA20_POLY1305\",\"data\":\"AAAA\"}",
        .display_json = "{\"title\":\"Key\",\"description\":\"d\",\"imageURL\":\"\"}",
        .rights = "RWD", .expires_at = SF_LATER,
    };
    j->a.request_id = j->rid;
    j->a.response_body = j->body;
    j->a.now = SF_NOW;
    j->a.done = on_done;
    j->a.ud = j;
}

/* Submits and returns once the job has finished either way; true when it was queued. */
static bool run(store *s, tjob *j)
{
    pthread_mutex_lock(&g_mu);
    g_done = 0;
    pthread_mutex_unlock(&g_mu);
    bool queued = store_submit(s, &j->a);
    if (queued)
        wait_done(1);
    return queued;
}

static void clear(tjob *j)
{
    store_reply_clear(&j->a.dup);
    store_mailbox_clear(&j->a.out);
}

static bool has_queue(store *s)
{
    return s->ops->submit != NULL;
}

static void test_store__async_create_acknowledged_after_commit(void **state)
{
    store *s = ST(state);
    tjob j;
    init_create(&j, s, 1, "rid-1");
    bool queued = run(s, &j);
    assert_int_equal(j.a.rc, STORE_OK);
    if (queued) {
        assert_int_equal(j.done_calls, 1);
        assert_true(j.other_thread);
        /* done() came after the commit: a read connection already saw the mailbox. */
        assert_int_equal(j.peek_in_done, STORE_OK);
    } else {
        assert_false(has_queue(s));
        assert_int_equal(j.done_calls, 0);
    }
    store_mailbox mb;
    assert_int_equal(store_read(s, j.id, j.claim, NULL, SF_NOW, &mb), STORE_OK);
    assert_string_equal(mb.rights, "RWD");
    store_mailbox_clear(&mb);
    clear(&j);

    /* The same Request-ID again: the duplicate, with the first answer's body. */
    tjob again;
    init_create(&again, s, 2, "rid-1");
    snprintf(again.claim, sizeof again.claim, "%s", j.claim);
    run(s, &again);
    assert_int_equal(again.a.rc, STORE_DUPLICATE);
    assert_non_null(again.a.dup.body);
    assert_string_equal(again.a.dup.body, j.body);
    clear(&again);
}

static void test_store__async_many_from_one_thread(void **state)
{
    store *s = ST(state);
    tjob *jobs = calloc(MANY, sizeof *jobs);
    assert_non_null(jobs);
    pthread_mutex_lock(&g_mu);
    g_done = 0;
    pthread_mutex_unlock(&g_mu);
    int queued = 0;
    /* One thread queues them all without waiting: only possible with the async path. */
    for (uint32_t i = 0; i < MANY; i++) {
        char rid[32];
        snprintf(rid, sizeof rid, "many-%u", i);
        init_create(&jobs[i], s, 100 + i, rid);
        if (store_submit(s, &jobs[i].a))
            queued++;
    }
    wait_done(queued);
    if (has_queue(s))
        assert_int_equal(queued, MANY);
    for (int i = 0; i < MANY; i++) {
        assert_int_equal(jobs[i].a.rc, STORE_OK);
        assert_int_equal(jobs[i].done_calls, queued > 0 ? 1 : 0);
        if (queued > 0)
            assert_int_equal(jobs[i].peek_in_done, STORE_OK);
        clear(&jobs[i]);
    }
    assert_int_equal(store_count(s), MANY);
    free(jobs);
}

static void init_op(tjob *j, store *s, store_op op, const char *id, const char *claim)
{
    memset(j, 0, sizeof *j);
    j->s = s;
    j->submitter = pthread_self();
    snprintf(j->id, sizeof j->id, "%s", id);
    snprintf(j->claim, sizeof j->claim, "%s", claim);
    j->a.op = op;
    j->a.id = j->id;
    j->a.claim = j->claim;
    j->a.now = SF_NOW;
    j->a.done = on_done;
    j->a.ud = j;
}

static void test_store__async_read_update_relinquish_remove(void **state)
{
    store *s = ST(state);
    char id[STORE_UUID_LEN + 1];
    sf_uuid(id, 0xbeef0000u, 1);
    assert_int_equal(sf_create(s, id, SF_CLAIM_A, "RWD", SF_LATER, NULL), STORE_OK);
    tjob j;

    /* The Initiator's read writes nothing: answered at once, done() never called. */
    init_op(&j, s, STORE_OP_READ, id, SF_CLAIM_A);
    assert_false(run(s, &j));
    assert_int_equal(j.a.rc, STORE_OK);
    assert_int_equal(j.a.out.caller, STORE_PARTY_INITIATOR);
    assert_non_null(j.a.out.payload_json);
    assert_int_equal(j.done_calls, 0);
    clear(&j);

    /* A new claim's read binds it: a write, through the queue when there is one. */
    init_op(&j, s, STORE_OP_READ, id, SF_CLAIM_B);
    assert_true(run(s, &j) == has_queue(s));
    assert_int_equal(j.a.rc, STORE_OK);
    assert_int_equal(j.a.out.caller, STORE_PARTY_RECIPIENT);
    assert_true(j.a.out.recipient_bound);
    clear(&j);
    init_op(&j, s, STORE_OP_READ, id, SF_CLAIM_C);
    run(s, &j);
    assert_int_equal(j.a.rc, STORE_UNAUTHORIZED);
    clear(&j);

    init_op(&j, s, STORE_OP_UPDATE, id, SF_CLAIM_B);
    j.a.request_id = "upd-1";
    j.a.payload_json = "{\"type\":\"XSALSA20_POLY1305\",\"data\":\"BBBB\"}";
    j.a.response_body = "{\"u\":1}";
    assert_true(run(s, &j) == has_queue(s));
    assert_int_equal(j.a.rc, STORE_OK);
    assert_int_equal(j.a.out.version, 2);
    assert_string_equal(j.a.out.payload_json, "{\"type\":\"XSALSA20_POLY1305\",\"data\":\"BBBB\"}");
    clear(&j);

    init_op(&j, s, STORE_OP_RELINQUISH, id, SF_CLAIM_B);
    j.a.request_id = "rel-1";
    j.a.response_body = "{}";
    run(s, &j);
    assert_int_equal(j.a.rc, STORE_OK);
    clear(&j);
    init_op(&j, s, STORE_OP_RELINQUISH, id, SF_CLAIM_B);
    j.a.request_id = "rel-1";
    run(s, &j);
    assert_int_equal(j.a.rc, STORE_DUPLICATE);
    assert_string_equal(j.a.dup.body, "{}");
    clear(&j);

    init_op(&j, s, STORE_OP_REMOVE, id, SF_CLAIM_C);
    run(s, &j);
    assert_int_equal(j.a.rc, STORE_UNAUTHORIZED);
    init_op(&j, s, STORE_OP_REMOVE, id, SF_CLAIM_A);
    assert_true(run(s, &j) == has_queue(s));
    assert_int_equal(j.a.rc, STORE_OK);
    if (has_queue(s))
        assert_int_equal(j.peek_in_done, STORE_NOT_FOUND); /* the delete is committed */
    store_mailbox mb;
    assert_int_equal(store_peek(s, id, SF_NOW, &mb), STORE_NOT_FOUND);
}

/* R11: a replay lookup (STORE_OP_REPLAY) goes through the queue like the Create it looks
 * for, so it also finds a Create queued just before it; it creates nothing. */
static void test_store__async_R11_replay_after_queued_create(void **state)
{
    store *s = ST(state);
    tjob c, r, other;
    init_create(&c, s, 8, "replay-1");
    init_op(&r, s, STORE_OP_REPLAY, "", c.claim);
    r.a.request_id = "replay-1";
    init_op(&other, s, STORE_OP_REPLAY, "", c.claim);
    other.a.request_id = "replay-2";
    pthread_mutex_lock(&g_mu);
    g_done = 0;
    pthread_mutex_unlock(&g_mu);
    int queued = store_submit(s, &c.a);        /* in this order: the Create first */
    queued += store_submit(s, &r.a);
    queued += store_submit(s, &other.a);
    wait_done(queued);
    assert_int_equal(queued, has_queue(s) ? 3 : 0);
    assert_int_equal(c.a.rc, STORE_OK);
    assert_int_equal(r.a.rc, STORE_DUPLICATE);
    assert_string_equal(r.a.dup.body, c.body);
    assert_int_equal(other.a.rc, STORE_NOT_FOUND);
    assert_null(other.a.dup.body);
    assert_int_equal(store_count(s), 1);
    clear(&c);
    clear(&r);
    clear(&other);
}

/* A backend without a queue (store_ops.submit NULL): store_submit runs the blocking op. */
static void test_store__async_falls_back_to_blocking_ops(void **state)
{
    store *s = ST(state);
    const store_ops *orig = s->ops;
    store_ops no_queue = *orig;
    no_queue.submit = NULL;
    s->ops = &no_queue;
    tjob j;
    init_create(&j, s, 7, "fallback-1");
    bool queued = run(s, &j);
    s->ops = orig;
    assert_false(queued);
    assert_int_equal(j.done_calls, 0);
    assert_int_equal(j.a.rc, STORE_OK);
    store_mailbox mb;
    assert_int_equal(store_peek(s, j.id, SF_NOW, &mb), STORE_OK);
    store_mailbox_clear(&mb);
    clear(&j);
}

/* Invalid arguments are refused at once, never queued. */
static void test_store__async_refuses_incomplete_jobs(void **state)
{
    store *s = ST(state);
    tjob j;
    init_op(&j, s, STORE_OP_UPDATE, "", SF_CLAIM_A);
    j.a.id = NULL;
    assert_false(store_submit(s, &j.a));
    assert_int_equal(j.a.rc, STORE_ERROR);
    assert_int_equal(j.done_calls, 0);
    init_op(&j, s, STORE_OP_REPLAY, "", SF_CLAIM_A);  /* a replay needs its Request-ID */
    assert_false(store_submit(s, &j.a));
    assert_int_equal(j.a.rc, STORE_ERROR);
    assert_int_equal(j.done_calls, 0);
}

#define T(name) cmocka_unit_test_setup_teardown(name, sf_setup, sf_teardown)
#define ASYNC_TESTS                                                                             \
    T(test_store__async_create_acknowledged_after_commit),                                      \
    T(test_store__async_many_from_one_thread),                                                  \
    T(test_store__async_read_update_relinquish_remove),                                         \
    T(test_store__async_R11_replay_after_queued_create),                                        \
    T(test_store__async_falls_back_to_blocking_ops)

int main(void)
{
    int failed = 0;
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest mem[] = {ASYNC_TESTS};
    const struct CMUnitTest file[] = {ASYNC_TESTS, T(test_store__async_refuses_incomplete_jobs)};
    failed += cmocka_run_group_tests_name("store async sqlite :memory:", mem,
                                          sf_group_sqlite_memory, sf_group_teardown);
    failed += cmocka_run_group_tests_name("store async sqlite file", file, sf_group_sqlite_file,
                                          sf_group_teardown);
    const char *why = NULL;
    if (sf_redis_available(&why)) {
        const struct CMUnitTest redis[] = {ASYNC_TESTS};
        failed += cmocka_run_group_tests_name("store async redis (blocking fallback)", redis,
                                              sf_group_redis, sf_group_teardown);
    } else {
        printf("[  SKIP    ] store async redis group: %s\n", why);
    }
    return failed == 0 ? 0 : 1;
}
