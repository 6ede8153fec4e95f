/*
 * Integration-test fixture: a real tigress-relay over HTTPS on 127.0.0.1, with a CA and
 * certificate made at test time, and clients that trust it. The relay process, the
 * certificates and the time scale come from the fixture library (tests/lib/relay_fixture.h);
 * this file keeps the integration suites' layout (one temp dir per relay) and their SDK
 * helpers (clients, share options).
 */
#ifndef TIGRESS_IT_FIXTURE_H
#define TIGRESS_IT_FIXTURE_H

#include <sys/types.h>
#include <tigress.h>

#include "relay_fixture.h"

typedef struct it_relay {
    char dir[256];        /* temp dir: ca.pem cert.pem key.pem store.db relay.log */
    char ca[320];         /* the CA file clients trust */
    char url[64];         /* https://127.0.0.1:PORT */
    int port;
    pid_t pid;            /* 0 when stopped */
    const char *extra[16]; /* extra relay options (NULL-terminated), kept for restarts */
    rf_relay proc;        /* the process (tests/lib/relay_fixture.h) */
    rf_certs certs;
} it_relay;

/* Make certificates and start the relay on 127.0.0.1:0. Returns 0 or -1 (message on stderr). */
int it_relay_start(it_relay *r, const char *const *extra_args);
/* SIGTERM and wait. Returns the relay's exit status (0 expected), or -1. */
int it_relay_stop(it_relay *r);
/* Start again on the same port and store. */
int it_relay_restart(it_relay *r);
/* SIGKILL and wait: no shutdown code runs, so only what the store made durable survives.
 * Returns 0 when the relay died of SIGKILL, else -1. it_relay_restart() starts it again. */
int it_relay_kill(it_relay *r);
/* Stop and delete the temp dir. */
void it_relay_cleanup(it_relay *r);

/* ms scaled by the environment variable TIGRESS_TEST_TIME_SCALE (a whole number, default 1).
 * Every upper bound on waiting in these tests goes through it: tests/harness/valgrind.sh sets
 * it, since a program under valgrind runs tens of times slower. Only bounds scale: a passing
 * test returns as soon as what it waits for happens. */
long it_scaled_ms(long ms);

/* A client trusting the relay's CA; connect and request timeouts are the library defaults
 * (10 s, 30 s) scaled by it_scaled_ms(); retries as given (TIGRESS_RETRIES_NONE for none, 0 default). */
tigress_client *it_client(const it_relay *r, unsigned retries);

/* Share options with test defaults: relay, format, content, title. */
void it_share_options(tigress_share_options *o, const it_relay *r, const char *content);

#endif
