/* The response object behind tigress_http_response: what a transport fills through the public
 * setters (include/tigress/sys/transport.h) and what the retry engine (http.c) reads back.
 * Below http.c and below any transport. */
#define _DEFAULT_SOURCE /* strcasecmp */
#include <string.h>
#include <strings.h>

#include "http_response.h"

#define BODY_MAX TIGRESS__HTTP_BODY_MAX

typedef struct resp_header {
    char *name;
    char *value;
} resp_header;

struct tigress_http_response {
    int status;
    resp_header *headers;
    size_t header_count;
    size_t header_cap;
    uint8_t *body;
    size_t body_len;
    size_t body_cap;
    bool too_large;        /* a transport tried to append past BODY_MAX */
    int transport_code;
    char transport_msg[128];
};

tigress_http_response *tigress__http_response_new(void)
{
    return tigress__calloc(1, sizeof(tigress_http_response));
}

void tigress__http_response_reset_headers(tigress_http_response *r)
{
    for (size_t i = 0; i < r->header_count; i++) {
        tigress__free(r->headers[i].name);
        tigress__free(r->headers[i].value);
    }
    r->header_count = 0;
    r->status = 0;
}

void tigress__http_response_free(tigress_http_response *r)
{
    if (r == NULL)
        return;
    tigress__http_response_reset_headers(r);
    tigress__free(r->headers);
    tigress__free(r->body);
    tigress__free(r);
}

/* Copies printable ASCII only, so nothing a peer sends can forge lines in our messages. */
void tigress__copy_printable(char *dst, size_t cap, const char *src, size_t max_chars)
{
    size_t n = 0;

    for (; src != NULL && *src != '\0' && n + 1 < cap && n < max_chars; src++)
        dst[n++] = (*src >= 0x20 && *src <= 0x7e) ? *src : '?';
    dst[n] = '\0';
}

void tigress__http_response_set_transport_error(tigress_http_response *r, int code,
                                                const char *message)
{
    if (r == NULL)
        return;
    r->transport_code = code;
    tigress__copy_printable(r->transport_msg, sizeof(r->transport_msg), message, sizeof(r->transport_msg));
}

int tigress__http_response_status(const tigress_http_response *r)
{
    return r->status;
}

const uint8_t *tigress__http_response_body(const tigress_http_response *r, size_t *len)
{
    *len = r->body_len;
    return r->body;
}

const char *tigress__http_response_header(const tigress_http_response *r, const char *name)
{
    for (size_t i = 0; i < r->header_count; i++)
        if (r->headers[i].name != NULL && strcasecmp(r->headers[i].name, name) == 0)
            return r->headers[i].value;
    return NULL;
}

tigress_status tigress_http_response_set_status(tigress_http_response *r, int status)
{
    if (r == NULL || status < 100 || status > 599)
        return TIGRESS_E_INVALID;
    r->status = status;
    return TIGRESS_OK;
}

/* Trimmed copy of [s, s+len). */
static char *dup_trimmed(const char *s, size_t len)
{
    while (len > 0 && (*s == ' ' || *s == '\t')) {
        s++;
        len--;
    }
    while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t' || s[len - 1] == '\r' ||
                       s[len - 1] == '\n'))
        len--;
    return tigress__strndup(s, len);
}

/*
 * Headers past the limit (TIGRESS__HTTP_HEADERS_MAX bytes of names and values, or 1024 fields)
 * are refused, and the refusal is remembered as one entry with a NULL name and value at the end
 * of the list: the struct's layout stays as it is (its size is part of the ABI baseline, opaque
 * as it is), lookups skip the entry and reset/free release it like any other.
 */
bool tigress__http_response_headers_too_large(const tigress_http_response *r)
{
    return r->header_count > 0 && r->headers[r->header_count - 1].name == NULL;
}

static tigress_status grow_headers(tigress_http_response *r)
{
    size_t cap = r->header_cap == 0 ? 16 : r->header_cap * 2;
    resp_header *nh = tigress__realloc(r->headers, cap * sizeof(*nh));

    if (nh == NULL)
        return TIGRESS_E_NOMEM;
    r->headers = nh;
    r->header_cap = cap;
    return TIGRESS_OK;
}

void tigress__http_response_set_headers_too_large(tigress_http_response *r)
{
    if (r == NULL || tigress__http_response_headers_too_large(r))
        return;
    if (r->header_count == r->header_cap && grow_headers(r) != TIGRESS_OK)
        return; /* out of memory: the transport's own error stands */
    r->headers[r->header_count].name = NULL;
    r->headers[r->header_count].value = NULL;
    r->header_count++;
}

tigress_status tigress_http_response_add_header(tigress_http_response *r, const char *name,
                                                const char *value)
{
    resp_header h;
    size_t bytes = 0;

    if (r == NULL || name == NULL || value == NULL || name[0] == '\0')
        return TIGRESS_E_INVALID;
    if (tigress__http_response_headers_too_large(r))
        return TIGRESS_E_TOO_LARGE;
    /* No relay sends a thousand headers or 64 KiB of them. */
    for (size_t i = 0; i < r->header_count; i++)
        bytes += strlen(r->headers[i].name) + strlen(r->headers[i].value);
    if (r->header_count >= 1024 ||
        strlen(name) + strlen(value) > TIGRESS__HTTP_HEADERS_MAX - bytes) {
        tigress__http_response_set_headers_too_large(r);
        return TIGRESS_E_TOO_LARGE;
    }
    if (r->header_count == r->header_cap && grow_headers(r) != TIGRESS_OK)
        return TIGRESS_E_NOMEM;
    h.name = dup_trimmed(name, strlen(name));
    h.value = dup_trimmed(value, strlen(value));
    if (h.name == NULL || h.value == NULL) {
        tigress__free(h.name);
        tigress__free(h.value);
        return TIGRESS_E_NOMEM;
    }
    r->headers[r->header_count++] = h;
    return TIGRESS_OK;
}

tigress_status tigress_http_response_append_body(tigress_http_response *r, const uint8_t *data,
                                                 size_t len)
{
    if (r == NULL || (data == NULL && len != 0))
        return TIGRESS_E_INVALID;
    if (len > BODY_MAX - r->body_len) {
        r->too_large = true;
        return TIGRESS_E_TOO_LARGE;
    }
    if (r->body_len + len + 1 > r->body_cap) {
        size_t cap = r->body_cap == 0 ? 1024 : r->body_cap;
        uint8_t *nb;
        while (cap < r->body_len + len + 1)
            cap *= 2;
        if (cap > BODY_MAX + 1)
            cap = BODY_MAX + 1;
        nb = tigress__realloc(r->body, cap);
        if (nb == NULL)
            return TIGRESS_E_NOMEM;
        r->body = nb;
        r->body_cap = cap;
    }
    if (len > 0)
        memcpy(r->body + r->body_len, data, len);
    r->body_len += len;
    r->body[r->body_len] = '\0';
    return TIGRESS_OK;
}

bool tigress__http_response_too_large(const tigress_http_response *r)
{
    return r->too_large;
}


const char *tigress__http_response_transport_error(const tigress_http_response *r, int *code)
{
    *code = r->transport_code;
    return r->transport_msg;
}
