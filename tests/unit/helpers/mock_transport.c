/* A tigress_transport test double: recording, scripted responses, a fake clock, and a small
 * in-memory relay with fault injection. See mock_transport.h for the API. */
#define _DEFAULT_SOURCE /* strcasecmp, strdup */
#include <cjson/cJSON.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "client_internal.h"
#include "mock_transport.h"

#define RELAY_BODY_MAX (64 * 1024)
#define MAX_SCRIPT_HEADERS 16

static void *xcalloc(size_t n, size_t s)
{
    void *p = calloc(n == 0 ? 1 : n, s == 0 ? 1 : s);
    if (p == NULL)
        abort();
    return p;
}

static void *xrealloc(void *p, size_t s)
{
    p = realloc(p, s == 0 ? 1 : s);
    if (p == NULL)
        abort();
    return p;
}

static char *xstrdup(const char *s)
{
    char *d;
    if (s == NULL)
        return NULL;
    d = strdup(s);
    if (d == NULL)
        abort();
    return d;
}

static char *xstrndup(const char *s, size_t n)
{
    char *d = xcalloc(1, n + 1);
    memcpy(d, s, n);
    return d;
}

enum script_kind { SCRIPT_RESPONSE, SCRIPT_ERROR, SCRIPT_HANG };

struct mock_script {
    mock_script *next;
    enum script_kind kind;
    int status;
    char *body;
    size_t body_len;
    mock_header headers[MAX_SCRIPT_HEADERS];
    size_t header_count;
    mock_echo echo;
    int code;
    int transport_code;
};

typedef struct mailbox {
    char id[37];
    char *initiator;
    char *recipient;
    char rights[4];
    int64_t expiration;
    cJSON *payload;
    cJSON *display;
    char *token[2];             /* [0] initiator, [1] recipient */
    unsigned version;
    bool deleted;
} mailbox;

typedef struct dedupe {
    char *claim;
    char *request_id;
    char *body;                 /* the original response body */
} dedupe;

struct mock_transport {
    mock_request *reqs;
    size_t req_count, req_cap;
    mock_script *head, *tail;
    mock_on_send_fn on_send;
    void *on_send_ud;
    size_t unexpected;
    atomic_size_t cancels;
    pthread_mutex_t lock;       /* cancel_flag, for mock_push_hang */
    pthread_cond_t cond;
    bool cancel_flag;
    long latency_ms;
    /* fake relay */
    bool relay;
    char *base;
    bool push;
    int64_t relay_now;
    unsigned drop;
    int force_status;
    long force_retry_after;
    mock_echo echo_next;
    mailbox *mbs;
    size_t mb_count;
    dedupe *dds;
    size_t dd_count;
    size_t applied, duplicates, waits;
    char *payload_text;
};

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
    for (size_t i = 0; i < m->mb_count; i++) {
        mailbox *b = &m->mbs[i];
        free(b->initiator);
        free(b->recipient);
        cJSON_Delete(b->payload);
        cJSON_Delete(b->display);
        free(b->token[0]);
        free(b->token[1]);
    }
    free(m->mbs);
    for (size_t i = 0; i < m->dd_count; i++) {
        free(m->dds[i].claim);
        free(m->dds[i].request_id);
        free(m->dds[i].body);
    }
    free(m->dds);
    free(m->base);
    free(m->payload_text);
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

/* ================================ answering a request ================================ */

typedef struct answer {
    int status;
    char *body;                 /* malloc'd or NULL */
    size_t body_len;
    mock_header headers[8];
    size_t header_count;
    mock_echo echo;
} answer;

static void answer_header(answer *a, const char *name, const char *value)
{
    a->headers[a->header_count].name = xstrdup(name);
    a->headers[a->header_count].value = xstrdup(value);
    a->header_count++;
}

static void answer_free(answer *a)
{
    for (size_t i = 0; i < a->header_count; i++) {
        free(a->headers[i].name);
        free(a->headers[i].value);
    }
    free(a->body);
}

