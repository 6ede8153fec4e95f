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
 *
 * A log line is printable ASCII and nothing else: the request method is logged only when it is
 * one the relay knows (else `other`), and every message is escaped on its way out (\xHH for
 * control bytes, DEL, bytes above 0x7f and the backslash), whatever its call site passes in.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "relay.h"

static _Atomic int g_level = LOG_INFO;
static unsigned char g_master[crypto_generichash_KEYBYTES]; /* written once, at init */
static _Thread_local unsigned char t_day_key[crypto_generichash_KEYBYTES];
static _Thread_local int64_t t_key_day = -1;

static const char *const level_names[] = {"error", "warn", "info", "debug"};

void relay_log_init(int level)
{
    g_level = level;
    randombytes_buf(g_master, sizeof g_master);
}

void relay_log_set_level(int level)
{
    g_level = level;
}

/* RFC 3339 UTC with milliseconds. Every request writes a line, so the date and time up to the
 * second are formatted (gmtime_r + strftime) once per second per thread, not once per line. */
static void timestamp(char out[32])
{
    static _Thread_local time_t t_sec = (time_t)-1;
    static _Thread_local char t_prefix[32];
    static _Thread_local size_t t_len;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    if (ts.tv_sec != t_sec) {
        struct tm tm;
        gmtime_r(&ts.tv_sec, &tm);
        t_len = strftime(t_prefix, sizeof t_prefix - 6, "%Y-%m-%dT%H:%M:%S", &tm);
        t_sec = ts.tv_sec;
    }
    long ms = ts.tv_nsec / 1000000L;
    memcpy(out, t_prefix, t_len);
    out[t_len] = '.';
    out[t_len + 1] = (char)('0' + ms / 100);
    out[t_len + 2] = (char)('0' + ms / 10 % 10);
    out[t_len + 3] = (char)('0' + ms % 10);
    out[t_len + 4] = 'Z';
    out[t_len + 5] = '\0';
}

/* Copies msg into out (of size cap, cap >= 1) with every byte that is not printable ASCII, and
 * the backslash, written as \xHH: a value that came from a client (or from anywhere else) can
 * then neither end the line, nor carry a tab or CR that fakes a field or a line, nor an ESC
 * sequence for the terminal of whoever reads the log. Stops before an escape that would not fit
 * whole. Returns the length written (out is not NUL-terminated). */
static size_t escape_into(char *out, size_t cap, const char *msg)
{
    static const char hex[] = "0123456789abcdef";
    size_t w = 0;
    for (const unsigned char *p = (const unsigned char *)msg; *p != '\0'; p++) {
        if (*p >= 0x20 && *p < 0x7f && *p != '\\') {
            if (w + 1 > cap)
                break;
            out[w++] = (char)*p;
        } else {
            if (w + 4 > cap)
                break;
            out[w++] = '\\';
            out[w++] = 'x';
            out[w++] = hex[*p >> 4];
            out[w++] = hex[*p & 15];
        }
    }
    return w;
}

void relay_log(int level, const char *fmt, ...)
{
    if (level > g_level)
        return;
    char ts[32], msg[1200], line[1200];
    timestamp(ts);
    va_list ap;
    va_start(ap, fmt);
    int m = vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (m < 0)
        msg[0] = '\0';
    int n = snprintf(line, sizeof line, "ts=%s level=%s ", ts, level_names[level]);
    /* leaves room for the newline; a message too long for the line is truncated */
    size_t len = (size_t)n + escape_into(line + n, sizeof line - (size_t)n - 1, msg);
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

/* The request method as the client sent it is any token (or worse): only the methods the relay
 * knows are logged by name, anything else as `other`. */
static const char *log_method(const char *method)
{
    static const char *const known[] = {"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH",
                                        "OPTIONS"};
    for (size_t i = 0; method != NULL && i < sizeof known / sizeof known[0]; i++)
        if (strcmp(method, known[i]) == 0)
            return known[i];
    return "other";
}

void relay_log_request(const char *method, const char *route, unsigned status,
                       double latency_ms, const char *id)
{
    if (g_level < LOG_INFO)
        return;
    char hash[17] = "-";
    if (id != NULL && id[0] != '\0')
        relay_log_mailbox_hash(id, hash);
    /* Hundredths as integers: %.2f goes through printf's floating-point path on every line. */
    long long centi = latency_ms > 0 ? (long long)(latency_ms * 100.0 + 0.5) : 0;
    relay_log(LOG_INFO,
              "event=request method=%s route=%s status=%u latency_ms=%lld.%02lld mailbox=%s",
              log_method(method), route, status, centi / 100, centi % 100, hash);
}
