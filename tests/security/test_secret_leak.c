/*
 * Security tests against the real relay (HTTPS on 127.0.0.1, test CA made at test time, through
 * tests/integration/fixture.c):
 *
 *  C14  the Secret never appears in any byte sent to the relay (method, URL, every header,
 *       body) nor in any error message, across the stateless and the stateful flow, with the
 *       Secret given in the fragment as standard padded Base64, and apart as URL-safe unpadded
 *       Base64 and as percent-encoded Base64. Searched forms: the raw bytes and every 12-byte
 *       window of them; standard, URL-safe, padded and unpadded Base64, percent-encoded
 *       Base64, lower and upper hex, and every 16-character window of each.
 *  R35  the relay's log (run with --log-level debug) contains no client IP address, Device
 *       Claim, Mailbox-Request-ID, notification token, Secret, decrypted content or raw
 *       mailbox ID; its store files (SQLite database, WAL, shared memory) contain no Secret,
 *       decrypted content or client IP, and once every transfer has completed, none of the
 *       claims, Request-IDs, tokens or mailbox IDs of those (deleted) mailboxes either.
 *       (While a mailbox lives the store must hold its claims and push tokens: binding and
 *       push need them.)
 *
 * Requests are captured by a transport that wraps the library's own libcurl transport, so what
 * is searched is exactly what libcurl was asked to send.
 */
#define _GNU_SOURCE /* memmem */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "client_internal.h"
#include "transport_curl.h" /* tigress__curl_transport_new: the transport being wrapped */
#include "fixture.h"

/* ------------------------------------------------------------------ a growing byte buffer */

typedef struct bytes {
    uint8_t *p;
    size_t n, cap;
} bytes;

static void put(bytes *b, const void *data, size_t n)
{
    if (b->n + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->n + n + 1)
            cap *= 2;
        b->p = realloc(b->p, cap);
        assert_non_null(b->p);
        b->cap = cap;
    }
    if (n > 0)
        memcpy(b->p + b->n, data, n);
    b->n += n;
    b->p[b->n] = 0;
}

static void puts_(bytes *b, const char *s)
{
    put(b, s, strlen(s));
}

static void bytes_free(bytes *b)
{
    free(b->p);
    memset(b, 0, sizeof(*b));
}

/* ------------------------------------------------------------------ the capturing transport */

typedef struct capture {
    tigress_transport inner; /* the library's libcurl transport */
    bytes sent;              /* every byte of every request, in order */
    bytes claims;            /* Mailbox-Device-Claim values, one per line */
    bytes request_ids;       /* Mailbox-Request-ID values, one per line */
    unsigned requests;
} capture;

static int capture_send(const tigress_http_request *req, tigress_http_response *resp, void *ud)
{
    capture *c = ud;

    c->requests++;
    puts_(&c->sent, req->method);
    puts_(&c->sent, " ");
    puts_(&c->sent, req->url);
    puts_(&c->sent, "\n");
    for (size_t i = 0; i < req->header_count; i++) {
        puts_(&c->sent, req->headers[i].name);
        puts_(&c->sent, ": ");
        puts_(&c->sent, req->headers[i].value);
        puts_(&c->sent, "\n");
        if (strcasecmp(req->headers[i].name, "Mailbox-Device-Claim") == 0) {
            puts_(&c->claims, req->headers[i].value);
            puts_(&c->claims, "\n");
        } else if (strcasecmp(req->headers[i].name, "Mailbox-Request-ID") == 0) {
            puts_(&c->request_ids, req->headers[i].value);
            puts_(&c->request_ids, "\n");
        }
    }
    if (req->body != NULL)
        put(&c->sent, req->body, req->body_len);
    puts_(&c->sent, "\n");
    return c->inner.send(req, resp, c->inner.user_data);
}

/* ------------------------------------------------------------------ fixture */

typedef struct world {
    it_relay relay;
    tigress_client *carrier; /* owns the options the wrapped curl transport reads */
    capture cap;
    tigress_client *a, *b;   /* Initiator and Recipient devices, both captured */
    bytes errors;            /* every error message seen, one per line */
    bytes secrets;           /* each Secret's raw bytes, 32 or 16 at a time, for the log/store scan */
    size_t secret_sizes[16];
    size_t n_secrets;
    bytes mailbox_ids;       /* one per line */
    char token_data[2][96];  /* the push tokens given to the relay */
    char content_marker[64]; /* a unique string inside the shared (encrypted) content */
} world;

