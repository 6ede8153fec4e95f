/*
 * relay/store/store_redis_pool.c: the Redis backend's connections (see the header). Built
 * only when hiredis is found (-DTIGRESS_HAVE_HIREDIS).
 */
#ifdef TIGRESS_HAVE_HIREDIS

#include "store_redis_pool.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define RS_MAX_IDLE 16

const char *rs_pool_setup(rs_pool *p, const store_config *cfg, int default_timeout_ms)
{
    pthread_mutex_init(&p->mu, NULL);
    rs_breaker_init(&p->breaker);
    p->timeout_ms = cfg->busy_timeout_ms > 0 ? cfg->busy_timeout_ms : default_timeout_ms;
    if (!rs_url_parse(&p->url, cfg->location))
        return "cannot parse the URL (redis[s]://[[user]:password@]host[:port][/db] or "
               "redis+sentinel://[[user]:password@]host[:port][,host[:port]...]/MASTERNAME"
               "[?db=N&min_replicas=N&wait_ms=MS])";
    if (!p->url.tls && (cfg->redis_ca != NULL || cfg->redis_cert != NULL || cfg->redis_key != NULL))
        return "TLS files given for a redis:// URL (use rediss://)";
    if ((cfg->redis_ca != NULL && (p->tls_ca = strdup(cfg->redis_ca)) == NULL) ||
        (cfg->redis_cert != NULL && (p->tls_cert = strdup(cfg->redis_cert)) == NULL) ||
        (cfg->redis_key != NULL && (p->tls_key = strdup(cfg->redis_key)) == NULL))
        return "out of memory";
    p->tls_opts = (redis_tls_opts){.ca_file = p->tls_ca, .cert_file = p->tls_cert,
                                   .key_file = p->tls_key};
    return NULL;
}

static void free_list(rs_conn *k)
{
    while (k != NULL) {
        rs_conn *next = k->next;
        redisFree(k->c);
        free(k);
        k = next;
    }
}

void rs_pool_free(rs_pool *p)
{
    free_list(p->idle);
    p->idle = NULL;
    p->n_idle = 0;
    rs_url_clear(&p->url);
    free(p->tls_ca);
    free(p->tls_cert);
    free(p->tls_key);
    /* The tunnels' pump threads end once their descriptors are closed (above); let them
     * finish, so that nothing of the store is still running after close. */
    if (p->url.tls)
        (void)redis_tls_wait_idle(p->timeout_ms);
    pthread_mutex_destroy(&p->mu);
}

static bool reply_ok(redisReply *r)
{
    return r != NULL && r->type != REDIS_REPLY_ERROR;
}

/* Opens the breaker and drops the idle connections: when one failed, the others lead to the
 * same dead or hung server, and probing through each in turn would stretch the outage by
 * one breaker window per pooled connection after the server came back. */
void rs_pool_trip(rs_pool *p)
{
    rs_breaker_open(&p->breaker);
    pthread_mutex_lock(&p->mu);
    rs_conn *k = p->idle;
    p->idle = NULL;
    p->n_idle = 0;
    pthread_mutex_unlock(&p->mu);
    free_list(k);
}

/* AUTH [user] password, then SELECT db. A refusal is reported in why; an I/O failure
 * (NULL reply) is UNREACHABLE. */
