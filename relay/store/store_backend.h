/*
 * relay/store/store_backend.h: the contract between the store front (store.c) and a backend.
 *
 * A backend fills a store_ops table and embeds `struct store` first in its own state. Only
 * the front calls these functions, and only after it has checked the arguments and cleared
 * the outputs (see store.h, which documents each operation under its front name): a backend
 * may assume that every pointer an operation needs is set, that *out is zeroed and that
 * dup->body is NULL. Nothing outside relay/store/ includes this header.
 *
 * Backends: SQLite (store_sqlite.c, the default: WAL, synchronous=FULL, group commit) and
 * Redis (store_redis.c, built when hiredis is found; several relay processes share one
 * server).
 */
#ifndef TIGRESS_RELAY_STORE_BACKEND_H
#define TIGRESS_RELAY_STORE_BACKEND_H

#include "store_types.h"

typedef struct store_ops {
    /* The operations every backend has; each as store_<name>() in store.h. */
    store_rc (*create)(store *s, const store_new_mailbox *mb, const char *request_id,
                       const char *response_body, store_reply *dup);
    store_rc (*replay)(store *s, const char *claim, const char *request_id, store_reply *dup);
    store_rc (*read)(store *s, const char *id, const char *claim,
                     const char *recipient_token_json, int64_t now, store_mailbox *out);
    store_rc (*peek)(store *s, const char *id, int64_t now, store_mailbox *out);
    store_rc (*update)(store *s, const char *id, const char *claim, const char *request_id,
                       const char *payload_json, const char *token_json,
                       const char *response_body, int64_t now, store_reply *dup,
                       store_mailbox *out);
    store_rc (*remove)(store *s, const char *id, const char *claim, int64_t now);
    store_rc (*relinquish)(store *s, const char *id, const char *claim, const char *request_id,
                           const char *response_body, int64_t now, store_reply *dup);
    store_rc (*drop_token)(store *s, const char *id, store_party party, const char *token_json);
    uint64_t (*version)(store *s, const char *id, int64_t now);
    long (*sweep)(store *s, int64_t now);
    long (*count)(store *s);
    void (*close)(store *s);

    /* ---- Optional, for backends shared by several relay processes (NULL otherwise) ---- */
    void (*publish)(store *s, const char *id);
    int (*subscribe)(store *s, void (*changed)(const char *id, void *arg), void *arg);
    int (*shared_key)(store *s, unsigned char out[32]);
    long (*rate_take)(store *s, const unsigned char *key, size_t key_len, double rate,
                      double burst);

    /* Optional: queues an asynchronous job whose arguments the front has checked (its dup and
     * out cleared, its rc STORE_ERROR). Returns true when queued (done() runs later, once);
     * false when it finished at once (a read that needs no write, or a closing store), its
     * results in job. NULL: the front runs the blocking op instead. */
    bool (*submit)(store *s, store_async *job);
} store_ops;

struct store {
    const store_ops *ops;
};

/* The SQLite backend (cfg->location is a file path, or ":memory:"; not empty). */
store *store_sqlite_open(const store_config *cfg, char *err, size_t err_len);

/* The Redis backend (location "redis[s]://[[user]:password@]host[:port][/db]";
 * busy_timeout_ms is the connect/command timeout). Exists only when built with hiredis
 * (-DTIGRESS_HAVE_HIREDIS); store_open() reports otherwise. */
store *store_redis_open(const store_config *cfg, char *err, size_t err_len);

#endif /* TIGRESS_RELAY_STORE_BACKEND_H */
