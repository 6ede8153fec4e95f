/*
 * relay/store/redis_tls.c: the TLS tunnel behind rediss:// (see redis_tls.h for the contract).
 *
 * redis_tls_connect() does everything that can fail in a way the operator must hear about
 * (name lookup, TCP connect, loading the CA and the client certificate, the handshake with
 * certificate and host name verification) synchronously, under one deadline. Only then does
 * it create the socket pair and give the session, the credentials and the pump-side end to a
 * pump thread, which owns them from that moment and frees them when it ends.
 *
 * The pump: both descriptors non-blocking, one buffer per direction, poll() on exactly the
 * events that can make progress (a full buffer stops reading its source), so it never spins
 * and a slow reader on one side cannot deadlock the other direction. GnuTLS may hold
 * decrypted bytes that poll() cannot see: gnutls_record_check_pending() is asked first.
 */
#include "redis_tls.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#define RT_DEFAULT_TIMEOUT_MS 5000
#define RT_BUF 16384

/* ---- live tunnels, and reaping their threads ---------------------------------------------
 *
 * Pump threads are joinable rather than detached: a detached thread may still be running its
 * last instructions when the program exits right after the store closed, which valgrind
 * reports as a lost thread block. A pump that is done puts its handle on g_done; the next
 * redis_tls_connect() or redis_tls_wait_idle() joins it (the join is immediate: the thread
 * has nothing left to do), so finished threads never pile up. */

typedef struct reap_node {
    pthread_t th;
    struct reap_node *next;
} reap_node;

static pthread_mutex_t g_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t g_idle = PTHREAD_COND_INITIALIZER;
static unsigned g_active;       /* pumps started and not yet on g_done */
static reap_node *g_done;       /* finished pumps, to be joined */
static atomic_ulong g_wakeups;  /* poll() returns in all pump threads, ever */

/* Called by a pump as its last act; node was allocated when the pump started. */
static void pump_finished(reap_node *node)
{
    pthread_mutex_lock(&g_mu);
    node->next = g_done;
    g_done = node;
    g_active--;
    if (g_active == 0)
        pthread_cond_broadcast(&g_idle);
    pthread_mutex_unlock(&g_mu);
}

/* Joins every finished pump. */
static void reap(void)
{
    pthread_mutex_lock(&g_mu);
    reap_node *n = g_done;
    g_done = NULL;
    pthread_mutex_unlock(&g_mu);
    while (n != NULL) {
        reap_node *next = n->next;
        pthread_join(n->th, NULL);
        free(n);
        n = next;
    }
}

unsigned redis_tls_active(void)
{
    pthread_mutex_lock(&g_mu);
    unsigned n = g_active;
    pthread_mutex_unlock(&g_mu);
    return n;
}

unsigned long redis_tls_wakeups(void)
{
    return atomic_load(&g_wakeups);
}

bool redis_tls_wait_idle(int timeout_ms)
{
    /* The condition variable uses CLOCK_REALTIME (the default): a clock step can only make
     * this wait shorter or longer, never wrong, since the count is checked again. */
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += timeout_ms / 1000;
    until.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&g_mu);
    int rc = 0;
    while (g_active > 0 && rc == 0)
        rc = pthread_cond_timedwait(&g_idle, &g_mu, &until);
    bool idle = g_active == 0;
    pthread_mutex_unlock(&g_mu);
    reap();
    return idle;
}

/* ---- small helpers ------------------------------------------------------------------- */