/* Writes status, echo, headers and body into the library's response. */
static int emit(const mock_request *r, const answer *a, const mock_header *extra,
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
    return emit(r, &a, s->headers, s->header_count, resp);
}

static int relay_handle(mock_transport *m, const mock_request *r, tigress_http_response *resp);

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
        return relay_handle(m, r, resp);
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
    if (tigress_client_new(&c, &o) != TIGRESS_OK) {
        fprintf(stderr, "mock_client_new: %s\n", tigress_error_last()->message);
        abort();
    }
    return c;
}

/* ==================================== fake relay ==================================== */

void mock_relay_enable(mock_transport *m, const char *base_url)
{
    free(m->base);
    m->base = xstrdup(base_url != NULL ? base_url : "https://relay.test");
    m->relay = true;
}

void mock_relay_set_push_supported(mock_transport *m, bool s) { m->push = s; }
void mock_relay_set_time(mock_transport *m, int64_t t) { m->relay_now = t; }
void mock_relay_drop_responses(mock_transport *m, unsigned n) { m->drop = n; }
void mock_relay_echo_next(mock_transport *m, mock_echo e) { m->echo_next = e; }

void mock_relay_force_status(mock_transport *m, int status, long retry_after_s)
{
    m->force_status = status;
    m->force_retry_after = retry_after_s;
}

static int64_t relay_now(const mock_transport *m)
{
    return m->relay_now != 0 ? m->relay_now : (int64_t)time(NULL);
}

static mailbox *find_mb(const mock_transport *m, const char *id)
{
    for (size_t i = 0; i < m->mb_count; i++)
        if (!m->mbs[i].deleted && strcmp(m->mbs[i].id, id) == 0 &&
            m->mbs[i].expiration > relay_now(m))
            return &m->mbs[i];
    return NULL;
}

static void set_error(answer *a, int status, const char *code, const char *message)
{
    cJSON *j = cJSON_CreateObject();

    cJSON_AddStringToObject(j, "error", code);
    cJSON_AddStringToObject(j, "message", message);
    a->status = status;
    a->body = cJSON_PrintUnformatted(j);
    a->body_len = strlen(a->body);
    cJSON_Delete(j);
}

static void set_json(answer *a, int status, cJSON *j)
{
    a->status = status;
    a->body = cJSON_PrintUnformatted(j);
    a->body_len = strlen(a->body);
    cJSON_Delete(j);
}

/* The last request processed for this claim, if it had this Request-ID. */
static dedupe *find_dup(mock_transport *m, const char *claim, const char *rid)
{
    if (claim == NULL || rid == NULL)
        return NULL;
    for (size_t i = 0; i < m->dd_count; i++)
        if (strcmp(m->dds[i].claim, claim) == 0)
            return strcmp(m->dds[i].request_id, rid) == 0 ? &m->dds[i] : NULL;
    return NULL;
}

static void remember(mock_transport *m, const char *claim, const char *rid, const char *body)
{
    dedupe *d = NULL;

    m->applied++;
    if (claim == NULL || rid == NULL)
        return;
    for (size_t i = 0; i < m->dd_count && d == NULL; i++)
        if (strcmp(m->dds[i].claim, claim) == 0)
            d = &m->dds[i];
    if (d == NULL) {
        m->dds = xrealloc(m->dds, (m->dd_count + 1) * sizeof(*m->dds));
        d = &m->dds[m->dd_count++];
        d->claim = xstrdup(claim);
    } else {
        free(d->request_id);
        free(d->body);
    }
    d->request_id = xstrdup(rid);
    d->body = xstrdup(body != NULL ? body : "");
}

static bool answer_duplicate(mock_transport *m, answer *a, const char *claim, const char *rid)
{
    dedupe *d = find_dup(m, claim, rid);

    if (d == NULL)
        return false;
    a->status = 201;
    a->body = xstrdup(d->body);
    a->body_len = strlen(a->body);
    m->duplicates++;
    return true;
}

static bool valid_object_fields(const cJSON *o, const char *const *fields)
{
    if (!cJSON_IsObject(o))
        return false;
    for (; *fields != NULL; fields++)
        if (!cJSON_IsString(cJSON_GetObjectItemCaseSensitive(o, *fields)))
            return false;
    return true;
}

