/*
 * conformance/checks_access.c: reads, binding and its race, the parties' rights, Update,
 * Delete, Relinquish and opaque data (R16, R19-R28, R32-R34).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checks.h"

#define DONE(c) return (c)->failed ? RES_FAIL : RES_PASS

static char *update_body(const char *data)
{
    char *b = malloc(strlen(data) + 100);
    if (b != NULL)
        sprintf(b, "{\"payload\":{\"type\":\"XSALSA20_POLY1305\",\"data\":\"%s\"}}", data);
    return b;
}

/* Reads as claim; the check fails unless it is 200 with payload.data == want (want NULL: any). */
static int read_sees(conf_ctx *c, const char *what, const char *id, const char *claim,
                     const char *want)
{
    cresp r;
    long st = mb_op(c, "POST", id, claim, NULL, NULL, &r);
    int ok = 0;
    if (st != 200) {
        fail_at(c, &last_q, &r, "%s: expected 200, got %ld", what, st);
    } else {
        cJSON *j = json_body(c, &last_q, &r);
        cJSON *d = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(j, "payload"),
                                                    "data");
        if (j != NULL && !cJSON_IsString(d))
            fail_at(c, &last_q, &r, "%s: no payload.data string", what);
        else if (j != NULL && want != NULL && strcmp(d->valuestring, want) != 0)
            fail_at(c, &last_q, &r, "%s: payload.data is not the one last written", what);
        else if (j != NULL)
            ok = 1;
        cJSON_Delete(j);
    }
    cresp_free(&r);
    return ok;
}

/* Updates as claim with fresh random data, expecting want; returns the data (malloc'd). */
static char *update_as(conf_ctx *c, const char *what, const char *id, const char *claim,
                       long want)
{
    char *d = random_b64(40), *b = update_body(d);
    if (!expect_op(c, what, want, "PUT", id, claim, b, NULL)) {
        free(d);
        d = NULL;
    }
    free(b);
    return d;
}

int check_R16(conf_ctx *c)
{
    char ini[37], id[64], rec[37];
    new_uuid(rec);
    const char *upd = "{\"payload\":{\"type\":\"XSALSA20_POLY1305\",\"data\":\"AQ==\"}}";
    if (mb_new(c, "RD", ini, id) != 0)
        DONE(c);
    expect_op(c, "Update by the Initiator without W", 401, "PUT", id, ini, upd, NULL);
    expect_op(c, "first read by the Recipient", 200, "POST", id, rec, NULL, NULL);
    expect_op(c, "Update by the Recipient without W", 401, "PUT", id, rec, upd, NULL);
    if (c->failed || mb_new(c, "RW", ini, id) != 0)
        DONE(c);
    expect_op(c, "Delete by the Initiator without D", 401, "DELETE", id, ini, NULL, NULL);
    expect_op(c, "read after the refused Delete (the mailbox survives)", 200, "POST", id, ini,
              NULL, NULL);
    if (c->failed || mb_new(c, "WD", ini, id) != 0)
        DONE(c);
    expect_op(c, "read by a new claim without R", 401, "POST", id, rec, NULL, NULL);
    expect_op(c, "read by the Initiator without R", 401, "POST", id, ini, NULL, NULL);
    DONE(c);
}

int check_R19(conf_ctx *c)
{
    char claim[37], id[64], exp[32];
    new_uuid(claim);
    rfc3339_in(5400, exp);
    char *data = random_b64(100);
    char *b = create_body("AEAD_AES_256_GCM", data, "Conformance \"title\" <19>",
                          "Desc: caf\xc3\xa9 & co", "RD", exp, NULL);
    cresp r;
    long st = mb_create(c, claim, NULL, b, id, &r);
    cresp_free(&r);
    if (st != 200) {
        fail_at(c, &last_q, NULL, "Create: expected 200, got %ld", st);
        goto out;
    }
    st = mb_op(c, "POST", id, claim, NULL, NULL, &r);
    if (st != 200) {
        fail_at(c, &last_q, &r, "read: expected 200, got %ld", st);
    } else {
        cJSON *j = json_body(c, &last_q, &r), *sent = cJSON_Parse(b);
        if (j != NULL) {
            cJSON *p = cJSON_GetObjectItemCaseSensitive(j, "payload");
            cJSON *di = cJSON_GetObjectItemCaseSensitive(j, "displayInformation");
            cJSON *e = cJSON_GetObjectItemCaseSensitive(j, "expiration");
            if (!cJSON_Compare(p, cJSON_GetObjectItemCaseSensitive(sent, "payload"), 1))
                fail_at(c, &last_q, &r, "payload differs from the one sent");
            else if (!cJSON_Compare(di, cJSON_GetObjectItemCaseSensitive(sent, "displayInformation"),
                                    1))
                fail_at(c, &last_q, &r, "displayInformation differs from the one sent");
            else if (!cJSON_IsString(e) || strcmp(e->valuestring, exp) != 0)
                fail_at(c, &last_q, &r, "expiration is not %s (set at creation)", exp);
        }
        cJSON_Delete(j);
        cJSON_Delete(sent);
    }
    cresp_free(&r);
out:
    free(b);
    free(data);
    DONE(c);
}

