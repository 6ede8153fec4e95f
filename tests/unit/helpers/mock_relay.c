/* The fake relay of mock_transport: the six mailbox endpoints of draft-vinokurov-tigress-http-00
 * in memory, with the relay semantics of docs/protocol.md §2-§3 and fault injection. */
#define _DEFAULT_SOURCE /* strdup */
#include <stdio.h>
#include <strings.h>
#include <time.h>

#include "mock_internal.h"

void mock__relay_free(mock_transport *m)
{
    for (size_t i = 0; i < m->mb_count; i++) {
        mailbox *b = &m->mbs[i];
        free(b->initiator);
        free(b->recipient);
        cJSON_Delete(b->payload);
        cJSON_Delete(b->display);
        free(b->token[0]);
        free(b->token[1]);
    }
    free(m->mbs);
    for (size_t i = 0; i < m->dd_count; i++) {
        free(m->dds[i].claim);
        free(m->dds[i].request_id);
        free(m->dds[i].body);
    }
    free(m->dds);
    free(m->base);
    free(m->payload_text);
}

/* ==================================== fake relay ==================================== */

void mock_relay_enable(mock_transport *m, const char *base_url)
{
    free(m->base);
    m->base = xstrdup(base_url != NULL ? base_url : "https://relay.test");
    m->relay = true;
}

void mock_relay_simulate_wait(mock_transport *m, bool on) { m->simulate_wait = on; }
void mock_relay_set_push_supported(mock_transport *m, bool s) { m->push = s; }
void mock_relay_set_time(mock_transport *m, int64_t t) { m->relay_now = t; }
void mock_relay_drop_responses(mock_transport *m, unsigned n) { m->drop = n; }
void mock_relay_echo_next(mock_transport *m, mock_echo e) { m->echo_next = e; }

void mock_relay_force_status(mock_transport *m, int status, long retry_after_s)
{
    m->force_status = status;
    m->force_retry_after = retry_after_s;
}

static int64_t relay_now(const mock_transport *m)
{
    return m->relay_now != 0 ? m->relay_now : (int64_t)time(NULL);
}

static mailbox *find_mb(const mock_transport *m, const char *id)
{
    for (size_t i = 0; i < m->mb_count; i++)
        if (!m->mbs[i].deleted && strcmp(m->mbs[i].id, id) == 0 &&
            m->mbs[i].expiration > relay_now(m))
            return &m->mbs[i];
    return NULL;
}

static void set_error(answer *a, int status, const char *code, const char *message)
{
    cJSON *j = cJSON_CreateObject();

    cJSON_AddStringToObject(j, "error", code);
    cJSON_AddStringToObject(j, "message", message);
    a->status = status;
    a->body = cJSON_PrintUnformatted(j);
    a->body_len = strlen(a->body);
    cJSON_Delete(j);
}

static void set_json(answer *a, int status, cJSON *j)
{
    a->status = status;
    a->body = cJSON_PrintUnformatted(j);
    a->body_len = strlen(a->body);
    cJSON_Delete(j);
}

/* The last request processed for this claim, if it had this Request-ID. */
static dedupe *find_dup(mock_transport *m, const char *claim, const char *rid)
{
    if (claim == NULL || rid == NULL)
        return NULL;
    for (size_t i = 0; i < m->dd_count; i++)
        if (strcmp(m->dds[i].claim, claim) == 0)
            return strcmp(m->dds[i].request_id, rid) == 0 ? &m->dds[i] : NULL;
    return NULL;
}

static void remember(mock_transport *m, const char *claim, const char *rid, const char *body)
{
    dedupe *d = NULL;

    m->applied++;
    if (claim == NULL || rid == NULL)
        return;
    for (size_t i = 0; i < m->dd_count && d == NULL; i++)
        if (strcmp(m->dds[i].claim, claim) == 0)
            d = &m->dds[i];
    if (d == NULL) {
        m->dds = xrealloc(m->dds, (m->dd_count + 1) * sizeof(*m->dds));
        d = &m->dds[m->dd_count++];
        d->claim = xstrdup(claim);
    } else {
        free(d->request_id);
        free(d->body);
    }
    d->request_id = xstrdup(rid);
    d->body = xstrdup(body != NULL ? body : "");
}