static bool valid_payload(const cJSON *p)
{
    static const char *const f[] = { "type", "data", NULL };
    return valid_object_fields(p, f);
}

static bool valid_token(const cJSON *t)
{
    static const char *const f[] = { "type", "tokenData", NULL };
    return t == NULL || valid_object_fields(t, f);
}

static char *token_text(const cJSON *t)
{
    return t != NULL ? cJSON_PrintUnformatted(t) : NULL;
}

static bool rights_ok(const char *r)
{
    if (strlen(r) > 3)
        return false;
    for (; *r != '\0'; r++)
        if (*r != 'R' && *r != 'W' && *r != 'D')
            return false;
    return true;
}

/* Parses mailboxConfiguration into rights/expiration; false on a bad value (400). */
static bool parse_config(const mock_transport *m, const cJSON *cfg, char rights[4], int64_t *exp)
{
    const cJSON *ar, *ex;

    strcpy(rights, "RD");
    *exp = relay_now(m) + 24 * 3600;
    if (cfg == NULL)
        return true;
    if (!cJSON_IsObject(cfg))
        return false;
    ar = cJSON_GetObjectItemCaseSensitive(cfg, "accessRights");
    ex = cJSON_GetObjectItemCaseSensitive(cfg, "expiration");
    if (ar != NULL) {
        if (!cJSON_IsString(ar) || !rights_ok(ar->valuestring))
            return false;
        strcpy(rights, ar->valuestring);
    }
    if (!cJSON_IsString(ex) || tigress__time_parse(ex->valuestring, exp) != TIGRESS_OK)
        return false;
    return *exp > relay_now(m) && *exp <= relay_now(m) + 7 * 24 * 3600;
}

static void relay_create(mock_transport *m, const mock_request *r, const char *claim,
                         const char *rid, answer *a)
{
    static const char *const df[] = { "title", "description", "imageURL", NULL };
    cJSON *j, *out;
    mailbox *b;
    char rights[4], url[512];
    int64_t exp;

    if (rid == NULL) {
        set_error(a, 400, "bad_request", "Mailbox-Request-ID is required");
        return;
    }
    if (answer_duplicate(m, a, claim, rid))
        return;
    j = r->body != NULL ? cJSON_ParseWithLength(r->body, r->body_len) : NULL;
    if (j == NULL || !valid_payload(cJSON_GetObjectItemCaseSensitive(j, "payload")) ||
        !valid_object_fields(cJSON_GetObjectItemCaseSensitive(j, "displayInformation"), df) ||
        !valid_token(cJSON_GetObjectItemCaseSensitive(j, "notificationToken")) ||
        !parse_config(m, cJSON_GetObjectItemCaseSensitive(j, "mailboxConfiguration"), rights,
                      &exp)) {
        cJSON_Delete(j); {
        set_error(a, 400, "bad_request", "malformed CreateMailbox body");
        return;
    }
    }
    m->mbs = xrealloc(m->mbs, (m->mb_count + 1) * sizeof(*m->mbs));
    b = &m->mbs[m->mb_count++];
    memset(b, 0, sizeof(*b));
    tigress__uuid_v4(b->id);
    b->initiator = xstrdup(claim);
    strcpy(b->rights, rights);
    b->expiration = exp;
    b->payload = cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(j, "payload"), 1);
    b->display = cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(j, "displayInformation"), 1);
    b->token[0] = token_text(cJSON_GetObjectItemCaseSensitive(j, "notificationToken"));
    b->version = 1;
    cJSON_Delete(j);
    snprintf(url, sizeof(url), "%s/v1/m/%s", m->base, b->id);
    out = cJSON_CreateObject();
    cJSON_AddStringToObject(out, "urlLink", url);
    cJSON_AddBoolToObject(out, "isPushNotificationSupported", m->push);
    set_json(a, 200, out);
    remember(m, claim, rid, a->body);
}