__attribute__((format(printf, 3, 4)))
static void set_err(char *err, size_t err_len, const char *fmt, ...)
{
    if (err == NULL || err_len == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, err_len, fmt, ap);
    va_end(ap);
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Milliseconds left before deadline, at least 0. */
static int left_ms(int64_t deadline)
{
    int64_t left = deadline - now_ms();
    return left > 0 ? (int)left : 0;
}

static int set_nonblock(int fd)
{
    int fl = fcntl(fd, F_GETFL);
    return fl < 0 ? -1 : fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

/* Waits for events on fd until deadline: 1 ready, 0 timed out, -1 error. */
static int wait_fd(int fd, short events, int64_t deadline)
{
    for (;;) {
        struct pollfd p = {.fd = fd, .events = events};
        int n = poll(&p, 1, left_ms(deadline));
        if (n >= 0)
            return n > 0 ? 1 : 0;
        if (errno != EINTR)
            return -1;
    }
}

/* ---- TCP connect ------------------------------------------------------------------------ */

/* One non-blocking connect attempt to ai, bounded by deadline. The socket or -1. */
static int connect_one(const struct addrinfo *ai, int64_t deadline)
{
    int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
    if (fd < 0)
        return -1;
    if (set_nonblock(fd) != 0) {
        close(fd);
        return -1;
    }
    if (connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
        int soerr = 0;
        socklen_t len = sizeof soerr;
        if (errno != EINPROGRESS || wait_fd(fd, POLLOUT, deadline) != 1 ||
            getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) != 0 || soerr != 0) {
            close(fd);
            return -1;
        }
    }
    /* Keep-alive, timed as hiredis's redisEnableKeepAlive() (which fails on the caller's
     * AF_UNIX end, so it has to be done here): a server gone silently is noticed within about
     * 30 s even on an idle tunnel such as a pub/sub subscriber's. No Nagle: a request is one
     * small record, waiting for an ACK only adds latency (hiredis does the same). */
    int on = 1, idle = 15, intvl = 5, cnt = 3;
    (void)setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof on);
    (void)setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof idle);
    (void)setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &intvl, sizeof intvl);
    (void)setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &cnt, sizeof cnt);
    (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
    return fd;
}

static int tcp_connect(const char *host, int port, int64_t deadline, char *err, size_t err_len)
{
    char portstr[16];
    snprintf(portstr, sizeof portstr, "%d", port);
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *res = NULL;
    int rc = getaddrinfo(host, portstr, &hints, &res);
    if (rc != 0) {
        set_err(err, err_len, "redis TLS: cannot resolve %s: %s", host, gai_strerror(rc));
        return -1;
    }
    int fd = -1;
    for (const struct addrinfo *ai = res; ai != NULL && fd < 0; ai = ai->ai_next)
        if (left_ms(deadline) > 0)
            fd = connect_one(ai, deadline);
    freeaddrinfo(res);
    if (fd < 0)
        set_err(err, err_len, "redis TLS: cannot connect to %s port %s", host, portstr);
    return fd;
}

/* ---- TLS session ------------------------------------------------------------------------ */

/* The credentials of o; NULL on failure, with *config set when the files are at fault. */
static gnutls_certificate_credentials_t load_creds(const redis_tls_opts *o, bool *config,
                                                   char *err, size_t err_len)
{
    gnutls_certificate_credentials_t cred = NULL;
    if (gnutls_certificate_allocate_credentials(&cred) < 0) {
        set_err(err, err_len, "redis TLS: out of memory");
        return NULL;
    }
    int rc;
    if (o->ca_file != NULL) {
        rc = gnutls_certificate_set_x509_trust_file(cred, o->ca_file, GNUTLS_X509_FMT_PEM);
        if (rc <= 0) {
            set_err(err, err_len, "redis TLS: no CA certificate could be read from %s",
                    o->ca_file);
            goto fail;
        }
    } else {
        rc = gnutls_certificate_set_x509_system_trust(cred);
        if (rc < 0) {
            set_err(err, err_len, "redis TLS: cannot load the system trust store: %s",
                    gnutls_strerror(rc));
            goto fail;
        }
    }
    if (o->cert_file != NULL) {
        const char *key = o->key_file != NULL ? o->key_file : o->cert_file;
        rc = gnutls_certificate_set_x509_key_file(cred, o->cert_file, key, GNUTLS_X509_FMT_PEM);
        if (rc < 0) {
            /* gnutls_strerror names the failure kind only; no key material reaches err. */
            set_err(err, err_len,
                    "redis TLS: cannot load the client certificate %s or its key: %s",
                    o->cert_file, gnutls_strerror(rc));
            goto fail;
        }
    } else if (o->key_file != NULL) {
        set_err(err, err_len, "redis TLS: a client key needs a client certificate");
        goto fail;
    }
    return cred;
fail:
    *config = true;
    gnutls_certificate_free_credentials(cred);
    return NULL;
}

