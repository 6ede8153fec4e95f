/*
 * custom_transport.c: plug your own HTTP stack into libtigress through the transport vtable.
 *
 * An app on iOS would wrap URLSession, on Android OkHttp; here libcurl is driven by hand, and
 * every request is logged (method, URL, status: the URL never holds the Secret, and bodies are
 * never logged). Then a stateless transfer runs through it.
 *
 * Build: cc custom_transport.c $(pkg-config --cflags --libs libtigress libcurl)
 * Run:   ./custom_transport https://relay.example [CA_FILE]
 */
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <curl/curl.h>
#include <tigress.h>

typedef struct my_http { atomic_int cancelled; unsigned requests; } my_http;

/* "Name: value\r\n" -> tigress_http_response_add_header(). The status line has no colon. */
static size_t on_header(char *line, size_t size, size_t n, void *resp)
{
    char buf[1024], *colon, *value, *end;
    size_t len = size * n;
    if (len >= sizeof buf || (colon = memchr(line, ':', len)) == NULL)
        return len;
    memcpy(buf, line, len);
    buf[len] = buf[colon - line] = '\0';
    for (value = buf + (colon - line) + 1; *value == ' '; value++) {}
    for (end = buf + len; end > value && (end[-1] == '\r' || end[-1] == '\n'); ) *--end = '\0';
    return tigress_http_response_add_header(resp, buf, value) == TIGRESS_OK ? len : 0;
}

static size_t on_body(char *data, size_t size, size_t n, void *resp)
{
    return tigress_http_response_append_body(resp, (const uint8_t *)data, size * n) == TIGRESS_OK
               ? size * n : 0;
}

static int on_progress(void *user, curl_off_t a, curl_off_t b, curl_off_t c, curl_off_t d)
{
    (void)a, (void)b, (void)c, (void)d;
    return atomic_load(&((my_http *)user)->cancelled); /* nonzero aborts the transfer */
}

/* send(): one request, any HTTP status is a success; only transport failures are errors. */
static int my_send(const tigress_http_request *req, tigress_http_response *resp, void *user)
{
    my_http *http = user;
    CURL *curl = curl_easy_init();
    struct curl_slist *headers = curl_slist_append(NULL, "Expect:");
    char line[1024];
    for (size_t i = 0; i < req->header_count; i++) {
        snprintf(line, sizeof line, "%s: %s", req->headers[i].name, req->headers[i].value);
        headers = curl_slist_append(headers, line);
    }
    curl_easy_setopt(curl, CURLOPT_URL, req->url);
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, req->method);
    if (req->body || strcmp(req->method, "GET") != 0) { /* the library never sends HEAD */
        curl_easy_setopt(curl, CURLOPT_POSTFIELDS, req->body ? (const char *)req->body : "");
        curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, (long)req->body_len);
    }
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(curl, CURLOPT_HEADERDATA, resp);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, resp);
    curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, on_progress);
    curl_easy_setopt(curl, CURLOPT_XFERINFODATA, http);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, req->timeout_ms);
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, req->connect_timeout_ms);
    if (req->ca_file)
        curl_easy_setopt(curl, CURLOPT_CAINFO, req->ca_file);
    CURLcode cc = curl_easy_perform(curl);
    long status = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(headers);
    curl_easy_cleanup(curl);
    http->requests++;
    fprintf(stderr, "[my_http] %s %s -> %ld%s%s\n", req->method, req->url, status,
            cc ? " " : "", cc ? curl_easy_strerror(cc) : "");
    switch (cc) {
    case CURLE_OK: return tigress_http_response_set_status(resp, (int)status);
    case CURLE_ABORTED_BY_CALLBACK: return TIGRESS_E_CANCELLED;
    case CURLE_OPERATION_TIMEDOUT: return TIGRESS_E_TIMEOUT;
    case CURLE_PEER_FAILED_VERIFICATION: case CURLE_SSL_CONNECT_ERROR: return TIGRESS_E_TLS;
    default: return TIGRESS_E_NETWORK;
    }
}

/* cancel(): may run on any thread while send() runs. */
static void my_cancel(void *user) { atomic_store(&((my_http *)user)->cancelled, 1); }

int main(int argc, char **argv)
{
    if (argc < 2) { fprintf(stderr, "usage: %s RELAY_URL [CA_FILE]\n", argv[0]); return 2; }
    if (tigress_global_init() != TIGRESS_OK) return 1; /* also initialises libcurl */
    my_http http = {0, 0};
    tigress_transport transport = {TIGRESS_TRANSPORT_VERSION, my_send, my_cancel, NULL, &http};
    tigress_client_options copts = TIGRESS_CLIENT_OPTIONS_INIT;
    copts.transport = &transport; /* copied: one vtable can serve many clients */
    copts.ca_file = argc > 2 ? argv[2] : NULL;
    tigress_client *alice = NULL, *bob = NULL;
    tigress_transfer *sent = NULL, *got = NULL;
    tigress_share_options share = TIGRESS_SHARE_OPTIONS_INIT;
    share.relay_url = argv[1];
    share.format = "com.example.badge";
    share.content_json = "{\"badge\":\"42\"}";
    share.title = "Office badge";
    tigress_redeem_options redeem = TIGRESS_REDEEM_OPTIONS_INIT;
    tigress_client *who = NULL; /* whose last error to show */
    tigress_status st = tigress_client_new(&alice, &copts);
    if (st == TIGRESS_OK) st = tigress_client_new(&bob, &copts);
    if (st == TIGRESS_OK) st = tigress_share_create(&sent, who = alice, &share);
    if (st == TIGRESS_OK) {
        redeem.share_url = tigress_transfer_share_url(sent);
        st = tigress_redeem(&got, who = bob, &redeem);
    }
    if (st == TIGRESS_OK) st = tigress_transfer_complete(got);
    if (st == TIGRESS_OK) st = tigress_transfer_wait(sent, NULL), who = alice;
    if (st == TIGRESS_OK)
        printf("done through %u custom requests: %s\n", http.requests,
               tigress_state_name(tigress_transfer_state(sent)));
    else
        fprintf(stderr, "failed: %s (%s)\n", tigress_client_last_error(who)->message,
                tigress_status_name(st));
    tigress_transfer_free(got);
    tigress_transfer_free(sent);
    tigress_client_free(bob);
    tigress_client_free(alice);
    tigress_global_cleanup();
    return st == TIGRESS_OK ? 0 : 1;
}
