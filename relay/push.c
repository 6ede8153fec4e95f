/*
 * relay/push.c: content-free push to the other party after an Update (docs/protocol.md D11,
 * R37-R39).
 *
 * push_enqueue() only appends to a queue; one worker thread sends, so a push never delays or
 * fails the HTTP request. Backends by notificationToken.type:
 *   webpush                       RFC 8030: POST, empty body, TTL + Urgency, to tokenData (https)
 *   com.apple.apns, com.google.fcm Sygnal-style JSON to --push-gateway (the relay holds no
 *                                 APNs/FCM credentials); the notification names no mailbox.
 * Retries with exponential back-off on network errors, 429 and 5xx.
 *
 * SSRF: the target host is resolved here and every address must be public unless the host is
 * in --push-allow; the connection is then pinned to the checked address (CURLOPT_RESOLVE) so a
 * second DNS answer cannot redirect it. Only https, no redirects.
 * Logs never carry token data or URLs (they identify a device).
 */
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>

#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <sodium.h>

#include "relay.h"

#define PUSH_MAX_ATTEMPTS 5
#define PUSH_QUEUE_MAX 10000

typedef struct job {
    struct job *next;
    char *url;          /* target */
    char *body;         /* NULL for webpush (empty body) */
    int attempts;
    int64_t due_ms;
    bool webpush;
} job;

static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t g_cond;
static job *g_queue;
static size_t g_len;
static bool g_stop, g_running;
static pthread_t g_thread;
static char *g_gateway, *g_allow, *g_ca;

bool push_supported(const char *type)
{
    if (type == NULL || type[0] == '\0')
        return false;
    if (strcmp(type, "webpush") == 0)
        return true;
    if (strcmp(type, "com.apple.apns") == 0 || strcmp(type, "com.google.fcm") == 0)
        return g_gateway != NULL;
    return false;
}

static void job_free(job *j)
{
    if (j == NULL)
        return;
    free(j->url);
    free(j->body);
    free(j);
}

static char *xstrdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *p = malloc(n);
    if (p != NULL)
        memcpy(p, s, n);
    return p;
}

/* Sygnal-style notification: names only the device (app_id + pushkey), never the mailbox. */
static char *gateway_body(const char *type, const char *pushkey)
{
    cJSON *root = cJSON_CreateObject();
    cJSON *n = cJSON_AddObjectToObject(root, "notification");
    cJSON *devs = cJSON_AddArrayToObject(n, "devices");
    cJSON *d = cJSON_CreateObject();
    cJSON_AddItemToArray(devs, d);
    cJSON_AddStringToObject(n, "type", "tigress.mailbox.updated");
    cJSON_AddStringToObject(n, "prio", "high");
    cJSON_AddStringToObject(d, "app_id", type);
    cJSON_AddStringToObject(d, "pushkey", pushkey);
    cJSON_AddNumberToObject(d, "pushkey_ts", 0);
    char *s = cJSON_PrintUnformatted(root);
    cJSON_Delete(root);
    return s;
}

void push_enqueue(const char *token_json)
{
    if (!g_running || token_json == NULL)
        return;
    cJSON *t = cJSON_Parse(token_json);
    const cJSON *ty = cJSON_GetObjectItemCaseSensitive(t, "type");
    const cJSON *td = cJSON_GetObjectItemCaseSensitive(t, "tokenData");
    job *j = NULL;
    if (cJSON_IsString(ty) && cJSON_IsString(td) && push_supported(ty->valuestring)) {
        j = calloc(1, sizeof *j);
        if (j != NULL) {
            j->webpush = strcmp(ty->valuestring, "webpush") == 0;
            j->url = xstrdup(j->webpush ? td->valuestring : g_gateway);
            j->body = j->webpush ? NULL : gateway_body(ty->valuestring, td->valuestring);
            if (j->url == NULL || (!j->webpush && j->body == NULL)) {
                job_free(j);
                j = NULL;
            }
        }
    }
    cJSON_Delete(t);
    if (j == NULL)
        return;
    j->due_ms = relay_now_ms();
    pthread_mutex_lock(&g_lock);
    if (g_len >= PUSH_QUEUE_MAX) {
        pthread_mutex_unlock(&g_lock);
        job_free(j);
        metrics_inc(M_PUSH_FAILED);
        return;
    }
    job **pp = &g_queue;
    while (*pp != NULL)
        pp = &(*pp)->next;
    *pp = j;
    g_len++;
    pthread_cond_signal(&g_cond);
    pthread_mutex_unlock(&g_lock);
}