static bool is_ip_literal(const char *name)
{
    unsigned char buf[sizeof(struct in6_addr)];
    return inet_pton(AF_INET, name, buf) == 1 || inet_pton(AF_INET6, name, buf) == 1;
}

/* Explains a failed handshake in err: the verification status when that was the cause. */
static void handshake_err(gnutls_session_t s, int rc, char *err, size_t err_len)
{
    if (rc != GNUTLS_E_CERTIFICATE_VERIFICATION_ERROR) {
        set_err(err, err_len, "redis TLS: handshake failed: %s", gnutls_strerror(rc));
        return;
    }
    gnutls_datum_t why = {NULL, 0};
    unsigned status = gnutls_session_get_verify_cert_status(s);
    if (gnutls_certificate_verification_status_print(status, gnutls_certificate_type_get(s),
                                                     &why, 0) == 0 && why.data != NULL) {
        /* GnuTLS ends the text with a space; drop trailing blanks for a tidy log line. */
        size_t n = strlen((const char *)why.data);
        while (n > 0 && why.data[n - 1] == ' ')
            why.data[--n] = '\0';
        set_err(err, err_len, "redis TLS: server certificate verification failed: %s",
                (const char *)why.data);
    } else {
        set_err(err, err_len, "redis TLS: server certificate verification failed");
    }
    gnutls_free(why.data);
}

/* A session on fd with verification of name; handshake done by deadline. NULL on failure. */
static gnutls_session_t tls_open(int fd, const char *name, gnutls_certificate_credentials_t cred,
                                 int64_t deadline, bool *config, char *err, size_t err_len)
{
    gnutls_session_t s = NULL;
    if (gnutls_init(&s, GNUTLS_CLIENT | GNUTLS_NONBLOCK | GNUTLS_NO_SIGNAL) < 0) {
        set_err(err, err_len, "redis TLS: out of memory");
        return NULL;
    }
    int rc = gnutls_set_default_priority(s);
    if (rc >= 0)
        rc = gnutls_credentials_set(s, GNUTLS_CRD_CERTIFICATE, cred);
    /* SNI carries DNS names only (RFC 6066 section 3); an IP is still verified, against the
     * certificate's IP subjectAltName. */
    if (rc >= 0 && !is_ip_literal(name))
        rc = gnutls_server_name_set(s, GNUTLS_NAME_DNS, name, strlen(name));
    if (rc < 0) {
        set_err(err, err_len, "redis TLS: cannot set up the session: %s", gnutls_strerror(rc));
        gnutls_deinit(s);
        return NULL;
    }
    gnutls_session_set_verify_cert(s, name, 0);
    gnutls_transport_set_int(s, fd);
    for (;;) {
        rc = gnutls_handshake(s);
        if (rc >= 0)
            return s;
        if (rc != GNUTLS_E_AGAIN && rc != GNUTLS_E_INTERRUPTED && gnutls_error_is_fatal(rc)) {
            handshake_err(s, rc, err, err_len);
            *config = rc == GNUTLS_E_CERTIFICATE_VERIFICATION_ERROR;
            break;
        }
        if (rc == GNUTLS_E_AGAIN || rc == GNUTLS_E_INTERRUPTED) {
            short ev = gnutls_record_get_direction(s) ? POLLOUT : POLLIN;
            int w = wait_fd(fd, ev, deadline);
            if (w != 1) {
                set_err(err, err_len, "redis TLS: %s with %s", w == 0 ? "handshake timed out"
                        : "poll failed", name);
                break;
            }
        }
    }
    gnutls_deinit(s);
    return NULL;
}

/* ---- the pump thread -------------------------------------------------------------------- */

