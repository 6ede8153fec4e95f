/* See push_receiver.h. */
#include "push_receiver.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <microhttpd.h>

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    char *buf = calloc(1, 65536);
    if (buf && fread(buf, 1, 65535, f) == 0) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    return buf;
}

typedef struct req_ctx { size_t body; } req_ctx;

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version,
                                  const char *upload, size_t *upload_size, void **con_cls)
{
    (void)version;
    (void)upload;
    push_receiver *r = cls;
    req_ctx *c = *con_cls;
    if (c == NULL) {
        c = calloc(1, sizeof *c);
        *con_cls = c;
        return c ? MHD_YES : MHD_NO;
    }
    if (*upload_size) {
        c->body += *upload_size;
        *upload_size = 0;
        return MHD_YES;
    }
    unsigned code = 404;
    if (strcmp(method, "POST") == 0 && strncmp(url, "/push/", 6) == 0) {
        pthread_mutex_lock(&r->lock);
        int *counter = strcmp(url + 6, "alice") == 0 ? &r->alice
                     : strcmp(url + 6, "bob") == 0 ? &r->bob : NULL;
        if (counter) {
            (*counter)++;
            r->last_body_len = c->body;
            r->last_had_ttl =
                MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "TTL") != NULL;
            code = 201;
            if (counter == &r->alice && r->wake_on_alice)
                tigress_client_wake(r->wake_on_alice);
            pthread_cond_broadcast(&r->cond);
        }
        pthread_mutex_unlock(&r->lock);
    }
    struct MHD_Response *resp = MHD_create_response_from_buffer(0, (void *)(uintptr_t)"",
                                                                MHD_RESPMEM_PERSISTENT);
    enum MHD_Result ret = MHD_queue_response(conn, code, resp);
    MHD_destroy_response(resp);
    return ret;
}

static void on_done(void *cls, struct MHD_Connection *conn, void **con_cls,
                    enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)conn;
    (void)toe;
    free(*con_cls);
    *con_cls = NULL;
}

int push_receiver_start(push_receiver *r, const char *cert_dir)
{
    memset(r, 0, sizeof *r);
    pthread_mutex_init(&r->lock, NULL);
    pthread_cond_init(&r->cond, NULL);
    char path[512];
    snprintf(path, sizeof path, "%s/cert.pem", cert_dir);
    r->cert = slurp(path);
    snprintf(path, sizeof path, "%s/key.pem", cert_dir);
    r->key = slurp(path);
    if (r->cert == NULL || r->key == NULL)
        return -1;
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    r->daemon = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_TLS, 0, NULL, NULL,
                                 on_request, r, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
                                 MHD_OPTION_HTTPS_MEM_CERT, r->cert,
                                 MHD_OPTION_HTTPS_MEM_KEY, r->key,
                                 MHD_OPTION_NOTIFY_COMPLETED, on_done, NULL, MHD_OPTION_END);
    if (r->daemon == NULL)
        return -1;
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(r->daemon, MHD_DAEMON_INFO_BIND_PORT);
    r->port = info ? info->port : 0;
    return r->port > 0 ? 0 : -1;
}

void push_receiver_stop(push_receiver *r)
{
    if (r->daemon)
        MHD_stop_daemon(r->daemon);
    r->daemon = NULL;
    free(r->cert);
    free(r->key);
    r->cert = r->key = NULL;
}

void push_receiver_url(const push_receiver *r, const char *name, char *out, size_t size)
{
    snprintf(out, size, "https://127.0.0.1:%d/push/%s", r->port, name);
}

void push_receiver_set_wake(push_receiver *r, tigress_client *client)
{
    pthread_mutex_lock(&r->lock);
    r->wake_on_alice = client;
    pthread_mutex_unlock(&r->lock);
}

int push_receiver_count(push_receiver *r, const char *name)
{
    pthread_mutex_lock(&r->lock);
    int n = strcmp(name, "alice") == 0 ? r->alice : r->bob;
    pthread_mutex_unlock(&r->lock);
    return n;
}

int push_receiver_await(push_receiver *r, const char *name, int n, long timeout_ms)
{
    struct timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += timeout_ms / 1000;
    pthread_mutex_lock(&r->lock);
    int *counter = strcmp(name, "alice") == 0 ? &r->alice : &r->bob;
    while (*counter < n && pthread_cond_timedwait(&r->cond, &r->lock, &deadline) == 0)
        ;
    int reached = *counter >= n;
    pthread_mutex_unlock(&r->lock);
    return reached;
}
