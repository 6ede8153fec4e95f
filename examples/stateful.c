/*
 * stateful.c: a stateful transfer (TxInfo and a signature) in one process, two "devices".
 *
 *   Alice shares (rights RWD) -> Bob redeems and sends Transaction Information (say, the public
 *   key his car key will use) -> Alice approves by signing it -> Bob verifies the signature
 *   with Alice's public key and completes.
 * Alice's transfer is exported and imported on the way, as an app killed between steps would.
 *
 * Build: cc stateful.c $(pkg-config --cflags --libs libtigress)
 * Run:   ./stateful https://relay.example [CA_FILE]
 */
#include <stdio.h>
#include <tigress.h>

#define CHECK(client, call)                                                             \
    do {                                                                                \
        tigress_status st_ = (call);                                                    \
        if (st_ != TIGRESS_OK) {                                                        \
            fprintf(stderr, "%s failed: %s (%s)\n", #call,                              \
                    tigress_client_last_error(client)->message, tigress_status_name(st_)); \
            goto out;                                                                   \
        }                                                                               \
    } while (0)

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s RELAY_URL [CA_FILE]\n", argv[0]);
        return 2;
    }
    if (tigress_global_init() != TIGRESS_OK)
        return 1;
    tigress_client_options copts;
    tigress_client_options_init(&copts, TIGRESS_CLIENT_OPTIONS_VERSION);
    copts.ca_file = argc > 2 ? argv[2] : NULL;
    tigress_client *alice = NULL, *bob = NULL;
    tigress_transfer *sent = NULL, *got = NULL;
    tigress_ed25519_key *key = NULL;
    tigress_buf saved = {0};
    uint8_t alice_pub[TIGRESS_ED25519_PUBLIC_BYTES];
    int rc = 1;
    CHECK(NULL, tigress_client_new(&alice, &copts));
    CHECK(NULL, tigress_client_new(&bob, &copts));

    /* Alice's signing key; Bob learns the public half out of band (e.g. a paired account). */
    CHECK(alice, tigress_ed25519_key_generate(&key));
    CHECK(alice, tigress_ed25519_key_public(key, alice_pub, sizeof alice_pub));

    tigress_share_options share;
    tigress_share_options_init(&share, TIGRESS_SHARE_OPTIONS_VERSION);
    share.relay_url = argv[1];
    share.format = "com.example.homekey";
    share.content_json = "{\"door\":\"front\"}";
    share.title = "Home key";
    share.vertical = 'h';
    share.stateful = 1;
    share.payload_type = TIGRESS_PAYLOAD_AES_256_GCM;
    CHECK(alice, tigress_share_create(&sent, alice, &share));

    /* The app is killed: it keeps the blob in the Keychain/Keystore and resumes later. */
    CHECK(alice, tigress_transfer_export(sent, 0, &saved));
    tigress_transfer_free(sent);
    sent = NULL;
    CHECK(alice, tigress_transfer_import(&sent, alice, saved.ptr, saved.size, NULL));

    /* Bob redeems with a verifier for Alice's key, then sends his TxInfo. */
    tigress_verifier verifier;
    tigress_verifier_ed25519(&verifier, alice_pub);
    tigress_redeem_options redeem;
    tigress_redeem_options_init(&redeem, TIGRESS_REDEEM_OPTIONS_VERSION);
    redeem.share_url = tigress_transfer_share_url(sent);
    redeem.verifier = &verifier;
    CHECK(bob, tigress_redeem(&got, bob, &redeem));
    static const uint8_t txinfo[] = "bob-device-public-key";
    CHECK(bob, tigress_transfer_update(got, "com.example.devicekey", txinfo, sizeof txinfo - 1));

    /* Alice waits for the TxInfo (a push would call tigress_client_wake), then signs it. */
    CHECK(alice, tigress_transfer_wait(sent, NULL));
    const char *type;
    size_t len;
    CHECK(alice, tigress_transfer_txinfo(sent, &type, NULL, &len));
    printf("Alice got TxInfo of type %s (%zu bytes); state %s\n", type, len,
           tigress_state_name(tigress_transfer_state(sent)));
    tigress_signer signer;
    tigress_signer_ed25519(&signer, key);
    CHECK(alice, tigress_transfer_approve(sent, &signer));

    /* Bob waits for the signature; the library verifies it before moving to SIGNED. */
    CHECK(bob, tigress_transfer_wait(got, NULL));
    printf("Bob: %s, content %s\n", tigress_state_name(tigress_transfer_state(got)),
           tigress_transfer_content(got));
    CHECK(bob, tigress_transfer_complete(got));

    CHECK(alice, tigress_transfer_wait(sent, NULL));
    printf("Alice sees the transfer %s\n", tigress_state_name(tigress_transfer_state(sent)));
    rc = tigress_transfer_state(sent) == TIGRESS_STATE_COMPLETED ? 0 : 1;
out:
    tigress_buf_dispose(&saved); /* wipes: the blob holds the Secret */
    tigress_transfer_free(got);
    tigress_transfer_free(sent);
    tigress_ed25519_key_free(key);
    tigress_client_free(bob);
    tigress_client_free(alice);
    tigress_global_cleanup();
    return rc;
}