static bool answer_duplicate(mock_transport *m, answer *a, const char *claim, const char *rid)
{
    dedupe *d = find_dup(m, claim, rid);

    if (d == NULL)
        return false;
    a->status = 201;
    a->body = xstrdup(d->body);
    a->body_len = strlen(a->body);
    m->duplicates++;
    return true;
}

static bool valid_object_fields(const cJSON *o, const char *const *fields)
{
    if (!cJSON_IsObject(o))
        return false;
    for (; *fields != NULL; fields++)
        if (!cJSON_IsString(cJSON_GetObjectItemCaseSensitive(o, *fields)))
            return false;
    return true;
}

static bool valid_payload(const cJSON *p)
{
    static const char *const f[] = { "type", "data", NULL };
    return valid_object_fields(p, f);
}

static bool valid_token(const cJSON *t)
{
    static const char *const f[] = { "type", "tokenData", NULL };
    return t == NULL || valid_object_fields(t, f);
}

static char *token_text(const cJSON *t)
{
    return t != NULL ? cJSON_PrintUnformatted(t) : NULL;
}

static bool rights_ok(const char *r)
{
    if (strlen(r) > 3)
        return false;
    for (; *r != '\0'; r++)
        if (*r != 'R' && *r != 'W' && *r != 'D')
            return false;
    return true;
}

/* Parses mailboxConfiguration into rights/expiration; false on a bad value (400). */
static bool parse_config(const mock_transport *m, const cJSON *cfg, char rights[4], int64_t *exp)
{
    const cJSON *ar, *ex;

    strcpy(rights, "RD");
    *exp = relay_now(m) + 24 * 3600;
    if (cfg == NULL)
        return true;
    if (!cJSON_IsObject(cfg))
        return false;
    ar = cJSON_GetObjectItemCaseSensitive(cfg, "accessRights");
    ex = cJSON_GetObjectItemCaseSensitive(cfg, "expiration");
    if (ar != NULL) {
        if (!cJSON_IsString(ar) || !rights_ok(ar->valuestring))
            return false;
        strcpy(rights, ar->valuestring);
    }
    if (!cJSON_IsString(ex) || tigress__time_parse(ex->valuestring, exp) != TIGRESS_OK)
        return false;
    return *exp > relay_now(m) && *exp <= relay_now(m) + 7 * 24 * 3600;
}

static void relay_create(mock_transport *m, const mock_request *r, const char *claim,
                         const char *rid, answer *a)
{
    static const char *const df[] = { "title", "description", "imageURL", NULL };
    cJSON *j, *out;
    mailbox *b;
    char rights[4], url[512];
    int64_t exp;

    if (rid == NULL) {
        set_error(a, 400, "bad_request", "Mailbox-Request-ID is required");
        return;
    }
    if (answer_duplicate(m, a, claim, rid))
        return;
    j = r->body != NULL ? cJSON_ParseWithLength(r->body, r->body_len) : NULL;
    if (j == NULL || !valid_payload(cJSON_GetObjectItemCaseSensitive(j, "payload")) ||
        !valid_object_fields(cJSON_GetObjectItemCaseSensitive(j, "displayInformation"), df) ||
        !valid_token(cJSON_GetObjectItemCaseSensitive(j, "notificationToken")) ||
        !parse_config(m, cJSON_GetObjectItemCaseSensitive(j, "mailboxConfiguration"), rights,
                      &exp)) {
        cJSON_Delete(j); {
        set_error(a, 400, "bad_request", "malformed CreateMailbox body");
        return;
    }
    }
    m->mbs = xrealloc(m->mbs, (m->mb_count + 1) * sizeof(*m->mbs));
    b = &m->mbs[m->mb_count++];
    memset(b, 0, sizeof(*b));
    tigress__uuid_v4(b->id);
    b->initiator = xstrdup(claim);
    strcpy(b->rights, rights);
    b->expiration = exp;
    b->payload = cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(j, "payload"), 1);
    b->display = cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(j, "displayInformation"), 1);
    b->token[0] = token_text(cJSON_GetObjectItemCaseSensitive(j, "notificationToken"));
    b->version = 1;
    cJSON_Delete(j);
    snprintf(url, sizeof(url), "%s/v1/m/%s", m->base, b->id);
    out = cJSON_CreateObject();
    cJSON_AddStringToObject(out, "urlLink", url);
    cJSON_AddBoolToObject(out, "isPushNotificationSupported", m->push);
    set_json(a, 200, out);
    remember(m, claim, rid, a->body);
}

