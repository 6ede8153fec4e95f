/*
 * The tigress command-line tool: declarations shared by its source files.
 *
 * The CLI uses only the public libtigress API (<tigress.h>). Each subcommand lives in a
 * cmd_*.c file; main.c parses the command line and dispatches; state.c keeps a transfer in a
 * file between invocations; output.c writes human text or one JSON object.
 */
#ifndef TIGRESS_CLI_H
#define TIGRESS_CLI_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <tigress.h>

/* Exit codes, documented in `tigress --help`. */
enum {
    CLI_EXIT_OK = 0,
    CLI_EXIT_OTHER = 1,       /* anything not listed below */
    CLI_EXIT_USAGE = 2,       /* bad command line, bad input file, wrong command for the state */
    CLI_EXIT_NETWORK = 3,     /* relay unreachable, TLS failure, timeout */
    CLI_EXIT_REFUSED = 4,     /* relay refused: 400, 401, 413, 429, 503, other HTTP status */
    CLI_EXIT_CRYPTO = 5,      /* wrong Secret, tampered payload, bad signature */
    CLI_EXIT_GONE = 6,        /* expired, revoked, or the mailbox no longer exists (404) */
    CLI_EXIT_WAIT_TIMEOUT = 7, /* wait --timeout elapsed: the peer has not answered yet */
    CLI_EXIT_INTERRUPTED = 130 /* Ctrl-C during a blocking call: nothing changed */
};

/* Every option any command accepts. Each command lists the ones it takes. */
typedef enum cli_opt {
    OPT_HELP, OPT_STATE, OPT_CA_FILE, OPT_JSON, OPT_INSECURE_LOOPBACK,
    OPT_STATE_WITHOUT_SECRET, OPT_SECRET, OPT_FORCE,
    OPT_RELAY, OPT_FORMAT, OPT_CONTENT, OPT_TITLE, OPT_DESCRIPTION, OPT_IMAGE_URL,
    OPT_EXPIRES, OPT_VERTICAL, OPT_PAYLOAD_TYPE, OPT_STATEFUL, OPT_SECRET_APART, OPT_QR,
    OPT_PUSH_TOKEN, OPT_PEER_KEY, OPT_TXINFO_TYPE, OPT_TXINFO, OPT_TIMEOUT, OPT_KEY,
    OPT_POLL, OPT_SHOW_CONTENT, OPT_QUIET,
    OPT__COUNT
} cli_opt;

/* One parsed command line. Values point into argv. */
typedef struct cli_args {
    char *val[OPT__COUNT];
    int set[OPT__COUNT];
    char **pos;          /* positional arguments */
    int npos;
} cli_args;

/* The state file's CLI part (the transfer blob is kept apart, in guarded memory). */
typedef struct cli_meta {
    char ca_file[4096];            /* "" when none */
    int insecure_loopback;
    int without_secret;            /* blob saved without the Secret */
    uint8_t peer_key[TIGRESS_ED25519_PUBLIC_BYTES];
    int has_peer_key;
} cli_meta;

/* What a running command needs: its arguments, the client, output mode. */
typedef struct cli_ctx {
    const struct cli_cmd *cmd;
    cli_args args;
    int json;
    tigress_client *client;
    tigress_transfer *transfer;
    cli_meta meta;
    char *secret;                  /* --secret value in guarded memory, or NULL */
    tigress_verifier verifier;     /* set when meta.has_peer_key */
    const char *state_path;        /* --state, or NULL */
} cli_ctx;

typedef struct cli_cmd {
    const char *name;
    const char *usage;            /* after "tigress NAME " */
    const char *summary;          /* one line for `tigress --help` */
    const char *details;          /* paragraph(s) for `tigress NAME --help` */
    const cli_opt *opts;          /* terminated by OPT__COUNT */
    int min_pos, max_pos;
    int (*run)(cli_ctx *ctx);
} cli_cmd;

/* ---- commands (cmd_*.c) ---- */
int cli_cmd_share(cli_ctx *ctx);
int cli_cmd_redeem(cli_ctx *ctx);
int cli_cmd_update(cli_ctx *ctx);
int cli_cmd_wait(cli_ctx *ctx);
int cli_cmd_approve(cli_ctx *ctx);
int cli_cmd_complete(cli_ctx *ctx);
int cli_cmd_revoke(cli_ctx *ctx);
int cli_cmd_relinquish(cli_ctx *ctx);
int cli_cmd_status(cli_ctx *ctx);
int cli_cmd_keygen(cli_ctx *ctx);
int cli_cmd_preview(cli_ctx *ctx);
int cli_cmd_version(cli_ctx *ctx);

/* ---- errors and exit codes (output.c) ---- */
/* Exit code for a libtigress status. */
int cli_exit_for_status(int status);
/* Print "tigress CMD: <message>" on stderr (and the JSON error object on stdout with --json);
 * returns exit_code. The message must not contain secrets. */
