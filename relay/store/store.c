/*
 * relay/store/store.c: the store front. Picks the backend from the configured location, and
 * is the one way into it: each operation checks its arguments and clears its outputs here,
 * once, then calls the backend's vtable (store_backend.h), so no backend repeats that
 * preamble and no caller outside relay/store/ sees the vtable.
 */
#include "store.h"
#include "store_backend.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

static void set_err(char *err, size_t err_len, const char *msg)
{
    if (err != NULL && err_len > 0)
        snprintf(err, err_len, "%s", msg);
}

store *store_open(const store_config *cfg, char *err, size_t err_len)
{
    if (cfg == NULL || cfg->location == NULL || cfg->location[0] == '\0') {
        set_err(err, err_len, "store location is empty");
        return NULL;
    }
    /* The scheme is compared without case, as URL schemes are. */
    if (strncasecmp(cfg->location, "redis://", 8) == 0 ||
        strncasecmp(cfg->location, "rediss://", 9) == 0 ||
        strncasecmp(cfg->location, "redis+sentinel://", 17) == 0) {
#ifdef TIGRESS_HAVE_HIREDIS
        return store_redis_open(cfg, err, err_len);
#else
        set_err(err, err_len, "redis backend not built (hiredis was not found at build time)");
        return NULL;
#endif
    }
    return store_sqlite_open(cfg, err, err_len);
}

void store_close(store *s)
{
    if (s != NULL)
        s->ops->close(s);
}

static void clear_reply(store_reply *dup)
{
    if (dup != NULL)
        dup->body = NULL;
}

static void clear_mailbox(store_mailbox *out)
{
    if (out != NULL)
        memset(out, 0, sizeof(*out));
}

static bool new_mailbox_ok(const store_new_mailbox *mb)
{
    return mb != NULL && mb->id != NULL && mb->initiator_claim != NULL && mb->rights != NULL &&
           mb->payload_json != NULL;
}

store_rc store_create(store *s, const store_new_mailbox *mb, const char *request_id,
                      const char *response_body, store_reply *dup)
{
    clear_reply(dup);
    if (s == NULL || !new_mailbox_ok(mb))
        return STORE_ERROR;
    return s->ops->create(s, mb, request_id, response_body, dup);
}

store_rc store_replay(store *s, const char *claim, const char *request_id, store_reply *dup)
{
    clear_reply(dup);
    if (s == NULL || claim == NULL || request_id == NULL)
        return STORE_ERROR;
    return s->ops->replay(s, claim, request_id, dup);
}

store_rc store_read(store *s, const char *id, const char *claim,
                    const char *recipient_token_json, int64_t now, store_mailbox *out)
{
    clear_mailbox(out);
    if (s == NULL || id == NULL || claim == NULL)
        return STORE_ERROR;
    return s->ops->read(s, id, claim, recipient_token_json, now, out);
}

store_rc store_peek(store *s, const char *id, int64_t now, store_mailbox *out)
{
    if (out == NULL)
        return STORE_ERROR;
    clear_mailbox(out);
    if (s == NULL || id == NULL)
        return STORE_ERROR;
    return s->ops->peek(s, id, now, out);
}

store_rc store_update(store *s, const char *id, const char *claim, const char *request_id,
                      const char *payload_json, const char *token_json,
                      const char *response_body, int64_t now, store_reply *dup,
                      store_mailbox *out)
{
    clear_mailbox(out);
    clear_reply(dup);
    if (s == NULL || id == NULL || claim == NULL || payload_json == NULL)
        return STORE_ERROR;
    return s->ops->update(s, id, claim, request_id, payload_json, token_json, response_body,
                          now, dup, out);
}

store_rc store_remove(store *s, const char *id, const char *claim, int64_t now)
{
    if (s == NULL || id == NULL || claim == NULL)
        return STORE_ERROR;
    return s->ops->remove(s, id, claim, now);
}

store_rc store_relinquish(store *s, const char *id, const char *claim, const char *request_id,
                          const char *response_body, int64_t now, store_reply *dup)
{
    clear_reply(dup);
    if (s == NULL || id == NULL || claim == NULL)
        return STORE_ERROR;
    return s->ops->relinquish(s, id, claim, request_id, response_body, now, dup);
}

