/*
 * tigress: share and receive digital credentials through a TIGRESS relay from the shell.
 *
 * main.c holds the command table, the option parser, --help, and Ctrl-C handling (a signal
 * thread turns SIGINT/SIGTERM into tigress_client_cancel(), which leaves the transfer as it
 * was before the interrupted call).
 */
#include "cli.h"

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

#include <sodium.h>

typedef struct opt_def {
    const char *name;
    const char *arg;   /* NULL for a flag */
    const char *help;
} opt_def;

static const opt_def OPTS[OPT__COUNT] = {
    [OPT_HELP] = {"help", NULL, "show this help"},
    [OPT_STATE] = {"state", "FILE", "the transfer's state file (created 0600; keep it private: "
                   "it holds the Secret unless --state-without-secret)"},
    [OPT_CA_FILE] = {"ca-file", "FILE", "PEM CA certificate(s) to trust for the relay "
                     "(remembered in the state file)"},
    [OPT_JSON] = {"json", NULL, "print one JSON object on stdout instead of text"},
    [OPT_INSECURE_LOOPBACK] = {"insecure-loopback", NULL, "allow http:// to 127.0.0.1, ::1 "
                               "and localhost (local testing only; never other hosts)"},
    [OPT_STATE_WITHOUT_SECRET] = {"state-without-secret", NULL, "leave the Secret out of the "
                                  "state file; later commands then need --secret"},
    [OPT_SECRET] = {"secret", "S", "the Secret, when it was sent apart from the URL "
                    "(S, @FILE, or @- for stdin)"},
    [OPT_FORCE] = {"force", NULL, "overwrite a state file or key file that is in use"},
    [OPT_RELAY] = {"relay", "URL", "relay base URL, e.g. https://relay.example"},
    [OPT_FORMAT] = {"format", "F", "Provisioning Information format (partner-defined)"},
    [OPT_CONTENT] = {"content", "JSON|@FILE", "Provisioning Information content: a JSON object"},
    [OPT_TITLE] = {"title", "T", "title shown in link previews (public: nothing identifying)"},
    [OPT_DESCRIPTION] = {"description", "D", "description shown in link previews (public)"},
    [OPT_IMAGE_URL] = {"image-url", "U", "https image URL shown in link previews"},
    [OPT_EXPIRES] = {"expires", "WHEN", "expiry: a duration (30m, 2h, 1d, 1h30m) or RFC 3339 "
                     "time (2026-01-02T15:04:05Z); default 24h"},
    [OPT_VERTICAL] = {"vertical", "a|h|c", "credential vertical in the URL: a = access, "
                      "h = hospitality, c = car"},
    [OPT_PAYLOAD_TYPE] = {"payload-type", "TYPE", "XSALSA20_POLY1305 (default), "
                          "AEAD_AES_128_GCM or AEAD_AES_256_GCM"},
    [OPT_STATEFUL] = {"stateful", NULL, "TxInfo/signature round trips (update, approve)"},
    [OPT_SECRET_APART] = {"secret-apart", NULL, "print the URL and the Secret separately, "
                          "to send over two channels"},
    [OPT_QR] = {"qr", NULL, "also print the Share URL as a QR code (UTF-8 half blocks)"},
    [OPT_PUSH_TOKEN] = {"push-token", "TYPE:DATA", "this device's push token, e.g. "
                        "webpush:https://push.example/abc"},
    [OPT_PEER_KEY] = {"peer-key", "HEX", "the Initiator's Ed25519 public key (from its "
                      "`tigress keygen`), to verify its approval"},
    [OPT_TXINFO_TYPE] = {"txinfo-type", "T", "Transaction Information type (partner-defined)"},
    [OPT_TXINFO] = {"txinfo", "HEX|@FILE", "Transaction Information bytes, hex or a file"},
    [OPT_TIMEOUT] = {"timeout", "DURATION", "give up after this long (30s, 5m, 1h); "
                     "default: until the transfer expires"},
    [OPT_KEY] = {"key", "FILE", "Ed25519 seed file written by `tigress keygen`"},
    [OPT_POLL] = {"poll", NULL, "ask the relay once for news before printing"},
    [OPT_SHOW_CONTENT] = {"show-content", NULL, "also print the decrypted content"},
    [OPT_QUIET] = {"quiet", NULL, "no progress messages on stderr"},
};

