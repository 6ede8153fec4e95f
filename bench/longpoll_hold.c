/*
 * bench/longpoll_hold.c: holds N long-polls on a relay and times normal secure reads meanwhile
 * (make bench-longpoll; bench/longpoll.sh runs it and reads the relay's RSS).
 *
 *   longpoll_hold HOST PORT N MAILBOXES NSRC HOLD_SECONDS READ_RATE
 *
 * The relay's store holds MAILBOXES mailboxes written by bench/store_scale (ID and Initiator
 * claim for index i as in bench/lua/common.lua). Connection k reads mailbox k % MAILBOXES once
 * to learn its ETag, then sends the long-poll: the same secure read with If-None-Match and
 * "Prefer: wait=60". When the relay answers (304 at the end of the wait), it sends it again.
 * Connections come from 127.0.0.2 .. 127.0.0.(NSRC+1) (bound before connecting), since one
 * source address has about 28,000 ephemeral ports; at most 256 are in their TLS handshake at
 * once (the relay's listen backlog is 256).
 *
 * One epoll thread drives the held connections (non-blocking sockets, GnuTLS). Once all N are
 * held it prints "HELD N" on stdout; then a second thread makes READ_RATE normal secure reads
 * per second over one keep-alive connection from 127.0.0.1 for HOLD_SECONDS and prints one
 * line: RESULT {"held":...,"reads":...,"p50_ms":...,"p99_ms":...,"max_ms":...,"errors":...}.
 * TLS certificates are not verified (a throw-away test CA on loopback).
 *
 * LONGPOLL_PLAIN=1 in the environment: plain HTTP instead (no GnuTLS session on either side),
 * for a relay started with --insecure-loopback, the set-up behind a TLS-terminating proxy on
 * the same host (relay/README.md, "Deploying").
 */

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <gnutls/gnutls.h>

enum { ST_CONNECT, ST_HANDSHAKE, ST_SEND, ST_RECV, ST_DEAD };
#define BUFSZ 4096

typedef struct conn {
    int fd, state;
    unsigned idx;               /* mailbox index */
    bool polling;               /* the request in flight is the long-poll */
    bool counted;               /* counted in g_held */
    gnutls_session_t s;
    char etag[32];
    char *buf;
    size_t len, off;            /* send: off of len; recv: len bytes in */
} conn;

static const char *g_host;
static unsigned g_port;
static gnutls_certificate_credentials_t g_cred;
static atomic_uint g_held, g_errors;
static bool g_plain;            /* LONGPOLL_PLAIN=1: no TLS */

/* gnutls_record_send/recv, or send/recv on the socket in plain mode, with EAGAIN reported as
 * GNUTLS_E_AGAIN so that the state machine below is the same for both. */
static ssize_t io_send(gnutls_session_t s, int fd, const char *b, size_t n)
{
    if (!g_plain)
        return gnutls_record_send(s, b, n);
    ssize_t r = send(fd, b, n, MSG_NOSIGNAL);
    return r >= 0 ? r : (errno == EAGAIN || errno == EINTR) ? GNUTLS_E_AGAIN : -1;
}

