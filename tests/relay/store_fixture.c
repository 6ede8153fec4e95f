/* tests/relay/store_fixture.c: see store_fixture.h. It works on the store directly (no relay
 * process); temp dirs and the free port come from the fixture library (tests/lib). */
#include "store_fixture.h"
#include "relay_fixture.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifdef TIGRESS_HAVE_HIREDIS
#include <hiredis.h>
#endif
#include <sqlite3.h>

int64_t sf_now_base;
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
        if (rf_tmpdir(g_tmpdir, sizeof(g_tmpdir), "tigress-store-") != 0)
            return NULL;
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
    store_rc rc = store_create(s, &mb, request_id, body, &dup);
    store_reply_clear(&dup);
    return rc;
}

static int group_common(sf_backend b)
{
    sf_now_base = (int64_t)time(NULL);
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

/* ---- a private redis-server -------------------------------------------------------- */

#ifdef TIGRESS_HAVE_HIREDIS
static pid_t g_redis_pid;
static int g_redis_port;
static char g_redis_dir[300];

/* Finds an executable on PATH. */
static bool on_path(const char *name)
{
    const char *path = getenv("PATH");
    char buf[1024];
    while (path != NULL && *path != '\0') {
        size_t n = strcspn(path, ":");
        if (n > 0 && n < sizeof(buf) - strlen(name) - 2) {
            snprintf(buf, sizeof(buf), "%.*s/%s", (int)n, path, name);
            if (access(buf, X_OK) == 0)
                return true;
        }
        path += n;
        if (*path == ':')
            path++;
    }
    return false;
}
#endif

bool sf_redis_available(const char **why)
{
#ifndef TIGRESS_HAVE_HIREDIS
    *why = "built without hiredis (install libhiredis-dev: pkg-config hiredis)";
    return false;
#else
    if (!on_path("redis-server")) {
        *why = "redis-server is not installed (apt-get install redis-server)";
        return false;
    }
    *why = NULL;
    return true;
#endif
}

#ifdef TIGRESS_HAVE_HIREDIS
static bool redis_ping(int port)
{
    struct timeval tv = {0, 200000};
    redisContext *c = redisConnectWithTimeout("127.0.0.1", port, tv);
    bool ok = false;
    if (c != NULL && c->err == 0) {
        redisReply *r = redisCommand(c, "PING");
        ok = r != NULL && r->type == REDIS_REPLY_STATUS && strcmp(r->str, "PONG") == 0;
        freeReplyObject(r);
    }
    if (c != NULL)
        redisFree(c);
    return ok;
}

/* Starts redis-server on g_redis_port with its data in g_redis_dir: AOF on, fsync on every
 * write (what an operator must configure for durable acknowledgements). */
static int redis_start(void)
{
    char port[16], logfile[400];
    snprintf(port, sizeof(port), "%d", g_redis_port);
    snprintf(logfile, sizeof(logfile), "%s/redis.log", g_redis_dir);
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL); /* never outlive the test program */
        int devnull = open("/dev/null", O_RDWR);
        if (devnull >= 0) {
            dup2(devnull, 0);
            dup2(devnull, 1);
            dup2(devnull, 2);
        }
        execlp("redis-server", "redis-server", "--port", port, "--bind", "127.0.0.1",
               "--dir", g_redis_dir, "--appendonly", "yes", "--appendfsync", "always",
               "--save", "", "--daemonize", "no", "--protected-mode", "yes", "--logfile",
               logfile, (char *)NULL);
        _exit(127);
    }
    g_redis_pid = pid;
    for (int i = 0; i < 100; i++) {
        if (redis_ping(g_redis_port))
            return 0;
        int status;
        if (waitpid(pid, &status, WNOHANG) == pid) {
            g_redis_pid = 0;
            return -1;
        }
        nanosleep(&(struct timespec){0, 50000000}, NULL);
    }
    return -1;
}

static void redis_stop(int sig)
{
    if (g_redis_pid > 0) {
        kill(g_redis_pid, sig);
        waitpid(g_redis_pid, NULL, 0);
        g_redis_pid = 0;
    }
}

/* Removes the data directory (files and one level of subdirectories, e.g. appendonlydir). */
static void remove_tree(const char *dir, int depth)
{
    DIR *d = opendir(dir);
    if (d != NULL) {
        struct dirent *e;
        char p[700];
        while ((e = readdir(d)) != NULL) {
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                continue;
            snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
            struct stat st;
            if (depth < 2 && lstat(p, &st) == 0 && S_ISDIR(st.st_mode))
                remove_tree(p, depth + 1);
            else
                unlink(p);
        }
        closedir(d);
    }
    rmdir(dir);
}

