/*
 * A scripted tigress_transport for the fuzz targets that drive the public API
 * (tests/fuzz/fuzz_relay_response.c, tests/fuzz/fuzz_message.c): each request the library sends
 * gets the next scripted reply, with any status, headers and body, so that the response parsers
 * see bytes chosen by the fuzzer while everything around them is the real library.
 *
 * Header-only (static inline functions) so that each target stays one .c file, as tests/fuzz/fuzz.mk
 * expects. Uses only the public API.
 */
#ifndef TIGRESS_HARNESS_FUZZ_TRANSPORT_H
#define TIGRESS_HARNESS_FUZZ_TRANSPORT_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <tigress.h>

/* Any fixed, syntactically valid values: no network is ever touched. */
#define FZ_RELAY "https://relay.test"
#define FZ_MAILBOX_ID "0f8fad5b-d9cb-469f-a165-70867728950e"
#define FZ_EXPIRATION "2099-01-01T00:00:00Z"

/* What the transport does with one request. */
typedef struct fz_reply {
    int transport_rc;          /* 0: a response; else what send() returns (e.g. E_NETWORK) */
    int status;                /* HTTP status given to the library */
    int echo;                  /* 0: no Mailbox-Request-ID, 1: the request's, 2: another one */
    const char *etag;          /* ETag header, or NULL */
    const char *retry_after;   /* Retry-After header, or NULL */
    const char *content_type;  /* Content-Type header, or NULL */
    const uint8_t *body;       /* body bytes (borrowed), or NULL */
    size_t body_len;
} fz_reply;

#define FZ_MAX_REPLIES 8

typedef struct fz_script {
    fz_reply replies[FZ_MAX_REPLIES];
    size_t count;   /* scripted replies */
    size_t next;    /* index of the next one */
    fz_reply rest;  /* for requests past the script (best-effort clean-up calls) */
} fz_script;

static inline const char *fz_header(const tigress_http_request *req, const char *name)
{
    for (size_t i = 0; i < req->header_count; i++)
        if (req->headers[i].name != NULL && strcasecmp(req->headers[i].name, name) == 0)
            return req->headers[i].value;
    return NULL;
}

static inline int fz_send(const tigress_http_request *req, tigress_http_response *resp, void *user_data)
{
    fz_script *s = user_data;
    const fz_reply *r = s->next < s->count ? &s->replies[s->next++] : &s->rest;
    const char *rid = fz_header(req, "Mailbox-Request-ID");

    /* A failing transport may still have filled part of a response: the library must ignore
     * it, so the partial status and body are given before the error. */
    (void)tigress_http_response_set_status(resp, r->status);
    if (r->echo == 1 && rid != NULL)
        (void)tigress_http_response_add_header(resp, "Mailbox-Request-ID", rid);
    else if (r->echo == 2)
        (void)tigress_http_response_add_header(resp, "mailbox-request-id",
                                               "00000000-0000-4000-8000-000000000000");
    if (r->etag != NULL)
        (void)tigress_http_response_add_header(resp, "ETag", r->etag);
    if (r->retry_after != NULL)
        (void)tigress_http_response_add_header(resp, "Retry-After", r->retry_after);
    if (r->content_type != NULL)
        (void)tigress_http_response_add_header(resp, "Content-Type", r->content_type);
    if (r->body != NULL && r->body_len > 0)
        (void)tigress_http_response_append_body(resp, r->body, r->body_len);
    return r->transport_rc;
}

static inline void fz_script_reset(fz_script *s)
{
    memset(s, 0, sizeof(*s));
    s->rest.status = 200;
    s->rest.echo = 1;
}

static inline fz_reply *fz_push(fz_script *s)
{
    fz_reply *r;

    if (s->count >= FZ_MAX_REPLIES)
        abort(); /* a bug in the target itself */
    r = &s->replies[s->count++];
    memset(r, 0, sizeof(*r));
    r->status = 200;
    r->echo = 1;
    r->content_type = "application/json";
    return r;
}

/* Fails loudly: the harness around the fuzzed bytes must work, or the target is useless. */
static inline void fz_require(int ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "fuzz harness: %s failed: %s\n", what,
                tigress_error_last()->message);
        abort();
    }
}

static inline void fz_init_once(void)
{
    static int done;

    if (!done) {
        fz_require(tigress_global_init() == TIGRESS_OK, "tigress_global_init");
        /* Paired at exit (after libcurl's and OpenSSL's own init registered theirs, so this
         * runs first): the replay under valgrind then ends with nothing of ours reachable. */
        atexit(tigress_global_cleanup);
        done = 1;
    }
}