static ssize_t io_recv(gnutls_session_t s, int fd, char *b, size_t n)
{
    if (!g_plain)
        return gnutls_record_recv(s, b, n);
    ssize_t r = recv(fd, b, n, 0);
    return r >= 0 ? r : (errno == EAGAIN || errno == EINTR) ? GNUTLS_E_AGAIN : -1;
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

static size_t make_request(char *out, size_t cap, unsigned i, const char *etag, unsigned long n)
{
    int k;
    if (etag != NULL)
        k = snprintf(out, cap,
                     "POST /v1/m/b0000000-0000-4000-8000-%012x HTTP/1.1\r\nHost: %s\r\n"
                     "Mailbox-Device-Claim: c0000000-0000-4000-8000-%012x\r\n"
                     "Mailbox-Request-ID: hold-%u-%lu\r\nIf-None-Match: %s\r\n"
                     "Prefer: wait=60\r\nContent-Length: 0\r\n\r\n",
                     i, g_host, i, i, n, etag);
    else
        k = snprintf(out, cap,
                     "POST /v1/m/b0000000-0000-4000-8000-%012x HTTP/1.1\r\nHost: %s\r\n"
                     "Mailbox-Device-Claim: c0000000-0000-4000-8000-%012x\r\n"
                     "Mailbox-Request-ID: read-%u-%lu\r\nContent-Length: 0\r\n\r\n",
                     i, g_host, i, i, n);
    return (size_t)k;
}

/* A whole response in b[0..len)? Returns its status (and copies its ETag), or 0 if incomplete. */
static int response_done(const char *b, size_t len, char *etag, size_t etag_cap)
{
    const char *end = memmem(b, len, "\r\n\r\n", 4);
    if (end == NULL)
        return 0;
    size_t head = (size_t)(end - b) + 4;
    size_t cl = 0;
    const char *p = strcasestr(b, "\r\nContent-Length:");
    if (p != NULL && p < end)
        cl = strtoul(p + 17, NULL, 10);
    if (len < head + cl)
        return 0;
    p = strcasestr(b, "\r\nETag:");
    if (etag != NULL && p != NULL && p < end) {
        p += 7;
        while (*p == ' ')
            p++;
        size_t n = strcspn(p, "\r");
        if (n < etag_cap) {
            memcpy(etag, p, n);
            etag[n] = '\0';
        }
    }
    return atoi(b + 9);
}

static int connect_from(unsigned src, bool nonblock)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | (nonblock ? SOCK_NONBLOCK : 0), 0);
    if (fd < 0)
        return -1;
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    struct sockaddr_in a = {.sin_family = AF_INET};
    if (src != 0) {
        a.sin_addr.s_addr = htonl(0x7f000000u | src);
        setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
        if (bind(fd, (struct sockaddr *)&a, sizeof a) != 0) {
            close(fd);
            return -1;
        }
    }
    a.sin_port = htons((uint16_t)g_port);
    inet_pton(AF_INET, g_host, &a.sin_addr);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0 && errno != EINPROGRESS) {
        close(fd);
        return -1;
    }
    return fd;
}

static int new_session(gnutls_session_t *s, int fd, unsigned flags)
{
    if (gnutls_init(s, GNUTLS_CLIENT | flags) < 0)
        return -1;
    gnutls_set_default_priority(*s);
    gnutls_credentials_set(*s, GNUTLS_CRD_CERTIFICATE, g_cred);
    gnutls_transport_set_int(*s, fd);
    return 0;
}

/* ---- normal reads, from another address, while the long-polls are held ---- */

typedef struct {
    unsigned mailboxes, rate, seconds;
    double *lat;
    size_t n;
} reader_args;

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void *reader_main(void *arg)
{
    reader_args *ra = arg;
    gnutls_session_t s = NULL;
    int fd = -1;
    char req[1024], resp[BUFSZ];
    double start = now_ms(), next = start;
    size_t cap = (size_t)ra->rate * ra->seconds + 16;
    ra->lat = calloc(cap, sizeof *ra->lat);
    for (unsigned long k = 0; ra->n < cap && now_ms() < start + 1000.0 * ra->seconds; k++) {
        double t = now_ms();
        if (t < next) {
            struct timespec ts = {0, (long)((next - t) * 1e6)};
            nanosleep(&ts, NULL);
        }
        next += 1000.0 / ra->rate;
        if (fd < 0) {
            fd = connect_from(0, false);
            if (fd < 0 || (!g_plain && (new_session(&s, fd, 0) < 0 || gnutls_handshake(s) < 0))) {
                atomic_fetch_add(&g_errors, 1);
                if (fd >= 0)
                    close(fd);
                fd = -1;
                continue;
            }
        }
        size_t n = make_request(req, sizeof req, (unsigned)(rand() % ra->mailboxes), NULL, k);
        double t0 = now_ms();
        int status = 0;
        if (io_send(s, fd, req, n) == (ssize_t)n) {
            size_t len = 0;
            while (len < sizeof resp - 1) {
                ssize_t r = io_recv(s, fd, resp + len, sizeof resp - 1 - len);
                if (r <= 0)
                    break;
                len += (size_t)r;
                resp[len] = '\0';
                if ((status = response_done(resp, len, NULL, 0)) != 0)
                    break;
            }
        }
        if (status != 200) {
            atomic_fetch_add(&g_errors, 1);
            if (s != NULL)
                gnutls_deinit(s);
            s = NULL;
            close(fd);
            fd = -1;
            continue;
        }
        ra->lat[ra->n++] = now_ms() - t0;
    }
    if (fd >= 0) {
        if (s != NULL) {
            gnutls_bye(s, GNUTLS_SHUT_WR);
            gnutls_deinit(s);
        }
        close(fd);
    }
    return NULL;
}

