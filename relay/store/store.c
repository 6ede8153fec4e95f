/*
 * relay/store.c: picks the store backend from the configured location and releases the
 * structs that every backend fills.
 */
#include "store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

void store_mailbox_clear(store_mailbox *mb)
{
    if (mb == NULL)
        return;
    free(mb->payload_json);
    free(mb->display_json);
    free(mb->initiator_token_json);
    free(mb->recipient_token_json);
    memset(mb, 0, sizeof(*mb));
}

void store_reply_clear(store_reply *r)
{
    if (r == NULL)
        return;
    free(r->body);
    r->body = NULL;
}

bool store_submit(store *s, store_async *j)
{
    if (s->ops->submit != NULL)
        return s->ops->submit(s, j);
    store_run(s, j); /* no queue in this backend: the blocking op, on the calling thread */
    return false;
}

void store_run(store *s, store_async *j)
{
    memset(&j->dup, 0, sizeof j->dup);
    memset(&j->out, 0, sizeof j->out);
    switch (j->op) {
    case STORE_OP_CREATE:
        j->rc = s->ops->create(s, &j->mb, j->request_id, j->response_body, &j->dup);
        break;
    case STORE_OP_READ:
        j->rc = s->ops->read(s, j->id, j->claim, j->token_json, j->now, &j->out);
        break;
    case STORE_OP_UPDATE:
        j->rc = s->ops->update(s, j->id, j->claim, j->request_id, j->payload_json, j->token_json,
                               j->response_body, j->now, &j->dup, &j->out);
        break;
    case STORE_OP_REMOVE:
        j->rc = s->ops->remove(s, j->id, j->claim, j->now);
        break;
    case STORE_OP_RELINQUISH:
        j->rc = s->ops->relinquish(s, j->id, j->claim, j->request_id, j->response_body, j->now,
                                   &j->dup);
        break;
    default:
        j->rc = STORE_ERROR;
        break;
    }
}

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
        strncasecmp(cfg->location, "rediss://", 9) == 0) {
#ifdef TIGRESS_HAVE_HIREDIS
        return store_redis_open(cfg, err, err_len);
#else
        set_err(err, err_len, "redis backend not built (hiredis was not found at build time)");
        return NULL;
#endif
    }
    return store_sqlite_open(cfg, err, err_len);
}
