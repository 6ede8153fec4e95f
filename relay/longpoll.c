/*
 * relay/longpoll.c: held secure reads (DESIGN 3.10 and 7).
 *
 * A read with If-None-Match equal to the current version and "Prefer: wait=N" is parked here:
 * its connection is suspended (MHD_suspend_connection), so no worker thread is held. An Update
 * or Delete of that mailbox resumes every waiter on it; a timer thread resumes the ones whose
 * deadline passed. When resumed, the handler runs again and answers 200 (changed) or 304.
 *
 * Suspension happens under the same lock that wakers take, so a wake can never slip in between
 * "registered" and "suspended" and be lost.
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
    int64_t deadline_ms;
} waiter;

static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t g_cond;
static waiter *g_list;
static pthread_t g_thread;
static bool g_running, g_stopping;

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

static void *timer_main(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&g_lock);
    while (!g_stopping) {
        int64_t now = relay_now_ms();
        resume_where(due, &now);
        int64_t next = now + 1000;
        for (const waiter *w = g_list; w != NULL; w = w->next)
            if (w->deadline_ms < next)
                next = w->deadline_ms;
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

int longpoll_start(void)
{
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&g_cond, &ca);
    pthread_condattr_destroy(&ca);
    g_stopping = false;
    if (pthread_create(&g_thread, NULL, timer_main, NULL) != 0)
        return -1;
    g_running = true;
    return 0;
}

void longpoll_wait(struct MHD_Connection *conn, const char *id, int64_t deadline_ms,
                   void *owner)
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
        snprintf(w->id, sizeof w->id, "%s", id);
        w->next = g_list;
        g_list = w;
        pthread_cond_signal(&g_cond);   /* the timer may need an earlier deadline */
    }
    pthread_mutex_unlock(&g_lock);
}

void longpoll_wake(const char *id)
{
    pthread_mutex_lock(&g_lock);
    resume_where(same_id, id);
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
