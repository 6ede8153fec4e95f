/**
 * @file tigress/common.h
 * @brief Export macros, version numbers, global init, and buffers owned by the library.
 * @defgroup tigress_common Common definitions
 * @{
 */
#ifndef TIGRESS_COMMON_H
#define TIGRESS_COMMON_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(TIGRESS_STATIC) && defined(TIGRESS_BUILDING_DLL)
#error "TIGRESS_STATIC and TIGRESS_BUILDING_DLL cannot both be defined"
#endif

#if defined(_WIN32) && !defined(TIGRESS_STATIC)
#  ifdef TIGRESS_BUILDING_DLL
#    define TIGRESS_API __declspec(dllexport)
#  else
#    define TIGRESS_API __declspec(dllimport)
#  endif
#elif defined(__GNUC__) && __GNUC__ >= 4
#  define TIGRESS_API __attribute__((visibility("default")))
#else
#  define TIGRESS_API
#endif

#if defined(__GNUC__)
#  define TIGRESS_WARN_UNUSED __attribute__((warn_unused_result))
#else
#  define TIGRESS_WARN_UNUSED
#endif

/**
 * @brief The list of status codes: X(NAME, value, "message").
 *
 * The single source of truth for tigress_status, tigress_strerror() and
 * tigress_status_name(); the Java, Swift and Python bindings are generated from it too.
 * Values are explicit and never renumbered; new codes are only appended.
 */
#define TIGRESS_STATUS_MAP(X) \
    X(OK,             0,  "success") \
    X(E_INVALID,     -1,  "invalid argument") \
    X(E_NOMEM,       -2,  "out of memory") \
    X(E_STATE,       -3,  "operation not allowed in the transfer's current state") \
    X(E_URL,         -4,  "malformed or unsupported Share URL") \
    X(E_INSECURE,    -5,  "relay URL is not https (plain http only to loopback, when enabled)") \
    X(E_NOT_ALLOWED, -6,  "relay host is not on the allow-list") \
    X(E_CRYPTO,      -7,  "decryption failed: wrong Secret or tampered payload") \
    X(E_KEY,         -8,  "Secret has the wrong length or encoding for the payload type") \
    X(E_UNSUPPORTED, -9,  "unsupported payload type, algorithm or version") \
    X(E_FORMAT,     -10,  "malformed message: bad JSON, Base64 or a required field missing") \
    X(E_NETWORK,    -11,  "network error while talking to the relay") \
    X(E_TLS,        -12,  "TLS error: the relay's certificate could not be verified") \
    X(E_TIMEOUT,    -13,  "timed out") \
    X(E_CANCELLED,  -14,  "cancelled") \
    X(E_PROTOCOL,   -15,  "relay response violates the protocol") \
    X(E_BAD_REQUEST,-16,  "relay rejected the request as malformed (HTTP 400)") \
    X(E_UNAUTHORIZED,-17, "relay refused this device or access right (HTTP 401)") \
    X(E_NOT_FOUND,  -18,  "mailbox not found: completed, revoked or never existed (HTTP 404)") \
    X(E_EXPIRED,    -19,  "the transfer has expired") \
    X(E_TOO_LARGE,  -20,  "payload too large for the relay (HTTP 413)") \
    X(E_RATE_LIMITED,-21, "relay rate limit reached (HTTP 429); retry later") \
    X(E_UNAVAILABLE,-22,  "relay temporarily unavailable (HTTP 503); retry later") \
    X(E_SERVER,     -23,  "relay returned an unexpected HTTP status") \
    X(E_SIGNATURE,  -24,  "signature missing or invalid") \
    X(E_AGAIN,      -25,  "no new message from the peer yet") \
    X(E_REVOKED,    -26,  "the transfer was revoked by the initiator") \
    X(E_INTERNAL,   -27,  "internal error") \
    X(E_VERSION,    -28,  "unsupported structure or vtable version") \
    X(E_BUFFER,     -29,  "output buffer too small")

/** Callback return values at or below this belong to the application and come back as is. */
#define TIGRESS_E_USER_MIN (-10000)

/** Status codes returned by every fallible libtigress function. */
typedef enum tigress_status {
#define TIGRESS_STATUS_ENUM_(name, value, msg) TIGRESS_##name = (value),
    TIGRESS_STATUS_MAP(TIGRESS_STATUS_ENUM_)
#undef TIGRESS_STATUS_ENUM_
    TIGRESS_STATUS_LAST_ = -29 /**< Not a code: the lowest value defined so far. */
} tigress_status;

/**
 * @name Status code messages and names
 * @note Thread-safe; need no tigress_global_init(). Any integer is accepted. The strings are
 *       static: never NULL, never freed.
 * @{
 */

