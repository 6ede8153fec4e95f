/* client.c: options (init, versions, defaults, deep copy), lifetime, error detail, cancel and
 * wake, the sleep and clock seam, and the relay URL policy (C1, C15). */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "http.h"
#include "helpers/mock_transport.h"

/* Must run first: nothing has called tigress_global_init() in this process yet. */
static void test_client__new_without_global_init_fails(void **state)
{
    tigress_client *c = (tigress_client *)&c; /* poisoned: must become NULL */
    (void)state;

    assert_false(tigress__initialized());
    assert_int_equal(tigress_client_new(&c, NULL), TIGRESS_E_STATE);
    assert_null(c);
    assert_int_equal(tigress_error_last()->code, TIGRESS_E_STATE);
    assert_non_null(strstr(tigress_error_last()->message, "tigress_global_init"));
}


/* ---- out-of-memory paths, through the allocator hooks (needs an uninitialised library) ---- */

static long g_fail_at = -1, g_alloc_n;

static bool should_fail(void)
{
    return g_fail_at >= 0 && g_alloc_n++ == g_fail_at;
}

static void *oom_malloc(size_t n, void *ud)
{
    (void)ud;
    return should_fail() ? NULL : malloc(n);
}

static void *oom_realloc(void *p, size_t n, void *ud)
{
    (void)ud;
    return should_fail() ? NULL : realloc(p, n);
}

static void oom_free(void *p, void *ud)
{
    (void)ud;
    free(p);
}

static void test_client__out_of_memory_paths(void **state)
{
    tigress_allocator a = { TIGRESS_ALLOCATOR_VERSION, oom_malloc, oom_realloc, oom_free, NULL };
    const char *list[] = { "relay.test", "other.test" };
    tigress_client_options o = TIGRESS_CLIENT_OPTIONS_INIT;
    mock_transport *m = mock_transport_new();
    tigress_transport t;
    tigress_client *c;
    long n;
    (void)state;

    assert_int_equal(tigress_global_init_mem(&a), TIGRESS_OK);
#ifndef TIGRESS_HAVE_CURL
    /* No built-in transport in this build: the allocations of the client itself. */
    mock_transport_vtable(m, &t);
    o.transport = &t;
#endif
    o.ca_file = "/tmp/ca.pem";
    o.user_agent = "ua/1";
    o.relay_allow_list = list;
    o.relay_allow_list_count = 2;
    /* Fail the 1st, 2nd, ... allocation of tigress_client_new until it no longer fails. */
    for (n = 0;; n++) {
        tigress_status rc;
        c = (tigress_client *)&c;
        g_alloc_n = 0;
        g_fail_at = n;
        rc = tigress_client_new(&c, &o); /* built-in libcurl transport */
        g_fail_at = -1;
        if (g_alloc_n <= n) {
            assert_int_equal(rc, TIGRESS_OK);
            tigress_client_free(c);
            break;
        }
        assert_int_equal(rc, TIGRESS_E_NOMEM);
        assert_null(c);
    }
    assert_true(n >= 5);
    /* The same for one request through the fake relay. */
    mock_transport_vtable(m, &t);
    o.transport = &t;
    o.max_retries = TIGRESS_RETRIES_NONE;
    assert_int_equal(tigress_client_new(&c, &o), TIGRESS_OK);
    mock_relay_enable(m, NULL);
    for (n = 0;; n++) {
        tigress__request r;
        tigress__response resp = { 0 };
        tigress_status rc;

        memset(&r, 0, sizeof(r));
        r.method = "POST";
        r.url = "https://relay.test/v1/m/00000000-0000-4000-8000-000000000001";
        r.claim = "11111111-1111-4111-8111-111111111111";
        g_alloc_n = 0;
        g_fail_at = n;
        rc = tigress__http_call(c, &r, &resp);
        g_fail_at = -1;
        tigress__response_clear(&resp);
        if (g_alloc_n <= n) {
            assert_int_equal(rc, TIGRESS_E_NOT_FOUND);
            break;
        }
        /* A lost header or body shows up as a protocol or network failure. */
        assert_true(rc == TIGRESS_E_NOMEM || rc == TIGRESS_E_PROTOCOL || rc == TIGRESS_E_NETWORK ||
                    rc == TIGRESS_E_NOT_FOUND);
    }
    assert_true(n >= 3);
    tigress_client_free(c);
    mock_transport_free(m);
    tigress_global_cleanup();
    /* Put the C library allocator back for the other tests. */
    assert_int_equal(tigress_global_init_mem(NULL), TIGRESS_OK);
    tigress_global_cleanup();
}