/* 0 = initiator, 1 = recipient, -1 = neither. */
static int party(const mailbox *b, const char *claim)
{
    if (claim == NULL)
        return -1;
    if (strcmp(b->initiator, claim) == 0)
        return 0;
    if (b->recipient != NULL && strcmp(b->recipient, claim) == 0)
        return 1;
    return -1;
}

static void relay_update(mock_transport *m, const mock_request *r, mailbox *b, const char *claim,
                         const char *rid, answer *a)
{
    cJSON *j, *out;
    int who;

    if (rid == NULL) {
        set_error(a, 400, "bad_request", "Mailbox-Request-ID is required");
        return;
    }
    if (answer_duplicate(m, a, claim, rid))
        return;
    who = party(b, claim);
    if (who < 0 || strchr(b->rights, 'W') == NULL) {
        set_error(a, 401, "unauthorized", "claim not bound or no write right");
        return;
    }
    j = r->body != NULL ? cJSON_ParseWithLength(r->body, r->body_len) : NULL;
    if (j == NULL || !valid_payload(cJSON_GetObjectItemCaseSensitive(j, "payload")) ||
        !valid_token(cJSON_GetObjectItemCaseSensitive(j, "notificationToken"))) {
        cJSON_Delete(j); {
        set_error(a, 400, "bad_request", "malformed UpdateMailbox body");
        return;
    }
    }
    cJSON_Delete(b->payload);
    b->payload = cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(j, "payload"), 1);
    if (cJSON_GetObjectItemCaseSensitive(j, "notificationToken") != NULL) {
        free(b->token[who]);
        b->token[who] = token_text(cJSON_GetObjectItemCaseSensitive(j, "notificationToken"));
    }
    b->version++;
    cJSON_Delete(j);
    out = cJSON_CreateObject();
    cJSON_AddBoolToObject(out, "isPushNotificationSupported", m->push);
    set_json(a, 200, out);
    remember(m, claim, rid, a->body);
}

static void relay_read(mock_transport *m, const mock_request *r, mailbox *b, const char *claim,
                       answer *a)
{
    const char *inm = mock_request_header(r, "If-None-Match");
    char etag[32], when[21];
    cJSON *out, *j;

    if (claim == NULL) {
        set_error(a, 401, "unauthorized", "Mailbox-Device-Claim is required");
        return;
    }
    if (party(b, claim) < 0) {
        if (b->recipient != NULL) {
            set_error(a, 401, "unauthorized", "another device is bound");
            return;
        }
        b->recipient = xstrdup(claim); /* first claim binds the Recipient */
        m->applied++;
    }
    if (strchr(b->rights, 'R') == NULL) {
        set_error(a, 401, "unauthorized", "no read right");
        return;
    }
    if (r->body != NULL && (j = cJSON_ParseWithLength(r->body, r->body_len)) != NULL) {
        const cJSON *t = cJSON_GetObjectItemCaseSensitive(j, "notificationToken");
        if (t != NULL && valid_token(t)) {
            int who = party(b, claim);
            free(b->token[who]);
            b->token[who] = token_text(t);
        }
        cJSON_Delete(j);
    }
    snprintf(etag, sizeof(etag), "\"%u\"", b->version);
    mock__answer_header(a, "ETag", etag);
    if (inm != NULL && strcmp(inm, etag) == 0) {
        const char *prefer = mock_request_header(r, "Prefer");
        if (prefer != NULL) {
            /* Opt-in: the relay held the request for the whole wait, so that much fake time
             * passes. */
            m->waits++;
            if (m->simulate_wait && strncmp(prefer, "wait=", 5) == 0)
                mock_clock_advance(atol(prefer + 5) * 1000L);
        }
        a->status = 304;
        return;
    }
    tigress__time_format(b->expiration, when);
    out = cJSON_CreateObject();
    cJSON_AddItemToObject(out, "payload", cJSON_Duplicate(b->payload, 1));
    cJSON_AddItemToObject(out, "displayInformation", cJSON_Duplicate(b->display, 1));
    cJSON_AddStringToObject(out, "expiration", when);
    set_json(a, 200, out);
}

