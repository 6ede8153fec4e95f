/*
 * The built-in libcurl transport (transport_curl.c): a reference plug-in of the public
 * transport contract (include/tigress/sys/transport.h). Everything it needs comes through the
 * request, its constructor and its cancel slot; it knows nothing of the client. Never
 * installed.
 */
#ifndef TIGRESS_TRANSPORT_CURL_H
#define TIGRESS_TRANSPORT_CURL_H

#include "internal.h"

/* Asked at the start of every send, after the transport has lowered its own abort flag, and
 * during the transfer: true while a cancel is pending for the caller. It closes the window
 * between the caller's own check and the send (a cancel() call landing there would otherwise
 * be forgotten when the flag is lowered). NULL: only the cancel slot counts. */
typedef bool (*tigress__cancel_pending_fn)(void *user_data);

/* Fills *out (free slot set). allow_http: plain http may be used (to loopback; the caller's
 * URL policy decides where). */
tigress_status tigress__curl_transport_new(tigress_transport *out, bool allow_http,
                                           tigress__cancel_pending_fn cancel_pending,
                                           void *cancel_user_data);

#endif /* TIGRESS_TRANSPORT_CURL_H */
