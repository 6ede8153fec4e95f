/*
 * relay/store/store_sqlite_ops.c: the SQL logic of each store operation on one connection.
 *
 * Write operations run inside the writer thread's batch transaction (store_sqlite.c wraps
 * each in its own savepoint), so every check-then-write below is atomic: no other writer,
 * in this process or another, can slip in between the SELECT and the UPDATE. The binding
 * UPDATE is conditional all the same (recipient still NULL, claim not the Initiator's, not
 * expired), so that the rule of "exactly one Recipient" holds even if this code is ever run
 * outside a write transaction.
 *
 * Device Claims and Request-IDs never reach SQL: every column and parameter that names one
 * holds its keyed hash (sq_hash), a 32-byte BLOB. SQL compares those hashes (=, <>, the
 * requests primary key): knowing or timing a hash gives nothing to act with, since the relay
 * accepts claims, not hashes, and a hash cannot be turned back into its claim without the
 * key. Access checks done in C compare hashes with sodium_memcmp.
 *
 * Mailbox IDs are bound as their 16 bytes (sq_uuid_parse), and write jobs arrive with their
 * hashes and ID bytes already computed by the calling thread (sq_job_prepare): the writer
 * thread, which runs every write of the store one after the other, only binds and steps.
 *
 * Every statement is reset as soon as its rows are consumed: a statement left mid-step keeps
 * a read transaction open, which would pin an old WAL snapshot on a reader connection.
 */
#include "store_sqlite_ops.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

/* Every *claim and request_id column and their parameters hold sq_hash() values; every id
 * and mailbox_id the 16 bytes of the UUID. */
static const char *const sq_sql[SQ_STMT_COUNT] = {
    [SQ_SEL_MAILBOX] = "SELECT initiator_claim, recipient_claim, rights, expires_at, version,"
                       " payload, display, initiator_token, recipient_token"
                       " FROM mailboxes WHERE id = ?1 AND expires_at > ?2",
    [SQ_SEL_PEEK] = "SELECT display, expires_at FROM mailboxes WHERE id = ?1 AND expires_at > ?2",
    [SQ_SEL_VERSION] = "SELECT version FROM mailboxes WHERE id = ?1 AND expires_at > ?2",
    [SQ_SEL_DUP] = "SELECT response_body FROM requests"
                   " WHERE claim = ?1 AND request_id = ?2 AND (?3 IS NULL OR mailbox_id = ?3)",
    [SQ_INS_MAILBOX] = "INSERT INTO mailboxes(id, initiator_claim, recipient_claim, rights,"
                       " expires_at, version, payload, display, initiator_token, recipient_token)"
                       " VALUES (?1, ?2, NULL, ?3, ?4, 1, ?5, ?6, ?7, NULL)",
    /* released: the claim is no longer a party of that mailbox (it relinquished), so the
     * mailboxes_forget_requests trigger finds its row through requests_released. */
    [SQ_PUT_REQUEST] = "INSERT INTO requests(claim, request_id, mailbox_id, response_body,"
                       " released) VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT(claim) DO UPDATE SET"
                       " request_id = excluded.request_id, mailbox_id = excluded.mailbox_id,"
                       " response_body = excluded.response_body, released = excluded.released",
    [SQ_RELEASE_REQUEST] = "UPDATE requests SET released = 1 WHERE claim = ?1 AND mailbox_id = ?2",
    /* First-claim binding: one conditional UPDATE; sqlite3_changes() says who won. */
    [SQ_BIND] = "UPDATE mailboxes SET recipient_claim = ?1 WHERE id = ?2"
                " AND recipient_claim IS NULL AND initiator_claim <> ?1 AND expires_at > ?3",
    [SQ_SET_RTOKEN] = "UPDATE mailboxes SET recipient_token = ?2 WHERE id = ?1",
    [SQ_SET_ITOKEN] = "UPDATE mailboxes SET initiator_token = ?2 WHERE id = ?1",
    [SQ_SET_PAYLOAD] = "UPDATE mailboxes SET payload = ?2, version = version + 1 WHERE id = ?1",
    [SQ_DEL_MAILBOX] = "DELETE FROM mailboxes WHERE id = ?1",
    [SQ_RELINQUISH] = "UPDATE mailboxes SET recipient_claim = NULL, recipient_token = NULL"
                      " WHERE id = ?1 AND recipient_claim = ?2",
    /* A gone push subscription: cleared only while it is still the stored token. */
    [SQ_DROP_ITOKEN] = "UPDATE mailboxes SET initiator_token = NULL"
                       " WHERE id = ?1 AND initiator_token = ?2",
    [SQ_DROP_RTOKEN] = "UPDATE mailboxes SET recipient_token = NULL"
                       " WHERE id = ?1 AND recipient_token = ?2",
    [SQ_SWEEP] = "DELETE FROM mailboxes WHERE rowid IN"
                 " (SELECT rowid FROM mailboxes WHERE expires_at <= ?1 LIMIT ?2)",
    [SQ_COUNT] = "SELECT count(*) FROM mailboxes WHERE expires_at > ?1",
    /* The writer's batch transaction: prepared once like the rest (sqlite3_exec would parse
     * both for every batch, and at low load a batch is one create). */
    [SQ_BEGIN] = "BEGIN IMMEDIATE",
    [SQ_COMMIT] = "COMMIT",
    [SQ_SAVEPOINT] = "SAVEPOINT job",
    [SQ_RELEASE] = "RELEASE job",
    [SQ_ROLLBACK_TO] = "ROLLBACK TO job",
};