#define COMMON OPT_STATE, OPT_CA_FILE, OPT_JSON, OPT_INSECURE_LOOPBACK, OPT_HELP
static const cli_opt share_opts[] = {
    OPT_RELAY, OPT_FORMAT, OPT_CONTENT, OPT_TITLE, OPT_DESCRIPTION, OPT_IMAGE_URL, OPT_EXPIRES,
    OPT_VERTICAL, OPT_PAYLOAD_TYPE, OPT_STATEFUL, OPT_SECRET_APART, OPT_QR, OPT_PUSH_TOKEN,
    OPT_STATE_WITHOUT_SECRET, OPT_FORCE, COMMON, OPT__COUNT};
static const cli_opt redeem_opts[] = {OPT_SECRET, OPT_PEER_KEY, OPT_PUSH_TOKEN,
    OPT_STATE_WITHOUT_SECRET, OPT_FORCE, COMMON, OPT__COUNT};
static const cli_opt update_opts[] = {OPT_TXINFO_TYPE, OPT_TXINFO, OPT_SECRET, COMMON, OPT__COUNT};
static const cli_opt wait_opts[] = {OPT_TIMEOUT, OPT_PEER_KEY, OPT_SECRET, OPT_QUIET, COMMON,
    OPT__COUNT};
static const cli_opt approve_opts[] = {OPT_KEY, OPT_SECRET, COMMON, OPT__COUNT};
static const cli_opt simple_opts[] = {OPT_SECRET, COMMON, OPT__COUNT};
static const cli_opt status_opts[] = {OPT_POLL, OPT_SHOW_CONTENT, OPT_PEER_KEY, OPT_SECRET,
    COMMON, OPT__COUNT};
static const cli_opt keygen_opts[] = {OPT_KEY, OPT_FORCE, OPT_JSON, OPT_HELP, OPT__COUNT};
static const cli_opt preview_opts[] = {OPT_SECRET, COMMON, OPT__COUNT};
static const cli_opt version_opts[] = {OPT_JSON, OPT_HELP, OPT__COUNT};