static world *W;

static tigress_client *captured_client(world *w)
{
    tigress_client_options o;
    tigress_transport tp = { TIGRESS_TRANSPORT_VERSION, capture_send, NULL, NULL, &w->cap };
    tigress_client *c = NULL;

    assert_int_equal(tigress_client_options_init(&o, TIGRESS_CLIENT_OPTIONS_VERSION), TIGRESS_OK);
    o.transport = &tp;
    o.ca_file = w->relay.ca;
    o.max_retries = TIGRESS_RETRIES_NONE;
    assert_int_equal(tigress_client_new(&c, &o), TIGRESS_OK);
    return c;
}

static int setup(void **state)
{
    static const char *const args[] = { "--log-level", "debug", "--rate-limit", "0", NULL };
    world *w = calloc(1, sizeof(*w));
    uint8_t r[8];

    assert_non_null(w);
    assert_int_equal(tigress_global_init(), TIGRESS_OK);
    if (it_relay_start(&w->relay, args) != 0)
        fail_msg("could not start the relay");
    w->carrier = it_client(&w->relay, TIGRESS_RETRIES_NONE);
    assert_non_null(w->carrier);
    assert_int_equal(tigress__curl_transport_new(&w->cap.inner,
                                                 tigress__client_options(w->carrier)
                                                     ->allow_insecure_loopback != 0,
                                                 NULL, NULL),
                     TIGRESS_OK);
    w->a = captured_client(w);
    w->b = captured_client(w);
    randombytes_buf(r, sizeof(r));
    snprintf(w->token_data[0], sizeof(w->token_data[0]),
             "https://push.invalid/initiator-%02x%02x%02x%02x", r[0], r[1], r[2], r[3]);
    snprintf(w->token_data[1], sizeof(w->token_data[1]),
             "https://push.invalid/recipient-%02x%02x%02x%02x", r[4], r[5], r[6], r[7]);
    snprintf(w->content_marker, sizeof(w->content_marker), "plaintext-marker-%02x%02x%02x%02x",
             r[7], r[6], r[5], r[4]);
    W = w;
    *state = w;
    return 0;
}

static int teardown(void **state)
{
    world *w = *state;

    tigress_client_free(w->a);
    tigress_client_free(w->b);
    if (w->cap.inner.free != NULL)
        w->cap.inner.free(w->cap.inner.user_data);
    tigress_client_free(w->carrier);
    if (getenv("SECURITY_KEEP_RELAY_DIR") != NULL) { /* to read the log and store by hand */
        it_relay_stop(&w->relay);
        fprintf(stderr, "relay files kept in %s\n", w->relay.dir);
    } else {
        it_relay_cleanup(&w->relay);
    }
    bytes_free(&w->cap.sent);
    bytes_free(&w->cap.claims);
    bytes_free(&w->cap.request_ids);
    bytes_free(&w->errors);
    sodium_memzero(w->secrets.p, w->secrets.n);
    bytes_free(&w->secrets);
    bytes_free(&w->mailbox_ids);
    free(w);
    tigress_global_cleanup();
    return 0;
}

/* ------------------------------------------------------------------ searching */

static void note_error(world *w, tigress_client *c)
{
    puts_(&w->errors, tigress_client_last_error(c)->message);
    puts_(&w->errors, "\n");
    puts_(&w->errors, tigress_error_last()->message);
    puts_(&w->errors, "\n");
}

static bool contains(const bytes *hay, const void *needle, size_t n)
{
    return n > 0 && hay->n >= n && memmem(hay->p, hay->n, needle, n) != NULL;
}

/* True when any window of `win` bytes of `form` (or all of it, when shorter) is in hay. */
static bool window_found(const bytes *hay, const uint8_t *form, size_t len, size_t win)
{
    if (win > len)
        win = len;
    for (size_t i = 0; i + win <= len; i++)
        if (contains(hay, form + i, win))
            return true;
    return false;
}

static void percent_encode(const char *in, char *out, size_t cap)
{
    size_t o = 0;

    for (; *in != '\0' && o + 4 < cap; in++) {
        if (*in == '+' || *in == '/' || *in == '=')
            o += (size_t)snprintf(out + o, cap - o, "%%%02X", (unsigned char)*in);
        else
            out[o++] = *in;
    }
    out[o] = '\0';
}