/**
 * @brief A human-readable English description of a status code.
 * @param[in] status any integer; unknown values give "unknown error" (and user codes
 *            "application callback error").
 * @return a static string.
 * @since 1.0
 */
TIGRESS_API const char *tigress_strerror(int status);

/**
 * @brief The name of a status code as written in C, e.g. "TIGRESS_E_TIMEOUT".
 * @param[in] status any integer; unknown values give "TIGRESS_E_UNKNOWN".
 * @return a static string.
 * @since 1.0
 */
TIGRESS_API const char *tigress_status_name(int status);

/** @} */

/** Major version of the release (not of the ABI; see the soname). */
#define TIGRESS_VERSION_MAJOR 1
/** Minor version of the release. */
#define TIGRESS_VERSION_MINOR 1
/** Patch version of the release. */
#define TIGRESS_VERSION_PATCH 0
/** Release version as 0xMMmmpp, comparable with tigress_version_num(). */
#define TIGRESS_VERSION_NUM 0x010100
/** Release version as a string. */
#define TIGRESS_VERSION_STRING "1.1.0"
/** True when the headers are at least version x.y.z. */
#define TIGRESS_VERSION_CHECK(x, y, z) \
    (TIGRESS_VERSION_NUM >= (((x) << 16) | ((y) << 8) | (z)))

/**
 * @name Version of the loaded library
 * @note Thread-safe; need no tigress_global_init().
 * @{
 */

/**
 * @brief The version of the library actually loaded, as 0xMMmmpp.
 *
 * Bindings compare it with #TIGRESS_VERSION_NUM to detect a header/library mismatch.
 * @return the loaded library's version number.
 * @since 1.0
 */
TIGRESS_API unsigned int tigress_version_num(void);

/**
 * @brief The version of the loaded library as a static string such as "1.0.0".
 * @return a static string; never NULL; never freed.
 * @since 1.0
 */
TIGRESS_API const char *tigress_version_string(void);

/** @} */

/**
 * @name Global initialisation
 * @note Thread-safe against each other: a reference count pairs each successful
 *       tigress_global_init() with one tigress_global_cleanup(), and the reference is all
 *       there is to release. No other libtigress call may run while the last reference is
 *       dropped.
 * @{
 */

/**
 * @brief Initialise the library (libsodium, libcurl). Reference-counted and thread-safe.
 *
 * Call once per process (or once per component) before any other call that needs crypto or
 * the network; each successful call must be paired with tigress_global_cleanup().
 * @return TIGRESS_OK, or TIGRESS_E_INTERNAL when libsodium or libcurl cannot initialise.
 * @since 1.0
 */
TIGRESS_API tigress_status tigress_global_init(void);

/**
 * @brief Release what tigress_global_init() acquired, when the last reference goes.
 *
 * Calling it more often than tigress_global_init() succeeded is a no-op. Thread-safe, but no
 * other libtigress call may be running when the last reference is dropped.
 * @since 1.0
 */
TIGRESS_API void tigress_global_cleanup(void);

/** @} */

/**
 * @brief A byte buffer filled by the library and released with tigress_buf_dispose().
 *
 * The library always NUL-terminates @c ptr (the terminator is not counted in @c size), so a
 * buffer holding text can be used as a C string. The caller never calls free() on @c ptr.
 * A zero-initialised tigress_buf is empty and may be disposed.
 */
typedef struct tigress_buf {
    uint8_t *ptr;  /**< Owned by the library until tigress_buf_dispose(). */
    size_t size;   /**< Bytes in @c ptr, not counting the trailing NUL. */
} tigress_buf;

/**
 * @name Releasing what the library allocated
 * @note Thread-safe on distinct buffers and pointers; not while another thread reads the
 *       memory being released. NULL is a no-op.
 * @{
 */

/**
 * @brief Wipe (sodium_memzero) and free the memory of a buffer, and reset it to empty.
 *
 * Buffers that hold Secret material or plaintext (tigress_share_url_build() with a Secret,
 * tigress_transfer_export(), tigress_payload_open()) are in guarded memory (sodium_malloc,
 * see tigress_allocator); this function recognises them, wipes them and gives them back to
 * the guarded pool (or sodium_free). Others are wiped and given back to the allocator hooks.
 * @param[in,out] buf the buffer; NULL or an empty buffer is a no-op.
 * @since 1.0
 */
TIGRESS_API void tigress_buf_dispose(tigress_buf *buf);

/**
 * @brief Free memory that the library allocated for the caller and documented as such.
 *
 * Recognises guarded blocks (see tigress_buf_dispose()) and releases them with sodium_free.
 * @param[in] ptr the pointer, or NULL (no-op).
 * @since 1.0
 */
TIGRESS_API void tigress_free(void *ptr);

/** @} */

#ifdef __cplusplus
}
#endif
/** @} */
#endif /* TIGRESS_COMMON_H */
