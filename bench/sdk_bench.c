/*
 * bench/sdk_bench.c: what a transfer costs the SDK, measured through the public API only.
 *
 *   sdk_bench crypto                         seal/open vs raw primitives (sdk_bench_crypto.c)
 *   sdk_bench e2e     RELAY CA RUNS          wall time of one stateless and one stateful
 *                                            transfer, both devices in this process (median)
 *   sdk_bench threads RELAY CA N SECONDS     stateless transfers/s with N client threads
 *   sdk_bench cost    RELAY CA K             per stateless transfer: heap bytes allocated and
 *                                            peak live heap through the allocator hooks, and
 *                                            CPU time (both devices' work, this process only)
 *
 * A stateless transfer here is the whole story of both phones: share (create), redeem (read
 * and bind), complete (delete), and the Initiator's poll that sees it completed. Every client
 * is created once per thread and reused, as an app would. Output: one JSON object on stdout.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <tigress.h>
#include <tigress/sys/alloc.h>

#include "sdk_bench.h"

static const char CONTENT[] = "{\"vehicle\":\"VIN0123456789ABCDEF\",\"slot\":2,"
                              "\"keyMaterial\":\"q1w2e3r4t5y6u7i8o9p0a1s2d3f4g5h6j7k8l9z0x1c2v3b4\"}";

uint64_t bench_wall_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

uint64_t bench_cpu_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* ---- allocator hooks: count bytes and track the live total (a size header per block) ---- */

#define HDR 16
static atomic_ullong g_allocated, g_live, g_peak, g_calls;

static void note_alloc(size_t n)
{
    atomic_fetch_add(&g_allocated, n);
    atomic_fetch_add(&g_calls, 1);
    unsigned long long live = atomic_fetch_add(&g_live, n) + n;
    unsigned long long peak = atomic_load(&g_peak);
    while (live > peak && !atomic_compare_exchange_weak(&g_peak, &peak, live))
        ;
}

static void *hook_malloc(size_t n, void *ud)
{
    (void)ud;
    unsigned char *p = malloc(n + HDR);
    if (p == NULL)
        return NULL;
    memcpy(p, &n, sizeof n);
    note_alloc(n);
    return p + HDR;
}

static void hook_free(void *ptr, void *ud)
{
    (void)ud;
    if (ptr == NULL)
        return;
    unsigned char *p = (unsigned char *)ptr - HDR;
    size_t n;
    memcpy(&n, p, sizeof n);
    atomic_fetch_sub(&g_live, n);
    free(p);
}

static void *hook_realloc(void *ptr, size_t n, void *ud)
{
    if (ptr == NULL)
        return hook_malloc(n, ud);
    unsigned char *p = (unsigned char *)ptr - HDR;
    size_t old;
    memcpy(&old, p, sizeof old);
    unsigned char *q = realloc(p, n + HDR);
    if (q == NULL)
        return NULL;
    memcpy(q, &n, sizeof n);
    atomic_fetch_sub(&g_live, old);
    note_alloc(n);
    return q + HDR;
}

/* ---- one transfer, both devices ---------------------------------------------------------- */

typedef struct devices {
    tigress_client *alice, *bob;
    const char *relay;
} devices;

static int fail(tigress_client *c, const char *what, tigress_status st)
{
    fprintf(stderr, "sdk_bench: %s: %s (%s)\n", what, tigress_status_name(st),
            tigress_client_last_error(c)->message);
    return 1;
}

static int devices_open(devices *d, const char *relay, const char *ca)
{
    tigress_client_options o;
    tigress_client_options_init(&o, TIGRESS_CLIENT_OPTIONS_VERSION);
    o.ca_file = ca;
    d->relay = relay;
    tigress_status st = tigress_client_new(&d->alice, &o);
    if (st == TIGRESS_OK)
        st = tigress_client_new(&d->bob, &o);
    return st == TIGRESS_OK ? 0 : fail(NULL, "tigress_client_new", st);
}

static void devices_close(devices *d)
{
    tigress_client_free(d->alice);
    tigress_client_free(d->bob);
}

static int share(devices *d, bool stateful, tigress_transfer **out)
{
    tigress_share_options s;
    tigress_share_options_init(&s, TIGRESS_SHARE_OPTIONS_VERSION);
    s.relay_url = d->relay;
    s.format = "com.example.carkey";
    s.content_json = CONTENT;
    s.title = "Car key";
    s.description = "Shared for the benchmark";
    s.stateful = stateful;
    tigress_status st = tigress_share_create(out, d->alice, &s);
    return st == TIGRESS_OK ? 0 : fail(d->alice, "share", st);
}

