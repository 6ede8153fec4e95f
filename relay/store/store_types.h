/*
 * relay/store/store_types.h: what goes into the store and comes out of it, shared by the
 * front (store.h, what the relay calls) and the backends (store_backend.h, what they fill).
 *
 * Strings passed in are borrowed for the call; strings returned in structs are owned by the
 * struct and released with the matching *_clear() function (store_types.c).
 */
#ifndef TIGRESS_RELAY_STORE_TYPES_H
#define TIGRESS_RELAY_STORE_TYPES_H

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

/* An open store: opaque to the relay (store.h), a vtable to its backend (store_backend.h). */
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
    STORE_OP_RELINQUISH,
    STORE_OP_REPLAY         /* store_replay: a Create's duplicate answer, or NOT_FOUND */
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
    store_reply dup;                /* create, update, relinquish, replay */
    store_mailbox out;              /* read, update */
    /* Called once, from a store thread, with the results filled in. Must not block. */
    void (*done)(store_async *job);
    void *ud;
};

/* Opening options shared by backends. */
typedef struct store_config {
    const char *location;   /* SQLite: file path (":memory:" for tests); Redis: redis://... */
    int busy_timeout_ms;    /* how long a backend waits (SQLite: for a lock; Redis: to connect
                               or for a reply) before STORE_UNAVAILABLE */
    /* rediss:// only (TLS through redis_tls.h); NULL: the defaults. */
    const char *redis_ca;   /* CA bundle (PEM) for the server's certificate; NULL: system */
    const char *redis_cert; /* client certificate (PEM) for mutual TLS, or NULL */
    const char *redis_key;  /* its private key (PEM); NULL: in redis_cert */
} store_config;

#endif /* TIGRESS_RELAY_STORE_TYPES_H */
