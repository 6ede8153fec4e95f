/**
 * @file tigress/transfer.h
 * @brief Transfers: share (Initiator), redeem (Recipient), the stateful round trips, revoke,
 *        relinquish, complete, wait, and export/import for resuming after a restart.
 * @defgroup tigress_transfer Transfers
 *
 * A transfer belongs to the client it was created with: the client must outlive it, errors are
 * reported through tigress_client_last_error(), and it is used from that client's thread.
 *
 * States and what moves between them (any other call is TIGRESS_E_STATE, with no network traffic):
 *
 * | Role      | From              | Call / event                       | To                 |
 * |-----------|-------------------|------------------------------------|--------------------|
 * | Initiator | (none)            | tigress_share_create()             | CREATED            |
 * | Initiator | CREATED           | wait/poll: TxInfo arrives (stateful)| TXINFO_RECEIVED   |
 * | Initiator | TXINFO_RECEIVED   | tigress_transfer_approve()         | WAITING_FOR_PEER   |
 * | Initiator | CREATED, WAITING_FOR_PEER | wait/poll: mailbox gone (404) | COMPLETED       |
 * | Recipient | (none)            | tigress_redeem()                   | REDEEMED           |
 * | Recipient | REDEEMED (stateful or unknown flow) | tigress_transfer_update() | WAITING_FOR_PEER |
 * | Recipient | WAITING_FOR_PEER  | wait/poll: valid signature arrives | SIGNED             |
 * | Recipient | REDEEMED (stateless or unknown flow), SIGNED | tigress_transfer_complete() | COMPLETED |
 * | Recipient | REDEEMED, WAITING_FOR_PEER | tigress_transfer_relinquish() | RELINQUISHED     |
 * | Recipient | REDEEMED, WAITING_FOR_PEER | wait/poll: mailbox gone  | REVOKED            |
 * | Initiator | any non-final     | tigress_transfer_revoke()          | REVOKED            |
 * | both      | any non-final     | the expiration passes              | EXPIRED            |
 *
 * A network failure never changes the state: the same call can be repeated.
 *
 * A Recipient whose message 1 came from another implementation (no `tigress` member,
 * docs/protocol.md §5) does not know the flow (tigress_transfer_flow() is
 * TIGRESS_FLOW_UNKNOWN): the partner's format decides. Both tigress_transfer_update() (the
 * flow becomes stateful) and tigress_transfer_complete() (stateless) are then allowed.
 * @{
 */
#ifndef TIGRESS_TRANSFER_H
#define TIGRESS_TRANSFER_H

#include "common.h"
#include "crypto.h"
#include "client.h"

/* The signer and verifier vtables are defined in sys/signer.h (included by tigress.h); this
 * header needs only their names. The guard lets both headers declare the typedefs. */
#ifndef TIGRESS_SIGNER_TYPEDEFS_
#define TIGRESS_SIGNER_TYPEDEFS_
typedef struct tigress_signer tigress_signer;
typedef struct tigress_verifier tigress_verifier;
#endif

