/* Error detail: per-handle slots and the thread-local fallback. */
#include <stdio.h>
#include <string.h>

#include "internal.h"

static _Thread_local tigress__error_slot tls_slot;

void tigress__error_clear(tigress__error_slot *slot)
{
    slot->msg[0] = '\0';
    slot->pub.code = TIGRESS_OK;
    slot->pub.message = slot->msg;
    slot->pub.http_status = 0;
    slot->pub.transport_code = 0;
}

tigress_status tigress__error_setv(tigress__error_slot *slot, tigress_status code,
                                   const char *fmt, va_list ap)
{
    tigress__error_clear(slot);
    slot->pub.code = code;
    if (fmt != NULL)
        vsnprintf(slot->msg, sizeof(slot->msg), fmt, ap);
    else
        snprintf(slot->msg, sizeof(slot->msg), "%s", tigress_strerror(code));
    return code;
}

tigress_status tigress__error_set(tigress__error_slot *slot, tigress_status code,
                                  const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    tigress__error_setv(slot, code, fmt, ap);
    va_end(ap);
    return code;
}

tigress__error_slot *tigress__error_tls(void)
{
    if (tls_slot.pub.message == NULL)
        tigress__error_clear(&tls_slot);
    return &tls_slot;
}

tigress_status tigress__fail(tigress_status code, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    tigress__error_setv(tigress__error_tls(), code, fmt, ap);
    va_end(ap);
    return code;
}

tigress_status tigress__error_from_last(tigress__error_slot *slot, tigress_status code,
                                       const char *what)
{
    const tigress_error *e = &tigress__error_tls()->pub;

    /* The crypto and URL functions record their detail thread-locally; their messages never
     * quote the Secret, so they can be copied to the slot. */
    if (e->code == code && e->message[0] != '\0')
        return tigress__error_set(slot, code, "%s: %s", what, e->message);
    return tigress__error_set(slot, code, "%s: %s", what, tigress_strerror(code));
}

const tigress_error *tigress_error_last(void)
{
    return &tigress__error_tls()->pub;
}
