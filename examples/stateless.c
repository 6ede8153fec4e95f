/*
 * stateless.c: the whole stateless transfer in one process, with two "devices".
 *
 *   Alice (Initiator) shares a credential -> the relay keeps it encrypted in a mailbox ->
 *   Bob (Recipient) redeems the Share URL, decrypts, provisions, completes -> Alice sees it done.
 *
 * Build: cc stateless.c $(pkg-config --cflags --libs libtigress)
 * Run:   ./stateless https://relay.example [CA_FILE]
 */
#include <stdio.h>
#include <tigress.h>

/* Print what failed, from the client's last error, and return 1. */
static int fail(tigress_client *client, tigress_status st, const char *what)
{
    const tigress_error *err = client ? tigress_client_last_error(client) : tigress_error_last();
    fprintf(stderr, "%s failed: %s (%s)\n", what, err->message, tigress_status_name(st));
    return 1;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s RELAY_URL [CA_FILE]\n", argv[0]);
        return 2;
    }
    if (tigress_global_init() != TIGRESS_OK)
        return 1;

    /* Each device has its own client; a private relay's CA goes in the options. */
    tigress_client_options copts;
    tigress_client_options_init(&copts, TIGRESS_CLIENT_OPTIONS_VERSION);
    copts.ca_file = argc > 2 ? argv[2] : NULL;
    tigress_client *alice = NULL, *bob = NULL;
    tigress_transfer *sent = NULL, *got = NULL;
    tigress_status st;
    int rc = 1;
    if ((st = tigress_client_new(&alice, &copts)) != TIGRESS_OK ||
        (st = tigress_client_new(&bob, &copts)) != TIGRESS_OK) {
        rc = fail(NULL, st, "tigress_client_new");
        goto out;
    }

    /* Alice: encrypt the Provisioning Information and create the mailbox. */
    tigress_share_options share;
    tigress_share_options_init(&share, TIGRESS_SHARE_OPTIONS_VERSION);
    share.relay_url = argv[1];
    share.format = "com.example.carkey";
    share.content_json = "{\"vehicle\":\"demo\",\"key\":\"00112233\"}";
    share.title = "Car key";
    share.description = "Open the link on your phone";
    share.vertical = 'c';
    if ((st = tigress_share_create(&sent, alice, &share)) != TIGRESS_OK) {
        rc = fail(alice, st, "share");
        goto out;
    }
    /* The Share URL carries the Secret in its #fragment: send it over any channel. */
    const char *url = tigress_transfer_share_url(sent);
    printf("Alice shared mailbox %s\n", tigress_transfer_mailbox_id(sent));

    /* Bob: redeem (binds this device to the mailbox) and decrypt. */
    tigress_redeem_options redeem;
    tigress_redeem_options_init(&redeem, TIGRESS_REDEEM_OPTIONS_VERSION);
    redeem.share_url = url;
    if ((st = tigress_redeem(&got, bob, &redeem)) != TIGRESS_OK) {
        rc = fail(bob, st, "redeem");
        goto out;
    }
    printf("Bob received \"%s\" (%s): %s\n", tigress_transfer_title(got),
           tigress_transfer_format(got), tigress_transfer_content(got));

    /* Bob provisions the credential, then completes: the relay deletes the mailbox. */
    if ((st = tigress_transfer_complete(got)) != TIGRESS_OK) {
        rc = fail(bob, st, "complete");
        goto out;
    }

    /* Alice: the next read finds the mailbox gone, which means completed. */
    if ((st = tigress_transfer_wait(sent, NULL)) != TIGRESS_OK) {
        rc = fail(alice, st, "wait");
        goto out;
    }
    printf("Alice sees the transfer %s\n", tigress_state_name(tigress_transfer_state(sent)));
    rc = tigress_transfer_state(sent) == TIGRESS_STATE_COMPLETED ? 0 : 1;

out:
    tigress_transfer_free(got);   /* wipes the decrypted content and the Secret */
    tigress_transfer_free(sent);
    tigress_client_free(bob);
    tigress_client_free(alice);
    tigress_global_cleanup();
    return rc;
}
