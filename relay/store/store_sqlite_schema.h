/*
 * relay/store/store_sqlite_schema.h: creating, migrating and checking the SQLite store's
 * schema at open, and its claim key file (store_sqlite_schema.c).
 */
#ifndef TIGRESS_RELAY_STORE_SQLITE_SCHEMA_H
#define TIGRESS_RELAY_STORE_SQLITE_SCHEMA_H

#include "store_sqlite_ops.h"

/* 1: claims and Request-IDs in the clear. 2: their keyed hashes (sq_hash), migrated in place
 * from 1. 3: mailbox IDs as 16 bytes, requests keyed by claim alone, no mailbox_id index
 * (store_sqlite_schema.c says why), migrated from 2. */
#define SQ_SCHEMA_VERSION 3
#define SQ_SCHEMA_KEYED 2 /* the first schema whose store has a claim key file */

/* What opening the schema needs from the store. */
typedef struct sq_schema_ctx {
    sqlite3 *db;         /* the writer connection */
    const char *path;    /* the database file (the key file is "<path>.key") */
    bool memory;         /* ":memory:": no WAL, no key file, a random key */
    unsigned char *key;  /* SQ_KEY_LEN bytes: filled with the store's claim key */
} sq_schema_ctx;

/* "sqlite store: WHAT[: SQLite's text for rc]" into err (when err is not NULL). */
void sq_set_err(char *err, size_t err_len, const char *what, int rc);

/* WAL mode, then the schema created (new store), migrated to SQ_SCHEMA_VERSION in one
 * transaction, or checked; loads or makes the key file. SQLITE_OK, or an error with err set. */
int sq_init_schema(sq_schema_ctx *s, char *err, size_t err_len);

#endif /* TIGRESS_RELAY_STORE_SQLITE_SCHEMA_H */
