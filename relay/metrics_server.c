/*
 * relay/metrics_server.c: /metrics (the counters of metrics.c, and the store's live
 * mailboxes) and /healthz, served by a second, plain-HTTP daemon that may only listen on a
 * loopback address.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <microhttpd.h>

#include "relay.h"

static struct MHD_Daemon *g_daemon;
static store *g_store;

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
        body = metrics_render(store_count(g_store), &len);
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
