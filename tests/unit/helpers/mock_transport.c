/* A tigress_transport test double: recording, scripted responses and a fake clock. The fake
 * relay lives in mock_relay.c. See mock_transport.h for the API. */
#define _DEFAULT_SOURCE /* strcasecmp, strdup */
#include <stdio.h>
#include <strings.h>

#include "mock_internal.h"
#include "ref_aead.h"

/* ================================ lifetime and recording ================================ */

mock_transport *mock_transport_new(void)
{
    mock_transport *m = xcalloc(1, sizeof(*m));

    pthread_mutex_init(&m->lock, NULL);
    pthread_cond_init(&m->cond, NULL);
    atomic_init(&m->cancels, 0);
    m->force_retry_after = -1;
    return m;
}

static void free_request(mock_request *r)
{
    for (size_t i = 0; i < r->header_count; i++) {
        free(r->headers[i].name);
        free(r->headers[i].value);
    }
    free(r->headers);
    free(r->method);
    free(r->url);
    free(r->body);
    free(r->ca_file);
}

static void free_script(mock_script *s)
{
    for (size_t i = 0; i < s->header_count; i++) {
        free(s->headers[i].name);
        free(s->headers[i].value);
    }
    free(s->body);
    free(s);
}

void mock_requests_clear(mock_transport *m)
{
    for (size_t i = 0; i < m->req_count; i++)
        free_request(&m->reqs[i]);
    m->req_count = 0;
}

void mock_transport_free(mock_transport *m)
{
    if (m == NULL)
        return;
    mock_requests_clear(m);
    free(m->reqs);
    while (m->head != NULL) {
        mock_script *n = m->head->next;
        free_script(m->head);
        m->head = n;
    }
    mock__relay_free(m);
    pthread_cond_destroy(&m->cond);
    pthread_mutex_destroy(&m->lock);
    free(m);
}

static void record(mock_transport *m, const tigress_http_request *req)
{
    mock_request *r;

    if (m->req_count == m->req_cap) {
        m->req_cap = m->req_cap == 0 ? 16 : m->req_cap * 2;
        m->reqs = xrealloc(m->reqs, m->req_cap * sizeof(*m->reqs));
    }
    r = &m->reqs[m->req_count++];
    memset(r, 0, sizeof(*r));
    r->method = xstrdup(req->method);
    r->url = xstrdup(req->url);
    r->headers = xcalloc(req->header_count, sizeof(*r->headers));
    for (size_t i = 0; i < req->header_count; i++) {
        r->headers[i].name = xstrdup(req->headers[i].name);
        r->headers[i].value = xstrdup(req->headers[i].value);
    }
    r->header_count = req->header_count;
    if (req->body != NULL) {
        r->body = xstrndup((const char *)req->body, req->body_len);
        r->body_len = req->body_len;
    }
    r->timeout_ms = req->timeout_ms;
    r->connect_timeout_ms = req->connect_timeout_ms;
    r->ca_file = xstrdup(req->ca_file);
}

size_t mock_request_count(const mock_transport *m) { return m->req_count; }

const mock_request *mock_request_at(const mock_transport *m, size_t i)
{
    return i < m->req_count ? &m->reqs[i] : NULL;
}

const mock_request *mock_request_last(const mock_transport *m)
{
    return m->req_count > 0 ? &m->reqs[m->req_count - 1] : NULL;
}

const char *mock_request_header(const mock_request *r, const char *name)
{
    if (r == NULL)
        return NULL;
    for (size_t i = 0; i < r->header_count; i++)
        if (strcasecmp(r->headers[i].name, name) == 0)
            return r->headers[i].value;
    return NULL;
}

/* ==================================== scripting ==================================== */

static mock_script *push(mock_transport *m, enum script_kind kind)
{
    mock_script *s = xcalloc(1, sizeof(*s));

    s->kind = kind;
    if (m->tail != NULL)
        m->tail->next = s;
    else
        m->head = s;
    m->tail = s;
    return s;
}

mock_script *mock_push_response(mock_transport *m, int status, const char *body)
{
    mock_script *s = push(m, SCRIPT_RESPONSE);

    s->status = status;
    if (body != NULL) {
        s->body = xstrdup(body);
        s->body_len = strlen(body);
    }
    return s;
}

mock_script *mock_push_error(mock_transport *m, int code, int transport_code)
{
    mock_script *s = push(m, SCRIPT_ERROR);

    s->code = code;
    s->transport_code = transport_code;
    return s;
}