/* Which form of the Secret is in hay, or NULL. Forms: every text form the SDK could plausibly
 * leak, searched by windows so that a truncated copy is found too. */
static const char *secret_found(const bytes *hay, const uint8_t *key, size_t len)
{
    static const struct { int variant; const char *name; } b64[] = {
        { sodium_base64_VARIANT_ORIGINAL, "standard Base64" },
        { sodium_base64_VARIANT_ORIGINAL_NO_PADDING, "unpadded Base64" },
        { sodium_base64_VARIANT_URLSAFE, "URL-safe Base64" },
        { sodium_base64_VARIANT_URLSAFE_NO_PADDING, "unpadded URL-safe Base64" },
    };
    char text[160], pct[200];

    if (window_found(hay, key, len, 12))
        return "raw bytes";
    for (size_t i = 0; i < sizeof(b64) / sizeof(b64[0]); i++) {
        sodium_bin2base64(text, sizeof(text), key, len, b64[i].variant);
        if (window_found(hay, (const uint8_t *)text, strlen(text), 16))
            return b64[i].name;
        if (i == 0) {
            percent_encode(text, pct, sizeof(pct));
            if (window_found(hay, (const uint8_t *)pct, strlen(pct), 16))
                return "percent-encoded Base64";
        }
    }
    sodium_bin2hex(text, sizeof(text), key, len);
    if (window_found(hay, (const uint8_t *)text, strlen(text), 16))
        return "hex";
    for (char *p = text; *p; p++)
        if (*p >= 'a' && *p <= 'f')
            *p = (char)(*p - 'a' + 'A');
    if (window_found(hay, (const uint8_t *)text, strlen(text), 16))
        return "upper-case hex";
    return NULL;
}

static void remember_secret(world *w, const tigress_transfer *t)
{
    const tigress_secret *s = tigress_transfer_secret(t);

    assert_non_null(s);
    assert_true(w->n_secrets < 16);
    put(&w->secrets, tigress_secret_bytes(s), tigress_secret_size(s));
    w->secret_sizes[w->n_secrets++] = tigress_secret_size(s);
    puts_(&w->mailbox_ids, tigress_transfer_mailbox_id(t));
    puts_(&w->mailbox_ids, "\n");
}

static void assert_no_secret_in(world *w, const bytes *hay, const char *where)
{
    size_t off = 0;

    for (size_t i = 0; i < w->n_secrets; i++) {
        const char *form = secret_found(hay, w->secrets.p + off, w->secret_sizes[i]);
        if (form != NULL)
            fail_msg("%s contains Secret %zu (as %s)", where, i + 1, form);
        off += w->secret_sizes[i];
    }
}

/* ------------------------------------------------------------------ flows */

static tigress_transfer *share(world *w, int stateful, tigress_payload_type type)
{
    tigress_share_options o;
    tigress_transfer *t = NULL;
    char content[160];

    snprintf(content, sizeof(content), "{\"docType\":\"org.example.key\",\"note\":\"%s\"}",
             w->content_marker);
    it_share_options(&o, &w->relay, content);
    o.stateful = stateful;
    o.payload_type = type;
    o.notification_token_type = "webpush";
    o.notification_token_data = w->token_data[0];
    if (tigress_share_create(&t, w->a, &o) != TIGRESS_OK)
        fail_msg("share: %s", tigress_client_last_error(w->a)->message);
    note_error(w, w->a);
    remember_secret(w, t);
    return t;
}

/* How the Recipient gets the Secret. */
typedef enum { VIA_FRAGMENT, VIA_APART_URLSAFE, VIA_FRAGMENT_PERCENT } secret_route;