static rs_conn_rc login(const rs_pool *p, redisContext *c, char *why, size_t why_len)
{
    const rs_url *u = &p->url;
    redisReply *r = NULL;
    rs_conn_rc rc = RS_CONN_OK;
    if (u->password != NULL) {
        /* Redis 6 ACL users: AUTH user password; the default user: AUTH password. */
        if (u->user != NULL)
            r = redisCommand(c, "AUTH %s %s", u->user, u->password);
        else
            r = redisCommand(c, "AUTH %s", u->password);
        rc = r == NULL ? RS_CONN_UNREACHABLE : reply_ok(r) ? RS_CONN_OK : RS_CONN_AUTH;
    } else {
        /* No credentials: find out now whether the server wants some (NOAUTH). */
        r = redisCommand(c, "PING");
        rc = r == NULL ? RS_CONN_UNREACHABLE
             : r->type == REDIS_REPLY_ERROR && strncmp(r->str, "NOAUTH", 6) == 0 ? RS_CONN_AUTH
                                                                                 : RS_CONN_OK;
    }
    if (rc == RS_CONN_AUTH && why != NULL && r != NULL && r->type == REDIS_REPLY_ERROR)
        snprintf(why, why_len, "%.120s", r->str);   /* the server's words; no secret in them */
    freeReplyObject(r);
    if (rc == RS_CONN_OK && u->db != 0) {
        r = redisCommand(c, "SELECT %d", u->db);
        rc = r == NULL ? RS_CONN_UNREACHABLE : reply_ok(r) ? RS_CONN_OK : RS_CONN_SELECT;
        if (rc == RS_CONN_SELECT && why != NULL)
            snprintf(why, why_len, "%.120s", r->str);
        freeReplyObject(r);
    }
    return rc;
}

/* rediss://: hiredis 0.14 has no TLS, so it talks through the tunnel of redis_tls.c. A
 * server certificate that fails verification (or TLS files that cannot be read) is
 * RS_CONN_TLS, a configuration error like a refused AUTH; anything else is an outage. */
static redisContext *connect_tls(const rs_pool *p, rs_conn_rc *rc, char *why, size_t why_len)
{
    char msg[256] = "";
    int fd = redis_tls_connect(p->url.host, p->url.port, &p->tls_opts, p->timeout_ms, msg,
                               sizeof msg);
    if (fd < 0) {
        *rc = fd == REDIS_TLS_E_CONFIG ? RS_CONN_TLS : RS_CONN_UNREACHABLE;
        if (why != NULL)
            snprintf(why, why_len, "%s", msg);   /* no secret in it; cut to fit */
        return NULL;
    }
    redisContext *c = redisConnectFd(fd);
    if (c == NULL)
        close(fd);  /* out of memory: redisConnectFd() did not take it */
    return c;
}

/* Asks the sentinels, each in turn, for the current master of url.master_name
 * (SENTINEL get-master-addr-by-name). True with *hp set, else false and why says what the
 * last sentinel said (or that none answered). */
static bool sentinel_master(const rs_pool *p, rs_hostport *hp, char *why, size_t why_len)
{
    struct timeval tv = {p->timeout_ms / 1000, (p->timeout_ms % 1000) * 1000};
    const rs_url *u = &p->url;
    if (why != NULL)
        snprintf(why, why_len, "no sentinel answered");
    for (int i = 0; i < u->n_sentinels; i++) {
        const rs_hostport *s = &u->sentinels[i];
        redisContext *c = redisConnectWithTimeout(s->host, s->port, tv);
        redisReply *r = NULL;
        if (c != NULL && c->err == 0 && redisSetTimeout(c, tv) == REDIS_OK)
            r = redisCommand(c, "SENTINEL get-master-addr-by-name %s", u->master_name);
        bool ok = r != NULL && r->type == REDIS_REPLY_ARRAY && r->elements == 2 &&
                  r->element[0]->type == REDIS_REPLY_STRING &&
                  r->element[1]->type == REDIS_REPLY_STRING &&
                  r->element[0]->len > 0 && r->element[0]->len < sizeof(hp->host);
        if (ok) {
            long port = strtol(r->element[1]->str, NULL, 10);
            ok = port > 0 && port <= 65535;
            if (ok) {
                memcpy(hp->host, r->element[0]->str, r->element[0]->len + 1);
                hp->port = (int)port;
            }
        } else if (why != NULL && r != NULL) {
            snprintf(why, why_len, "sentinel %.100s:%d does not know master %.100s",
                     s->host, s->port, u->master_name);
        }
        freeReplyObject(r);
        if (c != NULL)
            redisFree(c);
        if (ok)
            return true;
    }
    return false;
}

/* ROLE: is the server we reached through the sentinels a master (not yet, or no longer, a
 * replica)? RS_CONN_OK if so; RS_CONN_UNREACHABLE if not (a failover under way) or on an I/O
 * failure; RS_CONN_AUTH when the server refuses ROLE itself (an ACL user without it: a
 * configuration error, reported in why). */
