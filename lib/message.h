/*
 * The encrypted messages (message.c): Provisioning Information {"format", "content"} plus
 * "tigress" {"role", "seq", "stateful"}, "txInfo" and "signature". message.c works on these
 * structs alone and reports into an error slot; tigress_transfer embeds a tigress__msg_body.
 * Above the base layers and json.c, below the transfer layer. Never installed.
 */
#ifndef TIGRESS_MESSAGE_H
#define TIGRESS_MESSAGE_H

#include "internal.h"

/* Largest TxInfo accepted, sent or received (bytes, before Base64). */
#define TIGRESS__TXINFO_MAX (16u * 1024u)
/* Domain separation prefix of the bytes the Initiator signs. */
#define TIGRESS__SIG_CONTEXT "tigress-txinfo-v1"

/* What a message carries. Every pointer is owned; tigress__msg_body_clear wipes and frees. */
typedef struct tigress__msg_body {
    char *format;
    char *content;         /* sodium_malloc, JSON object text */
    size_t content_len;
    char *txinfo_type;     /* NULL when absent */
    uint8_t *txinfo;
    size_t txinfo_len;
    char *sig_alg;         /* NULL when absent */
    uint8_t *sig;
    size_t sig_len;
} tigress__msg_body;

/* A message read from the mailbox: its body and its "tigress" member. */
typedef struct tigress__msg {
    tigress__msg_body body;
    bool has_tigress;      /* the "tigress" member was present */
    tigress_role role;     /* 0 when absent */
    uint32_t seq;
    bool stateful;
    bool has_stateful;
} tigress__msg;

/* The sender's "tigress" member. */
typedef struct tigress__msg_head {
    tigress_role role;
    uint32_t seq;
    bool stateful;
} tigress__msg_head;

void tigress__msg_body_clear(tigress__msg_body *b);
void tigress__msg_clear(tigress__msg *m);
/* Encrypt one message (body's format and content, plus its TxInfo and signature when asked)
 * into the payload data (Base64 text, tigress__malloc). secret NULL: E_KEY; format or content
 * NULL: E_STATE. Records the error in err. */
tigress_status tigress__msg_seal(tigress__error_slot *err, const tigress__msg_body *body,
                                 const tigress__msg_head *head, tigress_payload_type type,
                                 const tigress_secret *secret, bool with_txinfo,
                                 bool with_signature, const tigress_aead_provider *aead,
                                 char **data_out);
/* Decrypt and parse one payload. E_CRYPTO, E_FORMAT, E_KEY, E_NOMEM; records the error in err.
 * aead (both functions): the client's AEAD provider, or NULL (tigress/sys/aead.h). */
tigress_status tigress__msg_open(tigress__error_slot *err, tigress_payload_type type,
                                 const tigress_secret *secret, const char *data,
                                 const tigress_aead_provider *aead, tigress__msg *out);
/* True when m is a new message for a side playing own_role that has sent or seen up to
 * last_seq (C24): not its own role, a newer seq; without "tigress", when the payload data
 * differs from the last one (same_data false). */
bool tigress__msg_is_new(const tigress__msg *m, tigress_role own_role, uint32_t last_seq,
                         bool same_data);
/* The exact bytes signed: context || mailbox id || TxInfo. tigress__malloc'd. */
uint8_t *tigress__msg_sig_input(const char *mailbox_id, const uint8_t *txinfo, size_t txinfo_len,
                                size_t *len);

#endif /* TIGRESS_MESSAGE_H */
