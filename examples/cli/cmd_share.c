/* `tigress share` (Initiator) and `tigress redeem` (Recipient): the two ends of a Share URL. */
#include "cli.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

/* "TYPE:DATA" -> type (copied into buf) and data (pointer into arg). */
static int split_push_token(cli_ctx *ctx, const char *arg, char *type, size_t cap,
                            const char **data)
{
    const char *colon = arg ? strchr(arg, ':') : NULL;
    if (colon == NULL || colon == arg || colon[1] == '\0' || (size_t)(colon - arg) >= cap)
        return cli_fail(ctx, CLI_EXIT_USAGE, "--push-token must be TYPE:DATA, e.g. "
                        "webpush:https://push.example/token");
    memcpy(type, arg, (size_t)(colon - arg));
    type[colon - arg] = '\0';
    *data = colon + 1;
    return 0;
}

static int refuse_busy_state(cli_ctx *ctx)
{
    int rc = cli_state_writable(ctx);
    if (rc != 0 || !cli_state_busy(ctx))
        return rc;
    return cli_fail(ctx, CLI_EXIT_USAGE, "%s already holds a transfer that is not finished; "
                    "use another --state file, or --force to overwrite it", ctx->state_path);
}

static int parse_share_options(cli_ctx *ctx, tigress_share_options *o, char **content)
{
    char *const *v = ctx->args.val;
    static const cli_opt required[] = {OPT_RELAY, OPT_FORMAT, OPT_CONTENT, OPT_TITLE};
    static const char *const names[] = {"--relay URL", "--format F", "--content JSON|@FILE",
                                        "--title T"};
    for (size_t i = 0; i < sizeof required / sizeof required[0]; i++)
        if (v[required[i]] == NULL)
            return cli_fail(ctx, CLI_EXIT_USAGE, "%s is required (see `tigress share --help`)",
                            names[i]);
    tigress_share_options_init(o, TIGRESS_SHARE_OPTIONS_VERSION);
    o->relay_url = v[OPT_RELAY];
    o->format = v[OPT_FORMAT];
    o->title = v[OPT_TITLE];
    o->description = v[OPT_DESCRIPTION];
    o->image_url = v[OPT_IMAGE_URL];
    o->stateful = ctx->args.set[OPT_STATEFUL];
    if (v[OPT_EXPIRES] && cli_parse_when(v[OPT_EXPIRES], cli_now(), &o->expires_at) != 0)
        return cli_fail(ctx, CLI_EXIT_USAGE, "--expires: '%s' is neither a duration (10m, 2h, "
                        "1d) nor an RFC 3339 time (2026-01-02T15:04:05Z)", v[OPT_EXPIRES]);
    if (v[OPT_VERTICAL]) {
        const char *vert = v[OPT_VERTICAL];
        if (strlen(vert) != 1 || strchr("ahc", vert[0]) == NULL)
            return cli_fail(ctx, CLI_EXIT_USAGE, "--vertical must be a (access), h "
                            "(hospitality) or c (car)");
        o->vertical = vert[0];
    }
    if (v[OPT_PAYLOAD_TYPE]) {
        char name[40];
        snprintf(name, sizeof name, "%s", v[OPT_PAYLOAD_TYPE]);
        for (char *p = name; *p; p++)
            *p = (char)toupper((unsigned char)*p);
        if (tigress_payload_type_from_name(&o->payload_type, name) != TIGRESS_OK)
            return cli_fail(ctx, CLI_EXIT_USAGE, "--payload-type must be XSALSA20_POLY1305, "
                            "AEAD_AES_128_GCM or AEAD_AES_256_GCM");
    }
    if (cli_read_arg(v[OPT_CONTENT], content, NULL) != 0)
        return cli_fail(ctx, CLI_EXIT_USAGE, "cannot read --content %s", v[OPT_CONTENT]);
    o->content_json = *content;
    return 0;
}

int cli_cmd_share(cli_ctx *ctx)
{
    tigress_share_options o;
    char *content = NULL, push_type[64];
    int rc = refuse_busy_state(ctx);
    if (rc == 0)
        rc = parse_share_options(ctx, &o, &content);
    if (rc == 0 && ctx->args.val[OPT_PUSH_TOKEN]) {
        rc = split_push_token(ctx, ctx->args.val[OPT_PUSH_TOKEN], push_type, sizeof push_type,
                              &o.notification_token_data);
        o.notification_token_type = push_type;
    }
    if (rc == 0)
        rc = cli_client_open(ctx);
    if (rc != 0) {
        cli_secure_free(content);
        return rc;
    }
    tigress_status st = tigress_share_create(&ctx->transfer, ctx->client, &o);
    cli_secure_free(content);
    if (st != TIGRESS_OK)
        return cli_fail_status(ctx, st, "sharing");
    if ((rc = cli_state_save(ctx)) != 0)
        return rc;

    const tigress_transfer *t = ctx->transfer;
    int apart = ctx->args.set[OPT_SECRET_APART];
    const char *secret = tigress_secret_text(tigress_transfer_secret(t));
    out_begin(ctx);
    out_str(ctx, "mailbox_id", "Mailbox:", tigress_transfer_mailbox_id(t));
    out_str(ctx, "state", "State:", tigress_state_name(tigress_transfer_state(t)));
    out_bool(ctx, "stateful", "Stateful:", tigress_transfer_is_stateful(t));
    out_str(ctx, "flow", "Flow:", tigress_flow_name(tigress_transfer_flow(t)));
    out_str(ctx, "payload_type", "Payload type:",
            tigress_payload_type_name(tigress_transfer_payload_type(t)));
    out_time(ctx, "expires", "Expires:", tigress_transfer_expires_at(t));
    out_bool(ctx, "push_supported", "Push:", tigress_transfer_push_supported(t));
    if (ctx->state_path)
        out_str(ctx, "state_file", "State file:", ctx->state_path);
    if (apart) {
        out_str(ctx, "url", "URL:", tigress_transfer_url(t));
        out_str(ctx, "secret", "Secret:", secret);
    } else {
        out_str(ctx, "share_url", "Share URL:", tigress_transfer_share_url(t));
    }
    if (!ctx->state_path)
        out_note(ctx, "Note: without --state this transfer cannot be waited for or revoked.");
    else if (tigress_transfer_is_stateful(t))
        out_note(ctx, "Next: send the URL; then `tigress wait --state %s` for the TxInfo.",
                 ctx->state_path);
    else
        out_note(ctx, "Next: send the URL; `tigress wait --state %s` reports completion.",
                 ctx->state_path);
    out_end(ctx);
    if (ctx->args.set[OPT_QR]) {
        /* stdout holds the JSON object in --json mode: the picture goes to stderr then. */
        if (cli_print_qr(ctx->json ? stderr : stdout,
                         apart ? tigress_transfer_url(t) : tigress_transfer_share_url(t)) != 0)
            return cli_fail(ctx, CLI_EXIT_OTHER, "cannot encode the URL as a QR code");
    }
    return CLI_EXIT_OK;
}