/* ---- the held connections ---- */

static void start_send(conn *c, unsigned long seq)
{
    c->polling = c->etag[0] != '\0';
    c->len = make_request(c->buf, BUFSZ, c->idx, c->polling ? c->etag : NULL, seq);
    c->off = 0;
    c->state = ST_SEND;
}

static void kill_conn(conn *c, int ep)
{
    if (c->counted)
        atomic_fetch_sub(&g_held, 1);
    c->counted = false;
    epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
    if (c->s != NULL)
        gnutls_deinit(c->s);
    c->s = NULL;
    close(c->fd);
    c->state = ST_DEAD;
    atomic_fetch_add(&g_errors, 1);
}

/* Advances c as far as it goes without blocking; returns the epoll events it now waits for. */
static void step(conn *c, int ep, unsigned *handshaking, unsigned long *seq)
{
    for (;;) {
        if (c->state == ST_CONNECT) {
            int err = 0;
            socklen_t el = sizeof err;
            getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &el);
            if (err != 0) {
                (*handshaking)--;
                kill_conn(c, ep);
                return;
            }
            if (g_plain) {              /* connected: nothing to negotiate */
                (*handshaking)--;
                start_send(c, (*seq)++);
                continue;
            }
            if (new_session(&c->s, c->fd, GNUTLS_NONBLOCK) < 0) {
                (*handshaking)--;
                kill_conn(c, ep);
                return;
            }
            c->state = ST_HANDSHAKE;
        } else if (c->state == ST_HANDSHAKE) {
            int r = gnutls_handshake(c->s);
            if (r == GNUTLS_E_AGAIN || r == GNUTLS_E_INTERRUPTED)
                return;
            (*handshaking)--;
            if (r < 0) {
                kill_conn(c, ep);
                return;
            }
            start_send(c, (*seq)++);
        } else if (c->state == ST_SEND) {
            ssize_t r = io_send(c->s, c->fd, c->buf + c->off, c->len - c->off);
            if (r == GNUTLS_E_AGAIN || r == GNUTLS_E_INTERRUPTED)
                return;
            if (r < 0) {
                kill_conn(c, ep);
                return;
            }
            c->off += (size_t)r;
            if (c->off == c->len) {
                c->state = ST_RECV;
                c->len = 0;
                if (c->polling && !c->counted) {
                    c->counted = true;    /* sent: held until the relay answers */
                    atomic_fetch_add(&g_held, 1);
                }
            }
        } else if (c->state == ST_RECV) {
            ssize_t r = io_recv(c->s, c->fd, c->buf + c->len, BUFSZ - 1 - c->len);
            if (r == GNUTLS_E_AGAIN || r == GNUTLS_E_INTERRUPTED)
                return;
            if (r <= 0) {
                kill_conn(c, ep);
                return;
            }
            c->len += (size_t)r;
            c->buf[c->len] = '\0';
            int status = response_done(c->buf, c->len, c->etag, sizeof c->etag);
            if (status == 0) {
                if (c->len >= BUFSZ - 1) {
                    kill_conn(c, ep);
                    return;
                }
                continue;
            }
            if (status != 200 && status != 304) {
                fprintf(stderr, "longpoll_hold: status %d\n", status);
                kill_conn(c, ep);
                return;
            }
            if (c->counted) {
                c->counted = false;
                atomic_fetch_sub(&g_held, 1);
            }
            start_send(c, (*seq)++);       /* answered: poll again */
        } else {
            return;
        }
    }
}

