/*
 * relay/log.c: structured logs on stderr, one line per event ("key=value" pairs).
 *
 * Privacy (DESIGN 3.12): callers never pass IP addresses, claims, tokens, Request-IDs or payloads.
 * Mailbox IDs appear only as a keyed BLAKE2b hash whose key is derived from a random per-process
 * secret and the UTC day, so log lines of different days (or of another relay run) cannot be
 * joined on the mailbox, and nobody holding the log can recover or confirm an ID.
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "relay.h"

static int g_level = LOG_INFO;
static unsigned char g_master[crypto_generichash_KEYBYTES];
static unsigned char g_day_key[crypto_generichash_KEYBYTES];
static int64_t g_key_day = -1;
static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;

static const char *const level_names[] = {"error", "warn", "info", "debug"};

void relay_log_init(int level)
{
    g_level = level;
    randombytes_buf(g_master, sizeof g_master);
}

static void timestamp(char out[32])
{
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    size_t n = strftime(out, 32, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out + n, 32 - n, ".%03ldZ", ts.tv_nsec / 1000000L);
}

void relay_log(int level, const char *fmt, ...)
{
    if (level > g_level)
        return;
    char ts[32], msg[1024];
    timestamp(ts);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    /* One fprintf per line: stdio locks the stream, so lines of threads never interleave. */
    fprintf(stderr, "ts=%s level=%s %s\n", ts, level_names[level], msg);
}

void relay_log_mailbox_hash(const char *id, char out[17])
{
    unsigned char h[8];
    int64_t day = (int64_t)time(NULL) / 86400;
    pthread_mutex_lock(&g_lock);
    if (day != g_key_day) {
        /* day key = BLAKE2b_master(day number): rotates at midnight UTC. */
        crypto_generichash(g_day_key, sizeof g_day_key, (const unsigned char *)&day, sizeof day,
                           g_master, sizeof g_master);
        g_key_day = day;
    }
    crypto_generichash(h, sizeof h, (const unsigned char *)id, strlen(id), g_day_key,
                       sizeof g_day_key);
    pthread_mutex_unlock(&g_lock);
    sodium_bin2hex(out, 17, h, sizeof h);
}

void relay_log_request(const char *method, const char *route, unsigned status,
                       double latency_ms, const char *id)
{
    if (g_level < LOG_INFO)
        return;
    char hash[17] = "-";
    if (id != NULL && id[0] != '\0')
        relay_log_mailbox_hash(id, hash);
    relay_log(LOG_INFO, "event=request method=%s route=%s status=%u latency_ms=%.2f mailbox=%s",
              method, route, status, latency_ms, hash);
}
