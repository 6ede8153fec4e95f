/*
 * The state file: how a transfer survives between invocations (and days, and shells).
 *
 * Layout: one line of CLI settings as JSON (CA file, loopback flag, the peer's public key;
 * never a secret), then the blob from tigress_transfer_export() verbatim. The blob holds the
 * Device Claim and, unless --state-without-secret, the Secret and the decrypted content, so
 * the file is created 0600 and replaced atomically (temp file in the same directory, fsync,
 * rename): a crash never leaves half a state file.
 */
#define _XOPEN_SOURCE 700 /* realpath */
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <sodium.h>

#define STATE_MAGIC "tigress_cli_state"

int cli_client_open(cli_ctx *ctx)
{
    if (ctx->client)
        return 0;
    const char *ca = ctx->args.val[OPT_CA_FILE];
    if (ca) {
        char real[PATH_MAX];
        if (realpath(ca, real) == NULL)
            return cli_fail(ctx, CLI_EXIT_USAGE, "cannot read CA file %s: %s", ca, strerror(errno));
        snprintf(ctx->meta.ca_file, sizeof ctx->meta.ca_file, "%s", real);
    }
    if (ctx->args.set[OPT_INSECURE_LOOPBACK])
        ctx->meta.insecure_loopback = 1;

    tigress_client_options opts;
    tigress_client_options_init(&opts, TIGRESS_CLIENT_OPTIONS_VERSION);
    opts.ca_file = ctx->meta.ca_file[0] ? ctx->meta.ca_file : NULL;
    opts.allow_insecure_loopback = ctx->meta.insecure_loopback;
    opts.user_agent = "tigress-cli/" TIGRESS_VERSION_STRING;
    tigress_status st = tigress_client_new(&ctx->client, &opts);
    if (st != TIGRESS_OK)
        return cli_fail_status(ctx, st, "creating the client");
    cli_register_client(ctx->client);
    return 0;
}

static int parse_meta(cli_ctx *ctx, const char *line)
{
    cJSON *root = cJSON_Parse(line);
    if (root == NULL || !cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(root, STATE_MAGIC))) {
        cJSON_Delete(root);
        return -1;
    }
    const cJSON *ca = cJSON_GetObjectItemCaseSensitive(root, "ca_file");
    if (cJSON_IsString(ca))
        snprintf(ctx->meta.ca_file, sizeof ctx->meta.ca_file, "%s", ca->valuestring);
    ctx->meta.insecure_loopback =
        cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(root, "insecure_loopback"));
    ctx->meta.without_secret =
        cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(root, "without_secret"));
    const cJSON *pk = cJSON_GetObjectItemCaseSensitive(root, "peer_key");
    if (cJSON_IsString(pk) && !ctx->meta.has_peer_key)
        ctx->meta.has_peer_key = cli_hex_decode(pk->valuestring, ctx->meta.peer_key,
                                                sizeof ctx->meta.peer_key) ==
                                 TIGRESS_ED25519_PUBLIC_BYTES;
    cJSON_Delete(root);
    return 0;
}

int cli_apply_peer_key(cli_ctx *ctx)
{
    if (!ctx->meta.has_peer_key || ctx->transfer == NULL)
        return 0;
    tigress_verifier_ed25519(&ctx->verifier, ctx->meta.peer_key);
    tigress_status st = tigress_transfer_set_verifier(ctx->transfer, &ctx->verifier);
    if (st != TIGRESS_OK)
        return cli_fail_status(ctx, st, "setting the peer key");
    return 0;
}

int cli_state_load(cli_ctx *ctx)
{
    const char *path = ctx->state_path;
    if (path == NULL)
        return cli_fail(ctx, CLI_EXIT_USAGE, "--state FILE is required (the file written by "
                        "`tigress share` or `tigress redeem`)");
    char *buf = NULL;
    size_t len = 0;
    if (cli_read_file(path, &buf, &len) != 0)
        return cli_fail(ctx, CLI_EXIT_USAGE, "cannot read state file %s: %s", path, strerror(errno));
    int rc = 0;
    char *nl = strchr(buf, '\n');
    if (nl == NULL) {
        rc = cli_fail(ctx, CLI_EXIT_USAGE, "%s is not a tigress state file", path);
        goto out;
    }
    *nl = '\0';
    cli_meta given = ctx->meta; /* --peer-key given on this command line wins */
    if (parse_meta(ctx, buf) != 0) {
        rc = cli_fail(ctx, CLI_EXIT_USAGE, "%s is not a tigress state file", path);
        goto out;
    }
    if (given.has_peer_key) {
        memcpy(ctx->meta.peer_key, given.peer_key, sizeof given.peer_key);
        ctx->meta.has_peer_key = 1;
    }
    if (ctx->meta.without_secret && ctx->secret == NULL) {
        rc = cli_fail(ctx, CLI_EXIT_USAGE, "%s was saved without the Secret: pass --secret", path);
        goto out;
    }
    if ((rc = cli_client_open(ctx)) != 0)
        goto out;
    const char *blob = nl + 1;
    tigress_status st = tigress_transfer_import(&ctx->transfer, ctx->client,
                                                (const uint8_t *)blob, strlen(blob), ctx->secret);
    if (st != TIGRESS_OK) {
        rc = cli_fail_status(ctx, st, "reading the state file");
        goto out;
    }
    rc = cli_apply_peer_key(ctx);
out:
    cli_secure_free(buf);
    return rc;
}

