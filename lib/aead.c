/*
 * AES-GCM dispatch: the AEAD provider extension point (tigress/sys/aead.h). For each seal or
 * open of an AES-GCM payload the provider is, in order: the client's, the process default set
 * with tigress_aead_provider_set_default(), else the built-in code of this build
 * (aead_openssl.c or aead_sodium.c, chosen in lib.mk). crypto.c does the framing around it.
 */
#include <pthread.h>
#include <string.h>

#include "aead_internal.h"

static pthread_mutex_t g_default_lock = PTHREAD_MUTEX_INITIALIZER;
static tigress_aead_provider g_default;
static bool g_has_default;

tigress_status tigress__aead_provider_check(const tigress_aead_provider *p)
{
    if (p->version < 1 || p->version > TIGRESS_AEAD_PROVIDER_VERSION)
        return tigress__fail(TIGRESS_E_VERSION, "unsupported tigress_aead_provider version %u",
                             p->version);
    if (p->seal == NULL || p->open == NULL)
        return tigress__fail(TIGRESS_E_INVALID,
                             "tigress_aead_provider.seal and .open are both required");
    return TIGRESS_OK;
}

tigress_status tigress_aead_provider_init(tigress_aead_provider *out, unsigned int version)
{
    if (out == NULL)
        return tigress__fail(TIGRESS_E_INVALID, "tigress_aead_provider_init: out is NULL");
    if (version < 1 || version > TIGRESS_AEAD_PROVIDER_VERSION)
        return tigress__fail(TIGRESS_E_VERSION, "unsupported tigress_aead_provider version %u",
                             version);
    memset(out, 0, sizeof(*out));
    out->version = version;
    return TIGRESS_OK;
}

tigress_status tigress_aead_provider_set_default(const tigress_aead_provider *provider)
{
    tigress_aead_provider copy;

    memset(&copy, 0, sizeof(copy));
    if (provider != NULL) {
        tigress_status rc = tigress__aead_provider_check(provider);

        if (rc != TIGRESS_OK)
            return rc;
        /* Version 1 is the whole struct today; a later version copies what it adds. */
        copy.version = TIGRESS_AEAD_PROVIDER_VERSION;
        copy.seal = provider->seal;
        copy.open = provider->open;
        copy.user_data = provider->user_data;
    }
    pthread_mutex_lock(&g_default_lock);
    g_default = copy;
    g_has_default = provider != NULL;
    pthread_mutex_unlock(&g_default_lock);
    return TIGRESS_OK;
}

int tigress_payload_type_builtin(tigress_payload_type type)
{
    if (type == TIGRESS_PAYLOAD_XSALSA20_POLY1305)
        return 1;
    if (type != TIGRESS_PAYLOAD_AES_128_GCM && type != TIGRESS_PAYLOAD_AES_256_GCM)
        return 0;
    return tigress__aead_builtin_why_not(type) == NULL;
}

/* The provider for this call: the client's, else a copy of the default taken under the lock
 * (so a concurrent set_default never tears it), else NULL for the built-in code. */
static const tigress_aead_provider *resolve(const tigress_aead_provider *client,
                                            tigress_aead_provider *copy)
{
    bool have;

    if (client != NULL)
        return client;
    pthread_mutex_lock(&g_default_lock);
    have = g_has_default;
    *copy = g_default;
    pthread_mutex_unlock(&g_default_lock);
    return have ? copy : NULL;
}

/* A provider's return value as a status, with a message naming the type. */
static tigress_status provider_status(int r, tigress_payload_type type, const char *op)
{
    const char *name = tigress_payload_type_name(type);

    if (r == 0)
        return TIGRESS_OK;
    if (r == TIGRESS_E_CRYPTO)
        return tigress__fail(TIGRESS_E_CRYPTO,
                             "payload authentication failed: wrong Secret or tampered data");
    if (r == TIGRESS_E_UNSUPPORTED)
        return tigress__fail(TIGRESS_E_UNSUPPORTED,
                             "the installed AEAD provider does not serve %s", name);
    if (r <= TIGRESS_E_USER_MIN)
        return tigress__fail((tigress_status)r, "the AEAD provider's %s of %s failed with "
                             "application code %d", op, name, r);
    if (r < 0 && r >= TIGRESS_STATUS_LAST_) /* a status this library defines */
        return tigress__fail((tigress_status)r, "the AEAD provider's %s of %s failed: %s", op,
                             name, tigress_strerror((tigress_status)r));
    return tigress__fail(TIGRESS_E_INTERNAL, "the AEAD provider's %s of %s returned %d", op,
                         name, r);
}

/* Built-in code cannot serve the type: TIGRESS_E_UNSUPPORTED saying what to plug in. */
static tigress_status unsupported(tigress_payload_type type, const char *why)
{
    return tigress__fail(TIGRESS_E_UNSUPPORTED,
                         "%s is not available: %s; install an AEAD provider "
                         "(tigress_aead_provider_set_default() or "
                         "tigress_client_options.aead_provider)",
                         tigress_payload_type_name(type), why);
}

tigress_status tigress__aead_seal(const tigress_aead_provider *client, tigress_payload_type type,
                                  const uint8_t *key, size_t key_len, const uint8_t *iv,
                                  const uint8_t *pt, size_t len, uint8_t *ct, uint8_t *tag)
{
    tigress_aead_provider copy;
    const tigress_aead_provider *p = resolve(client, &copy);
    const char *why;

    if (p != NULL) {
        /* The output starts zeroed: a provider that reports success without writing it all
         * must not put leftover heap bytes into an envelope that goes to the relay. */
        memset(ct, 0, len);
        memset(tag, 0, TIGRESS__TAG_BYTES);
        return provider_status(p->seal(type, key, key_len, iv, TIGRESS__GCM_IV_BYTES, pt, len,
                                       ct, tag, TIGRESS__TAG_BYTES, p->user_data),
                               type, "seal");
    }
    why = tigress__aead_builtin_why_not(type);
    if (why != NULL)
        return unsupported(type, why);
    return tigress__aead_builtin_seal(type, key, iv, pt, len, ct, tag);
}

tigress_status tigress__aead_open(const tigress_aead_provider *client, tigress_payload_type type,
                                  const uint8_t *key, size_t key_len, const uint8_t *iv,
                                  const uint8_t *ct, size_t len, const uint8_t *tag, uint8_t *pt)
{
    tigress_aead_provider copy;
    const tigress_aead_provider *p = resolve(client, &copy);
    const char *why;

    if (p != NULL)
        return provider_status(p->open(type, key, key_len, iv, TIGRESS__GCM_IV_BYTES, ct, len,
                                       tag, TIGRESS__TAG_BYTES, pt, p->user_data),
                               type, "open");
    why = tigress__aead_builtin_why_not(type);
    if (why != NULL)
        return unsupported(type, why);
    return tigress__aead_builtin_open(type, key, iv, ct, len, tag, pt);
}
