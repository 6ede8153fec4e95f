/*
 * relay/store/redis_tls.h: a TLS tunnel for the Redis backend. hiredis 0.14 (Debian 12)
 * speaks plain TCP only, so a rediss:// store is reached through a local socket pair: the caller hands one
 * end to redisConnectFd(), and a pump thread carries the bytes over a GnuTLS session
 * to the server (Redis 6+ --tls-port).
 *
 * The TCP connect and the TLS handshake (with certificate and host name verification) are
 * done inside redis_tls_connect(), so a wrong CA or name fails there, with a message. After
 * that, closing the returned descriptor (redisFree) ends the tunnel; a server that closes or
 * fails ends it too, and the caller then reads end-of-file (hiredis: "Server closed the
 * connection"). Either way the pump thread frees everything it holds and exits.
 *
 * The descriptor is an AF_UNIX socket: TCP options cannot be set on it (hiredis's
 * redisEnableKeepAlive() fails there). The tunnel's own TCP socket already has keep-alive
 * (probes after 15 s idle, as hiredis sets them) and TCP_NODELAY.
 *
 * With TLS 1.3 a server that requires a client certificate rejects a client without one only
 * after the client's side of the handshake is finished: that failure shows on the first
 * command, not in redis_tls_connect().
 */
#ifndef TIGRESS_RELAY_REDIS_TLS_H
#define TIGRESS_RELAY_REDIS_TLS_H

#include <stdbool.h>
#include <stddef.h>

typedef struct redis_tls_opts {
    const char *ca_file;     /* PEM bundle that must have issued the server's certificate;
                                NULL: the system trust store */
    const char *cert_file;   /* client certificate chain (PEM) for mutual TLS, or NULL */
    const char *key_file;    /* its private key (PEM); NULL: the key is in cert_file */
    const char *server_name; /* name (or IP literal) the certificate must carry, also sent as
                                SNI when it is a DNS name; NULL: host */
} redis_tls_opts;

/* Failures of redis_tls_connect(), so a caller can tell an outage from a mistake. */
#define REDIS_TLS_E_NETWORK (-1) /* name lookup, connect, time-out, handshake I/O: may pass */
#define REDIS_TLS_E_CONFIG (-2)  /* bad host/port, CA or client certificate/key unreadable,
                                    server certificate rejected: waiting will not help */

/* Connects to host:port (a name or an IP literal), completes a verified TLS handshake within
 * timeout_ms (<= 0: 5000), and returns a blocking, close-on-exec descriptor (one end of an
 * AF_UNIX stream socket pair) that carries the plaintext. o may be NULL (all defaults).
 * On failure returns REDIS_TLS_E_NETWORK or REDIS_TLS_E_CONFIG and writes a reason to err
 * (never key material). */
int redis_tls_connect(const char *host, int port, const redis_tls_opts *o, int timeout_ms,
                      char *err, size_t err_len);

/* Number of tunnels whose pump thread has not finished yet. */
unsigned redis_tls_active(void);

/* How many times pump threads have woken from poll(), in total: an idle tunnel adds nothing
 * (the tests check that the pump sleeps rather than spins). */
unsigned long redis_tls_wakeups(void);

/* Waits (without spinning) until no pump thread is running, at most timeout_ms, and joins
 * the finished ones. true when none is left: then no thread of this module runs any more
 * (call it after closing the last tunnel, before exit). For orderly shutdown and tests. */
bool redis_tls_wait_idle(int timeout_ms);

#endif