static int group_setup(void **state)
{
    (void)state;
    return tigress_global_init() == TIGRESS_OK ? 0 : -1;
}

static int group_teardown(void **state)
{
    (void)state;
    tigress_global_cleanup();
    return 0;
}

static void test_client__options_init_matches_macro(void **state)
{
    tigress_client_options a, b = TIGRESS_CLIENT_OPTIONS_INIT;
    (void)state;

    /* Fill with garbage first so padding and every field must be written. */
    memset(&a, 0xA5, sizeof(a));
    memset(&b, 0, sizeof(b));
    {
        tigress_client_options m = TIGRESS_CLIENT_OPTIONS_INIT;
        memcpy(&b, &m, sizeof(b));
    }
    assert_int_equal(tigress_client_options_init(&a, TIGRESS_CLIENT_OPTIONS_VERSION), TIGRESS_OK);
    assert_memory_equal(&a, &b, sizeof(a));
    assert_int_equal(a.version, TIGRESS_CLIENT_OPTIONS_VERSION);
}

static void test_client__options_init_rejects_bad_args(void **state)
{
    tigress_client_options a;
    (void)state;

    assert_int_equal(tigress_client_options_init(NULL, 1), TIGRESS_E_INVALID);
    assert_int_equal(tigress_client_options_init(&a, 0), TIGRESS_E_VERSION);
    assert_int_equal(tigress_client_options_init(&a, TIGRESS_CLIENT_OPTIONS_VERSION + 1),
                     TIGRESS_E_VERSION);
    assert_int_equal(tigress_error_last()->code, TIGRESS_E_VERSION);
}

static void test_client__new_rejects_bad_options(void **state)
{
    tigress_client_options o = TIGRESS_CLIENT_OPTIONS_INIT;
    tigress_transport t = { 99, NULL, NULL, NULL, NULL };
    const char *list[] = { "relay.example", NULL };
    tigress_client *c = NULL;
    (void)state;

    assert_int_equal(tigress_client_new(NULL, NULL), TIGRESS_E_INVALID);
    o.version = 0;
    assert_int_equal(tigress_client_new(&c, &o), TIGRESS_E_VERSION);
    o.version = TIGRESS_CLIENT_OPTIONS_VERSION + 1;
    assert_int_equal(tigress_client_new(&c, &o), TIGRESS_E_VERSION);
    assert_non_null(strstr(tigress_error_last()->message, "version"));
    o.version = TIGRESS_CLIENT_OPTIONS_VERSION;
    o.transport = &t;
    assert_int_equal(tigress_client_new(&c, &o), TIGRESS_E_VERSION);
    t.version = TIGRESS_TRANSPORT_VERSION;
    assert_int_equal(tigress_client_new(&c, &o), TIGRESS_E_INVALID); /* send is required */
    o.transport = NULL;
    o.request_timeout_ms = -1;
    assert_int_equal(tigress_client_new(&c, &o), TIGRESS_E_INVALID);
    o.request_timeout_ms = 0;
    o.relay_allow_list_count = 1;
    assert_int_equal(tigress_client_new(&c, &o), TIGRESS_E_INVALID);
    o.relay_allow_list = list;
    o.relay_allow_list_count = 2; /* second entry is NULL */
    assert_int_equal(tigress_client_new(&c, &o), TIGRESS_E_INVALID);
    assert_null(c);
}

