/*
 * relay/metrics.c: counters, /metrics (Prometheus text format 0.0.4) and /healthz, served by a
 * second, plain-HTTP daemon that may only listen on a loopback address.
 * Counters are process-wide atomics; nothing here names a mailbox, claim or client.
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <microhttpd.h>

#include "relay.h"

static atomic_long g_counters[M_COUNTER_MAX];
static atomic_long g_waiting;
static struct MHD_Daemon *g_daemon;
static store *g_store;

static const struct {
    const char *name, *help;
} g_names[M_COUNTER_MAX] = {
    [M_REQUESTS] = {"tigress_relay_requests_total", "HTTP requests answered"},
    [M_CREATED] = {"tigress_relay_mailboxes_created_total", "mailboxes created"},
    [M_READS] = {"tigress_relay_secure_reads_total", "successful secure reads"},
    [M_UPDATES] = {"tigress_relay_updates_total", "successful updates"},
    [M_DELETES] = {"tigress_relay_deletes_total", "successful deletes"},
    [M_RELINQUISHES] = {"tigress_relay_relinquishes_total", "successful relinquishes"},
    [M_PREVIEWS] = {"tigress_relay_previews_total", "preview pages served"},
    [M_DUPLICATES] = {"tigress_relay_duplicates_total", "duplicate requests answered with 201"},
    [M_STATUS_2XX] = {"tigress_relay_responses_2xx_total", "2xx responses"},
    [M_STATUS_3XX] = {"tigress_relay_responses_3xx_total", "3xx responses"},
    [M_STATUS_4XX] = {"tigress_relay_responses_4xx_total", "4xx responses"},
    [M_STATUS_5XX] = {"tigress_relay_responses_5xx_total", "5xx responses"},
    [M_RATE_LIMITED] = {"tigress_relay_rate_limited_total", "requests refused with 429"},
    [M_PUSH_SENT] = {"tigress_relay_push_sent_total", "pushes accepted by a push service"},
    [M_PUSH_FAILED] = {"tigress_relay_push_failed_total", "pushes given up after retries"},
    [M_PUSH_REFUSED] = {"tigress_relay_push_refused_total",
                        "pushes refused because the target is not a public address"},
    [M_SWEPT] = {"tigress_relay_expired_swept_total", "expired mailboxes removed by the sweeper"},
};

void metrics_inc(enum relay_counter c)
{
    atomic_fetch_add(&g_counters[c], 1);
}

void metrics_add(enum relay_counter c, long n)
{
    atomic_fetch_add(&g_counters[c], n);
}

void metrics_waiting(int delta)
{
    atomic_fetch_add(&g_waiting, delta);
}

static char *render(size_t *len)
{
    size_t cap = 8192;
    char *out = malloc(cap);
    if (out == NULL)
        return NULL;
    size_t n = 0;
    for (int i = 0; i < M_COUNTER_MAX; i++)
        n += (size_t)snprintf(out + n, cap - n, "# HELP %s %s\n# TYPE %s counter\n%s %ld\n",
                              g_names[i].name, g_names[i].help, g_names[i].name,
                              g_names[i].name, atomic_load(&g_counters[i]));
    long live = store_count(g_store);
    n += (size_t)snprintf(out + n, cap - n,
                          "# HELP tigress_relay_mailboxes_live mailboxes in the store\n"
                          "# TYPE tigress_relay_mailboxes_live gauge\n"
                          "tigress_relay_mailboxes_live %ld\n"
                          "# HELP tigress_relay_longpoll_waiting held secure reads\n"
                          "# TYPE tigress_relay_longpoll_waiting gauge\n"
                          "tigress_relay_longpoll_waiting %ld\n",
                          live, atomic_load(&g_waiting));
    *len = n < cap ? n : cap - 1;
    return out;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version,
                                  const char *upload, size_t *upload_size, void **con_cls)
{
    (void)cls;
    (void)version;
    (void)upload;
    (void)con_cls;
    if (*upload_size > 0) {
        *upload_size = 0;
        return MHD_YES;
    }
    unsigned status = 200;
    const char *type = "text/plain; version=0.0.4; charset=utf-8";
    char *body = NULL;
    size_t len = 0;
    if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0) {
        status = 405;
    } else if (strcmp(url, "/metrics") == 0) {
        body = render(&len);
    } else if (strcmp(url, "/healthz") == 0) {
        /* Healthy when the store answers. */
        long live = store_count(g_store);
        status = live >= 0 ? 200 : 503;
        body = malloc(16);
        if (body != NULL)
            len = (size_t)snprintf(body, 16, "%s\n", live >= 0 ? "ok" : "unavailable");
    } else {
        status = 404;
    }
    struct MHD_Response *r =
        body != NULL ? MHD_create_response_from_buffer_with_free_callback(len, body, free)
                     : MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
    if (r == NULL) {
        free(body);
        return MHD_NO;
    }
    MHD_add_response_header(r, "Content-Type", type);
    MHD_add_response_header(r, "Cache-Control", "no-store");
    enum MHD_Result ret = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return ret;
}

int metrics_start(const char *listen, store *st)
{
    g_store = st;
    if (listen == NULL || listen[0] == '\0')
        return 0;
    struct sockaddr_storage ss;
    unsigned len;
    bool loopback;
    if (!relay_parse_listen(listen, &ss, &len, &loopback) || !loopback) {
        relay_log(LOG_ERROR, "event=start error=\"--metrics-listen must be a loopback ADDR:PORT\"");
        return RELAY_EXIT_USAGE;
    }
    g_daemon = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO, 0, NULL, NULL,
                                on_request, NULL, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
                                MHD_OPTION_CONNECTION_LIMIT, 16u,
                                MHD_OPTION_CONNECTION_TIMEOUT, 10u, MHD_OPTION_END);
    if (g_daemon == NULL) {
        relay_log(LOG_ERROR, "event=start error=\"cannot listen on --metrics-listen %s\"", listen);
        return RELAY_EXIT_LISTEN;
    }
    const union MHD_DaemonInfo *di = MHD_get_daemon_info(g_daemon, MHD_DAEMON_INFO_BIND_PORT);
    if (di != NULL) {
        printf("metrics on port %u\n", (unsigned)di->port);
        fflush(stdout);
    }
    return 0;
}

void metrics_stop(void)
{
    if (g_daemon != NULL)
        MHD_stop_daemon(g_daemon);
    g_daemon = NULL;
}