static tigress_transfer *redeem(world *w, tigress_client *c, const tigress_transfer *shared,
                                secret_route route, const tigress_verifier *v)
{
    const tigress_secret *s = tigress_transfer_secret(shared);
    tigress_redeem_options o;
    tigress_transfer *t = NULL;
    char text[100], url[600], pct[200];

    assert_int_equal(tigress_redeem_options_init(&o, TIGRESS_REDEEM_OPTIONS_VERSION), TIGRESS_OK);
    o.notification_token_type = "webpush";
    o.notification_token_data = w->token_data[1];
    o.verifier = v;
    switch (route) {
    case VIA_FRAGMENT:
        o.share_url = tigress_transfer_share_url(shared);
        break;
    case VIA_APART_URLSAFE:
        sodium_bin2base64(text, sizeof(text), tigress_secret_bytes(s), tigress_secret_size(s),
                          sodium_base64_VARIANT_URLSAFE_NO_PADDING);
        o.share_url = tigress_transfer_url(shared);
        o.secret = text;
        break;
    case VIA_FRAGMENT_PERCENT:
        percent_encode(tigress_secret_text(s), pct, sizeof(pct));
        snprintf(url, sizeof(url), "%s#%s", tigress_transfer_url(shared), pct);
        o.share_url = url;
        break;
    }
    if (tigress_redeem(&t, c, &o) != TIGRESS_OK)
        fail_msg("redeem: %s", tigress_client_last_error(c)->message);
    note_error(w, c);
    sodium_memzero(text, sizeof(text));
    sodium_memzero(pct, sizeof(pct));
    sodium_memzero(url, sizeof(url));
    return t;
}

/* Calls that fail on purpose: their messages must not quote the Secret either. */
static void provoke_errors(world *w, const tigress_transfer *shared)
{
    const tigress_secret *s = tigress_transfer_secret(shared);
    tigress_redeem_options o;
    tigress_transfer *t = NULL;
    tigress_share_url *u = NULL;
    tigress_secret *bad = NULL;
    tigress_client *third = captured_client(w);
    char url[600], text[100];

    tigress_redeem_options_init(&o, TIGRESS_REDEEM_OPTIONS_VERSION);
    /* A third device: the mailbox is already bound (401). */
    o.share_url = tigress_transfer_share_url(shared);
    assert_int_not_equal(tigress_redeem(&t, third, &o), TIGRESS_OK);
    note_error(w, third);
    /* The right URL with a Secret one bit off: tag check fails (after binding is refused or
     * the read fails); either way an error whose text must not carry either Secret. */
    sodium_bin2base64(text, sizeof(text), tigress_secret_bytes(s), tigress_secret_size(s),
                      sodium_base64_VARIANT_ORIGINAL);
    text[3] = text[3] == 'A' ? 'B' : 'A';
    o.share_url = tigress_transfer_url(shared);
    o.secret = text;
    assert_int_not_equal(tigress_redeem(&t, third, &o), TIGRESS_OK);
    note_error(w, third);
    /* The Secret in the fragment of URLs that are rejected before any request. */
    snprintf(url, sizeof(url), "http://relay.example/v1/m/%s#%s",
             tigress_transfer_mailbox_id(shared), tigress_secret_text(s));
    o.share_url = url;
    o.secret = NULL;
    assert_int_not_equal(tigress_redeem(&t, third, &o), TIGRESS_OK);
    note_error(w, third);
    snprintf(url, sizeof(url), "%s#%s!!", tigress_transfer_url(shared), tigress_secret_text(s));
    assert_int_not_equal(tigress_share_url_parse(&u, url, 0), TIGRESS_OK);
    puts_(&w->errors, tigress_error_last()->message);
    puts_(&w->errors, "\n");
    assert_int_not_equal(tigress_secret_from_text(&bad, url), TIGRESS_OK);
    puts_(&w->errors, tigress_error_last()->message);
    puts_(&w->errors, "\n");
    sodium_memzero(url, sizeof(url));
    sodium_memzero(text, sizeof(text));
    tigress_client_free(third);
}

static void finish_initiator(world *w, tigress_transfer *t)
{
    tigress_status rc = tigress_transfer_poll(t);

    note_error(w, w->a);
    assert_int_equal(rc, TIGRESS_OK);
    assert_int_equal(tigress_transfer_state(t), TIGRESS_STATE_COMPLETED);
}

static void stateless_flow(world *w, secret_route route, tigress_payload_type type)
{
    tigress_transfer *a = share(w, 0, type);
    tigress_transfer *b = redeem(w, w->b, a, route, NULL);

    assert_string_equal(tigress_transfer_format(b), tigress_transfer_format(a));
    if (route == VIA_FRAGMENT)
        provoke_errors(w, a);
    assert_int_equal(tigress_transfer_complete(b), TIGRESS_OK);
    note_error(w, w->b);
    finish_initiator(w, a);
    tigress_transfer_free(b);
    tigress_transfer_free(a);
}

