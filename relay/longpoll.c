/*
 * relay/longpoll.c: held secure reads (docs/protocol.md D10), each a suspended connection
 * rather than a waiting worker thread.
 *
 * A read with If-None-Match equal to the current version and "Prefer: wait=N" is parked here:
 * its connection is suspended (MHD_suspend_connection), so no worker thread is held. An Update
 * or Delete of that mailbox resumes every waiter on it; a timer thread resumes the ones whose
 * deadline passed. When resumed, the handler runs again and answers 200 (changed) or 304.
 *
 * Suspension happens under the same lock that wakers take, so a wake can never slip in between
 * "registered" and "suspended" and be lost.
 *
 * Several relay processes may share one store (Redis backend), and an Update handled by another
 * process cannot call longpoll_wake() here. So longpoll_wake() also publishes the change
 * through the store (store_publish) and the store's subscriber thread calls back here
 * (remote_change) in the other processes. Notices are best effort, so the timer thread also
 * compares each waiter's version with the store's once a second (and at once after the
 * subscriber reconnected) and resumes the ones whose mailbox changed. When the store cannot
 * answer (store_version() == UINT64_MAX) the recheck stops at once and resumes every waiter, whose
 * handler then answers 503: a waiter is never held for its whole wait by an outage.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <microhttpd.h>

#include "relay.h"

typedef struct waiter {
    struct waiter *next;
    struct MHD_Connection *conn;
    void *owner;
    char id[37];
    uint64_t version;          /* the version the reader already has */
    int64_t deadline_ms;
} waiter;

static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t g_cond;
static waiter *g_list;
static pthread_t g_thread;
static bool g_running, g_stopping;
static store *g_store;
static bool g_recheck_now;      /* set when cross-process notices may have been lost */
/* When the timer thread wakes next (monotonic ms): a new waiter wakes it only when its
 * deadline is earlier, since each wake walks the whole list (50,000 held reads: one walk per
 * new waiter made holding them quadratic). */
static int64_t g_timer_next;
static void remote_change(const char *id, void *arg);

#define RECHECK_MS 1000
#define RECHECK_MAX 256          /* mailboxes compared per round */
/* The timer sleeps at least this long between walks of the list, so expiring waits are
 * answered in batches (up to this much after their deadline) instead of one walk of every
 * held read per expiry: with 50,000 held reads of 60 s, about 830 expire each second. */
#define TIMER_SLACK_MS 50

int64_t relay_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Unlinks and resumes every waiter matching pred; called with g_lock held. */
static void resume_where(bool (*pred)(const waiter *, const void *), const void *arg)
{
    waiter **pp = &g_list;
    while (*pp != NULL) {
        waiter *w = *pp;
        if (pred(w, arg)) {
            *pp = w->next;
            MHD_resume_connection(w->conn);
            free(w);
        } else {
            pp = &w->next;
        }
    }
}

static bool due(const waiter *w, const void *arg)
{
    return w->deadline_ms <= *(const int64_t *)arg;
}

static bool same_id(const waiter *w, const void *arg)
{
    return strcmp(w->id, arg) == 0;
}

static bool any(const waiter *w, const void *arg)
{
    (void)w;
    (void)arg;
    return true;
}

/* Resumes waiters whose mailbox changed in the store (an Update by another relay process).
 * Called with g_lock held; releases it around the store calls. */
static void recheck_versions(void)
{
    static char ids[RECHECK_MAX][37];
    static uint64_t versions[RECHECK_MAX];
    size_t n = 0;
    for (const waiter *w = g_list; w != NULL && n < RECHECK_MAX; w = w->next) {
        memcpy(ids[n], w->id, sizeof ids[n]);
        versions[n++] = w->version;
    }
    pthread_mutex_unlock(&g_lock);
    bool changed[RECHECK_MAX];
    bool store_down = false;
    int64_t now_s = (int64_t)time(NULL);
    size_t done = 0;
    for (; done < n; done++) {
        uint64_t v = store_version(g_store, ids[done], now_s);
        if (v == UINT64_MAX) {
            /* The store cannot answer: asking again for each waiter would cost every one of
             * them the store's timeout, in series. Resume them all now; their handlers run
             * again and answer 503 + Retry-After (or 200/304 if the store is back). */
            store_down = true;
            break;
        }
        changed[done] = v != versions[done];
    }
    pthread_mutex_lock(&g_lock);
    if (store_down) {
        resume_where(any, NULL);
        return;
    }
    for (size_t i = 0; i < done; i++)
        if (changed[i])
            resume_where(same_id, ids[i]);
}

