/*
 * relay/store.h: the mailbox store behind tigress-relay.
 *
 * Every function is one atomic step: access checks, first-claim binding, duplicate-request
 * detection and the write happen together, so several relay threads (or, with a shared
 * backend, several relay processes) can never both bind a mailbox or both apply a request.
 * The HTTP layer validates syntax (UUIDs, JSON shape, limits) before calling the store; the
 * store decides everything that depends on stored state.
 *
 * Backends: SQLite (store_sqlite.c, the default: WAL, synchronous=FULL, group commit) and
 * Redis (store_redis.c, built when hiredis is found; several relay processes share one
 * server). A backend is a vtable so the HTTP layer never knows which one runs.
 *
 * Privacy (DESIGN 3.12): the store keeps what the protocol needs and nothing else: no IP
 * addresses, no timestamps of reads, nothing that links two mailboxes.
 *
 * Threading: every function may be called from any thread concurrently.
 * Strings passed in are borrowed for the call; strings returned in structs are owned by the
 * struct and released with the matching *_clear() function.
 */
#ifndef TIGRESS_RELAY_STORE_H
#define TIGRESS_RELAY_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Outcome of a store operation. The HTTP layer maps them to status codes. */
typedef enum store_rc {
    STORE_OK = 0,          /* done (200) */
    STORE_DUPLICATE,       /* same Request-ID as the last one processed for this claim:
                              nothing changed; the original response body is returned (201) */
    STORE_NOT_FOUND,       /* no such mailbox, or expired (404) */
    STORE_UNAUTHORIZED,    /* claim is neither the Initiator nor the bound Recipient, or the
                              mailbox's access rights forbid the operation (401) */
    STORE_CONFLICT,        /* e.g. relinquish when no Recipient is bound (401 in HTTP) */
    STORE_UNAVAILABLE,     /* backend unreachable or busy; retry later (503) */
    STORE_ERROR            /* anything else (500) */
} store_rc;

/* Which side a claim plays in a mailbox. */
typedef enum store_party {
    STORE_PARTY_NONE = 0,
    STORE_PARTY_INITIATOR = 1,
    STORE_PARTY_RECIPIENT = 2
} store_party;

#define STORE_UUID_LEN 36
#define STORE_RIGHTS_MAX 3      /* any of "R", "W", "D" */

/* What CreateMailbox stores. JSON members are stored verbatim as the compact JSON text the
 * HTTP layer produced after validating them. */
typedef struct store_new_mailbox {
    const char *id;                 /* relay-generated v4 UUID, lowercase */
    const char *initiator_claim;    /* UUID text */
    const char *payload_json;       /* {"type":..,"data":..} */
    const char *display_json;       /* {"title":..,"description":..,"imageURL":..} */
    const char *initiator_token_json; /* {"type":..,"tokenData":..} or NULL */
    const char *rights;             /* subset of "RWD", e.g. "RD" */
    int64_t expires_at;             /* Unix seconds */
} store_new_mailbox;

/* A mailbox as read back. Owned strings; release with store_mailbox_clear(). */
typedef struct store_mailbox {
    char id[STORE_UUID_LEN + 1];
    char rights[STORE_RIGHTS_MAX + 1];
    int64_t expires_at;
    uint64_t version;               /* starts at 1, +1 on every update: the long-poll ETag */
    store_party caller;             /* what the calling claim is in this mailbox */
    bool recipient_bound;
    char *payload_json;
    char *display_json;
    char *initiator_token_json;     /* NULL when none */
    char *recipient_token_json;     /* NULL when none */
} store_mailbox;

void store_mailbox_clear(store_mailbox *mb);

/* A response body remembered for duplicate detection. Release with store_reply_clear(). */
typedef struct store_reply {
    char *body;                     /* the JSON body originally returned, or NULL */
} store_reply;

void store_reply_clear(store_reply *r);

typedef struct store store;

