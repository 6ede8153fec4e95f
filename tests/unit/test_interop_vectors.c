/*
 * The implementers' vectors (tests/interop/vectors/interop.json, docs/test-vectors.md), made by
 * tests/interop/vectors/gen_interop_vectors.py with pyca/cryptography and PyNaCl: libtigress
 * decrypts every payload type's message 1 (docs/protocol.md §4), opens the stateful message 2
 * and message 3 and builds the same signature input (§5), derives the same Ed25519 key pair
 * from the seed, makes the same (deterministic) signature and verifies it, and parses every
 * Share URL into the same parts (§4). The draft-only peer (tests/interop/draft_peer.py) checks
 * the same file.
 *
 * The file is found at $TIGRESS_INTEROP_VECTORS, else next to this source (run from the source
 * tree, as make check does). A payload type the library was built without (the portable
 * library's AES-128-GCM) is skipped with a note.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <cjson/cJSON.h>
#include <sodium.h>

#include "message.h"
#include "tigress.h"

static cJSON *g_doc;

static char *read_all(const char *path)
{
    FILE *f = fopen(path, "rb");
    char *buf;
    long n;

    if (f == NULL)
        return NULL;
    if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
        fclose(f);
        return NULL;
    }
    buf = malloc((size_t)n + 1);
    if (buf != NULL && fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    if (buf != NULL)
        buf[n] = '\0';
    fclose(f);
    return buf;
}

static int load_doc(void **state)
{
    const char *env = getenv("TIGRESS_INTEROP_VECTORS");
    char path[1024];
    char *text;
    const char *slash = strrchr(__FILE__, '/');

    (void)state;
    if (env != NULL && env[0] != '\0')
        snprintf(path, sizeof(path), "%s", env);
    else
        snprintf(path, sizeof(path), "%.*s/../interop/vectors/interop.json",
                 slash != NULL ? (int)(slash - __FILE__) : 1, slash != NULL ? __FILE__ : ".");
    text = read_all(path);
    if (text == NULL) {
        fprintf(stderr, "cannot read %s (set TIGRESS_INTEROP_VECTORS)\n", path);
        return -1;
    }
    g_doc = cJSON_Parse(text);
    free(text);
    return g_doc != NULL ? 0 : -1;
}

static int free_doc(void **state)
{
    (void)state;
    cJSON_Delete(g_doc);
    g_doc = NULL;
    return 0;
}

static const char *s(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

    assert_true(cJSON_IsString(v));
    return v->valuestring;
}

/* Hex text to bytes (malloc'd). */
static uint8_t *unhex(const char *hex, size_t *len)
{
    size_t n = strlen(hex) / 2, bin_len = 0;
    uint8_t *out = malloc(n > 0 ? n : 1);

    assert_non_null(out);
    assert_int_equal(sodium_hex2bin(out, n, hex, strlen(hex), NULL, &bin_len, NULL), 0);
    assert_int_equal(bin_len, n);
    *len = n;
    return out;
}

static tigress_secret *secret_of(const cJSON *o)
{
    size_t n;
    uint8_t *k = unhex(s(o, "secret_hex"), &n);
    tigress_secret *sec = NULL;

    assert_int_equal(tigress_secret_from_bytes(&sec, k, n), TIGRESS_OK);
    /* The Base64 form the vector also gives is the Secret's text form (§4). */
    assert_string_equal(tigress_secret_text(sec), s(o, "secret"));
    free(k);
    return sec;
}

static void test_interop_vectors__payloads(void **state)
{
    const cJSON *arr = cJSON_GetObjectItemCaseSensitive(g_doc, "payloads"), *v;
    int checked = 0;

    (void)state;
    assert_true(cJSON_GetArraySize(arr) == 3);
    cJSON_ArrayForEach(v, arr) {
        tigress_payload_type type;
        tigress_secret *sec = secret_of(v);
        tigress_buf pt = {0};
        tigress_status rc;
        const char *want = s(v, "plaintext");

        assert_int_equal(tigress_payload_type_from_name(&type, s(v, "type")), TIGRESS_OK);
        rc = tigress_payload_open(&pt, type, sec, s(v, "data"));
        if (rc == TIGRESS_E_UNSUPPORTED) {
            printf("# %s: skipped, not in this build of the library\n", s(v, "name"));
        } else {
            assert_int_equal(rc, TIGRESS_OK);
            assert_int_equal(pt.size, strlen(want));
            assert_memory_equal(pt.ptr, want, pt.size);
            checked++;
        }
        tigress_buf_dispose(&pt);
        tigress_secret_free(sec);
    }
    assert_true(checked >= 1); /* XSALSA20_POLY1305 is in every build */
}

/* false when this build of the library lacks the payload type (libsodium's AES-256-GCM needs
 * the CPU's AES instructions in the portable library). */
static bool open_msg(const cJSON *st, const char *which, tigress_payload_type type,
                     const tigress_secret *sec, tigress__msg *m)
{
    const cJSON *msg = cJSON_GetObjectItemCaseSensitive(st, which);
    tigress__error_slot err;
    tigress_status rc;

    memset(&err, 0, sizeof(err));
    rc = tigress__msg_open(&err, type, sec, s(msg, "data"), NULL, m);
    if (rc == TIGRESS_E_UNSUPPORTED) {
        printf("# stateful %s: skipped, the payload type is not in this build\n", which);
        return false;
    }
    assert_int_equal(rc, TIGRESS_OK);
    assert_true(m->has_tigress);
    assert_true(m->has_stateful && m->stateful);
    assert_string_equal(m->body.format, "com.example.homekey");
    return true;
}