static void relay_delete(mock_transport *m, mailbox *b, const char *claim, const char *rid,
                         answer *a)
{
    if (rid == NULL) {
        set_error(a, 400, "bad_request", "Mailbox-Request-ID is required");
        return;
    }
    if (party(b, claim) < 0 || strchr(b->rights, 'D') == NULL) {
        set_error(a, 401, "unauthorized", "claim not bound or no delete right");
        return;
    }
    b->deleted = true;
    a->status = 200;
    a->body = xstrdup("{}");
    a->body_len = 2;
    remember(m, claim, rid, a->body);
}

static void relay_relinquish(mock_transport *m, mailbox *b, const char *claim, const char *rid,
                             answer *a)
{
    if (rid == NULL) {
        set_error(a, 400, "bad_request", "Mailbox-Request-ID is required");
        return;
    }
    if (answer_duplicate(m, a, claim, rid))
        return;
    if (claim == NULL || b->recipient == NULL || strcmp(b->recipient, claim) != 0) {
        set_error(a, 401, "unauthorized", "not the bound recipient");
        return;
    }
    free(b->recipient);
    b->recipient = NULL;
    free(b->token[1]);
    b->token[1] = NULL;
    a->status = 200;
    a->body = xstrdup("{}");
    a->body_len = 2;
    remember(m, claim, rid, a->body);
}

static void relay_preview(const mailbox *b, bool head, answer *a)
{
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(b->display, "title");
    char html[1024];
    size_t n = 0;

    n += (size_t)snprintf(html, sizeof(html), "<!doctype html><title>");
    for (const char *p = t->valuestring; *p != '\0' && n + 8 < sizeof(html); p++) {
        if (*p == '<' || *p == '>' || *p == '&' || *p == '"')
            n += (size_t)snprintf(html + n, sizeof(html) - n, "&#%d;", *p);
        else
            html[n++] = *p;
    }
    snprintf(html + n, sizeof(html) - n, "</title>");
    a->status = 200;
    mock__answer_header(a, "Content-Type", "text/html; charset=utf-8");
    if (!head) {
        a->body = xstrdup(html);
        a->body_len = strlen(html);
    }
}

/* Routes one request: "<base>/v1/m" or "<base>/v1/m/<id>" (query ignored). */
static void relay_route(mock_transport *m, const mock_request *r, answer *a)
{
    const char *claim = mock_request_header(r, "Mailbox-Device-Claim");
    const char *rid = mock_request_header(r, "Mailbox-Request-ID");
    size_t bl = strlen(m->base);
    char path[256];
    mailbox *b;

    if (strncmp(r->url, m->base, bl) != 0 || strlen(r->url + bl) >= sizeof(path)) {
        set_error(a, 404, "not_found", "unknown path");
        return;
    }
    strcpy(path, r->url + bl);
    path[strcspn(path, "?")] = '\0';
    if (r->body_len > RELAY_BODY_MAX) {
        set_error(a, 413, "too_large", "request body over 64 KiB");
        return;
    }
    if (strcmp(path, "/v1/m") == 0) {
        if (strcmp(r->method, "POST") != 0) {
            set_error(a, 405, "method_not_allowed", "method not allowed");
            return;
        }
        if (claim == NULL) {
            set_error(a, 401, "unauthorized", "Mailbox-Device-Claim is required");
            return;
        }
        relay_create(m, r, claim, rid, a);
        return;
    }
    if (strncmp(path, "/v1/m/", 6) != 0 || (b = find_mb(m, path + 6)) == NULL) {
        set_error(a, 404, "not_found", "no such mailbox");
        return;
    }
    if (strcmp(r->method, "GET") == 0 || strcmp(r->method, "HEAD") == 0) {
        relay_preview(b, r->method[0] == 'H', a);
        return;
    }
    if (strcmp(r->method, "POST") == 0) {
        relay_read(m, r, b, claim, a);
        return;
    }
    if (strcmp(r->method, "PUT") == 0) {
        relay_update(m, r, b, claim, rid, a);
        return;
    }
    if (strcmp(r->method, "DELETE") == 0) {
        relay_delete(m, b, claim, rid, a);
        return;
    }
    if (strcmp(r->method, "PATCH") == 0) {
        relay_relinquish(m, b, claim, rid, a);
        return;
    }
    set_error(a, 405, "method_not_allowed", "method not allowed");
}

