/* The client handle: copied options, error detail, cancel/wake, the clock seam and the relay
 * URL policy (https only, loopback http on request, allow-list). */
#define _DEFAULT_SOURCE /* strncasecmp */
#include <pthread.h>
#include <sodium.h>
#include <stddef.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "aead_internal.h"
#include "client_internal.h"
#ifdef TIGRESS_HAVE_CURL
#include "transport_curl.h"
#endif

#define DEFAULT_CONNECT_TIMEOUT_MS 10000L
#define DEFAULT_REQUEST_TIMEOUT_MS 30000L
#define DEFAULT_MAX_RETRIES 3u

struct tigress_client {
    tigress_client_options opts;  /* defaults applied; pointers below own the strings */
    tigress_transport inner;      /* copied vtable (or the libcurl one) */
    tigress_transport transport;  /* what http.c calls: inner's send, via client_send() */
    tigress_aead_provider aead;   /* copied AEAD provider; has_aead false: none given */
    bool has_aead;
    char *ca_file;
    char *user_agent;
    char **allow_list;
    size_t allow_count;
    tigress__error_slot err;
    /* Cancel accounting (tigress_client_cancel(), thread-safe). A cancel is never lost: it
     * stays pending until a call notices it (that call is cancelled) or cancel_clear drops it.
     * requested counts the cancels; consumed is how many of them are spent (never decreases);
     * seen is the count the current call noticed, spent when the next call begins. Counters
     * rather than a flag, so a cancel arriving after a call noticed an earlier one is kept. */
    atomic_uint_fast64_t cancel_requested;
    atomic_uint_fast64_t cancel_consumed;
    atomic_uint_fast64_t cancel_seen;
    /* wake_pending and the condition variable are protected by lock. */
    pthread_mutex_t lock;
    pthread_cond_t cond;
    bool wake_pending;
    /* The claim of the last redeem that failed after its read may have bound it on the relay,
     * and a hash of that mailbox's URL (tigress__client_redeem_*): no allocation, so that a
     * failed call leaves nothing allocated behind. The claim is wiped when forgotten. */
    bool has_redeem;
    uint8_t redeem_url_hash[32];
    char redeem_claim[37];
};

/* ---- clock seam ---- */

static tigress__now_ms_fn g_now_fn;
static tigress__sleep_ms_fn g_sleep_fn;
static void *g_clock_ud;

void tigress__set_clock(tigress__now_ms_fn now, tigress__sleep_ms_fn sleep_fn, void *user_data)
{
    g_now_fn = now;
    g_sleep_fn = sleep_fn;
    g_clock_ud = user_data;
}

static int64_t real_now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t tigress__now_ms(void)
{
    return g_now_fn != NULL ? g_now_fn(g_clock_ud) : real_now_ms();
}

/* ---- options ---- */

tigress_status tigress_client_options_init(tigress_client_options *opts, unsigned int version)
{
    const tigress_client_options init = TIGRESS_CLIENT_OPTIONS_INIT;

    if (opts == NULL)
        return tigress__fail(TIGRESS_E_INVALID, "tigress_client_options_init: opts is NULL");
    if (version < 1 || version > TIGRESS_CLIENT_OPTIONS_VERSION)
        return tigress__fail(TIGRESS_E_VERSION, "unsupported tigress_client_options version %u",
                             version);
    memcpy(opts, &init, sizeof(*opts));
    opts->version = version;
    return TIGRESS_OK;
}

static tigress_status check_options(const tigress_client_options *o)
{
    if (o->version < 1 || o->version > TIGRESS_CLIENT_OPTIONS_VERSION)
        return tigress__fail(TIGRESS_E_VERSION, "unsupported tigress_client_options version %u",
                             o->version);
    if (o->connect_timeout_ms < 0 || o->request_timeout_ms < 0)
        return tigress__fail(TIGRESS_E_INVALID, "timeouts must not be negative");
    if (o->relay_allow_list == NULL && o->relay_allow_list_count != 0)
        return tigress__fail(TIGRESS_E_INVALID, "relay_allow_list is NULL but its count is not 0");
    for (size_t i = 0; i < o->relay_allow_list_count; i++)
        if (o->relay_allow_list[i] == NULL || o->relay_allow_list[i][0] == '\0')
            return tigress__fail(TIGRESS_E_INVALID, "relay_allow_list[%zu] is NULL or empty", i);
    if (o->version >= 2 && o->aead_provider != NULL) {
        tigress_status rc = tigress__aead_provider_check(o->aead_provider);

        if (rc != TIGRESS_OK)
            return rc;
    }
    if (o->transport != NULL) {
        if (o->transport->version < 1 || o->transport->version > TIGRESS_TRANSPORT_VERSION)
            return tigress__fail(TIGRESS_E_VERSION, "unsupported tigress_transport version %u",
                                 o->transport->version);
        if (o->transport->send == NULL)
            return tigress__fail(TIGRESS_E_INVALID, "tigress_transport.send is required");
    }
    return TIGRESS_OK;
}

