/**
 * @file tigress/sys/transport.h
 * @brief The HTTP transport vtable: plug in URLSession, OkHttp or a test double.
 * @defgroup tigress_transport HTTP transport
 *
 * The default transport is libcurl. A custom transport sends one HTTP request and reports the
 * response through the tigress_http_response_* setters. Retries, Request-ID handling and status
 * mapping stay in the library; a transport only moves bytes.
 * @{
 */
#ifndef TIGRESS_SYS_TRANSPORT_H
#define TIGRESS_SYS_TRANSPORT_H

#include "../common.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Current version of tigress_transport. */
#define TIGRESS_TRANSPORT_VERSION 1
/** Current version of tigress_http_request (the library fills it in). */
#define TIGRESS_HTTP_REQUEST_VERSION 1

#ifndef TIGRESS_TRANSPORT_TYPEDEF_
#define TIGRESS_TRANSPORT_TYPEDEF_
typedef struct tigress_transport tigress_transport;
#endif

/** One request header. Both strings are borrowed for the duration of the send call. */
typedef struct tigress_http_header {
    const char *name;   /**< e.g. "Mailbox-Request-ID" */
    const char *value;  /**< the value, without CR or LF */
} tigress_http_header;

/**
 * @brief A request handed to tigress_transport.send. Everything is borrowed for the call.
 *
 * The URL never contains a fragment; the body never contains the Secret.
 */
typedef struct tigress_http_request {
    unsigned int version;               /**< TIGRESS_HTTP_REQUEST_VERSION */
    const char *method;                 /**< "POST", "PUT", "DELETE", "PATCH", "GET", "HEAD" */
    const char *url;                    /**< absolute https URL (http only to loopback) */
    const tigress_http_header *headers; /**< header_count entries */
    size_t header_count;
    const uint8_t *body;                /**< NULL when there is no body */
    size_t body_len;
    long timeout_ms;                    /**< whole-request deadline; 0 = transport default */
    long connect_timeout_ms;            /**< connection deadline; 0 = transport default */
    const char *ca_file;                /**< PEM CA bundle to trust, or NULL for the system's */
} tigress_http_request;

/** @brief A response being filled in by a transport (opaque; owned by the library). */
typedef struct tigress_http_response tigress_http_response;

/**
 * @name Filling in a response
 * @note Call them only from the transport's send(), on that thread, with the response send()
 *       was given; the response is owned by the library. NULL @p resp: TIGRESS_E_INVALID.
 *       What they are given is copied.
 * @{
 */

/**
 * @brief Set the HTTP status code (100..599).
 * @return TIGRESS_OK or TIGRESS_E_INVALID.
 * @since 1.0
 */
TIGRESS_API tigress_status tigress_http_response_set_status(tigress_http_response *resp, int status);

/**
 * @brief Record one response header (copied). Names compare case-insensitively.
 * @return TIGRESS_OK, TIGRESS_E_INVALID (NULL @p resp, @p name or @p value) or TIGRESS_E_NOMEM.
 * @since 1.0
 */
TIGRESS_API tigress_status tigress_http_response_add_header(tigress_http_response *resp,
                                                            const char *name, const char *value);

/**
 * @brief Append body bytes (copied). Bodies over the library's limit (1 MiB) fail.
 * @return TIGRESS_OK, TIGRESS_E_INVALID, TIGRESS_E_TOO_LARGE or TIGRESS_E_NOMEM.
 * @note NULL @p data with @p len 0 is not an error; with a nonzero @p len it is
 *       TIGRESS_E_INVALID.
 * @since 1.0
 */
TIGRESS_API tigress_status tigress_http_response_append_body(tigress_http_response *resp,
                                                             const uint8_t *data, size_t len);

/** @} */

/**
 * @brief The transport vtable. Copied when given to tigress_client_new().
 *
 * send() returns 0 when a complete HTTP response (any status) was received, otherwise
 * TIGRESS_E_NETWORK, TIGRESS_E_TLS, TIGRESS_E_TIMEOUT, TIGRESS_E_CANCELLED, or an application
 * code <= TIGRESS_E_USER_MIN (returned unchanged to the caller). send() is called on the thread
 * of the blocking API call; cancel() may be called from any thread while send() runs and must
 * make it return TIGRESS_E_CANCELLED promptly.
 */
struct tigress_transport {
    unsigned int version;  /**< TIGRESS_TRANSPORT_VERSION */
    /** Required. */
    int (*send)(const tigress_http_request *req, tigress_http_response *resp, void *user_data);
    /** Optional (NULL: cancellation only takes effect between requests). */
    void (*cancel)(void *user_data);
    /** Optional: called once when the client is freed. */
    void (*free)(void *user_data);
    void *user_data;       /**< Passed to every slot; owned by the application. */
};

#ifdef __cplusplus
}
#endif
/** @} */
#endif /* TIGRESS_SYS_TRANSPORT_H */