static bool has_content_type(const answer *a)
{
    for (size_t i = 0; i < a->header_count; i++)
        if (strcasecmp(a->headers[i].name, "Content-Type") == 0)
            return true;
    return false;
}

int mock__relay_handle(mock_transport *m, const mock_request *r, tigress_http_response *resp)
{
    answer a;
    int rc;

    memset(&a, 0, sizeof(a));
    a.echo = m->echo_next;
    m->echo_next = MOCK_ECHO_CORRECT;
    if (m->force_status != 0) {
        char ra[24];
        set_error(&a, m->force_status, "forced", "forced by the test");
        if (m->force_retry_after >= 0) {
            snprintf(ra, sizeof(ra), "%ld", m->force_retry_after);
            mock__answer_header(&a, "Retry-After", ra);
        }
        m->force_status = 0;
        m->force_retry_after = -1;
    } else {
        relay_route(m, r, &a);
    }
    if (a.body != NULL && a.status != 304 && !has_content_type(&a))
        mock__answer_header(&a, "Content-Type", "application/json");
    if (m->drop > 0) {
        m->drop--;
        mock__answer_free(&a);
        tigress__http_response_set_transport_error(resp, 56, "response dropped by the test");
        return TIGRESS_E_NETWORK;
    }
    rc = mock__emit(r, &a, NULL, 0, resp);
    mock__answer_free(&a);
    return rc;
}

/* ---- relay inspection ---- */

static const mailbox *find_any(const mock_transport *m, const char *id)
{
    return id != NULL ? find_mb(m, id) : NULL;
}

size_t mock_relay_mailbox_count(const mock_transport *m)
{
    size_t n = 0;
    for (size_t i = 0; i < m->mb_count; i++)
        if (find_mb(m, m->mbs[i].id) != NULL)
            n++;
    return n;
}

const char *mock_relay_last_mailbox_id(const mock_transport *m)
{
    return m->mb_count > 0 ? m->mbs[m->mb_count - 1].id : NULL;
}

bool mock_relay_mailbox_exists(const mock_transport *m, const char *id)
{
    return find_any(m, id) != NULL;
}

unsigned mock_relay_mailbox_version(const mock_transport *m, const char *id)
{
    const mailbox *b = find_any(m, id);
    return b != NULL ? b->version : 0;
}

const char *mock_relay_recipient(const mock_transport *m, const char *id)
{
    const mailbox *b = find_any(m, id);
    return b != NULL ? b->recipient : NULL;
}

const char *mock_relay_initiator(const mock_transport *m, const char *id)
{
    const mailbox *b = find_any(m, id);
    return b != NULL ? b->initiator : NULL;
}

const char *mock_relay_payload(mock_transport *m, const char *id)
{
    const mailbox *b = find_any(m, id);
    mock_transport *mm = m;

    free(mm->payload_text);
    mm->payload_text = b != NULL ? cJSON_PrintUnformatted(b->payload) : NULL;
    return mm->payload_text;
}

const char *mock_relay_access_rights(const mock_transport *m, const char *id)
{
    const mailbox *b = find_any(m, id);
    return b != NULL ? b->rights : NULL;
}

int64_t mock_relay_expiration(const mock_transport *m, const char *id)
{
    const mailbox *b = find_any(m, id);
    return b != NULL ? b->expiration : 0;
}

void mock_relay_set_expiration(mock_transport *m, const char *id, int64_t unix_s)
{
    for (size_t i = 0; i < m->mb_count; i++)
        if (strcmp(m->mbs[i].id, id) == 0)
            m->mbs[i].expiration = unix_s;
}

const char *mock_relay_token(const mock_transport *m, const char *id, bool recipient)
{
    const mailbox *b = find_any(m, id);
    return b != NULL ? b->token[recipient ? 1 : 0] : NULL;
}

size_t mock_relay_applied_count(const mock_transport *m) { return m->applied; }
size_t mock_relay_duplicate_count(const mock_transport *m) { return m->duplicates; }
size_t mock_relay_waits(const mock_transport *m) { return m->waits; }