/* 0 = initiator, 1 = recipient, -1 = neither. */
static int party(const mailbox *b, const char *claim)
{
    if (claim == NULL)
        return -1;
    if (strcmp(b->initiator, claim) == 0)
        return 0;
    if (b->recipient != NULL && strcmp(b->recipient, claim) == 0)
        return 1;
    return -1;
}

static void relay_update(mock_transport *m, const mock_request *r, mailbox *b, const char *claim,
                         const char *rid, answer *a)
{
    cJSON *j, *out;
    int who;

    if (rid == NULL) {
        set_error(a, 400, "bad_request", "Mailbox-Request-ID is required");
        return;
    }
    if (answer_duplicate(m, a, claim, rid))
        return;
    who = party(b, claim);
    if (who < 0 || strchr(b->rights, 'W') == NULL) {
        set_error(a, 401, "unauthorized", "claim not bound or no write right");
        return;
    }
    j = r->body != NULL ? cJSON_ParseWithLength(r->body, r->body_len) : NULL;
    if (j == NULL || !valid_payload(cJSON_GetObjectItemCaseSensitive(j, "payload")) ||
        !valid_token(cJSON_GetObjectItemCaseSensitive(j, "notificationToken"))) {
        cJSON_Delete(j); {
        set_error(a, 400, "bad_request", "malformed UpdateMailbox body");
        return;
    }
    }
    cJSON_Delete(b->payload);
    b->payload = cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(j, "payload"), 1);
    if (cJSON_GetObjectItemCaseSensitive(j, "notificationToken") != NULL) {
        free(b->token[who]);
        b->token[who] = token_text(cJSON_GetObjectItemCaseSensitive(j, "notificationToken"));
    }
    b->version++;
    cJSON_Delete(j);
    out = cJSON_CreateObject();
    cJSON_AddBoolToObject(out, "isPushNotificationSupported", m->push);
    set_json(a, 200, out);
    remember(m, claim, rid, a->body);
}

static void relay_read(mock_transport *m, const mock_request *r, mailbox *b, const char *claim,
                       answer *a)
{
    const char *inm = mock_request_header(r, "If-None-Match");
    char etag[32], when[21];
    cJSON *out, *j;

    if (claim == NULL) {
        set_error(a, 401, "unauthorized", "Mailbox-Device-Claim is required");
        return;
    }
    if (party(b, claim) < 0) {
        if (b->recipient != NULL) {
            set_error(a, 401, "unauthorized", "another device is bound");
            return;
        }
        b->recipient = xstrdup(claim); /* first claim binds the Recipient */
        m->applied++;
    }
    if (strchr(b->rights, 'R') == NULL) {
        set_error(a, 401, "unauthorized", "no read right");
        return;
    }
    if (r->body != NULL && (j = cJSON_ParseWithLength(r->body, r->body_len)) != NULL) {
        const cJSON *t = cJSON_GetObjectItemCaseSensitive(j, "notificationToken");
        if (t != NULL && valid_token(t)) {
            int who = party(b, claim);
            free(b->token[who]);
            b->token[who] = token_text(t);
        }
        cJSON_Delete(j);
    }
    snprintf(etag, sizeof(etag), "\"%u\"", b->version);
    answer_header(a, "ETag", etag);
    if (inm != NULL && strcmp(inm, etag) == 0) {
        if (mock_request_header(r, "Prefer") != NULL)
            m->waits++;
        a->status = 304;
        return;
    }
    tigress__time_format(b->expiration, when);
    out = cJSON_CreateObject();
    cJSON_AddItemToObject(out, "payload", cJSON_Duplicate(b->payload, 1));
    cJSON_AddItemToObject(out, "displayInformation", cJSON_Duplicate(b->display, 1));
    cJSON_AddStringToObject(out, "expiration", when);
    set_json(a, 200, out);
}