static int redeem(devices *d, tigress_transfer *sent, const tigress_verifier *v,
                  tigress_transfer **out)
{
    tigress_redeem_options r;
    tigress_redeem_options_init(&r, TIGRESS_REDEEM_OPTIONS_VERSION);
    r.share_url = tigress_transfer_share_url(sent);
    r.verifier = v;
    tigress_status st = tigress_redeem(out, d->bob, &r);
    return st == TIGRESS_OK ? 0 : fail(d->bob, "redeem", st);
}

/* Polls until the state is `want` (in-process, the peer's write is already committed). */
static int poll_until(tigress_client *c, tigress_transfer *t, tigress_state want)
{
    for (int i = 0; i < 50 && tigress_transfer_state(t) != want; i++) {
        tigress_status st = tigress_transfer_poll(t);
        if (st != TIGRESS_OK && st != TIGRESS_E_AGAIN)
            return fail(c, "poll", st);
    }
    return tigress_transfer_state(t) == want ? 0 : fail(c, "poll: state", TIGRESS_E_STATE);
}

static int stateless_transfer(devices *d)
{
    tigress_transfer *sent = NULL, *got = NULL;
    int rc = share(d, false, &sent);
    if (rc == 0)
        rc = redeem(d, sent, NULL, &got);
    if (rc == 0 && strcmp(tigress_transfer_content(got), CONTENT) != 0)
        rc = fail(d->bob, "content differs", TIGRESS_E_CRYPTO);
    tigress_status st;
    if (rc == 0 && (st = tigress_transfer_complete(got)) != TIGRESS_OK)
        rc = fail(d->bob, "complete", st);
    if (rc == 0)
        rc = poll_until(d->alice, sent, TIGRESS_STATE_COMPLETED);
    tigress_transfer_free(got);
    tigress_transfer_free(sent);
    return rc;
}

