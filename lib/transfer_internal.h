/*
 * Internal interface of the transfer layer: transfer.c (share/redeem/accessors),
 * transfer_flow.c (update/approve/poll/wait/revoke/relinquish/complete), transfer_state.c (the
 * state machine), transfer_export.c (export/import), message.c (the encrypted Provisioning
 * Information messages) and wire.c (relay JSON bodies and a small JSON writer). Never installed.
 */
#ifndef TIGRESS_TRANSFER_INTERNAL_H
#define TIGRESS_TRANSFER_INTERNAL_H

#include "http.h"
#include "json.h"
#include "message.h"

/* Display strings are limited to this many bytes (the relay's limit too). */
#define TIGRESS__DISPLAY_MAX 256u
/* How long a long-poll asks the relay to hold the read. */
#define TIGRESS__LONG_POLL_S 25

/* Operations that the state machine gates. */
typedef enum tigress__op {
    TIGRESS__OP_UPDATE = 0,
    TIGRESS__OP_APPROVE,
    TIGRESS__OP_POLL, /* tigress_transfer_poll and tigress_transfer_wait */
    TIGRESS__OP_REVOKE,
    TIGRESS__OP_RELINQUISH,
    TIGRESS__OP_COMPLETE,
    TIGRESS__OP_COUNT_
} tigress__op;

/* Events that move a transfer between states (each row of the header's table is one). */
typedef enum tigress__event {
    TIGRESS__EV_TXINFO = 0,   /* Initiator read the Recipient's TxInfo */
    TIGRESS__EV_APPROVED,     /* Initiator stored its signature */
    TIGRESS__EV_UPDATED,      /* Recipient stored its TxInfo */
    TIGRESS__EV_SIGNED,       /* Recipient verified the Initiator's signature */
    TIGRESS__EV_GONE,         /* a read found the mailbox gone (404) */
    TIGRESS__EV_COMPLETED,    /* Recipient deleted the mailbox after provisioning */
    TIGRESS__EV_REVOKED,      /* Initiator deleted the mailbox */
    TIGRESS__EV_RELINQUISHED, /* Recipient gave up its binding */
    TIGRESS__EV_EXPIRED,      /* the expiration passed */
    TIGRESS__EV_COUNT_
} tigress__event;

struct tigress_transfer {
    tigress_client *client;
    tigress_role role;
    tigress_state state;
    bool stateful;
    /* Recipient: message 1 came without a "tigress" member (a draft-only Initiator), so the
     * flow is not known until the app sends TxInfo (stateful) or completes (stateless):
     * docs/protocol.md §5, §6. Sits in what was padding after "stateful". */
    bool flow_unknown;
    tigress_payload_type payload_type;

    char *relay;          /* relay base URL, no trailing slash */
    char mailbox_id[37];  /* lowercase UUID */
    char *url_link;       /* https://host/v1/m/{id}, as the relay gave it */
    char *mailbox_url;    /* where this side sends its requests */
    char vertical;        /* 'a', 'h', 'c' or 0 */
    char claim[37];       /* Mailbox-Device-Claim: secret, wiped on free */
    char *attestation;    /* Initiator's Mailbox-Device-Attestation, or NULL */

    tigress_secret *secret;  /* NULL when imported without it */
    tigress_buf share_url;   /* with the Secret in the fragment (empty without a Secret) */
    char *url;               /* without the Secret */

    int64_t expires_at;
    uint32_t seq;         /* last sequence number this side sent */
    uint32_t peer_seq;    /* last sequence number seen from the other side */
    uint8_t last_data_hash[32]; /* hash of the last payload data seen or sent */
    bool has_last_data;

    /* What this side's messages carry (tigress__transfer_seal hands them to message.c as a
     * tigress__msg_body). Kept as separate members so that the struct's layout stays what it
     * was (abi/ records it, opaque as it is). */
    char *format;
    char *content;        /* sodium_malloc: decrypted content JSON, or NULL when unknown */
    size_t content_len;
    char *title, *description, *image_url;

    char *txinfo_type;
    uint8_t *txinfo;
    size_t txinfo_len;
    char *sig_alg;
    uint8_t *sig;
    size_t sig_len;

    char *token_type, *token_data; /* this side's notification token, or NULL */
    bool token_sent_on_update;     /* Recipient: token already sent on an Update */

    /* A mutating request that got no response keeps its Request-ID here so the next attempt
     * of the same operation reuses it (C4). pending_op is -1 when nothing is pending. */
    int pending_op;
    char pending_id[37];

    char *etag;           /* ETag of the last read, for long-polls */
    bool push_supported;

    tigress_verifier verifier;
    bool has_verifier;
};