int main(int argc, char **argv)
{
    if (argc != 8) {
        fprintf(stderr, "usage: longpoll_hold HOST PORT N MAILBOXES NSRC HOLD_SECONDS READ_RATE\n");
        return 64;
    }
    g_host = argv[1];
    g_port = (unsigned)atoi(argv[2]);
    unsigned n = (unsigned)atoi(argv[3]), mailboxes = (unsigned)atoi(argv[4]);
    unsigned nsrc = (unsigned)atoi(argv[5]), hold = (unsigned)atoi(argv[6]);
    unsigned rate = (unsigned)atoi(argv[7]);
    struct rlimit rl = {n + 128, n + 128};
    if (setrlimit(RLIMIT_NOFILE, &rl) != 0) {
        perror("longpoll_hold: setrlimit(RLIMIT_NOFILE)");
        return 1;
    }
    const char *plain = getenv("LONGPOLL_PLAIN");
    g_plain = plain != NULL && strcmp(plain, "1") == 0;
    gnutls_global_init();
    gnutls_certificate_allocate_credentials(&g_cred);

    conn *cs = calloc(n, sizeof *cs);
    int ep = epoll_create1(EPOLL_CLOEXEC);
    unsigned next = 0, handshaking = 0;
    unsigned long seq = 0;
    struct epoll_event evs[512];
    double t0 = now_ms(), last_print = t0;
    bool announced = false;
    pthread_t rt;
    reader_args ra = {.mailboxes = mailboxes, .rate = rate, .seconds = hold};
    bool reader_started = false;
    while (true) {
        while (next < n && handshaking < 256) {
            conn *c = &cs[next];
            c->idx = next % mailboxes;
            c->buf = malloc(BUFSZ);
            c->fd = connect_from(2 + next % nsrc, true);
            next++;
            if (c->fd < 0) {
                c->state = ST_DEAD;
                atomic_fetch_add(&g_errors, 1);
                continue;
            }
            c->state = ST_CONNECT;
            handshaking++;
            struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT | EPOLLET, .data.ptr = c};
            epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev);
        }
        int k = epoll_wait(ep, evs, 512, 100);
        for (int i = 0; i < k; i++)
            step(evs[i].data.ptr, ep, &handshaking, &seq);
        unsigned held = atomic_load(&g_held), errs = atomic_load(&g_errors);
        double t = now_ms();
        if (t - last_print > 5000) {
            fprintf(stderr, "longpoll_hold: %.0f s: %u connecting, %u held, %u errors\n",
                    (t - t0) / 1000, next, held, errs);
            last_print = t;
        }
        if (!announced && next == n && handshaking == 0 && held + errs >= n) {
            /* Let the last requests reach the relay and be suspended. */
            struct timespec ts = {1, 0};
            nanosleep(&ts, NULL);
            printf("HELD %u %.1f\n", held, (now_ms() - t0) / 1000);
            fflush(stdout);
            announced = true;
            pthread_create(&rt, NULL, reader_main, &ra);
            reader_started = true;
        }
        if (reader_started && pthread_tryjoin_np(rt, NULL) == 0)
            break;
    }
    qsort(ra.lat, ra.n, sizeof *ra.lat, cmp_d);
    double p50 = ra.n ? ra.lat[ra.n / 2] : 0, p99 = ra.n ? ra.lat[(ra.n * 99) / 100] : 0;
    double mx = ra.n ? ra.lat[ra.n - 1] : 0;
    printf("RESULT {\"connections\":%u,\"held\":%u,\"reads\":%zu,\"read_rate\":%u,"
           "\"p50_ms\":%.2f,\"p99_ms\":%.2f,\"max_ms\":%.2f,\"errors\":%u}\n",
           n, atomic_load(&g_held), ra.n, rate, p50, p99, mx, atomic_load(&g_errors));
    fflush(stdout);
    /* The held connections are simply closed at exit. */
    return 0;
}