/* Deep-copies the strings and the allow-list, and applies the defaults. */
static tigress_status copy_options(tigress_client *c, const tigress_client_options *o)
{
    /* Only the fields the caller's version has: a version-1 struct ends before aead_provider. */
    memcpy(&c->opts, o, o->version >= 2 ? sizeof(*o)
                                        : offsetof(tigress_client_options, aead_provider));
    c->opts.version = TIGRESS_CLIENT_OPTIONS_VERSION;
    if (o->version >= 2 && o->aead_provider != NULL) {
        /* check_options() accepted it; version 1 is the whole vtable. */
        c->aead.version = TIGRESS_AEAD_PROVIDER_VERSION;
        c->aead.seal = o->aead_provider->seal;
        c->aead.open = o->aead_provider->open;
        c->aead.user_data = o->aead_provider->user_data;
        c->has_aead = true;
    }
    c->opts.aead_provider = c->has_aead ? &c->aead : NULL;
    c->ca_file = tigress__strdup(o->ca_file);
    c->user_agent = tigress__strdup(o->user_agent != NULL ? o->user_agent
                                                          : "libtigress/" TIGRESS_VERSION_STRING);
    if ((o->ca_file != NULL && c->ca_file == NULL) || c->user_agent == NULL)
        return TIGRESS_E_NOMEM;
    if (o->relay_allow_list != NULL) {
        /* +1 so an empty (but present) list still gets a non-NULL array. */
        c->allow_list = tigress__calloc(o->relay_allow_list_count + 1, sizeof(char *));
        if (c->allow_list == NULL)
            return TIGRESS_E_NOMEM;
        for (size_t i = 0; i < o->relay_allow_list_count; i++) {
            c->allow_list[i] = tigress__strdup(o->relay_allow_list[i]);
            if (c->allow_list[i] == NULL)
                return TIGRESS_E_NOMEM;
            c->allow_count = i + 1;
        }
    }
    c->opts.ca_file = c->ca_file;
    c->opts.user_agent = c->user_agent;
    c->opts.relay_allow_list = (const char *const *)c->allow_list;
    c->opts.relay_allow_list_count = c->allow_count;
    if (c->opts.connect_timeout_ms == 0)
        c->opts.connect_timeout_ms = DEFAULT_CONNECT_TIMEOUT_MS;
    if (c->opts.request_timeout_ms == 0)
        c->opts.request_timeout_ms = DEFAULT_REQUEST_TIMEOUT_MS;
    if (c->opts.max_retries == 0)
        c->opts.max_retries = DEFAULT_MAX_RETRIES;
    else if (c->opts.max_retries == TIGRESS_RETRIES_NONE)
        c->opts.max_retries = 0;
    c->opts.allow_insecure_loopback = o->allow_insecure_loopback != 0;
    return TIGRESS_OK;
}

static void free_options(tigress_client *c)
{
    for (size_t i = 0; i < c->allow_count; i++)
        tigress__free(c->allow_list[i]);
    tigress__free(c->allow_list);
    tigress__free(c->ca_file);
    tigress__free(c->user_agent);
}

static tigress_status init_sync(tigress_client *c)
{
    pthread_condattr_t attr;
    int rc;

    if (pthread_mutex_init(&c->lock, NULL) != 0)
        return TIGRESS_E_NOMEM;
    if (pthread_condattr_init(&attr) != 0) {
        pthread_mutex_destroy(&c->lock);
        return TIGRESS_E_NOMEM;
    }
    /* Sleeps measure CLOCK_MONOTONIC so wall-clock jumps do not stretch them. */
    rc = pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    if (rc == 0)
        rc = pthread_cond_init(&c->cond, &attr);
    pthread_condattr_destroy(&attr);
    if (rc != 0) {
        pthread_mutex_destroy(&c->lock);
        return TIGRESS_E_NOMEM;
    }
    return TIGRESS_OK;
}

