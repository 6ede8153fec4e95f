/*
 * tests/relay/test_store_stress.c: the store under concurrency and crashes.
 *   - racing binders: exactly one wins (R20, R21)
 *   - concurrent creates: every acknowledged one is there after a reopen
 *   - kill -9 in the middle of a stream of creates: every acknowledged one survives (no answer
 *     before its commit)
 *   - one failing job does not undo the other jobs of its group-commit batch
 *   - SQLite specifics: schema audit (R35), busy database -> UNAVAILABLE, sweep cascades
 *   - throughput of creates with 1 and 16 threads (printed, never asserted)
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

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "store_fixture.h"

#define ST(state) (((sf_fixture *)*(state))->s)
#define FX(state) ((sf_fixture *)*(state))

/* ---- racing binders ------------------------------------------------------------------- */

enum { RACERS = 16, RACE_ROUNDS = 50 };

typedef struct racer {
    store *s;
    const char *id;
    char claim[STORE_UUID_LEN + 1];
    pthread_barrier_t *start;
    store_rc rc;
    store_party party;
} racer;

static void *race_read(void *arg)
{
    racer *r = arg;
    store_mailbox mb;
    pthread_barrier_wait(r->start);
    r->rc = store_read(r->s, r->id, r->claim, NULL, SF_NOW, &mb);
    r->party = mb.caller;
    store_mailbox_clear(&mb);
    return NULL;
}

/* R20, R21: 16 threads read a fresh mailbox at once; exactly one binds, the other 15 are
 * refused, and afterwards only the winner (and the Initiator) can read. 50 rounds. */
static void test_store__racing_readers_bind_exactly_one(void **state)
{
    store *s = ST(state);
    for (uint32_t round = 0; round < RACE_ROUNDS; round++) {
        char id[STORE_UUID_LEN + 1];
        sf_uuid(id, 0x0ace0000u, round);
        assert_int_equal(sf_create(s, id, SF_CLAIM_A, "RWD", SF_LATER, NULL), STORE_OK);
        pthread_barrier_t start;
        pthread_barrier_init(&start, NULL, RACERS);
        racer r[RACERS];
        pthread_t th[RACERS];
        for (uint32_t i = 0; i < RACERS; i++) {
            r[i] = (racer){.s = s, .id = id, .start = &start};
            sf_uuid(r[i].claim, 0xc1a10000u + round, i);
            assert_int_equal(pthread_create(&th[i], NULL, race_read, &r[i]), 0);
        }
        int ok = 0, refused = 0, winner = -1;
        for (int i = 0; i < RACERS; i++) {
            pthread_join(th[i], NULL);
            if (r[i].rc == STORE_OK) {
                ok++;
                winner = i;
                assert_int_equal(r[i].party, STORE_PARTY_RECIPIENT);
            } else if (r[i].rc == STORE_UNAUTHORIZED) {
                refused++;
            }
        }
        pthread_barrier_destroy(&start);
        assert_int_equal(ok, 1);
        assert_int_equal(refused, RACERS - 1);
        store_mailbox mb;
        for (int i = 0; i < RACERS; i++) {
            store_rc rc = store_read(s, id, r[i].claim, NULL, SF_NOW, &mb);
            store_mailbox_clear(&mb);
            assert_int_equal(rc, i == winner ? STORE_OK : STORE_UNAUTHORIZED);
        }
    }
}

/* ---- concurrent creates ---------------------------------------------------------------- */

enum { CREATORS = 8, CREATES_EACH = 150 };

typedef struct creator {
    store *s;
    uint32_t tag;
    int64_t expires_at;
    int n;
    uint32_t collide_every; /* 0: never; else every k-th create reuses a taken id */
    int ok, err;
} creator;

static void *create_many(void *arg)
{
    creator *c = arg;
    char id[STORE_UUID_LEN + 1], rid[40];
    for (int i = 0; i < c->n; i++) {
        bool collide = c->collide_every != 0 && (uint32_t)i % c->collide_every == 0;
        sf_uuid(id, collide ? 0x7a4e0000u : c->tag, (uint32_t)i);
        snprintf(rid, sizeof(rid), "req-%x-%d", c->tag, i);
        char claim[STORE_UUID_LEN + 1];
        sf_uuid(claim, c->tag ^ 0xffff0000u, (uint32_t)i);
        store_rc rc = sf_create(c->s, id, claim, "RD", c->expires_at, rid);
        if (rc == STORE_OK)
            c->ok++;
        else
            c->err++;
        if (collide && rc == STORE_OK)
            c->err += 1000; /* a collision must never succeed */
    }
    return NULL;
}

