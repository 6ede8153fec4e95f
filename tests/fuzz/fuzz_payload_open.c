/*
 * Fuzz target: tigress_payload_open (Base64 decoding, length checks, secretbox and AES-GCM
 * authentication), plus a seal/open round trip of the same bytes.
 *
 * Input: byte 0 picks the payload type (mod 3); the rest is the `data` text handed to open
 * under a fixed key (the seed corpus holds payloads really sealed under it, so the success
 * path is reached too). Checked: only E_FORMAT or E_CRYPTO on failure, with the output left
 * empty (C10); a NUL-terminated plaintext on success; the input bytes survive a seal/open
 * round trip; and a payload sealed for one type never authenticates as another.
 */
#include <stdlib.h>
#include <string.h>

#include <tigress.h>

#include "fuzz.h"

#define CHECK(cond)      \
    do {                 \
        if (!(cond))     \
            abort();     \
    } while (0)

static int g_init;
static tigress_secret *g_key16, *g_key32;

/* At exit: the keys and the library reference go back, so that a replay under valgrind
 * (--errors-for-leak-kinds=all) ends with nothing of ours reachable. Registered after
 * tigress_global_init(), so it runs before libcurl's and OpenSSL's own exit handlers. */
static void fini(void)
{
    tigress_secret_free(g_key16);
    tigress_secret_free(g_key32);
    g_key16 = g_key32 = NULL;
    tigress_global_cleanup();
}

static void init_once(void)
{
    uint8_t key[32];

    if (g_init)
        return;
    if (tigress_global_init() != TIGRESS_OK)
        abort();
    for (size_t i = 0; i < sizeof(key); i++)
        key[i] = (uint8_t)(0xA0 + i);
    if (tigress_secret_from_bytes(&g_key16, key, 16) != TIGRESS_OK ||
        tigress_secret_from_bytes(&g_key32, key, 32) != TIGRESS_OK)
        abort();
    atexit(fini);
    g_init = 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    tigress_payload_type type;
    const tigress_secret *key;
    tigress_buf out = {0}, sealed = {0}, again = {0};
    tigress_status rc;
    char *text;

    init_once();
    if (size == 0)
        return 0;
    type = (tigress_payload_type)(data[0] % 3);
    key = tigress_payload_key_bytes(type) == 16 ? g_key16 : g_key32;
    text = malloc(size);
    if (text == NULL)
        return 0;
    memcpy(text, data + 1, size - 1);
    text[size - 1] = '\0';

    rc = tigress_payload_open(&out, type, key, text);
    if (rc == TIGRESS_OK) {
        CHECK(out.ptr != NULL && out.ptr[out.size] == 0);
    } else {
        CHECK(rc == TIGRESS_E_FORMAT || rc == TIGRESS_E_CRYPTO);
        CHECK(out.ptr == NULL && out.size == 0);
        CHECK(tigress_error_last()->code == rc);
    }
    tigress_buf_dispose(&out);

    /* Round trip: the raw input bytes as a plaintext must come back identical. */
    CHECK(tigress_payload_seal(&sealed, type, key, data + 1, size - 1) == TIGRESS_OK);
    CHECK(tigress_payload_open(&again, type, key, (const char *)sealed.ptr) == TIGRESS_OK);
    CHECK(again.size == size - 1);
    CHECK(size == 1 || memcmp(again.ptr, data + 1, size - 1) == 0);
    tigress_buf_dispose(&again);
    /* The same 32-byte key, the other 32-byte type: must not authenticate. */
    if (type == TIGRESS_PAYLOAD_AES_256_GCM)
        CHECK(tigress_payload_open(&again, TIGRESS_PAYLOAD_XSALSA20_POLY1305, key,
                                   (const char *)sealed.ptr) != TIGRESS_OK);
    tigress_buf_dispose(&again);
    tigress_buf_dispose(&sealed);
    free(text);
    return 0;
}