/* ---- transfer.c ---- */
/* A zeroed transfer bound to client (pending_op = -1). NULL when out of memory. */
tigress_transfer *tigress__transfer_alloc(tigress_client *client);
/* Build share_url and url from url_link, vertical and secret; derive mailbox_url. */
tigress_status tigress__transfer_build_urls(tigress_transfer *t);
/* Replace the content with a copy of text (sodium_malloc). */
tigress_status tigress__transfer_set_content(tigress_transfer *t, const char *text, size_t len);
/* Remember the payload data as the last seen/sent (for messages without "tigress"). */
void tigress__transfer_note_data(tigress_transfer *t, const char *data);
bool tigress__transfer_data_is_last(const tigress_transfer *t, const char *data);
/* Record a failure reported by a crypto/URL call (thread-local detail) on the client. */
tigress_status tigress__transfer_fail_from(tigress_client *c, tigress_status rc, const char *what);
/* Seal this side's message seq (message.c) from t's body, role, mode, type and Secret. */
tigress_status tigress__transfer_seal(tigress_transfer *t, uint32_t seq, bool with_txinfo,
                                      bool with_signature, char **data_out);

/* ---- transfer_read.c: the one read path ---- */
/* A best-effort request made while cleaning up a failed call: its own error does not replace
 * the one the caller is about to return. */
void tigress__transfer_best_effort(tigress_client *c, const char *method, const char *url,
                                   const char *claim);
/* Keep the response's ETag (for long-polls), if any. */
void tigress__transfer_adopt_etag(tigress_transfer *t, tigress__response *resp);
struct tigress__read_result;
/* One secure read (POST) of the mailbox; body: the Recipient's token, or NULL. On 200 *rr is
 * filled and *answered set (the device may now be bound); *not_modified on 304. */
tigress_status tigress__transfer_read(tigress_transfer *t, const char *body, size_t body_len,
                                      int prefer_wait_s, struct tigress__read_result *rr,
                                      bool *not_modified, bool *answered);
/* Decrypt a read's payload with t's Secret: E_KEY when there is none or it does not fit the
 * payload type, else tigress__msg_open. */
tigress_status tigress__transfer_open(tigress_transfer *t, const struct tigress__read_result *rr,
                                      tigress__msg *m);

/* ---- transfer_state.c ---- */
const char *tigress__op_name(tigress__op op);
bool tigress__state_is_final(tigress_state s);
/* The gate of every operation, before any network traffic: expiry first (state -> EXPIRED,
 * TIGRESS_E_EXPIRED), then the transition table (TIGRESS_E_STATE naming op and state).
 * Records the error on the client. */
tigress_status tigress__state_check(tigress_transfer *t, tigress__op op);
/* Apply an event through the transition table. TIGRESS_E_INTERNAL when the table has no
 * such row (a bug): the state is left alone. */
tigress_status tigress__state_apply(tigress_transfer *t, tigress__event ev);
/* Handle a 404 from the relay: EXPIRED when the expiration has passed (E_EXPIRED), else
 * TIGRESS_OK meaning "gone before expiry" (the caller decides what that means). */
tigress_status tigress__state_on_gone(tigress_transfer *t, bool *expired);
/* True when the expiration has passed. */
bool tigress__transfer_expired(const tigress_transfer *t);

/* ---- wire.c: relay request and response bodies ---- */
/* Relay request bodies (no secrets in them). All return NULL when out of memory. */
typedef struct tigress__display {
    const char *title, *description, *image_url;
} tigress__display;

char *tigress__wire_create_body(const char *payload_type, const char *data,
                                const tigress__display *display, const char *token_type,
                                const char *token_data, bool stateful, const char *expiration,
                                size_t *len);
char *tigress__wire_token_body(const char *token_type, const char *token_data, size_t *len);
char *tigress__wire_update_body(const char *payload_type, const char *data,
                                const char *token_type, const char *token_data, size_t *len);

/* Parsed relay responses; strings are tigress__malloc'd. */
typedef struct tigress__read_result {
    tigress_payload_type payload_type;
    char *data;
    char *title, *description, *image_url;
    int64_t expires_at;
} tigress__read_result;

void tigress__read_result_clear(tigress__read_result *r);
/* Each returns TIGRESS_E_PROTOCOL (with a message on the client) for a bad body,
 * TIGRESS_E_UNSUPPORTED for an unknown payload type, or TIGRESS_E_NOMEM. */
tigress_status tigress__wire_parse_create(tigress_client *c, const char *body, size_t len,
                                          char **url_link, bool *push);
tigress_status tigress__wire_parse_read(tigress_client *c, const char *body, size_t len,
                                        tigress__read_result *out);
tigress_status tigress__wire_parse_update(tigress_client *c, const char *body, size_t len,
                                          bool *push, bool *has_push);

/* ---- transfer_flow.c ---- */
/* Read the mailbox once (POST) and process the result. Returns OK (advanced), E_AGAIN,
 * or an error. *not_modified is set when a long-poll ended unchanged (304). */
tigress_status tigress__flow_read_once(tigress_transfer *t, int prefer_wait_s,
                                       bool *not_modified);

#endif /* TIGRESS_TRANSFER_INTERNAL_H */