store_rc sq_map_rc(int rc)
{
    switch (rc & 0xff) {
    case SQLITE_OK:
    case SQLITE_ROW:
    case SQLITE_DONE:
        return STORE_OK;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_IOERR:
    case SQLITE_FULL:
        return STORE_UNAVAILABLE;
    default:
        return STORE_ERROR;
    }
}

sqlite3_stmt *sq_stmt(sq_conn *c, sq_stmt_id id, int *rc)
{
    if (c->st[id] == NULL) {
        *rc = sqlite3_prepare_v3(c->db, sq_sql[id], -1, SQLITE_PREPARE_PERSISTENT, &c->st[id],
                                 NULL);
        if (*rc != SQLITE_OK) {
            c->st[id] = NULL;
            return NULL;
        }
    }
    *rc = SQLITE_OK;
    return c->st[id];
}

/* Resets a statement and drops its bindings (the bound strings are borrowed). */
static void sq_done(sqlite3_stmt *st)
{
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
}

static void bind_text(sqlite3_stmt *st, int i, const char *v)
{
    if (v == NULL)
        sqlite3_bind_null(st, i);
    else
        sqlite3_bind_text(st, i, v, -1, SQLITE_STATIC);
}

/* Runs a statement that returns no rows; *changes gets the rows it touched. */
static int exec_stmt(sqlite3_stmt *st, int *changes)
{
    int rc = sqlite3_step(st);
    if (changes != NULL)
        *changes = sqlite3_changes(sqlite3_db_handle(st));
    sq_done(st);
    return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

void sq_hash(const unsigned char key[SQ_KEY_LEN], char domain, const char *value,
             unsigned char out[SQ_HASH_LEN])
{
    crypto_generichash_state h;
    unsigned char d = (unsigned char)domain;
    crypto_generichash_init(&h, key, SQ_KEY_LEN, SQ_HASH_LEN);
    crypto_generichash_update(&h, &d, 1);
    crypto_generichash_update(&h, (const unsigned char *)value, strlen(value));
    crypto_generichash_final(&h, out, SQ_HASH_LEN);
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

bool sq_uuid_parse(const char *text, unsigned char out[SQ_ID_LEN])
{
    if (text == NULL)
        return false;
    size_t o = 0;
    for (size_t i = 0; i < STORE_UUID_LEN; i++) {
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (text[i] != '-')
                return false;
            continue;
        }
        int hi = hexval(text[i]);
        int lo = hi < 0 ? -1 : hexval(text[i + 1]);
        if (lo < 0)
            return false;
        out[o++] = (unsigned char)(hi << 4 | lo);
        i++;
    }
    return text[STORE_UUID_LEN] == '\0';
}

void sq_job_prepare(const unsigned char key[SQ_KEY_LEN], sq_job *j)
{
    const char *id = j->kind == SQ_JOB_CREATE && j->mb != NULL ? j->mb->id : j->id;
    const char *claim = j->kind == SQ_JOB_CREATE && j->mb != NULL ? j->mb->initiator_claim
                                                                  : j->claim;
    j->id_ok = id != NULL && sq_uuid_parse(id, j->idb);
    if (claim != NULL)
        sq_hash(key, SQ_HASH_CLAIM, claim, j->hc);
    if (j->request_id != NULL)
        sq_hash(key, SQ_HASH_REQUEST, j->request_id, j->hr);
}

/* A claim's hash against a stored hash column, in constant time (sodium_memcmp). */
static bool hash_eq(const unsigned char h[SQ_HASH_LEN], sqlite3_stmt *st, int col)
{
    const void *stored = sqlite3_column_blob(st, col);
    if (stored == NULL || sqlite3_column_bytes(st, col) != SQ_HASH_LEN)
        return false;
    return sodium_memcmp(h, stored, SQ_HASH_LEN) == 0;
}

static void bind_hash(sqlite3_stmt *st, int i, const unsigned char h[SQ_HASH_LEN])
{
    sqlite3_bind_blob(st, i, h, SQ_HASH_LEN, SQLITE_STATIC);
}

static void bind_id(sqlite3_stmt *st, int i, const unsigned char id[SQ_ID_LEN])
{
    if (id == NULL)
        sqlite3_bind_null(st, i);
    else
        sqlite3_bind_blob(st, i, id, SQ_ID_LEN, SQLITE_STATIC);
}

static bool has_right(const char *rights, char r)
{
    return strchr(rights, r) != NULL;
}

/* What the access checks need from a mailbox row. */
typedef struct sq_access {
    store_party party;
    bool bound;
    char rights[STORE_RIGHTS_MAX + 1];
} sq_access;

/* A copy of a text column; SQLite knows its length, so no strlen. */
static char *col_dup(sqlite3_stmt *st, int col, bool *oom)
{
    const unsigned char *t = sqlite3_column_text(st, col);
    if (t == NULL)
        return NULL;
    size_t n = (size_t)sqlite3_column_bytes(st, col);
    char *d = malloc(n + 1);
    if (d == NULL) {
        *oom = true;
        return NULL;
    }
    memcpy(d, t, n);
    d[n] = '\0';
    return d;
}

static void copy_bounded(char *dst, size_t cap, const char *src)
{
    size_t n = src != NULL ? strlen(src) : 0;
    if (n >= cap)
        n = cap - 1;
    if (n > 0)
        memcpy(dst, src, n);
    dst[n] = '\0';
}

/* Fills *out from a SQ_SEL_MAILBOX row. */
static store_rc fill_mailbox(sqlite3_stmt *st, const char *id, const sq_access *a,
                             store_mailbox *out)
{
    bool oom = false;
    memset(out, 0, sizeof(*out));
    copy_bounded(out->id, sizeof(out->id), id);
    copy_bounded(out->rights, sizeof(out->rights), a->rights);
    out->expires_at = sqlite3_column_int64(st, 3);
    out->version = (uint64_t)sqlite3_column_int64(st, 4);
    out->caller = a->party;
    out->recipient_bound = a->bound;
    out->payload_json = col_dup(st, 5, &oom);
    out->display_json = col_dup(st, 6, &oom);
    out->initiator_token_json = col_dup(st, 7, &oom);
    out->recipient_token_json = col_dup(st, 8, &oom);
    if (oom) {
        store_mailbox_clear(out);
        return STORE_ERROR;
    }
    return STORE_OK;
}

/* Loads the live mailbox (text `id`, its bytes `idb`) and works out what the claim whose hash
 * is `hc` (NULL: none) is in it. Fills *out too when it is not NULL. STORE_NOT_FOUND when
 * missing or expired. */
static store_rc load(sq_conn *c, const char *id, const unsigned char idb[SQ_ID_LEN],
                     const unsigned char *hc, int64_t now, sq_access *a, store_mailbox *out)
{
    int rc;
    memset(a, 0, sizeof(*a)); /* defined on every return, not only on STORE_OK */
    a->party = STORE_PARTY_NONE;
    sqlite3_stmt *st = sq_stmt(c, SQ_SEL_MAILBOX, &rc);
    if (st == NULL)
        return sq_map_rc(rc);
    bind_id(st, 1, idb);
    sqlite3_bind_int64(st, 2, now);
    rc = sqlite3_step(st);
    if (rc != SQLITE_ROW) {
        sq_done(st);
        return rc == SQLITE_DONE ? STORE_NOT_FOUND : sq_map_rc(rc);
    }
    copy_bounded(a->rights, sizeof(a->rights), (const char *)sqlite3_column_text(st, 2));
    a->bound = sqlite3_column_type(st, 1) != SQLITE_NULL;
    a->party = STORE_PARTY_NONE;
    if (hc != NULL) {
        if (hash_eq(hc, st, 0))
            a->party = STORE_PARTY_INITIATOR;
        else if (a->bound && hash_eq(hc, st, 1))
            a->party = STORE_PARTY_RECIPIENT;
    }
    store_rc src = STORE_OK;
    if (out != NULL)
        src = fill_mailbox(st, id, a, out);
    sq_done(st);
    return src;
}

/* load() for a write job: its prepared ID bytes and claim hash. */
static store_rc load_job(sq_conn *c, const sq_job *j, sq_access *a, store_mailbox *out)
{
    if (!j->id_ok) {
        memset(a, 0, sizeof(*a));
        return STORE_NOT_FOUND; /* not a UUID: names no mailbox */
    }
    return load(c, j->id, j->idb, j->claim != NULL ? j->hc : NULL, j->now, a, out);
}

/* STORE_DUPLICATE (with the remembered body in *dup) when the job's Request-ID is the last one
 * processed for its claim (in mailbox `idb`, unless idb is NULL); STORE_OK when it is not. */
static store_rc check_dup(sq_conn *c, const sq_job *j, const unsigned char *idb,
                          store_reply *dup)
{
    if (j->request_id == NULL)
        return STORE_OK;
    int rc;
    sqlite3_stmt *st = sq_stmt(c, SQ_SEL_DUP, &rc);
    if (st == NULL)
        return sq_map_rc(rc);
    bind_hash(st, 1, j->hc);
    bind_hash(st, 2, j->hr);
    bind_id(st, 3, idb);
    rc = sqlite3_step(st);
    store_rc src = STORE_OK;
    if (rc == SQLITE_ROW) {
        bool oom = false;
        char *body = col_dup(st, 0, &oom);
        if (oom) {
            src = STORE_ERROR;
        } else if (dup != NULL) {
            dup->body = body;
            src = STORE_DUPLICATE;
        } else {
            free(body);
            src = STORE_DUPLICATE;
        }
    } else if (rc != SQLITE_DONE) {
        src = sq_map_rc(rc);
    }
    sq_done(st);
    return src;
}

/* Remembers the job's Request-ID as the last one processed for its claim (one row per
 * claim). released: the claim is no longer a party of the mailbox (a Relinquish). */
static store_rc remember(sq_conn *c, const sq_job *j, bool released)
{
    if (j->request_id == NULL)
        return STORE_OK;
    int rc;
    sqlite3_stmt *st = sq_stmt(c, SQ_PUT_REQUEST, &rc);
    if (st == NULL)
        return sq_map_rc(rc);
    bind_hash(st, 1, j->hc);
    bind_hash(st, 2, j->hr);
    bind_id(st, 3, j->idb);
    bind_text(st, 4, j->response_body);
    sqlite3_bind_int(st, 5, released ? 1 : 0);
    return sq_map_rc(exec_stmt(st, NULL));
}

/* Runs a two-parameter (id, text) UPDATE. */
static store_rc set_text(sq_conn *c, sq_stmt_id which, const unsigned char idb[SQ_ID_LEN],
                         const char *v, int *changes)
{
    int rc;
    sqlite3_stmt *st = sq_stmt(c, which, &rc);
    if (st == NULL)
        return sq_map_rc(rc);
    bind_id(st, 1, idb);
    bind_text(st, 2, v);
    return sq_map_rc(exec_stmt(st, changes));
}

static store_rc job_create(sq_conn *c, sq_job *j)
{
    const store_new_mailbox *mb = j->mb;
    if (!j->id_ok)
        return STORE_ERROR; /* the relay makes every ID a UUID */
    /* A Create has no mailbox yet: the duplicate is any earlier Create by this claim. */
    store_rc src = check_dup(c, j, NULL, j->dup);
    if (src != STORE_OK)
        return src;
    int rc;
    sqlite3_stmt *st = sq_stmt(c, SQ_INS_MAILBOX, &rc);
    if (st == NULL)
        return sq_map_rc(rc);
    bind_id(st, 1, j->idb);
    bind_hash(st, 2, j->hc);
    bind_text(st, 3, mb->rights);
    sqlite3_bind_int64(st, 4, mb->expires_at);
    bind_text(st, 5, mb->payload_json);
    bind_text(st, 6, mb->display_json);
    bind_text(st, 7, mb->initiator_token_json);
    src = sq_map_rc(exec_stmt(st, NULL));
    if (src != STORE_OK)
        return src;
    return remember(c, j, false);
}

/* store_replay: the duplicate check of job_create, without the create. Queued like a write,
 * so it runs after every Create queued before it (a retry racing its original included). */
static store_rc job_replay(sq_conn *c, sq_job *j)
{
    store_rc src = check_dup(c, j, NULL, j->dup);
    return src == STORE_OK ? STORE_NOT_FOUND : src;
}

/* Binds j->claim as Recipient. One conditional UPDATE: it changes a row only if nobody is
 * bound yet, so of two racing binders exactly one sees a change. */
static store_rc bind_recipient(sq_conn *c, sq_job *j)
{
    int rc, changes = 0;
    sqlite3_stmt *st = sq_stmt(c, SQ_BIND, &rc);
    if (st == NULL)
        return sq_map_rc(rc);
    bind_hash(st, 1, j->hc);
    bind_id(st, 2, j->idb);
    sqlite3_bind_int64(st, 3, j->now);
    store_rc src = sq_map_rc(exec_stmt(st, &changes));
    if (src != STORE_OK)
        return src;
    return changes == 1 ? STORE_OK : STORE_UNAUTHORIZED;
}

static store_rc job_read(sq_conn *c, sq_job *j)
{
    sq_access a;
    store_rc src = load_job(c, j, &a, NULL);
    if (src != STORE_OK)
        return src;
    if (!has_right(a.rights, 'R'))
        return STORE_UNAUTHORIZED; /* docs/protocol.md D6: rights bind both parties; never bind */
    if (a.party == STORE_PARTY_NONE) {
        if (a.bound)
            return STORE_UNAUTHORIZED;
        src = bind_recipient(c, j);
        if (src != STORE_OK)
            return src;
        a.party = STORE_PARTY_RECIPIENT;
    }
    if (a.party == STORE_PARTY_RECIPIENT && j->token_json != NULL) {
        src = set_text(c, SQ_SET_RTOKEN, j->idb, j->token_json, NULL);
        if (src != STORE_OK)
            return src;
    }
    if (j->out == NULL)
        return STORE_OK;
    return load_job(c, j, &a, j->out);
}

static store_rc job_update(sq_conn *c, sq_job *j)
{
    sq_access a;
    store_rc src = load_job(c, j, &a, NULL);
    if (src != STORE_OK)
        return src;
    src = check_dup(c, j, j->idb, j->dup);
    if (src != STORE_OK)
        return src;
    if (a.party == STORE_PARTY_NONE || !has_right(a.rights, 'W'))
        return STORE_UNAUTHORIZED;
    src = set_text(c, SQ_SET_PAYLOAD, j->idb, j->payload_json, NULL);
    if (src == STORE_OK && j->token_json != NULL)
        src = set_text(c, a.party == STORE_PARTY_INITIATOR ? SQ_SET_ITOKEN : SQ_SET_RTOKEN,
                       j->idb, j->token_json, NULL);
    if (src == STORE_OK)
        src = remember(c, j, false);
    if (src != STORE_OK || j->out == NULL)
        return src;
    return load_job(c, j, &a, j->out);
}

static store_rc job_remove(sq_conn *c, sq_job *j)
{
    sq_access a;
    store_rc src = load_job(c, j, &a, NULL);
    if (src != STORE_OK)
        return src;
    if (a.party == STORE_PARTY_NONE || !has_right(a.rights, 'D'))
        return STORE_UNAUTHORIZED;
    int rc;
    sqlite3_stmt *st = sq_stmt(c, SQ_DEL_MAILBOX, &rc);
    if (st == NULL)
        return sq_map_rc(rc);
    bind_id(st, 1, j->idb);
    /* The mailboxes_forget_requests trigger deletes its duplicate-detection rows. */
    return sq_map_rc(exec_stmt(st, NULL));
}

static store_rc job_relinquish(sq_conn *c, sq_job *j)
{
    sq_access a;
    store_rc src = load_job(c, j, &a, NULL);
    if (src != STORE_OK)
        return src;
    /* Before the access check: after a relinquish the claim is no longer bound, yet its
     * retry must still get the duplicate answer (R13). */
    src = check_dup(c, j, j->idb, j->dup);
    if (src != STORE_OK)
        return src;
    if (a.party == STORE_PARTY_INITIATOR)
        return STORE_UNAUTHORIZED;
    if (!a.bound)
        return STORE_CONFLICT;
    if (a.party != STORE_PARTY_RECIPIENT)
        return STORE_UNAUTHORIZED;
    int rc, changes = 0;
    sqlite3_stmt *st = sq_stmt(c, SQ_RELINQUISH, &rc);
    if (st == NULL)
        return sq_map_rc(rc);
    bind_id(st, 1, j->idb);
    bind_hash(st, 2, j->hc);
    src = sq_map_rc(exec_stmt(st, &changes));
    if (src != STORE_OK)
        return src;
    if (changes != 1)
        return STORE_CONFLICT;
    if (j->request_id != NULL)
        return remember(c, j, true);
    /* No Request-ID: the claim's earlier row (an Update's) may still name this mailbox, and
     * the claim is no longer a party of it: mark it, so that deleting the mailbox finds it. */
    st = sq_stmt(c, SQ_RELEASE_REQUEST, &rc);
    if (st == NULL)
        return sq_map_rc(rc);
    bind_hash(st, 1, j->hc);
    bind_id(st, 2, j->idb);
    return sq_map_rc(exec_stmt(st, NULL));
}

static store_rc job_sweep(sq_conn *c, sq_job *j)
{
    int rc, changes = 0;
    sqlite3_stmt *st = sq_stmt(c, SQ_SWEEP, &rc);
    if (st == NULL)
        return sq_map_rc(rc);
    sqlite3_bind_int64(st, 1, j->now);
    sqlite3_bind_int64(st, 2, j->limit);
    store_rc src = sq_map_rc(exec_stmt(st, &changes));
    j->removed = src == STORE_OK ? changes : 0;
    return src;
}

static store_rc job_drop_token(sq_conn *c, sq_job *j)
{
    int rc, changes = 0;
    if (!j->id_ok)
        return STORE_NOT_FOUND; /* not a UUID: no mailbox can have it */
    sqlite3_stmt *st = sq_stmt(c, j->party == STORE_PARTY_INITIATOR ? SQ_DROP_ITOKEN
                                                                     : SQ_DROP_RTOKEN, &rc);
    if (st == NULL)
        return sq_map_rc(rc);
    bind_id(st, 1, j->idb);
    bind_text(st, 2, j->token_json);
    store_rc src = sq_map_rc(exec_stmt(st, &changes));
    return src == STORE_OK && changes == 0 ? STORE_NOT_FOUND : src;
}

void sq_run_job(sq_conn *c, sq_job *j)
{
    switch (j->kind) {
    case SQ_JOB_CREATE: j->rc = job_create(c, j); break;
    case SQ_JOB_READ: j->rc = job_read(c, j); break;
    case SQ_JOB_UPDATE: j->rc = job_update(c, j); break;
    case SQ_JOB_REMOVE: j->rc = job_remove(c, j); break;
    case SQ_JOB_RELINQUISH: j->rc = job_relinquish(c, j); break;
    case SQ_JOB_SWEEP: j->rc = job_sweep(c, j); break;
    case SQ_JOB_DROP_TOKEN: j->rc = job_drop_token(c, j); break;
    case SQ_JOB_REPLAY: j->rc = job_replay(c, j); break;
    default: j->rc = STORE_ERROR; break;
    }
}

store_rc sq_read_fast(sq_conn *c, const char *id, const char *claim, const char *token_json,
                      int64_t now, store_mailbox *out, bool *need_writer)
{
    sq_access a;
    store_mailbox tmp;
    *need_writer = false;
    unsigned char idb[SQ_ID_LEN], hc[SQ_HASH_LEN];
    if (!sq_uuid_parse(id, idb))
        return STORE_NOT_FOUND;
    if (claim != NULL)
        sq_hash(c->key, SQ_HASH_CLAIM, claim, hc);
    store_rc src = load(c, id, idb, claim != NULL ? hc : NULL, now, &a,
                        out != NULL ? out : &tmp);
    if (src != STORE_OK)
        return src;
    if (out == NULL)
        store_mailbox_clear(&tmp);
    if (!has_right(a.rights, 'R') || (a.party == STORE_PARTY_NONE && a.bound))
        src = STORE_UNAUTHORIZED;
    else if (a.party == STORE_PARTY_NONE ||
             (a.party == STORE_PARTY_RECIPIENT && token_json != NULL))
        *need_writer = true; /* binding or storing a token: a write */
    if ((src != STORE_OK || *need_writer) && out != NULL)
        store_mailbox_clear(out);
    return src;
}

store_rc sq_peek(sq_conn *c, const char *id, int64_t now, store_mailbox *out)
{
    int rc;
    unsigned char idb[SQ_ID_LEN];
    if (!sq_uuid_parse(id, idb))
        return STORE_NOT_FOUND;
    sqlite3_stmt *st = sq_stmt(c, SQ_SEL_PEEK, &rc);
    if (st == NULL)
        return sq_map_rc(rc);
    bind_id(st, 1, idb);
    sqlite3_bind_int64(st, 2, now);
    rc = sqlite3_step(st);
    store_rc src;
    if (rc == SQLITE_ROW) {
        bool oom = false;
        memset(out, 0, sizeof(*out));
        copy_bounded(out->id, sizeof(out->id), id);
        out->display_json = col_dup(st, 0, &oom);
        out->expires_at = sqlite3_column_int64(st, 1);
        src = oom ? STORE_ERROR : STORE_OK;
        if (oom)
            store_mailbox_clear(out);
    } else {
        src = rc == SQLITE_DONE ? STORE_NOT_FOUND : sq_map_rc(rc);
    }
    sq_done(st);
    return src;
}

uint64_t sq_version(sq_conn *c, const char *id, int64_t now)
{
    int rc;
    unsigned char idb[SQ_ID_LEN];
    if (!sq_uuid_parse(id, idb))
        return 0;
    sqlite3_stmt *st = sq_stmt(c, SQ_SEL_VERSION, &rc);
    if (st == NULL)
        return 0;
    bind_id(st, 1, idb);
    sqlite3_bind_int64(st, 2, now);
    uint64_t v = 0;
    if (sqlite3_step(st) == SQLITE_ROW)
        v = (uint64_t)sqlite3_column_int64(st, 0);
    sq_done(st);
    return v;
}

long sq_count(sq_conn *c, int64_t now)
{
    int rc;
    sqlite3_stmt *st = sq_stmt(c, SQ_COUNT, &rc);
    if (st == NULL)
        return -1;
    sqlite3_bind_int64(st, 1, now);
    long n = -1;
    if (sqlite3_step(st) == SQLITE_ROW)
        n = (long)sqlite3_column_int64(st, 0);
    sq_done(st);
    return n;
}
