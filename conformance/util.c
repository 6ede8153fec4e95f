/*
 * conformance/util.c: UUIDs, times, random data, and the mailbox operations the checks share.
 * Every mailbox the tool creates is registered and deleted at the end of its check.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>
#include <uuid/uuid.h>

#include "../common/calendar.h"
#include "conformance.h"

creq last_q;
static char last_path[128];
static char last_claim[40], last_rid[140], last_method[8], last_extra[4][256];
static char *last_body;

void new_uuid(char out[37])
{
    uuid_t u;
    uuid_generate_random(u);
    uuid_unparse_lower(u, out);
}

int is_uuid(const char *s)
{
    if (strlen(s) != 36)
        return 0;
    for (int i = 0; i < 36; i++) {
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (s[i] != '-')
                return 0;
        } else if (!isxdigit((unsigned char)s[i])) {
            return 0;
        }
    }
    return 1;
}

int is_v4_uuid(const char *s)
{
    return is_uuid(s) && s[14] == '4' && strchr("89abAB", s[19]) != NULL;
}

void rfc3339_in(long secs, char out[32])
{
    int64_t days, sod, y;
    unsigned m, d;
    cal_split_time((int64_t)time(NULL) + secs, &days, &sod);
    cal_civil_from_days(days, &y, &m, &d);
    snprintf(out, 32, "%04d-%02u-%02uT%02d:%02d:%02dZ", (int)y, m, d, (int)(sod / 3600),
             (int)(sod / 60 % 60), (int)(sod % 60));
}

/* Exactly the shape the relay must write, YYYY-MM-DDThh:mm:ssZ, with a real calendar date;
 * int64 arithmetic (common/calendar.h), so no time_t or timegm() is involved. */
int parse_rfc3339(const char *s, int64_t *epoch)
{
    if (strlen(s) != 20 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' ||
        s[16] != ':' || s[19] != 'Z')
        return -1;
    int y = cal_fixed_digits(s, 4), mo = cal_fixed_digits(s + 5, 2);
    int d = cal_fixed_digits(s + 8, 2), h = cal_fixed_digits(s + 11, 2);
    int mi = cal_fixed_digits(s + 14, 2), se = cal_fixed_digits(s + 17, 2);
    if (y < 0 || mo < 1 || mo > 12 || d < 1 || (unsigned)d > cal_days_in_month(y, (unsigned)mo) ||
        h < 0 || h > 23 || mi < 0 || mi > 59 || se < 0 || se > 60)
        return -1;
    *epoch = cal_days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 + h * 3600 + mi * 60 + se;
    return 0;
}

char *random_b64(size_t nbytes)
{
    unsigned char *raw = malloc(nbytes ? nbytes : 1);
    size_t cap = sodium_base64_ENCODED_LEN(nbytes, sodium_base64_VARIANT_ORIGINAL);
    char *out = malloc(cap);
    if (raw == NULL || out == NULL) {
        free(raw);
        free(out);
        return NULL;
    }
    randombytes_buf(raw, nbytes);
    sodium_bin2base64(out, cap, raw, nbytes, sodium_base64_VARIANT_ORIGINAL);
    free(raw);
    return out;
}

char *create_body(const char *type, const char *data, const char *title, const char *desc,
                  const char *rights, const char *expiration, const char *extra)
{
    cJSON *o = cJSON_CreateObject();
    cJSON *p = cJSON_AddObjectToObject(o, "payload");
    cJSON_AddStringToObject(p, "type", type ? type : "XSALSA20_POLY1305");
    cJSON_AddStringToObject(p, "data", data);
    cJSON *d = cJSON_AddObjectToObject(o, "displayInformation");
    cJSON_AddStringToObject(d, "title", title ? title : "Conformance test pass");
    cJSON_AddStringToObject(d, "description", desc ? desc : "Made by tigress-conformance");
    cJSON_AddStringToObject(d, "imageURL", "");
    if (expiration != NULL) {
        cJSON *m = cJSON_AddObjectToObject(o, "mailboxConfiguration");
        if (rights != NULL)
            cJSON_AddStringToObject(m, "accessRights", rights);
        cJSON_AddStringToObject(m, "expiration", expiration);
    }
    char *s = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    if (s != NULL && extra != NULL) {
        size_t n = strlen(s);
        char *t = malloc(n + strlen(extra) + 1);
        if (t != NULL) {
            memcpy(t, s, n - 1);                     /* without the closing brace */
            strcpy(t + n - 1, extra);
            strcat(t, "}");
        }
        free(s);
        s = t;
    }
    return s;
}

int id_from_link(const char *link, char id[64])
{
    const char *slash = strrchr(link, '/');
    if (slash == NULL || slash[1] == '\0' || strlen(slash + 1) >= 64)
        return -1;
    snprintf(id, 64, "%s", slash + 1);
    return 0;
}

void own_mailbox(conf_ctx *c, const char *id, const char *claim)
{
    if (c->n_owned >= (int)(sizeof c->owned / sizeof c->owned[0]))
        return;
    snprintf(c->owned[c->n_owned].id, sizeof c->owned[0].id, "%s", id);
    snprintf(c->owned[c->n_owned].claim, sizeof c->owned[0].claim, "%s", claim);
    c->n_owned++;
}

void cleanup_owned(conf_ctx *c)
{
    for (int i = 0; i < c->n_owned; i++) {
        cresp r;
        mb_op(c, "DELETE", c->owned[i].id, c->owned[i].claim, "", NULL, &r);
        cresp_free(&r);     /* 404 (already gone) and 401 (no D right) are fine here */
    }
    c->n_owned = 0;
}