#ifdef __cplusplus
extern "C" {
#endif

/** @brief One credential transfer, from either side (opaque). */
typedef struct tigress_transfer tigress_transfer;

/** The side of a transfer. */
typedef enum tigress_role {
    TIGRESS_ROLE_INITIATOR = 1, /**< The sharer: created the mailbox. */
    TIGRESS_ROLE_RECIPIENT = 2  /**< The receiver: redeemed the Share URL. */
} tigress_role;

/** Transfer states. Values never change. */
typedef enum tigress_state {
    TIGRESS_STATE_CREATED = 1,          /**< Initiator: mailbox created, message 1 stored. */
    TIGRESS_STATE_REDEEMED = 2,         /**< Recipient: read, bound and decrypted message 1. */
    TIGRESS_STATE_WAITING_FOR_PEER = 3, /**< Own message stored; waiting for the other side. */
    TIGRESS_STATE_TXINFO_RECEIVED = 4,  /**< Initiator: the Recipient's TxInfo arrived. */
    TIGRESS_STATE_SIGNED = 5,           /**< Recipient: the Initiator's signature verified. */
    TIGRESS_STATE_COMPLETED = 6,        /**< Final: provisioned and mailbox deleted. */
    TIGRESS_STATE_REVOKED = 7,          /**< Final: the Initiator deleted the mailbox. */
    TIGRESS_STATE_RELINQUISHED = 8,     /**< Final: the Recipient gave up its binding. */
    TIGRESS_STATE_EXPIRED = 9,          /**< Final: the expiration passed. */
    TIGRESS_STATE_FAILED = 10           /**< Final: unrecoverable protocol or crypto failure. */
} tigress_state;

/**
 * @brief Name of a state, e.g. "CREATED"; "UNKNOWN" for other values. Static.
 * @note Thread-safe; needs no tigress_global_init(). The string is never freed.
 * @since 1.0
 */
TIGRESS_API const char *tigress_state_name(tigress_state state);

/** Current version of tigress_share_options. */
#define TIGRESS_SHARE_OPTIONS_VERSION 1

/**
 * @brief What to share and how. Strings are copied by tigress_share_create().
 *
 * Display information is public (shown in link previews): it must not identify anyone: the
 * relay serves it to whoever holds the link, without a claim.
 */
typedef struct tigress_share_options {
    unsigned int version;          /**< TIGRESS_SHARE_OPTIONS_VERSION */
    const char *relay_url;         /**< Required: relay base, e.g. "https://relay.example". */
    const char *format;            /**< Required: Provisioning Information format. */
    const char *content_json;      /**< Required: Provisioning Information content, a JSON object. */
    const char *title;             /**< Required: display title (at most 256 bytes). */
    const char *description;       /**< Display description; NULL: "". */
    const char *image_url;         /**< Display image, https URL; NULL: "". */
    int64_t expires_at;            /**< Unix seconds; 0: now + 24 h. */
    char vertical;                 /**< 'a', 'h', 'c', or 0 for none. */
    tigress_payload_type payload_type; /**< Default TIGRESS_PAYLOAD_XSALSA20_POLY1305. */
    int stateful;                  /**< Nonzero: TxInfo/signature round trips (rights RWD). */
    const char *notification_token_type; /**< e.g. "webpush"; NULL: no push token. */
    const char *notification_token_data; /**< The token for that type. */
    const char *attestation;       /**< Mailbox-Device-Attestation value; NULL: none. */
} tigress_share_options;

/** Static initialiser for tigress_share_options. */
#define TIGRESS_SHARE_OPTIONS_INIT { TIGRESS_SHARE_OPTIONS_VERSION, NULL, NULL, NULL, NULL, NULL, \
    NULL, 0, 0, TIGRESS_PAYLOAD_XSALSA20_POLY1305, 0, NULL, NULL, NULL }

/**
 * @brief Fill @p opts with defaults (same bytes as the macro).
 * @return TIGRESS_OK, TIGRESS_E_INVALID (NULL @p opts) or TIGRESS_E_VERSION.
 * @note Thread-safe (writes only @p opts); needs no tigress_global_init().
 * @since 1.0
 */
TIGRESS_API tigress_status tigress_share_options_init(tigress_share_options *opts,
                                                      unsigned int version);

/**
 * @brief Share a credential (Initiator): generate the Secret and a fresh Device Claim, encrypt
 *        the Provisioning Information, and create the mailbox on the relay.
 * @param[out] out the transfer in state CREATED; free with tigress_transfer_free().
 * @param[in] client the client (must outlive the transfer).
 * @param[in] opts what to share (copied).
 * @return TIGRESS_OK; TIGRESS_E_INVALID (NULL @p out, @p client or @p opts, or a bad option,
 *         detail says which); TIGRESS_E_INSECURE; TIGRESS_E_NOT_ALLOWED; a network, relay or
 *         protocol status; TIGRESS_E_NOMEM.
 * @note Blocking (network); cancellable with tigress_client_cancel(). Not thread-safe: no other
 *       call on the same client or its transfers may run at the same time
 *       (tigress_client_cancel(), tigress_client_cancel_clear() and tigress_client_wake()
 *       excepted, from any thread). With a NULL @p client, the detail is in
 *       tigress_error_last(). The caller owns *out (tigress_transfer_free()); it borrows
 *       @p client.
 * @since 1.0
 */