static bool v4_public(uint32_t a)
{
    struct { uint32_t net, mask; } priv[] = {
        {0x00000000, 0xff000000}, {0x0a000000, 0xff000000}, {0x64400000, 0xffc00000},
        {0x7f000000, 0xff000000}, {0xa9fe0000, 0xffff0000}, {0xac100000, 0xfff00000},
        {0xc0000000, 0xffffff00}, {0xc0000200, 0xffffff00}, {0xc0a80000, 0xffff0000},
        {0xc6120000, 0xfffe0000}, {0xc6336400, 0xffffff00}, {0xcb007100, 0xffffff00},
        {0xe0000000, 0xf0000000}, {0xf0000000, 0xf0000000},
    };
    for (size_t i = 0; i < sizeof priv / sizeof priv[0]; i++)
        if ((a & priv[i].mask) == priv[i].net)
            return false;
    return true;
}

static bool addr_public(const struct sockaddr *sa)
{
    if (sa->sa_family == AF_INET)
        return v4_public(ntohl(((const struct sockaddr_in *)(const void *)sa)->sin_addr.s_addr));
    if (sa->sa_family != AF_INET6)
        return false;
    const unsigned char *b = ((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr.s6_addr;
    static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (memcmp(b, mapped, 12) == 0) {
        uint32_t a = (uint32_t)b[12] << 24 | (uint32_t)b[13] << 16 | (uint32_t)b[14] << 8 | b[15];
        return v4_public(a);
    }
    if ((b[0] & 0xe0) != 0x20)         /* only global unicast 2000::/3 */
        return false;
    if (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x0d && b[3] == 0xb8)
        return false;                  /* documentation */
    return true;
}

static bool host_allowed(const char *host)
{
    if (g_allow == NULL)
        return false;
    char *list = xstrdup(g_allow), *save = NULL;
    bool ok = false;
    for (char *h = list ? strtok_r(list, ",", &save) : NULL; h != NULL && !ok;
         h = strtok_r(NULL, ",", &save)) {
        while (*h == ' ')
            h++;
        size_t n = strlen(h);
        while (n > 0 && h[n - 1] == ' ')
            h[--n] = '\0';
        ok = strcasecmp(h, host) == 0;
    }
    free(list);
    return ok;
}

/* https://host[:port]/... -> host, port. IPv6 literals in brackets. */
static bool split_url(const char *url, char host[256], unsigned *port)
{
    if (strncasecmp(url, "https://", 8) != 0)
        return false;
    const char *h = url + 8, *end;
    if (*h == '[') {
        end = strchr(h, ']');
        if (end == NULL || (size_t)(end - h - 1) >= 256)
            return false;
        memcpy(host, h + 1, (size_t)(end - h - 1));
        host[end - h - 1] = '\0';
        end++;
    } else {
        end = h + strcspn(h, ":/?#");
        if (end == h || (size_t)(end - h) >= 256 || memchr(h, '@', (size_t)(end - h)))
            return false;
        memcpy(host, h, (size_t)(end - h));
        host[end - h] = '\0';
    }
    *port = 443;
    if (*end == ':')
        *port = (unsigned)strtoul(end + 1, NULL, 10);
    return *port > 0 && *port < 65536;
}

/* Resolves and checks the target; writes a CURLOPT_RESOLVE entry. false = refused. */
static bool resolve_target(const char *url, char *pin, size_t pin_len)
{
    char host[256], addr[INET6_ADDRSTRLEN];
    unsigned port;
    if (!split_url(url, host, &port))
        return false;
    bool allowed = host_allowed(host);
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_family = AF_UNSPEC};
    struct addrinfo *ai = NULL;
    if (getaddrinfo(host, NULL, &hints, &ai) != 0 || ai == NULL)
        return false;
    bool ok = true;
    for (struct addrinfo *p = ai; p != NULL && ok; p = p->ai_next)
        ok = allowed || addr_public(p->ai_addr);
    if (ok) {
        const void *src = ai->ai_family == AF_INET
            ? (const void *)&((struct sockaddr_in *)(void *)ai->ai_addr)->sin_addr
            : (const void *)&((struct sockaddr_in6 *)(void *)ai->ai_addr)->sin6_addr;
        inet_ntop(ai->ai_family, src, addr, sizeof addr);
        if (ai->ai_family == AF_INET6)
            snprintf(pin, pin_len, "%s:%u:[%s]", host, port, addr);
        else
            snprintf(pin, pin_len, "%s:%u:%s", host, port, addr);
    }
    freeaddrinfo(ai);
    return ok;
}

static size_t discard(char *p, size_t size, size_t n, void *ud)
{
    (void)p;
    (void)ud;
    return size * n;
}

enum send_result { SENT, RETRY, GIVE_UP };

static enum send_result send_job(const job *j)
{
    char pin[600];
    if (!resolve_target(j->url, pin, sizeof pin)) {
        metrics_inc(M_PUSH_REFUSED);
        relay_log(LOG_WARN, "event=push outcome=refused reason=\"target is not a public "
                            "address and not in --push-allow\"");
        return GIVE_UP;
    }
    CURL *c = curl_easy_init();
    if (c == NULL)
        return RETRY;
    struct curl_slist *hdrs = NULL, *resolve = curl_slist_append(NULL, pin);
    if (j->webpush) {
        hdrs = curl_slist_append(hdrs, "TTL: 86400");
        hdrs = curl_slist_append(hdrs, "Urgency: high");
        hdrs = curl_slist_append(hdrs, "Content-Type: application/octet-stream");
    } else {
        hdrs = curl_slist_append(hdrs, "Content-Type: application/json");
    }
    curl_easy_setopt(c, CURLOPT_URL, j->url);
    curl_easy_setopt(c, CURLOPT_RESOLVE, resolve);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(c, CURLOPT_POST, 1L);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, j->body != NULL ? j->body : "");
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)(j->body != NULL ? strlen(j->body) : 0));
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "https");
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 15L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 5L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "tigress-relay");
    if (g_ca != NULL)
        curl_easy_setopt(c, CURLOPT_CAINFO, g_ca);
    CURLcode rc = curl_easy_perform(c);
    long status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_cleanup(c);
    curl_slist_free_all(hdrs);
    curl_slist_free_all(resolve);
    if (rc != CURLE_OK)
        return RETRY;
    if (status >= 200 && status < 300)
        return SENT;
    if (status == 429 || status >= 500)
        return RETRY;
    return GIVE_UP;     /* 404/410: the subscription is gone; other 4xx: will not improve */
}