static void *timer_main(void *arg)
{
    (void)arg;
    int64_t next_check = relay_now_ms() + RECHECK_MS;
    pthread_mutex_lock(&g_lock);
    while (!g_stopping) {
        int64_t now = relay_now_ms();
        resume_where(due, &now);
        if ((now >= next_check || g_recheck_now) && g_list != NULL && g_store != NULL) {
            g_recheck_now = false;
            recheck_versions();
            next_check = relay_now_ms() + RECHECK_MS;
        }
        int64_t next = now + RECHECK_MS;
        for (const waiter *w = g_list; w != NULL; w = w->next)
            if (w->deadline_ms < next)
                next = w->deadline_ms;
        if (next < now + TIMER_SLACK_MS)
            next = now + TIMER_SLACK_MS;
        g_timer_next = next;
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        int64_t wait = next - now;
        ts.tv_sec += wait / 1000;
        ts.tv_nsec += (wait % 1000) * 1000000;
        if (ts.tv_nsec >= 1000000000) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000;
        }
        pthread_cond_timedwait(&g_cond, &g_lock, &ts);
    }
    resume_where(any, NULL);
    pthread_mutex_unlock(&g_lock);
    return NULL;
}

int longpoll_start(store *st)
{
    g_store = st;
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&g_cond, &ca);
    pthread_condattr_destroy(&ca);
    g_stopping = false;
    if (pthread_create(&g_thread, NULL, timer_main, NULL) != 0)
        return -1;
    g_running = true;
    /* Shared store: other processes' updates wake our readers at once (pub/sub). Without it
     * the once-a-second version recheck above still finds them. */
    if (store_subscribe(st, remote_change, NULL) < 0)
        relay_log(LOG_WARN, "event=start warning=\"no change notices; long-poll falls back to "
                            "the once-a-second recheck\"");
    return 0;
}

void longpoll_wait(struct MHD_Connection *conn, const char *id, uint64_t version,
                   int64_t deadline_ms, void *owner)
{
    waiter *w = calloc(1, sizeof *w);
    pthread_mutex_lock(&g_lock);
    MHD_suspend_connection(conn);
    if (w == NULL || g_stopping) {
        /* Cannot park it: resume at once; the handler then answers 304. */
        MHD_resume_connection(conn);
        free(w);
    } else {
        w->conn = conn;
        w->owner = owner;
        w->deadline_ms = deadline_ms;
        w->version = version;
        snprintf(w->id, sizeof w->id, "%s", id);
        w->next = g_list;
        g_list = w;
        if (deadline_ms < g_timer_next)
            pthread_cond_signal(&g_cond);   /* the timer needs an earlier wake */
    }
    pthread_mutex_unlock(&g_lock);
}

static void wake_local(const char *id)
{
    pthread_mutex_lock(&g_lock);
    resume_where(same_id, id);
    pthread_mutex_unlock(&g_lock);
}

void longpoll_wake(const char *id)
{
    wake_local(id);
    /* Readers of this mailbox may be waiting on other relay processes (shared store). */
    store_publish(g_store, id);
}

/* Another process changed a mailbox (id), or notices may have been lost (id == NULL: run the
 * version recheck for every waiter at once). Runs on the store's subscriber thread. */
static void remote_change(const char *id, void *arg)
{
    (void)arg;
    if (id != NULL) {
        wake_local(id);
        return;
    }
    pthread_mutex_lock(&g_lock);
    g_recheck_now = true;
    pthread_cond_signal(&g_cond);
    pthread_mutex_unlock(&g_lock);
}

void longpoll_forget(void *owner)
{
    pthread_mutex_lock(&g_lock);
    waiter **pp = &g_list;
    while (*pp != NULL) {
        waiter *w = *pp;
        if (w->owner == owner) {
            *pp = w->next;
            free(w);
        } else {
            pp = &w->next;
        }
    }
    pthread_mutex_unlock(&g_lock);
}

void longpoll_stop(void)
{
    if (!g_running)
        return;
    pthread_mutex_lock(&g_lock);
    g_stopping = true;
    pthread_cond_signal(&g_cond);
    pthread_mutex_unlock(&g_lock);
    pthread_join(g_thread, NULL);
    g_running = false;
}