static void run_creators(store *s, creator *c, int n_threads)
{
    pthread_t th[CREATORS];
    for (int i = 0; i < n_threads; i++)
        assert_int_equal(pthread_create(&th[i], NULL, create_many, &c[i]), 0);
    for (int i = 0; i < n_threads; i++)
        pthread_join(th[i], NULL);
    (void)s;
}

static void assert_readable(store *s, uint32_t tag, int n, int64_t now, uint32_t skip_every)
{
    char id[STORE_UUID_LEN + 1], claim[STORE_UUID_LEN + 1];
    store_mailbox mb;
    for (int i = 0; i < n; i++) {
        if (skip_every != 0 && (uint32_t)i % skip_every == 0)
            continue;
        sf_uuid(id, tag, (uint32_t)i);
        sf_uuid(claim, tag ^ 0xffff0000u, (uint32_t)i);
        assert_int_equal(store_read(s, id, claim, NULL, now, &mb), STORE_OK);
        assert_int_equal(mb.caller, STORE_PARTY_INITIATOR);
        store_mailbox_clear(&mb);
    }
}

/* Group commit: creates from 8 threads at once all succeed, and all are still there after the
 * store is closed and opened again. */
static void test_store__concurrent_creates_are_all_durable(void **state)
{
    sf_fixture *f = FX(state);
    int64_t now = (int64_t)time(NULL);
    creator c[CREATORS];
    for (int i = 0; i < CREATORS; i++)
        c[i] = (creator){.s = f->s, .tag = 0xc0000000u + (uint32_t)i, .expires_at = now + 3600,
                         .n = CREATES_EACH};
    run_creators(f->s, c, CREATORS);
    for (int i = 0; i < CREATORS; i++) {
        assert_int_equal(c[i].ok, CREATES_EACH);
        assert_int_equal(c[i].err, 0);
    }
    if (f->backend != SF_SQLITE_MEMORY) {
        store_close(f->s);
        f->s = sf_reopen(f);
        assert_non_null(f->s);
    }
    assert_int_equal(store_count(f->s), CREATORS * CREATES_EACH);
    for (int i = 0; i < CREATORS; i++)
        assert_readable(f->s, c[i].tag, CREATES_EACH, now, 0);
}

/* Group commit runs each job in its own savepoint: creates that fail (id taken) while
 * others are batched with them fail alone; every other create of the batch is kept. */
static void test_store__failed_job_does_not_undo_its_batch(void **state)
{
    store *s = ST(state);
    int64_t now = (int64_t)time(NULL);
    char id[STORE_UUID_LEN + 1];
    enum { EVERY = 5 };
    for (uint32_t i = 0; i < CREATES_EACH; i += EVERY) {
        sf_uuid(id, 0x7a4e0000u, i);
        assert_int_equal(sf_create(s, id, SF_CLAIM_A, "RD", now + 3600, NULL), STORE_OK);
    }
    creator c[CREATORS];
    for (int i = 0; i < CREATORS; i++)
        c[i] = (creator){.s = s, .tag = 0xd0000000u + (uint32_t)i, .expires_at = now + 3600,
                         .n = CREATES_EACH, .collide_every = EVERY};
    run_creators(s, c, CREATORS);
    int per_thread_collisions = (CREATES_EACH + EVERY - 1) / EVERY;
    for (int i = 0; i < CREATORS; i++) {
        assert_int_equal(c[i].err, per_thread_collisions);
        assert_int_equal(c[i].ok, CREATES_EACH - per_thread_collisions);
        assert_readable(s, c[i].tag, CREATES_EACH, now, EVERY);
    }
}

/* ---- kill -9 ----------------------------------------------------------------------------- */

enum { KILL_WRITERS = 4, KILL_AFTER = 300, KILL_MAX_IDS = 200000 };

typedef struct kill_writer {
    store *s;
    int fd;
    uint32_t tag;
    int64_t expires_at;
} kill_writer;

