/*
 * Shared fixture for the transfer-layer unit tests (test_transfer.c, test_stateful.c,
 * test_state.c, test_export.c): two "devices" (clients) talking to the mock transport's fake
 * relay, plus checks over the recorded requests. Header-only (static inline) so that it is not
 * linked into every unit test program.
 */
#ifndef TIGRESS_TEST_TRANSFER_FIXTURE_H
#define TIGRESS_TEST_TRANSFER_FIXTURE_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <sodium.h>

#include "transfer_internal.h"
#include "http_response.h"
#include "helpers/mock_transport.h"

#define FX_CONTENT "{\"genericSharingData\":{\"keyId\":\"k-1\",\"slot\":3},\"note\":\"hi\"}"
#define FX_FORMAT "digitalwallet.carkey.ccc"

typedef struct fx {
    mock_transport *m;
    tigress_client *a;          /* Initiator's device */
    tigress_client *b;          /* Recipient's device */
    tigress_ed25519_key *key;   /* Initiator's signing key */
    uint8_t pub[TIGRESS_ED25519_PUBLIC_BYTES];
    tigress_signer signer;
    tigress_verifier verifier;
} fx;

static inline int fx_setup(void **state)
{
    fx *f = calloc(1, sizeof(*f));

    assert_non_null(f);
    f->m = mock_transport_new();
    mock_relay_enable(f->m, NULL);
    f->a = mock_client_new(f->m, NULL);
    f->b = mock_client_new(f->m, NULL);
    assert_int_equal(tigress_ed25519_key_generate(&f->key), TIGRESS_OK);
    assert_int_equal(tigress_ed25519_key_public(f->key, f->pub, sizeof(f->pub)), TIGRESS_OK);
    assert_int_equal(tigress_signer_ed25519(&f->signer, f->key), TIGRESS_OK);
    assert_int_equal(tigress_verifier_ed25519(&f->verifier, f->pub), TIGRESS_OK);
    *state = f;
    return 0;
}

static inline int fx_teardown(void **state)
{
    fx *f = *state;

    mock_clock_uninstall();
    tigress_client_free(f->a);
    tigress_client_free(f->b);
    mock_transport_free(f->m);
    tigress_ed25519_key_free(f->key);
    free(f);
    return 0;
}

static inline tigress_share_options fx_share_opts(int stateful, tigress_payload_type type)
{
    tigress_share_options o = TIGRESS_SHARE_OPTIONS_INIT;

    o.relay_url = "https://relay.test";
    o.format = FX_FORMAT;
    o.content_json = FX_CONTENT;
    o.title = "Car key";
    o.description = "A key for the blue car";
    o.image_url = "https://img.example/car.png";
    o.vertical = 'c';
    o.payload_type = type;
    o.stateful = stateful;
    return o;
}

static inline tigress_transfer *fx_share(fx *f, int stateful, tigress_payload_type type)
{
    tigress_share_options o = fx_share_opts(stateful, type);
    tigress_transfer *t = NULL;

    assert_int_equal(tigress_share_create(&t, f->a, &o), TIGRESS_OK);
    assert_non_null(t);
    return t;
}

static inline tigress_status fx_redeem_url(fx *f, tigress_client *c, const char *url,
                                           tigress_transfer **out)
{
    tigress_redeem_options o = TIGRESS_REDEEM_OPTIONS_INIT;

    o.share_url = url;
    o.verifier = &f->verifier;
    return tigress_redeem(out, c, &o);
}

static inline tigress_transfer *fx_redeem(fx *f, tigress_transfer *init)
{
    tigress_transfer *r = NULL;

    assert_int_equal(fx_redeem_url(f, f->b, tigress_transfer_share_url(init), &r), TIGRESS_OK);
    assert_non_null(r);
    return r;
}

/* The i-th recorded request, asserted to exist. */
static inline const mock_request *fx_req(fx *f, size_t i)
{
    const mock_request *r = mock_request_at(f->m, i);

    assert_non_null(r);
    return r;
}

static inline bool fx_contains(const char *hay, size_t hay_len, const void *needle, size_t n)
{
    if (hay == NULL || n == 0 || hay_len < n)
        return false;
    for (size_t i = 0; i + n <= hay_len; i++)
        if (memcmp(hay + i, needle, n) == 0)
            return true;
    return false;
}

/* C14: no form of the Secret in any URL, header or body that was sent. */
static inline void fx_assert_secret_never_sent(fx *f, const tigress_secret *s)
{
    const char *std = tigress_secret_text(s);
    char urlsafe[64], nopad[64];
    size_t n;

    assert_non_null(std);
    snprintf(urlsafe, sizeof(urlsafe), "%s", std);
    for (char *p = urlsafe; *p != '\0'; p++)
        *p = *p == '+' ? '-' : *p == '/' ? '_' : *p;
    snprintf(nopad, sizeof(nopad), "%s", urlsafe);
    n = strcspn(nopad, "=");
    nopad[n] = '\0';
    for (size_t i = 0; i < mock_request_count(f->m); i++) {
        const mock_request *r = fx_req(f, i);
        const char *forms[] = { std, urlsafe, nopad };

        for (size_t k = 0; k < 3; k++) {
            assert_null(strstr(r->url, forms[k]));
            assert_false(fx_contains(r->body, r->body_len, forms[k], strlen(forms[k])));
            for (size_t h = 0; h < r->header_count; h++)
                assert_null(strstr(r->headers[h].value, forms[k]));
        }
        assert_false(fx_contains(r->body, r->body_len, tigress_secret_bytes(s),
                                 tigress_secret_size(s)));
        assert_null(strchr(r->url, '#'));
    }
}

/* The error messages of both clients never contain the Secret (C14). */
static inline void fx_assert_secret_not_in_errors(fx *f, const tigress_secret *s)
{
    const char *std = tigress_secret_text(s);

    assert_null(strstr(tigress_client_last_error(f->a)->message, std));
    assert_null(strstr(tigress_client_last_error(f->b)->message, std));
    assert_null(strstr(tigress_error_last()->message, std));
}

/* C3/C4: every request carries a claim and a UUID Request-ID; without faults all IDs differ. */
static inline void fx_assert_headers(fx *f, bool ids_unique)
{
    size_t n = mock_request_count(f->m);

    for (size_t i = 0; i < n; i++) {
        const mock_request *r = fx_req(f, i);
        const char *claim = mock_request_header(r, "Mailbox-Device-Claim");
        const char *rid = mock_request_header(r, "Mailbox-Request-ID");

        assert_non_null(claim);
        assert_true(tigress__is_uuid(claim));
        assert_non_null(rid);
        assert_true(tigress__is_uuid(rid));
        assert_int_equal(rid[14], '4'); /* a version-4 UUID */
        for (size_t j = 0; ids_unique && j < i; j++)
            assert_string_not_equal(rid, mock_request_header(fx_req(f, j), "Mailbox-Request-ID"));
    }
}

/* Claim used by the i-th request. */
static inline const char *fx_claim(fx *f, size_t i)
{
    return mock_request_header(fx_req(f, i), "Mailbox-Device-Claim");
}

#endif /* TIGRESS_TEST_TRANSFER_FIXTURE_H */
