/*
 * relay/store/store_sqlite.c: the SQLite store backend (the relay's default).
 *
 * Durability: WAL with synchronous=FULL, so a COMMIT returns only once the WAL is on disk and
 * an acknowledged write survives kill -9 or a power cut.
 *
 * Group commit: an fsync per request would cap the relay at a few thousand
 * writes per second. One writer thread owns the write connection. A caller queues its write
 * job and sleeps on its own condition variable; the writer takes every queued job, runs them
 * all in ONE transaction (each inside a savepoint, so one job's failure rolls back only that
 * job), commits once (one fsync for the whole batch) and only then wakes each caller with
 * its result. While a batch is being written the next one queues up, so the batch size
 * grows with the load by itself.
 *
 * Asynchronous jobs (store_submit): the same queue, but the caller does not sleep. The writer
 * calls the job's done() after the COMMIT, outside the queue lock (done() may take the
 * caller's own locks, and the caller holds those while queueing). Since the HTTP layer no
 * longer parks a server thread per write, a batch holds every write that arrived during the
 * previous fsync, not at most one per server thread.
 *
 * Reads (peek, version, count, and a secure read that neither binds nor stores a token) run
 * on pools of read connections: in WAL mode they see the last committed state and never
 * wait for the writer or its queue. The pool is split into shards, one per calling thread in
 * practice (a thread keeps its shard), so that readers do not queue on one pool mutex and a
 * thread keeps reusing the same connection and its prepared statements. A ":memory:" store
 * has a single connection, which the writer and the readers share under a mutex.
 */
#include "store_sqlite_schema.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#ifndef SQ_MAX_BATCH
#define SQ_MAX_BATCH 512 /* jobs per transaction: bounds a batch's latency */
#endif
#ifndef SQ_GATHER_US
#define SQ_GATHER_US 1000     /* longest wait for the previous batch's callers to requeue */
#endif
#define SQ_SHARDS 16           /* read-connection pools (>= the relay's default threads) */
#define SQ_MAX_IDLE_PER_SHARD 2
#define SQ_SWEEP_BATCH 500    /* rows per sweep transaction, so writers are not starved */
#define SQ_DEFAULT_BUSY_MS 5000

/* A queued write job and its waiting caller. */
typedef struct sq_wait {
    sq_job job;
    bool done;
    pthread_cond_t cv;          /* blocking callers only */
    store_async *async;         /* asynchronous jobs: heap-allocated wait, done() when run */
    struct sq_wait *next;
} sq_wait;

typedef struct sq_shard {
    pthread_mutex_t mu;
    sq_conn *idle;
    int n_idle;
} sq_shard;

typedef struct sq_store {
    store base;
    char *path;
    bool memory;
    unsigned char key[SQ_KEY_LEN]; /* the claim key: keyed hashes of claims and Request-IDs */
    int busy_ms;
    sq_conn *wconn;             /* the writer thread's; in memory mode also the readers' */
    pthread_mutex_t conn_mu;    /* memory mode: serialises use of wconn */
    sq_shard shards[SQ_SHARDS]; /* idle read connections */
    pthread_mutex_t q_mu;
    pthread_cond_t q_cv;
    sq_wait *head, *tail;
    size_t q_len;               /* jobs queued */
    size_t last_batch;          /* jobs in the previous batch */
    bool stopping;
    pthread_t writer;
    bool writer_started;
} sq_store;

static void conn_close(sq_conn *c)
{
    if (c == NULL)
        return;
    for (int i = 0; i < SQ_STMT_COUNT; i++)
        sqlite3_finalize(c->st[i]);
    sqlite3_close(c->db);
    free(c);
}

