/**
 * @file tigress.h
 * @brief Umbrella header for libtigress: include this and nothing else.
 *
 * libtigress moves a digital credential (car, home, hotel key, access badge) from one device
 * to another through an untrusted relay mailbox, following draft-vinokurov-tigress-http-00.
 *
 * Threading: a handle may be used from one thread at a time; different handles are
 * independent; tigress_client_cancel() may be called from any thread.
 */
#ifndef TIGRESS_H
#define TIGRESS_H

#include "tigress/common.h"
#include "tigress/errors.h"
#include "tigress/crypto.h"
#include "tigress/client.h"
#include "tigress/transfer.h"
#include "tigress/keys.h"
#include "tigress/sys/alloc.h"
#include "tigress/sys/transport.h"
#include "tigress/sys/signer.h"
#include "tigress/sys/aead.h"

#endif /* TIGRESS_H */
