/* The payload-type table: wire names and key sizes. Below both secret.c (a generated Secret
 * takes its size from here) and crypto.c. */
#include <string.h>

#include "internal.h"

struct payload_info {
    const char *name;
    size_t key_bytes;
};

/* Indexed by tigress_payload_type; the values are fixed by the public header. */
static const struct payload_info payload_types[] = {
    { "XSALSA20_POLY1305", 32 },
    { "AEAD_AES_128_GCM", 16 },
    { "AEAD_AES_256_GCM", 32 },
};
#define PAYLOAD_TYPE_COUNT (sizeof(payload_types) / sizeof(payload_types[0]))

static const struct payload_info *payload_info(tigress_payload_type type)
{
    unsigned int i = (unsigned int)type;

    return i < PAYLOAD_TYPE_COUNT ? &payload_types[i] : NULL;
}

const char *tigress_payload_type_name(tigress_payload_type type)
{
    const struct payload_info *info = payload_info(type);

    return info == NULL ? NULL : info->name;
}

tigress_status tigress_payload_type_from_name(tigress_payload_type *out, const char *name)
{
    if (out == NULL || name == NULL)
        return tigress__fail(TIGRESS_E_INVALID, "tigress_payload_type_from_name: NULL argument");
    for (unsigned int i = 0; i < PAYLOAD_TYPE_COUNT; i++) {
        if (strcmp(name, payload_types[i].name) == 0) {
            *out = (tigress_payload_type)i;
            return TIGRESS_OK;
        }
    }
    return tigress__fail(TIGRESS_E_UNSUPPORTED, "unsupported payload type");
}

size_t tigress_payload_key_bytes(tigress_payload_type type)
{
    const struct payload_info *info = payload_info(type);

    return info == NULL ? 0 : info->key_bytes;
}
