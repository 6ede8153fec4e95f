/*
 * bench/ceiling_server.c: the bare HTTP stack the relay is built on, doing no work, so that
 * relay throughput can be stated as a fraction of what libmicrohttpd + GnuTLS can carry on
 * the same machine in the same run.
 *
 * Same settings as relay/server.c: MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO |
 * MHD_ALLOW_SUSPEND_RESUME, a thread pool (--threads, default 8 like the relay), connection
 * limit 1024, 8 KiB per-connection memory, 30 s idle timeout, TLS 1.3/1.2 with the relay's
 * priority string, and the certificate and key from PEM files. It reads (and drops) any
 * request body, then answers 200 with a fixed JSON body of about the size of a relay answer.
 *
 *   ceiling_server --listen 127.0.0.1:0 --cert FILE --key FILE [--threads N]
 * prints "listening on https://127.0.0.1:PORT" and runs until SIGTERM/SIGINT.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <microhttpd.h>

static const char BODY[] =
    "{\"urlLink\":\"https://127.0.0.1/v1/m/00000000-0000-4000-8000-000000000000\","
    "\"isPushNotificationSupported\":false}";

static volatile sig_atomic_t g_stop;

static void on_signal(int sig)
{
    (void)sig;
    g_stop = 1;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *upload,
                                  size_t *upload_size, void **con_cls)
{
    (void)cls;
    (void)url;
    (void)method;
    (void)version;
    (void)upload;
    static int marker;
    if (*con_cls == NULL) {        /* first call: headers only */
        *con_cls = &marker;
        return MHD_YES;
    }
    if (*upload_size > 0) {        /* drop the body */
        *upload_size = 0;
        return MHD_YES;
    }
    struct MHD_Response *r =
        MHD_create_response_from_buffer(sizeof BODY - 1, (void *)(uintptr_t)BODY,
                                        MHD_RESPMEM_PERSISTENT);
    if (r == NULL)
        return MHD_NO;
    MHD_add_response_header(r, "Content-Type", "application/json");
    MHD_add_response_header(r, "Cache-Control", "no-store");
    enum MHD_Result ret = MHD_queue_response(c, MHD_HTTP_OK, r);
    MHD_destroy_response(r);
    return ret;
}

static char *read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    char *buf = calloc(1, 65536);
    size_t n = buf != NULL ? fread(buf, 1, 65535, f) : 0;
    fclose(f);
    if (n == 0) {
        free(buf);
        return NULL;
    }
    return buf;
}

static int listen_socket(const char *listen_addr, unsigned *port)
{
    char host[64];
    const char *colon = strrchr(listen_addr, ':');
    if (colon == NULL || (size_t)(colon - listen_addr) >= sizeof host)
        return -1;
    memcpy(host, listen_addr, (size_t)(colon - listen_addr));
    host[colon - listen_addr] = '\0';
    struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(colon + 1))};
    if (inet_pton(AF_INET, host, &sin.sin_addr) != 1)
        return -1;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (fd < 0 || bind(fd, (struct sockaddr *)&sin, sizeof sin) != 0 || listen(fd, 256) != 0)
        return -1;
    socklen_t sl = sizeof sin;
    getsockname(fd, (struct sockaddr *)&sin, &sl);
    *port = ntohs(sin.sin_port);
    return fd;
}

int main(int argc, char **argv)
{
    const char *listen_addr = "127.0.0.1:0", *cert = NULL, *key = NULL;
    unsigned threads = 8;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--listen") == 0)
            listen_addr = argv[i + 1];
        else if (strcmp(argv[i], "--cert") == 0)
            cert = argv[i + 1];
        else if (strcmp(argv[i], "--key") == 0)
            key = argv[i + 1];
        else if (strcmp(argv[i], "--threads") == 0)
            threads = (unsigned)atoi(argv[i + 1]);
    }
    char *cert_pem = cert != NULL ? read_file(cert) : NULL;
    char *key_pem = key != NULL ? read_file(key) : NULL;
    unsigned port = 0;
    int fd = listen_socket(listen_addr, &port);
    if (cert_pem == NULL || key_pem == NULL || fd < 0 || threads == 0) {
        fprintf(stderr, "usage: ceiling_server --listen 127.0.0.1:PORT --cert PEM --key PEM "
                        "[--threads N]\n");
        return 64;
    }
    struct MHD_Daemon *d = MHD_start_daemon(
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_TLS,
        0, NULL, NULL, on_request, NULL,
        MHD_OPTION_LISTEN_SOCKET, fd,
        MHD_OPTION_THREAD_POOL_SIZE, threads,
        MHD_OPTION_CONNECTION_LIMIT, 1024u,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)8192,
        MHD_OPTION_CONNECTION_TIMEOUT, 30u,
        MHD_OPTION_HTTPS_MEM_CERT, cert_pem,
        MHD_OPTION_HTTPS_MEM_KEY, key_pem,
        MHD_OPTION_HTTPS_PRIORITIES, "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2",
        MHD_OPTION_END);
    if (d == NULL) {
        fprintf(stderr, "ceiling_server: libmicrohttpd did not start (TLS?)\n");
        return 66;
    }
    signal(SIGTERM, on_signal);
    signal(SIGINT, on_signal);
    printf("listening on https://127.0.0.1:%u\n", port);
    fflush(stdout);
    while (!g_stop)
        pause();
    MHD_stop_daemon(d);
    free(cert_pem);
    free(key_pem);
    return 0;
}