TIGRESS_API tigress_status tigress_share_create(tigress_transfer **out, tigress_client *client,
                                                const tigress_share_options *opts);

/** Current version of tigress_redeem_options. */
#define TIGRESS_REDEEM_OPTIONS_VERSION 1

/** @brief How to redeem a Share URL. Strings and the verifier are copied. */
typedef struct tigress_redeem_options {
    unsigned int version;          /**< TIGRESS_REDEEM_OPTIONS_VERSION */
    const char *share_url;         /**< Required: the Share URL as received. */
    const char *secret;            /**< The Secret when it was sent apart; NULL: the fragment. */
    const char *notification_token_type; /**< Recipient's push token type, or NULL. */
    const char *notification_token_data; /**< Recipient's push token, or NULL. */
    const tigress_verifier *verifier; /**< Verifies the Initiator's signature (stateful);
                                           may be set later with tigress_transfer_set_verifier(). */
} tigress_redeem_options;

/** Static initialiser for tigress_redeem_options. */
#define TIGRESS_REDEEM_OPTIONS_INIT { TIGRESS_REDEEM_OPTIONS_VERSION, NULL, NULL, NULL, NULL, NULL }

/**
 * @brief Fill @p opts with defaults.
 * @return TIGRESS_OK, TIGRESS_E_INVALID (NULL @p opts) or TIGRESS_E_VERSION.
 * @note Thread-safe (writes only @p opts); needs no tigress_global_init().
 * @since 1.0
 */
TIGRESS_API tigress_status tigress_redeem_options_init(tigress_redeem_options *opts,
                                                       unsigned int version);

/**
 * @brief Redeem a Share URL (Recipient): check the relay against the allow-list, strip the
 *        fragment, read the mailbox with a fresh Device Claim (binding it), and decrypt.
 * @param[out] out the transfer in state REDEEMED; free with tigress_transfer_free().
 * @return TIGRESS_OK; TIGRESS_E_URL; TIGRESS_E_KEY; TIGRESS_E_INSECURE; TIGRESS_E_NOT_ALLOWED;
 *         TIGRESS_E_UNAUTHORIZED (another device redeemed it first); TIGRESS_E_NOT_FOUND;
 *         TIGRESS_E_EXPIRED; TIGRESS_E_CRYPTO (wrong Secret or tampered); TIGRESS_E_FORMAT;
 *         network and relay statuses; TIGRESS_E_NOMEM; TIGRESS_E_INVALID (NULL @p out,
 *         @p client or @p opts).
 * @note Blocking (network); cancellable with tigress_client_cancel(). Not thread-safe: no other
 *       call on the same client or its transfers may run at the same time
 *       (tigress_client_cancel(), tigress_client_cancel_clear() and tigress_client_wake()
 *       excepted, from any thread). With a NULL @p client, the detail is in
 *       tigress_error_last(). The caller owns *out (tigress_transfer_free()); it borrows
 *       @p client.
 * @since 1.0
 */
TIGRESS_API tigress_status tigress_redeem(tigress_transfer **out, tigress_client *client,
                                          const tigress_redeem_options *opts);

/**
 * @name Advancing a transfer
 * @note Not thread-safe: no other call on the transfer, its client or the client's other
 *       transfers may run at the same time (tigress_client_cancel(),
 *       tigress_client_cancel_clear() and tigress_client_wake() excepted, from any thread).
 *       NULL @p transfer: TIGRESS_E_INVALID. All but tigress_transfer_set_verifier() block on
 *       the network (tigress_transfer_poll(): one request) and are cancellable with
 *       tigress_client_cancel().
 * @{
 */