static void relay_delete(mock_transport *m, mailbox *b, const char *claim, const char *rid,
                         answer *a)
{
    if (rid == NULL) {
        set_error(a, 400, "bad_request", "Mailbox-Request-ID is required");
        return;
    }
    if (party(b, claim) < 0 || strchr(b->rights, 'D') == NULL) {
        set_error(a, 401, "unauthorized", "claim not bound or no delete right");
        return;
    }
    b->deleted = true;
    a->status = 200;
    a->body = xstrdup("{}");
    a->body_len = 2;
    remember(m, claim, rid, a->body);
}

static void relay_relinquish(mock_transport *m, mailbox *b, const char *claim, const char *rid,
                             answer *a)
{
    if (rid == NULL) {
        set_error(a, 400, "bad_request", "Mailbox-Request-ID is required");
        return;
    }
    if (answer_duplicate(m, a, claim, rid))
        return;
    if (claim == NULL || b->recipient == NULL || strcmp(b->recipient, claim) != 0) {
        set_error(a, 401, "unauthorized", "not the bound recipient");
        return;
    }
    free(b->recipient);
    b->recipient = NULL;
    free(b->token[1]);
    b->token[1] = NULL;
    a->status = 200;
    a->body = xstrdup("{}");
    a->body_len = 2;
    remember(m, claim, rid, a->body);
}

static void relay_preview(const mailbox *b, bool head, answer *a)
{
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(b->display, "title");
    char html[1024];
    size_t n = 0;

    n += (size_t)snprintf(html, sizeof(html), "<!doctype html><title>");
    for (const char *p = t->valuestring; *p != '\0' && n + 8 < sizeof(html); p++) {
        if (*p == '<' || *p == '>' || *p == '&' || *p == '"')
            n += (size_t)snprintf(html + n, sizeof(html) - n, "&#%d;", *p);
        else
            html[n++] = *p;
    }
    snprintf(html + n, sizeof(html) - n, "</title>");
    a->status = 200;
    answer_header(a, "Content-Type", "text/html; charset=utf-8");
    if (!head) {
        a->body = xstrdup(html);
        a->body_len = strlen(html);
    }
}

/* Routes one request: "<base>/v1/m" or "<base>/v1/m/<id>" (query ignored). */
static void relay_route(mock_transport *m, const mock_request *r, answer *a)
{
    const char *claim = mock_request_header(r, "Mailbox-Device-Claim");
    const char *rid = mock_request_header(r, "Mailbox-Request-ID");
    size_t bl = strlen(m->base);
    char path[256];
    mailbox *b;

    if (strncmp(r->url, m->base, bl) != 0 || strlen(r->url + bl) >= sizeof(path)) {
        set_error(a, 404, "not_found", "unknown path");
        return;
    }
    strcpy(path, r->url + bl);
    path[strcspn(path, "?")] = '\0';
    if (r->body_len > RELAY_BODY_MAX) {
        set_error(a, 413, "too_large", "request body over 64 KiB");
        return;
    }
    if (strcmp(path, "/v1/m") == 0) {
        if (strcmp(r->method, "POST") != 0) {
            set_error(a, 405, "method_not_allowed", "method not allowed");
            return;
        }
        if (claim == NULL) {
            set_error(a, 401, "unauthorized", "Mailbox-Device-Claim is required");
            return;
        }
        relay_create(m, r, claim, rid, a);
        return;
    }
    if (strncmp(path, "/v1/m/", 6) != 0 || (b = find_mb(m, path + 6)) == NULL) {
        set_error(a, 404, "not_found", "no such mailbox");
        return;
    }
    if (strcmp(r->method, "GET") == 0 || strcmp(r->method, "HEAD") == 0) {
        relay_preview(b, r->method[0] == 'H', a);
        return;
    }
    if (strcmp(r->method, "POST") == 0) {
        relay_read(m, r, b, claim, a);
        return;
    }
    if (strcmp(r->method, "PUT") == 0) {
        relay_update(m, r, b, claim, rid, a);
        return;
    }
    if (strcmp(r->method, "DELETE") == 0) {
        relay_delete(m, b, claim, rid, a);
        return;
    }
    if (strcmp(r->method, "PATCH") == 0) {
        relay_relinquish(m, b, claim, rid, a);
        return;
    }
    set_error(a, 405, "method_not_allowed", "method not allowed");
}

