/*
 * relay/store/store_sqlite_schema.c: the SQLite store's schema, its migrations and the claim
 * key file beside the database (split from store_sqlite.c, which owns the connections and
 * the writer thread).
 *
 * Schema 3 stores what a durable create writes in as few B-trees as possible, since the
 * single writer thread's time per write bounds the store's write rate:
 *  - mailboxes is found by the 16 bytes of its ID (schema 2: 36 characters of text). It stays
 *    a rowid table with a separate index on id: as a WITHOUT ROWID table keyed by id, each
 *    create inserted its whole row (about 600 bytes, six to a page) at a random place, and
 *    the page splits that followed cost more WAL frames than the second B-tree saves
 *    (measured under relay create load: 15.5 pwrite64 calls per create against 8.3 with the
 *    rowid table, whose rows are appended in rowid order);
 *  - requests (duplicate detection: the last Request-ID per Device Claim, docs/protocol.md
 *    D12 hashes) is keyed by the claim hash alone; schema 2 also had an index on mailbox_id,
 *    written by every create, only for its ON DELETE CASCADE. Now the trigger
 *    mailboxes_forget_requests deletes a mailbox's rows: the Initiator's and the bound
 *    Recipient's by their claim hash (primary key lookups), and those of claims that
 *    relinquished the mailbox through the partial index requests_released, which holds only
 *    those rare rows. No other claim's row can name a mailbox: a row is written only by the
 *    mailbox's Initiator, its bound Recipient, or a Relinquish (which marks it released).
 */
#include "store_sqlite_schema.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SQ_STR_(x) #x
#define SQ_STR(x) SQ_STR_(x)

/* The current schema, for a new store and as the target of migrate_v2. Every *claim and
 * request_id column holds a keyed hash (32-byte BLOB, sq_hash), never the value; id and
 * mailbox_id the 16 bytes of the UUID. */
static const char sq_schema[] =
    "CREATE TABLE mailboxes ("
    " id BLOB PRIMARY KEY,"
    " initiator_claim BLOB NOT NULL,"
    " recipient_claim BLOB,"
    " rights TEXT NOT NULL,"
    " expires_at INTEGER NOT NULL,"
    " version INTEGER NOT NULL,"
    " payload TEXT NOT NULL,"
    " display TEXT,"
    " initiator_token TEXT,"
    " recipient_token TEXT);"
    "CREATE INDEX mailboxes_expires_at ON mailboxes(expires_at);"
    "CREATE TABLE requests ("
    " claim BLOB PRIMARY KEY,"
    " request_id BLOB NOT NULL,"
    " mailbox_id BLOB NOT NULL,"
    " response_body TEXT,"
    " released INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID;"
    "CREATE INDEX requests_released ON requests(mailbox_id) WHERE released;"
    "CREATE TRIGGER mailboxes_forget_requests AFTER DELETE ON mailboxes BEGIN"
    " DELETE FROM requests WHERE claim = OLD.initiator_claim AND mailbox_id = OLD.id;"
    " DELETE FROM requests WHERE claim = OLD.recipient_claim AND mailbox_id = OLD.id;"
    " DELETE FROM requests WHERE released AND mailbox_id = OLD.id;"
    " END;";

void sq_set_err(char *err, size_t err_len, const char *what, int rc)
{
    if (err == NULL || err_len == 0)
        return;
    if (rc != SQLITE_OK)
        snprintf(err, err_len, "sqlite store: %s: %s", what, sqlite3_errstr(rc));
    else
        snprintf(err, err_len, "sqlite store: %s", what);
}

static int user_version_cb(void *arg, int n, char **vals, char **names)
{
    (void)names;
    if (n > 0 && vals[0] != NULL)
        *(int *)arg = (int)strtol(vals[0], NULL, 10); /* SQLite prints a plain integer */
    return 0;
}

/* ---- the claim key -------------------------------------------------------------------- */

/* The key that hashes claims and Request-IDs lives in a file beside the database,
 * "<store>.key": 32 random bytes, mode 0600, created at the first open of a new (or
 * schema-1) store. Not inside the database: a copy of store.db (a backup, a stolen disk
 * image of the data volume, a leaked dump) then holds hashes that cannot be tested against
 * guessed claims. An operator may place the file before the first start (e.g. from a
 * secrets store; a symlink is refused, O_NOFOLLOW) and must back it up with the database: without it no stored claim can be verified, so a schema-2 store whose
 * key file is missing or unusable is refused at open. */
static int key_file_path(const sq_schema_ctx *s, char *out, size_t cap)
{
    int n = snprintf(out, cap, "%s.key", s->path);
    return n > 0 && (size_t)n < cap ? 0 : -1;
}