typedef struct {
    const conf_ctx *c;
    char path[128];
    char claim[37];
    pthread_barrier_t *go;
    long status;
} racer;

static void *race_one(void *arg)
{
    racer *x = arg;
    creq q = {.method = "POST", .path = x->path, .claim = x->claim};
    cresp r;
    pthread_barrier_wait(x->go);
    http_do_thread(x->c, &q, &r);
    x->status = r.status;
    cresp_free(&r);
    return NULL;
}

#define RACERS 6

int check_R20(conf_ctx *c)
{
    char ini[37], id[64], rec[37], third[37];
    if (mb_new(c, "RWD", ini, id) != 0)
        DONE(c);
    new_uuid(rec);
    new_uuid(third);
    if (read_sees(c, "first read by a new claim", id, rec, NULL)) {
        /* bound: the reader acts as the Recipient, a later claim does not bind */
        char *d = update_as(c, "Update by the reader (now the Recipient)", id, rec, 200);
        free(d);
        expect_op(c, "read by a later claim (the Recipient is bound)", 401, "POST", id, third,
                  NULL, NULL);
    }
    if (c->failed || mb_new(c, "RD", ini, id) != 0)
        DONE(c);
    /* the race for the first claim: exactly one of the concurrent readers binds */
    racer rs[RACERS];
    pthread_t th[RACERS];
    pthread_barrier_t go;
    pthread_barrier_init(&go, NULL, RACERS);
    for (int i = 0; i < RACERS; i++) {
        rs[i].c = c;
        rs[i].go = &go;
        rs[i].status = -1;
        snprintf(rs[i].path, sizeof rs[i].path, "/v1/m/%s", id);
        new_uuid(rs[i].claim);
        pthread_create(&th[i], NULL, race_one, &rs[i]);
    }
    int ok = 0, refused = 0;
    for (int i = 0; i < RACERS; i++) {
        pthread_join(th[i], NULL);
        ok += rs[i].status == 200;
        refused += rs[i].status == 401;
    }
    pthread_barrier_destroy(&go);
    if (ok != 1 || refused != RACERS - 1) {
        char list[200] = "";
        for (int i = 0; i < RACERS; i++)
            snprintf(list + strlen(list), sizeof list - strlen(list), " %ld", rs[i].status);
        creq q = {.method = "POST", .path = rs[0].path, .claim = "(a fresh claim per reader)"};
        fail_at(c, &q, NULL, "%d concurrent first reads by different claims: expected exactly one "
                "200 and the rest 401, got:%s", RACERS, list);
    }
    DONE(c);
}

int check_R21(conf_ctx *c)
{
    char ini[37], id[64], rec[37], third[37];
    if (mb_new(c, "RWD", ini, id) != 0)
        DONE(c);
    new_uuid(rec);
    new_uuid(third);
    if (!expect_op(c, "first read by the Recipient", 200, "POST", id, rec, NULL, NULL))
        DONE(c);
    const char *upd = "{\"payload\":{\"type\":\"XSALSA20_POLY1305\",\"data\":\"AQ==\"}}";
    expect_op(c, "read by a third claim", 401, "POST", id, third, NULL, NULL);
    expect_op(c, "Update by a third claim", 401, "PUT", id, third, upd, NULL);
    expect_op(c, "Relinquish by a third claim", 401, "PATCH", id, third, NULL, NULL);
    expect_op(c, "Delete by a third claim", 401, "DELETE", id, third, NULL, NULL);
    expect_op(c, "the Recipient still reads", 200, "POST", id, rec, NULL, NULL);
    DONE(c);
}

int check_R22(conf_ctx *c)
{
    char ini[37], id[64], rec[37];
    if (mb_new(c, "RWD", ini, id) != 0)
        DONE(c);
    new_uuid(rec);
    char *d = update_as(c, "Update by the Initiator before binding", id, ini, 200);
    if (d != NULL)
        read_sees(c, "read by the Initiator before binding", id, ini, d);
    free(d);
    expect_op(c, "first read by the Recipient", 200, "POST", id, rec, NULL, NULL);
    d = c->failed ? NULL : update_as(c, "Update by the Initiator after binding", id, ini, 200);
    if (d != NULL)
        read_sees(c, "read by the Initiator after binding", id, ini, d);
    free(d);
    if (!c->failed)
        expect_op(c, "Delete by the Initiator after binding", 200, "DELETE", id, ini, NULL, NULL);
    DONE(c);
}

