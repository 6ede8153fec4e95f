/* Small helpers: time and duration parsing, hex, reading files into guarded memory. */
#include "cli.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "../../common/calendar.h"

int64_t cli_now(void)
{
    return (int64_t)time(NULL);
}

int64_t cli_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int parse_rfc3339(const char *s, int64_t *out)
{
    if (strlen(s) < 19 || s[4] != '-' || s[7] != '-' || strchr("Tt ", s[10]) == NULL ||
        s[13] != ':' || s[16] != ':')
        return -1;
    int y = cal_fixed_digits(s, 4), mo = cal_fixed_digits(s + 5, 2);
    int d = cal_fixed_digits(s + 8, 2), h = cal_fixed_digits(s + 11, 2);
    int mi = cal_fixed_digits(s + 14, 2), sec = cal_fixed_digits(s + 17, 2), n = 19;
    /* The day is checked against its month: 2026-02-31 is refused, not read as March 3. */
    if (y < 0 || mo < 1 || mo > 12 || d < 1 || (unsigned)d > cal_days_in_month(y, (unsigned)mo) ||
        h < 0 || h > 23 || mi < 0 || mi > 59 || sec < 0 || sec > 60)
        return -1;
    const char *p = s + n;
    if (*p == '.') { /* fractional seconds: ignored */
        p++;
        while (isdigit((unsigned char)*p))
            p++;
    }
    int64_t offset = 0;
    if (*p == 'Z' || *p == 'z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        int oh = cal_fixed_digits(p + 1, 2);
        int om = oh < 0 || p[3] != ':' ? -1 : cal_fixed_digits(p + 4, 2);
        if (oh < 0 || om < 0)
            return -1;
        offset = (int64_t)(oh * 3600 + om * 60) * (*p == '+' ? 1 : -1);
        p += 6;
    } else {
        return -1;
    }
    if (*p != '\0')
        return -1;
    *out = cal_days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 + h * 3600 + mi * 60 + sec - offset;
    return 0;
}

/* "1h30m", "90s", "2d", "45" (seconds) -> seconds. */
static int parse_duration_s(const char *s, int64_t *out)
{
    int64_t total = 0;
    if (*s == '\0')
        return -1;
    while (*s) {
        if (!isdigit((unsigned char)*s))
            return -1;
        errno = 0;
        char *end;
        long long v = strtoll(s, &end, 10);
        if (errno || v < 0 || v > 100000000)
            return -1;
        int64_t unit;
        switch (*end) {
        case '\0': unit = 1; break;
        case 's': unit = 1; end++; break;
        case 'm': unit = 60; end++; break;
        case 'h': unit = 3600; end++; break;
        case 'd': unit = 86400; end++; break;
        default: return -1;
        }
        total += v * unit;
        s = end;
    }
    *out = total;
    return 0;
}

int cli_parse_when(const char *text, int64_t now, int64_t *out)
{
    int64_t v;
    if (strchr(text, '-') && parse_rfc3339(text, &v) == 0) {
        *out = v;
        return 0;
    }
    if (parse_duration_s(text, &v) == 0 && v > 0) {
        *out = now + v;
        return 0;
    }
    return -1;
}

int cli_parse_duration_ms(const char *text, long *out_ms)
{
    int64_t v;
    if (parse_duration_s(text, &v) != 0 || v <= 0 || v > 30L * 86400)
        return -1;
    *out_ms = (long)(v * 1000);
    return 0;
}

/* RFC 3339 UTC by calendar arithmetic on int64_t: no time_t (32 bits on some targets). */
void cli_format_time(int64_t unix_s, char *buf, size_t size)
{
    int64_t days, secs, y;
    unsigned m, d;
    cal_split_time(unix_s, &days, &secs);
    cal_civil_from_days(days, &y, &m, &d);
    if (y < 0 || y > 9999) {
        snprintf(buf, size, "%lld", (long long)unix_s);
        return;
    }
    snprintf(buf, size, "%04d-%02u-%02uT%02d:%02d:%02dZ", (int)y, m, d, (int)(secs / 3600),
             (int)(secs / 60 % 60), (int)(secs % 60));
}

