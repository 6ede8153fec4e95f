/* Integration-test fixture: see fixture.h. The relay process is tests/lib/relay_fixture.c's. */
#include "fixture.h"

#include <stdio.h>
#include <string.h>

long it_scaled_ms(long ms)
{
    return rf_scaled_ms(ms);
}

/* The relay's arguments: its files in r->dir, listening on `listen`, plus r->extra. */
static void relay_args(it_relay *r, const char *listen, char *store, size_t cap,
                       const char **argv)
{
    int argc = 0;
    snprintf(store, cap, "%s/store.db", r->dir);
    argv[argc++] = "--listen";
    argv[argc++] = listen;
    argv[argc++] = "--cert";
    argv[argc++] = r->certs.cert;
    argv[argc++] = "--key";
    argv[argc++] = r->certs.key;
    argv[argc++] = "--store";
    argv[argc++] = store;
    for (int i = 0; r->extra[i] && argc < 36; i++)
        argv[argc++] = r->extra[i];
    argv[argc] = NULL;
}

/* Copies what tests read from the process into the fixture. */
static int sync_proc(it_relay *r, int rc)
{
    r->pid = r->proc.pid;
    if (rc == 0) {
        r->port = (int)r->proc.port;
        snprintf(r->url, sizeof r->url, "%s", r->proc.url);
    }
    return rc;
}

int it_relay_start(it_relay *r, const char *const *extra_args)
{
    memset(r, 0, sizeof *r);
    for (int i = 0; extra_args && extra_args[i] && i < 15; i++)
        r->extra[i] = extra_args[i];
    if (rf_tmpdir(r->dir, sizeof r->dir, "tigress-it.") != 0)
        return -1;
    if (rf_certs_make(&r->certs, r->dir) != 0) {
        fprintf(stderr, "fixture: making certificates failed\n");
        return -1;
    }
    snprintf(r->ca, sizeof r->ca, "%s", r->certs.ca);
    snprintf(r->proc.log_path, sizeof r->proc.log_path, "%s/relay.log", r->dir);
    const char *argv[40];
    char store[320];
    relay_args(r, "127.0.0.1:0", store, sizeof store, argv);
    int rc = rf_relay_start(&r->proc, argv);
    if (rc != 0)
        fprintf(stderr, "fixture: the relay did not start (%d); see %s\n", rc, r->proc.log_path);
    return sync_proc(r, rc == 0 ? 0 : -1);
}

int it_relay_stop(it_relay *r)
{
    if (r->proc.pid <= 0)
        return 0;
    return sync_proc(r, rf_relay_stop(&r->proc));
}

int it_relay_kill(it_relay *r)
{
    return sync_proc(r, rf_relay_kill(&r->proc) == 0 ? 0 : -1);
}

int it_relay_restart(it_relay *r)
{
    const char *argv[40];
    char store[320];
    relay_args(r, "127.0.0.1:0", store, sizeof store, argv);
    return sync_proc(r, rf_relay_restart(&r->proc, argv));
}

void it_relay_cleanup(it_relay *r)
{
    it_relay_stop(r);
    if (r->dir[0] && rf_rmtree(r->dir) != 0)
        fprintf(stderr, "fixture: could not remove %s\n", r->dir);
}

tigress_client *it_client(const it_relay *r, unsigned retries)
{
    tigress_client_options o;
    tigress_client_options_init(&o, TIGRESS_CLIENT_OPTIONS_VERSION);
    o.ca_file = r->ca;
    o.max_retries = retries;
    o.connect_timeout_ms = it_scaled_ms(10000);
    o.request_timeout_ms = it_scaled_ms(30000);
    tigress_client *c = NULL;
    if (tigress_client_new(&c, &o) != TIGRESS_OK)
        return NULL;
    return c;
}

void it_share_options(tigress_share_options *o, const it_relay *r, const char *content)
{
    tigress_share_options_init(o, TIGRESS_SHARE_OPTIONS_VERSION);
    o->relay_url = r->url;
    o->format = "com.example.test";
    o->content_json = content;
    o->title = "Test key";
    o->description = "integration test";
}