/* 0: loaded; -1 with errno ENOENT: no file; -1 otherwise: unusable (err set). */
static int key_load(sq_schema_ctx *s, const char *path, char *err, size_t err_len)
{
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        if (errno != ENOENT)
            sq_set_err(err, err_len, "cannot open the claim key file (<store>.key)", 0);
        return -1;
    }
    struct stat st;
    int ok = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 077) == 0 &&
             st.st_size == SQ_KEY_LEN && read(fd, s->key, SQ_KEY_LEN) == SQ_KEY_LEN;
    close(fd);
    if (!ok) {
        sodium_memzero(s->key, SQ_KEY_LEN);
        sq_set_err(err, err_len,
                "claim key file (<store>.key) unusable: must be a regular file of 32 bytes,"
                " readable by its owner only (0600)", 0);
        errno = EINVAL;
        return -1;
    }
    return 0;
}

/* Loads the key file, or (create) makes it: O_EXCL, so of two processes opening a new store
 * at once one creates it and the other reads it. */
static int key_setup(sq_schema_ctx *s, bool create, char *err, size_t err_len)
{
    char path[4096];
    if (key_file_path(s, path, sizeof(path)) != 0) {
        sq_set_err(err, err_len, "store path too long", 0);
        return -1;
    }
    if (key_load(s, path, err, err_len) == 0)
        return 0;
    if (errno != ENOENT)
        return -1;
    if (!create) {
        sq_set_err(err, err_len,
                "claim key file (<store>.key) missing: the store's claims cannot be verified"
                " without it (restore it from the backup of the store)", 0);
        return -1;
    }
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) {
        if (errno == EEXIST)
            return key_load(s, path, err, err_len);
        sq_set_err(err, err_len, "cannot create the claim key file (<store>.key)", 0);
        return -1;
    }
    randombytes_buf(s->key, SQ_KEY_LEN);
    bool ok = write(fd, s->key, SQ_KEY_LEN) == (ssize_t)SQ_KEY_LEN && fsync(fd) == 0;
    close(fd);
    /* The directory entry too, so the key survives a power cut with the database. */
    char dir[4096];
    snprintf(dir, sizeof(dir), "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash != NULL)
        *(slash == dir ? slash + 1 : slash) = '\0';
    int dfd = open(slash != NULL ? dir : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        ok = ok && fsync(dfd) == 0;
        close(dfd);
    }
    if (!ok) {
        unlink(path);
        sodium_memzero(s->key, SQ_KEY_LEN);
        sq_set_err(err, err_len, "cannot write the claim key file (<store>.key)", 0);
        return -1;
    }
    return 0;
}

/* SQL function tigress_hash(domain, value) on the writer connection, for the migration:
 * sq_hash() of value (NULL stays NULL). */
static void sql_hash_fn(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    (void)argc;
    const unsigned char *domain = sqlite3_value_text(argv[0]);
    if (sqlite3_value_type(argv[1]) == SQLITE_NULL || domain == NULL) {
        sqlite3_result_null(ctx);
        return;
    }
    const char *v = (const char *)sqlite3_value_text(argv[1]);
    if (v == NULL) {
        sqlite3_result_error_nomem(ctx);
        return;
    }
    unsigned char h[SQ_HASH_LEN];
    sq_hash(sqlite3_user_data(ctx), (char)domain[0], v, h);
    sqlite3_result_blob(ctx, h, SQ_HASH_LEN, SQLITE_TRANSIENT);
}

/* Schema 1 -> 2 inside the caller's transaction: every claim and Request-ID replaced by its
 * keyed hash. secure_delete (on the writer) zeroes the old values in the pages it rewrites;
 * the caller checkpoints the WAL afterwards. */
static const char sq_migrate_v1[] =
    "UPDATE mailboxes SET initiator_claim = tigress_hash('c', initiator_claim),"
    " recipient_claim = tigress_hash('c', recipient_claim);"
    "UPDATE requests SET claim = tigress_hash('c', claim),"
    " request_id = tigress_hash('r', request_id);";

/* SQL function tigress_id(text) for the migration to schema 3: the 16 bytes of a mailbox
 * ID (sq_uuid_parse); an error for anything else, which fails the migration rather than
 * losing the mailbox. */
static void sql_id_fn(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    (void)argc;
    unsigned char id[SQ_ID_LEN];
    if (!sq_uuid_parse((const char *)sqlite3_value_text(argv[0]), id)) {
        sqlite3_result_error(ctx, "stored mailbox id is not a lowercase UUID", -1);
        return;
    }
    sqlite3_result_blob(ctx, id, SQ_ID_LEN, SQLITE_TRANSIENT);
}

/* Registers (on) or removes the migration's SQL functions on the writer connection. */
static int register_fns(sq_schema_ctx *s, bool on)
{
    int flags = SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_DIRECTONLY;
    int rc = sqlite3_create_function(s->db, "tigress_hash", 2, flags, on ? s->key : NULL,
                                     on ? sql_hash_fn : NULL, NULL, NULL);
    int rc2 = sqlite3_create_function(s->db, "tigress_id", 1, flags, NULL,
                                      on ? sql_id_fn : NULL, NULL, NULL);
    return rc != SQLITE_OK ? rc : rc2;
}