int check_R23(conf_ctx *c)
{
    char ini[37], id[64], rec[37];
    if (mb_new(c, "RWD", ini, id) != 0)
        DONE(c);
    new_uuid(rec);
    expect_op(c, "first read by the Recipient", 200, "POST", id, rec, NULL, NULL);
    const char *who[2] = {ini, rec}, *other[2] = {rec, ini};
    for (int i = 0; i < 2 && !c->failed; i++) {
        char *d = random_b64(40), *b = update_body(d);
        cresp r;
        long st = mb_op(c, "PUT", id, who[i], "", b, &r);
        if (st != 200) {
            fail_at(c, &last_q, &r, "Update by the %s: expected 200, got %ld",
                    i ? "Recipient" : "Initiator", st);
        } else {
            cJSON *j = json_body(c, &last_q, &r);
            if (j != NULL &&
                !cJSON_IsBool(cJSON_GetObjectItemCaseSensitive(j, "isPushNotificationSupported")))
                fail_at(c, &last_q, &r, "the Update's answer has no boolean "
                        "isPushNotificationSupported");
            cJSON_Delete(j);
        }
        cresp_free(&r);
        if (!c->failed)
            read_sees(c, "the other party reads the replaced payload", id, other[i], d);
        free(d);
        free(b);
    }
    DONE(c);
}

int check_R24(conf_ctx *c)
{
    char ini[37], id[64], rec[37], third[37], unknown[37];
    if (mb_new(c, "RWD", ini, id) != 0)
        DONE(c);
    new_uuid(rec);
    new_uuid(third);
    new_uuid(unknown);
    const char *upd = "{\"payload\":{\"type\":\"XSALSA20_POLY1305\",\"data\":\"AQ==\"}}";
    expect_op(c, "first read by the Recipient", 200, "POST", id, rec, NULL, NULL);
    expect_op(c, "Update by an unknown claim", 401, "PUT", id, third, upd, NULL);
    expect_op(c, "Update of an unknown mailbox", 404, "PUT", unknown, ini, upd, NULL);
    expect_op(c, "Update with unparsable JSON", 400, "PUT", id, ini, "{\"payload\":", NULL);
    expect_op(c, "Update without payload.data", 400, "PUT", id, ini,
              "{\"payload\":{\"type\":\"XSALSA20_POLY1305\"}}", NULL);
    expect_op(c, "Update with a payload that is not an object", 400, "PUT", id, ini,
              "{\"payload\":5}", NULL);
    DONE(c);
}

int check_R25(conf_ctx *c)
{
    char ini[37], id[64];
    if (mb_new(c, "RWD", ini, id) != 0)
        DONE(c);
    char *last = NULL;
    for (int i = 0; i < 3 && !c->failed; i++) {
        free(last);
        last = update_as(c, "back-to-back Update by the Initiator", id, ini, 200);
    }
    if (last != NULL)
        read_sees(c, "read after three Updates", id, ini, last);
    free(last);
    DONE(c);
}

int check_R26(conf_ctx *c)
{
    char ini[37], id[64], rec[37];
    if (mb_new(c, "RWD", ini, id) != 0)
        DONE(c);
    new_uuid(rec);
    expect_op(c, "first read by the Recipient", 200, "POST", id, rec, NULL, NULL);
    for (int i = 0; i < 10 && !c->failed; i++) {
        const char *w = i % 2 ? rec : ini, *r = i % 2 ? ini : rec;
        char *d = update_as(c, "round-trip Update", id, w, 200);
        if (d != NULL)
            read_sees(c, "round-trip read by the other party", id, r, d);
        free(d);
    }
    DONE(c);
}

static void all_gone(conf_ctx *c, const char *id, const char *claim)
{
    const char *upd = "{\"payload\":{\"type\":\"XSALSA20_POLY1305\",\"data\":\"AQ==\"}}";
    expect_op(c, "read after Delete", 404, "POST", id, claim, NULL, NULL);
    expect_op(c, "Update after Delete", 404, "PUT", id, claim, upd, NULL);
    expect_op(c, "Relinquish after Delete", 404, "PATCH", id, claim, NULL, NULL);
    expect_op(c, "preview after Delete", 404, "GET", id, NULL, NULL, NULL);
    expect_op(c, "second Delete", 404, "DELETE", id, claim, NULL, NULL);
}

