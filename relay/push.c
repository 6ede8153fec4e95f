/*
 * relay/push.c: content-free push to the other party after an Update (docs/protocol.md D11,
 * R37-R39).
 *
 * push_enqueue() only appends to a bounded queue (PUSH_QUEUE_MAX); one worker thread drives
 * every delivery with libcurl's multi interface, so a push never delays or fails the HTTP
 * request, and a slow or silent target (a tarpit) never delays another target's push: up to
 * PUSH_MAX_INFLIGHT transfers run at once, each with its own deadline (PUSH_CONNECT_TIMEOUT_S to
 * connect, PUSH_TIMEOUT_S in all). Backends by notificationToken.type:
 *   webpush                       RFC 8030: POST, empty body, TTL + Urgency, to tokenData (https);
 *                                 with --vapid-key also Authorization: vapid (vapid.c, RFC 8292)
 *   com.apple.apns, com.google.fcm Sygnal-style JSON to --push-gateway (the relay holds no
 *                                 APNs/FCM credentials); the notification names no mailbox.
 * Retries with exponential back-off on network errors, 429 and 5xx: a retry goes to the end of
 * the queue with a due time, and only due jobs are started. A webpush subscription answered
 * 404/410 is gone: the token is cleared from its mailbox in the store (store_drop_token, only
 * while the mailbox still holds that token), so neither a restart nor another relay process on
 * a shared store pushes to it again; later pushes to it from this process are also dropped at
 * once (g_gone, a cache). Other 4xx end that push only.
 *
 * SSRF: the target URL is parsed once, strictly (pushurl.c); its host is resolved here and
 * every address must be public unless the host is in --push-allow. The transfer then uses that
 * same parse (CURLOPT_CURLU) and is pinned to the checked address (CURLOPT_CONNECT_TO and
 * CURLOPT_RESOLVE), and the socket callback refuses any other address, so neither a second DNS
 * answer nor a URL that libcurl reads differently can redirect it. Only https, no redirects,
 * no proxy (a proxy would resolve the name itself). Host resolution (getaddrinfo) still runs
 * in the worker, one at a time.
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
#define PUSH_QUEUE_MAX 10000      /* jobs waiting; beyond it a push is dropped (counted failed) */
#define PUSH_MAX_INFLIGHT 32      /* transfers in progress at once */
#define PUSH_CONNECT_TIMEOUT_S 5L /* per attempt: to connect */
#define PUSH_TIMEOUT_S 15L        /* per attempt: in all */
#define PUSH_GONE_MAX 4096        /* webpush subscriptions remembered as gone (404/410) */

typedef struct job {
    struct job *next;
    char *url;          /* target */
    char *body;         /* NULL for webpush (empty body) */
    int attempts;
    int64_t due_ms;
    bool webpush;
    char *token;        /* the stored token JSON, and whose in which mailbox (for a 404/410) */
    char mailbox[40];
    store_party party;
    /* While in flight: */
    CURL *c;
    struct curl_slist *hdrs, *resolve, *connect_to;
    push_target t;
    struct sockaddr_storage pin;    /* the checked address and port: the only one connected to */
} job;

static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t g_cond;
static job *g_queue;
static size_t g_len;
static bool g_stop, g_running;
static pthread_t g_thread;
static CURLM *g_multi;
static char *g_gateway, *g_allow, *g_ca;
static store *g_store;
/* webpush URLs that answered 404 or 410 (RFC 8030 section 7.3: the subscription is gone), as
 * keyed hashes (the URLs are not kept): later pushes to them are dropped without a request.
 * A ring: the oldest is forgotten first. Under g_lock. */
static unsigned char g_gone[PUSH_GONE_MAX][16];
static size_t g_gone_n, g_gone_next;
static unsigned char g_gone_key[crypto_generichash_KEYBYTES];

static void gone_hash(const char *url, unsigned char out[16])
{
    crypto_generichash(out, 16, (const unsigned char *)url, strlen(url), g_gone_key,
                       sizeof g_gone_key);
}

/* Under g_lock. */
static bool gone_has(const unsigned char h[16])
{
    for (size_t i = 0; i < g_gone_n; i++)
        if (sodium_memcmp(g_gone[i], h, 16) == 0)
            return true;
    return false;
}

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
    if (j->c != NULL) {
        if (g_multi != NULL)
            curl_multi_remove_handle(g_multi, j->c);
        curl_easy_cleanup(j->c);
    }
    curl_slist_free_all(j->hdrs);
    curl_slist_free_all(j->resolve);
    curl_slist_free_all(j->connect_to);
    push_target_free(&j->t);
    free(j->url);
    free(j->body);
    free(j->token);
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

