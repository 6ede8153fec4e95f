/*
 * relay/store/store_redis_url.h: the Redis backend's location,
 * redis[s]://[[user]:password@]host[:port][/db], or the Sentinel form
 * redis+sentinel://[[user]:password@]host[:port][,host[:port]...]/MASTERNAME[?db=N&min_replicas=N&wait_ms=MS],
 * parsed. Only built with hiredis.
 */
#ifndef TIGRESS_RELAY_STORE_REDIS_URL_H
#define TIGRESS_RELAY_STORE_REDIS_URL_H

#include <stdbool.h>

#define RS_MAX_SENTINELS 16

typedef struct rs_hostport {
    char host[256];
    int port;
} rs_hostport;

typedef struct rs_url {
    char host[256];
    int port;                   /* 6379 when the URL names none */
    int db;
    char *user;                 /* ACL user name (AUTH user password), NULL: default user */
    char *password;             /* NULL when none; never logged; wiped by rs_url_clear() */
    bool tls;                   /* rediss:// */
    /* redis+sentinel://: host and port are the first sentinel's (for messages); the master
     * is asked of the sentinels at each connect (store_redis_pool.c). */
    bool sentinel;
    int n_sentinels;
    rs_hostport sentinels[RS_MAX_SENTINELS];    /* port 26379 when the URL names none */
    char master_name[128];
    int min_replicas;           /* WAIT for this many replicas after each write; 0: no WAIT */
    int wait_ms;                /* WAIT's timeout; 0: half the command timeout */
} rs_url;

/* Parses `url` (the scheme compared without case) into *u, which starts zeroed. Credentials
 * may be percent-encoded; without a ':' the user information is the password (the default
 * user), as redis-cli reads it. False when it does not parse; release *u with rs_url_clear()
 * either way. */
bool rs_url_parse(rs_url *u, const char *url);

/* Wipes the password and frees what rs_url_parse() allocated. */
void rs_url_clear(rs_url *u);

#endif /* TIGRESS_RELAY_STORE_REDIS_URL_H */