/* ---- Asynchronous writes -------------------------------------------------------------------
 * A durable write waits for its batch's fsync (milliseconds). The HTTP layer must not hold a
 * server thread for that long, or the batch size, and with it the write rate, is capped by the
 * number of threads. So a write can also be queued as a job whose outcome arrives later
 * through a callback, from the store's own thread, once the batch holding it has committed
 * (an acknowledgement still never precedes durability). */
typedef enum store_op {
    STORE_OP_CREATE = 1,
    STORE_OP_READ,          /* ReadSecureContent (binds / stores a token: may write) */
    STORE_OP_UPDATE,
    STORE_OP_REMOVE,
    STORE_OP_RELINQUISH
} store_op;

typedef struct store_async store_async;
struct store_async {
    store_op op;
    /* Arguments, as for the blocking op of the same name. Borrowed until done() has run (or
     * store_submit() returned false), so the caller keeps them alive that long. */
    store_new_mailbox mb;           /* create */
    const char *id, *claim, *request_id, *payload_json, *token_json, *response_body;
    int64_t now;
    /* Results, as the blocking op returns them. */
    store_rc rc;
    store_reply dup;                /* create, update, relinquish */
    store_mailbox out;              /* read, update */
    /* Called once, from a store thread, with the results filled in. Must not block. */
    void (*done)(store_async *job);
    void *ud;
};

/* Runs `job`: through the backend's queue when it has one (returns true: done(job) will be
 * called exactly once, later or from another thread), else with the blocking op (returns
 * false: the results are in job already and done() is never called). */
bool store_submit(store *s, store_async *job);

/* Runs `job` with the blocking op on the calling thread (done() is not called). */
void store_run(store *s, store_async *job);

typedef struct store_ops {
    /* Create a mailbox and remember (claim, request_id) -> response_body.
     * STORE_DUPLICATE when request_id is the last one processed for this claim: then
     * *dup holds the original body and nothing is created. */
    store_rc (*create)(store *s, const store_new_mailbox *mb, const char *request_id,
                       const char *response_body, store_reply *dup);

    /* ReadSecureContent. Binds `claim` as Recipient when none is bound and it is not the
     * Initiator's (one atomic conditional update: of racing readers exactly one wins).
     * If recipient_token_json is not NULL and the caller is (or becomes) the Recipient, it is
     * stored as the Recipient's token. Needs right R for either party.
     * NOT_FOUND when missing or expires_at <= now; UNAUTHORIZED for any other claim. */
    store_rc (*read)(store *s, const char *id, const char *claim,
                     const char *recipient_token_json, int64_t now, store_mailbox *out);

    /* Public preview: display information and expiry only. Never binds, never writes. */
    store_rc (*peek)(store *s, const char *id, int64_t now, store_mailbox *out);

    /* UpdateMailbox: replaces the payload, bumps version, and stores the caller's token when
     * token_json is not NULL. Needs right W; claim must be Initiator or bound Recipient.
     * Duplicate handling as for create (request_id may be NULL: no duplicate detection).
     * On STORE_OK *out describes the mailbox after the update (for push and long-poll). */
    store_rc (*update)(store *s, const char *id, const char *claim, const char *request_id,
                       const char *payload_json, const char *token_json,
                       const char *response_body, int64_t now, store_reply *dup,
                       store_mailbox *out);

    /* DeleteMailbox: needs right D; Initiator or bound Recipient. No duplicate handling
     * (a repeated delete finds nothing: NOT_FOUND). */
    store_rc (*remove)(store *s, const char *id, const char *claim, int64_t now);

    /* RelinquishMailbox: only the bound Recipient; clears the binding and its token.
     * STORE_UNAUTHORIZED for another claim (including the Initiator), STORE_CONFLICT when no
     * Recipient is bound. Duplicate handling as for update. */
    store_rc (*relinquish)(store *s, const char *id, const char *claim, const char *request_id,
                           const char *response_body, int64_t now, store_reply *dup);

    /* Current version of a live mailbox (0 when missing or expired), without access checks:
     * used only after an authorised read, to decide whether a long-poll must keep waiting.
     * A backend that can tell returns UINT64_MAX when the store cannot answer (Redis down):
     * the long-poll recheck then stops asking and answers its waiters (503). */
    uint64_t (*version)(store *s, const char *id, int64_t now);

    /* Delete mailboxes with expires_at <= now (and their duplicate-detection rows).
     * Returns how many mailboxes were removed, or -1 on error. */
    long (*sweep)(store *s, int64_t now);

    /* Number of live mailboxes (for /metrics), or -1 on error. */
    long (*count)(store *s);

    void (*close)(store *s);

    /* ---- Optional, for backends shared by several relay processes (NULL otherwise) ---- */

    /* Tells the other processes sharing the store that mailbox `id` changed (best effort:
     * a lost notice only delays a long-poll answer until the waiter's version recheck). */
    void (*publish)(store *s, const char *id);

    /* Starts delivering other processes' notices: changed(id, arg) from a backend thread.
     * changed(NULL, arg) means "notices may have been missed" (after a reconnect): recheck
     * every waiter. 0 on success. Notices this process published are not delivered back. */
    int (*subscribe)(store *s, void (*changed)(const char *id, void *arg), void *arg);

    /* A secret shared by every process on this store, for keyed hashes of client addresses
     * (rotates daily; out receives 32 bytes). 0 on success, -1 when unavailable. */
    int (*shared_key)(store *s, unsigned char out[32]);

    /* Shared token bucket for one client, named by `key` (a keyed hash of its address made
     * by the caller: the raw address never reaches the store). The bucket expires once full
     * again. Returns 0 when allowed, else the seconds to wait (>= 1); -1 when the backend
     * cannot answer (the caller then falls back to its in-memory limiter). */
    long (*rate_take)(store *s, const unsigned char *key, size_t key_len, double rate,
                      double burst);

    /* Queues an asynchronous job (see store_async). Returns true when queued; false when it
     * finished at once (a read that needs no write, invalid arguments, or a closing store),
     * its results in job. NULL: store_submit() runs the blocking ops instead. */
    bool (*submit)(store *s, store_async *job);
} store_ops;