/* A send the transport ended with TIGRESS_E_CANCELLED was ended by a pending cancel (its
 * cancel slot was called): mark that cancel noticed, so this call spends it even when nothing
 * else in the call checked for it. */
static int client_send(const tigress_http_request *req, tigress_http_response *resp, void *ud)
{
    tigress_client *c = ud;
    int rc = c->inner.send(req, resp, c->inner.user_data);

    if (rc == TIGRESS_E_CANCELLED)
        (void)tigress__client_cancelled(c);
    return rc;
}

static void client_transport_cancel(void *ud)
{
    tigress_client *c = ud;

    if (c->inner.cancel != NULL)
        c->inner.cancel(c->inner.user_data);
}

#ifdef TIGRESS_HAVE_CURL
/* The built-in transport's view of this client's pending cancel. */
static bool cancel_pending(void *ud)
{
    return tigress__client_cancelled(ud);
}
#endif

/* The vtable the HTTP layer uses: the inner one behind client_send(). No free slot: the
 * client frees the inner transport itself. */
static void wrap_transport(tigress_client *c)
{
    c->transport.version = c->inner.version;
    c->transport.send = client_send;
    c->transport.cancel = client_transport_cancel;
    c->transport.free = NULL;
    c->transport.user_data = c;
}

tigress_status tigress_client_new(tigress_client **out, const tigress_client_options *opts)
{
    const tigress_client_options defaults = TIGRESS_CLIENT_OPTIONS_INIT;
    tigress_client *c;
    tigress_status rc;

    if (out == NULL)
        return tigress__fail(TIGRESS_E_INVALID, "tigress_client_new: out is NULL");
    *out = NULL;
    if (!tigress__initialized())
        return tigress__fail(TIGRESS_E_STATE, "call tigress_global_init() before tigress_client_new()");
    if (opts == NULL)
        opts = &defaults;
    rc = check_options(opts);
    if (rc != TIGRESS_OK)
        return rc;
    c = tigress__calloc(1, sizeof(*c));
    if (c == NULL)
        return tigress__fail(TIGRESS_E_NOMEM, "out of memory creating the client");
    tigress__error_clear(&c->err);
    atomic_init(&c->cancel_requested, 0);
    atomic_init(&c->cancel_consumed, 0);
    atomic_init(&c->cancel_seen, 0);
    rc = copy_options(c, opts);
    if (rc != TIGRESS_OK) {
        free_options(c);
        tigress__free(c);
        return tigress__fail(rc, "out of memory copying the client options");
    }
    if (init_sync(c) != TIGRESS_OK) {
        free_options(c);
        tigress__free(c);
        return tigress__fail(TIGRESS_E_NOMEM, "cannot create the client's lock");
    }
    if (opts->transport != NULL) {
        c->inner = *opts->transport;
    } else {
#ifdef TIGRESS_HAVE_CURL
        rc = tigress__curl_transport_new(&c->inner, c->opts.allow_insecure_loopback != 0,
                                         cancel_pending, c);
        if (rc != TIGRESS_OK) {
            c->inner.free = NULL;
            tigress_client_free(c);
            return tigress__fail(rc, "cannot create the libcurl transport");
        }
#else
        /* The portable build has no HTTP code of its own: the app brings it. */
        c->inner.free = NULL;
        tigress_client_free(c);
        return tigress__fail(TIGRESS_E_UNSUPPORTED,
                             "this build of libtigress has no built-in HTTP transport: set "
                             "tigress_client_options.transport (tigress/sys/transport.h)");
#endif
    }
    wrap_transport(c);
    c->opts.transport = &c->transport;
    *out = c;
    return TIGRESS_OK;
}

void tigress_client_free(tigress_client *c)
{
    if (c == NULL)
        return;
    tigress__client_redeem_forget(c, NULL);
    if (c->inner.free != NULL)
        c->inner.free(c->inner.user_data);
    pthread_cond_destroy(&c->cond);
    pthread_mutex_destroy(&c->lock);
    free_options(c);
    tigress__free(c);
}

const tigress_error *tigress_client_last_error(const tigress_client *c)
{
    if (c == NULL)
        return tigress_error_last();
    return &c->err.pub;
}