void remember_request(const creq *q)
{
    snprintf(last_method, sizeof last_method, "%s", q->method);
    if (q->path != last_path)
        snprintf(last_path, sizeof last_path, "%s", q->path);
    snprintf(last_claim, sizeof last_claim, "%s", q->claim ? q->claim : "");
    snprintf(last_rid, sizeof last_rid, "%s", q->rid ? q->rid : "");
    free(last_body);
    last_body = q->body ? strdup(q->body) : NULL;
    last_q = *q;
    last_q.method = last_method;
    last_q.path = last_path;
    last_q.claim = q->claim ? last_claim : NULL;
    last_q.rid = q->rid ? last_rid : NULL;
    last_q.body = last_body;
    last_q.body_len = 0;
    /* The extra headers too: they usually live in the caller's stack frame. */
    for (int i = 0; i < 4; i++) {
        if (q->extra[i] == NULL) {
            last_q.extra[i] = NULL;
            continue;
        }
        snprintf(last_extra[i], sizeof last_extra[i], "%s", q->extra[i]);
        last_q.extra[i] = last_extra[i];
    }
}

int created_id(const cresp *r, char id[64])
{
    cJSON *j = cJSON_ParseWithLength(r->body, r->body_len);
    cJSON *l = cJSON_GetObjectItemCaseSensitive(j, "urlLink");
    int rc = cJSON_IsString(l) ? id_from_link(l->valuestring, id) : -1;
    cJSON_Delete(j);
    return rc;
}

void own_if_created(conf_ctx *c, const cresp *r, const char *claim)
{
    char id[64];
    if (r->status == 200 && created_id(r, id) == 0)
        own_mailbox(c, id, claim);
}

/* POST path (extra: one more header or NULL): the Create request of mb_create and create_fresh.
 * Also made on a wrong path, where a relay that answers 200 has made a mailbox all the same: it
 * is registered for deletion like any other. */
static long create_at(conf_ctx *c, const char *path, const char *extra, const char *claim,
                      const char *rid, const char *body, char id[64], cresp *out)
{
    char fresh[37];
    if (rid == NULL || rid[0] == '\0') {
        new_uuid(fresh);
        rid = fresh;
    }
    creq q = {.method = "POST", .path = path, .claim = claim, .rid = rid, .body = body,
              .extra = {extra, NULL}};
    cresp r;
    http_do(c, &q, &r);
    remember_request(&q);
    if (id != NULL)
        id[0] = '\0';
    if (r.status == 200 || r.status == 201) {
        char tmp[64];
        if (created_id(&r, tmp) == 0) {
            if (id != NULL)
                snprintf(id, 64, "%s", tmp);
            if (r.status == 200 && claim != NULL)
                own_mailbox(c, tmp, claim);
        }
    }
    long st = r.status;
    if (out != NULL)
        *out = r;
    else
        cresp_free(&r);
    return st;
}

long mb_create(conf_ctx *c, const char *claim, const char *rid, const char *body, char id[64],
               cresp *out)
{
    return create_at(c, "/v1/m", NULL, claim, rid, body, id, out);
}

char *valid_body(const char *rights)
{
    char exp[32];
    rfc3339_in(3600, exp);
    char *d = random_b64(32);
    char *b = create_body(NULL, d, NULL, NULL, rights, exp, NULL);
    free(d);
    return b;
}

long create_fresh(conf_ctx *c, const char *path, const char *extra, char claim[37], char id[64],
                  cresp *out)
{
    new_uuid(claim);
    char *b = valid_body("RD");
    long st = create_at(c, path, extra, claim, NULL, b, id, out);
    free(b);
    return st;
}

int mb_new(conf_ctx *c, const char *rights, char claim[37], char id[64])
{
    char exp[32];
    /* without D the tester cannot delete it: let it expire soon instead */
    rfc3339_in(rights != NULL && strchr(rights, 'D') == NULL ? 120 : 3600, exp);
    new_uuid(claim);
    char *data = random_b64(48);
    char *b = create_body(NULL, data, NULL, NULL, rights, exp, NULL);
    cresp r;
    long st = mb_create(c, claim, NULL, b, id, &r);
    free(data);
    free(b);
    if (st != 200 || id[0] == '\0') {
        fail_at(c, &last_q, &r, "creating a mailbox (rights %s) did not give 200 and a urlLink",
                rights ? rights : "default");
        cresp_free(&r);
        return -1;
    }
    cresp_free(&r);
    return 0;
}

long mb_op(conf_ctx *c, const char *method, const char *id, const char *claim, const char *rid,
           const char *body, cresp *out)
{
    char fresh[37];
    if (rid != NULL && rid[0] == '\0') {
        new_uuid(fresh);
        rid = fresh;
    }
    char path[128];
    snprintf(path, sizeof path, "/v1/m/%s", id);
    creq q = {.method = method, .path = path, .claim = claim, .rid = rid, .body = body};
    cresp r;
    http_do(c, &q, &r);
    remember_request(&q);
    long st = r.status;
    if (out != NULL)
        *out = r;
    else
        cresp_free(&r);
    return st;
}

int expect_op(conf_ctx *c, const char *what, long want, const char *method, const char *id,
              const char *claim, const char *body, cresp *keep)
{
    cresp r;
    long st = mb_op(c, method, id, claim, "", body, &r);
    int ok = st == want;
    if (!ok)
        fail_at(c, &last_q, &r, "%s: expected %ld, got %ld", what, want, st);
    if (keep != NULL)
        *keep = r;
    else
        cresp_free(&r);
    return ok;
}

cJSON *json_body(conf_ctx *c, const creq *q, const cresp *r)
{
    cJSON *j = cJSON_ParseWithLength(r->body, r->body_len);
    if (!cJSON_IsObject(j)) {
        fail_at(c, q, r, "the body is not a JSON object");
        cJSON_Delete(j);
        return NULL;
    }
    return j;
}