void push_enqueue(const char *token_json, const char *mailbox_id, store_party party)
{
    if (!g_running || token_json == NULL || mailbox_id == NULL)
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
            j->token = j->webpush ? xstrdup(token_json) : NULL;
            snprintf(j->mailbox, sizeof j->mailbox, "%s", mailbox_id);
            j->party = party;
            if (j->url == NULL || (!j->webpush && j->body == NULL) ||
                (j->webpush && j->token == NULL)) {
                job_free(j);
                j = NULL;
            }
        }
    }
    cJSON_Delete(t);
    if (j == NULL)
        return;
    j->due_ms = relay_now_ms();
    unsigned char gh[16];
    if (j->webpush)
        gone_hash(j->url, gh);
    pthread_mutex_lock(&g_lock);
    if (j->webpush && gone_has(gh)) {
        pthread_mutex_unlock(&g_lock);
        job_free(j);
        metrics_inc(M_PUSH_FAILED);
        relay_log(LOG_DEBUG, "event=push outcome=dropped reason=\"subscription gone\"");
        return;
    }
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
    curl_multi_wakeup(g_multi);
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

/* Parses (pushurl.c), resolves and checks j's target; keeps the parse in j->t and the checked
 * address in j->pin. false = refused. */
static bool resolve_target(job *j)
{
    if (!push_url_parse(j->url, &j->t))
        return false;
    bool allowed = host_allowed(j->t.host);
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_family = AF_UNSPEC};
    struct addrinfo *ai = NULL;
    if (getaddrinfo(j->t.host, NULL, &hints, &ai) != 0 || ai == NULL)
        return false;
    bool ok = ai->ai_family == AF_INET || ai->ai_family == AF_INET6;
    for (struct addrinfo *p = ai; p != NULL && ok; p = p->ai_next)
        ok = allowed || addr_public(p->ai_addr);
    if (ok && ai->ai_addrlen <= sizeof j->pin) {
        memcpy(&j->pin, ai->ai_addr, ai->ai_addrlen);
        if (ai->ai_family == AF_INET)
            ((struct sockaddr_in *)(void *)&j->pin)->sin_port = htons((uint16_t)j->t.port);
        else
            ((struct sockaddr_in6 *)(void *)&j->pin)->sin6_port = htons((uint16_t)j->t.port);
    } else {
        ok = false;
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

/* Every socket libcurl opens for a push: only to the checked address and port. */
static curl_socket_t open_pinned(void *ud, curlsocktype purpose, struct curl_sockaddr *a)
{
    const job *j = ud;
    bool same = false;
    if (purpose == CURLSOCKTYPE_IPCXN && a->family == j->pin.ss_family) {
        if (a->family == AF_INET && a->addrlen >= sizeof(struct sockaddr_in)) {
            const struct sockaddr_in *x = (const void *)&a->addr, *y = (const void *)&j->pin;
            same = x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
        } else if (a->family == AF_INET6 && a->addrlen >= sizeof(struct sockaddr_in6)) {
            const struct sockaddr_in6 *x = (const void *)&a->addr, *y = (const void *)&j->pin;
            same = x->sin6_port == y->sin6_port &&
                   memcmp(&x->sin6_addr, &y->sin6_addr, sizeof x->sin6_addr) == 0;
        }
    }
    if (!same) {
        relay_log(LOG_WARN, "event=push outcome=refused reason=\"connection to an address "
                            "other than the checked one\"");
        return CURL_SOCKET_BAD;
    }
    return socket(a->family, a->socktype, a->protocol);
}

enum send_result { SENT, RETRY, GIVE_UP, GONE, REFUSED };

/* Checks j's target and adds its transfer to the multi handle. */
static enum send_result start_job(job *j)
{
    if (!resolve_target(j))
        return REFUSED;
    char addr[INET6_ADDRSTRLEN], pin[600];
    const void *src = j->pin.ss_family == AF_INET
        ? (const void *)&((struct sockaddr_in *)(void *)&j->pin)->sin_addr
        : (const void *)&((struct sockaddr_in6 *)(void *)&j->pin)->sin6_addr;
    if (inet_ntop(j->pin.ss_family, src, addr, sizeof addr) == NULL)
        return REFUSED;
    bool v6 = j->pin.ss_family == AF_INET6;
    /* Any host and port of this transfer -> the checked address. */
    snprintf(pin, sizeof pin, v6 ? "::[%s]:%u" : "::%s:%u", addr, j->t.port);
    j->connect_to = curl_slist_append(NULL, pin);
    if (strchr(j->t.host, ':') == NULL) {
        snprintf(pin, sizeof pin, v6 ? "%s:%u:[%s]" : "%s:%u:%s", j->t.host, j->t.port, addr);
        j->resolve = curl_slist_append(NULL, pin);
    }
    if (j->webpush) {
        j->hdrs = curl_slist_append(j->hdrs, "TTL: 86400");
        j->hdrs = curl_slist_append(j->hdrs, "Urgency: high");
        j->hdrs = curl_slist_append(j->hdrs, "Content-Type: application/octet-stream");
        if (vapid_public_key() != NULL) {
            /* RFC 8292: aud is the push resource's origin. */
            char origin[300], *auth;
            bool v6host = strchr(j->t.host, ':') != NULL;
            if (j->t.port == 443)
                snprintf(origin, sizeof origin, v6host ? "https://[%s]" : "https://%s",
                         j->t.host);
            else
                snprintf(origin, sizeof origin, v6host ? "https://[%s]:%u" : "https://%s:%u",
                         j->t.host, j->t.port);
            if ((auth = vapid_header(origin)) == NULL)
                return RETRY;
            j->hdrs = curl_slist_append(j->hdrs, auth);
            free(auth);
        }
    } else {
        j->hdrs = curl_slist_append(j->hdrs, "Content-Type: application/json");
    }
    CURL *c = j->c = curl_easy_init();
    if (c == NULL || j->connect_to == NULL || j->hdrs == NULL)
        return RETRY;
    curl_easy_setopt(c, CURLOPT_CURLU, j->t.u);
    curl_easy_setopt(c, CURLOPT_CONNECT_TO, j->connect_to);
    if (j->resolve != NULL)
        curl_easy_setopt(c, CURLOPT_RESOLVE, j->resolve);
    curl_easy_setopt(c, CURLOPT_OPENSOCKETFUNCTION, open_pinned);
    curl_easy_setopt(c, CURLOPT_OPENSOCKETDATA, j);
    curl_easy_setopt(c, CURLOPT_PROXY, "");
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, j->hdrs);
    curl_easy_setopt(c, CURLOPT_POST, 1L);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, j->body != NULL ? j->body : "");
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)(j->body != NULL ? strlen(j->body) : 0));
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "https");
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, PUSH_TIMEOUT_S);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, PUSH_CONNECT_TIMEOUT_S);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "tigress-relay");
    curl_easy_setopt(c, CURLOPT_PRIVATE, j);
    if (g_ca != NULL)
        curl_easy_setopt(c, CURLOPT_CAINFO, g_ca);
    if (curl_multi_add_handle(g_multi, c) != CURLM_OK)
        return RETRY;
    return SENT;    /* started */
}

