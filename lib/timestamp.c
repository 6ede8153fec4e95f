/*
 * RFC 3339 timestamps "YYYY-MM-DDThh:mm:ssZ" <-> Unix seconds, in int64_t throughout: the
 * conversion is plain calendar arithmetic (Howard Hinnant's days_from_civil / civil_from_days,
 * proleptic Gregorian), so it never goes through time_t (32 bits on some targets: an expiration
 * after 2038-01-19 must still round-trip), timegm() or the TZ environment.
 */
#include <stdio.h>
#include <string.h>

#include "../common/calendar.h"
#include "internal.h"

/* 9999-12-31T23:59:59Z: the last instant four year digits can write. */
#define TIME_MAX_S INT64_C(253402300799)

tigress_status tigress__time_format(int64_t t, char out[21])
{
    int64_t y, days = t / 86400, secs = t % 86400;
    unsigned m, d;
    char tmp[32];

    if (t < 0 || t > TIME_MAX_S)
        return TIGRESS_E_INVALID;
    cal_civil_from_days(days, &y, &m, &d);
    if (snprintf(tmp, sizeof(tmp), "%04d-%02u-%02uT%02d:%02d:%02dZ", (int)y, m, d,
                 (int)(secs / 3600), (int)(secs / 60 % 60), (int)(secs % 60)) != 20)
        return TIGRESS_E_INVALID;
    memcpy(out, tmp, 21);
    return TIGRESS_OK;
}

tigress_status tigress__time_parse(const char *s, int64_t *out)
{
    int y, mo, d, h, mi, se;

    /* Only the one shape we emit: YYYY-MM-DDTHH:MM:SSZ (20 characters). */
    if (s == NULL || strlen(s) != 20 || s[4] != '-' || s[7] != '-' || s[10] != 'T' ||
        s[13] != ':' || s[16] != ':' || s[19] != 'Z')
        return TIGRESS_E_FORMAT;
    y = cal_fixed_digits(s, 4);
    mo = cal_fixed_digits(s + 5, 2);
    d = cal_fixed_digits(s + 8, 2);
    h = cal_fixed_digits(s + 11, 2);
    mi = cal_fixed_digits(s + 14, 2);
    se = cal_fixed_digits(s + 17, 2);
    if (y < 0 || mo < 1 || mo > 12 || d < 1 || (unsigned)d > cal_days_in_month(y, (unsigned)mo) ||
        h < 0 || h > 23 || mi < 0 || mi > 59 || se < 0 || se > 60)
        return TIGRESS_E_FORMAT;
    /* A leap second (ss = 60) counts as the first second of the next minute, as timegm() and
     * POSIX time do. */
    *out = cal_days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 + (int64_t)h * 3600 +
           (int64_t)mi * 60 + se;
    return TIGRESS_OK;
}
