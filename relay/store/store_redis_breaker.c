/*
 * relay/store/store_redis_breaker.c: the Redis backend's circuit breaker (see the header).
 * Built only when hiredis is found (-DTIGRESS_HAVE_HIREDIS), like the backend it serves.
 */
#ifdef TIGRESS_HAVE_HIREDIS

#include "store_redis_breaker.h"

#include <time.h>

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void rs_breaker_init(rs_breaker *b)
{
    atomic_init(&b->down_until, 0);
}

bool rs_breaker_admit(rs_breaker *b, int timeout_ms)
{
    int64_t until = atomic_load(&b->down_until);
    if (until == 0)
        return true;
    int64_t now = mono_ms();
    if (now < until)
        return false;
    /* The window is over: the caller that moves it on first is the probe. Its deadline
     * covers a probe that hangs for the whole timeout. */
    return atomic_compare_exchange_strong(&b->down_until, &until,
                                          now + timeout_ms + RS_BREAKER_MS);
}

void rs_breaker_open(rs_breaker *b)
{
    atomic_store(&b->down_until, mono_ms() + RS_BREAKER_MS);
}

void rs_breaker_close(rs_breaker *b)
{
    atomic_store(&b->down_until, 0);
}

#else /* !TIGRESS_HAVE_HIREDIS */

typedef int store_redis_breaker_not_built;

#endif /* TIGRESS_HAVE_HIREDIS */