static int stateful_transfer(devices *d, tigress_ed25519_key *key)
{
    uint8_t pub[TIGRESS_ED25519_PUBLIC_BYTES];
    tigress_verifier v;
    tigress_signer sg;
    if (tigress_ed25519_key_public(key, pub, sizeof pub) != TIGRESS_OK ||
        tigress_verifier_ed25519(&v, pub) != TIGRESS_OK || tigress_signer_ed25519(&sg, key) != TIGRESS_OK)
        return fail(d->alice, "ed25519 setup", TIGRESS_E_INTERNAL);
    static const uint8_t txinfo[] = "device-public-key:0123456789abcdef0123456789abcdef";
    tigress_transfer *sent = NULL, *got = NULL;
    tigress_status st = TIGRESS_OK;
    int rc = share(d, true, &sent);
    if (rc == 0)
        rc = redeem(d, sent, &v, &got);
    if (rc == 0 && (st = tigress_transfer_update(got, "com.example.devicekey", txinfo,
                                                 sizeof txinfo - 1)) != TIGRESS_OK)
        rc = fail(d->bob, "update", st);
    if (rc == 0)
        rc = poll_until(d->alice, sent, TIGRESS_STATE_TXINFO_RECEIVED);
    if (rc == 0 && (st = tigress_transfer_approve(sent, &sg)) != TIGRESS_OK)
        rc = fail(d->alice, "approve", st);
    if (rc == 0)
        rc = poll_until(d->bob, got, TIGRESS_STATE_SIGNED);
    if (rc == 0 && (st = tigress_transfer_complete(got)) != TIGRESS_OK)
        rc = fail(d->bob, "complete", st);
    if (rc == 0)
        rc = poll_until(d->alice, sent, TIGRESS_STATE_COMPLETED);
    tigress_transfer_free(got);
    tigress_transfer_free(sent);
    return rc;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

static int cmd_e2e(const char *relay, const char *ca, int runs)
{
    devices d = {0};
    tigress_ed25519_key *key = NULL;
    if (runs < 1 || runs > 1000 || devices_open(&d, relay, ca) != 0 ||
        tigress_ed25519_key_generate(&key) != TIGRESS_OK)
        return 1;
    uint64_t *sl = calloc((size_t)runs, sizeof *sl), *sf = calloc((size_t)runs, sizeof *sf);
    int rc = stateless_transfer(&d);          /* warm: TLS sessions and connections */
    for (int i = 0; rc == 0 && i < runs; i++) {
        uint64_t t0 = bench_wall_ns();
        rc = stateless_transfer(&d);
        uint64_t t1 = bench_wall_ns();
        if (rc == 0)
            rc = stateful_transfer(&d, key);
        sl[i] = t1 - t0;
        sf[i] = bench_wall_ns() - t1;
    }
    if (rc == 0) {
        qsort(sl, (size_t)runs, sizeof *sl, cmp_u64);
        qsort(sf, (size_t)runs, sizeof *sf, cmp_u64);
        printf("{\"runs\":%d,\"stateless_ms\":%.2f,\"stateful_ms\":%.2f}\n", runs,
               (double)sl[runs / 2] / 1e6, (double)sf[runs / 2] / 1e6);
    }
    free(sl);
    free(sf);
    tigress_ed25519_key_free(key);
    devices_close(&d);
    return rc;
}

typedef struct worker {
    pthread_t th;
    const char *relay, *ca;
    atomic_bool *stop;
    long done, failed;
} worker;

static void *worker_main(void *arg)
{
    worker *w = arg;
    devices d = {0};
    if (devices_open(&d, w->relay, w->ca) != 0) {
        w->failed++;
        return NULL;
    }
    while (!atomic_load(w->stop)) {
        if (stateless_transfer(&d) == 0)
            w->done++;
        else
            w->failed++;
    }
    devices_close(&d);
    return NULL;
}

static int cmd_threads(const char *relay, const char *ca, int n, double seconds)
{
    if (n < 1 || n > 1024)
        return 1;
    static atomic_bool stop;
    atomic_store(&stop, false);
    worker *w = calloc((size_t)n, sizeof *w);
    uint64_t t0 = bench_wall_ns();
    for (int i = 0; i < n; i++) {
        w[i] = (worker){.relay = relay, .ca = ca, .stop = &stop};
        pthread_create(&w[i].th, NULL, worker_main, &w[i]);
    }
    struct timespec ts = {(time_t)seconds, (long)((seconds - (double)(time_t)seconds) * 1e9)};
    nanosleep(&ts, NULL);
    atomic_store(&stop, true);
    long done = 0, failed = 0;
    for (int i = 0; i < n; i++) {
        pthread_join(w[i].th, NULL);
        done += w[i].done;
        failed += w[i].failed;
    }
    double dt = (double)(bench_wall_ns() - t0) / 1e9;
    printf("{\"threads\":%d,\"seconds\":%.2f,\"transfers\":%ld,\"failed\":%ld,"
           "\"transfers_per_s\":%.1f}\n", n, dt, done, failed, (double)done / dt);
    free(w);
    return failed == 0 ? 0 : 1;
}

static int cmd_cost(const char *relay, const char *ca, int k)
{
    devices d = {0};
    if (k < 1 || devices_open(&d, relay, ca) != 0 || stateless_transfer(&d) != 0)
        return 1;
    unsigned long long max_peak = 0, a0 = atomic_load(&g_allocated), c0 = atomic_load(&g_calls);
    uint64_t cpu0 = bench_cpu_ns(), wall0 = bench_wall_ns();
    for (int i = 0; i < k; i++) {
        unsigned long long base = atomic_load(&g_live);
        atomic_store(&g_peak, base);
        if (stateless_transfer(&d) != 0)
            return 1;
        unsigned long long peak = atomic_load(&g_peak) - base;
        if (peak > max_peak)
            max_peak = peak;
    }
    double cpu_us = (double)(bench_cpu_ns() - cpu0) / 1e3 / k;
    double wall_us = (double)(bench_wall_ns() - wall0) / 1e3 / k;
    printf("{\"transfers\":%d,\"heap_bytes_per_transfer\":%.0f,\"allocs_per_transfer\":%.1f,"
           "\"heap_peak_bytes\":%llu,\"cpu_us_per_transfer\":%.1f,\"wall_us_per_transfer\":%.1f,"
           "\"live_after_bytes\":%llu}\n",
           k, (double)(atomic_load(&g_allocated) - a0) / k, (double)(atomic_load(&g_calls) - c0) / k,
           max_peak, cpu_us, wall_us, atomic_load(&g_live));
    devices_close(&d);
    return 0;
}

int main(int argc, char **argv)
{
    tigress_allocator a = {TIGRESS_ALLOCATOR_VERSION, hook_malloc, hook_realloc, hook_free, NULL};
    if (tigress_global_init_mem(&a) != TIGRESS_OK) {
        fprintf(stderr, "sdk_bench: tigress_global_init_mem failed\n");
        return 1;
    }
    int rc = 64;
    if (argc == 2 && strcmp(argv[1], "crypto") == 0)
        rc = bench_crypto();
    else if (argc == 5 && strcmp(argv[1], "e2e") == 0)
        rc = cmd_e2e(argv[2], argv[3], atoi(argv[4]));
    else if (argc == 6 && strcmp(argv[1], "threads") == 0)
        rc = cmd_threads(argv[2], argv[3], atoi(argv[4]), atof(argv[5]));
    else if (argc == 5 && strcmp(argv[1], "cost") == 0)
        rc = cmd_cost(argv[2], argv[3], atoi(argv[4]));
    else
        fprintf(stderr, "usage: sdk_bench crypto | e2e RELAY CA RUNS | threads RELAY CA N SECONDS"
                        " | cost RELAY CA K\n");
    tigress_global_cleanup();
    return rc;
}