static void test_client__defaults_applied(void **state)
{
    tigress_client *c = NULL;
    const tigress_client_options *o;
    (void)state;

#ifdef TIGRESS_HAVE_CURL
    /* NULL options: every default, and the built-in libcurl transport. */
    assert_int_equal(tigress_client_new(&c, NULL), TIGRESS_OK);
#else
    /* The portable build has no built-in transport: a clear refusal, then the defaults of a
     * client given one. */
    tigress_client_options with = TIGRESS_CLIENT_OPTIONS_INIT;
    mock_transport *m = mock_transport_new();
    tigress_transport t;

    c = (tigress_client *)&c;
    assert_int_equal(tigress_client_new(&c, NULL), TIGRESS_E_UNSUPPORTED);
    assert_null(c);
    assert_non_null(strstr(tigress_error_last()->message, "transport"));
    mock_transport_vtable(m, &t);
    with.transport = &t;
    assert_int_equal(tigress_client_new(&c, &with), TIGRESS_OK);
#endif
    o = tigress__client_options(c);
    assert_int_equal(o->version, TIGRESS_CLIENT_OPTIONS_VERSION);
    assert_int_equal(o->connect_timeout_ms, 10000);
    assert_int_equal(o->request_timeout_ms, 30000);
    assert_int_equal(o->max_retries, 3);
    assert_int_equal(o->allow_insecure_loopback, 0);
    assert_null(o->ca_file);
    assert_null(o->relay_allow_list);
    assert_string_equal(o->user_agent, "libtigress/" TIGRESS_VERSION_STRING);
    assert_non_null(o->transport);
    assert_non_null(o->transport->send);
    assert_ptr_equal(o->transport, tigress__client_transport(c));
    assert_null(o->aead_provider);
    assert_null(tigress__client_aead(c));
    tigress_client_free(c);
#ifndef TIGRESS_HAVE_CURL
    mock_transport_free(m);
#endif
}

/* A caller built against version 1 of the options passes a shorter struct: only its fields
 * are read (under ASan, a read past it would fail), and a bad provider is refused. */
static void test_client__options_version_1_and_provider_checks(void **state)
{
    size_t v1 = offsetof(tigress_client_options, aead_provider);
    tigress_client_options *o1 = malloc(v1), o = TIGRESS_CLIENT_OPTIONS_INIT;
    mock_transport *m = mock_transport_new();
    tigress_aead_provider bad;
    tigress_transport t;
    tigress_client *c = NULL;
    (void)state;

    mock_transport_vtable(m, &t);
    assert_non_null(o1);
    o.version = 1;
    o.transport = &t;
    memcpy(o1, &o, v1);
    o.version = TIGRESS_CLIENT_OPTIONS_VERSION;
    assert_int_equal(tigress_client_new(&c, o1), TIGRESS_OK);
    assert_null(tigress__client_aead(c));
    assert_int_equal(tigress__client_options(c)->version, TIGRESS_CLIENT_OPTIONS_VERSION);
    tigress_client_free(c);
    /* A provider without its slots, or of an unknown version. */
    o.transport = &t;
    assert_int_equal(tigress_aead_provider_init(&bad, TIGRESS_AEAD_PROVIDER_VERSION), TIGRESS_OK);
    o.aead_provider = &bad;
    assert_int_equal(tigress_client_new(&c, &o), TIGRESS_E_INVALID);
    assert_null(c);
    bad.version = 99;
    assert_int_equal(tigress_client_new(&c, &o), TIGRESS_E_VERSION);
    assert_null(c);
    free(o1);
    mock_transport_free(m);
}