static void *kill_loop(void *arg)
{
    kill_writer *w = arg;
    char id[STORE_UUID_LEN + 1], line[STORE_UUID_LEN + 2];
    for (uint32_t i = 0; i < KILL_MAX_IDS / KILL_WRITERS; i++) {
        sf_uuid(id, w->tag, i);
        if (sf_create(w->s, id, SF_CLAIM_A, "RWD", w->expires_at, NULL) != STORE_OK)
            continue;
        /* Acknowledged: only now does the parent learn the id (one atomic pipe write). */
        memcpy(line, id, STORE_UUID_LEN);
        line[STORE_UUID_LEN] = '\n';
        if (write(w->fd, line, STORE_UUID_LEN + 1) != STORE_UUID_LEN + 1)
            _exit(3);
    }
    return NULL;
}

static void kill_child(const char *location, int fd, int64_t expires_at)
{
    store_config cfg = {.location = location, .busy_timeout_ms = 5000};
    char err[256];
    store *s = store_open(&cfg, err, sizeof(err));
    if (s == NULL)
        _exit(2);
    kill_writer w[KILL_WRITERS];
    pthread_t th[KILL_WRITERS];
    for (int i = 0; i < KILL_WRITERS; i++) {
        w[i] = (kill_writer){.s = s, .fd = fd, .tag = 0x4b000000u + (uint32_t)i,
                             .expires_at = expires_at};
        pthread_create(&th[i], NULL, kill_loop, &w[i]);
    }
    for (int i = 0; i < KILL_WRITERS; i++)
        pthread_join(th[i], NULL);
    _exit(0); /* not reached in practice: the parent kills us first */
}

/* No answer before its commit: a child creates mailboxes from 4 threads and reports each
 * acknowledged id; it is killed with SIGKILL mid-stream; every acknowledged id is in the
 * reopened store. */
static void test_store__acknowledged_creates_survive_sigkill(void **state)
{
    sf_fixture *f = FX(state);
    store_close(f->s); /* the child owns the file while it runs */
    f->s = NULL;
    int64_t now = (int64_t)time(NULL);
    int p[2];
    assert_int_equal(pipe(p), 0);
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(p[0]);
        kill_child(f->location, p[1], now + 3600);
    }
    close(p[1]);
    char (*ids)[STORE_UUID_LEN + 1] = calloc(KILL_MAX_IDS, sizeof(*ids));
    assert_non_null(ids);
    size_t n = 0, fill = 0;
    char buf[STORE_UUID_LEN + 1];
    bool killed = false;
    for (;;) {
        ssize_t got = read(p[0], buf + fill, sizeof(buf) - fill);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            break; /* EOF: the child is gone */
        fill += (size_t)got;
        if (fill == sizeof(buf)) {
            assert_true(n < KILL_MAX_IDS);
            memcpy(ids[n], buf, STORE_UUID_LEN);
            ids[n][STORE_UUID_LEN] = '\0';
            n++;
            fill = 0;
        }
        if (!killed && n >= KILL_AFTER) {
            kill(pid, SIGKILL); /* ids already in the pipe are still read above */
            killed = true;
        }
    }
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(killed);
    assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    assert_int_equal(fill, 0);
    f->s = sf_reopen(f);
    assert_non_null(f->s);
    store_mailbox mb;
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(store_read(f->s, ids[i], SF_CLAIM_A, NULL, now, &mb), STORE_OK);
        store_mailbox_clear(&mb);
    }
    assert_true(store_count(f->s) >= (long)n);
    printf("    kill -9 after %zu acknowledged creates: all %zu read back\n", n, n);
    free(ids);
}

/* ---- SQLite specifics ----------------------------------------------------------------- */

static sqlite3 *raw_open(const char *path)
{
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
    sqlite3_busy_timeout(db, 5000);
    return db;
}

static char *raw_text(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st = NULL;
    char *out = NULL;
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    size_t len = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        const char *v = (const char *)sqlite3_column_text(st, 0);
        size_t vl = v != NULL ? strlen(v) : 4;
        out = realloc(out, len + vl + 2);
        assert_non_null(out);
        memcpy(out + len, v != NULL ? v : "NULL", vl);
        len += vl;
        out[len++] = ',';
        out[len] = '\0';
    }
    sqlite3_finalize(st);
    return out != NULL ? out : strdup("");
}

static void assert_raw(sqlite3 *db, const char *sql, const char *expect)
{
    char *got = raw_text(db, sql);
    assert_string_equal(got, expect);
    free(got);
}