int cli_fail(cli_ctx *ctx, int exit_code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Report a failed libtigress call: the client's last error (message, status name, HTTP status)
 * and a hint; returns the matching exit code. */
int cli_fail_status(cli_ctx *ctx, int status, const char *what);

/* ---- output: human "Label: value" lines, or one JSON object (output.c) ---- */
void out_begin(cli_ctx *ctx);
void out_str(cli_ctx *ctx, const char *key, const char *label, const char *value);
void out_int(cli_ctx *ctx, const char *key, const char *label, long long value);
void out_bool(cli_ctx *ctx, const char *key, const char *label, int value);
/* A JSON value (object text) kept as JSON in --json mode, printed as is for humans. */
void out_raw_json(cli_ctx *ctx, const char *key, const char *label, const char *json);
void out_time(cli_ctx *ctx, const char *key, const char *label, int64_t unix_s);
/* A sentence for humans only (ignored in --json mode). */
void out_note(cli_ctx *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void out_end(cli_ctx *ctx);
/* Common description of a transfer: role, state, mailbox, URL (no Secret), title, ... */
void out_transfer(cli_ctx *ctx, const tigress_transfer *t);
/* Writes a JSON string literal (quoted, escaped) to stdout. */
void out_json_string(const char *s);
/* A copy of s (malloc'd; NULL when out of memory) safe to print on a terminal as one line:
 * \n \r \t for those, \xHH for other C0 controls, DEL and each byte that is not valid UTF-8,
 * \uXXXX for C1 controls (U+0080-U+009F), bidi controls (U+061C, U+200E, U+200F,
 * U+202A-U+202E, U+2066-U+2069) and U+2028/U+2029; everything else as it is. (text.c) */
char *cli_text_escape(const char *s);
/* Writes s as a JSON string to f: quotes, backslashes and C0 controls escaped, every UTF-8
 * character as it is, and each byte that is not part of a valid UTF-8 character as \ufffd. */
void cli_json_write_string(FILE *f, const char *s);

/* Make Ctrl-C cancel calls on this client (NULL: none). (main.c) */
void cli_register_client(tigress_client *client);

/* ---- state files and the client (state.c) ---- */
/* Create ctx->client from --ca-file / --insecure-loopback (falling back to ctx->meta). */
int cli_client_open(cli_ctx *ctx);
/* Load --state into ctx->transfer (and ctx->meta); requires --state. */
int cli_state_load(cli_ctx *ctx);
/* Save ctx->transfer to --state (0600, temp file + rename). No-op without --state. */
int cli_state_save(cli_ctx *ctx);
/* 0 when --state can be written (or is not given), else reports why and returns 2. */
int cli_state_writable(cli_ctx *ctx);
/* True when --state names a file holding a transfer that is not final. */
int cli_state_busy(cli_ctx *ctx);
/* Install ctx->meta's peer key as the transfer's verifier. */
int cli_apply_peer_key(cli_ctx *ctx);

/* ---- helpers (util.c) ---- */
/* Parse "10m", "2h", "1d", "90s", "1h30m" or RFC 3339 ("2026-01-02T03:04:05Z", offsets ok)
 * into an absolute Unix time. Returns 0 on success. */
int cli_parse_when(const char *text, int64_t now, int64_t *out);
/* Parse a duration ("30s", "5m", "1h") into milliseconds. */
int cli_parse_duration_ms(const char *text, long *out_ms);
/* Format Unix seconds as RFC 3339 UTC into buf (at least 21 bytes). */
void cli_format_time(int64_t unix_s, char *buf, size_t size);
/* Hex encode/decode. decode returns the byte count or -1. */
void cli_hex_encode(const uint8_t *in, size_t len, char *out);
long cli_hex_decode(const char *hex, uint8_t *out, size_t cap);
/* Read a whole file (or "-" for stdin) into sodium_malloc'd memory, NUL-terminated;
 * free with cli_secure_free(). Returns 0 or -1 (errno set). */
int cli_read_file(const char *path, char **out, size_t *out_len);
/* An argument given as TEXT or @FILE, in sodium_malloc'd memory. */
int cli_read_arg(const char *arg, char **out, size_t *out_len);
/* The Share URL argument (args.pos[0]) copied into guarded memory: URL, @FILE or @- (stdin;
 * trailing newlines and spaces dropped), free with cli_secure_free(). A URL given in argv has
 * its #fragment (the Secret) blanked there at once. redeem and preview take their URL so.
 * Returns 0, or reports and returns 2. */
int cli_take_url(cli_ctx *ctx, char **url);
char *cli_secure_strdup(const char *s);
void cli_secure_free(char *p);
/* The current time in Unix seconds. */
int64_t cli_now(void);
/* A monotonic clock in milliseconds, for measuring how long a call took. */
int64_t cli_now_ms(void);

/* Load an Ed25519 seed file written by keygen (cmd_keygen.c). */
int cli_load_key(cli_ctx *ctx, const char *path, tigress_ed25519_key **out);

/* ---- QR code (qr.c) ---- */
int cli_print_qr(FILE *out, const char *text);

#endif /* TIGRESS_CLI_H */
