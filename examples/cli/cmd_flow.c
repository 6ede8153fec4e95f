/* The commands that continue a saved transfer: update, wait, approve, complete, revoke,
 * relinquish, status. Each loads --state, makes one library call, and saves the state again
 * (a failed network call leaves the transfer as it was, so saving is always safe). */
#include "cli.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int is_final(tigress_state s)
{
    return s >= TIGRESS_STATE_COMPLETED;
}

/* A command on a finished transfer: say so, with the "gone" code for revoked/expired. */
static int refuse_final(cli_ctx *ctx)
{
    tigress_state s = tigress_transfer_state(ctx->transfer);
    if (!is_final(s))
        return 0;
    int code = (s == TIGRESS_STATE_REVOKED || s == TIGRESS_STATE_EXPIRED) ? CLI_EXIT_GONE
                                                                          : CLI_EXIT_USAGE;
    return cli_fail(ctx, code, "the transfer is already %s; nothing left to do", 
                    tigress_state_name(s));
}

/* Print the TxInfo (type and hex) and the signature algorithm, when the transfer has them. */
static void out_round_trip(cli_ctx *ctx)
{
    const char *type = NULL, *alg = NULL;
    const uint8_t *data = NULL, *sig = NULL;
    size_t len = 0, sig_len = 0;
    if (tigress_transfer_txinfo(ctx->transfer, &type, &data, &len) == TIGRESS_OK) {
        char *hex = malloc(2 * len + 1);
        if (hex) {
            cli_hex_encode(data, len, hex);
            out_str(ctx, "txinfo_type", "TxInfo type:", type);
            out_str(ctx, "txinfo", "TxInfo:", hex);
            free(hex);
        }
    }
    if (tigress_transfer_signature(ctx->transfer, &alg, &sig, &sig_len) == TIGRESS_OK)
        out_str(ctx, "signature_alg", "Signature:", alg);
}

static int load(cli_ctx *ctx)
{
    int rc = cli_state_load(ctx);
    return rc ? rc : refuse_final(ctx);
}

/* Save, then report status st of the call named what. */
static int finish(cli_ctx *ctx, tigress_status st, const char *what)
{
    int rc = cli_state_save(ctx);
    if (st != TIGRESS_OK)
        return cli_fail_status(ctx, st, what);
    return rc;
}

static void out_state(cli_ctx *ctx)
{
    out_str(ctx, "state", "State:", tigress_state_name(tigress_transfer_state(ctx->transfer)));
}

int cli_cmd_update(cli_ctx *ctx)
{
    const char *type = ctx->args.val[OPT_TXINFO_TYPE], *arg = ctx->args.val[OPT_TXINFO];
    if (type == NULL || arg == NULL)
        return cli_fail(ctx, CLI_EXIT_USAGE, "--txinfo-type T and --txinfo HEX|@FILE are required");
    int rc = load(ctx);
    if (rc != 0)
        return rc;
    char *bytes = NULL;
    size_t len = 0;
    if (arg[0] == '@') {
        if (cli_read_file(arg + 1, &bytes, &len) != 0)
            return cli_fail(ctx, CLI_EXIT_USAGE, "cannot read %s: %s", arg + 1, strerror(errno));
    } else {
        bytes = cli_secure_strdup(arg); /* big enough: hex decodes to half its length */
        long n = bytes ? cli_hex_decode(arg, (uint8_t *)bytes, strlen(arg)) : -1;
        if (n < 0) {
            cli_secure_free(bytes);
            return cli_fail(ctx, CLI_EXIT_USAGE, "--txinfo must be hex digits or @FILE");
        }
        len = (size_t)n;
    }
    tigress_status st = tigress_transfer_update(ctx->transfer, type, (const uint8_t *)bytes, len);
    cli_secure_free(bytes);
    if ((rc = finish(ctx, st, "sending the TxInfo")) != 0)
        return rc;
    out_begin(ctx);
    out_state(ctx);
    out_round_trip(ctx);
    out_note(ctx, "Sent. Next: the Initiator approves; then `tigress wait --state %s%s`.",
             ctx->state_path, ctx->meta.has_peer_key ? "" : " --peer-key HEX");
    out_end(ctx);
    return CLI_EXIT_OK;
}

static void progress(unsigned int attempt, long next_delay_ms, void *user_data)
{
    (void)user_data;
    if (next_delay_ms > 0)
        fprintf(stderr, "tigress wait: no news yet (check %u); next check in %.0f s\n", attempt,
                next_delay_ms / 1000.0);
    else
        fprintf(stderr, "tigress wait: waiting for the peer (check %u)...\n", attempt);
}

