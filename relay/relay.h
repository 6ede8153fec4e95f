/*
 * relay/relay.h: what the modules of tigress-relay share. Nothing here is public API; the relay
 * links no libtigress code (it speaks the wire protocol only).
 *
 * Modules: main.c (options, exit codes), server.c (the API daemon), routes.c (dispatch; the
 * endpoints in routes_write.c and routes_read.c), validate.c (request JSON), json_text.c
 * (JSON text without cJSON trees), preview.c (HTML page), ratelimit.c, log.c, metrics.c
 * (counters), metrics_server.c (/metrics, /healthz), listen.c (ADDR:PORT), longpoll.c, push.c,
 * vapid.c (RFC 8292), proxy.c (client address behind a proxy), tlscreds.c (TLS credentials,
 * reloadable), wellknown.c (app links), notify.c (systemd readiness); the store in store/
 * (store.h).
 */
#ifndef TIGRESS_RELAY_H
#define TIGRESS_RELAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store.h"

struct MHD_Connection;

/* Exit codes (documented in --help and relay/README.md). */
enum relay_exit {
    RELAY_EXIT_OK = 0,
    RELAY_EXIT_USAGE = 64,     /* bad command line or option value */
    RELAY_EXIT_CONFIG = 65,    /* config file unreadable or invalid */
    RELAY_EXIT_TLS = 66,       /* certificate or key unreadable or rejected */
    RELAY_EXIT_LISTEN = 69,    /* cannot bind/listen (port in use, bad address) */
    RELAY_EXIT_STORE = 70      /* store cannot be opened */
};

enum relay_attestation { RELAY_ATTEST_NONE = 0, RELAY_ATTEST_REQUIRE = 1 };

enum relay_log_level { LOG_ERROR = 0, LOG_WARN = 1, LOG_INFO = 2, LOG_DEBUG = 3 };

/* Every option; defaults in main.c. Strings are owned by the config (freed by config_free). */
typedef struct relay_config {
    char *listen;              /* ADDR:PORT */
    char *public_url;          /* base of urlLink and og:url, no trailing slash */
    char *store_path;
    char *cert_file;
    char *key_file;
    bool insecure_loopback;
    size_t max_body;
    long max_expiry;           /* seconds */
    long default_expiry;       /* seconds */
    double rate_limit;         /* requests per second per client; 0 = off */
    double rate_burst;
    unsigned max_connections;
    size_t connection_memory;  /* libmicrohttpd pool per connection (bytes) */
    unsigned connection_timeout; /* seconds */
    unsigned max_conn_per_addr;  /* concurrent connections from one client address; 0 = no cap */
    unsigned request_read_timeout; /* seconds to deliver a request's head and body; 0 = off */
    unsigned max_held_per_addr;  /* held long-polls from one client address; 0 = no cap */
    unsigned threads;
    char *metrics_listen;      /* ADDR:PORT or NULL */
    unsigned sweep_interval;   /* seconds */
    int log_level;
    char *push_gateway;        /* Sygnal-style gateway URL or NULL */
    char *push_allow;          /* comma-separated host names/addresses or NULL */
    char *push_ca;             /* CA file for outbound push TLS (tests, private gateways) */
    int attestation;
    unsigned max_wait;         /* long-poll upper bound, seconds */
    unsigned max_mailboxes_per_address; /* creations per client address per 24 h; 0 = off */
    char *well_known_dir;      /* --well-known: app-link files (wellknown.c) or NULL */
    char *vapid_key;           /* PEM EC P-256 private key for VAPID (RFC 8292) or NULL */
    char *vapid_subject;       /* VAPID sub: mailto: or https: URI */
    char *trusted_proxy;       /* CIDR[,CIDR...] whose Forwarded/X-Forwarded-For is believed */
} relay_config;