static void test_client__options_deep_copied(void **state)
{
    tigress_client_options o = TIGRESS_CLIENT_OPTIONS_INIT;
    char *ca = strdup("/tmp/ca.pem"), *ua = strdup("app/2"), *h0 = strdup("relay.one");
    char *h1 = strdup("relay.two");
    const char **list = malloc(2 * sizeof(*list));
    mock_transport *m = mock_transport_new();
    tigress_client *c;
    const tigress_client_options *co;
    (void)state;

    list[0] = h0;
    list[1] = h1;
    o.ca_file = ca;
    o.user_agent = ua;
    o.relay_allow_list = list;
    o.relay_allow_list_count = 2;
    o.connect_timeout_ms = 1234;
    o.request_timeout_ms = 5678;
    o.max_retries = TIGRESS_RETRIES_NONE;
    o.allow_insecure_loopback = 7;
    c = mock_client_new(m, &o);
    /* The caller may scribble over and free everything straight away. */
    memset(ca, 'X', strlen(ca));
    memset(h0, 'X', strlen(h0));
    free(ca);
    free(ua);
    free(h0);
    free(h1);
    free(list);
    co = tigress__client_options(c);
    assert_string_equal(co->ca_file, "/tmp/ca.pem");
    assert_string_equal(co->user_agent, "app/2");
    assert_int_equal(co->relay_allow_list_count, 2);
    assert_string_equal(co->relay_allow_list[0], "relay.one");
    assert_string_equal(co->relay_allow_list[1], "relay.two");
    assert_int_equal(co->connect_timeout_ms, 1234);
    assert_int_equal(co->request_timeout_ms, 5678);
    assert_int_equal(co->max_retries, 0);
    assert_int_equal(co->allow_insecure_loopback, 1);
    assert_int_equal(tigress__client_check_relay(c, "https://RELAY.two/v1/m"), TIGRESS_OK);
    tigress_client_free(c);
    mock_transport_free(m);
}

static int g_freed;
static int dummy_send(const tigress_http_request *req, tigress_http_response *resp, void *ud)
{
    (void)req, (void)resp, (void)ud;
    return TIGRESS_E_NETWORK;
}
static void count_free(void *ud) { (void)ud; g_freed++; }

static void test_client__free_calls_transport_free_once(void **state)
{
    tigress_transport t = { TIGRESS_TRANSPORT_VERSION, dummy_send, NULL, count_free, NULL };
    tigress_client_options o = TIGRESS_CLIENT_OPTIONS_INIT;
    tigress_client *c = NULL;
    (void)state;

    o.transport = &t;
    g_freed = 0;
    assert_int_equal(tigress_client_new(&c, &o), TIGRESS_OK);
    t.free = NULL; /* the vtable was copied: this change must not matter */
    tigress_client_free(c);
    assert_int_equal(g_freed, 1);
    tigress_client_free(NULL);
}

static void test_client__null_handles(void **state)
{
    (void)state;
    assert_ptr_equal(tigress_client_last_error(NULL), tigress_error_last());
    assert_int_equal(tigress_client_cancel(NULL), TIGRESS_E_INVALID);
    assert_int_equal(tigress_client_wake(NULL), TIGRESS_E_INVALID);
    assert_int_equal(tigress__client_check_relay(NULL, "https://a"), TIGRESS_E_INVALID);
}

static void test_client__last_error_slot(void **state)
{
    mock_transport *m = mock_transport_new();
    tigress_client *c = mock_client_new(m, NULL);
    const tigress_error *e = tigress_client_last_error(c);
    (void)state;

    assert_non_null(e);
    assert_int_equal(e->code, TIGRESS_OK);
    assert_string_equal(e->message, "");
    assert_int_equal(tigress__client_fail(c, TIGRESS_E_FORMAT, "bad %d", 42), TIGRESS_E_FORMAT);
    e = tigress_client_last_error(c);
    assert_int_equal(e->code, TIGRESS_E_FORMAT);
    assert_string_equal(e->message, "bad 42");
    assert_ptr_equal(&tigress__client_error(c)->pub, e);
    tigress_client_cancel(c);
    assert_true(tigress__client_cancelled(c));
    tigress__client_begin(c);
    assert_int_equal(tigress_client_last_error(c)->code, TIGRESS_OK);
    assert_false(tigress__client_cancelled(c));
    tigress_client_free(c);
    mock_transport_free(m);
}

/* ---- the relay URL policy ---- */