static enum send_result transfer_result(CURL *c, CURLcode rc)
{
    long status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    if (rc != CURLE_OK)
        return RETRY;
    if (status >= 200 && status < 300)
        return SENT;
    if (status == 429 || status >= 500)
        return RETRY;
    if (status == 404 || status == 410)
        return GONE;    /* the subscription is gone */
    return GIVE_UP;     /* other 4xx (401/403: VAPID refused): will not improve */
}

/* One attempt of j ended with r: done, or back in the queue with a due time. */
static void finish_job(job *j, enum send_result r)
{
    if (j->c != NULL) {
        curl_multi_remove_handle(g_multi, j->c);
        curl_easy_cleanup(j->c);
        j->c = NULL;
    }
    curl_slist_free_all(j->hdrs);
    curl_slist_free_all(j->resolve);
    curl_slist_free_all(j->connect_to);
    j->hdrs = j->resolve = j->connect_to = NULL;
    push_target_free(&j->t);
    j->attempts++;
    const char *kind = j->webpush ? "webpush" : "gateway";
    if (r == REFUSED) {
        metrics_inc(M_PUSH_REFUSED);
        relay_log(LOG_WARN, "event=push outcome=refused reason=\"target is not a public "
                            "address and not in --push-allow\"");
        job_free(j);
        return;
    }
    if (r == RETRY && j->attempts < PUSH_MAX_ATTEMPTS) {
        j->due_ms = relay_now_ms() + (1000LL << (j->attempts - 1));   /* 1, 2, 4, 8 s */
        relay_log(LOG_DEBUG, "event=push outcome=retry kind=%s attempt=%d", kind, j->attempts);
        j->next = NULL;
        pthread_mutex_lock(&g_lock);
        job **pp = &g_queue;
        while (*pp != NULL)
            pp = &(*pp)->next;
        *pp = j;
        g_len++;
        pthread_mutex_unlock(&g_lock);
        return;
    }
    if (r == GONE && j->webpush) {     /* (a gateway's 404 says nothing about the device) */
        unsigned char gh[16];
        gone_hash(j->url, gh);
        pthread_mutex_lock(&g_lock);
        if (!gone_has(gh)) {
            memcpy(g_gone[g_gone_next], gh, 16);
            g_gone_next = (g_gone_next + 1) % PUSH_GONE_MAX;
            if (g_gone_n < PUSH_GONE_MAX)
                g_gone_n++;
        }
        pthread_mutex_unlock(&g_lock);
        /* In the store too, so that a restart or another process on a shared store does not
         * push to it again. A blocking store call on the push worker: rare (one per gone
         * subscription) and bounded by the store's own timeouts. */
        store_rc src = g_store != NULL ? store_drop_token(g_store, j->mailbox, j->party, j->token)
                                       : STORE_ERROR;
        relay_log(LOG_INFO, "event=push outcome=gone token=%s",
                  src == STORE_OK          ? "cleared"
                  : src == STORE_NOT_FOUND ? "already_replaced_or_gone"
                                           : "kept_store_failed");
    }
    if (r == SENT) {
        metrics_inc(M_PUSH_SENT);
        relay_log(LOG_DEBUG, "event=push outcome=sent kind=%s", kind);
    } else {
        metrics_inc(M_PUSH_FAILED);
        relay_log(LOG_INFO, "event=push outcome=failed kind=%s attempts=%d", kind, j->attempts);
    }
    job_free(j);
}