static const cli_cmd COMMANDS[] = {
    {"share", "--relay URL --format F --content JSON|@FILE --title T [options]",
     "Initiator: encrypt a credential, create a mailbox, print the Share URL",
     "Creates a mailbox on the relay holding the encrypted Provisioning Information and prints "
     "the Share URL (https://relay/v1/m/ID?v=V#SECRET). Send it to the other person over any "
     "channel; with --secret-apart send the Secret over a second one. Use --state to be able to "
     "wait, approve or revoke later.",
     share_opts, 0, 0, cli_cmd_share},
    {"redeem", "URL|@FILE|@- [--secret S] [--state FILE]",
     "Recipient: read and decrypt a Share URL (binds this device to the mailbox)",
     "Reads the mailbox named by URL, binding it to this device (no other device can redeem it "
     "afterwards), and decrypts the credential with the Secret from the URL's #fragment or "
     "--secret. The fragment never leaves this machine. Give the URL as @FILE (a file holding "
     "it) or @- (read it from stdin) to keep the Secret off the command line, where other "
     "users can see it (ps); a URL typed as an argument has its #fragment blanked before "
     "anything is sent. Then run `complete` (stateless) or `update` (stateful).",
     redeem_opts, 1, 1, cli_cmd_redeem},
    {"update", "--state FILE --txinfo-type T --txinfo HEX|@FILE",
     "Recipient, stateful: send Transaction Information for the Initiator to approve",
     "Attaches Transaction Information (for example this device's new public key) and sends it "
     "to the Initiator, who approves it with `tigress approve`. Then `tigress wait`.",
     update_opts, 0, 0, cli_cmd_update},
    {"wait", "--state FILE [--timeout DURATION]",
     "Block until the peer's next message or the end of the transfer",
     "Waits for the other side: the Initiator for the Recipient's TxInfo or for completion, the "
     "Recipient for the Initiator's signature (verified with --peer-key) or a revocation. "
     "Progress goes to stderr. Ctrl-C stops waiting and leaves the transfer unchanged. When "
     "--timeout elapses first the exit code is 7 (the peer has not answered yet; the transfer "
     "is unchanged: run wait again).",
     wait_opts, 0, 0, cli_cmd_wait},
    {"approve", "--state FILE --key FILE",
     "Initiator, stateful: sign the received TxInfo and send the signature",
     "Signs the Recipient's Transaction Information with the Ed25519 key from `tigress keygen` "
     "and sends the signature. Inspect the TxInfo first with `tigress status`.",
     approve_opts, 0, 0, cli_cmd_approve},
    {"complete", "--state FILE", "Recipient: the credential is provisioned; delete the mailbox",
     "Tells the relay the transfer is done (the mailbox is deleted). For a stateful transfer "
     "only after the Initiator's signature was verified.",
     simple_opts, 0, 0, cli_cmd_complete},
    {"revoke", "--state FILE", "Initiator: cancel the share (delete the mailbox)",
     "Deletes the mailbox before the transfer completes; redeeming the URL then fails.",
     simple_opts, 0, 0, cli_cmd_revoke},
    {"relinquish", "--state FILE", "Recipient: give the link up so another device can redeem it",
     "Releases this device's binding to the mailbox; another device can then redeem the URL.",
     simple_opts, 0, 0, cli_cmd_relinquish},
    {"status", "--state FILE [--poll]", "Show a saved transfer (no network unless --poll)",
     "Prints what the state file holds: role, state, mailbox, expiry, TxInfo and signature. "
     "Never prints the Secret; --show-content prints the decrypted content.",
     status_opts, 0, 0, cli_cmd_status},
    {"keygen", "--key FILE", "Make an Ed25519 signing key for approve; print its public key",
     "Writes a fresh 32-byte Ed25519 seed (hex) to FILE with mode 0600 and prints the public key "
     "in hex. The Initiator approves with --key FILE; the Recipient verifies with --peer-key HEX. "
     "A key is made offline and belongs to no transfer (it can approve many), so keygen takes "
     "no --state and no --ca-file.",
     keygen_opts, 0, 0, cli_cmd_keygen},
    {"preview", "URL|@FILE|@- | --state FILE",
     "Fetch the relay's public preview page for a Share URL",
     "Fetches GET /v1/m/ID (what a messaging app shows as a link preview; it never binds) "
     "and prints its title, description and image. The #Secret is never sent. As for redeem, "
     "give the URL as @FILE or @- (stdin) to keep the Secret off the command line; a URL typed "
     "as an argument has its #fragment blanked before anything is sent. With --state "
     "instead of URL it previews that transfer's URL, trusting the CA file remembered in the "
     "state file (a state saved with --state-without-secret needs --secret to be read).",
     preview_opts, 0, 1, cli_cmd_preview},
    {"version", "[--json]", "Print the CLI and library versions",
     "Prints the version of this tool and of the libtigress it runs with (they can differ when "
     "the shared library was upgraded alone).",
     version_opts, 0, 0, cli_cmd_version},
};
#define NCOMMANDS (sizeof COMMANDS / sizeof COMMANDS[0])