void cli_hex_encode(const uint8_t *in, size_t len, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < len; i++) {
        out[2 * i] = digits[in[i] >> 4];
        out[2 * i + 1] = digits[in[i] & 15];
    }
    out[2 * len] = '\0';
}

static int hex_val(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

long cli_hex_decode(const char *hex, uint8_t *out, size_t cap)
{
    size_t n = strlen(hex);
    while (n > 0 && isspace((unsigned char)hex[n - 1]))
        n--;
    if (n % 2 != 0 || n / 2 > cap)
        return -1;
    for (size_t i = 0; i < n / 2; i++) {
        int hi = hex_val(hex[2 * i]), lo = hex_val(hex[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return -1;
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    return (long)(n / 2);
}

/* Files we read hold the Secret, a key or credential content: keep them in guarded memory
 * and wipe them when done. The size is stored in front so cli_secure_free() needs only p.
 * sodium_malloc() puts the block at the end of a page, so it is only aligned when its size
 * is a multiple of the alignment: round up to 16. */
static char *secure_alloc(size_t n)
{
    size_t total = (sizeof(size_t) + n + 1 + 15) & ~(size_t)15;
    size_t *p = sodium_malloc(total);
    if (p == NULL)
        return NULL;
    p[0] = total;
    return (char *)(p + 1);
}

void cli_secure_free(char *p)
{
    if (p == NULL)
        return;
    size_t *base = (size_t *)(void *)p - 1;
    sodium_memzero(base, base[0]);
    sodium_free(base);
}

char *cli_secure_strdup(const char *s)
{
    size_t n = strlen(s);
    char *p = secure_alloc(n);
    if (p != NULL)
        memcpy(p, s, n + 1);
    return p;
}

#define CLI_MAX_FILE (1024 * 1024)

int cli_read_file(const char *path, char **out, size_t *out_len)
{
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    if (f == NULL)
        return -1;
    char *buf = secure_alloc(CLI_MAX_FILE);
    if (buf == NULL) {
        if (f != stdin) fclose(f);
        errno = ENOMEM;
        return -1;
    }
    size_t n = fread(buf, 1, CLI_MAX_FILE, f);
    int err = ferror(f) ? EIO : 0;
    if (!err && n == CLI_MAX_FILE && fgetc(f) != EOF)
        err = EFBIG;
    if (f != stdin)
        fclose(f);
    if (err) {
        cli_secure_free(buf);
        errno = err;
        return -1;
    }
    buf[n] = '\0';
    *out = buf;
    if (out_len)
        *out_len = n;
    return 0;
}

int cli_read_arg(const char *arg, char **out, size_t *out_len)
{
    if (arg[0] == '@')
        return cli_read_file(arg + 1, out, out_len);
    *out = cli_secure_strdup(arg);
    if (*out == NULL) {
        errno = ENOMEM;
        return -1;
    }
    if (out_len)
        *out_len = strlen(arg);
    return 0;
}

/* A URL typed in argv has its #fragment (the Secret) blanked at once, before any network call,
 * so `ps` and /proc show it for as short a time as we can manage. */
int cli_take_url(cli_ctx *ctx, char **url)
{
    char *arg = ctx->args.pos[0];
    size_t len = 0;
    if (cli_read_arg(arg, url, &len) != 0)
        return cli_fail(ctx, CLI_EXIT_USAGE, "cannot read the Share URL from %s", arg);
    while (len > 0 && ((*url)[len - 1] == '\n' || (*url)[len - 1] == '\r' ||
                       (*url)[len - 1] == ' '))
        (*url)[--len] = '\0';
    char *frag = arg[0] == '@' ? NULL : strchr(arg, '#');
    if (frag)
        sodium_memzero(frag + 1, strlen(frag + 1));
    return 0;
}
