/*
 * Version-4 UUIDs (Mailbox IDs, Device Claims, Request-IDs): libuuid in the default build
 * (TIGRESS_HAVE_LIBUUID), libsodium's CSPRNG with the version and variant bits set otherwise.
 */
#include <ctype.h>
#include <sodium.h>
#include <string.h>
#ifdef TIGRESS_HAVE_LIBUUID
#include <uuid/uuid.h>
#endif

#include "internal.h"

#ifdef TIGRESS_HAVE_LIBUUID
void tigress__uuid_v4(char out[37])
{
    uuid_t u;

    uuid_generate_random(u);
    uuid_unparse_lower(u, out);
    sodium_memzero(u, sizeof(u));
}
#else
void tigress__uuid_v4(char out[37])
{
    static const char hex[] = "0123456789abcdef";
    uint8_t u[16];
    size_t w = 0;

    /* RFC 9562 section 5.4: 122 random bits, version 4, variant 10. */
    randombytes_buf(u, sizeof(u));
    u[6] = (uint8_t)((u[6] & 0x0F) | 0x40);
    u[8] = (uint8_t)((u[8] & 0x3F) | 0x80);
    for (size_t i = 0; i < sizeof(u); i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            out[w++] = '-';
        out[w++] = hex[u[i] >> 4];
        out[w++] = hex[u[i] & 15];
    }
    out[w] = '\0';
    sodium_memzero(u, sizeof(u));
}
#endif

bool tigress__is_uuid(const char *s)
{
    if (s == NULL || strlen(s) != 36)
        return false;
    for (int i = 0; i < 36; i++) {
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (s[i] != '-')
                return false;
        } else if (!isxdigit((unsigned char)s[i])) {
            return false;
        }
    }
    return true;
}