/**
 * @brief Set or replace the verifier used for the Initiator's signature (copied).
 * @return TIGRESS_OK, TIGRESS_E_INVALID (NULL @p transfer, NULL @p verifier, or one without
 *         verify()) or TIGRESS_E_VERSION.
 * @note No network traffic. The vtable is copied; its user_data is borrowed.
 * @since 1.0
 */
TIGRESS_API tigress_status tigress_transfer_set_verifier(tigress_transfer *transfer,
                                                         const tigress_verifier *verifier);

/**
 * @brief Recipient, stateful: attach Transaction Information (e.g. a new public key) and send
 *        it to the Initiator (UpdateMailbox). Moves REDEEMED to WAITING_FOR_PEER.
 * @param[in] txinfo_type partner-defined type string (copied).
 * @param[in] txinfo the TxInfo bytes (copied), @p txinfo_len of them (at most 16 KiB).
 * @return TIGRESS_OK, TIGRESS_E_INVALID (NULL @p transfer, @p txinfo_type or @p txinfo),
 *         TIGRESS_E_STATE, network and relay statuses.
 * @since 1.0
 */
TIGRESS_API tigress_status tigress_transfer_update(tigress_transfer *transfer,
                                                   const char *txinfo_type,
                                                   const uint8_t *txinfo, size_t txinfo_len);

/**
 * @brief Initiator, stateful: sign the received TxInfo with @p signer and send the signature
 *        (UpdateMailbox). Moves TXINFO_RECEIVED to WAITING_FOR_PEER.
 * @param[in] signer copied for the call; its user_data must stay valid during it.
 * @return TIGRESS_OK, TIGRESS_E_INVALID (NULL @p transfer or @p signer), TIGRESS_E_STATE, the
 *         signer's status, network and relay statuses.
 * @note The signer runs on the calling thread.
 * @since 1.0
 */
TIGRESS_API tigress_status tigress_transfer_approve(tigress_transfer *transfer,
                                                    const tigress_signer *signer);

/**
 * @brief Check the mailbox once for the peer's next message or the end of the transfer.
 * @return TIGRESS_OK when the state advanced (see tigress_transfer_state());
 *         TIGRESS_E_AGAIN when nothing new; TIGRESS_E_REVOKED or TIGRESS_E_EXPIRED when the
 *         transfer ended that way (the state says so too); TIGRESS_E_SIGNATURE (bad signature,
 *         state unchanged); TIGRESS_E_STATE; network and relay statuses.
 * @since 1.0
 */
TIGRESS_API tigress_status tigress_transfer_poll(tigress_transfer *transfer);

/** @} */

/** Current version of tigress_wait_options. */
#define TIGRESS_WAIT_OPTIONS_VERSION 1

/** @brief How tigress_transfer_wait() waits. */
typedef struct tigress_wait_options {
    unsigned int version;   /**< TIGRESS_WAIT_OPTIONS_VERSION */
    long timeout_ms;        /**< Give up after this long; 0: until the transfer expires. */
    /** Optional: called before each sleep between reads, with the attempt number and the
     *  delay about to be slept (0 while a long-poll is held by the relay). */
    void (*progress)(unsigned int attempt, long next_delay_ms, void *user_data);
    void *user_data;        /**< For progress. */
    int disable_long_poll;  /**< Nonzero: never ask the relay to hold the read. */
} tigress_wait_options;

/** Static initialiser for tigress_wait_options. */
#define TIGRESS_WAIT_OPTIONS_INIT { TIGRESS_WAIT_OPTIONS_VERSION, 0, NULL, NULL, 0 }

/**
 * @brief Fill @p opts with defaults.
 * @return TIGRESS_OK, TIGRESS_E_INVALID (NULL @p opts) or TIGRESS_E_VERSION.
 * @note Thread-safe (writes only @p opts); needs no tigress_global_init().
 * @since 1.0
 */
TIGRESS_API tigress_status tigress_transfer_wait_options_init(tigress_wait_options *opts,
                                                              unsigned int version);