/* Opens a connection. The writer's creates the file and may write; readers only read. */
static int conn_open(const sq_store *s, bool writer, sq_conn **out)
{
    sq_conn *c = calloc(1, sizeof(*c));
    if (c == NULL)
        return SQLITE_NOMEM;
    c->key = s->key;
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | (writer ? SQLITE_OPEN_CREATE : 0);
    int rc = sqlite3_open_v2(s->path, &c->db, flags, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_busy_timeout(c->db, s->busy_ms);
    /* secure_delete=ON on the writer (the only connection that changes rows): deleted content
     * is overwritten with zeros, on b-tree pages and on pages freed to the freelist alike
     * (FAST would leave freed overflow pages, i.e. large payloads, readable). Together with
     * the TRUNCATE checkpoint after every sweep (sq_checkpoint) a deleted mailbox is gone
     * from store.db and store.db-wal within one sweep interval.
     * Every connection maps up to 256 MiB of the file: a page read is then a memory access
     * instead of a read(2) into SQLite's page cache. The writer, whose time bounds the write
     * rate, also keeps a larger page cache (16 MiB) so that the index pages its random keys
     * touch stay in memory between batches.
     * The writer checkpoints the WAL every 8000 pages (about 32 MiB) instead of SQLite's 1000:
     * random keys dirty the same index pages again and again, and a checkpoint copies each page
     * once however many frames hold it, so fewer, larger checkpoints copy fewer pages and stall
     * the writer less often (durable creates +19%, full transfers +8-15% on 2 cores;
     * bench/README.md). A crash replays at most that much WAL at the next open. */
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(c->db,
                          writer ? "PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;"
                                   " PRAGMA secure_delete=ON; PRAGMA mmap_size=268435456;"
                                   " PRAGMA cache_size=-16384; PRAGMA wal_autocheckpoint=8000;"
                                 : "PRAGMA query_only=ON; PRAGMA mmap_size=268435456;",
                          NULL, NULL, NULL);
    if (rc != SQLITE_OK) {
        conn_close(c);
        return rc;
    }
    *out = c;
    return SQLITE_OK;
}

/* ---- read connections ---------------------------------------------------------------- */

/* Each thread gets a shard number on first use and keeps it: server threads spread over the
 * shards and (up to SQ_SHARDS threads) never share one. */
static sq_shard *my_shard(sq_store *s)
{
    static _Atomic unsigned next_no;
    static _Thread_local unsigned my_no; /* 0 = not assigned yet */
    if (my_no == 0)
        my_no = ++next_no;
    return &s->shards[(my_no - 1) % SQ_SHARDS];
}

static sq_conn *reader_get(sq_store *s, store_rc *src)
{
    if (s->memory) {
        pthread_mutex_lock(&s->conn_mu);
        return s->wconn;
    }
    sq_shard *sh = my_shard(s);
    pthread_mutex_lock(&sh->mu);
    sq_conn *c = sh->idle;
    if (c != NULL) {
        sh->idle = c->next_idle;
        sh->n_idle--;
    }
    pthread_mutex_unlock(&sh->mu);
    if (c == NULL) {
        int rc = conn_open(s, false, &c);
        if (rc != SQLITE_OK) {
            *src = sq_map_rc(rc);
            return NULL;
        }
    }
    return c;
}

static void reader_put(sq_store *s, sq_conn *c)
{
    if (s->memory) {
        pthread_mutex_unlock(&s->conn_mu);
        return;
    }
    sq_shard *sh = my_shard(s);
    pthread_mutex_lock(&sh->mu);
    if (sh->n_idle < SQ_MAX_IDLE_PER_SHARD) {
        c->next_idle = sh->idle;
        sh->idle = c;
        sh->n_idle++;
        c = NULL;
    }
    pthread_mutex_unlock(&sh->mu);
    conn_close(c);
}

/* ---- the group-commit writer ---------------------------------------------------------- */

static int exec_cached(sq_conn *c, sq_stmt_id id)
{
    int rc;
    sqlite3_stmt *st = sq_stmt(c, id, &rc);
    if (st == NULL)
        return rc;
    rc = sqlite3_step(st);
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/* Undoes what a failed batch handed out and gives every job the batch's error. */
static void fail_batch(sq_wait *batch, store_rc src)
{
    for (sq_wait *w = batch; w != NULL; w = w->next) {
        if (w->job.dup != NULL)
            store_reply_clear(w->job.dup);
        if (w->job.out != NULL)
            store_mailbox_clear(w->job.out);
        w->job.rc = src;
        w->job.removed = 0;
    }
}

/* Runs one job inside the batch transaction, in its own savepoint. Returns false when the
 * transaction as a whole is lost (SQLite rolled it back, or a savepoint step failed). */
static bool run_one(sq_conn *c, sq_job *j)
{
    int rc = exec_cached(c, SQ_SAVEPOINT);
    if (rc != SQLITE_OK) {
        j->rc = sq_map_rc(rc);
        return false;
    }
    sq_run_job(c, j);
    if (sqlite3_get_autocommit(c->db))
        return false; /* an I/O or memory error rolled back the whole transaction */
    if (j->rc != STORE_OK && j->rc != STORE_DUPLICATE) {
        if (exec_cached(c, SQ_ROLLBACK_TO) != SQLITE_OK)
            return false;
        if (j->out != NULL)
            store_mailbox_clear(j->out);
    }
    return exec_cached(c, SQ_RELEASE) == SQLITE_OK;
}

static void run_batch(sq_store *s, sq_wait *batch)
{
    sq_conn *c = s->wconn;
    if (s->memory)
        pthread_mutex_lock(&s->conn_mu);
    int rc = exec_cached(c, SQ_BEGIN);
    if (rc != SQLITE_OK) {
        fail_batch(batch, sq_map_rc(rc));
        goto out;
    }
    for (sq_wait *w = batch; w != NULL; w = w->next) {
        if (!run_one(c, &w->job)) {
            rc = sqlite3_extended_errcode(c->db);
            if (!sqlite3_get_autocommit(c->db))
                sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
            store_rc src = sq_map_rc(rc);
            fail_batch(batch, src == STORE_OK ? STORE_UNAVAILABLE : src);
            goto out;
        }
    }
    /* The one fsync of the batch. Nobody has been told anything yet. */
    rc = exec_cached(c, SQ_COMMIT);
    if (rc != SQLITE_OK) {
        if (!sqlite3_get_autocommit(c->db))
            sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
        fail_batch(batch, sq_map_rc(rc) == STORE_OK ? STORE_UNAVAILABLE : sq_map_rc(rc));
    }
out:
    if (s->memory)
        pthread_mutex_unlock(&s->conn_mu);
}

/* The callers of the previous batch were woken only a moment ago, and most of them are
 * about to queue their next write. Waiting for them (at most SQ_GATHER_US, and only while
 * fewer jobs are queued than the previous batch had) lets them share the next fsync instead
 * of the writer committing a batch of one or two and making the rest wait a whole fsync.
 * After a batch of one nothing waits, so a single caller is never delayed; when the load
 * drops, a batch is delayed by at most SQ_GATHER_US once. */
static void gather(sq_store *s)
{
    if (s->q_len >= s->last_batch || s->stopping)
        return;
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_nsec += SQ_GATHER_US * 1000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    while (s->q_len < s->last_batch && !s->stopping)
        if (pthread_cond_timedwait(&s->q_cv, &s->q_mu, &until) != 0)
            break;
}

/* Hands asynchronous jobs their results and frees their queue entries. */
static void complete_async(sq_wait *list)
{
    while (list != NULL) {
        sq_wait *w = list;
        list = w->next;
        store_async *a = w->async;
        a->rc = w->job.rc;
        free(w);
        a->done(a);
    }
}

/* PRAGMA wal_checkpoint(TRUNCATE) on the writer connection, outside any transaction: copies
 * every WAL frame into store.db (where secure_delete has zeroed deleted rows) and truncates
 * store.db-wal to zero bytes, so the old frames that still held deleted mailboxes are gone.
 * It waits (busy timeout) for readers still on an older snapshot. */
static void run_checkpoint(sq_store *s, sq_job *j)
{
    if (s->memory) {
        j->rc = STORE_OK;
        return;
    }
    int log = -1, done = -1;
    int rc = sqlite3_wal_checkpoint_v2(s->wconn->db, NULL, SQLITE_CHECKPOINT_TRUNCATE, &log,
                                       &done);
    j->rc = rc == SQLITE_OK ? STORE_OK : sq_map_rc(rc) == STORE_OK ? STORE_UNAVAILABLE
                                                                    : sq_map_rc(rc);
}

static void *writer_main(void *arg)
{
    sq_store *s = arg;
    pthread_mutex_lock(&s->q_mu);
    for (;;) {
        while (s->head == NULL && !s->stopping)
            pthread_cond_wait(&s->q_cv, &s->q_mu);
        if (s->head == NULL)
            break; /* stopping, and every queued job is done */
        gather(s);
        /* Take up to SQ_MAX_BATCH jobs off the queue; a checkpoint runs alone, outside a
         * transaction, so a batch stops before one. */
        sq_wait *batch = s->head, *last = batch;
        size_t n = 1;
        if (batch->job.kind != SQ_JOB_CHECKPOINT)
            for (; n < SQ_MAX_BATCH && last->next != NULL &&
                   last->next->job.kind != SQ_JOB_CHECKPOINT;
                 n++)
                last = last->next;
        s->q_len -= n;
        s->last_batch = n;
        s->head = last->next;
        if (s->head == NULL)
            s->tail = NULL;
        last->next = NULL;
        pthread_mutex_unlock(&s->q_mu);

        if (batch->job.kind == SQ_JOB_CHECKPOINT)
            run_checkpoint(s, &batch->job);
        else
            run_batch(s, batch);

        pthread_mutex_lock(&s->q_mu);
        sq_wait *async = NULL;
        for (sq_wait *w = batch, *next; w != NULL; w = next) {
            next = w->next; /* a blocking caller owns w once done is set */
            if (w->async != NULL) {
                w->next = async;
                async = w;
                continue;
            }
            w->done = true;
            pthread_cond_signal(&w->cv);
        }
        if (async != NULL) {
            /* Outside q_mu: done() takes its caller's locks, held by callers while queueing. */
            pthread_mutex_unlock(&s->q_mu);
            complete_async(async);
            pthread_mutex_lock(&s->q_mu);
        }
    }
    pthread_mutex_unlock(&s->q_mu);
    return NULL;
}

/* Queues a write job and waits until its batch is committed (or has failed). */
static store_rc submit(sq_store *s, sq_job *job)
{
    sq_wait w;
    memset(&w, 0, sizeof(w));
    w.job = *job;
    sq_job_prepare(s->key, &w.job); /* here, not in the writer */
    if (pthread_cond_init(&w.cv, NULL) != 0)
        return STORE_ERROR;
    pthread_mutex_lock(&s->q_mu);
    if (s->stopping) {
        pthread_mutex_unlock(&s->q_mu);
        pthread_cond_destroy(&w.cv);
        return STORE_UNAVAILABLE;
    }
    if (s->tail != NULL)
        s->tail->next = &w;
    else
        s->head = &w;
    s->tail = &w;
    s->q_len++;
    pthread_cond_signal(&s->q_cv);
    while (!w.done)
        pthread_cond_wait(&w.cv, &s->q_mu);
    pthread_mutex_unlock(&s->q_mu);
    pthread_cond_destroy(&w.cv);
    *job = w.job;
    return job->rc;
}

/* Queues an asynchronous job; false (with a->rc set) when the store is closing. */
static bool enqueue_async(sq_store *s, const sq_job *job, store_async *a)
{
    sq_wait *w = calloc(1, sizeof *w);
    if (w == NULL) {
        a->rc = STORE_ERROR;
        return false;
    }
    w->job = *job;
    sq_job_prepare(s->key, &w->job); /* here, not in the writer */
    w->async = a;
    pthread_mutex_lock(&s->q_mu);
    if (s->stopping) {
        pthread_mutex_unlock(&s->q_mu);
        free(w);
        a->rc = STORE_UNAVAILABLE;
        return false;
    }
    if (s->tail != NULL)
        s->tail->next = w;
    else
        s->head = w;
    s->tail = w;
    s->q_len++;
    pthread_cond_signal(&s->q_cv);
    pthread_mutex_unlock(&s->q_mu);
    return true;
}

static store_rc sq_read(store *st, const char *id, const char *claim,
                        const char *recipient_token_json, int64_t now, store_mailbox *out);

/* store_ops.submit (arguments checked by the front): the jobs' pointers refer into *a, which
 * lives until done() has run. */
static bool sq_submit(store *st, store_async *a)
{
    sq_store *s = (sq_store *)st;
    sq_job j = {.id = a->id, .claim = a->claim, .request_id = a->request_id,
                .response_body = a->response_body, .payload_json = a->payload_json,
                .token_json = a->token_json, .now = a->now};
    switch (a->op) {
    case STORE_OP_CREATE:
        j.kind = SQ_JOB_CREATE;
        j.mb = &a->mb;
        j.dup = &a->dup;
        break;
    case STORE_OP_READ: {
        /* Most reads need no write: answered here, from a read connection. */
        bool need_writer = false;
        sq_conn *c = reader_get(s, &a->rc);
        if (c == NULL)
            return false;
        a->rc = sq_read_fast(c, a->id, a->claim, a->token_json, a->now, &a->out, &need_writer);
        reader_put(s, c);
        if (a->rc != STORE_OK || !need_writer)
            return false;
        j.kind = SQ_JOB_READ;
        j.out = &a->out;
        break;
    }
    case STORE_OP_UPDATE:
        j.kind = SQ_JOB_UPDATE;
        j.dup = &a->dup;
        j.out = &a->out;
        break;
    case STORE_OP_REMOVE:
        j.kind = SQ_JOB_REMOVE;
        break;
    case STORE_OP_RELINQUISH:
        j.kind = SQ_JOB_RELINQUISH;
        j.dup = &a->dup;
        break;
    case STORE_OP_REPLAY:
        j.kind = SQ_JOB_REPLAY;
        j.dup = &a->dup;
        break;
    default:
        return false;
    }
    return enqueue_async(s, &j, a);
}

/* ---- the vtable (the front, store.c, has checked the arguments and cleared the outputs) -- */

static store_rc sq_create(store *st, const store_new_mailbox *mb, const char *request_id,
                          const char *response_body, store_reply *dup)
{
    sq_job j = {.kind = SQ_JOB_CREATE, .mb = mb, .request_id = request_id,
                .response_body = response_body, .dup = dup};
    return submit((sq_store *)st, &j);
}

static store_rc sq_replay(store *st, const char *claim, const char *request_id,
                          store_reply *dup)
{
    sq_job j = {.kind = SQ_JOB_REPLAY, .claim = claim, .request_id = request_id, .dup = dup};
    return submit((sq_store *)st, &j);
}

static store_rc sq_read(store *st, const char *id, const char *claim,
                        const char *recipient_token_json, int64_t now, store_mailbox *out)
{
    sq_store *s = (sq_store *)st;
    store_rc src = STORE_OK;
    bool need_writer = false;
    sq_conn *c = reader_get(s, &src);
    if (c == NULL)
        return src;
    src = sq_read_fast(c, id, claim, recipient_token_json, now, out, &need_writer);
    reader_put(s, c);
    if (src != STORE_OK || !need_writer)
        return src;
    /* Binding or storing the Recipient's token: the writer re-checks under its lock. */
    sq_job j = {.kind = SQ_JOB_READ, .id = id, .claim = claim, .token_json = recipient_token_json,
                .now = now, .out = out};
    return submit(s, &j);
}

static store_rc sq_peek_op(store *st, const char *id, int64_t now, store_mailbox *out)
{
    sq_store *s = (sq_store *)st;
    store_rc src = STORE_OK;
    sq_conn *c = reader_get(s, &src);
    if (c == NULL)
        return src;
    src = sq_peek(c, id, now, out);
    reader_put(s, c);
    return src;
}

static store_rc sq_update(store *st, const char *id, const char *claim, const char *request_id,
                          const char *payload_json, const char *token_json,
                          const char *response_body, int64_t now, store_reply *dup,
                          store_mailbox *out)
{
    sq_job j = {.kind = SQ_JOB_UPDATE, .id = id, .claim = claim, .request_id = request_id,
                .payload_json = payload_json, .token_json = token_json,
                .response_body = response_body, .now = now, .dup = dup, .out = out};
    return submit((sq_store *)st, &j);
}

static store_rc sq_remove(store *st, const char *id, const char *claim, int64_t now)
{
    sq_job j = {.kind = SQ_JOB_REMOVE, .id = id, .claim = claim, .now = now};
    return submit((sq_store *)st, &j);
}

static store_rc sq_relinquish(store *st, const char *id, const char *claim,
                              const char *request_id, const char *response_body, int64_t now,
                              store_reply *dup)
{
    sq_job j = {.kind = SQ_JOB_RELINQUISH, .id = id, .claim = claim, .request_id = request_id,
                .response_body = response_body, .now = now, .dup = dup};
    return submit((sq_store *)st, &j);
}

static store_rc sq_drop_token(store *st, const char *id, store_party party,
                              const char *token_json)
{
    sq_job j = {.kind = SQ_JOB_DROP_TOKEN, .id = id, .party = party, .token_json = token_json};
    return submit((sq_store *)st, &j);
}

static uint64_t sq_version_op(store *st, const char *id, int64_t now)
{
    sq_store *s = (sq_store *)st;
    store_rc src = STORE_OK;
    sq_conn *c = reader_get(s, &src);
    if (c == NULL)
        return 0;
    uint64_t v = sq_version(c, id, now);
    reader_put(s, c);
    return v;
}

/* Sweeps in transactions of SQ_SWEEP_BATCH rows, each queued like any write, so a large
 * sweep never holds up the requests queued behind it for long. Then checkpoints the WAL with
 * TRUNCATE (queued like a write, run alone): what was deleted since the previous sweep, by
 * this sweep or by DeleteMailbox/Relinquish, leaves store.db-wal; secure_delete has already
 * zeroed it in store.db. So the relay's --sweep-interval (60 s by default) bounds how long a
 * deleted mailbox stays on disk. -1 when the sweep or the checkpoint failed (a reader held
 * an old snapshot beyond the busy timeout: the next sweep tries again). */
static long sq_sweep_op(store *st, int64_t now)
{
    long total = 0;
    for (;;) {
        sq_job j = {.kind = SQ_JOB_SWEEP, .now = now, .limit = SQ_SWEEP_BATCH};
        if (submit((sq_store *)st, &j) != STORE_OK)
            return -1;
        total += j.removed;
        if (j.removed < SQ_SWEEP_BATCH)
            break;
    }
    sq_job cp = {.kind = SQ_JOB_CHECKPOINT};
    if (submit((sq_store *)st, &cp) != STORE_OK)
        return -1;
    return total;
}

/* Live means not yet expired by the wall clock; rows waiting for the sweep do not count. */
static long sq_count_op(store *st)
{
    sq_store *s = (sq_store *)st;
    store_rc src = STORE_OK;
    sq_conn *c = reader_get(s, &src);
    if (c == NULL)
        return -1;
    long n = sq_count(c, (int64_t)time(NULL));
    reader_put(s, c);
    return n;
}

static void sq_free(sq_store *s)
{
    for (int i = 0; i < SQ_SHARDS; i++) {
        while (s->shards[i].idle != NULL) {
            sq_conn *c = s->shards[i].idle;
            s->shards[i].idle = c->next_idle;
            conn_close(c);
        }
        pthread_mutex_destroy(&s->shards[i].mu);
    }
    conn_close(s->wconn); /* last close checkpoints the WAL into the database file */
    pthread_cond_destroy(&s->q_cv);
    pthread_mutex_destroy(&s->q_mu);
    pthread_mutex_destroy(&s->conn_mu);
    free(s->path);
    sodium_memzero(s->key, sizeof(s->key));
    free(s);
}

static void sq_close(store *st)
{
    sq_store *s = (sq_store *)st;
    if (s->writer_started) {
        pthread_mutex_lock(&s->q_mu);
        s->stopping = true;
        pthread_cond_signal(&s->q_cv);
        pthread_mutex_unlock(&s->q_mu);
        pthread_join(s->writer, NULL); /* it drains the queue first */
    }
    sq_free(s);
}

static const store_ops sq_ops = {
    .create = sq_create,
    .replay = sq_replay,
    .read = sq_read,
    .peek = sq_peek_op,
    .update = sq_update,
    .remove = sq_remove,
    .relinquish = sq_relinquish,
    .drop_token = sq_drop_token,
    .version = sq_version_op,
    .sweep = sq_sweep_op,
    .count = sq_count_op,
    .close = sq_close,
    .submit = sq_submit,
};

/* Before SQLite's first use: without memory statistics every allocation skips a global
 * mutex that all connections of the process would otherwise queue on. Only possible before
 * sqlite3_initialize(); if the program already used SQLite, the setting is refused, which
 * costs speed only. */
static pthread_once_t g_sq_once = PTHREAD_ONCE_INIT;
static int g_sodium_ok;
static void sq_global_config(void)
{
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
    sqlite3_initialize();
    g_sodium_ok = sodium_init() >= 0;
}
static void sq_global_init(void)
{
    pthread_once(&g_sq_once, sq_global_config);
}

store *store_sqlite_open(const store_config *cfg, char *err, size_t err_len)
{
    sq_global_init();
    if (!g_sodium_ok) {
        sq_set_err(err, err_len, "libsodium cannot be initialised", 0);
        return NULL;
    }
    sq_store *s = calloc(1, sizeof(*s));
    if (s == NULL || (s->path = strdup(cfg->location)) == NULL) {
        free(s);
        sq_set_err(err, err_len, "out of memory", 0);
        return NULL;
    }
    s->base.ops = &sq_ops;
    s->memory = strcmp(cfg->location, ":memory:") == 0;
    s->busy_ms = cfg->busy_timeout_ms > 0 ? cfg->busy_timeout_ms : SQ_DEFAULT_BUSY_MS;
    pthread_mutex_init(&s->conn_mu, NULL);
    for (int i = 0; i < SQ_SHARDS; i++)
        pthread_mutex_init(&s->shards[i].mu, NULL);
    pthread_mutex_init(&s->q_mu, NULL);
    pthread_cond_init(&s->q_cv, NULL);

    int rc = conn_open(s, true, &s->wconn);
    if (rc != SQLITE_OK) {
        sq_set_err(err, err_len, "cannot open the database", rc);
        sq_free(s);
        return NULL;
    }
    sq_schema_ctx sc = {.db = s->wconn->db, .path = s->path, .memory = s->memory, .key = s->key};
    if (sq_init_schema(&sc, err, err_len) != SQLITE_OK) {
        sq_free(s);
        return NULL;
    }
    if (pthread_create(&s->writer, NULL, writer_main, s) != 0) {
        sq_set_err(err, err_len, "cannot start the writer thread", 0);
        sq_free(s);
        return NULL;
    }
    s->writer_started = true;
    return &s->base;
}
