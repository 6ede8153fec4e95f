/*
 * RFC 3339 timestamps "YYYY-MM-DDThh:mm:ssZ" <-> Unix seconds, in int64_t throughout: the
 * conversion is plain calendar arithmetic (Howard Hinnant's days_from_civil / civil_from_days,
 * proleptic Gregorian), so it never goes through time_t (32 bits on some targets: an expiration
 * after 2038-01-19 must still round-trip), timegm() or the TZ environment.
 */
#include <stdio.h>
#include <string.h>

#include "internal.h"

/* Days since 1970-01-01 of y-m-d (m 1..12, d 1..31). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    int64_t era;
    unsigned yoe, doy, doe;

    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = (unsigned)(y - era * 400);
    doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

/* The inverse: y-m-d of a day count since 1970-01-01. */
static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    int64_t era;
    unsigned doe, yoe, doy, mp;

    z += 719468;
    era = (z >= 0 ? z : z - 146096) / 146097;
    doe = (unsigned)(z - era * 146097);
    yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

static bool is_leap(int64_t y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static unsigned days_in_month(int64_t y, unsigned m)
{
    static const unsigned char mdays[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

    return mdays[m - 1] + (m == 2 && is_leap(y) ? 1u : 0u);
}

/* 9999-12-31T23:59:59Z: the last instant four year digits can write. */
#define TIME_MAX_S INT64_C(253402300799)

tigress_status tigress__time_format(int64_t t, char out[21])
{
    int64_t y, days = t / 86400, secs = t % 86400;
    unsigned m, d;
    char tmp[32];

    if (t < 0 || t > TIME_MAX_S)
        return TIGRESS_E_INVALID;
    civil_from_days(days, &y, &m, &d);
    if (snprintf(tmp, sizeof(tmp), "%04d-%02u-%02uT%02d:%02d:%02dZ", (int)y, m, d,
                 (int)(secs / 3600), (int)(secs / 60 % 60), (int)(secs % 60)) != 20)
        return TIGRESS_E_INVALID;
    memcpy(out, tmp, 21);
    return TIGRESS_OK;
}

/* Exactly `n` ASCII digits at `s` as a number, or -1 (sscanf would accept signs and spaces). */
static int fixed_digits(const char *s, int n)
{
    int v = 0;

    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

tigress_status tigress__time_parse(const char *s, int64_t *out)
{
    int y, mo, d, h, mi, se;

    /* Only the one shape we emit: YYYY-MM-DDTHH:MM:SSZ (20 characters). */
    if (s == NULL || strlen(s) != 20 || s[4] != '-' || s[7] != '-' || s[10] != 'T' ||
        s[13] != ':' || s[16] != ':' || s[19] != 'Z')
        return TIGRESS_E_FORMAT;
    y = fixed_digits(s, 4);
    mo = fixed_digits(s + 5, 2);
    d = fixed_digits(s + 8, 2);
    h = fixed_digits(s + 11, 2);
    mi = fixed_digits(s + 14, 2);
    se = fixed_digits(s + 17, 2);
    if (y < 0 || mo < 1 || mo > 12 || d < 1 || (unsigned)d > days_in_month(y, (unsigned)mo) ||
        h < 0 || h > 23 || mi < 0 || mi > 59 || se < 0 || se > 60)
        return TIGRESS_E_FORMAT;
    /* A leap second (ss = 60) counts as the first second of the next minute, as timegm() and
     * POSIX time do. */
    *out = days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 + (int64_t)h * 3600 +
           (int64_t)mi * 60 + se;
    return TIGRESS_OK;
}