static void stateful_flow(world *w, secret_route route)
{
    static const uint8_t txinfo[] = "recipient public key bytes";
    static const uint8_t seed[TIGRESS_ED25519_SEED_BYTES] = { 1, 2, 3 };
    tigress_ed25519_key *k = NULL;
    uint8_t pub[TIGRESS_ED25519_PUBLIC_BYTES];
    tigress_signer signer;
    tigress_verifier verifier;
    tigress_transfer *a, *b;

    assert_int_equal(tigress_ed25519_key_from_seed(&k, seed, sizeof(seed)), TIGRESS_OK);
    assert_int_equal(tigress_ed25519_key_public(k, pub, sizeof(pub)), TIGRESS_OK);
    assert_int_equal(tigress_signer_ed25519(&signer, k), TIGRESS_OK);
    assert_int_equal(tigress_verifier_ed25519(&verifier, pub), TIGRESS_OK);
    a = share(w, 1, TIGRESS_PAYLOAD_AES_256_GCM);
    b = redeem(w, w->b, a, route, &verifier);
    assert_int_equal(tigress_transfer_update(b, "org.example.pubkey", txinfo, sizeof(txinfo)),
                     TIGRESS_OK);
    note_error(w, w->b);
    assert_int_equal(tigress_transfer_poll(a), TIGRESS_OK);
    note_error(w, w->a);
    assert_int_equal(tigress_transfer_state(a), TIGRESS_STATE_TXINFO_RECEIVED);
    assert_int_equal(tigress_transfer_approve(a, &signer), TIGRESS_OK);
    note_error(w, w->a);
    assert_int_equal(tigress_transfer_poll(b), TIGRESS_OK);
    note_error(w, w->b);
    assert_int_equal(tigress_transfer_state(b), TIGRESS_STATE_SIGNED);
    assert_int_equal(tigress_transfer_complete(b), TIGRESS_OK);
    note_error(w, w->b);
    finish_initiator(w, a);
    tigress_transfer_free(b);
    tigress_transfer_free(a);
    tigress_ed25519_key_free(k);
}

/* ------------------------------------------------------------------ tests */

/* C14: both flows, three ways of handing over the Secret, all three payload types. */
static void test_security__secret_never_sent_nor_in_errors(void **state)
{
    world *w = *state;

    stateless_flow(w, VIA_FRAGMENT, TIGRESS_PAYLOAD_XSALSA20_POLY1305);
    stateless_flow(w, VIA_APART_URLSAFE, TIGRESS_PAYLOAD_AES_128_GCM);
    stateless_flow(w, VIA_FRAGMENT_PERCENT, TIGRESS_PAYLOAD_AES_256_GCM);
    stateful_flow(w, VIA_FRAGMENT);
    stateful_flow(w, VIA_APART_URLSAFE);
    assert_true(w->cap.requests >= 20); /* the capture really saw the traffic */
    assert_true(w->n_secrets == 5);
    assert_no_secret_in(w, &w->cap.sent, "a request sent to the relay");
    assert_no_secret_in(w, &w->errors, "an error message");
    /* The search itself can fail: a URL-safe copy of 16 characters of a Secret is found. */
    {
        bytes probe = { NULL, 0, 0 };
        char text[100];
        sodium_bin2base64(text, sizeof(text), w->secrets.p, w->secret_sizes[0],
                          sodium_base64_VARIANT_URLSAFE_NO_PADDING);
        puts_(&probe, "GET /v1/m/x?s=");
        put(&probe, text + 5, 16);
        assert_non_null(secret_found(&probe, w->secrets.p, w->secret_sizes[0]));
        sodium_memzero(text, sizeof(text));
        sodium_memzero(probe.p, probe.n);
        bytes_free(&probe);
    }
}

static bytes slurp(const char *path)
{
    bytes b = { NULL, 0, 0 };
    FILE *f = fopen(path, "rb");
    uint8_t chunk[65536];
    size_t n;

    put(&b, "", 0);
    if (f == NULL)
        return b;
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        put(&b, chunk, n);
    fclose(f);
    return b;
}