typedef struct pump {
    reap_node *node;            /* this thread's handle, for reap() */
    gnutls_session_t s;
    gnutls_certificate_credentials_t cred;
    int tcp;                    /* to the server, TLS */
    int app;                    /* our end of the socket pair, plaintext */
    size_t up_len, up_off;      /* app -> server bytes in up[] */
    size_t down_len, down_off;  /* server -> app bytes in down[] */
    bool app_eof, tls_eof;
    bool up_dir_write, down_dir_write; /* which way a pending GnuTLS call is blocked */
    unsigned char up[RT_BUF];
    unsigned char down[RT_BUF];
} pump;

static bool would_block(int e)
{
    return e == EAGAIN || e == EWOULDBLOCK || e == EINTR;
}

/* app -> TLS. -1 when the tunnel is broken. */
static int pump_up(pump *p)
{
    if (p->up_len == 0 && !p->app_eof) {
        ssize_t n = recv(p->app, p->up, sizeof p->up, 0);
        if (n > 0) {
            p->up_len = (size_t)n;
            p->up_off = 0;
        } else if (n == 0) {
            p->app_eof = true;
        } else if (!would_block(errno)) {
            return -1;
        }
    }
    while (p->up_off < p->up_len) {
        /* After GNUTLS_E_AGAIN the same arguments are passed again, as GnuTLS requires. */
        ssize_t n = gnutls_record_send(p->s, p->up + p->up_off, p->up_len - p->up_off);
        if (n == GNUTLS_E_AGAIN || n == GNUTLS_E_INTERRUPTED) {
            p->up_dir_write = gnutls_record_get_direction(p->s) != 0;
            return 0;
        }
        if (n < 0)
            return -1;
        p->up_off += (size_t)n;
    }
    p->up_len = p->up_off = 0;
    return 0;
}

/* TLS -> app. -1 when the tunnel is broken. */
static int pump_down(pump *p)
{
    if (p->down_len == 0 && !p->tls_eof) {
        ssize_t n = gnutls_record_recv(p->s, p->down, sizeof p->down);
        if (n > 0) {
            p->down_len = (size_t)n;
            p->down_off = 0;
        } else if (n == 0) {
            p->tls_eof = true;
        } else if (n == GNUTLS_E_AGAIN || n == GNUTLS_E_INTERRUPTED) {
            p->down_dir_write = gnutls_record_get_direction(p->s) != 0;
        } else if (gnutls_error_is_fatal((int)n)) {
            return -1;  /* includes a server that vanished without close_notify */
        }
    }
    while (p->down_off < p->down_len) {
        ssize_t n = send(p->app, p->down + p->down_off, p->down_len - p->down_off,
                         MSG_NOSIGNAL);
        if (n < 0)
            return would_block(errno) ? 0 : -1;
        p->down_off += (size_t)n;
    }
    p->down_len = p->down_off = 0;
    return 0;
}

/* The events worth waiting for: fd -1 (ignored by poll) when there are none, so that a hang-up
 * on a descriptor we are not reading cannot make poll() return at once, over and over. */
static void pump_events(const pump *p, struct pollfd fds[2])
{
    short app = 0, tcp = 0;
    if (p->up_len == 0 && !p->app_eof)
        app |= POLLIN;
    if (p->down_len > 0)
        app |= POLLOUT;
    if (p->up_len > 0)
        tcp |= p->up_dir_write ? POLLOUT : POLLIN;
    if (p->down_len == 0 && !p->tls_eof)
        tcp |= p->down_dir_write ? POLLOUT : POLLIN;
    fds[0] = (struct pollfd){.fd = app ? p->app : -1, .events = app};
    fds[1] = (struct pollfd){.fd = tcp ? p->tcp : -1, .events = tcp};
}

