/*
 * relay/store/store_sqlite_ops.h: what the two halves of the SQLite backend share.
 *
 * store_sqlite.c owns the connections, the schema and the group-commit writer thread;
 * store_sqlite_ops.c holds the SQL logic of each operation, written against one connection
 * so that the writer (inside its batch transaction) and the readers run the same code.
 */
#ifndef TIGRESS_RELAY_STORE_SQLITE_OPS_H
#define TIGRESS_RELAY_STORE_SQLITE_OPS_H

#include "store_backend.h"

#include <sqlite3.h>

/* Every statement the backend runs; prepared once per connection, on first use. */
typedef enum sq_stmt_id {
    SQ_SEL_MAILBOX = 0,
    SQ_SEL_PEEK,
    SQ_SEL_VERSION,
    SQ_SEL_DUP,
    SQ_INS_MAILBOX,
    SQ_PUT_REQUEST,
    SQ_RELEASE_REQUEST,
    SQ_BIND,
    SQ_SET_RTOKEN,
    SQ_SET_ITOKEN,
    SQ_SET_PAYLOAD,
    SQ_DEL_MAILBOX,
    SQ_RELINQUISH,
    SQ_DROP_ITOKEN,
    SQ_DROP_RTOKEN,
    SQ_SWEEP,
    SQ_COUNT,
    SQ_BEGIN,
    SQ_COMMIT,
    SQ_SAVEPOINT,
    SQ_RELEASE,
    SQ_ROLLBACK_TO,
    SQ_STMT_COUNT
} sq_stmt_id;

/* Device Claims and Request-IDs are stored as keyed hashes (docs/protocol.md D12): BLAKE2b
 * (crypto_generichash), 32 bytes, keyed with the store's claim key (SQ_KEY_LEN bytes, in the
 * key file beside the database), over one domain byte (SQ_HASH_CLAIM or SQ_HASH_REQUEST)
 * followed by the value. */
#define SQ_KEY_LEN 32
#define SQ_HASH_LEN 32
#define SQ_HASH_CLAIM 'c'
#define SQ_HASH_REQUEST 'r'
void sq_hash(const unsigned char key[SQ_KEY_LEN], char domain, const char *value,
             unsigned char out[SQ_HASH_LEN]);

/* Mailbox IDs are stored as their 16 bytes (schema 3). Parses the lowercase text form
 * (8-4-4-4-12 hex digits, as the relay generates and the HTTP layer normalises it); false for
 * anything else, which then names no mailbox. */
#define SQ_ID_LEN 16
bool sq_uuid_parse(const char *text, unsigned char out[SQ_ID_LEN]);

/* One SQLite connection and its statement cache. Used by one thread at a time. */
typedef struct sq_conn {
    sqlite3 *db;
    const unsigned char *key;   /* the store's claim key (SQ_KEY_LEN bytes), borrowed */
    sqlite3_stmt *st[SQ_STMT_COUNT];
    struct sq_conn *next_idle;
} sq_conn;

/* Which operation a queued write job performs. */
typedef enum sq_job_kind {
    SQ_JOB_CREATE,
    SQ_JOB_READ,
    SQ_JOB_UPDATE,
    SQ_JOB_REMOVE,
    SQ_JOB_RELINQUISH,
    SQ_JOB_SWEEP,
    SQ_JOB_DROP_TOKEN,
    SQ_JOB_REPLAY,         /* store_replay: writes nothing */
    SQ_JOB_CHECKPOINT      /* run by the writer alone, outside a transaction */
} sq_job_kind;

/* A write job: the arguments of one store call (borrowed: the caller blocks until done).
 * sq_job_prepare() fills the ready-to-bind values on the calling thread, so that the single
 * writer thread, whose time bounds the write rate, neither parses nor hashes. */
typedef struct sq_job {
    sq_job_kind kind;
    const store_new_mailbox *mb;
    const char *id;
    const char *claim;
    const char *request_id;
    const char *response_body;
    const char *payload_json;
    const char *token_json;
    int64_t now;
    long limit;            /* sweep: rows per batch */
    store_party party;     /* drop_token: whose token */
    store_reply *dup;
    store_mailbox *out;
    /* ready to bind (sq_job_prepare) */
    bool id_ok;                      /* id parsed (false: names no mailbox) */
    unsigned char idb[SQ_ID_LEN];    /* id, or the new mailbox's id for a create */
    unsigned char hc[SQ_HASH_LEN];   /* sq_hash of claim (create: the Initiator's) */
    unsigned char hr[SQ_HASH_LEN];   /* sq_hash of request_id, when there is one */
    /* results */
    store_rc rc;
    long removed;          /* sweep: rows deleted */
} sq_job;

/* Maps an SQLite result code to the store's: contention and I/O trouble are retryable. */
store_rc sq_map_rc(int rc);

/* Returns the cached statement `id` of `c`, reset and unbound, or NULL (rc in *rc). */
sqlite3_stmt *sq_stmt(sq_conn *c, sq_stmt_id id, int *rc);

/* Fills the job's ready-to-bind values (id bytes, claim and Request-ID hashes). */
void sq_job_prepare(const unsigned char key[SQ_KEY_LEN], sq_job *job);

/* The logic of one write job, run inside the writer's transaction (the caller adds the
 * savepoint). Sets job->rc and the job's outputs. */
void sq_run_job(sq_conn *c, sq_job *job);

/* Read-only operations on any connection. */
store_rc sq_read_fast(sq_conn *c, const char *id, const char *claim, const char *token_json,
                      int64_t now, store_mailbox *out, bool *need_writer);
store_rc sq_peek(sq_conn *c, const char *id, int64_t now, store_mailbox *out);
uint64_t sq_version(sq_conn *c, const char *id, int64_t now);
long sq_count(sq_conn *c, int64_t now);

#endif /* TIGRESS_RELAY_STORE_SQLITE_OPS_H */
