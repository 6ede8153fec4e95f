/*
 * tests/cluster/cluster_util.h: a private redis-server for the cluster tests (loopback, free
 * port, appendonly yes + appendfsync always in the harness temp dir), driven with redis-cli,
 * and a tiny HTTPS push receiver that counts what it gets.
 */
#ifndef TIGRESS_TESTS_CLUSTER_UTIL_H
#define TIGRESS_TESTS_CLUSTER_UTIL_H

#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>

#include "relay_harness.h"

bool cu_have_redis(void);
/* Starts redis-server (first call picks the port; later calls reuse port and data). 0 = up
 * (also when it is running already). */
int cu_redis_start(void);
unsigned cu_redis_port(void);
/* Picks the port cu_redis_start() will use, without starting anything (a relay can then be
 * started while nothing listens there). */
unsigned cu_redis_pick_port(void);
/* Sends sig to the running redis-server (SIGSTOP / SIGCONT: a hung server). */
void cu_redis_signal(int sig);
/* Runs `redis-cli -h 127.0.0.1 -p <port> <args>` (args go through the shell: quote them);
 * its first output line into out (may be NULL). Returns its exit status. */
int cu_redis_cmd(char *out, size_t cap, const char *args);
void cu_redis_kill9(void);             /* the harshest stop: acknowledged writes must survive */
void cu_redis_stop(void);              /* SIGTERM and wait (end of suite) */
/* PUBSUB NUMSUB of channel, waiting (bounded) until it reaches want; returns the last value. */
long cu_redis_numsub_wait(const char *channel, long want);
/* A redis-cli subscribed to channel (pid in *pid): *out receives a stream of its output lines.
 * Stop it with cu_redis_unsubscribe. 0 on success. */
int cu_redis_subscribe(const char *channel, pid_t *pid, FILE **out);
void cu_redis_unsubscribe(pid_t pid, FILE *out);
/* The shared rate limiter's keys in db: at least one, every name tigress:rl:<32 hex>, each with
 * an expiry, and no key in db names a client address. */
bool cu_redis_check_rl_keys(int db);

/* Reads id as claim through r until it answers want (bounded wait); returns the last status. */
long cu_wait_status(const relay_proc *r, const char *id, const char *claim, long want);

int cu_rx_start(void);
unsigned cu_rx_port(void);
void cu_rx_stop(void);
void cu_rx_reset(void);
int cu_rx_wait(int n);                 /* bounded wait for n pushes; returns the count */
int cu_rx_count(void);
const char *cu_rx_path(int i);         /* path of push i (valid until reset) */

#endif