/**
 * @brief Block until the peer's next message or the end of the transfer.
 *
 * Uses the relay's long-poll (ETag + `Prefer: wait`) when offered, else polls with back-off:
 * every 5 s for 30 s, 10 s until 2 min, 30 s until 10 min, then every 60 s. A push received by
 * the app should call tigress_client_wake() to read at once. tigress_client_cancel() ends it.
 * @param[in] opts NULL for defaults.
 * @return as tigress_transfer_poll(), plus TIGRESS_E_TIMEOUT and TIGRESS_E_CANCELLED, and
 *         never TIGRESS_E_AGAIN.
 * @note Blocking; tigress_client_cancel() ends it and tigress_client_wake() shortens its sleep,
 *       from any thread. Not thread-safe: no other call on the transfer, its client or the
 *       client's other transfers may run at the same time (cancel/wake excepted). NULL
 *       @p transfer: TIGRESS_E_INVALID; NULL @p opts: the defaults. The progress callback runs
 *       on the calling thread.
 * @since 1.0
 */
TIGRESS_API tigress_status tigress_transfer_wait(tigress_transfer *transfer,
                                                 const tigress_wait_options *opts);

/**
 * @name Ending a transfer
 * @note Blocking (network); cancellable with tigress_client_cancel(). Not thread-safe: no other
 *       call on the transfer, its client or the client's other transfers may run at the same
 *       time (tigress_client_cancel(), tigress_client_cancel_clear() and tigress_client_wake()
 *       excepted, from any thread). NULL @p transfer: TIGRESS_E_INVALID.
 * @{
 */

/**
 * @brief Initiator: delete the mailbox (revoke the share) at any time before completion.
 *        A mailbox already gone counts as done.
 * @return TIGRESS_OK, TIGRESS_E_STATE, network and relay statuses.
 * @since 1.0
 */
TIGRESS_API tigress_status tigress_transfer_revoke(tigress_transfer *transfer);

/**
 * @brief Recipient: give up the binding so another device can redeem (RelinquishMailbox).
 * @return TIGRESS_OK, TIGRESS_E_STATE, network and relay statuses.
 * @since 1.0
 */
TIGRESS_API tigress_status tigress_transfer_relinquish(tigress_transfer *transfer);

/**
 * @brief Recipient: the credential is provisioned; delete the mailbox. A mailbox already gone
 *        counts as done.
 * @return TIGRESS_OK, TIGRESS_E_STATE, network and relay statuses.
 * @since 1.0
 */
TIGRESS_API tigress_status tigress_transfer_complete(tigress_transfer *transfer);

/** @} */

/**
 * @brief Wipe and free a transfer (no network traffic). NULL is a no-op.
 * @note Not thread-safe: no other call on the transfer, its client or the client's other
 *       transfers may run at the same time (cancel/wake excepted). NULL is a no-op. Pointers
 *       borrowed from the transfer become invalid.
 * @since 1.0
 */
TIGRESS_API void tigress_transfer_free(tigress_transfer *transfer);

/**
 * @name Accessors
 * @note Not thread-safe: read them when no call on the transfer's client runs (from the
 *       client's thread). For a NULL @p transfer, tigress_transfer_txinfo() and
 *       tigress_transfer_signature() return TIGRESS_E_INVALID, the others NULL or 0 (no state,
 *       no role); a NULL output pointer of tigress_transfer_txinfo() or
 *       tigress_transfer_signature() is skipped. Returned pointers are borrowed: valid until
 *       the next call on the transfer or its free; do not free them.
 * @{
 */

/**
 * @brief The current state.
 * @since 1.0
 */
TIGRESS_API tigress_state tigress_transfer_state(const tigress_transfer *transfer);
/**
 * @brief The side this device plays.
 * @since 1.0
 */
TIGRESS_API tigress_role tigress_transfer_role(const tigress_transfer *transfer);
/**
 * @brief Nonzero for a stateful (TxInfo/signature) transfer; 0 while the flow is unknown
 *  (see tigress_transfer_flow()).
 * @since 1.0
 */
