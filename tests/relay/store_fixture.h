/*
 * tests/relay/store_fixture.h: a fresh store per test, on whichever backend the running
 * group selects, plus small helpers shared by the store test programs.
 */
#ifndef TIGRESS_TESTS_STORE_FIXTURE_H
#define TIGRESS_TESTS_STORE_FIXTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store.h"

/* As <sqlite3.h> declares it (C11 allows the repeated typedef): this header needs no more. */
typedef struct sqlite3 sqlite3;

typedef enum sf_backend {
    SF_SQLITE_MEMORY,
    SF_SQLITE_FILE,
    SF_REDIS
} sf_backend;

/* Per-test state: the open store and, for file stores, its path. */
typedef struct sf_fixture {
    store *s;
    sf_backend backend;
    char location[512];
} sf_fixture;

/* "now" for semantics tests: the wall clock when the first group started (Redis expires
 * keys by the real clock, so the tests' times must be real ones). Mailboxes live until
 * SF_LATER. */
extern int64_t sf_now_base;
#define SF_NOW (sf_now_base)
#define SF_LATER (SF_NOW + 3600)

/* Distinct, valid claims. A is always the Initiator in the tests. */
#define SF_CLAIM_A "aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa"
#define SF_CLAIM_B "bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb"
#define SF_CLAIM_C "cccccccc-cccc-4ccc-8ccc-cccccccccccc"
#define SF_CLAIM_D "dddddddd-dddd-4ddd-8ddd-dddddddddddd"

/* Group setups select a backend; they return -1 (group fails) if it cannot start. */
int sf_group_sqlite_memory(void **state);
int sf_group_sqlite_file(void **state);
int sf_group_redis(void **state);
int sf_group_teardown(void **state);

/* True when redis-server is installed and the Redis backend is built in. */
bool sf_redis_available(const char **why);

/* Per-test: open a fresh, empty store / close it and remove what it left. */
int sf_setup(void **state);
int sf_teardown(void **state);

/* Redis only: stop the private server (SIGKILL when hard, else SIGTERM) and start it again
 * on the same port and data directory. Returns 0 when it answers again. */
int sf_redis_restart(bool hard);

/* Opens (again) the store at the fixture's location, e.g. after a close. */
store *sf_reopen(sf_fixture *f);

/* For the migration tests: closes the fixture's store, removes its files (the key file too) and
 * opens a bare SQLite database at its location (WAL) with the tables of an older relay's
 * schema, user_version 1 or 2, for the test to fill by hand; sf_reopen then migrates it. NULL
 * (the cause on stderr) when SQLite refuses. */
sqlite3 *sf_old_schema_db(sf_fixture *f, int user_version);

/* Writes a version-4-shaped UUID made from n into out[37]. */
void sf_uuid(char out[STORE_UUID_LEN + 1], uint32_t tag, uint32_t n);

/* Creates mailbox `id` owned by claim, with `rights` and expiry; returns the store's rc. */
store_rc sf_create(store *s, const char *id, const char *claim, const char *rights,
                   int64_t expires_at, const char *request_id);

/* A fresh per-run temporary directory (created on first use). */
const char *sf_tmpdir(void);

/* Seconds from a monotonic clock. */
double sf_seconds(void);

#endif /* TIGRESS_TESTS_STORE_FIXTURE_H */
