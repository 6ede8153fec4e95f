/*
 * common/calendar.h: proleptic Gregorian calendar arithmetic on int64_t, shared as inline code
 * by the library (lib/timestamp.c), the relay (relay/validate.c) and the CLI
 * (examples/cli/util.c), which each parse the RFC 3339 forms they accept but must agree on
 * what a date is. No time_t (32 bits on some targets: a date after 2038-01-19 must still
 * convert), no timegm(), no TZ environment. Days are counted from 1970-01-01 with Howard
 * Hinnant's days_from_civil / civil_from_days algorithms.
 *
 * Header-only on purpose: the relay links no libtigress code, and nothing here is ABI.
 */
#ifndef TIGRESS_COMMON_CALENDAR_H
#define TIGRESS_COMMON_CALENDAR_H

#include <stdbool.h>
#include <stdint.h>

/* Days since 1970-01-01 of y-m-d (m 1..12, d 1..31; not range-checked here). */
static inline int64_t cal_days_from_civil(int64_t y, unsigned m, unsigned d)
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
static inline void cal_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
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

static inline bool cal_is_leap(int64_t y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* Days in month m (1..12) of year y. */
static inline unsigned cal_days_in_month(int64_t y, unsigned m)
{
    static const unsigned char mdays[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

    return mdays[m - 1] + (m == 2 && cal_is_leap(y) ? 1u : 0u);
}

/* Exactly n ASCII digits at s as a number, or -1: sscanf("%2d") would accept a sign or a
 * space inside a timestamp. */
static inline int cal_fixed_digits(const char *s, int n)
{
    int v = 0;

    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

/* Splits a Unix time into its day count and second of day (0..86399), also before 1970. */
static inline void cal_split_time(int64_t t, int64_t *days, int64_t *secs)
{
    *days = t / 86400;
    *secs = t % 86400;
    if (*secs < 0) {
        *secs += 86400;
        (*days)--;
    }
}

#endif