/* Blanks every occurrence of s (the relay's own address) so that only other mentions remain. */
static void blank(bytes *b, const char *s)
{
    size_t n = strlen(s);
    uint8_t *p = b->p;

    while (b->n >= n && (p = memmem(p, b->n - (size_t)(p - b->p), s, n)) != NULL)
        memset(p, '_', n);
}

/* Each line of list must be absent from hay. */
static void assert_lines_absent(const bytes *hay, const bytes *list, const char *where,
                                const char *what)
{
    const char *p = (const char *)list->p;

    while (p != NULL && *p != '\0') {
        const char *nl = strchr(p, '\n');
        size_t n = nl != NULL ? (size_t)(nl - p) : strlen(p);
        if (n > 0 && contains(hay, p, n))
            fail_msg("%s contains a %s (%.*s)", where, what, (int)n, p);
        p = nl != NULL ? nl + 1 : NULL;
    }
}

/* R35: run after the flows; stops the relay so the log and the store are complete. */
static void test_security__relay_log_and_store_hold_no_identifiers(void **state)
{
    world *w = *state;
    char path[400], own[80];
    bytes log, db[3];
    static const char *const files[3] = { "store.db", "store.db-wal", "store.db-shm" };

    assert_true(w->n_secrets > 0); /* the flows ran */
    assert_int_equal(it_relay_stop(&w->relay), 0);
    snprintf(path, sizeof(path), "%s/relay.log", w->relay.dir);
    log = slurp(path);
    assert_true(log.n > 0); /* debug logging really wrote something */
    /* The relay's own address may appear (its listening line, urlLink in stored responses);
     * any other mention of 127.0.0.1 is a client address. */
    snprintf(own, sizeof(own), "127.0.0.1:%d", w->relay.port);
    blank(&log, own);
    if (contains(&log, "127.0.0.1", 9) || contains(&log, "::1", 3) ||
        contains(&log, "::ffff:127", 10))
        fail_msg("the relay log contains a client IP address");
    assert_lines_absent(&log, &w->cap.claims, "the relay log", "Device Claim");
    assert_lines_absent(&log, &w->cap.request_ids, "the relay log", "Mailbox-Request-ID");
    assert_lines_absent(&log, &w->mailbox_ids, "the relay log", "raw mailbox ID");
    if (contains(&log, w->token_data[0], strlen(w->token_data[0])) ||
        contains(&log, w->token_data[1], strlen(w->token_data[1])))
        fail_msg("the relay log contains a notification token");
    if (contains(&log, w->content_marker, strlen(w->content_marker)))
        fail_msg("the relay log contains decrypted content");
    assert_no_secret_in(w, &log, "the relay log");

    for (int i = 0; i < 3; i++) {
        snprintf(path, sizeof(path), "%s/%s", w->relay.dir, files[i]);
        db[i] = slurp(path);
        blank(&db[i], own);
        if (contains(&db[i], "127.0.0.1", 9))
            fail_msg("the relay store (%s) contains a client IP address", files[i]);
        if (contains(&db[i], w->content_marker, strlen(w->content_marker)))
            fail_msg("the relay store (%s) contains decrypted content", files[i]);
        assert_no_secret_in(w, &db[i], files[i]);
        /* Every transfer above completed, so its mailbox is deleted: nothing that belonged to
         * it may be left in the files (deleted rows lingering in free pages or the WAL). */
        assert_lines_absent(&db[i], &w->cap.claims, files[i], "Device Claim of a deleted mailbox");
        assert_lines_absent(&db[i], &w->cap.request_ids, files[i],
                            "Mailbox-Request-ID of a deleted mailbox");
        assert_lines_absent(&db[i], &w->mailbox_ids, files[i], "deleted mailbox's ID");
        if (contains(&db[i], w->token_data[0], strlen(w->token_data[0])) ||
            contains(&db[i], w->token_data[1], strlen(w->token_data[1])))
            fail_msg("the relay store (%s) still holds a deleted mailbox's push token", files[i]);
        bytes_free(&db[i]);
    }
    bytes_free(&log);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_security__secret_never_sent_nor_in_errors),
        cmocka_unit_test(test_security__relay_log_and_store_hold_no_identifiers),
    };

    return cmocka_run_group_tests_name("security", tests, setup, teardown);
}