mock_script *mock_push_hang(mock_transport *m)
{
    pthread_mutex_lock(&m->lock);
    m->cancel_flag = false;
    pthread_mutex_unlock(&m->lock);
    return push(m, SCRIPT_HANG);
}

void mock_script_header(mock_script *s, const char *name, const char *value)
{
    if (s->header_count == MAX_SCRIPT_HEADERS)
        abort();
    s->headers[s->header_count].name = xstrdup(name);
    s->headers[s->header_count].value = xstrdup(value);
    s->header_count++;
}

void mock_script_echo(mock_script *s, mock_echo echo) { s->echo = echo; }

void mock_script_big_body(mock_script *s, size_t bytes)
{
    s->body = xrealloc(s->body, s->body_len + bytes + 1);
    memset(s->body + s->body_len, 'x', bytes);
    s->body_len += bytes;
    s->body[s->body_len] = '\0';
}

size_t mock_script_pending(const mock_transport *m)
{
    size_t n = 0;
    for (const mock_script *s = m->head; s != NULL; s = s->next)
        n++;
    return n;
}

void mock_set_on_send(mock_transport *m, mock_on_send_fn fn, void *user_data)
{
    m->on_send = fn;
    m->on_send_ud = user_data;
}

size_t mock_unexpected_count(const mock_transport *m) { return m->unexpected; }
size_t mock_cancel_count(mock_transport *m) { return atomic_load(&m->cancels); }
void mock_set_latency(mock_transport *m, long ms) { m->latency_ms = ms; }

/* =================================== fake clock =================================== */

static int64_t g_clock_now;
static long *g_sleeps;
static size_t g_sleep_count;

static int64_t clock_now_cb(void *ud) { (void)ud; return g_clock_now; }

static void clock_sleep_cb(long ms, void *ud)
{
    (void)ud;
    g_sleeps = xrealloc(g_sleeps, (g_sleep_count + 1) * sizeof(*g_sleeps));
    g_sleeps[g_sleep_count++] = ms;
    g_clock_now += ms;
}

void mock_clock_install(int64_t start_ms)
{
    free(g_sleeps);
    g_sleeps = NULL;
    g_sleep_count = 0;
    g_clock_now = start_ms;
    tigress__set_clock(clock_now_cb, clock_sleep_cb, NULL);
}

void mock_clock_uninstall(void)
{
    tigress__set_clock(NULL, NULL, NULL);
    free(g_sleeps);
    g_sleeps = NULL;
    g_sleep_count = 0;
}

int64_t mock_clock_now(void) { return g_clock_now; }
void mock_clock_advance(long ms) { g_clock_now += ms; }
size_t mock_clock_sleep_count(void) { return g_sleep_count; }
long mock_clock_sleep_at(size_t i) { return i < g_sleep_count ? g_sleeps[i] : -1; }

long mock_clock_slept_total(void)
{
    long t = 0;
    for (size_t i = 0; i < g_sleep_count; i++)
        t += g_sleeps[i];
    return t;
}

void mock__answer_header(answer *a, const char *name, const char *value)
{
    a->headers[a->header_count].name = xstrdup(name);
    a->headers[a->header_count].value = xstrdup(value);
    a->header_count++;
}

void mock__answer_free(answer *a)
{
    for (size_t i = 0; i < a->header_count; i++) {
        free(a->headers[i].name);
        free(a->headers[i].value);
    }
    free(a->body);
}

/* Writes status, echo, headers and body into the library's response. */
int mock__emit(const mock_request *r, const answer *a, const mock_header *extra,
                size_t extra_count, tigress_http_response *resp)
{
    const char *rid = mock_request_header(r, "Mailbox-Request-ID");

    if (tigress_http_response_set_status(resp, a->status) != TIGRESS_OK)
        return TIGRESS_E_NETWORK;
    if (a->echo == MOCK_ECHO_CORRECT && rid != NULL)
        tigress_http_response_add_header(resp, "Mailbox-Request-ID", rid);
    else if (a->echo == MOCK_ECHO_WRONG)
        tigress_http_response_add_header(resp, "Mailbox-Request-ID",
                                         "00000000-0000-4000-8000-000000000000");
    for (size_t i = 0; i < a->header_count; i++)
        tigress_http_response_add_header(resp, a->headers[i].name, a->headers[i].value);
    for (size_t i = 0; i < extra_count; i++)
        tigress_http_response_add_header(resp, extra[i].name, extra[i].value);
    if (a->body != NULL) {
        /* Feed in chunks the way a real transport does. */
        for (size_t off = 0; off < a->body_len; off += 16384) {
            size_t n = a->body_len - off < 16384 ? a->body_len - off : 16384;
            if (tigress_http_response_append_body(resp, (const uint8_t *)a->body + off, n) !=
                TIGRESS_OK)
                return TIGRESS_E_NETWORK;
        }
    }
    return 0;
}