int check_R27(conf_ctx *c)
{
    char ini[37], id[64], rec[37];
    if (mb_new(c, "RWD", ini, id) != 0)
        DONE(c);
    cresp r;
    if (expect_op(c, "Delete by the Initiator", 200, "DELETE", id, ini, NULL, &r)) {
        cJSON *j = json_body(c, &last_q, &r);
        cJSON_Delete(j);
    }
    cresp_free(&r);
    if (!c->failed)
        all_gone(c, id, ini);
    if (c->failed || mb_new(c, "RWD", ini, id) != 0)
        DONE(c);
    new_uuid(rec);
    expect_op(c, "first read by the Recipient", 200, "POST", id, rec, NULL, NULL);
    if (!c->failed && expect_op(c, "Delete by the Recipient", 200, "DELETE", id, rec, NULL, NULL))
        all_gone(c, id, rec);
    DONE(c);
}

int check_R28(conf_ctx *c)
{
    char ini[37], id[64], other[37];
    if (mb_new(c, "RWD", ini, id) != 0)
        DONE(c);
    new_uuid(other);
    expect_op(c, "Delete by a claim that is not a party", 401, "DELETE", id, other, NULL, NULL);
    expect_op(c, "Delete without a claim", 401, "DELETE", id, NULL, NULL, NULL);
    expect_op(c, "the mailbox survives: read by the Initiator", 200, "POST", id, ini, NULL, NULL);
    DONE(c);
}

int check_R32(conf_ctx *c)
{
    char ini[37], id[64], r1[37], r2[37];
    if (mb_new(c, "RWD", ini, id) != 0)
        DONE(c);
    new_uuid(r1);
    new_uuid(r2);
    expect_op(c, "first read by Recipient 1", 200, "POST", id, r1, NULL, NULL);
    if (!c->failed)
        expect_op(c, "Relinquish by the Recipient", 200, "PATCH", id, r1, NULL, NULL);
    if (!c->failed)
        expect_op(c, "read by a second claim binds it", 200, "POST", id, r2, NULL, NULL);
    if (!c->failed) {
        expect_op(c, "the old Recipient is refused", 401, "POST", id, r1, NULL, NULL);
        read_sees(c, "the new Recipient reads", id, r2, NULL);
    }
    DONE(c);
}

int check_R33(conf_ctx *c)
{
    char ini[37], id[64], rec[37], other[37], unknown[37];
    if (mb_new(c, "RWD", ini, id) != 0)
        DONE(c);
    new_uuid(rec);
    new_uuid(other);
    new_uuid(unknown);
    expect_op(c, "Relinquish when nobody is bound (by a new claim)", 401, "PATCH", id, other,
              NULL, NULL);
    expect_op(c, "Relinquish when nobody is bound (by the Initiator)", 401, "PATCH", id, ini,
              NULL, NULL);
    expect_op(c, "first read by the Recipient", 200, "POST", id, rec, NULL, NULL);
    expect_op(c, "Relinquish by the Initiator", 401, "PATCH", id, ini, NULL, NULL);
    expect_op(c, "Relinquish by an unbound claim", 401, "PATCH", id, other, NULL, NULL);
    expect_op(c, "Relinquish of an unknown mailbox", 404, "PATCH", unknown, rec, NULL, NULL);
    expect_op(c, "the Recipient is still bound: it reads", 200, "POST", id, rec, NULL, NULL);
    DONE(c);
}

int check_R34(conf_ctx *c)
{
    char ini[37], id[64], rec[37], exp[32];
    new_uuid(ini);
    new_uuid(rec);
    rfc3339_in(3600, exp);
    char *data = random_b64(2048);
    char *b = create_body("X-CONFORMANCE-OPAQUE", data, NULL, NULL, "RWD", exp, NULL);
    cresp r;
    long st = mb_create(c, ini, NULL, b, id, &r);
    if (st != 200)
        fail_at(c, &last_q, &r, "Create with 2048 random bytes and an unknown payload type: "
                "expected 200, got %ld", st);
    cresp_free(&r);
    if (!c->failed) {
        read_sees(c, "the Recipient reads the random bytes back", id, rec, data);
        read_sees(c, "the Initiator reads them back", id, ini, data);
    }
    char *d = c->failed ? NULL : update_as(c, "Update with new random bytes", id, rec, 200);
    if (d != NULL)
        read_sees(c, "the Initiator reads the new bytes", id, ini, d);
    free(d);
    free(b);
    free(data);
    DONE(c);
}