int cli_cmd_wait(cli_ctx *ctx)
{
    int rc = load(ctx);
    if (rc != 0)
        return rc;
    tigress_wait_options w;
    tigress_transfer_wait_options_init(&w, TIGRESS_WAIT_OPTIONS_VERSION);
    if (ctx->args.val[OPT_TIMEOUT] && cli_parse_duration_ms(ctx->args.val[OPT_TIMEOUT],
                                                            &w.timeout_ms) != 0)
        return cli_fail(ctx, CLI_EXIT_USAGE, "--timeout must be a duration such as 30s, 5m, 1h");
    if (!ctx->args.set[OPT_QUIET])
        w.progress = progress;
    tigress_transfer *t = ctx->transfer;
    if (tigress_transfer_role(t) == TIGRESS_ROLE_RECIPIENT && tigress_transfer_is_stateful(t) &&
        !ctx->meta.has_peer_key)
        return cli_fail(ctx, CLI_EXIT_USAGE, "pass --peer-key HEX (the Initiator's public key "
                        "from `tigress keygen`) to verify its approval");
    tigress_state before = tigress_transfer_state(t);
    int64_t start = cli_now_ms();
    tigress_status st = tigress_transfer_wait(t, &w);
    /* TIGRESS_E_TIMEOUT is also a request that timed out (network, exit 3); only our own
     * --timeout having run out means "no answer yet" (exit 7). */
    if (st == TIGRESS_E_TIMEOUT && w.timeout_ms > 0 && cli_now_ms() - start >= w.timeout_ms) {
        if ((rc = cli_state_save(ctx)) != 0)
            return rc;
        return cli_fail(ctx, CLI_EXIT_WAIT_TIMEOUT, "--timeout %s elapsed and the peer has not "
                        "answered yet; the transfer is unchanged (state %s): run wait again "
                        "later", ctx->args.val[OPT_TIMEOUT], tigress_state_name(before));
    }
    if ((rc = finish(ctx, st, "waiting")) != 0)
        return rc;
    tigress_state now = tigress_transfer_state(t);
    out_begin(ctx);
    out_str(ctx, "previous_state", "Was:", tigress_state_name(before));
    out_state(ctx);
    out_round_trip(ctx);
    switch (now) {
    case TIGRESS_STATE_TXINFO_RECEIVED:
        out_note(ctx, "The Recipient sent its TxInfo. Approve it with "
                 "`tigress approve --state %s --key FILE`.", ctx->state_path);
        break;
    case TIGRESS_STATE_SIGNED:
        out_note(ctx, "The Initiator's signature is valid. Provision the credential, then "
                 "`tigress complete --state %s`.", ctx->state_path);
        break;
    case TIGRESS_STATE_COMPLETED:
        out_note(ctx, "The Recipient completed the transfer; the mailbox is gone.");
        break;
    default:
        break;
    }
    out_end(ctx);
    return CLI_EXIT_OK;
}

int cli_cmd_approve(cli_ctx *ctx)
{
    const char *path = ctx->args.val[OPT_KEY];
    if (path == NULL)
        return cli_fail(ctx, CLI_EXIT_USAGE, "--key FILE is required (make one with "
                        "`tigress keygen --key FILE`)");
    int rc = load(ctx);
    tigress_ed25519_key *key = NULL;
    if (rc != 0 || (rc = cli_load_key(ctx, path, &key)) != 0)
        return rc;
    tigress_signer signer;
    tigress_signer_ed25519(&signer, key);
    tigress_status st = tigress_transfer_approve(ctx->transfer, &signer);
    tigress_ed25519_key_free(key);
    if ((rc = finish(ctx, st, "approving")) != 0)
        return rc;
    out_begin(ctx);
    out_state(ctx);
    out_round_trip(ctx);
    out_note(ctx, "Signed and sent. `tigress wait --state %s` reports completion.",
             ctx->state_path);
    out_end(ctx);
    return CLI_EXIT_OK;
}

/* complete, revoke, relinquish: one call, no arguments. */
static int simple(cli_ctx *ctx, tigress_status (*fn)(tigress_transfer *), const char *what,
                  const char *done)
{
    int rc = load(ctx);
    if (rc != 0)
        return rc;
    tigress_status st = fn(ctx->transfer);
    if ((rc = finish(ctx, st, what)) != 0)
        return rc;
    out_begin(ctx);
    out_str(ctx, "mailbox_id", "Mailbox:", tigress_transfer_mailbox_id(ctx->transfer));
    out_state(ctx);
    out_note(ctx, "%s", done);
    out_end(ctx);
    return CLI_EXIT_OK;
}

int cli_cmd_complete(cli_ctx *ctx)
{
    return simple(ctx, tigress_transfer_complete, "completing",
                  "Done: the mailbox is deleted and the transfer is complete.");
}

int cli_cmd_revoke(cli_ctx *ctx)
{
    return simple(ctx, tigress_transfer_revoke, "revoking",
                  "Revoked: the Share URL no longer works.");
}

int cli_cmd_relinquish(cli_ctx *ctx)
{
    return simple(ctx, tigress_transfer_relinquish, "relinquishing",
                  "Released: another device may now redeem the Share URL.");
}

int cli_cmd_status(cli_ctx *ctx)
{
    int rc = cli_state_load(ctx);
    if (rc != 0)
        return rc;
    tigress_transfer *t = ctx->transfer;
    if (ctx->args.set[OPT_POLL] && !is_final(tigress_transfer_state(t))) {
        tigress_status st = tigress_transfer_poll(t);
        if (st == TIGRESS_E_AGAIN)
            st = TIGRESS_OK;
        if ((rc = finish(ctx, st, "checking the relay")) != 0)
            return rc;
    }
    out_begin(ctx);
    out_transfer(ctx, t);
    out_bool(ctx, "push_supported", "Push:", tigress_transfer_push_supported(t));
    out_bool(ctx, "has_secret", "Has Secret:", tigress_transfer_secret(t) != NULL);
    out_round_trip(ctx);
    if (ctx->args.set[OPT_SHOW_CONTENT])
        out_raw_json(ctx, "content", "Content:", tigress_transfer_content(t));
    out_end(ctx);
    return CLI_EXIT_OK;
}