static int run_script(mock_transport *m, mock_script *s, const mock_request *r,
                      tigress_http_response *resp)
{
    answer a;

    if (s->kind == SCRIPT_ERROR) {
        if (s->transport_code != 0)
            tigress__http_response_set_transport_error(resp, s->transport_code, "scripted failure");
        return s->code;
    }
    if (s->kind == SCRIPT_HANG) {
        pthread_mutex_lock(&m->lock);
        while (!m->cancel_flag)
            pthread_cond_wait(&m->cond, &m->lock);
        m->cancel_flag = false;
        pthread_mutex_unlock(&m->lock);
        return TIGRESS_E_CANCELLED;
    }
    memset(&a, 0, sizeof(a));
    a.status = s->status;
    a.body = s->body;
    a.body_len = s->body_len;
    a.echo = s->echo;
    return mock__emit(r, &a, s->headers, s->header_count, resp);
}

static int mock_send(const tigress_http_request *req, tigress_http_response *resp, void *ud)
{
    mock_transport *m = ud;
    const mock_request *r;
    mock_script *s;
    int rc;

    record(m, req);
    r = mock_request_last(m);
    if (m->on_send != NULL)
        m->on_send(m, r, m->on_send_ud);
    if (m->latency_ms > 0)
        g_clock_now += m->latency_ms;
    s = m->head;
    if (s != NULL) {
        m->head = s->next;
        if (m->head == NULL)
            m->tail = NULL;
        rc = run_script(m, s, r, resp);
        free_script(s);
        return rc;
    }
    if (m->relay)
        return mock__relay_handle(m, r, resp);
    m->unexpected++;
    return TIGRESS_E_NETWORK;
}

static void mock_cancel(void *ud)
{
    mock_transport *m = ud;

    atomic_fetch_add(&m->cancels, 1);
    pthread_mutex_lock(&m->lock);
    m->cancel_flag = true;
    pthread_cond_broadcast(&m->cond);
    pthread_mutex_unlock(&m->lock);
}

void mock_transport_vtable(mock_transport *m, tigress_transport *out)
{
    memset(out, 0, sizeof(*out));
    out->version = TIGRESS_TRANSPORT_VERSION;
    out->send = mock_send;
    out->cancel = mock_cancel;
    out->free = NULL;
    out->user_data = m;
}

static pthread_once_t g_init_once = PTHREAD_ONCE_INIT;
static void global_init_once(void)
{
    if (tigress_global_init() != TIGRESS_OK)
        abort();
    /* Paired at exit (registered after libcurl's and OpenSSL's own handlers, so it runs before
     * them): the last cleanup gives back what the library keeps per process (the fetched
     * AES-GCM ciphers), and a unit test under valgrind --errors-for-leak-kinds=all ends with
     * nothing reachable. */
    atexit(tigress_global_cleanup);
}

tigress_client *mock_client_new(mock_transport *m, const tigress_client_options *opts)
{
    tigress_client_options o = TIGRESS_CLIENT_OPTIONS_INIT;
    tigress_transport t;
    tigress_client *c = NULL;

    pthread_once(&g_init_once, global_init_once);
    if (opts != NULL)
        o = *opts;
    mock_transport_vtable(m, &t);
    o.transport = &t;
#ifndef TIGRESS_HAVE_OPENSSL
    /* The portable build has no built-in AES-128-GCM: give each client the reference one as
     * its own AEAD provider, unless the test brings a provider. */
    tigress_aead_provider ref;
    if (o.aead_provider == NULL) {
        ref_aead_provider(&ref);
        o.aead_provider = &ref;
    }
#endif
    if (tigress_client_new(&c, &o) != TIGRESS_OK) {
        fprintf(stderr, "mock_client_new: %s\n", tigress_error_last()->message);
        abort();
    }
    return c;
}

