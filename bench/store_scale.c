/*
 * bench/store_scale.c: fills, reads and sweeps the relay's SQLite store through the store API
 * (relay/store/store.h) directly, without HTTP, so that a million mailboxes take seconds.
 *
 *   store_scale fill  DB N [expired]   create N mailboxes (live, or already expired) from
 *                                     BENCH_FILL_THREADS (default 64) threads: many writers
 *                                     at once is what makes the group commit batch
 *   store_scale read  DB N COUNT       COUNT secure reads of random mailboxes (one thread)
 *   store_scale sweep DB               delete every expired mailbox, timed
 *
 * Each prints one JSON object on stdout. Mailbox i has the ID and Initiator claim that
 * bench/lua/common.lua computes for index i, so wrk can read what this program wrote.
 * Payloads are the size of a real sealed credential (256 random-looking bytes in Base64).
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store.h"

#define ID_LIVE "b0000000-0000-4000-8000-%012lx"
#define ID_EXPIRED "e0000000-0000-4000-8000-%012lx"
#define CLAIM_FMT "c0000000-0000-4000-8000-%012lx"
#define CLAIM_EXPIRED "d0000000-0000-4000-8000-%012lx"

typedef struct fill_ctx {
    store *st;
    long n;
    bool expired;
    atomic_long next;
    atomic_long failed;
    char payload[512];
} fill_ctx;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static store *open_store(const char *path)
{
    char err[256] = "";
    store_config cfg = {.location = path, .busy_timeout_ms = 10000};
    store *st = store_open(&cfg, err, sizeof err);
    if (st == NULL)
        fprintf(stderr, "store_scale: %s\n", err);
    return st;
}

static void *fill_worker(void *arg)
{
    fill_ctx *f = arg;
    const char *disp = "{\"title\":\"Car key\",\"description\":\"Shared for the benchmark\","
                       "\"imageURL\":\"\"}";
    int64_t t = (int64_t)time(NULL);
    for (;;) {
        long i = atomic_fetch_add(&f->next, 1);
        if (i >= f->n)
            break;
        char id[40], claim[40], rid[32], body[128];
        snprintf(id, sizeof id, f->expired ? ID_EXPIRED : ID_LIVE, i);
        snprintf(claim, sizeof claim, f->expired ? CLAIM_EXPIRED : CLAIM_FMT, i);
        snprintf(rid, sizeof rid, "fill-%ld", i);
        snprintf(body, sizeof body,
                 "{\"urlLink\":\"https://127.0.0.1/v1/m/%s\",\"isPushNotificationSupported\":false}",
                 id);
        store_new_mailbox mb = {.id = id, .initiator_claim = claim, .payload_json = f->payload,
                                .display_json = disp, .rights = "RD",
                                .expires_at = f->expired ? t - 10 : t + 7 * 86400};
        store_reply dup = {0};
        if (store_create(f->st, &mb, rid, body, &dup) != STORE_OK)
            atomic_fetch_add(&f->failed, 1);
        store_reply_clear(&dup);
    }
    return NULL;
}

/* A payload envelope as big as a sealed credential: {"type":..,"data":"<344 Base64 chars>"}. */
static void make_payload(char *out, size_t cap)
{
    static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    char data[345];
    unsigned x = 12345u;
    for (int i = 0; i < 344; i++) {
        x = x * 1103515245u + 12345u;
        data[i] = b64[(x >> 16) & 63];
    }
    data[344] = '\0';
    snprintf(out, cap, "{\"type\":\"XSALSA20_POLY1305\",\"data\":\"%s\"}", data);
}

static int cmd_fill(const char *path, long n, bool expired)
{
    store *st = open_store(path);
    if (st == NULL)
        return 1;
    fill_ctx *f = calloc(1, sizeof *f);
    if (f == NULL)
        return 1;
    f->st = st;
    f->n = n;
    f->expired = expired;
    make_payload(f->payload, sizeof f->payload);
    const char *tenv = getenv("BENCH_FILL_THREADS");
    int nt = tenv != NULL ? atoi(tenv) : 64;
    if (nt < 1 || nt > 1024)
        nt = 64;
    pthread_t *th = calloc((size_t)nt, sizeof *th);
    double t0 = now_s();
    for (int i = 0; i < nt; i++)
        pthread_create(&th[i], NULL, fill_worker, f);
    for (int i = 0; i < nt; i++)
        pthread_join(th[i], NULL);
    double dt = now_s() - t0;
    store_close(st);
    printf("{\"mailboxes\":%ld,\"expired\":%s,\"threads\":%d,\"seconds\":%.3f,"
           "\"creates_per_s\":%.0f,\"failed\":%ld}\n",
           n, expired ? "true" : "false", nt, dt, (double)n / dt, atomic_load(&f->failed));
    long failed = atomic_load(&f->failed);
    free(th);
    free(f);
    return failed == 0 ? 0 : 1;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Secure reads by the Initiator's claim: the read-only path (no bind, no writer). */
static int cmd_read(const char *path, long n, long count)
{
    store *st = open_store(path);
    if (st == NULL)
        return 1;
    double *lat = calloc((size_t)count, sizeof *lat);
    if (lat == NULL)
        return 1;
    unsigned x = 42u;
    long bad = 0;
    for (long k = 0; k < count + 1000; k++) {   /* the first 1000 warm the cache */
        x = x * 1103515245u + 12345u;
        long i = (long)(((unsigned long)x << 16 ^ (unsigned long)(x >> 8)) % (unsigned long)n);
        char id[40], claim[40];
        snprintf(id, sizeof id, ID_LIVE, i);
        snprintf(claim, sizeof claim, CLAIM_FMT, i);
        store_mailbox mb;
        double t0 = now_s();
        store_rc rc = store_read(st, id, claim, NULL, (int64_t)time(NULL), &mb);
        double dt = now_s() - t0;
        if (rc != STORE_OK)
            bad++;
        store_mailbox_clear(&mb);
        if (k >= 1000)
            lat[k - 1000] = dt * 1e6;
    }
    store_close(st);
    qsort(lat, (size_t)count, sizeof *lat, cmp_double);
    printf("{\"mailboxes\":%ld,\"reads\":%ld,\"p50_us\":%.2f,\"p99_us\":%.2f,\"not_ok\":%ld}\n", n,
           count, lat[count / 2], lat[count * 99 / 100], bad);
    free(lat);
    return bad == 0 ? 0 : 1;
}

static int cmd_sweep(const char *path)
{
    store *st = open_store(path);
    if (st == NULL)
        return 1;
    double t0 = now_s();
    long removed = store_sweep(st, (int64_t)time(NULL));
    double dt = now_s() - t0;
    long live = store_count(st);
    store_close(st);
    printf("{\"removed\":%ld,\"seconds\":%.3f,\"live_after\":%ld}\n", removed, dt, live);
    return removed >= 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
    if (argc >= 4 && strcmp(argv[1], "fill") == 0)
        return cmd_fill(argv[2], atol(argv[3]), argc > 4 && strcmp(argv[4], "expired") == 0);
    if (argc == 5 && strcmp(argv[1], "read") == 0)
        return cmd_read(argv[2], atol(argv[3]), atol(argv[4]));
    if (argc == 3 && strcmp(argv[1], "sweep") == 0)
        return cmd_sweep(argv[2]);
    fprintf(stderr, "usage: store_scale fill DB N [expired] | read DB N COUNT | sweep DB\n");
    return 64;
}