/* Schema 2 -> 3 inside the caller's transaction: the old tables renamed aside (their indexes
 * dropped first, so that the new ones of the same names are created), the new ones created
 * (sq_schema), every row copied with its ID converted to bytes, and the old tables dropped
 * (secure_delete zeroes their pages; the caller checkpoints the WAL afterwards). A requests
 * row is "released" when its claim is neither party of its mailbox any more (it
 * relinquished), which is what lets mailboxes_forget_requests find it. */
static const char sq_migrate_v2[] =
    "DROP INDEX IF EXISTS requests_mailbox_id;"
    "DROP INDEX IF EXISTS mailboxes_expires_at;"
    "ALTER TABLE requests RENAME TO requests_v2;"
    "ALTER TABLE mailboxes RENAME TO mailboxes_v2;";
static const char sq_migrate_v2_copy[] =
    "INSERT INTO mailboxes SELECT tigress_id(id), initiator_claim, recipient_claim, rights,"
    " expires_at, version, payload, display, initiator_token, recipient_token FROM mailboxes_v2;"
    "INSERT INTO requests SELECT r.claim, r.request_id, tigress_id(r.mailbox_id),"
    " r.response_body, NOT (r.claim = m.initiator_claim OR r.claim IS m.recipient_claim)"
    " FROM requests_v2 r JOIN mailboxes_v2 m ON m.id = r.mailbox_id;"
    "DROP TABLE requests_v2;"
    "DROP TABLE mailboxes_v2;";

static int migrate_v2(sqlite3 *db)
{
    int rc = sqlite3_exec(db, sq_migrate_v2, NULL, NULL, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(db, sq_schema, NULL, NULL, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(db, sq_migrate_v2_copy, NULL, NULL, NULL);
    return rc;
}

/* WAL mode, then the schema, created, migrated or checked under one write transaction. */
int sq_init_schema(sq_schema_ctx *s, char *err, size_t err_len)
{
    sqlite3 *db = s->db;
    int rc;
    if (!s->memory) {
        sqlite3_stmt *st = NULL;
        rc = sqlite3_prepare_v2(db, "PRAGMA journal_mode=WAL", -1, &st, NULL);
        if (rc == SQLITE_OK)
            rc = sqlite3_step(st);
        bool wal = rc == SQLITE_ROW &&
                   strcmp((const char *)sqlite3_column_text(st, 0), "wal") == 0;
        sqlite3_finalize(st);
        if (!wal) {
            sq_set_err(err, err_len, "cannot switch to WAL mode", rc == SQLITE_ROW ? 0 : rc);
            return rc == SQLITE_ROW ? SQLITE_ERROR : rc;
        }
    }
    rc = sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
    if (rc != SQLITE_OK) {
        sq_set_err(err, err_len, "cannot lock the database", rc);
        return rc;
    }
    int ver = -1;
    rc = sqlite3_exec(db, "PRAGMA user_version", user_version_cb, &ver, NULL);
    if (rc == SQLITE_OK && ver > SQ_SCHEMA_VERSION) {
        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
        sq_set_err(err, err_len, "database schema is newer than this relay", 0);
        return SQLITE_ERROR;
    }
    /* The key first: a new or schema-1 store may get a new key file; a store of schema 2 or
     * later must have its own. In memory: a random key for this store's life. */
    if (rc == SQLITE_OK) {
        if (s->memory) {
            randombytes_buf(s->key, SQ_KEY_LEN);
        } else if (key_setup(s, ver < SQ_SCHEMA_KEYED, err, err_len) != 0) {
            sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
            return SQLITE_ERROR;
        }
    }
    bool migrated = false;
    if (rc == SQLITE_OK && ver < SQ_SCHEMA_VERSION) {
        /* 0: a new store. 1 -> 2 -> 3 in steps, all in this one transaction. */
        if (ver <= 0) {
            rc = sqlite3_exec(db, sq_schema, NULL, NULL, NULL);
        } else {
            migrated = true;
            rc = register_fns(s, true);
            if (rc == SQLITE_OK && ver == 1)
                rc = sqlite3_exec(db, sq_migrate_v1, NULL, NULL, NULL);
            if (rc == SQLITE_OK)
                rc = migrate_v2(db);
            register_fns(s, false);
        }
        if (rc == SQLITE_OK)
            rc = sqlite3_exec(db, "PRAGMA user_version=" SQ_STR(SQ_SCHEMA_VERSION), NULL, NULL,
                              NULL);
    }
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
    if (rc != SQLITE_OK) {
        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
        sq_set_err(err, err_len, migrated ? "cannot migrate the schema" : "cannot create the schema",
                rc);
        return rc;
    }
    /* The migration's WAL frames before the rewrite still hold the old values: gone now. */
    if (migrated && !s->memory)
        sqlite3_wal_checkpoint_v2(db, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
    return rc;
}
