/*
 * relay/store/store_redis_url.h: the Redis backend's location,
 * redis[s]://[[user]:password@]host[:port][/db], parsed. Only built with hiredis.
 */
#ifndef TIGRESS_RELAY_STORE_REDIS_URL_H
#define TIGRESS_RELAY_STORE_REDIS_URL_H

#include <stdbool.h>

typedef struct rs_url {
    char host[256];
    int port;                   /* 6379 when the URL names none */
    int db;
    char *user;                 /* ACL user name (AUTH user password), NULL: default user */
    char *password;             /* NULL when none; never logged; wiped by rs_url_clear() */
    bool tls;                   /* rediss:// */
} rs_url;

/* Parses `url` (the scheme compared without case) into *u, which starts zeroed. Credentials
 * may be percent-encoded; without a ':' the user information is the password (the default
 * user), as redis-cli reads it. False when it does not parse; release *u with rs_url_clear()
 * either way. */
bool rs_url_parse(rs_url *u, const char *url);

/* Wipes the password and frees what rs_url_parse() allocated. */
void rs_url_clear(rs_url *u);

#endif /* TIGRESS_RELAY_STORE_REDIS_URL_H */