static tigress_status check(const char *url, int loopback, const char *const *list, size_t n,
                            mock_transport *m)
{
    tigress_client_options o = TIGRESS_CLIENT_OPTIONS_INIT;
    tigress_client *c;
    tigress_status rc;

    o.allow_insecure_loopback = loopback;
    o.relay_allow_list = list;
    o.relay_allow_list_count = n;
    c = mock_client_new(m, &o);
    rc = tigress__client_check_relay(c, url);
    assert_int_equal(tigress_client_last_error(c)->code, rc);
    tigress_client_free(c);
    return rc;
}

/* C1: https only; plain http only to loopback and only with the option. */
static void test_client__check_relay_https_only(void **state)
{
    mock_transport *m = mock_transport_new();
    (void)state;

    assert_int_equal(check("https://relay.example", 0, NULL, 0, m), TIGRESS_OK);
    assert_int_equal(check("HTTPS://relay.example:8443", 0, NULL, 0, m), TIGRESS_OK);
    assert_int_equal(check("https://relay.example/v1/m/abc?v=a#secret", 0, NULL, 0, m), TIGRESS_OK);
    assert_int_equal(check("https://[2001:db8::1]:443/v1/m", 0, NULL, 0, m), TIGRESS_OK);
    assert_int_equal(check("http://relay.example", 0, NULL, 0, m), TIGRESS_E_INSECURE);
    assert_int_equal(check("http://relay.example", 1, NULL, 0, m), TIGRESS_E_INSECURE);
    assert_int_equal(check("http://127.0.0.1:8080/v1/m", 0, NULL, 0, m), TIGRESS_E_INSECURE);
    assert_int_equal(check("http://127.0.0.1:8080/v1/m", 1, NULL, 0, m), TIGRESS_OK);
    assert_int_equal(check("http://[::1]:8080", 1, NULL, 0, m), TIGRESS_OK);
    assert_int_equal(check("http://LocalHost/v1/m", 1, NULL, 0, m), TIGRESS_OK);
    assert_int_equal(check("http://127.0.0.2", 1, NULL, 0, m), TIGRESS_E_INSECURE);
    assert_int_equal(check("http://localhost.evil.test", 1, NULL, 0, m), TIGRESS_E_INSECURE);
    assert_int_equal(check("ftp://relay.example", 1, NULL, 0, m), TIGRESS_E_INSECURE);
    assert_int_equal(check("relay.example", 0, NULL, 0, m), TIGRESS_E_URL);
    assert_int_equal(check("https://", 0, NULL, 0, m), TIGRESS_E_URL);
    assert_int_equal(check("https://:443/", 0, NULL, 0, m), TIGRESS_E_URL);
    assert_int_equal(check("https://relay.example:44x3", 0, NULL, 0, m), TIGRESS_E_URL);
    assert_int_equal(check("https://relay.example:", 0, NULL, 0, m), TIGRESS_E_URL);
    assert_int_equal(check("https://good.example@evil.example/", 0, NULL, 0, m), TIGRESS_E_URL);
    assert_int_equal(check("https://rel ay.example/", 0, NULL, 0, m), TIGRESS_E_URL);
    assert_int_equal(check("https://[::1/", 0, NULL, 0, m), TIGRESS_E_URL);
    assert_int_equal(mock_request_count(m), 0); /* a check never sends anything */
    mock_transport_free(m);
}

/* The relay policy splits URLs with the Share URL parser's splitter: the port is range-checked
 * (1..65535) there as in a Share URL, and an out-of-range one is refused before any request. */
static void test_client__check_relay_port_range(void **state)
{
    mock_transport *m = mock_transport_new();
    tigress_share_url *u = NULL;
    (void)state;

    assert_int_equal(check("https://relay.test:99999", 0, NULL, 0, m), TIGRESS_E_URL);
    assert_int_equal(check("https://relay.test:0/v1/m", 0, NULL, 0, m), TIGRESS_E_URL);
    assert_int_equal(check("https://relay.test:123456", 0, NULL, 0, m), TIGRESS_E_URL);
    assert_int_equal(check("https://[::1]:65536", 0, NULL, 0, m), TIGRESS_E_URL);
    assert_int_equal(check("https://relay.test:65535", 0, NULL, 0, m), TIGRESS_OK);
    assert_int_equal(check("https://relay.test:1/v1/m", 0, NULL, 0, m), TIGRESS_OK);
    /* The same URL as a Share URL is refused with the same status. */
    assert_int_equal(tigress_share_url_parse(&u, "https://relay.test:99999/v1/m/"
                                             "123e4567-e89b-42d3-a456-426614174000", 0),
                     TIGRESS_E_URL);
    assert_null(u);
    assert_int_equal(mock_request_count(m), 0);
    mock_transport_free(m);
}