static char *meta_line(const cli_ctx *ctx)
{
    cJSON *root = cJSON_CreateObject();
    if (root == NULL)
        return NULL;
    cJSON_AddNumberToObject(root, STATE_MAGIC, 1);
    if (ctx->meta.ca_file[0])
        cJSON_AddStringToObject(root, "ca_file", ctx->meta.ca_file);
    cJSON_AddBoolToObject(root, "insecure_loopback", ctx->meta.insecure_loopback);
    cJSON_AddBoolToObject(root, "without_secret", ctx->meta.without_secret);
    if (ctx->meta.has_peer_key) {
        char hex[2 * TIGRESS_ED25519_PUBLIC_BYTES + 1];
        cli_hex_encode(ctx->meta.peer_key, sizeof ctx->meta.peer_key, hex);
        cJSON_AddStringToObject(root, "peer_key", hex);
    }
    char *s = cJSON_PrintUnformatted(root);
    cJSON_Delete(root);
    return s;
}

static int write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

int cli_state_save(cli_ctx *ctx)
{
    if (ctx->state_path == NULL || ctx->transfer == NULL)
        return 0;
    if (ctx->args.set[OPT_STATE_WITHOUT_SECRET])
        ctx->meta.without_secret = 1;
    tigress_buf blob = {0};
    tigress_status st = tigress_transfer_export(ctx->transfer,
        ctx->meta.without_secret ? TIGRESS_EXPORT_WITHOUT_SECRET : 0, &blob);
    if (st != TIGRESS_OK)
        return cli_fail_status(ctx, st, "saving the transfer");
    char *meta = meta_line(ctx);
    size_t plen = strlen(ctx->state_path);
    char *tmp = malloc(plen + 16);
    int fd = -1, rc = 0;
    if (meta == NULL || tmp == NULL) {
        rc = cli_fail(ctx, CLI_EXIT_OTHER, "out of memory");
        goto out;
    }
    snprintf(tmp, plen + 16, "%s.tmp.XXXXXX", ctx->state_path);
    fd = mkstemp(tmp); /* mode 0600 */
    if (fd < 0) {
        rc = cli_fail(ctx, CLI_EXIT_OTHER, "cannot create %s: %s", tmp, strerror(errno));
        goto out;
    }
    if (fchmod(fd, S_IRUSR | S_IWUSR) != 0 || write_all(fd, meta, strlen(meta)) != 0 ||
        write_all(fd, "\n", 1) != 0 || write_all(fd, (const char *)blob.ptr, blob.size) != 0 ||
        write_all(fd, "\n", 1) != 0 || fsync(fd) != 0) {
        rc = cli_fail(ctx, CLI_EXIT_OTHER, "cannot write %s: %s", tmp, strerror(errno));
        close(fd);
        unlink(tmp);
        goto out;
    }
    close(fd);
    if (rename(tmp, ctx->state_path) != 0) {
        rc = cli_fail(ctx, CLI_EXIT_OTHER, "cannot replace %s: %s", ctx->state_path,
                      strerror(errno));
        unlink(tmp);
    }
out:
    tigress_buf_dispose(&blob);
    free(tmp);
    cJSON_free(meta);
    return rc;
}

static int state_is_final(tigress_state s)
{
    return s >= TIGRESS_STATE_COMPLETED;
}

int cli_state_writable(cli_ctx *ctx)
{
    if (ctx->state_path == NULL)
        return 0;
    /* Checked before the share/redeem so a transfer is never created and then lost. */
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", ctx->state_path);
    char *slash = strrchr(dir, '/');
    if (slash == NULL)
        snprintf(dir, sizeof dir, ".");
    else if (slash == dir)
        dir[1] = '\0';
    else
        *slash = '\0';
    if (access(dir, W_OK | X_OK) != 0)
        return cli_fail(ctx, CLI_EXIT_USAGE, "cannot write the state file in %s: %s", dir,
                        strerror(errno));
    return 0;
}

int cli_state_busy(cli_ctx *ctx)
{
    if (ctx->state_path == NULL || ctx->args.set[OPT_FORCE] || access(ctx->state_path, F_OK) != 0)
        return 0;
    /* Load quietly into a scratch context: any file we cannot read counts as busy. */
    cli_ctx probe = *ctx;
    probe.transfer = NULL;
    probe.json = 0;
    int saved = dup(STDERR_FILENO), devnull = open("/dev/null", O_WRONLY);
    if (saved >= 0 && devnull >= 0)
        dup2(devnull, STDERR_FILENO);
    int rc = cli_state_load(&probe);
    if (saved >= 0) {
        dup2(saved, STDERR_FILENO);
        close(saved);
    }
    if (devnull >= 0)
        close(devnull);
    int busy = rc != 0 || !state_is_final(tigress_transfer_state(probe.transfer));
    if (probe.transfer)
        tigress_transfer_free(probe.transfer);
    if (probe.client && probe.client != ctx->client) {
        cli_register_client(ctx->client);
        tigress_client_free(probe.client);
    }
    return busy;
}
