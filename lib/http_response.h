/*
 * The response object behind tigress_http_response (http_response.c). Transports fill it
 * through the public setters; the retry engine (http.c) reads it through these. Never
 * installed.
 */
#ifndef TIGRESS_HTTP_RESPONSE_H
#define TIGRESS_HTTP_RESPONSE_H

#include "internal.h"

/* Responses above 1 MiB are refused. */
#define TIGRESS__HTTP_BODY_MAX (1024u * 1024u)
/* So are response headers above 64 KiB in all (names and values) or above 1024 fields. */
#define TIGRESS__HTTP_HEADERS_MAX (64u * 1024u)

tigress_http_response *tigress__http_response_new(void);
void tigress__http_response_free(tigress_http_response *resp);
/* Forget the status and headers received so far (an interim 1xx response). */
void tigress__http_response_reset_headers(tigress_http_response *resp);
/* Lets a built-in transport report its own code (a CURLcode) and a short message (copied,
 * printable ASCII kept) alongside its tigress_status return. The one thing a built-in
 * transport may say beyond the public contract: it ends up in tigress_error.transport_code. */
void tigress__http_response_set_transport_error(tigress_http_response *resp, int code,
                                                const char *message);
/* What set_transport_error recorded ("" and 0 when nothing). */
const char *tigress__http_response_transport_error(const tigress_http_response *resp, int *code);
int tigress__http_response_status(const tigress_http_response *resp);
/* True when a transport tried to append past TIGRESS__HTTP_BODY_MAX. */
bool tigress__http_response_too_large(const tigress_http_response *resp);
/* True when the response's headers went past TIGRESS__HTTP_HEADERS_MAX (or 1024 fields):
 * recorded by add_header, or by a transport whose HTTP library refused a header itself. */
bool tigress__http_response_headers_too_large(const tigress_http_response *resp);
void tigress__http_response_set_headers_too_large(tigress_http_response *resp);
/* Case-insensitive lookup of the first header with this name, or NULL. */
const char *tigress__http_response_header(const tigress_http_response *resp, const char *name);
/* The body received so far (NULL when none) and its length. Lets a wrapping transport (the
 * fault-injection tests) read what the transport it wraps delivered. */
const uint8_t *tigress__http_response_body(const tigress_http_response *resp, size_t *len);

/* Copy at most max_chars of src into dst (cap bytes, NUL-terminated), printable ASCII only:
 * nothing a peer sends can forge lines in our messages. */
void tigress__copy_printable(char *dst, size_t cap, const char *src, size_t max_chars);

#endif /* TIGRESS_HTTP_RESPONSE_H */
