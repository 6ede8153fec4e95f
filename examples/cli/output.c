/* Output: "Label: value" lines for people, or exactly one JSON object on stdout for scripts.
 * Text values are escaped for the terminal (text.c); JSON values are exactly what was received
 * (only bytes that are not UTF-8, which JSON cannot carry, become U+FFFD; text.c).
 * Errors go to stderr as one sentence naming the problem (and, with --json, also as a JSON
 * object on stdout so that a script always gets one parseable object). */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int json_first; /* no comma before the next member */

void out_json_string(const char *s)
{
    cli_json_write_string(stdout, s);
}

static void json_key(const char *key)
{
    if (!json_first)
        putchar(',');
    json_first = 0;
    out_json_string(key);
    putchar(':');
}

void out_begin(cli_ctx *ctx)
{
    json_first = 0;
    if (ctx->json)
        fputs("{\"ok\":true", stdout);
}

void out_end(cli_ctx *ctx)
{
    if (ctx->json)
        puts("}");
    fflush(stdout);
}

/* "Label: value" for people. The value may come from the peer or the relay: it is escaped
 * (cli_text_escape) so that it cannot drive the terminal or start a line of its own. */
static void text_line(const char *label, const char *value)
{
    char *safe = cli_text_escape(value);
    printf("%-13s %s\n", label, safe ? safe : "(not shown: out of memory)");
    free(safe);
}

void out_str(cli_ctx *ctx, const char *key, const char *label, const char *value)
{
    if (ctx->json) {
        json_key(key);
        if (value)
            out_json_string(value);
        else
            fputs("null", stdout);
    } else if (value && *value) {
        text_line(label, value);
    }
}

void out_int(cli_ctx *ctx, const char *key, const char *label, long long value)
{
    if (ctx->json) {
        json_key(key);
        printf("%lld", value);
    } else {
        printf("%-13s %lld\n", label, value);
    }
}

void out_bool(cli_ctx *ctx, const char *key, const char *label, int value)
{
    if (ctx->json) {
        json_key(key);
        fputs(value ? "true" : "false", stdout);
    } else {
        printf("%-13s %s\n", label, value ? "yes" : "no");
    }
}

void out_raw_json(cli_ctx *ctx, const char *key, const char *label, const char *json)
{
    if (json == NULL)
        return;
    if (ctx->json) {
        json_key(key);
        fputs(json, stdout);
    } else {
        text_line(label, json);
    }
}

void out_time(cli_ctx *ctx, const char *key, const char *label, int64_t unix_s)
{
    char buf[40];
    cli_format_time(unix_s, buf, sizeof buf);
    out_str(ctx, key, label, buf);
}

void out_note(cli_ctx *ctx, const char *fmt, ...)
{
    if (ctx->json)
        return;
    va_list ap;
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    putchar('\n');
}

void out_transfer(cli_ctx *ctx, const tigress_transfer *t)
{
    tigress_role role = tigress_transfer_role(t);
    out_str(ctx, "role", "Role:", role == TIGRESS_ROLE_INITIATOR ? "initiator" : "recipient");
    out_str(ctx, "state", "State:", tigress_state_name(tigress_transfer_state(t)));
    out_str(ctx, "mailbox_id", "Mailbox:", tigress_transfer_mailbox_id(t));
    out_str(ctx, "url", "URL:", tigress_transfer_url(t));
    out_str(ctx, "title", "Title:", tigress_transfer_title(t));
    if (ctx->json || (tigress_transfer_description(t) && *tigress_transfer_description(t)))
        out_str(ctx, "description", "Description:", tigress_transfer_description(t));
    out_str(ctx, "image_url", "Image:", tigress_transfer_image_url(t));
    out_str(ctx, "format", "Format:", tigress_transfer_format(t));
    out_bool(ctx, "stateful", "Stateful:", tigress_transfer_is_stateful(t));
    out_str(ctx, "flow", "Flow:", tigress_flow_name(tigress_transfer_flow(t)));
    out_str(ctx, "payload_type", "Payload type:",
            tigress_payload_type_name(tigress_transfer_payload_type(t)));
    out_time(ctx, "expires", "Expires:", tigress_transfer_expires_at(t));
}