static void *worker_main(void *arg)
{
    (void)arg;
    job *inflight[PUSH_MAX_INFLIGHT] = {0};
    int n_inflight = 0;
    for (;;) {
        job *start[PUSH_MAX_INFLIGHT];
        int n_start = 0;
        pthread_mutex_lock(&g_lock);
        if (g_stop) {
            pthread_mutex_unlock(&g_lock);
            break;
        }
        int64_t now = relay_now_ms(), next = now + 1000;
        for (job **pp = &g_queue; *pp != NULL;) {
            if ((*pp)->due_ms <= now && n_inflight + n_start < PUSH_MAX_INFLIGHT) {
                job *j = *pp;
                *pp = j->next;
                j->next = NULL;
                g_len--;
                start[n_start++] = j;
                continue;
            }
            if ((*pp)->due_ms > now && (*pp)->due_ms < next)
                next = (*pp)->due_ms;
            pp = &(*pp)->next;
        }
        if (n_inflight == 0 && n_start == 0) {
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
            pthread_mutex_unlock(&g_lock);
            continue;
        }
        pthread_mutex_unlock(&g_lock);
        for (int i = 0; i < n_start; i++) {
            enum send_result r = start_job(start[i]);
            if (r == SENT)
                inflight[n_inflight++] = start[i];
            else
                finish_job(start[i], r);
        }
        int running = 0;
        curl_multi_perform(g_multi, &running);
        CURLMsg *m;
        int left;
        while ((m = curl_multi_info_read(g_multi, &left)) != NULL) {
            if (m->msg != CURLMSG_DONE)
                continue;
            CURL *c = m->easy_handle;
            CURLcode rc = m->data.result;
            job *j = NULL;
            curl_easy_getinfo(c, CURLINFO_PRIVATE, (char **)&j);
            for (int i = 0; i < n_inflight; i++)
                if (inflight[i] == j) {
                    inflight[i] = inflight[--n_inflight];
                    break;
                }
            finish_job(j, transfer_result(c, rc));
        }
        if (n_inflight > 0) {
            int64_t w = next - relay_now_ms();
            curl_multi_poll(g_multi, NULL, 0, w < 1 ? 1 : (int)(w > 1000 ? 1000 : w), NULL);
        }
    }
    for (int i = 0; i < n_inflight; i++) {     /* stopping: abandon transfers in progress */
        pthread_mutex_lock(&g_lock);
        inflight[i]->next = g_queue;
        g_queue = inflight[i];
        g_len++;
        pthread_mutex_unlock(&g_lock);
    }
    return NULL;
}

int push_start(const relay_config *cfg, store *st)
{
    g_store = st;
    g_gateway = cfg->push_gateway;
    g_allow = cfg->push_allow;
    g_ca = cfg->push_ca;
    randombytes_buf(g_gone_key, sizeof g_gone_key);
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        return -1;
    if ((g_multi = curl_multi_init()) == NULL)
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
    curl_multi_wakeup(g_multi);
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
    curl_multi_cleanup(g_multi);
    g_multi = NULL;
    curl_global_cleanup();
}
