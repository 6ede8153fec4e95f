/**
 * @file tigress/errors.h
 * @brief Error detail: code, message, HTTP status and transport code of the last failure.
 * @defgroup tigress_errors Error detail
 * @{
 */
#ifndef TIGRESS_ERRORS_H
#define TIGRESS_ERRORS_H

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * @brief Detail about the most recent failure.
 *
 * Owned by the library. A pointer obtained from tigress_client_last_error() stays valid until
 * the next call on that client (or on a transfer of that client); one from tigress_error_last()
 * until the next libtigress call on the same thread. The message never contains the Secret,
 * a decrypted payload, or a Device Claim.
 */
typedef struct tigress_error {
    tigress_status code;   /**< TIGRESS_OK when nothing failed. */
    const char *message;   /**< Says what was wrong; never NULL ("" when code is TIGRESS_OK). */
    int http_status;       /**< The relay's HTTP status, or 0 when no response was received. */
    int transport_code;    /**< The transport's own code (a CURLcode for the default), or 0. */
} tigress_error;

/**
 * @brief Detail about the last failure of a call that has no handle (or whose handle could not
 *        be created), on the calling thread.
 * @return a thread-local record; never NULL. Valid until the next libtigress call on this thread.
 * @note Thread-safe: each thread has its own record. Owned by the library; do not free.
 * @since 1.0
 */
TIGRESS_API const tigress_error *tigress_error_last(void);

#ifdef __cplusplus
}
#endif
/** @} */
#endif /* TIGRESS_ERRORS_H */