int cli_exit_for_status(int status)
{
    switch (status) {
    case TIGRESS_OK:
        return CLI_EXIT_OK;
    case TIGRESS_E_INVALID: case TIGRESS_E_URL: case TIGRESS_E_INSECURE:
    case TIGRESS_E_NOT_ALLOWED: case TIGRESS_E_STATE: case TIGRESS_E_UNSUPPORTED:
        return CLI_EXIT_USAGE;
    case TIGRESS_E_NETWORK: case TIGRESS_E_TLS: case TIGRESS_E_TIMEOUT:
        return CLI_EXIT_NETWORK;
    case TIGRESS_E_BAD_REQUEST: case TIGRESS_E_UNAUTHORIZED: case TIGRESS_E_TOO_LARGE:
    case TIGRESS_E_RATE_LIMITED: case TIGRESS_E_UNAVAILABLE: case TIGRESS_E_SERVER:
        return CLI_EXIT_REFUSED;
    case TIGRESS_E_CRYPTO: case TIGRESS_E_KEY: case TIGRESS_E_SIGNATURE:
        return CLI_EXIT_CRYPTO;
    case TIGRESS_E_NOT_FOUND: case TIGRESS_E_EXPIRED: case TIGRESS_E_REVOKED:
        return CLI_EXIT_GONE;
    case TIGRESS_E_CANCELLED:
        return CLI_EXIT_INTERRUPTED;
    default:
        return CLI_EXIT_OTHER;
    }
}

static void print_json_error(int exit_code, const char *name, const char *msg, int http)
{
    printf("{\"ok\":false,\"error\":{\"code\":");
    out_json_string(name);
    printf(",\"message\":");
    out_json_string(msg);
    printf(",\"http_status\":%d,\"exit_code\":%d}}\n", http, exit_code);
    fflush(stdout);
}

int cli_fail(cli_ctx *ctx, int exit_code, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    fprintf(stderr, "tigress%s%s: %s\n", ctx && ctx->cmd ? " " : "",
            ctx && ctx->cmd ? ctx->cmd->name : "", msg);
    if (ctx && ctx->json)
        print_json_error(exit_code, exit_code == CLI_EXIT_USAGE ? "usage" : "error", msg, 0);
    return exit_code;
}

/* A next step for the person reading the error, when one is obvious. */
static const char *hint_for(int status)
{
    switch (status) {
    case TIGRESS_E_TLS:
        return "pass --ca-file with the CA certificate that signed the relay's certificate";
    case TIGRESS_E_NETWORK:
        return "check the relay URL and that the relay is running; the transfer is unchanged, "
               "run the same command again";
    case TIGRESS_E_TIMEOUT:
        return "nothing changed; run the same command again to keep waiting";
    case TIGRESS_E_CRYPTO:
        return "the Secret does not match this link (check --secret or the #fragment)";
    case TIGRESS_E_KEY:
        return "the Secret is not valid Base64 of the right length";
    case TIGRESS_E_NOT_FOUND:
        return "the link was completed, revoked, or it expired; ask the sender for a new one";
    case TIGRESS_E_EXPIRED:
        return "the transfer passed its expiry time; share again for a new link";
    case TIGRESS_E_UNAUTHORIZED:
        return "another device already redeemed this link, or this device is not part of it";
    case TIGRESS_E_INSECURE:
        return "use an https:// relay (http:// only to 127.0.0.1 with --insecure-loopback)";
    case TIGRESS_E_RATE_LIMITED: case TIGRESS_E_UNAVAILABLE:
        return "retry later";
    default:
        return NULL;
    }
}

int cli_fail_status(cli_ctx *ctx, int status, const char *what)
{
    const tigress_error *err = ctx->client ? tigress_client_last_error(ctx->client)
                                           : tigress_error_last();
    const char *detail = (err->code == status && err->message && *err->message)
                             ? err->message : tigress_strerror(status);
    int http = err->code == status ? err->http_status : 0;
    int code = cli_exit_for_status(status);
    const char *hint = hint_for(status);
    fprintf(stderr, "tigress %s: %s failed: %s (%s", ctx->cmd->name, what, detail,
            tigress_status_name(status));
    if (http)
        fprintf(stderr, ", HTTP %d", http);
    fputs(")\n", stderr);
    if (hint)
        fprintf(stderr, "  hint: %s\n", hint);
    if (ctx->json)
        print_json_error(code, tigress_status_name(status), detail, http);
    return code;
}