/* C15: only allow-listed hosts (exact, case-insensitive), checked with no request made. */
static void test_client__check_relay_allow_list(void **state)
{
    const char *list[] = { "relay.example", "Other.Example" };
    const char *empty[] = { NULL };
    mock_transport *m = mock_transport_new();
    (void)state;

    assert_int_equal(check("https://relay.example/v1/m", 0, list, 2, m), TIGRESS_OK);
    assert_int_equal(check("https://RELAY.EXAMPLE:8443", 0, list, 2, m), TIGRESS_OK);
    assert_int_equal(check("https://other.example", 0, list, 2, m), TIGRESS_OK);
    assert_int_equal(check("https://evil.example", 0, list, 2, m), TIGRESS_E_NOT_ALLOWED);
    assert_int_equal(check("https://sub.relay.example", 0, list, 2, m), TIGRESS_E_NOT_ALLOWED);
    assert_int_equal(check("https://relay.example.evil", 0, list, 2, m), TIGRESS_E_NOT_ALLOWED);
    assert_int_equal(check("https://relay.exampl", 0, list, 2, m), TIGRESS_E_NOT_ALLOWED);
    /* Insecure beats not-allowed: the scheme is checked first. */
    assert_int_equal(check("http://evil.example", 0, list, 2, m), TIGRESS_E_INSECURE);
    /* A present but empty list allows nothing. */
    assert_int_equal(check("https://relay.example", 0, empty, 0, m), TIGRESS_E_NOT_ALLOWED);
    assert_int_equal(mock_request_count(m), 0);
    mock_transport_free(m);
}

/* C15 through the HTTP layer: a refused host is never contacted. */
static void test_client__not_allowed_host_gets_no_request(void **state)
{
    const char *list[] = { "relay.example" };
    tigress_client_options o = TIGRESS_CLIENT_OPTIONS_INIT;
    mock_transport *m = mock_transport_new();
    tigress_client *c;
    tigress__request r;
    tigress__response resp = { 0 };
    (void)state;

    o.relay_allow_list = list;
    o.relay_allow_list_count = 1;
    c = mock_client_new(m, &o);
    memset(&r, 0, sizeof(r));
    r.method = "POST";
    r.url = "https://evil.example/v1/m";
    mock_push_response(m, 200, "{}");
    assert_int_equal(tigress__http_call(c, &r, &resp), TIGRESS_E_NOT_ALLOWED);
    assert_non_null(strstr(tigress_client_last_error(c)->message, "evil.example"));
    assert_int_equal(mock_request_count(m), 0);
    tigress__response_clear(&resp);
    tigress_client_free(c);
    mock_transport_free(m);
}

/* ---- sleep, wake, cancel, clock ---- */

static void test_client__fake_clock_sleep_and_wake(void **state)
{
    mock_transport *m = mock_transport_new();
    tigress_client *c = mock_client_new(m, NULL);
    (void)state;

    mock_clock_install(5000);
    assert_int_equal(tigress__now_ms(), 5000);
    assert_int_equal(tigress__client_sleep(c, 250), TIGRESS_OK);
    assert_int_equal(tigress__now_ms(), 5250);
    assert_int_equal(mock_clock_sleep_count(), 1);
    /* A wake before the sleep ends it at once with OK, and is consumed. */
    assert_int_equal(tigress_client_wake(c), TIGRESS_OK);
    assert_int_equal(tigress__client_sleep(c, 10000), TIGRESS_OK);
    assert_int_equal(mock_clock_sleep_count(), 1);
    assert_int_equal(tigress__client_sleep(c, 100), TIGRESS_OK);
    assert_int_equal(mock_clock_sleep_count(), 2);
    /* The back-off variant ignores wake. */
    tigress_client_wake(c);
    assert_int_equal(tigress__client_backoff(c, 300), TIGRESS_OK);
    assert_int_equal(mock_clock_sleep_count(), 3);
    /* Cancel ends both. */
    tigress_client_cancel(c);
    assert_int_equal(tigress__client_sleep(c, 100), TIGRESS_E_CANCELLED);
    assert_int_equal(tigress__client_backoff(c, 100), TIGRESS_E_CANCELLED);
    assert_int_equal(mock_clock_sleep_count(), 3);
    mock_clock_uninstall();
    tigress_client_free(c);
    mock_transport_free(m);
}

