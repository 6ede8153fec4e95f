/* A local HTTPS push receiver (RFC 8030 push resource) for integration tests: counts POSTs
 * per path /push/NAME, remembers the last body length and TTL header. Serves the relay's test
 * certificate, so the relay (started with --push-ca) trusts it. */
#ifndef TIGRESS_IT_PUSH_RECEIVER_H
#define TIGRESS_IT_PUSH_RECEIVER_H

#include <pthread.h>
#include <stddef.h>
#include <tigress.h>

typedef struct push_receiver {
    struct MHD_Daemon *daemon;
    int port;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    int alice, bob;                 /* pushes received per name */
    size_t last_body_len;
    int last_had_ttl;
    tigress_client *wake_on_alice;  /* woken (tigress_client_wake) on a push to alice */
    char *cert, *key;
} push_receiver;

int push_receiver_start(push_receiver *r, const char *cert_dir);
void push_receiver_stop(push_receiver *r);
void push_receiver_url(const push_receiver *r, const char *name, char *out, size_t size);
/* Set (or clear, NULL) the client woken on a push to alice; locked against the server thread. */
void push_receiver_set_wake(push_receiver *r, tigress_client *client);
int push_receiver_count(push_receiver *r, const char *name);
/* Wait until name has at least n pushes or timeout_ms passes; returns 1 if reached. */
int push_receiver_await(push_receiver *r, const char *name, int n, long timeout_ms);

#endif
