/**
 * @file tigress/client.h
 * @brief The client handle: relay connection settings, error detail, cancellation.
 * @defgroup tigress_client Client
 * @{
 */
#ifndef TIGRESS_CLIENT_H
#define TIGRESS_CLIENT_H

#include "common.h"
#include "errors.h"

/* The transport vtable is defined in sys/transport.h (included by tigress.h); this header
 * needs only its name. The guard lets both headers declare the typedef (C99 forbids a repeated
 * typedef). */
#ifndef TIGRESS_TRANSPORT_TYPEDEF_
#define TIGRESS_TRANSPORT_TYPEDEF_
typedef struct tigress_transport tigress_transport;
#endif
#ifndef TIGRESS_AEAD_PROVIDER_TYPEDEF_
#define TIGRESS_AEAD_PROVIDER_TYPEDEF_
typedef struct tigress_aead_provider tigress_aead_provider;
#endif

#ifdef __cplusplus
extern "C" {
#endif

/** @brief A client: settings for talking to relays, plus the last error (opaque). */
typedef struct tigress_client tigress_client;

/** Current version of tigress_client_options. */
#define TIGRESS_CLIENT_OPTIONS_VERSION 2

/**
 * @brief Options for tigress_client_new(). Zero or NULL fields mean the default.
 *
 * The struct and every string and array in it are copied by tigress_client_new().
 */
typedef struct tigress_client_options {
    unsigned int version;               /**< TIGRESS_CLIENT_OPTIONS_VERSION */
    const tigress_transport *transport; /**< NULL: the built-in libcurl transport. The portable
                                             build has none: there a client needs one
                                             (else tigress_client_new() fails with
                                             TIGRESS_E_UNSUPPORTED). */
    const char *ca_file;                /**< PEM CA bundle for private relays; NULL: system. */
    long connect_timeout_ms;            /**< Default 10000. */
    long request_timeout_ms;            /**< Per request; default 30000. */
    unsigned int max_retries;           /**< Retries of a request after a network error, 5xx
                                             or 429, with back-off and jitter; default 3.
                                             Use TIGRESS_RETRIES_NONE for none. */
    int allow_insecure_loopback;        /**< Nonzero: allow http:// to 127.0.0.1, ::1 and
                                             localhost. Never any other host. Default 0. */
    const char *const *relay_allow_list; /**< Host names the client may contact; NULL: any.
                                             Checked before any request, so that
                                             nothing is sent to a relay off the list. */
    size_t relay_allow_list_count;      /**< Entries in relay_allow_list. */
    const char *user_agent;             /**< NULL: "libtigress/<version>". */
    /* ---- version 2 (1.1) ---- */
    /** AES-GCM for this client's transfers (tigress/sys/aead.h; the vtable is copied, its
        user_data must outlive the client). NULL: the process default
        (tigress_aead_provider_set_default()), else the built-in one. Read only when
        version >= 2. @since 1.1 */
    const tigress_aead_provider *aead_provider;
} tigress_client_options;

/** Value of tigress_client_options.max_retries that disables retries. */
#define TIGRESS_RETRIES_NONE 0xFFFFFFFFu

/** Static initialiser for tigress_client_options. */
#define TIGRESS_CLIENT_OPTIONS_INIT { TIGRESS_CLIENT_OPTIONS_VERSION, NULL, NULL, 0, 0, 0, 0, NULL, 0, NULL, NULL }

/**
 * @brief Initialise @p opts to defaults; the same bytes as TIGRESS_CLIENT_OPTIONS_INIT.
 * @param[out] opts the struct to fill.
 * @param[in] version TIGRESS_CLIENT_OPTIONS_VERSION.
 * @return TIGRESS_OK, TIGRESS_E_INVALID (NULL @p opts) or TIGRESS_E_VERSION.
 * @note Thread-safe (writes only @p opts); needs no tigress_global_init().
 * @since 1.0
 */
TIGRESS_API tigress_status tigress_client_options_init(tigress_client_options *opts,
                                                       unsigned int version);

/**
 * @brief Create a client.
 * @param[out] out the client; free with tigress_client_free(). NULL on failure.
 * @param[in] opts options (copied), or NULL for all defaults.
 * @return TIGRESS_OK, TIGRESS_E_INVALID (NULL @p out), TIGRESS_E_VERSION, TIGRESS_E_STATE
 *         (library not initialised) or TIGRESS_E_NOMEM; detail in tigress_error_last().
 * @note Thread-safe (each call makes a new client); needs tigress_global_init(). NULL @p opts
 *       is not an error: all defaults. The caller owns *out (tigress_client_free()).
 * @since 1.0
 */
TIGRESS_API tigress_status tigress_client_new(tigress_client **out,
                                              const tigress_client_options *opts);

/**
 * @brief Free a client. Its transfers must have been freed first. NULL is a no-op.
 * @note Not thread-safe: no call on @p client or its transfers (not even
 *       tigress_client_cancel()) may run or start during or after it; free its transfers first.
 *       NULL is a no-op. Calls the transport's free slot once.
 * @since 1.0
 */
TIGRESS_API void tigress_client_free(tigress_client *client);

/**
 * @brief Detail about the last failed call on this client or on one of its transfers.
 * @return owned by the client, valid until the next call on it; never NULL (for a NULL client
 *         it is tigress_error_last()).
 * @note Read it from the thread that uses @p client: the next call on the client changes it.
 *       Do not free it.
 * @since 1.0
 */
TIGRESS_API const tigress_error *tigress_client_last_error(const tigress_client *client);

/**
 * @name Cancelling and waking from another thread
 * @note Thread-safe: may be called from any thread, concurrently with a call on @p client and
 *       with each other, but not after tigress_client_free(). Not async-signal-safe. NULL
 *       @p client: TIGRESS_E_INVALID.
 * @{
 */

/**
 * @brief Cancel the blocking call running on this client, or the next one to start.
 *
 * A cancel is never lost. It is pending until a blocking call on this client notices it; that
 * call returns TIGRESS_E_CANCELLED promptly and spends it (one cancel cancels one call):
 * - Requested while no call runs (for instance just before another thread starts the call):
 *   the next blocking call that starts on this client returns TIGRESS_E_CANCELLED before
 *   sending any request, and the cancel is then spent.
 * - Requested while a call runs: that call is cancelled at its next check (before each
 *   request, during the transport's send when it supports cancel, in every sleep) and spends
 *   it. A cancel that arrives after the call's last check (the call completes anyway) stays
 *   pending for the next call; tigress_client_cancel_clear() drops it.
 * - Several cancels before a call notices them count as one.
 *
 * Blocking calls are those that may talk to the relay: tigress_share_create(),
 * tigress_redeem(), tigress_transfer_update(), tigress_transfer_poll(),
 * tigress_transfer_wait(), tigress_transfer_approve(), tigress_transfer_complete(),
 * tigress_transfer_revoke(), tigress_transfer_relinquish(). Calls that fail their argument
 * or state checks before their first request may return that error instead and leave the
 * cancel pending. Calls that never talk to the relay (export, import, accessors) ignore it.
 *
 * A cancelled call leaves its transfer in the state it had before the call (a mutating request
 * whose response was lost is retried with the same Mailbox-Request-ID by the next call).
 * The transport's cancel slot, when set, is called too.
 * @param[in] client the client; NULL returns TIGRESS_E_INVALID.
 * @return TIGRESS_OK or TIGRESS_E_INVALID.
 * @since 1.0
 */
TIGRESS_API tigress_status tigress_client_cancel(tigress_client *client);

/**
 * @brief Drop any pending cancel on this client.
 *
 * After it, the next blocking call is not cancelled by a tigress_client_cancel() that returned
 * before tigress_client_cancel_clear() was called. Use it when an app reuses a client after
 * abandoning work, e.g. when a call completed although a cancel was requested during it.
 * A call running at the time may or may not have noticed the cancel already.
 * @param[in] client the client; NULL returns TIGRESS_E_INVALID.
 * @return TIGRESS_OK or TIGRESS_E_INVALID.
 * @note A tigress_client_cancel() racing with it may or may not survive.
 * @since 1.0
 */
TIGRESS_API tigress_status tigress_client_cancel_clear(tigress_client *client);

/**
 * @brief Wake a tigress_transfer_wait() that is sleeping between polls, from any thread.
 *
 * Call it when a push notification arrives: the wait reads the mailbox at once instead of at
 * the next back-off step. Thread-safe.
 * @return TIGRESS_OK or TIGRESS_E_INVALID.
 * @since 1.0
 */
TIGRESS_API tigress_status tigress_client_wake(tigress_client *client);

/** @} */

#ifdef __cplusplus
}
#endif
/** @} */
#endif /* TIGRESS_CLIENT_H */