/* ---- log.c ---- */
void relay_log_init(int level);
/* Changes the level at run time (a reload); any thread. */
void relay_log_set_level(int level);
void relay_log(int level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Writes a 16-hex-digit keyed hash of a mailbox ID (key rotates daily) into out[17]. */
void relay_log_mailbox_hash(const char *id, char out[17]);
/* One structured line per request. id may be NULL. */
void relay_log_request(const char *method, const char *route, unsigned status,
                       double latency_ms, const char *id);

/* ---- ratelimit.c ---- */
typedef struct ratelimit ratelimit;
ratelimit *ratelimit_new(double rate, double burst);
void ratelimit_free(ratelimit *rl);
/* Takes one token for the client address (raw sockaddr bytes, kept hashed in memory only).
 * Returns 0 when allowed, else the number of seconds to wait (>= 1). */
unsigned ratelimit_take(ratelimit *rl, const void *addr, size_t addr_len);
/* Keeps the buckets in the store when it offers shared rate limiting (store_ops.rate_take);
 * called once at start-up. */
void ratelimit_share(store *st);

/* ---- quota.c ---- */
/* The per-address creation quota (storage quota): at most max creations per client address
 * per 24 hours (sliding window, in memory, keyed hash of the address). 0 = off. */
int quota_init(unsigned max_per_address);
void quota_free(void);
/* For a Create from c: 0 when allowed (then *taken says whether it was counted, and key holds
 * what quota_refund needs), else the seconds to wait before the next one is allowed. */
unsigned quota_take(struct MHD_Connection *c, unsigned char key[16], bool *taken);
/* Gives back a counted creation that did not create a mailbox. */
void quota_refund(const unsigned char key[16]);

/* ---- validate.c ---- */
typedef struct create_request {
    char *payload_json;
    char *display_json;
    char *token_json;          /* NULL when absent */
    char token_type[64];       /* "" when absent */
    char rights[4];            /* canonical order, subset of "RWD" */
    int64_t expires_at;
} create_request;

typedef struct update_request {
    char *payload_json;
    char *token_json;
    char token_type[64];
} update_request;

/* Each returns NULL on success, or a static message naming the problem (for a 400). */
const char *validate_create(const char *body, size_t len, int64_t now, long max_expiry,
                            long default_expiry, create_request *out);
void create_request_clear(create_request *r);
const char *validate_update(const char *body, size_t len, update_request *out);
void update_request_clear(update_request *r);
/* Secure-read body: empty, or {"notificationToken": {...}}. */
const char *validate_read_body(const char *body, size_t len, char **token_json);

/* Prefer header (RFC 7240: comma-separated token[=value] preferences, ';' parameters ignored,
 * names compared without regard to case): the delta-seconds of the first preference named
 * exactly "wait", unclamped; 0 when there is none or its value is not 1*DIGIT. */
long relay_prefer_wait(const char *prefer);
bool relay_is_uuid(const char *s);
void relay_lower_uuid(const char *in, char out[37]);
bool relay_utf8_valid(const char *s, size_t len);
/* RFC 3339 "YYYY-MM-DDThh:mm:ss[.frac]Z" -> Unix seconds; false when malformed. */
bool relay_parse_rfc3339(const char *s, int64_t *out);
void relay_format_rfc3339(int64_t t, char out[21]);
/* Token type name from a stored token JSON ("" when none); out has room for 64 bytes. */
void relay_token_type(const char *token_json, char out[64]);

/* ---- json_text.c: JSON written or kept as cJSON_PrintUnformatted would print it ---- */
/* A JSON string literal for s: its length (quotes included), and the writer, which returns the
 * end of what it wrote (no terminating NUL). */
size_t json_quoted_len(const char *s);
char *json_put_quoted(char *out, const char *s);
/* A malloc'd object of n string members, {"keys[0]":"vals[0]",...}; NULL when out of memory. */
char *json_string_object(const char *const *keys, const char *const *vals, size_t n);
/* In a body cJSON accepted: the text of the first top-level member called name, true only when
 * that text is exactly what cJSON_PrintUnformatted prints for the parsed member (false also
 * when in doubt: then print it). */
bool json_compact_member(const char *body, size_t len, const char *name, const char **val,
                         size_t *val_len);

/* ---- preview.c ---- */
/* HTML page for a mailbox (display_json from the store). Returns malloc'd text or NULL. */
char *preview_render(const char *public_url, const char *id, const char *display_json,
                     int64_t expires_at, size_t *len);
char *preview_render_missing(size_t *len);

/* ---- metrics.c ---- */
enum relay_counter {
    M_REQUESTS = 0, M_CREATED, M_READS, M_UPDATES, M_DELETES, M_RELINQUISHES, M_PREVIEWS,
    M_DUPLICATES, M_STATUS_2XX, M_STATUS_3XX, M_STATUS_4XX, M_STATUS_5XX, M_RATE_LIMITED,
    M_PUSH_SENT, M_PUSH_FAILED, M_PUSH_REFUSED, M_SWEPT, M_COUNTER_MAX
};
void metrics_inc(enum relay_counter c);
void metrics_add(enum relay_counter c, long n);
void metrics_waiting(int delta);
/* The counters, the held long-polls and `live` (mailboxes in the store, -1: unknown) in the
 * Prometheus text format; malloc'd, length in *len; NULL when out of memory. */
char *metrics_render(long live, size_t *len);

/* ---- metrics_server.c ---- */
/* Starts the loopback metrics listener; 0 on success, an exit code otherwise. */
int metrics_start(const char *listen, store *st);
void metrics_stop(void);

/* ---- longpoll.c ---- */
/* Registers a suspended connection waiting on mailbox id until `deadline` (monotonic ms).
 * Suspends the connection itself (under its lock, so a concurrent wake cannot be lost). */
int longpoll_start(store *st);
void longpoll_wait(struct MHD_Connection *conn, const char *id, uint64_t version,
                   int64_t deadline_ms, void *owner);
/* Resumes every connection waiting on id. */
void longpoll_wake(const char *id);
/* Forget a waiter whose request is being torn down (connection closed while suspended). */
void longpoll_forget(void *owner);
/* Resumes everything (shutdown) and stops the timer thread. */
void longpoll_stop(void);
int64_t relay_now_ms(void);   /* CLOCK_MONOTONIC milliseconds */

/* ---- pushurl.c: the one strict parse of a push target URL ---- */
typedef struct push_target {
    struct Curl_URL *u;        /* libcurl's parse (CURLU), what push.c connects to */
    char host[256];            /* host name or address, IPv6 without brackets */
    unsigned port;             /* 1..65535, 443 when the URL names none */
} push_target;
/* true when url is a push target the relay accepts (see pushurl.c); out then owns a parse that
 * push_target_free() releases. */
bool push_url_parse(const char *url, push_target *out);
void push_target_free(push_target *t);
bool push_url_valid(const char *url);

/* ---- vapid.c: VAPID (RFC 8292) for webpush ---- */
/* Loads --vapid-key and checks --vapid-subject (both NULL: VAPID off). 0, or an exit code after
 * a message on stderr. */
int vapid_init(const char *key_file, const char *subject);
void vapid_free(void);
bool vapid_subject_valid(const char *subject);
/* base64url of the uncompressed P-256 public key (the applicationServerKey), NULL when off. */
const char *vapid_public_key(void);
/* "Authorization: vapid t=<JWT>, k=<key>" for a push to origin (scheme://host[:port]); a cached
 * JWT while more than an hour of it is left. malloc'd; NULL when off or on failure. */
char *vapid_header(const char *origin);

/* ---- proxy.c: the client address behind trusted proxies (--trusted-proxy) ---- */
typedef struct proxy_cidr {
    unsigned char addr[16];
    size_t len;                /* 4 (IPv4) or 16 (IPv6) */
    unsigned bits;             /* prefix length */
} proxy_cidr;
/* "CIDR[,CIDR...]" (a bare address is /32 or /128) into a malloc'd array; false when any is
 * malformed. */
bool proxy_parse_cidrs(const char *s, proxy_cidr **out, size_t *n);
bool proxy_cidr_match(const proxy_cidr *c, size_t n, const unsigned char *ip, size_t len);
/* The client address for a request from peer (4 or 16 bytes) with these header values (NULL:
 * absent) into out; returns its length. See proxy.c. */
size_t proxy_pick(const proxy_cidr *c, size_t n, const char *forwarded, const char *xff,
                  const unsigned char *peer, size_t peer_len, unsigned char out[16]);
int proxy_init(const char *cidrs);   /* 0, or an exit code after a message on stderr */
void proxy_free(void);
/* The client address of c's request (see proxy.c) into out; its length (4 or 16), 0: none. */
size_t proxy_client_addr(struct MHD_Connection *c, unsigned char out[16]);
/* A socket address's IP into out (an IPv4-mapped IPv6 address as IPv4): 4, 16, or 0 (none). */
struct sockaddr;
size_t proxy_peer_addr(const struct sockaddr *sa, unsigned char out[16]);
/* True when ip is inside a --trusted-proxy CIDR. */
bool proxy_trusted(const unsigned char *ip, size_t len);

/* ---- conncap.c: --max-connections-per-address when --trusted-proxy is set ---- */
/* Counts connections per peer address itself instead of libmicrohttpd's per-IP limit, so that
 * the trusted proxies' connections can be exempt. cap 0: off. */
void conncap_init(unsigned cap);
/* For the accept policy: true when sa (not a trusted proxy) holds its cap already, so the
 * connection is refused before libmicrohttpd sets it up. */
bool conncap_full(const struct sockaddr *sa);
/* Counts a new connection from sa: 1 counted (conncap_release(*key) when it closes), 0 not
 * counted (a trusted proxy, or no memory), -1 over the cap (not counted: close it). */
int conncap_take(const struct sockaddr *sa, uint64_t *key);
void conncap_release(uint64_t key);
void conncap_free(void);

/* ---- push.c ---- */
/* st: where a webpush token answered 404/410 is cleared (store_drop_token); may be NULL. */
int push_start(const relay_config *cfg, store *st);
/* True when the relay can push to a token of this type. */
bool push_supported(const char *token_type);
/* Queues a content-free push to the token (stored JSON) of `party` in mailbox_id; returns at
 * once. A webpush answered 404/410 clears that token from the mailbox in the store. */
void push_enqueue(const char *token_json, const char *mailbox_id, store_party party);
void push_stop(void);

/* ---- routes.c (with routes_read.c, routes_write.c) ---- */
typedef struct relay_request {
    const char *method;
    const char *url;
    const char *request_id;      /* Mailbox-Request-ID or NULL */
    const char *claim;           /* Mailbox-Device-Claim or NULL */
    const char *attestation;     /* Mailbox-Device-Attestation or NULL */
    const char *content_type;
    const char *if_none_match;
    const char *prefer;
    const char *body;
    size_t body_len;
    bool resumed;                /* second pass after a long-poll suspension */
    bool can_defer;              /* the caller can suspend conn: store jobs go to rs->pending */
    struct MHD_Connection *conn;
    void *owner;                 /* per-request state, for longpoll_wait */
} relay_request;

typedef struct relay_response {
    unsigned status;
    const char *content_type;    /* static string or NULL */
    char *body;                  /* malloc'd or NULL */
    size_t body_len;
    unsigned retry_after;        /* 0 = no header */
    char etag[32];               /* "" = no header */
    const char *allow;           /* Allow header for 405 */
    bool html_headers;           /* preview security headers */
    const char *cache_control;   /* static string; NULL = "no-store" */
    bool suspended;              /* the connection was suspended: queue nothing */
    char mailbox[37];            /* for the request log; "" when none */
    const char *route;           /* route template for logs and metrics */
    struct relay_pending *pending; /* a store job to run before answering (can_defer only) */
} relay_response;

typedef struct relay_pending relay_pending;

void routes_init(const relay_config *cfg, store *st);
/* Queues p's store job (store_submit); true: done(job) follows from a store thread, with
 * job->ud == ud. False: the outcome is in p already and done() is never called. */
bool routes_submit(relay_pending *p, void (*done)(store_async *job), void *ud);
/* Runs p's store job with the blocking op, on this thread. */
void routes_run(relay_pending *p);
/* The second half of the handler: the response from p's outcome. Frees p. */
void routes_finish(relay_pending *p, const relay_request *rq, relay_response *rs);
/* Frees p without answering (its connection closed while the job ran). Any thread. */
void routes_pending_free(relay_pending *p);
void routes_handle(const relay_request *rq, relay_response *rs);
/* True when the request carries Content-Length headers with different values: its framing is
 * ambiguous (RFC 9112 6.3), so it is answered 400 and the connection closed. Identical
 * duplicates are one length and pass. */
bool routes_content_length_conflict(struct MHD_Connection *c);
/* A JSON error body into rs. */
void routes_error(relay_response *rs, unsigned status, const char *code, const char *message);

/* ---- server.c ---- */
typedef struct relay_server relay_server;
/* Binds, sets up TLS and starts the daemon. On failure returns NULL and sets *exit_code. */
relay_server *server_start(relay_config *cfg, ratelimit *rl, int *exit_code,
                           unsigned *bound_port);
void server_stop(relay_server *srv);

/* ---- wellknown.c: --well-known DIR (app links) ---- */
/* Reads DIR/apple-app-site-association and DIR/assetlinks.json (each optional, JSON, at most
 * 64 KiB) and serves them from then on. 0; or -1 with why set, the files served so far kept. */
int wellknown_load(const char *dir, char *why, size_t cap);
void wellknown_free(void);
/* A request for /.well-known/... (routes.c). */
void wellknown_handle(const relay_request *rq, relay_response *rs);

/* ---- notify.c: systemd readiness (sd_notify protocol, no libsystemd) ---- */
/* Sends state ("READY=1", "STOPPING=1", ...) to $NOTIFY_SOCKET when it is set. */
void relay_notify(const char *state);
/* RELOADING=1 with MONOTONIC_USEC. */
void relay_notify_reloading(void);

/* ---- listen.c ---- */
/* Parses "ADDR:PORT" ("[v6]:port" too) into a sockaddr; false when malformed. */
bool relay_parse_listen(const char *s, void *ss, unsigned *len, bool *loopback);

#endif /* TIGRESS_RELAY_H */
