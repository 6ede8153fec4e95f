/* tests/relay/store_fixture.c: see store_fixture.h. */
#include "store_fixture.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static sf_backend g_backend = SF_SQLITE_MEMORY;
static unsigned g_seq;
static char g_tmpdir[256];

/* Removes the per-run directory and everything in it (flat: store files only). */
static void remove_tmpdir(void)
{
    if (g_tmpdir[0] == '\0')
        return;
    DIR *d = opendir(g_tmpdir);
    if (d != NULL) {
        struct dirent *e;
        char p[600];
        while ((e = readdir(d)) != NULL) {
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                continue;
            snprintf(p, sizeof(p), "%s/%s", g_tmpdir, e->d_name);
            unlink(p);
        }
        closedir(d);
    }
    rmdir(g_tmpdir);
    g_tmpdir[0] = '\0';
}

const char *sf_tmpdir(void)
{
    if (g_tmpdir[0] == '\0') {
        const char *base = getenv("TMPDIR");
        snprintf(g_tmpdir, sizeof(g_tmpdir), "%s/tigress-store-XXXXXX",
                 base != NULL && base[0] != '\0' ? base : "/tmp");
        if (mkdtemp(g_tmpdir) == NULL) {
            g_tmpdir[0] = '\0';
            return NULL;
        }
        atexit(remove_tmpdir);
    }
    return g_tmpdir;
}

double sf_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void sf_uuid(char out[STORE_UUID_LEN + 1], uint32_t tag, uint32_t n)
{
    snprintf(out, STORE_UUID_LEN + 1, "%08x-%04x-4%03x-8%03x-%012x", tag, (n >> 16) & 0xffffu,
             n & 0xfffu, (n >> 12) & 0xfffu, n);
}

store_rc sf_create(store *s, const char *id, const char *claim, const char *rights,
                   int64_t expires_at, const char *request_id)
{
    char body[128];
    snprintf(body, sizeof(body), "{\"urlLink\":\"https://relay.test/v1/m/%s\"}", id);
    store_new_mailbox mb = {
        .id = id,
        .initiator_claim = claim,
        .payload_json = "{\"type\":\"XSALSA20_POLY1305\",\"data\":\"AAAA\"}",
        .display_json = "{\"title\":\"Key\",\"description\":\"A key\",\"imageURL\":\"https://i\"}",
        .initiator_token_json = NULL,
        .rights = rights,
        .expires_at = expires_at,
    };
    store_reply dup = {0};
    store_rc rc = s->ops->create(s, &mb, request_id, body, &dup);
    store_reply_clear(&dup);
    return rc;
}

static int group_common(sf_backend b)
{
    g_backend = b;
    return 0;
}

int sf_group_sqlite_memory(void **state)
{
    (void)state;
    return group_common(SF_SQLITE_MEMORY);
}

int sf_group_sqlite_file(void **state)
{
    (void)state;
    return sf_tmpdir() != NULL ? group_common(SF_SQLITE_FILE) : -1;
}

bool sf_redis_available(const char **why)
{
    *why = "the Redis backend is not built yet";
    return false;
}

int sf_group_redis(void **state)
{
    (void)state;
    return -1;
}

int sf_group_teardown(void **state)
{
    (void)state;
    return 0;
}

static void remove_store_files(const char *path)
{
    static const char *const suffix[] = {"", "-wal", "-shm", "-journal"};
    char p[600];
    for (size_t i = 0; i < sizeof(suffix) / sizeof(suffix[0]); i++) {
        snprintf(p, sizeof(p), "%s%s", path, suffix[i]);
        unlink(p);
    }
}

store *sf_reopen(sf_fixture *f)
{
    char err[256] = "";
    store_config cfg = {.location = f->location, .busy_timeout_ms = 5000};
    store *s = store_open(&cfg, err, sizeof(err));
    if (s == NULL)
        fprintf(stderr, "store_open(%s) failed: %s\n", f->location, err);
    return s;
}

int sf_setup(void **state)
{
    sf_fixture *f = calloc(1, sizeof(*f));
    if (f == NULL)
        return -1;
    f->backend = g_backend;
    switch (g_backend) {
    case SF_SQLITE_MEMORY:
        snprintf(f->location, sizeof(f->location), ":memory:");
        break;
    case SF_SQLITE_FILE:
        snprintf(f->location, sizeof(f->location), "%s/t%u.db", sf_tmpdir(), ++g_seq);
        remove_store_files(f->location);
        break;
    case SF_REDIS:
        free(f);
        return -1;
    }
    f->s = sf_reopen(f);
    if (f->s == NULL) {
        free(f);
        return -1;
    }
    *state = f;
    return 0;
}

int sf_teardown(void **state)
{
    sf_fixture *f = *state;
    if (f == NULL)
        return 0;
    store_close(f->s);
    if (f->backend == SF_SQLITE_FILE)
        remove_store_files(f->location);
    free(f);
    *state = NULL;
    return 0;
}
