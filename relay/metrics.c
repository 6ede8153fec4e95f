/*
 * relay/metrics.c: the relay's counters and their Prometheus text (format 0.0.4). A leaf:
 * server.c, routes*.c, push.c and main.c count here; metrics_server.c serves the text.
 * Counters are process-wide atomics; nothing here names a mailbox, claim or client.
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

#include "relay.h"

static atomic_long g_counters[M_COUNTER_MAX];
static atomic_long g_waiting;

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

char *metrics_render(long live, size_t *len)
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
