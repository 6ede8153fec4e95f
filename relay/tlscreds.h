/*
 * relay/tlscreds.h: the relay's TLS certificate and key, reloadable (tlscreds.c). Separate from
 * relay.h so that only the modules that talk to GnuTLS include it.
 */
#ifndef TIGRESS_RELAY_TLSCREDS_H
#define TIGRESS_RELAY_TLSCREDS_H

#include <stddef.h>

#include <gnutls/abstract.h>
#include <gnutls/gnutls.h>

/* Reads and checks a certificate chain (PEM, leaf first) and its private key (PEM); on
 * success they become what every new handshake presents and 0 is returned. On failure the
 * credentials in use stay, -1 is returned and why (a sentence without file contents) is in
 * why[cap]. Called by one thread at a time (start-up, then the reload on the main thread). */
int tlscreds_load(const char *cert_path, const char *key_path, char *why, size_t cap);
/* MHD_OPTION_HTTPS_CERT_CALLBACK: hands the current credentials to a handshake. */
gnutls_certificate_retrieve_function2 tlscreds_retrieve;
/* Frees every set of credentials loaded; only once the daemon is stopped. */
void tlscreds_free(void);

#endif
