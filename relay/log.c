/*
 * relay/log.c: structured logs on stderr, one line per event ("key=value" pairs).
 *
 * Privacy (docs/protocol.md D12): callers never pass IP addresses, claims, tokens, Request-IDs or
 * payloads.
 * Mailbox IDs appear only as a keyed BLAKE2b hash whose key is derived from a random per-process
 * secret and the UTC day, so log lines of different days (or of another relay run) cannot be
 * joined on the mailbox, and nobody holding the log can recover or confirm an ID.
 *
 * Logging is on every request's path, on every server thread, so it takes no lock: a line is
 * formatted into a local buffer and written with one write(2) (stdio's stream lock was a
 * measurable share of the relay's lock waits), and each thread keeps its own copy of the
 * day key, so hashing an ID shares nothing writable between threads.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "relay.h"

static int g_level = LOG_INFO;
static unsigned char g_master[crypto_generichash_KEYBYTES]; /* written once, at init */
static _Thread_local unsigned char t_day_key[crypto_generichash_KEYBYTES];
static _Thread_local int64_t t_key_day = -1;

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
    char ts[32], line[1200];
    timestamp(ts);
    int n = snprintf(line, sizeof line, "ts=%s level=%s ", ts, level_names[level]);
    va_list ap;
    va_start(ap, fmt);
    int m = vsnprintf(line + n, sizeof line - (size_t)n - 1, fmt, ap);
    va_end(ap);
    size_t len = (size_t)n + (m < 0 ? 0 : (size_t)m);
    if (len > sizeof line - 2)
        len = sizeof line - 2; /* truncated message */
    line[len++] = '\n';
    /* One write(2) per line, well under PIPE_BUF: lines of threads never interleave. */
    const char *p = line;
    while (len > 0) {
        ssize_t w = write(STDERR_FILENO, p, len);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return; /* nowhere to report a failing log */
        p += w;
        len -= (size_t)w;
    }
}

void relay_log_mailbox_hash(const char *id, char out[17])
{
    unsigned char h[8];
    int64_t day = (int64_t)time(NULL) / 86400;
    if (day != t_key_day) {
        /* day key = BLAKE2b_master(day number): rotates at midnight UTC. Every thread
         * derives the same key from the same master. */
        crypto_generichash(t_day_key, sizeof t_day_key, (const unsigned char *)&day, sizeof day,
                           g_master, sizeof g_master);
        t_key_day = day;
    }
    crypto_generichash(h, sizeof h, (const unsigned char *)id, strlen(id), t_day_key,
                       sizeof t_day_key);
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
