/*
 * bench/sdk_bench.h: what the two halves of bench/sdk_bench share.
 */
#ifndef TIGRESS_BENCH_SDK_BENCH_H
#define TIGRESS_BENCH_SDK_BENCH_H

#include <stdint.h>

/* Monotonic wall clock and this process's CPU clock, in nanoseconds. */
uint64_t bench_wall_ns(void);
uint64_t bench_cpu_ns(void);

/* `sdk_bench crypto`: seal/open vs the raw primitives; prints a JSON array. */
int bench_crypto(void);

#endif