static void redis_cleanup(void)
{
    redis_stop(SIGTERM);
    if (g_redis_dir[0] != '\0')
        remove_tree(g_redis_dir, 0);
    g_redis_dir[0] = '\0';
}

int sf_redis_restart(bool hard)
{
    redis_stop(hard ? SIGKILL : SIGTERM);
    return redis_start();
}

int sf_group_redis(void **state)
{
    (void)state;
    const char *why;
    if (!sf_redis_available(&why))
        return -1;
    if (g_redis_pid == 0) {
        if (rf_tmpdir(g_redis_dir, sizeof(g_redis_dir), "tigress-redis-") != 0)
            return -1;
        static bool registered;
        if (!registered) {
            atexit(redis_cleanup);
            registered = true;
        }
        g_redis_port = (int)rf_free_port();
        if (g_redis_port <= 0 || redis_start() != 0) {
            fprintf(stderr, "cannot start redis-server on 127.0.0.1:%d\n", g_redis_port);
            redis_cleanup();
            return -1;
        }
    }
    return group_common(SF_REDIS);
}

/* Empties the private server between tests. */
static int redis_flush(void)
{
    struct timeval tv = {2, 0};
    redisContext *c = redisConnectWithTimeout("127.0.0.1", g_redis_port, tv);
    int rc = -1;
    if (c != NULL && c->err == 0) {
        redisReply *r = redisCommand(c, "FLUSHALL");
        rc = r != NULL && r->type == REDIS_REPLY_STATUS ? 0 : -1;
        freeReplyObject(r);
    }
    if (c != NULL)
        redisFree(c);
    return rc;
}
#else
int sf_redis_restart(bool hard)
{
    (void)hard;
    return -1;
}

int sf_group_redis(void **state)
{
    (void)state;
    return -1;
}
#endif

int sf_group_teardown(void **state)
{
    (void)state;
#ifdef TIGRESS_HAVE_HIREDIS
    if (g_backend == SF_REDIS)
        redis_cleanup();
#endif
    return 0;
}

static void remove_store_files(const char *path)
{
    static const char *const suffix[] = {"", "-wal", "-shm", "-journal", ".key"};
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

/* The tables of user_versions 1 and 2: the same TEXT columns, holding claims and Request-IDs in
 * the clear (1) or as keyed hashes (2). */
static const char old_schema[] =
    "CREATE TABLE mailboxes (id TEXT PRIMARY KEY, initiator_claim TEXT NOT NULL,"
    " recipient_claim TEXT, rights TEXT NOT NULL, expires_at INTEGER NOT NULL,"
    " version INTEGER NOT NULL, payload TEXT NOT NULL, display TEXT, initiator_token TEXT,"
    " recipient_token TEXT);"
    "CREATE INDEX mailboxes_expires_at ON mailboxes(expires_at);"
    "CREATE TABLE requests (claim TEXT PRIMARY KEY, request_id TEXT NOT NULL,"
    " mailbox_id TEXT NOT NULL REFERENCES mailboxes(id) ON DELETE CASCADE,"
    " response_body TEXT);"
    "CREATE INDEX requests_mailbox_id ON requests(mailbox_id);";

sqlite3 *sf_old_schema_db(sf_fixture *f, int user_version)
{
    store_close(f->s);
    f->s = NULL;
    remove_store_files(f->location);
    sqlite3 *db = NULL;
    char version[64];
    snprintf(version, sizeof(version), "PRAGMA user_version=%d;", user_version);
    /* WAL, as the relay of that schema ran its stores. */
    if (sqlite3_open(f->location, &db) != SQLITE_OK ||
        sqlite3_exec(db, "PRAGMA journal_mode=WAL", NULL, NULL, NULL) != SQLITE_OK ||
        sqlite3_exec(db, old_schema, NULL, NULL, NULL) != SQLITE_OK ||
        sqlite3_exec(db, version, NULL, NULL, NULL) != SQLITE_OK) {
        fprintf(stderr, "old-schema store %s: %s\n", f->location, sqlite3_errmsg(db));
        sqlite3_close(db);
        return NULL;
    }
    return db;
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
#ifdef TIGRESS_HAVE_HIREDIS
        snprintf(f->location, sizeof(f->location), "redis://127.0.0.1:%d/0", g_redis_port);
        if (redis_flush() == 0)
            break;
#endif
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
