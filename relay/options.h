/*
 * relay/options.h: tigress-relay's options, from the command line and a --config file: the
 * table (names, defaults, --help text), parsing, and the checks across options.
 */
#ifndef RELAY_OPTIONS_H
#define RELAY_OPTIONS_H

#include <stdbool.h>

#include "relay.h"

/* relay_config (relay.h) plus the options only start-up needs: they shape how the store is
 * opened and are not kept afterwards. */
typedef struct main_config {
    relay_config r;
    char *redis_password_file;
    unsigned redis_timeout_ms;
    char *redis_ca, *redis_cert, *redis_key;    /* rediss:// (relay/store/redis_tls.h) */
} main_config;

/* Fills *cfg from the defaults, then the --config file, then argv (later wins). Returns -1 to
 * go on, or an exit code: 0 after --help, RELAY_EXIT_USAGE after printing what was wrong. */
int options_parse(main_config *cfg, int argc, char **argv);
/* Frees the strings options_parse() allocated (cfg itself is the caller's). */
void options_free(main_config *cfg);
/* Cross-option checks and the defaults derived from other options. 0 or RELAY_EXIT_USAGE. */
int options_check(relay_config *cfg, const main_config *mc);
/* True when a --store names a Redis store (redis://, rediss://, redis+sentinel://). */
bool options_is_redis_url(const char *loc);

#endif