TIGRESS_API int tigress_transfer_is_stateful(const tigress_transfer *transfer);
/**
 * @brief The payload type of the transfer's messages.
 * @since 1.0
 */
TIGRESS_API tigress_payload_type tigress_transfer_payload_type(const tigress_transfer *transfer);
/**
 * @brief The mailbox identifier (lowercase UUID).
 * @since 1.0
 */
TIGRESS_API const char *tigress_transfer_mailbox_id(const tigress_transfer *transfer);
/**
 * @brief The Share URL with the Secret in its fragment; NULL when the transfer does not hold
 *  the Secret. Treat it as secret. It lives in guarded memory (sodium_malloc: guard pages,
 *  mlock'd, excluded from core dumps, wiped by tigress_transfer_free()), as does the Secret.
 * @since 1.0
 */
TIGRESS_API const char *tigress_transfer_share_url(const tigress_transfer *transfer);
/**
 * @brief The Share URL without the Secret (for sending the Secret apart).
 * @since 1.0
 */
TIGRESS_API const char *tigress_transfer_url(const tigress_transfer *transfer);
/**
 * @brief The Secret; NULL when not held (imported without it). Borrowed.
 * @since 1.0
 */
TIGRESS_API const tigress_secret *tigress_transfer_secret(const tigress_transfer *transfer);
/**
 * @brief The vertical ('a', 'h', 'c') or 0.
 * @since 1.0
 */
TIGRESS_API char tigress_transfer_vertical(const tigress_transfer *transfer);
/**
 * @brief Provisioning Information format.
 * @since 1.0
 */
TIGRESS_API const char *tigress_transfer_format(const tigress_transfer *transfer);
/**
 * @brief Provisioning Information content, JSON text. Secret: held in guarded memory and
 *  wiped on free.
 * @since 1.0
 */
TIGRESS_API const char *tigress_transfer_content(const tigress_transfer *transfer);
/**
 * @brief Display title.
 * @since 1.0
 */
TIGRESS_API const char *tigress_transfer_title(const tigress_transfer *transfer);
/**
 * @brief Display description.
 * @since 1.0
 */
TIGRESS_API const char *tigress_transfer_description(const tigress_transfer *transfer);
/**
 * @brief Display image URL.
 * @since 1.0
 */
TIGRESS_API const char *tigress_transfer_image_url(const tigress_transfer *transfer);
/**
 * @brief Expiration, Unix seconds.
 * @since 1.0
 */
TIGRESS_API int64_t tigress_transfer_expires_at(const tigress_transfer *transfer);
/**
 * @brief Nonzero when the relay said it will push to this device.
 * @since 1.0
 */
TIGRESS_API int tigress_transfer_push_supported(const tigress_transfer *transfer);

/**
 * @brief The TxInfo sent (Recipient) or received (Initiator).
 * @param[out] type_out borrowed type string; may be NULL.
 * @param[out] data_out borrowed bytes; may be NULL.
 * @param[out] len_out their length; may be NULL.
 * @return TIGRESS_OK, TIGRESS_E_INVALID, or TIGRESS_E_STATE when there is no TxInfo yet.
 * @since 1.0
 */
TIGRESS_API tigress_status tigress_transfer_txinfo(const tigress_transfer *transfer,
    const char **type_out, const uint8_t **data_out, size_t *len_out);

/**
 * @brief The signature sent (Initiator) or received and verified (Recipient).
 * @return TIGRESS_OK, TIGRESS_E_INVALID, or TIGRESS_E_STATE when there is none yet.
 * @since 1.0
 */
TIGRESS_API tigress_status tigress_transfer_signature(const tigress_transfer *transfer,
    const char **alg_out, const uint8_t **sig_out, size_t *len_out);

/** @} */