static const char EXIT_CODES[] =
    "Exit codes:\n"
    "  0  success\n"
    "  1  other error\n"
    "  2  usage: bad option or input, or a command the transfer's state does not allow\n"
    "  3  network: relay unreachable, TLS verification failed, or timed out\n"
    "  4  the relay refused the request (HTTP 400, 401, 413, 429, 503 or another status)\n"
    "  5  crypto: wrong Secret, tampered payload, or invalid signature\n"
    "  6  gone: the transfer expired or was revoked, or the mailbox no longer exists (404)\n"
    "  7  wait --timeout elapsed before the peer answered (the transfer is unchanged)\n"
    "  130 interrupted (Ctrl-C): the transfer is unchanged\n";

static void print_main_help(FILE *f)
{
    fprintf(f, "Usage: tigress COMMAND [options]\n\n"
               "Share a digital credential (car, home or hotel key, badge) with another device "
               "through a\nTIGRESS relay mailbox (draft-vinokurov-tigress-http-00). The relay "
               "never sees the Secret.\n\nCommands:\n");
    for (size_t i = 0; i < NCOMMANDS; i++)
        fprintf(f, "  %-11s %s\n", COMMANDS[i].name, COMMANDS[i].summary);
    fprintf(f, "\nOptions on every command that talks to a relay: --state FILE, --ca-file FILE, "
               "--json,\n--insecure-loopback (keygen and version take only --json).\n"
               "Run `tigress COMMAND --help` for a command's options.\n\n"
               "Stateless:  alice$ tigress share --state alice.state --relay URL --format F "
               "--content @key.json --title T\n"
               "            bob$   tigress redeem --state bob.state 'SHARE_URL'\n"
               "            bob$   tigress complete --state bob.state\n"
               "Stateful:   share --stateful; redeem --peer-key HEX; update; (alice) wait; "
               "approve --key;\n            (bob) wait; complete\n\n%s", EXIT_CODES);
}

static void print_cmd_help(const cli_cmd *cmd)
{
    printf("Usage: tigress %s %s\n\n%s.\n\n", cmd->name, cmd->usage, cmd->summary);
    /* Wrap the details paragraph at ~90 columns. */
    const char *p = cmd->details;
    while (*p) {
        size_t n = strlen(p);
        if (n > 90) {
            n = 90;
            while (n > 0 && p[n] != ' ')
                n--;
        }
        printf("%.*s\n", (int)n, p);
        p += n;
        while (*p == ' ')
            p++;
    }
    printf("\nOptions:\n");
    for (const cli_opt *o = cmd->opts; *o != OPT__COUNT; o++) {
        char left[48];
        snprintf(left, sizeof left, "--%s%s%s", OPTS[*o].name, OPTS[*o].arg ? " " : "",
                 OPTS[*o].arg ? OPTS[*o].arg : "");
        printf("  %-28s %s\n", left, OPTS[*o].help);
    }
    printf("\n%s", EXIT_CODES);
}

static int cmd_takes(const cli_cmd *cmd, cli_opt o)
{
    for (const cli_opt *p = cmd->opts; *p != OPT__COUNT; p++)
        if (*p == o)
            return 1;
    return 0;
}