static rs_conn_rc check_master(redisContext *c, char *why, size_t why_len)
{
    redisReply *r = redisCommand(c, "ROLE");
    rs_conn_rc rc = RS_CONN_UNREACHABLE;
    if (r != NULL && r->type == REDIS_REPLY_ERROR) {
        rc = RS_CONN_AUTH;
        if (why != NULL)
            snprintf(why, why_len, "ROLE: %.120s", r->str);
    } else if (r != NULL && r->type == REDIS_REPLY_ARRAY && r->elements > 0 &&
               r->element[0]->type == REDIS_REPLY_STRING &&
               strcmp(r->element[0]->str, "master") == 0) {
        rc = RS_CONN_OK;
    } else if (why != NULL) {
        snprintf(why, why_len, "the server the sentinels named is not a master (yet)");
    }
    freeReplyObject(r);
    return rc;
}

redisContext *rs_pool_connect(const rs_pool *p, rs_conn_rc *why_rc, char *why, size_t why_len)
{
    struct timeval tv = {p->timeout_ms / 1000, (p->timeout_ms % 1000) * 1000};
    rs_conn_rc rc = RS_CONN_UNREACHABLE;
    redisContext *c = NULL;
    if (p->url.sentinel) {
        /* Every new connection asks the sentinels afresh: after a failover the pool has
         * been emptied (rs_pool_trip), so the next connection goes to the new master. */
        rs_hostport m;
        if (sentinel_master(p, &m, why, why_len))
            c = redisConnectWithTimeout(m.host, m.port, tv);
    } else {
        c = p->url.tls ? connect_tls(p, &rc, why, why_len)
                       : redisConnectWithTimeout(p->url.host, p->url.port, tv);
    }
    if (c != NULL && c->err == 0 && redisSetTimeout(c, tv) == REDIS_OK)
        rc = login(p, c, why, why_len);
    if (rc == RS_CONN_OK && p->url.sentinel && (rc = check_master(c, why, why_len)) != RS_CONN_OK) {
        redisFree(c);       /* not a master: a failover under way, the sentinels will say more */
        c = NULL;
    }
    if (rc != RS_CONN_OK && c != NULL) {
        if (rc == RS_CONN_UNREACHABLE && why != NULL && c->err != 0)
            snprintf(why, why_len, "%.120s", c->errstr);
        redisFree(c);
        c = NULL;
    }
    if (why_rc != NULL)
        *why_rc = rc;
    return c;
}

rs_conn *rs_pool_get(rs_pool *p)
{
    if (!rs_breaker_admit(&p->breaker, p->timeout_ms))
        return NULL;
    pthread_mutex_lock(&p->mu);
    rs_conn *k = p->idle;
    if (k != NULL) {
        p->idle = k->next;
        p->n_idle--;
    }
    pthread_mutex_unlock(&p->mu);
    if (k != NULL)
        return k;
    k = calloc(1, sizeof(*k));
    if (k == NULL)
        return NULL;
    k->c = rs_pool_connect(p, NULL, NULL, 0);
    if (k->c == NULL) {
        free(k);
        rs_pool_trip(p);
        return NULL;
    }
    return k;
}

void rs_pool_put(rs_pool *p, rs_conn *k)
{
    if (k == NULL)
        return;
    if (k->c->err == 0) {
        rs_breaker_close(&p->breaker);
        pthread_mutex_lock(&p->mu);
        if (p->n_idle < RS_MAX_IDLE) {
            k->next = p->idle;
            p->idle = k;
            p->n_idle++;
            k = NULL;
        }
        pthread_mutex_unlock(&p->mu);
    } else {
        rs_pool_trip(p);
    }
    if (k != NULL) {
        redisFree(k->c);
        free(k);
    }
}

void rs_pool_drop(rs_pool *p, rs_conn *k)
{
    if (k == NULL)
        return;
    redisFree(k->c);
    free(k);
    rs_pool_trip(p);
}

#else /* !TIGRESS_HAVE_HIREDIS */

typedef int store_redis_pool_not_built;

#endif /* TIGRESS_HAVE_HIREDIS */