/**
 * @brief Whether a transfer's flow has round trips, as far as this side knows.
 *
 * An Initiator knows it from its share options. A Recipient learns it from message 1: a
 * libtigress Initiator says so in the message's `tigress` member; an implementation of the
 * drafts alone does not (docs/protocol.md §5, §7), and the credential's format decides. Until
 * the app sends TxInfo (tigress_transfer_update(): stateful) or completes (stateless), such a
 * Recipient's flow is TIGRESS_FLOW_UNKNOWN and both calls are allowed.
 */
typedef enum tigress_flow {
    TIGRESS_FLOW_UNKNOWN = 0,   /**< Recipient of a draft-only Initiator, before update/complete. */
    TIGRESS_FLOW_STATELESS = 1, /**< One message; complete after redeem. */
    TIGRESS_FLOW_STATEFUL = 2   /**< TxInfo and signature round trips. */
} tigress_flow;

/**
 * @brief The transfer's flow: stateless, stateful, or unknown (see tigress_flow).
 * @return the flow; TIGRESS_FLOW_UNKNOWN for a NULL @p transfer.
 * @note Not thread-safe: read it when no call on the transfer's client runs (from the
 *       client's thread). No network traffic.
 * @since 1.1
 */
TIGRESS_API tigress_flow tigress_transfer_flow(const tigress_transfer *transfer);

/**
 * @brief Name of a flow: "stateless", "stateful" or "unknown" (also for other values). Static.
 * @note Thread-safe; needs no tigress_global_init(). The string is never freed.
 * @since 1.1
 */
TIGRESS_API const char *tigress_flow_name(tigress_flow flow);

/** Flags for tigress_transfer_export(). */
enum {
    /** Leave the Secret out of the blob; the import must supply it. */
    TIGRESS_EXPORT_WITHOUT_SECRET = 1u << 0
};

/**
 * @brief Serialise a transfer so that an app can resume it after a restart.
 *
 * The blob holds the Device Claim and, unless TIGRESS_EXPORT_WITHOUT_SECRET is given, the
 * Secret and the decrypted content: store it in the Keychain or the Android Keystore.
 * @param[out] out the blob (JSON text); release with tigress_buf_dispose(), which wipes it.
 * @return TIGRESS_OK, TIGRESS_E_INVALID (NULL @p transfer or @p out) or TIGRESS_E_NOMEM.
 * @note Not thread-safe: read it when no call on the transfer's client runs (from the client's
 *       thread). The caller owns what @p out receives (tigress_buf_dispose(), which wipes it).
 *       Guarded memory: the blob is in a sodium_malloc block (guard pages, mlock'd, excluded
 *       from core dumps), with or without the Secret (it always holds the Device Claim).
 * @since 1.0
 */
TIGRESS_API tigress_status tigress_transfer_export(const tigress_transfer *transfer,
                                                   unsigned int flags, tigress_buf *out);

/**
 * @brief Recreate a transfer from an exported blob (no network traffic).
 * @param[in] blob the bytes from tigress_transfer_export() (borrowed).
 * @param[in] secret the Secret as text, required when the blob was exported without it,
 *            else NULL (or equal to the one inside).
 * @return TIGRESS_OK, TIGRESS_E_INVALID (NULL @p out, @p client or @p blob), TIGRESS_E_FORMAT
 *         (not a blob), TIGRESS_E_UNSUPPORTED (a newer blob version), TIGRESS_E_KEY or
 *         TIGRESS_E_NOMEM.
 * @note Not thread-safe: no other call on the same client or its transfers may run at the same
 *       time (tigress_client_cancel(), tigress_client_cancel_clear() and tigress_client_wake()
 *       excepted, from any thread). NULL @p secret is not an error: the one in the blob. The
 *       caller owns *out (tigress_transfer_free()); it borrows @p client.
 * @since 1.0
 */
TIGRESS_API tigress_status tigress_transfer_import(tigress_transfer **out, tigress_client *client,
                                                   const uint8_t *blob, size_t blob_len,
                                                   const char *secret);

#ifdef __cplusplus
}
#endif
/** @} */
#endif /* TIGRESS_TRANSFER_H */