tigress_status tigress_client_cancel(tigress_client *c)
{
    if (c == NULL)
        return TIGRESS_E_INVALID;
    atomic_fetch_add(&c->cancel_requested, 1);
    pthread_mutex_lock(&c->lock);
    pthread_cond_broadcast(&c->cond);
    pthread_mutex_unlock(&c->lock);
    /* Outside the lock: a transport's cancel may take its own locks. */
    if (c->inner.cancel != NULL)
        c->inner.cancel(c->inner.user_data);
    return TIGRESS_OK;
}

/* Raises consumed to at least n; a racing begin or cancel_clear never moves it back. */
static void consume_up_to(tigress_client *c, uint_fast64_t n)
{
    uint_fast64_t cur = atomic_load(&c->cancel_consumed);

    while (cur < n && !atomic_compare_exchange_weak(&c->cancel_consumed, &cur, n))
        ;
}

tigress_status tigress_client_cancel_clear(tigress_client *c)
{
    if (c == NULL)
        return TIGRESS_E_INVALID;
    consume_up_to(c, atomic_load(&c->cancel_requested));
    return TIGRESS_OK;
}

tigress_status tigress_client_wake(tigress_client *c)
{
    if (c == NULL)
        return TIGRESS_E_INVALID;
    pthread_mutex_lock(&c->lock);
    c->wake_pending = true;
    pthread_cond_broadcast(&c->cond);
    pthread_mutex_unlock(&c->lock);
    return TIGRESS_OK;
}

/* ---- internal accessors ---- */

const tigress_aead_provider *tigress__client_aead(const tigress_client *c)
{
    return c->has_aead ? &c->aead : NULL;
}

const tigress_client_options *tigress__client_options(const tigress_client *c)
{
    return &c->opts;
}

const tigress_transport *tigress__client_transport(const tigress_client *c)
{
    return &c->transport;
}

tigress__error_slot *tigress__client_error(tigress_client *c)
{
    return &c->err;
}

tigress_status tigress__client_fail(tigress_client *c, tigress_status code, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    tigress__error_setv(&c->err, code, fmt, ap);
    va_end(ap);
    return code;
}

/* Spends the cancels the previous call noticed (it was cancelled by them); a cancel that no
 * call noticed yet, e.g. one requested before this call started, stays pending for this one. */
void tigress__client_begin(tigress_client *c)
{
    tigress__error_clear(&c->err);
    consume_up_to(c, atomic_load(&c->cancel_seen));
}

bool tigress__client_cancelled(tigress_client *c)
{
    uint_fast64_t req = atomic_load(&c->cancel_requested);

    if (req <= atomic_load(&c->cancel_consumed))
        return false;
    /* Noticed: this call is cancelled, and spends the cancel when the next call begins.
     * seen only grows, whichever thread (the caller, or a transport's helper) gets here. */
    uint_fast64_t seen = atomic_load(&c->cancel_seen);
    while (seen < req && !atomic_compare_exchange_weak(&c->cancel_seen, &seen, req))
        ;
    return true;
}

/* With the test clock installed: one call to the fake sleep, cancel/wake checked around it. */
static tigress_status fake_sleep(tigress_client *c, long ms, bool wakeable)
{
    bool woken;

    pthread_mutex_lock(&c->lock);
    woken = wakeable && c->wake_pending;
    if (woken)
        c->wake_pending = false;
    pthread_mutex_unlock(&c->lock);
    if (tigress__client_cancelled(c))
        return TIGRESS_E_CANCELLED;
    if (woken)
        return TIGRESS_OK;
    g_sleep_fn(ms, g_clock_ud);
    return tigress__client_cancelled(c) ? TIGRESS_E_CANCELLED : TIGRESS_OK;
}