/* R35, docs/protocol.md D12: the database holds exactly the protocol's state: no IP addresses, no
 * read timestamps, no table that could link mailboxes. WAL and a schema version are set. */
static void test_store__schema_holds_only_protocol_state(void **state)
{
    sf_fixture *f = FX(state);
    sqlite3 *db = raw_open(f->location);
    assert_raw(db, "SELECT name FROM sqlite_schema WHERE name NOT LIKE 'sqlite_%' ORDER BY name",
               "mailboxes,mailboxes_expires_at,mailboxes_forget_requests,requests,"
               "requests_released,");
    assert_raw(db, "SELECT name FROM pragma_table_info('mailboxes')",
               "id,initiator_claim,recipient_claim,rights,expires_at,version,payload,display,"
               "initiator_token,recipient_token,");
    assert_raw(db, "SELECT name FROM pragma_table_info('requests')",
               "claim,request_id,mailbox_id,response_body,released,");
    assert_raw(db, "PRAGMA user_version", "3,");
    /* Claims and Request-IDs are held as 32-byte keyed hashes, never as values (D12). */
    char id[STORE_UUID_LEN + 1];
    sf_uuid(id, 0x35350000u, 1);
    assert_int_equal(sf_create(f->s, id, SF_CLAIM_A, "RWD", SF_LATER, "rq"), STORE_OK);
    store_mailbox mb;
    assert_int_equal(store_read(f->s, id, SF_CLAIM_B, NULL, SF_NOW, &mb), STORE_OK);
    store_mailbox_clear(&mb);
    assert_raw(db, "SELECT typeof(initiator_claim) || length(initiator_claim) || ' '"
                   " || typeof(recipient_claim) || length(recipient_claim) FROM mailboxes",
               "blob32 blob32,");
    assert_raw(db, "SELECT typeof(claim) || length(claim) || ' ' || typeof(request_id)"
                   " || length(request_id) FROM requests",
               "blob32 blob32,");
    /* Mailbox IDs as their 16 bytes (schema 3). */
    assert_raw(db, "SELECT typeof(id) || length(id) FROM mailboxes", "blob16,");
    assert_raw(db, "SELECT typeof(mailbox_id) || length(mailbox_id) FROM requests", "blob16,");
    assert_raw(db, "PRAGMA journal_mode", "wal,");
    sqlite3_close(db);
}

/* Sweeping a mailbox removes its duplicate-detection rows too (nothing outlives it). */
static void test_store__sweep_removes_request_rows(void **state)
{
    sf_fixture *f = FX(state);
    store *s = f->s;
    char id[STORE_UUID_LEN + 1], claim[STORE_UUID_LEN + 1];
    for (uint32_t i = 0; i < 20; i++) {
        sf_uuid(id, 0x5a5a0000u, i);
        sf_uuid(claim, 0x5b5b0000u, i);
        assert_int_equal(sf_create(s, id, claim, "RWD", SF_NOW + 5 + (i % 2) * 100, "rq"),
                         STORE_OK);
    }
    sqlite3 *db = raw_open(f->location);
    assert_raw(db, "SELECT count(*) FROM requests", "20,");
    assert_int_equal(store_sweep(s, SF_NOW + 5), 10);
    assert_raw(db, "SELECT count(*) FROM requests", "10,");
    assert_raw(db, "SELECT count(*) FROM requests WHERE mailbox_id NOT IN"
                   " (SELECT id FROM mailboxes)", "0,");
    sqlite3_close(db);
}

/* A database locked by someone else beyond the busy timeout gives STORE_UNAVAILABLE (503),
 * not an error; reads go on meanwhile (WAL), and writes work again once the lock is gone. */