static void *worker_main(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&g_lock);
    while (!g_stop) {
        int64_t now = relay_now_ms();
        job **pp = &g_queue, *j = NULL;
        int64_t next = now + 1000;
        for (; *pp != NULL; pp = &(*pp)->next) {
            if ((*pp)->due_ms <= now) {
                j = *pp;
                *pp = j->next;
                g_len--;
                break;
            }
            if ((*pp)->due_ms < next)
                next = (*pp)->due_ms;
        }
        if (j == NULL) {
            struct timespec ts;
            clock_gettime(CLOCK_MONOTONIC, &ts);
            int64_t w = next - now;
            ts.tv_sec += w / 1000;
            ts.tv_nsec += (w % 1000) * 1000000;
            if (ts.tv_nsec >= 1000000000) {
                ts.tv_sec++;
                ts.tv_nsec -= 1000000000;
            }
            pthread_cond_timedwait(&g_cond, &g_lock, &ts);
            continue;
        }
        pthread_mutex_unlock(&g_lock);
        enum send_result r = send_job(j);
        j->attempts++;
        const char *kind = j->webpush ? "webpush" : "gateway";
        if (r == RETRY && j->attempts < PUSH_MAX_ATTEMPTS) {
            j->due_ms = relay_now_ms() + (1000LL << (j->attempts - 1));   /* 1, 2, 4, 8 s */
            relay_log(LOG_DEBUG, "event=push outcome=retry kind=%s attempt=%d", kind, j->attempts);
            pthread_mutex_lock(&g_lock);
            j->next = g_queue;
            g_queue = j;
            g_len++;
            continue;
        }
        if (r == SENT) {
            metrics_inc(M_PUSH_SENT);
            relay_log(LOG_DEBUG, "event=push outcome=sent kind=%s", kind);
        } else {
            metrics_inc(M_PUSH_FAILED);
            relay_log(LOG_INFO, "event=push outcome=failed kind=%s attempts=%d", kind, j->attempts);
        }
        job_free(j);
        pthread_mutex_lock(&g_lock);
    }
    pthread_mutex_unlock(&g_lock);
    return NULL;
}

int push_start(const relay_config *cfg)
{
    g_gateway = cfg->push_gateway;
    g_allow = cfg->push_allow;
    g_ca = cfg->push_ca;
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        return -1;
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&g_cond, &ca);
    pthread_condattr_destroy(&ca);
    g_stop = false;
    if (pthread_create(&g_thread, NULL, worker_main, NULL) != 0)
        return -1;
    g_running = true;
    return 0;
}

void push_stop(void)
{
    if (!g_running)
        return;
    pthread_mutex_lock(&g_lock);
    g_stop = true;
    pthread_cond_signal(&g_cond);
    pthread_mutex_unlock(&g_lock);
    pthread_join(g_thread, NULL);
    g_running = false;
    size_t dropped = 0;
    while (g_queue != NULL) {
        job *j = g_queue;
        g_queue = j->next;
        job_free(j);
        dropped++;
    }
    g_len = 0;
    if (dropped > 0)
        relay_log(LOG_INFO, "event=push outcome=dropped_at_shutdown count=%zu", dropped);
    curl_global_cleanup();
}
