/*
 * conformance/conformance.h: tigress-conformance, a black-box tester for TIGRESS relays.
 * It talks to a relay over HTTP(S) only (libcurl, cJSON, libuuid); it links no relay code and
 * not libtigress. Each check is named after a relay requirement of docs/requirements.md or an
 * extension (X-...).
 */
#ifndef TIGRESS_CONFORMANCE_H
#define TIGRESS_CONFORMANCE_H

#include <stddef.h>
#include <stdint.h>

#include <cJSON.h>

/* ---- http.c: one request, one response ---- */

typedef struct {
    const char *method;         /* GET POST PUT DELETE PATCH HEAD */
    const char *path;           /* "/v1/m/..." appended to the base URL (or a full URL) */
    const char *claim;          /* Mailbox-Device-Claim, NULL: none */
    const char *rid;            /* Mailbox-Request-ID, NULL: none */
    const char *body;           /* NULL: no body */
    size_t body_len;            /* 0: strlen(body) */
    const char *extra[4];       /* more "Name: value" headers, NULL-terminated */
    double timeout;             /* 0: the context's timeout */
} creq;

typedef struct {
    long status;                /* 0: no HTTP answer (see err) */
    char err[256];              /* transport error text when status is 0 */
    char *headers;              /* raw header block of the final response */
    char *body;                 /* NUL-terminated */
    size_t body_len;
    double elapsed;             /* seconds */
} cresp;

typedef struct conf_ctx conf_ctx;

void http_global_init(void);
void http_global_cleanup(void);
/* Sends q to ctx's relay; never fails hard: transport errors give status 0. */
void http_do(conf_ctx *c, const creq *q, cresp *r);
/* As http_do, for use from another thread (own handle, no 429 retry bookkeeping shared). */
void http_do_thread(const conf_ctx *c, const creq *q, cresp *r);
void cresp_free(cresp *r);
/* The value of header name (case-insensitive) into out; 0 when present. */
int cresp_header(const cresp *r, const char *name, char *out, size_t cap);

/* ---- context and check results (main.c, report.c) ---- */

enum { RES_PASS = 0, RES_FAIL = 1, RES_SKIP = 2 };

struct conf_ctx {
    char base[512];             /* https://host[:port], no trailing slash */
    char host[256];             /* host of base, lowercase, without brackets */
    int port;
    int plain;                  /* base is http:// (--insecure-loopback) */
    const char *ca_file;
    double timeout;
    int slow;
    void *curl;                 /* the main thread's handle (connection reuse) */
    /* the running check */
    char *detail;               /* accumulated failure / skip text */
    size_t detail_len;
    int failed;
    /* mailboxes to delete at the end of the check */
    struct { char id[64]; char claim[40]; } owned[64];
    int n_owned;
};

typedef struct {
    const char *id;
    const char *title;
    int slow;
    int (*run)(conf_ctx *c);    /* RES_PASS / RES_FAIL / RES_SKIP */
} conf_check;

extern const conf_check conf_checks[];
extern const size_t conf_n_checks;

/* Records a failure: message, then the exchange that broke it (q/r may be NULL). */
void fail_at(conf_ctx *c, const creq *q, const cresp *r, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Appends a note to the detail (used for SKIP reasons). */
void note(conf_ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Appends text with control bytes and non-ASCII escaped, at most max bytes of src. */
void append_escaped(char **buf, size_t *len, const char *src, size_t n, size_t max);
void append_text(char **buf, size_t *len, const char *s);

/* ---- util.c: UUIDs, times, mailbox helpers ---- */

void new_uuid(char out[37]);
int is_uuid(const char *s);
int is_v4_uuid(const char *s);
/* UTC time now+secs as YYYY-MM-DDThh:mm:ssZ */
void rfc3339_in(long secs, char out[32]);
int parse_rfc3339(const char *s, int64_t *epoch);
/* Random bytes, Base64 (standard, padded) into a malloc'd string. */
char *random_b64(size_t nbytes);

/* A Create body; rights/expiration NULL: no mailboxConfiguration. title/description NULL:
 * defaults. extra: more top-level members (",\"k\":v") or NULL. JSON-escapes strings. */
char *create_body(const char *type, const char *data, const char *title, const char *desc,
                  const char *rights, const char *expiration, const char *extra);
/* POST /v1/m; on 200 copies the mailbox id (last segment of urlLink) and registers it for
 * deletion with claim. Returns the status. r may be NULL. */
long mb_create(conf_ctx *c, const char *claim, const char *rid, const char *body, char id[64],
               cresp *r);
/* A valid Create body (malloc'd): fresh random data, rights, expiration +1 h. */
char *valid_body(const char *rights);
/* The Create several checks open with: a fresh claim (into claim) and Request-ID, valid_body("RD"),
 * POSTed to path ("/v1/m", or a wrong one a relay must refuse) with extra (one more "Name:
 * value" header) or NULL. As mb_create: id (may be NULL) and r, registered for deletion on 200,
 * the request in last_q for failure reports; returns the status. */
long create_fresh(conf_ctx *c, const char *path, const char *extra, char claim[37], char id[64],
                  cresp *r);
/* Creates a mailbox with rights (expiration +1 h; +2 min without D) and a fresh claim; 0 on success, else
 * records a failure. */
int mb_new(conf_ctx *c, const char *rights, char claim[37], char id[64]);
/* method on /v1/m/{id}: claim, fresh rid when rid is "" (NULL: none), body. */
long mb_op(conf_ctx *c, const char *method, const char *id, const char *claim, const char *rid,
           const char *body, cresp *r);
/* Runs op and fails the check when the status is not want; returns 1 when it matched. */
int expect_op(conf_ctx *c, const char *what, long want, const char *method, const char *id,
              const char *claim, const char *body, cresp *keep);
/* Parses r's body as JSON (NULL and a failure recorded when not an object). */
cJSON *json_body(conf_ctx *c, const creq *q, const cresp *r);
void own_mailbox(conf_ctx *c, const char *id, const char *claim);
void cleanup_owned(conf_ctx *c);
/* Mailbox id from a urlLink: its last path segment (NULL when absent). */
int id_from_link(const char *link, char id[64]);
/* The mailbox id of a Create answer's urlLink into id; 0 on success, -1 when there is none. */
int created_id(const cresp *r, char id[64]);
/* When r is a 200 Create answer, registers its mailbox (made with claim) for deletion at the end
 * of the check: a Create the check expected to be refused must not leave a mailbox behind. */
void own_if_created(conf_ctx *c, const cresp *r, const char *claim);
/* The request that http_do last sent from mb_op / mb_create (for failure reports). */
extern creq last_q;
/* Copies *q, with every string it points to, into last_q (q's strings may be on the stack). */
void remember_request(const creq *q);

#endif