struct store {
    const store_ops *ops;
};

/* Opening options shared by backends. */
typedef struct store_config {
    const char *location;   /* SQLite: file path (":memory:" for tests); Redis: redis://... */
    int busy_timeout_ms;    /* how long a backend waits (SQLite: for a lock; Redis: to connect
                               or for a reply) before STORE_UNAVAILABLE */
    /* rediss:// only (TLS through relay/redis_tls.h); NULL: the defaults. */
    const char *redis_ca;   /* CA bundle (PEM) for the server's certificate; NULL: system */
    const char *redis_cert; /* client certificate (PEM) for mutual TLS, or NULL */
    const char *redis_key;  /* its private key (PEM); NULL: in redis_cert */
} store_config;

/* Open the backend that `location` names (redis:// or rediss:// -> Redis when built in, else
 * SQLite).
 * On failure returns NULL and writes a reason (no secrets) to err. On success err may hold a
 * warning (Redis unreachable at start: the store opens anyway and its calls answer
 * STORE_UNAVAILABLE until the server answers); callers start with err[0] == '\0'. */
store *store_open(const store_config *cfg, char *err, size_t err_len);

/* The SQLite backend directly. */
store *store_sqlite_open(const store_config *cfg, char *err, size_t err_len);

/* The Redis backend directly (location "redis[s]://[[user]:password@]host[:port][/db]";
 * busy_timeout_ms is the connect/command timeout). Exists only when built with hiredis
 * (-DTIGRESS_HAVE_HIREDIS); store_open() reports otherwise. */
store *store_redis_open(const store_config *cfg, char *err, size_t err_len);

static inline void store_close(store *s)
{
    if (s != NULL)
        s->ops->close(s);
}

#endif /* TIGRESS_RELAY_STORE_H */
