/*
 * tests/lib/relay_fixture.h: the fixture library of every C test that starts a tigress-relay
 * (relay conformance, cluster, integration, security). What it does, and nothing more:
 *   - TIGRESS_TEST_TIME_SCALE: the factor every upper bound on waiting is multiplied by;
 *   - scratch: a temp dir under $TMPDIR (default /tmp), its removal, a free loopback port;
 *   - certificates: a throw-away CA and a server certificate for IP:127.0.0.1, made by
 *     tests/lib/relay-fixture.sh (the same code the shell suites use);
 *   - the relay process: start with the given arguments, wait until it says where it listens,
 *     stop (SIGTERM), kill (SIGKILL), restart on the same port.
 * Each suite keeps its own domain helpers (HTTP request helpers, clients, mock transports) in
 * its own fixture, which calls into this one. tests/harness/README.md describes them all.
 *
 * The relay binary and the source tree are compiled in by tests/lib/fixture.mk
 * (RF_RELAY_BIN, RF_SOURCE_DIR).
 */
#ifndef TIGRESS_TESTS_RELAY_FIXTURE_H
#define TIGRESS_TESTS_RELAY_FIXTURE_H

#include <stddef.h>
#include <sys/types.h>

/* TIGRESS_TEST_TIME_SCALE as a whole number in 1..1000 (anything else: 1).
 * tests/harness/valgrind.sh sets 20, make sanitize 3. Only bounds scale: a passing test returns
 * as soon as what it waits for happens. */
long rf_time_scale(void);
/* ms * rf_time_scale(). */
long rf_scaled_ms(long ms);
void rf_sleep_ms(long ms);

/* mkdtemp of "$TMPDIR/<prefix>XXXXXX" (TMPDIR unset or empty: /tmp) into out. 0 or -1. */
int rf_tmpdir(char *out, size_t cap, const char *prefix);
/* rm -rf dir. 0 on success. */
int rf_rmtree(const char *dir);
/* A loopback TCP port that was free a moment ago (bound to port 0 and released); 0 on failure. */
unsigned rf_free_port(void);

/* The test PKI of one directory: dir/ca.pem (the CA clients trust), dir/cert.pem and
 * dir/key.pem (the server's, for IP:127.0.0.1, EC P-256, valid 2 days). */
typedef struct rf_certs {
    char ca[320];
    char cert[320];
    char key[320];
} rf_certs;
/* Writes them with `tests/lib/relay-fixture.sh certs DIR`. 0, or -1 with a message on stderr. */
int rf_certs_make(rf_certs *c, const char *dir);

/* One relay process. Zero it before the first start; log_path may be set before a start. */
typedef struct rf_relay {
    pid_t pid;                  /* 0 when not running */
    unsigned port;              /* from its "listening on ...:PORT" line */
    unsigned metrics_port;      /* from "metrics on port N"; 0 without --metrics-listen */
    char url[64];               /* what follows "listening on ": https://127.0.0.1:PORT */
    int out_fd;                 /* read end of the relay's stdout */
    char log_path[512];         /* the relay's stderr, appended to ("" = the test's stderr) */
    char store_path[512];       /* the value of --store in the last start's arguments */
    int relay_limits;           /* nonzero: keep the relay's own per-address caps (below) */
} rf_relay;

/* Starts RF_RELAY_BIN with args (NULL-terminated, without the program name). Every client of
 * a suite connects from 127.0.0.1 (100 parallel transfers, 50 racing recipients), so unless
 * r->relay_limits is set, "--max-connections-per-address 0 --max-held-reads-per-address 0
 * --max-mailboxes-per-address 0" (no per-address caps) go before args (which can still set them). When the time
 * scale is above 1 and args do not set it, "--connection-timeout 30*scale" is appended: under
 * valgrind a client with many threads leaves a connection idle past the relay's 30 s before its
 * TLS handshake. TIGRESS_RELAY_WRAPPER="valgrind --error-exitcode=99 ..." runs the relay under a
 * tool (words separated by spaces). The relay gets SIGTERM when the test process dies.
 * Waits (rf_scaled_ms(120000) at most) for "listening on": returns 0 then; the relay's exit
 * status when it exited non-zero before listening; -1 otherwise (it is killed then). */
int rf_relay_start(rf_relay *r, const char *const *args);
/* SIGTERM and wait. Returns the exit status (0 expected), or -1 (not running, or a signal). */
int rf_relay_stop(rf_relay *r);
/* SIGKILL and wait: no shutdown code runs. 0 when it died of SIGKILL, else -1. */
int rf_relay_kill(rf_relay *r);
/* rf_relay_stop (which must return 0), then start with args again, their --listen value
 * replaced by 127.0.0.1:<the port it had>, retried for up to 2 s while the kernel still holds
 * the port. 0 or -1. */
int rf_relay_restart(rf_relay *r, const char *const *args);
/* SIGKILL every relay this process started and has not stopped (end of a suite, so a failed
 * test leaves no process behind). */
void rf_relay_kill_all(void);

#endif