store_rc store_drop_token(store *s, const char *id, store_party party, const char *token_json)
{
    if (s == NULL || id == NULL || token_json == NULL ||
        (party != STORE_PARTY_INITIATOR && party != STORE_PARTY_RECIPIENT))
        return STORE_ERROR;
    return s->ops->drop_token(s, id, party, token_json);
}

uint64_t store_version(store *s, const char *id, int64_t now)
{
    if (s == NULL || id == NULL)
        return 0;
    return s->ops->version(s, id, now);
}

long store_sweep(store *s, int64_t now)
{
    return s != NULL ? s->ops->sweep(s, now) : -1;
}

long store_count(store *s)
{
    return s != NULL ? s->ops->count(s) : -1;
}

/* ---- several relay processes on one store ---------------------------------------------- */

bool store_is_shared(const store *s)
{
    return s != NULL && s->ops->publish != NULL && s->ops->subscribe != NULL &&
           s->ops->shared_key != NULL && s->ops->rate_take != NULL;
}

void store_publish(store *s, const char *id)
{
    if (s != NULL && id != NULL && s->ops->publish != NULL)
        s->ops->publish(s, id);
}

int store_subscribe(store *s, void (*changed)(const char *id, void *arg), void *arg)
{
    if (s == NULL || s->ops->subscribe == NULL)
        return 1;
    if (changed == NULL)
        return -1;
    return s->ops->subscribe(s, changed, arg);
}

int store_shared_key(store *s, unsigned char out[32])
{
    if (s == NULL || out == NULL || s->ops->shared_key == NULL)
        return -1;
    return s->ops->shared_key(s, out);
}

long store_rate_take(store *s, const unsigned char *key, size_t key_len, double rate,
                     double burst)
{
    if (s == NULL || s->ops->rate_take == NULL || key == NULL || key_len == 0 || key_len > 32 ||
        rate <= 0.0)
        return -1;
    return s->ops->rate_take(s, key, key_len, rate, burst);
}

/* ---- asynchronous writes ---------------------------------------------------------------- */

/* The arguments the job's op needs are there (as the blocking ops above check them). */
static bool job_ok(const store_async *j)
{
    switch (j->op) {
    case STORE_OP_CREATE:
        return new_mailbox_ok(&j->mb);
    case STORE_OP_UPDATE:
        return j->id != NULL && j->claim != NULL && j->payload_json != NULL;
    case STORE_OP_REPLAY:
        return j->claim != NULL && j->request_id != NULL;
    case STORE_OP_READ:
    case STORE_OP_REMOVE:
    case STORE_OP_RELINQUISH:
        return j->id != NULL && j->claim != NULL;
    default:
        return false;
    }
}

bool store_submit(store *s, store_async *j)
{
    if (s == NULL || s->ops->submit == NULL) {
        store_run(s, j); /* no queue in this backend: the blocking op, on the calling thread */
        return false;
    }
    memset(&j->dup, 0, sizeof j->dup);
    memset(&j->out, 0, sizeof j->out);
    j->rc = STORE_ERROR;
    if (!job_ok(j))
        return false;
    return s->ops->submit(s, j);
}

void store_run(store *s, store_async *j)
{
    memset(&j->dup, 0, sizeof j->dup);
    memset(&j->out, 0, sizeof j->out);
    switch (j->op) {
    case STORE_OP_CREATE:
        j->rc = store_create(s, &j->mb, j->request_id, j->response_body, &j->dup);
        break;
    case STORE_OP_REPLAY:
        j->rc = store_replay(s, j->claim, j->request_id, &j->dup);
        break;
    case STORE_OP_READ:
        j->rc = store_read(s, j->id, j->claim, j->token_json, j->now, &j->out);
        break;
    case STORE_OP_UPDATE:
        j->rc = store_update(s, j->id, j->claim, j->request_id, j->payload_json, j->token_json,
                             j->response_body, j->now, &j->dup, &j->out);
        break;
    case STORE_OP_REMOVE:
        j->rc = store_remove(s, j->id, j->claim, j->now);
        break;
    case STORE_OP_RELINQUISH:
        j->rc = store_relinquish(s, j->id, j->claim, j->request_id, j->response_body, j->now,
                                 &j->dup);
        break;
    default:
        j->rc = STORE_ERROR;
        break;
    }
}