static bool has_content_type(const answer *a)
{
    for (size_t i = 0; i < a->header_count; i++)
        if (strcasecmp(a->headers[i].name, "Content-Type") == 0)
            return true;
    return false;
}

static int relay_handle(mock_transport *m, const mock_request *r, tigress_http_response *resp)
{
    answer a;
    int rc;

    memset(&a, 0, sizeof(a));
    a.echo = m->echo_next;
    m->echo_next = MOCK_ECHO_CORRECT;
    if (m->force_status != 0) {
        char ra[24];
        set_error(&a, m->force_status, "forced", "forced by the test");
        if (m->force_retry_after >= 0) {
            snprintf(ra, sizeof(ra), "%ld", m->force_retry_after);
            answer_header(&a, "Retry-After", ra);
        }
        m->force_status = 0;
        m->force_retry_after = -1;
    } else {
        relay_route(m, r, &a);
    }
    if (a.body != NULL && a.status != 304 && !has_content_type(&a))
        answer_header(&a, "Content-Type", "application/json");
    if (m->drop > 0) {
        m->drop--;
        answer_free(&a);
        tigress__http_response_set_transport_error(resp, 56, "response dropped by the test");
        return TIGRESS_E_NETWORK;
    }
    rc = emit(r, &a, NULL, 0, resp);
    answer_free(&a);
    return rc;
}

/* ---- relay inspection ---- */

static const mailbox *find_any(const mock_transport *m, const char *id)
{
    return id != NULL ? find_mb(m, id) : NULL;
}

size_t mock_relay_mailbox_count(const mock_transport *m)
{
    size_t n = 0;
    for (size_t i = 0; i < m->mb_count; i++)
        if (find_mb(m, m->mbs[i].id) != NULL)
            n++;
    return n;
}

const char *mock_relay_last_mailbox_id(const mock_transport *m)
{
    return m->mb_count > 0 ? m->mbs[m->mb_count - 1].id : NULL;
}

bool mock_relay_mailbox_exists(const mock_transport *m, const char *id)
{
    return find_any(m, id) != NULL;
}

unsigned mock_relay_mailbox_version(const mock_transport *m, const char *id)
{
    const mailbox *b = find_any(m, id);
    return b != NULL ? b->version : 0;
}

const char *mock_relay_recipient(const mock_transport *m, const char *id)
{
    const mailbox *b = find_any(m, id);
    return b != NULL ? b->recipient : NULL;
}

const char *mock_relay_initiator(const mock_transport *m, const char *id)
{
    const mailbox *b = find_any(m, id);
    return b != NULL ? b->initiator : NULL;
}

const char *mock_relay_payload(mock_transport *m, const char *id)
{
    const mailbox *b = find_any(m, id);
    mock_transport *mm = m;

    free(mm->payload_text);
    mm->payload_text = b != NULL ? cJSON_PrintUnformatted(b->payload) : NULL;
    return mm->payload_text;
}

const char *mock_relay_access_rights(const mock_transport *m, const char *id)
{
    const mailbox *b = find_any(m, id);
    return b != NULL ? b->rights : NULL;
}

int64_t mock_relay_expiration(const mock_transport *m, const char *id)
{
    const mailbox *b = find_any(m, id);
    return b != NULL ? b->expiration : 0;
}

void mock_relay_set_expiration(mock_transport *m, const char *id, int64_t unix_s)
{
    for (size_t i = 0; i < m->mb_count; i++)
        if (strcmp(m->mbs[i].id, id) == 0)
            m->mbs[i].expiration = unix_s;
}

const char *mock_relay_token(const mock_transport *m, const char *id, bool recipient)
{
    const mailbox *b = find_any(m, id);
    return b != NULL ? b->token[recipient ? 1 : 0] : NULL;
}

size_t mock_relay_applied_count(const mock_transport *m) { return m->applied; }
size_t mock_relay_duplicate_count(const mock_transport *m) { return m->duplicates; }
size_t mock_relay_waits(const mock_transport *m) { return m->waits; }
