/* Shared between mock_transport.c (recording, scripts, clock) and mock_relay.c (the fake
 * relay). Test helpers only; see mock_transport.h for the API. */
#ifndef TIGRESS_TEST_MOCK_INTERNAL_H
#define TIGRESS_TEST_MOCK_INTERNAL_H

#include <cjson/cJSON.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"
#include "http_response.h"
#include "mock_transport.h"

#define RELAY_BODY_MAX (64 * 1024)
#define MAX_SCRIPT_HEADERS 16

/* Allocation that aborts on failure: a test double has no OOM story. */
static inline void *xcalloc(size_t n, size_t s)
{
    void *p = calloc(n == 0 ? 1 : n, s == 0 ? 1 : s);
    if (p == NULL)
        abort();
    return p;
}

static inline void *xrealloc(void *p, size_t s)
{
    p = realloc(p, s == 0 ? 1 : s);
    if (p == NULL)
        abort();
    return p;
}

static inline char *xstrdup(const char *s)
{
    char *d;
    if (s == NULL)
        return NULL;
    d = strdup(s);
    if (d == NULL)
        abort();
    return d;
}

static inline char *xstrndup(const char *s, size_t n)
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
    bool simulate_wait;         /* 304 to Prefer: wait=N advances the mock clock N s */
    char *payload_text;
};


/* One HTTP answer being built (by a script or by the relay). */
typedef struct answer {
    int status;
    char *body;                 /* malloc'd or NULL */
    size_t body_len;
    mock_header headers[8];
    size_t header_count;
    mock_echo echo;
} answer;


void mock__answer_header(answer *a, const char *name, const char *value);
void mock__answer_free(answer *a);
/* Writes status, echo, headers and body into the library's response (0 or a tigress code). */
int mock__emit(const mock_request *r, const answer *a, const mock_header *extra,
               size_t extra_count, tigress_http_response *resp);
/* The fake relay (mock_relay.c). */
int mock__relay_handle(mock_transport *m, const mock_request *r, tigress_http_response *resp);
void mock__relay_free(mock_transport *m);

#endif /* TIGRESS_TEST_MOCK_INTERNAL_H */
