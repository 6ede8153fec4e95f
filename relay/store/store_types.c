/*
 * relay/store/store_types.c: releases the structs that the store fills (store_types.h).
 */
#include "store_types.h"

#include <stdlib.h>
#include <string.h>

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