/* --name VALUE, --name=VALUE, -h; "--" ends options. Returns 0 or an exit code. */
static int parse_args(cli_ctx *ctx, int argc, char **argv)
{
    cli_args *a = &ctx->args;
    a->pos = calloc((size_t)argc + 1, sizeof *a->pos);
    if (a->pos == NULL)
        return cli_fail(ctx, CLI_EXIT_OTHER, "out of memory");
    int only_pos = 0;
    for (int i = 0; i < argc; i++) {
        char *arg = argv[i];
        if (only_pos || arg[0] != '-' || arg[1] == '\0') {
            a->pos[a->npos++] = arg;
            continue;
        }
        if (strcmp(arg, "--") == 0) {
            only_pos = 1;
            continue;
        }
        if (strcmp(arg, "-h") == 0) {
            a->set[OPT_HELP] = 1;
            continue;
        }
        if (arg[1] != '-')
            return cli_fail(ctx, CLI_EXIT_USAGE, "unknown option %s (see --help)", arg);
        char *name = arg + 2, *eq = strchr(name, '=');
        size_t nlen = eq ? (size_t)(eq - name) : strlen(name);
        int found = -1;
        for (int o = 0; o < OPT__COUNT; o++)
            if (strlen(OPTS[o].name) == nlen && strncmp(OPTS[o].name, name, nlen) == 0)
                found = o;
        if (found < 0)
            return cli_fail(ctx, CLI_EXIT_USAGE, "unknown option --%.*s for `%s` (see "
                            "`tigress %s --help`)", (int)nlen, name, ctx->cmd->name,
                            ctx->cmd->name);
        if (!cmd_takes(ctx->cmd, (cli_opt)found))
            return cli_fail(ctx, CLI_EXIT_USAGE, "`%s` does not take --%s (see `tigress %s "
                            "--help` for why and for its options)", ctx->cmd->name,
                            OPTS[found].name, ctx->cmd->name);
        if (OPTS[found].arg == NULL) {
            if (eq)
                return cli_fail(ctx, CLI_EXIT_USAGE, "--%s takes no value", OPTS[found].name);
            a->set[found] = 1;
            continue;
        }
        if (eq) {
            a->val[found] = eq + 1;
        } else if (i + 1 < argc) {
            a->val[found] = argv[++i];
        } else {
            return cli_fail(ctx, CLI_EXIT_USAGE, "--%s needs a value (%s)", OPTS[found].name,
                            OPTS[found].arg);
        }
        a->set[found] = 1;
    }
    return 0;
}

/* ---- Ctrl-C: cancel the blocking call instead of dying in the middle of it ---- */

static pthread_mutex_t sig_lock = PTHREAD_MUTEX_INITIALIZER;
static tigress_client *sig_client;

static void *signal_thread(void *arg)
{
    sigset_t *set = arg;
    int sig, count = 0;
    for (;;) {
        if (sigwait(set, &sig) != 0)
            continue;
        pthread_mutex_lock(&sig_lock);
        int cancelled = sig_client != NULL && count++ == 0;
        if (cancelled)
            tigress_client_cancel(sig_client);
        pthread_mutex_unlock(&sig_lock);
        if (!cancelled)
            _exit(CLI_EXIT_INTERRUPTED);
    }
    return NULL;
}

static pthread_t sig_tid;
static int sig_started;

static void start_signal_thread(void)
{
    static sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    sig_started = pthread_create(&sig_tid, NULL, signal_thread, &set) == 0;
    if (!sig_started)
        pthread_sigmask(SIG_UNBLOCK, &set, NULL);
}

/* sigwait() is a cancellation point: end the thread so nothing is left running at exit. */
static void stop_signal_thread(void)
{
    if (sig_started) {
        pthread_cancel(sig_tid);
        pthread_join(sig_tid, NULL);
    }
}

/* Copy --secret into guarded memory and blank it in argv (so `ps` no longer shows it). */
static int take_secret(cli_ctx *ctx)
{
    char *arg = ctx->args.val[OPT_SECRET];
    if (arg == NULL)
        return 0;
    size_t len;
    if (cli_read_arg(arg, &ctx->secret, &len) != 0)
        return cli_fail(ctx, CLI_EXIT_USAGE, "cannot read --secret");
    while (len > 0 && (ctx->secret[len - 1] == '\n' || ctx->secret[len - 1] == '\r'))
        ctx->secret[--len] = '\0';
    if (arg[0] != '@')
        sodium_memzero(arg, strlen(arg));
    return 0;
}