static tigress_status client_sleep(tigress_client *c, long ms, bool wakeable)
{
    struct timespec deadline;
    tigress_status rc = TIGRESS_OK;

    if (ms < 0)
        ms = 0;
    if (g_sleep_fn != NULL)
        return fake_sleep(c, ms, wakeable);
    clock_gettime(CLOCK_MONOTONIC, &deadline);
    deadline.tv_sec += ms / 1000;
    deadline.tv_nsec += (ms % 1000) * 1000000L;
    if (deadline.tv_nsec >= 1000000000L) {
        deadline.tv_sec++;
        deadline.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&c->lock);
    for (;;) {
        if (tigress__client_cancelled(c)) {
            rc = TIGRESS_E_CANCELLED;
            break;
        }
        if (wakeable && c->wake_pending) {
            c->wake_pending = false;
            break;
        }
        if (pthread_cond_timedwait(&c->cond, &c->lock, &deadline) != 0)
            break; /* ETIMEDOUT: the time passed */
    }
    pthread_mutex_unlock(&c->lock);
    if (rc == TIGRESS_OK && tigress__client_cancelled(c))
        rc = TIGRESS_E_CANCELLED;
    return rc;
}

tigress_status tigress__client_sleep(tigress_client *c, long ms)
{
    return client_sleep(c, ms, true);
}

tigress_status tigress__client_backoff(tigress_client *c, long ms)
{
    return client_sleep(c, ms, false);
}

/* ---- relay URL policy (C1, C15) ---- */

static bool on_allow_list(const tigress_client *c, const char *host, size_t len)
{
    for (size_t i = 0; i < c->allow_count; i++)
        if (strlen(c->allow_list[i]) == len && strncasecmp(c->allow_list[i], host, len) == 0)
            return true;
    return false;
}

tigress_status tigress__client_check_relay(tigress_client *c, const char *url)
{
    tigress__url_split_parts p;
    const char *scheme, *host;
    size_t scheme_len, host_len;

    if (c == NULL)
        return TIGRESS_E_INVALID;
    if (url == NULL)
        return tigress__client_fail(c, TIGRESS_E_INVALID, "relay URL is NULL");
    if (tigress__url_split(url, &p) != NULL)
        return tigress__client_fail(c, TIGRESS_E_URL, "relay URL is malformed (need "
                                    "scheme://host[:port], port 1-65535)");
    scheme = p.scheme;
    scheme_len = p.scheme_len;
    host = p.host;
    host_len = p.host_len;
    if (scheme_len == 4 && strncasecmp(scheme, "http", 4) == 0) {
        if (!c->opts.allow_insecure_loopback || !tigress__url_is_loopback(host, host_len))
            return tigress__client_fail(c, TIGRESS_E_INSECURE,
                                        "relay URL must use https (plain http only to a loopback "
                                        "host, and only with allow_insecure_loopback)");
    } else if (!(scheme_len == 5 && strncasecmp(scheme, "https", 5) == 0)) {
        return tigress__client_fail(c, TIGRESS_E_INSECURE, "relay URL must use https");
    }
    if (c->allow_list != NULL && !on_allow_list(c, host, host_len))
        return tigress__client_fail(c, TIGRESS_E_NOT_ALLOWED,
                                    "relay host \"%.*s\" is not on the allow-list",
                                    (int)(host_len > 100 ? 100 : host_len), host);
    return TIGRESS_OK;
}

/* ---- redeem retries ---- */

static void url_hash(const char *url, uint8_t out[32])
{
    crypto_generichash(out, 32, (const uint8_t *)url, strlen(url), NULL, 0);
}

static bool redeem_matches(const tigress_client *c, const char *mailbox_url)
{
    uint8_t h[32];

    if (!c->has_redeem)
        return false;
    url_hash(mailbox_url, h);
    return sodium_memcmp(h, c->redeem_url_hash, sizeof(h)) == 0;
}

void tigress__client_redeem_remember(tigress_client *c, const char *mailbox_url, const char *claim)
{
    url_hash(mailbox_url, c->redeem_url_hash);
    memcpy(c->redeem_claim, claim, sizeof(c->redeem_claim));
    c->redeem_claim[sizeof(c->redeem_claim) - 1] = '\0';
    c->has_redeem = true;
}

bool tigress__client_redeem_recall(const tigress_client *c, const char *mailbox_url,
                                   char claim[37])
{
    if (!redeem_matches(c, mailbox_url))
        return false;
    memcpy(claim, c->redeem_claim, sizeof(c->redeem_claim));
    return true;
}

void tigress__client_redeem_forget(tigress_client *c, const char *mailbox_url)
{
    if (mailbox_url != NULL && !redeem_matches(c, mailbox_url))
        return;
    c->has_redeem = false;
    sodium_memzero(c->redeem_url_hash, sizeof(c->redeem_url_hash));
    sodium_memzero(c->redeem_claim, sizeof(c->redeem_claim));
}