static void test_store__busy_database_is_unavailable(void **state)
{
    sf_fixture *f = FX(state);
    char id[STORE_UUID_LEN + 1], id2[STORE_UUID_LEN + 1];
    sf_uuid(id, 0xb05e0000u, 1);
    sf_uuid(id2, 0xb05e0000u, 2);
    assert_int_equal(sf_create(f->s, id, SF_CLAIM_A, "RWD", SF_LATER, NULL), STORE_OK);
    store_close(f->s);
    char err[256];
    store_config cfg = {.location = f->location, .busy_timeout_ms = 50};
    f->s = store_open(&cfg, err, sizeof(err));
    assert_non_null(f->s);
    sqlite3 *db = raw_open(f->location);
    assert_int_equal(sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
    assert_int_equal(sf_create(f->s, id2, SF_CLAIM_A, "RWD", SF_LATER, NULL), STORE_UNAVAILABLE);
    store_mailbox mb;
    assert_int_equal(store_read(f->s, id, SF_CLAIM_A, NULL, SF_NOW, &mb), STORE_OK);
    store_mailbox_clear(&mb);
    assert_int_equal(store_read(f->s, id2, SF_CLAIM_A, NULL, SF_NOW, &mb), STORE_NOT_FOUND);
    assert_int_equal(sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    assert_int_equal(sf_create(f->s, id2, SF_CLAIM_A, "RWD", SF_LATER, NULL), STORE_OK);
}

/* Redis durability: with appendonly yes and appendfsync always, writes the store has
 * acknowledged survive a SIGKILL of the Redis server itself. */
static void test_store__redis_acknowledged_writes_survive_server_kill(void **state)
{
    sf_fixture *f = FX(state);
    int64_t now = (int64_t)time(NULL);
    creator c[CREATORS];
    for (int i = 0; i < CREATORS; i++)
        c[i] = (creator){.s = f->s, .tag = 0xe0000000u + (uint32_t)i, .expires_at = now + 3600,
                         .n = 50};
    run_creators(f->s, c, CREATORS);
    store_close(f->s);
    f->s = NULL;
    assert_int_equal(sf_redis_restart(true), 0);
    f->s = sf_reopen(f);
    assert_non_null(f->s);
    for (int i = 0; i < CREATORS; i++) {
        assert_int_equal(c[i].ok, 50);
        assert_readable(f->s, c[i].tag, 50, now, 0);
    }
    assert_int_equal(store_count(f->s), CREATORS * 50);
}

typedef struct blocked_create {
    store *s;
    const char *id;
    store_rc rc;
    volatile int finished;
} blocked_create;

static void *create_in_thread(void *arg)
{
    blocked_create *b = arg;
    b->rc = sf_create(b->s, b->id, SF_CLAIM_A, "RWD", SF_LATER, NULL);
    __atomic_store_n(&b->finished, 1, __ATOMIC_SEQ_CST);
    return NULL;
}

/* No read waits for the writer: reads run on their own connections and never queue behind
 * it: while the writer is stuck waiting for a lock held elsewhere (30 s busy timeout), reads,
 * peeks and version lookups still answer; the create completes once the lock is released. */
static void test_store__reads_do_not_wait_behind_a_blocked_writer(void **state)
{
    sf_fixture *f = FX(state);
    char id[STORE_UUID_LEN + 1], id2[STORE_UUID_LEN + 1];
    sf_uuid(id, 0xb10c0000u, 1);
    sf_uuid(id2, 0xb10c0000u, 2);
    assert_int_equal(sf_create(f->s, id, SF_CLAIM_A, "RWD", SF_LATER, NULL), STORE_OK);
    store_close(f->s);
    char err[256];
    store_config cfg = {.location = f->location, .busy_timeout_ms = 30000};
    f->s = store_open(&cfg, err, sizeof(err));
    assert_non_null(f->s);
    sqlite3 *db = raw_open(f->location);
    assert_int_equal(sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
    blocked_create b = {.s = f->s, .id = id2};
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, create_in_thread, &b), 0);
    nanosleep(&(struct timespec){0, 100000000}, NULL); /* let it reach the lock (best effort) */
    store_mailbox mb;
    for (int i = 0; i < 20; i++) {
        assert_int_equal(store_read(f->s, id, SF_CLAIM_A, NULL, SF_NOW, &mb), STORE_OK);
        store_mailbox_clear(&mb);
        assert_int_equal(store_peek(f->s, id, SF_NOW, &mb), STORE_OK);
        store_mailbox_clear(&mb);
        assert_int_equal(store_version(f->s, id, SF_NOW), 1);
    }
    /* The create cannot have finished: the lock it needs is still held. */
    assert_int_equal(__atomic_load_n(&b.finished, __ATOMIC_SEQ_CST), 0);
    assert_int_equal(sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL), SQLITE_OK);
    pthread_join(th, NULL);
    sqlite3_close(db);
    assert_int_equal(b.rc, STORE_OK);
    assert_int_equal(store_read(f->s, id2, SF_CLAIM_A, NULL, SF_NOW, &mb), STORE_OK);
    store_mailbox_clear(&mb);
}

