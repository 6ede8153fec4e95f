/**
 * @file tigress/sys/alloc.h
 * @brief Allocator hooks (also the fault-injection seam used by the tests).
 * @defgroup tigress_alloc Allocator hooks
 * @{
 */
#ifndef TIGRESS_SYS_ALLOC_H
#define TIGRESS_SYS_ALLOC_H

#include "../common.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Current version of tigress_allocator. */
#define TIGRESS_ALLOCATOR_VERSION 1

/**
 * @brief Memory functions libtigress uses for its own allocations.
 *
 * Memory that libcurl, cJSON or OpenSSL allocate internally does not go through these hooks,
 * and neither does guarded memory.
 * @note Guarded memory: what holds Secret material after a call returns lives in libsodium's
 *       sodium_malloc blocks (guard pages, mlock'd when RLIMIT_MEMLOCK allows, excluded from
 *       core dumps, wiped when freed), not in memory from these hooks: every tigress_secret,
 *       the Share URL with the Secret in its fragment (tigress_transfer_share_url(), and
 *       tigress_share_url_build() when given a Secret), tigress_transfer_export() blobs, a
 *       transfer's decrypted content and tigress_payload_open() plaintexts. Each such block
 *       (except the decrypted content's and a signing key's) is charged to the @c malloc hook
 *       as a one-byte allocation that is freed at once: when the hook refuses it, the call
 *       fails with TIGRESS_E_NOMEM, so a failing hook reaches these paths too. Copies that live
 *       only during one call (parsing, sealing, building a blob) are in hook memory and wiped
 *       before they are freed. A released guarded block of up to 32 pages is wiped and kept
 *       for reuse (at most 64 KiB per size class, still guarded, locked and out of core
 *       dumps), which spares the mapping system calls of the next one; the last
 *       tigress_global_cleanup() unmaps them.
 */
typedef struct tigress_allocator {
    unsigned int version;                                   /**< TIGRESS_ALLOCATOR_VERSION */
    void *(*malloc)(size_t size, void *user_data);          /**< Required. */
    void *(*realloc)(void *ptr, size_t size, void *user_data); /**< Required. */
    void (*free)(void *ptr, void *user_data);               /**< Required; free(NULL) no-op. */
    void *user_data;                                        /**< Passed to every hook. */
} tigress_allocator;

/**
 * @brief Install allocator hooks, then initialise like tigress_global_init().
 *
 * Must be called before the first tigress_global_init() of the process (or after the last
 * tigress_global_cleanup()). The struct is copied. NULL restores the C library allocator.
 * @return TIGRESS_OK, TIGRESS_E_VERSION, TIGRESS_E_INVALID (missing hook), TIGRESS_E_STATE
 *         (the library is already initialised) or TIGRESS_E_INTERNAL.
 * @note Not thread-safe: call it before any other libtigress call of the process (or after the
 *       last tigress_global_cleanup()). NULL @p allocator: the C library allocator.
 * @since 1.0
 */
TIGRESS_API tigress_status tigress_global_init_mem(const tigress_allocator *allocator);

#ifdef __cplusplus
}
#endif
/** @} */
#endif /* TIGRESS_SYS_ALLOC_H */
