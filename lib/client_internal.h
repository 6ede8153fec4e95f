/*
 * The client object (client.c): copied options, error slot, cancel/wake, sleeps, the clock
 * seam, the relay URL policy and the redeem-retry claim. Above the base layers and the
 * transports; below the retry engine (http.h) and the transfer layer. Never installed.
 */
#ifndef TIGRESS_CLIENT_INTERNAL_H
#define TIGRESS_CLIENT_INTERNAL_H

#include "internal.h"

/* ---- the client object (client.c) ---- */

/* Accessors for the copied options (defaults applied). */
const tigress_client_options *tigress__client_options(const tigress_client *c);
/* The client's AEAD provider (a copy), or NULL when it was created without one. */
const tigress_aead_provider *tigress__client_aead(const tigress_client *c);
/* The client's error slot: transfer functions record their failures here. */
tigress__error_slot *tigress__client_error(tigress_client *c);
/* Record an error on the client and return code (printf-style message, no secrets). */
tigress_status tigress__client_fail(tigress_client *c, tigress_status code, const char *fmt, ...)
    TIGRESS__PRINTF(3, 4);
/* Called at the start of each public blocking call: clears the last error and spends the
 * cancel the previous call noticed. A cancel requested since (or never noticed) stays pending,
 * so this call is cancelled before its first request. */
void tigress__client_begin(tigress_client *c);
/* True while a cancel is pending (tigress_client_cancel() not yet spent); a true answer marks
 * it noticed, so the next tigress__client_begin() spends it. */
bool tigress__client_cancelled(tigress_client *c);
/* Sleep up to ms milliseconds; returns early with TIGRESS_E_CANCELLED on cancel, or
 * TIGRESS_OK early when tigress_client_wake() is called (push hint) or when the time passed. */
tigress_status tigress__client_sleep(tigress_client *c, long ms);
/* Checks that a relay base URL / host is usable: https (or http to loopback when the option
 * allows), and on the allow-list when one is set (C1, C15). Records the error. */
tigress_status tigress__client_check_relay(tigress_client *c, const char *url);

/* The relay binds a mailbox to the first claim that reads it, so a redeem that fails after its
 * read went out (response lost, cancelled, unusable) may leave this device's claim bound; a
 * retry with a fresh claim would then be refused as "another device" for good. The client
 * keeps the claim of its last failed redeem, for that mailbox URL only, so that the next
 * redeem of the same mailbox presents it again (C2 still holds: one claim per mailbox).
 * remember: never fails (no allocation). recall: copies it into claim and returns true when
 * kept for mailbox_url. forget: for mailbox_url, or any when NULL; wipes. */
void tigress__client_redeem_remember(tigress_client *c, const char *mailbox_url, const char *claim);
bool tigress__client_redeem_recall(const tigress_client *c, const char *mailbox_url,
                                   char claim[37]);
void tigress__client_redeem_forget(tigress_client *c, const char *mailbox_url);

/* Test seams (set only by unit tests): a fake clock and sleep. NULL restores the real ones. */
typedef int64_t (*tigress__now_ms_fn)(void *user_data);
typedef void (*tigress__sleep_ms_fn)(long ms, void *user_data);
void tigress__set_clock(tigress__now_ms_fn now, tigress__sleep_ms_fn sleep_fn, void *user_data);
int64_t tigress__now_ms(void);

/* Notes on the accessors above: tigress__client_options() returns max_retries as the
 * effective count (TIGRESS_RETRIES_NONE becomes 0, 0 becomes the default 3) and transport
 * pointing at the client's own copy of the vtable (the libcurl one when none was given). */

/* Like tigress__client_sleep() but tigress_client_wake() does not end it (retry back-off must
 * not be shortened by a push hint); only cancel does. */
tigress_status tigress__client_backoff(tigress_client *c, long ms);
/* The client's transport vtable (never NULL for a live client). */
const tigress_transport *tigress__client_transport(const tigress_client *c);

#endif /* TIGRESS_CLIENT_INTERNAL_H */
