/*
 * c_driver: the interop tests' libtigress side through the C API directly (the CLI is another
 * user of the same API), against tests/interop/draft_peer.py:
 *
 *   c_driver recipient CA_FILE SHARE_URL PEER_PUBLIC_HEX TXINFO_HEX
 *       redeem (a draft-only Initiator: the flow must be unknown, docs/protocol.md §5), send
 *       the TxInfo (the flow becomes stateful), wait for the approval, verify it, complete.
 *   c_driver initiator CA_FILE RELAY_URL PAYLOAD_TYPE SEED_HEX
 *       share a stateful transfer, print the Share URL on a line of its own, wait for the
 *       TxInfo and print it as "txinfo HEX", approve with the key of SEED_HEX, wait until the
 *       Recipient deleted the mailbox, print "COMPLETED".
 *
 * Exit status: 0 done, 2 usage, 5 the approval's signature was refused, 1 anything else.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tigress.h>

static int fail(tigress_client *c, const char *what, tigress_status st)
{
    fprintf(stderr, "c_driver: %s: %s (%s)\n", what,
            c != NULL ? tigress_client_last_error(c)->message : tigress_error_last()->message,
            tigress_status_name(st));
    return st == TIGRESS_E_SIGNATURE ? 5 : 1;
}

static long unhex(const char *hex, uint8_t *out, size_t cap)
{
    size_t n = strlen(hex);

    if (n % 2 != 0 || n / 2 > cap)
        return -1;
    for (size_t i = 0; i < n / 2; i++) {
        unsigned v;

        if (sscanf(hex + 2 * i, "%2x", &v) != 1)
            return -1;
        out[i] = (uint8_t)v;
    }
    return (long)(n / 2);
}

static int recipient(tigress_client *c, char **argv)
{
    static uint8_t pub[32], tx[16384];
    long tx_len;
    tigress_verifier v;
    tigress_redeem_options ro;
    tigress_wait_options wo;
    tigress_transfer *t = NULL;
    tigress_status st;
    int rc = 1;

    if (unhex(argv[2], pub, sizeof(pub)) != 32 || (tx_len = unhex(argv[3], tx, sizeof(tx))) <= 0)
        return 2;
    tigress_verifier_ed25519(&v, pub);
    tigress_redeem_options_init(&ro, TIGRESS_REDEEM_OPTIONS_VERSION);
    ro.share_url = argv[1];
    ro.verifier = &v;
    if ((st = tigress_redeem(&t, c, &ro)) != TIGRESS_OK)
        return fail(c, "redeem", st);
    printf("flow %s\n", tigress_flow_name(tigress_transfer_flow(t)));
    if ((st = tigress_transfer_update(t, "com.example.pubkey", tx, (size_t)tx_len)) != TIGRESS_OK) {
        rc = fail(c, "update", st);
        goto out;
    }
    printf("flow %s\n", tigress_flow_name(tigress_transfer_flow(t)));
    tigress_transfer_wait_options_init(&wo, TIGRESS_WAIT_OPTIONS_VERSION);
    wo.timeout_ms = 30000;
    if ((st = tigress_transfer_wait(t, &wo)) != TIGRESS_OK) {
        rc = fail(c, "wait for the approval", st);
        goto out;
    }
    printf("%s\n", tigress_state_name(tigress_transfer_state(t)));
    if ((st = tigress_transfer_complete(t)) != TIGRESS_OK) {
        rc = fail(c, "complete", st);
        goto out;
    }
    printf("%s\n", tigress_state_name(tigress_transfer_state(t)));
    rc = 0;
out:
    tigress_transfer_free(t);
    return rc;
}

static int initiator(tigress_client *c, char **argv)
{
    uint8_t seed[32];
    tigress_share_options so;
    tigress_wait_options wo;
    tigress_transfer *t = NULL;
    tigress_ed25519_key *key = NULL;
    tigress_signer signer;
    const uint8_t *tx = NULL;
    size_t tx_len = 0;
    tigress_status st;
    int rc = 1;

    if (unhex(argv[3], seed, sizeof(seed)) != 32)
        return 2;
    tigress_share_options_init(&so, TIGRESS_SHARE_OPTIONS_VERSION);
    if (tigress_payload_type_from_name(&so.payload_type, argv[2]) != TIGRESS_OK)
        return 2;
    so.relay_url = argv[1];
    so.format = "com.example.homekey";
    so.content_json = "{\"door\":\"front\"}";
    so.title = "Home key";
    so.vertical = 'h';
    so.stateful = 1;
    if ((st = tigress_ed25519_key_from_seed(&key, seed, sizeof(seed))) != TIGRESS_OK)
        return fail(c, "key", st);
    if ((st = tigress_share_create(&t, c, &so)) != TIGRESS_OK) {
        rc = fail(c, "share", st);
        goto out;
    }
    printf("%s\n", tigress_transfer_share_url(t));
    fflush(stdout);
    tigress_transfer_wait_options_init(&wo, TIGRESS_WAIT_OPTIONS_VERSION);
    wo.timeout_ms = 30000;
    if ((st = tigress_transfer_wait(t, &wo)) != TIGRESS_OK ||
        (st = tigress_transfer_txinfo(t, NULL, &tx, &tx_len)) != TIGRESS_OK) {
        rc = fail(c, "wait for the TxInfo", st);
        goto out;
    }
    printf("txinfo ");
    for (size_t i = 0; i < tx_len; i++)
        printf("%02x", tx[i]);
    printf("\n");
    fflush(stdout);
    tigress_signer_ed25519(&signer, key);
    if ((st = tigress_transfer_approve(t, &signer)) != TIGRESS_OK) {
        rc = fail(c, "approve", st);
        goto out;
    }
    if ((st = tigress_transfer_wait(t, &wo)) != TIGRESS_OK) {
        rc = fail(c, "wait for completion", st);
        goto out;
    }
    printf("%s\n", tigress_state_name(tigress_transfer_state(t)));
    rc = tigress_transfer_state(t) == TIGRESS_STATE_COMPLETED ? 0 : 1;
out:
    tigress_transfer_free(t);
    tigress_ed25519_key_free(key);
    return rc;
}

int main(int argc, char **argv)
{
    tigress_client_options co;
    tigress_client *c = NULL;
    tigress_status st;
    int rc;

    if (argc != 6 || (strcmp(argv[1], "recipient") != 0 && strcmp(argv[1], "initiator") != 0)) {
        fprintf(stderr, "usage: c_driver recipient CA URL PEER_PUB_HEX TXINFO_HEX\n"
                        "       c_driver initiator CA RELAY PAYLOAD_TYPE SEED_HEX\n");
        return 2;
    }
    if (tigress_global_init() != TIGRESS_OK)
        return 1;
    tigress_client_options_init(&co, TIGRESS_CLIENT_OPTIONS_VERSION);
    co.ca_file = argv[2];
    if ((st = tigress_client_new(&c, &co)) != TIGRESS_OK) {
        rc = fail(NULL, "client", st);
    } else {
        rc = strcmp(argv[1], "recipient") == 0 ? recipient(c, argv + 2) : initiator(c, argv + 2);
        if (rc == 2)
            fprintf(stderr, "c_driver: bad argument\n");
    }
    tigress_client_free(c);
    tigress_global_cleanup();
    return rc;
}