static void test_interop_vectors__stateful(void **state)
{
    const cJSON *st = cJSON_GetObjectItemCaseSensitive(g_doc, "stateful");
    const cJSON *ed = cJSON_GetObjectItemCaseSensitive(st, "ed25519");
    tigress_payload_type type;
    tigress_secret *sec;
    tigress__msg m2, m3;
    size_t tx_len, in_len, want_len, seed_len, pub_len, sig_len;
    uint8_t *tx, *input, *want_in, *seed, *pub, *want_sig;
    uint8_t mypub[32], sig[64];
    size_t my_sig_len = sizeof(sig);
    tigress_ed25519_key *key = NULL;
    tigress_signer signer;
    tigress_verifier verifier;
    const char *mid = s(st, "mailbox_id");
    bool have_msgs;

    (void)state;
    assert_int_equal(tigress_payload_type_from_name(&type, s(st, "payload_type")), TIGRESS_OK);
    sec = secret_of(st);
    memset(&m2, 0, sizeof(m2));
    memset(&m3, 0, sizeof(m3));
    tx = unhex(s(st, "txinfo_hex"), &tx_len);
    have_msgs = open_msg(st, "message2", type, sec, &m2) && open_msg(st, "message3", type, sec, &m3);
    if (have_msgs) {
        assert_int_equal(m2.role, TIGRESS_ROLE_RECIPIENT);
        assert_int_equal(m2.seq, 2);
        assert_int_equal(m3.role, TIGRESS_ROLE_INITIATOR);
        assert_int_equal(m3.seq, 3);
        assert_null(m2.body.sig);
        assert_int_equal(m2.body.txinfo_len, tx_len);
        assert_memory_equal(m2.body.txinfo, tx, tx_len);
        assert_int_equal(m3.body.txinfo_len, tx_len);
        assert_memory_equal(m3.body.txinfo, tx, tx_len);
    }

    /* The signature input (§5) is the same bytes. */
    input = tigress__msg_sig_input(mid, tx, tx_len, &in_len);
    assert_non_null(input);
    want_in = unhex(s(st, "signature_input_hex"), &want_len);
    assert_int_equal(in_len, want_len);
    assert_memory_equal(input, want_in, in_len);

    /* The key pair from the seed, the same deterministic signature, and it verifies. */
    seed = unhex(s(ed, "seed_hex"), &seed_len);
    pub = unhex(s(ed, "public_hex"), &pub_len);
    want_sig = unhex(s(st, "signature_hex"), &sig_len);
    assert_int_equal(tigress_ed25519_key_from_seed(&key, seed, seed_len), TIGRESS_OK);
    assert_int_equal(tigress_ed25519_key_public(key, mypub, sizeof(mypub)), TIGRESS_OK);
    assert_memory_equal(mypub, pub, 32);
    assert_int_equal(tigress_signer_ed25519(&signer, key), TIGRESS_OK);
    assert_int_equal(signer.sign(input, in_len, sig, &my_sig_len, signer.user_data), 0);
    assert_int_equal(my_sig_len, sig_len);
    assert_memory_equal(sig, want_sig, sig_len);
    if (have_msgs) {
        assert_int_equal(m3.body.sig_len, sig_len);
        assert_memory_equal(m3.body.sig, want_sig, sig_len);
        assert_string_equal(m3.body.sig_alg, "Ed25519");
    }
    assert_int_equal(tigress_verifier_ed25519(&verifier, pub), TIGRESS_OK);
    assert_int_equal(verifier.verify("Ed25519", input, in_len, want_sig, sig_len,
                                     verifier.user_data), 0);
    input[in_len - 1] ^= 1; /* another TxInfo: refused */
    assert_int_not_equal(verifier.verify("Ed25519", input, in_len, want_sig, sig_len,
                                         verifier.user_data), 0);

    tigress_ed25519_key_free(key);
    free(seed);
    free(pub);
    free(want_sig);
    free(want_in);
    tigress__free(input);
    free(tx);
    tigress__msg_clear(&m2);
    tigress__msg_clear(&m3);
    tigress_secret_free(sec);
}

static void test_interop_vectors__share_urls(void **state)
{
    const cJSON *arr = cJSON_GetObjectItemCaseSensitive(g_doc, "share_urls"), *v;

    (void)state;
    assert_true(cJSON_GetArraySize(arr) >= 4);
    cJSON_ArrayForEach(v, arr) {
        tigress_share_url *u = NULL;
        const cJSON *vert = cJSON_GetObjectItemCaseSensitive(v, "vertical");
        size_t klen;
        uint8_t *k = unhex(s(v, "secret_hex"), &klen);
        const tigress_secret *sec;

        assert_int_equal(tigress_share_url_parse(&u, s(v, "url"), 0), TIGRESS_OK);
        assert_string_equal(tigress_share_url_relay(u), s(v, "relay"));
        assert_string_equal(tigress_share_url_mailbox_id(u), s(v, "mailbox_id"));
        assert_int_equal(tigress_share_url_vertical(u),
                         cJSON_IsString(vert) ? vert->valuestring[0] : 0);
        sec = tigress_share_url_secret(u);
        assert_non_null(sec);
        assert_int_equal(tigress_secret_size(sec), klen);
        assert_memory_equal(tigress_secret_bytes(sec), k, klen);
        free(k);
        tigress_share_url_free(u);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_interop_vectors__payloads),
        cmocka_unit_test(test_interop_vectors__stateful),
        cmocka_unit_test(test_interop_vectors__share_urls),
    };
    int failed;

    if (tigress_global_init() != TIGRESS_OK)
        return 1;
    failed = cmocka_run_group_tests_name("interop_vectors", tests, load_doc, free_doc);
    tigress_global_cleanup();
    return failed;
}