/* A client whose every request goes to the script; no retries, so no back-off sleeps. */
static inline tigress_client *fz_client(fz_script *s)
{
    tigress_transport tp = { TIGRESS_TRANSPORT_VERSION, fz_send, NULL, NULL, s };
    tigress_client_options o;
    tigress_client *c = NULL;

    fz_require(tigress_client_options_init(&o, TIGRESS_CLIENT_OPTIONS_VERSION) == TIGRESS_OK,
               "tigress_client_options_init");
    o.transport = &tp;
    o.max_retries = TIGRESS_RETRIES_NONE;
    fz_require(tigress_client_new(&c, &o) == TIGRESS_OK, "tigress_client_new");
    return c;
}

/* The fixed Secret of the redeem flows: 32 bytes (secretbox, AES-256) or 16 (AES-128). */
static inline tigress_secret *fz_secret(tigress_payload_type type)
{
    static const uint8_t key[32] = {
        0x42, 0x13, 0x37, 0x99, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a,
        0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18,
        0x19, 0x1a, 0x1b, 0x1c };
    tigress_secret *s = NULL;

    fz_require(tigress_secret_from_bytes(&s, key, tigress_payload_key_bytes(type)) == TIGRESS_OK,
               "tigress_secret_from_bytes");
    return s;
}

/* The Share URL of the redeem flows, with the Secret in its fragment. */
static inline void fz_share_url(tigress_buf *out, const tigress_secret *secret)
{
    fz_require(tigress_share_url_build(out, FZ_RELAY "/v1/m/" FZ_MAILBOX_ID, 'a', secret) ==
                   TIGRESS_OK, "tigress_share_url_build");
}

/* A read response (JSON) whose payload is @p plaintext sealed with @p secret. The caller frees
 * the result with free(). */
static inline char *fz_read_body(tigress_payload_type type, const tigress_secret *secret,
                          const uint8_t *plaintext, size_t len, size_t *body_len)
{
    tigress_buf data = { NULL, 0 };
    char *body;
    size_t cap;
    int n;

    fz_require(tigress_payload_seal(&data, type, secret, plaintext, len) == TIGRESS_OK,
               "tigress_payload_seal");
    cap = data.size + 512;
    body = malloc(cap);
    if (body == NULL)
        abort();
    n = snprintf(body, cap,
                 "{\"payload\":{\"type\":\"%s\",\"data\":\"%s\"},\"expiration\":\"%s\","
                 "\"displayInformation\":{\"title\":\"Key\",\"description\":\"d\","
                 "\"imageURL\":\"https://relay.test/i.png\"}}",
                 tigress_payload_type_name(type), (const char *)data.ptr, FZ_EXPIRATION);
    tigress_buf_dispose(&data);
    if (n < 0 || (size_t)n >= cap)
        abort();
    *body_len = (size_t)n;
    return body;
}

/* Decodes the leading control bytes of a fuzz input into a reply's status and headers.
 * Consumes 2 bytes (fewer when the input is shorter). */
static inline void fz_decode_reply(fz_reply *r, const uint8_t **data, size_t *size)
{
    uint8_t st = *size > 0 ? (*data)[0] : 0, fl = *size > 1 ? (*data)[1] : 0;
    /* Statuses worth trying: every class, the ones the protocol names, and odd ones. */
    static const int fz_statuses[] = { 200, 201, 204, 304, 400, 401, 403, 404, 405, 409, 410,
                                       413, 415, 429, 500, 502, 503, 504, 302, 100, 199, 299,
                                       599, 418 };
    static const char *const etags[] = { NULL, "\"v1\"", "W/\"x\"", "" };
    static const char *const retry[] = { NULL, "1", "-5", "Wed, 21 Oct 2015 07:28:00 GMT",
                                         "99999999999999999999", "", "0x10", " 7 " };
    static const char *const ctypes[] = { "application/json", NULL, "text/html",
                                          "application/json; charset=utf-8" };
    size_t used = *size < 2 ? *size : 2;

    /* The first byte: mostly 200 (so the body parser is reached), else any listed status. */
    r->status = st < 128 ? 200 : fz_statuses[st % (sizeof(fz_statuses) / sizeof(fz_statuses[0]))];
    /* The second: echo (2 bits: mostly correct), ETag, Retry-After, Content-Type, transport. */
    r->echo = (fl & 3) == 3 ? 0 : (fl & 3) == 2 ? 2 : 1;
    r->etag = etags[(fl >> 2) & 3];
    r->retry_after = retry[((fl >> 4) & 1) | ((st >> 4) & 6)];
    r->content_type = ctypes[(fl >> 5) & 3];
    r->transport_rc = (fl & 0x80) && (st & 1) ? TIGRESS_E_NETWORK : 0;
    *data += used;
    *size -= used;
}

#endif /* TIGRESS_HARNESS_FUZZ_TRANSPORT_H */