static void *pump_main(void *arg)
{
    pump *p = arg;
    for (;;) {
        if (pump_up(p) < 0 || pump_down(p) < 0)
            break;
        if (p->app_eof && p->up_len == 0) {
            /* The client is done: tell the server politely (one try; it may not listen). */
            (void)gnutls_bye(p->s, GNUTLS_SHUT_WR);
            break;
        }
        if (p->tls_eof && p->down_len == 0)
            break;  /* the server closed and everything it sent was delivered */
        if (p->down_len == 0 && !p->tls_eof && gnutls_record_check_pending(p->s) > 0)
            continue;  /* decrypted bytes already waiting inside GnuTLS */
        struct pollfd fds[2];
        pump_events(p, fds);
        if (fds[0].fd < 0 && fds[1].fd < 0)
            break;  /* nothing can progress any more */
        int n = poll(fds, 2, -1);
        atomic_fetch_add(&g_wakeups, 1);
        if (n < 0 && errno != EINTR)
            break;
    }
    /* The caller then reads end-of-file (or gets EPIPE) on its end. */
    shutdown(p->app, SHUT_RDWR);
    close(p->app);
    close(p->tcp);
    gnutls_deinit(p->s);
    gnutls_certificate_free_credentials(p->cred);
    reap_node *node = p->node;
    free(p);
    pump_finished(node);
    return NULL;
}

/* Hands session, credentials and tcp to a new pump thread. The caller's end, or -1
 * (then nothing was taken over: the caller frees s, cred and tcp). */
static int start_pump(gnutls_session_t s, gnutls_certificate_credentials_t cred, int tcp,
                      char *err, size_t err_len)
{
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
        set_err(err, err_len, "redis TLS: socketpair: %s", strerror(errno));
        return -1;
    }
    pump *p = malloc(sizeof *p);
    reap_node *node = malloc(sizeof *node);
    if (p == NULL || node == NULL || set_nonblock(sv[1]) != 0) {
        set_err(err, err_len, "redis TLS: out of memory or bad socket");
        goto fail;
    }
    memset(p, 0, offsetof(pump, up));
    p->node = node;
    p->s = s;
    p->cred = cred;
    p->tcp = tcp;
    p->app = sv[1];
    /* Under g_mu, so the pump cannot reach pump_finished() before node->th is written. */
    pthread_mutex_lock(&g_mu);
    int rc = pthread_create(&node->th, NULL, pump_main, p);
    if (rc == 0)
        g_active++;
    pthread_mutex_unlock(&g_mu);
    if (rc != 0) {
        set_err(err, err_len, "redis TLS: cannot start the tunnel thread: %s", strerror(rc));
        goto fail;
    }
    return sv[0];
fail:
    free(node);
    free(p);
    close(sv[0]);
    close(sv[1]);
    return -1;
}

int redis_tls_connect(const char *host, int port, const redis_tls_opts *o, int timeout_ms,
                      char *err, size_t err_len)
{
    static const redis_tls_opts none = {NULL, NULL, NULL, NULL};
    if (o == NULL)
        o = &none;
    if (host == NULL || host[0] == '\0' || port <= 0 || port > 65535) {
        set_err(err, err_len, "redis TLS: bad host or port");
        return REDIS_TLS_E_CONFIG;
    }
    reap();     /* join the pumps of tunnels closed since the last call */
    int64_t deadline = now_ms() + (timeout_ms > 0 ? timeout_ms : RT_DEFAULT_TIMEOUT_MS);
    bool config = false;
    gnutls_certificate_credentials_t cred = load_creds(o, &config, err, err_len);
    if (cred == NULL)
        return config ? REDIS_TLS_E_CONFIG : REDIS_TLS_E_NETWORK;
    int tcp = tcp_connect(host, port, deadline, err, err_len);
    if (tcp < 0) {
        gnutls_certificate_free_credentials(cred);
        return REDIS_TLS_E_NETWORK;
    }
    const char *name = o->server_name != NULL ? o->server_name : host;
    gnutls_session_t s = tls_open(tcp, name, cred, deadline, &config, err, err_len);
    int fd = s != NULL ? start_pump(s, cred, tcp, err, err_len) : -1;
    if (fd < 0) {
        if (s != NULL)
            gnutls_deinit(s);
        close(tcp);
        gnutls_certificate_free_credentials(cred);
        return config ? REDIS_TLS_E_CONFIG : REDIS_TLS_E_NETWORK;
    }
    return fd;
}