/* ---- throughput (printed, not asserted) ------------------------------------------------- */

typedef struct bench_arg {
    store *s;
    uint32_t tag;
    double until;
    long done;
} bench_arg;

static void *bench_loop(void *arg)
{
    bench_arg *b = arg;
    char id[STORE_UUID_LEN + 1], claim[STORE_UUID_LEN + 1], rid[24];
    int64_t exp = (int64_t)time(NULL) + 3600;
    while (sf_seconds() < b->until) {
        sf_uuid(id, b->tag, (uint32_t)b->done);
        sf_uuid(claim, b->tag ^ 0xabcd0000u, (uint32_t)b->done);
        snprintf(rid, sizeof(rid), "r%ld", b->done);
        if (sf_create(b->s, id, claim, "RWD", exp, rid) != STORE_OK)
            break;
        b->done++;
    }
    return NULL;
}

static double bench_creates(store *s, int threads, uint32_t tag_base, double seconds)
{
    bench_arg b[16];
    pthread_t th[16];
    double t0 = sf_seconds();
    for (int i = 0; i < threads; i++) {
        b[i] = (bench_arg){.s = s, .tag = tag_base + (uint32_t)i, .until = t0 + seconds};
        pthread_create(&th[i], NULL, bench_loop, &b[i]);
    }
    long total = 0;
    for (int i = 0; i < threads; i++) {
        pthread_join(th[i], NULL);
        total += b[i].done;
    }
    double dt = sf_seconds() - t0;
    return (double)total / dt;
}

/* Group commit: durable creates per second with 1 and with 16 concurrent callers. Group commit
 * lets 16 callers share each fsync. Printed for the report; timing is never asserted. */
static void test_store__throughput_of_durable_creates(void **state)
{
    sf_fixture *f = FX(state);
    double seconds = getenv("STORE_BENCH_SECONDS") != NULL ? atof(getenv("STORE_BENCH_SECONDS"))
                                                           : 1.0;
    double one = bench_creates(f->s, 1, 0xbe000000u, seconds);
    double sixteen = bench_creates(f->s, 16, 0xbf000000u, seconds);
    printf("    %s: durable creates/s: 1 thread %.0f, 16 threads %.0f\n",
           f->backend == SF_REDIS ? "redis" : "sqlite file (WAL, synchronous=FULL)", one, sixteen);
    assert_true(store_count(f->s) > 0);
}

#define T(name) cmocka_unit_test_setup_teardown(name, sf_setup, sf_teardown)

int main(void)
{
    int failed = 0;
    signal(SIGPIPE, SIG_IGN); /* a dropped Redis connection must not kill the tests */
    const struct CMUnitTest mem[] = {
        T(test_store__racing_readers_bind_exactly_one),
        T(test_store__concurrent_creates_are_all_durable),
        T(test_store__failed_job_does_not_undo_its_batch),
    };
    const struct CMUnitTest file[] = {
        T(test_store__racing_readers_bind_exactly_one),
        T(test_store__concurrent_creates_are_all_durable),
        T(test_store__failed_job_does_not_undo_its_batch),
        T(test_store__acknowledged_creates_survive_sigkill),
        T(test_store__schema_holds_only_protocol_state),
        T(test_store__sweep_removes_request_rows),
        T(test_store__busy_database_is_unavailable),
        T(test_store__reads_do_not_wait_behind_a_blocked_writer),
        T(test_store__throughput_of_durable_creates),
    };
    failed += cmocka_run_group_tests_name("store stress sqlite :memory:", mem,
                                          sf_group_sqlite_memory, sf_group_teardown);
    failed += cmocka_run_group_tests_name("store stress sqlite file", file, sf_group_sqlite_file,
                                          sf_group_teardown);
    const char *why = NULL;
    if (sf_redis_available(&why)) {
        const struct CMUnitTest redis[] = {
            T(test_store__racing_readers_bind_exactly_one),
            T(test_store__concurrent_creates_are_all_durable),
            T(test_store__failed_job_does_not_undo_its_batch),
            T(test_store__redis_acknowledged_writes_survive_server_kill),
            T(test_store__throughput_of_durable_creates),
        };
        failed += cmocka_run_group_tests_name("store stress redis", redis, sf_group_redis,
                                              sf_group_teardown);
    } else {
        printf("[  SKIP    ] store stress redis group: %s\n", why);
    }
    return failed == 0 ? 0 : 1;
}