static int run(cli_ctx *ctx, int argc, char **argv)
{
    int rc = parse_args(ctx, argc, argv);
    if (rc != 0)
        return rc;
    ctx->json = ctx->args.set[OPT_JSON];
    if (ctx->args.set[OPT_HELP]) {
        print_cmd_help(ctx->cmd);
        return CLI_EXIT_OK;
    }
    if (ctx->args.npos < ctx->cmd->min_pos || ctx->args.npos > ctx->cmd->max_pos)
        return cli_fail(ctx, CLI_EXIT_USAGE, "usage: tigress %s %s", ctx->cmd->name,
                        ctx->cmd->usage);
    ctx->state_path = ctx->args.val[OPT_STATE];
    if ((rc = take_secret(ctx)) != 0)
        return rc;
    const char *pk = ctx->args.val[OPT_PEER_KEY];
    if (pk) {
        if (cli_hex_decode(pk, ctx->meta.peer_key, sizeof ctx->meta.peer_key) !=
            TIGRESS_ED25519_PUBLIC_BYTES)
            return cli_fail(ctx, CLI_EXIT_USAGE, "--peer-key must be 64 hex digits (an Ed25519 "
                            "public key as printed by `tigress keygen`)");
        ctx->meta.has_peer_key = 1;
    }
    return ctx->cmd->run(ctx);
}

/* The CLI holds Secrets, content and signing keys in memory: a core file would write them to
 * disk. Before anything else: no core file (limit 0, soft and hard, so no child raises it), and
 * on Linux not dumpable either, which also keeps ptrace and /proc/PID/mem, environ and
 * friends from other processes of the same user. Lowering a limit does not fail. */
static void no_core_dumps(void)
{
    struct rlimit none = {0, 0};
    (void)setrlimit(RLIMIT_CORE, &none);
#ifdef __linux__
    (void)prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
#endif
}

int main(int argc, char **argv)
{
    no_core_dumps();
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        if (argc >= 3 && strcmp(argv[1], "help") == 0) {
            for (size_t i = 0; i < NCOMMANDS; i++)
                if (strcmp(argv[2], COMMANDS[i].name) == 0) {
                    print_cmd_help(&COMMANDS[i]);
                    return CLI_EXIT_OK;
                }
        }
        print_main_help(argc < 2 ? stderr : stdout);
        return argc < 2 ? CLI_EXIT_USAGE : CLI_EXIT_OK;
    }
    cli_ctx ctx;
    memset(&ctx, 0, sizeof ctx);
    const char *name = strcmp(argv[1], "--version") == 0 ? "version" : argv[1];
    for (size_t i = 0; i < NCOMMANDS; i++)
        if (strcmp(name, COMMANDS[i].name) == 0)
            ctx.cmd = &COMMANDS[i];
    if (ctx.cmd == NULL) {
        fprintf(stderr, "tigress: unknown command '%s' (see `tigress --help`)\n", argv[1]);
        return CLI_EXIT_USAGE;
    }
    start_signal_thread();
    if (tigress_global_init() != TIGRESS_OK || sodium_init() < 0) {
        fprintf(stderr, "tigress: cannot initialise libtigress\n");
        return CLI_EXIT_OTHER;
    }
    int rc = run(&ctx, argc - 2, argv + 2);
    tigress_transfer_free(ctx.transfer);
    pthread_mutex_lock(&sig_lock);
    sig_client = NULL;
    pthread_mutex_unlock(&sig_lock);
    stop_signal_thread();
    tigress_client_free(ctx.client);
    cli_secure_free(ctx.secret);
    free(ctx.args.pos);
    tigress_global_cleanup();
    return rc;
}

int cli_cmd_version(cli_ctx *ctx)
{
    if (!ctx->json) {
        printf("tigress %s (libtigress %s)\n", TIGRESS_VERSION_STRING, tigress_version_string());
        return CLI_EXIT_OK;
    }
    out_begin(ctx);
    out_str(ctx, "cli_version", "CLI:", TIGRESS_VERSION_STRING);
    out_str(ctx, "library_version", "Library:", tigress_version_string());
    out_int(ctx, "library_version_num", "Library number:", (long long)tigress_version_num());
    out_end(ctx);
    return CLI_EXIT_OK;
}

void cli_register_client(tigress_client *client)
{
    pthread_mutex_lock(&sig_lock);
    sig_client = client;
    pthread_mutex_unlock(&sig_lock);
}