/* Without a #fragment and without --secret there is nothing to decrypt with: say so before
 * anything is sent (the relay would bind this device to the mailbox for nothing). */
static int require_secret(cli_ctx *ctx, const char *url)
{
    const char *frag = strchr(url, '#');
    if ((frag != NULL && frag[1] != '\0') || ctx->secret != NULL)
        return 0;
    int rc = cli_fail(ctx, CLI_EXIT_USAGE, "no Secret: the URL has no #fragment and no "
                      "--secret was given");
    fputs("  hint: pass --secret S (or @FILE, @-) when the Secret was sent apart, or the whole "
          "Share URL with its #fragment\n", stderr);
    return rc;
}

int cli_cmd_redeem(cli_ctx *ctx)
{
    char *url = NULL;
    int rc = cli_take_url(ctx, &url);
    if (rc == 0)
        rc = require_secret(ctx, url);
    if (rc == 0)
        rc = refuse_busy_state(ctx);
    if (rc == 0)
        rc = cli_client_open(ctx);
    tigress_redeem_options o;
    tigress_redeem_options_init(&o, TIGRESS_REDEEM_OPTIONS_VERSION);
    o.share_url = url;
    o.secret = ctx->secret;
    char push_type[64];
    if (rc == 0 && ctx->args.val[OPT_PUSH_TOKEN]) {
        rc = split_push_token(ctx, ctx->args.val[OPT_PUSH_TOKEN], push_type, sizeof push_type,
                              &o.notification_token_data);
        o.notification_token_type = push_type;
    }
    if (rc != 0) {
        cli_secure_free(url);
        return rc;
    }
    if (ctx->meta.has_peer_key) {
        tigress_verifier_ed25519(&ctx->verifier, ctx->meta.peer_key);
        o.verifier = &ctx->verifier;
    }
    tigress_status st = tigress_redeem(&ctx->transfer, ctx->client, &o);
    cli_secure_free(url);
    if (st != TIGRESS_OK)
        return cli_fail_status(ctx, st, "redeeming");
    if ((rc = cli_state_save(ctx)) != 0)
        return rc;

    const tigress_transfer *t = ctx->transfer;
    out_begin(ctx);
    out_str(ctx, "title", "Title:", tigress_transfer_title(t));
    if (ctx->json || *tigress_transfer_description(t))
        out_str(ctx, "description", "Description:", tigress_transfer_description(t));
    out_str(ctx, "image_url", "Image:", tigress_transfer_image_url(t));
    out_str(ctx, "format", "Format:", tigress_transfer_format(t));
    out_raw_json(ctx, "content", "Content:", tigress_transfer_content(t));
    out_str(ctx, "mailbox_id", "Mailbox:", tigress_transfer_mailbox_id(t));
    out_str(ctx, "state", "State:", tigress_state_name(tigress_transfer_state(t)));
    out_bool(ctx, "stateful", "Stateful:", tigress_transfer_is_stateful(t));
    out_str(ctx, "flow", "Flow:", tigress_flow_name(tigress_transfer_flow(t)));
    out_str(ctx, "payload_type", "Payload type:",
            tigress_payload_type_name(tigress_transfer_payload_type(t)));
    out_time(ctx, "expires", "Expires:", tigress_transfer_expires_at(t));
    const char *sp = ctx->state_path ? ctx->state_path : "FILE";
    if (!ctx->state_path)
        out_note(ctx, "Note: without --state this transfer cannot be completed from the CLI.");
    else if (tigress_transfer_flow(t) == TIGRESS_FLOW_UNKNOWN)
        out_note(ctx, "Next: the Initiator's message does not say whether the flow is stateful "
                 "(another implementation); as the format requires, either `tigress update "
                 "--state %s --txinfo-type T --txinfo HEX`%s or `tigress complete --state %s`",
                 sp, ctx->meta.has_peer_key ? "" : " (and pass --peer-key HEX to `wait`)", sp);
    else if (tigress_transfer_is_stateful(t))
        out_note(ctx, "Next: `tigress update --state %s --txinfo-type T --txinfo HEX`%s", sp,
                 ctx->meta.has_peer_key ? "" : " (and pass --peer-key HEX to `wait`)");
    else
        out_note(ctx, "Next: provision the credential, then `tigress complete --state %s`", sp);
    out_end(ctx);
    return CLI_EXIT_OK;
}