static void test_client__real_clock_is_monotonic(void **state)
{
    int64_t a, b;
    (void)state;

    a = tigress__now_ms();
    b = tigress__now_ms();
    assert_true(a > 0);
    assert_true(b >= a);
}

typedef struct poker {
    tigress_client *c;
    bool cancel;
} poker;

static void *poke_thread(void *arg)
{
    poker *p = arg;
    struct timespec ts = { 0, 100 * 1000000L };

    nanosleep(&ts, NULL);
    if (p->cancel)
        tigress_client_cancel(p->c);
    else
        tigress_client_wake(p->c);
    return NULL;
}

/* Real clock and a second thread: a 60 s sleep ends early on wake (OK) and on cancel. */
static void test_client__wake_and_cancel_interrupt_real_sleep(void **state)
{
    mock_transport *m = mock_transport_new();
    tigress_client *c = mock_client_new(m, NULL);
    poker p = { c, false };
    pthread_t th;
    (void)state;

    assert_int_equal(pthread_create(&th, NULL, poke_thread, &p), 0);
    assert_int_equal(tigress__client_sleep(c, 60000), TIGRESS_OK);
    pthread_join(th, NULL);
    p.cancel = true;
    assert_int_equal(pthread_create(&th, NULL, poke_thread, &p), 0);
    assert_int_equal(tigress__client_sleep(c, 60000), TIGRESS_E_CANCELLED);
    pthread_join(th, NULL);
    assert_int_equal(mock_cancel_count(m), 1); /* the transport's cancel slot was called */
    /* A short sleep with nothing pending simply passes. */
    tigress__client_begin(c);
    assert_int_equal(tigress__client_sleep(c, 1), TIGRESS_OK);
    assert_int_equal(tigress__client_sleep(c, -5), TIGRESS_OK);
    tigress_client_free(c);
    mock_transport_free(m);
}

int main(void)
{
    const struct CMUnitTest first[] = {
        cmocka_unit_test(test_client__new_without_global_init_fails),
        cmocka_unit_test(test_client__out_of_memory_paths),
    };
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_client__options_init_matches_macro),
        cmocka_unit_test(test_client__options_init_rejects_bad_args),
        cmocka_unit_test(test_client__new_rejects_bad_options),
        cmocka_unit_test(test_client__defaults_applied),
        cmocka_unit_test(test_client__options_deep_copied),
        cmocka_unit_test(test_client__options_version_1_and_provider_checks),
        cmocka_unit_test(test_client__free_calls_transport_free_once),
        cmocka_unit_test(test_client__null_handles),
        cmocka_unit_test(test_client__last_error_slot),
        cmocka_unit_test(test_client__check_relay_https_only),
        cmocka_unit_test(test_client__check_relay_allow_list),
        cmocka_unit_test(test_client__check_relay_port_range),
        cmocka_unit_test(test_client__not_allowed_host_gets_no_request),
        cmocka_unit_test(test_client__fake_clock_sleep_and_wake),
        cmocka_unit_test(test_client__real_clock_is_monotonic),
        cmocka_unit_test(test_client__wake_and_cancel_interrupt_real_sleep),
    };
    int failed = cmocka_run_group_tests_name("client_uninitialised", first, NULL, NULL);

    return failed + cmocka_run_group_tests_name("client", tests, group_setup, group_teardown);
}
