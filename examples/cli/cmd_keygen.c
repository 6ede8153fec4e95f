/* `tigress keygen`: an Ed25519 signing key for `approve`, and loading it back. */
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

int cli_cmd_keygen(cli_ctx *ctx)
{
    const char *path = ctx->args.val[OPT_KEY];
    if (path == NULL)
        return cli_fail(ctx, CLI_EXIT_USAGE, "--key FILE is required");
    uint8_t seed[TIGRESS_ED25519_SEED_BYTES], pub[TIGRESS_ED25519_PUBLIC_BYTES];
    char hex[2 * TIGRESS_ED25519_SEED_BYTES + 2];
    tigress_ed25519_key *key = NULL;
    int rc = CLI_EXIT_OK, fd = -1;
    randombytes_buf(seed, sizeof seed);
    tigress_status st = tigress_ed25519_key_from_seed(&key, seed, sizeof seed);
    if (st == TIGRESS_OK)
        st = tigress_ed25519_key_public(key, pub, sizeof pub);
    if (st != TIGRESS_OK) {
        rc = cli_fail_status(ctx, st, "making the key");
        goto out;
    }
    if (ctx->args.set[OPT_FORCE])
        unlink(path);
    fd = open(path, O_WRONLY | O_CREAT | O_EXCL, S_IRUSR | S_IWUSR);
    if (fd < 0) {
        rc = cli_fail(ctx, CLI_EXIT_USAGE, "cannot create %s: %s%s", path, strerror(errno),
                      errno == EEXIST ? " (use --force to replace it)" : "");
        goto out;
    }
    cli_hex_encode(seed, sizeof seed, hex);
    strcat(hex, "\n");
    if (write(fd, hex, strlen(hex)) != (ssize_t)strlen(hex) || fsync(fd) != 0) {
        rc = cli_fail(ctx, CLI_EXIT_OTHER, "cannot write %s: %s", path, strerror(errno));
        unlink(path);
        goto out;
    }
    cli_hex_encode(pub, sizeof pub, hex);
    out_begin(ctx);
    out_str(ctx, "public_key", "Public key:", hex);
    out_str(ctx, "key_file", "Key file:", path);
    out_note(ctx, "Give the public key to the Recipient (`tigress redeem --peer-key %s`).", hex);
    out_end(ctx);
out:
    if (fd >= 0)
        close(fd);
    sodium_memzero(seed, sizeof seed);
    sodium_memzero(hex, sizeof hex);
    tigress_ed25519_key_free(key);
    return rc;
}

int cli_load_key(cli_ctx *ctx, const char *path, tigress_ed25519_key **out)
{
    struct stat sb;
    if (stat(path, &sb) == 0 && (sb.st_mode & (S_IRWXG | S_IRWXO)))
        fprintf(stderr, "tigress: warning: %s is readable by others; chmod 600 it\n", path);
    char *text = NULL;
    size_t len = 0;
    if (cli_read_file(path, &text, &len) != 0)
        return cli_fail(ctx, CLI_EXIT_USAGE, "cannot read key file %s: %s", path, strerror(errno));
    uint8_t seed[TIGRESS_ED25519_SEED_BYTES];
    long n = cli_hex_decode(text, seed, sizeof seed);
    if (n < 0 && len == sizeof seed) { /* a raw 32-byte seed works too */
        memcpy(seed, text, sizeof seed);
        n = (long)sizeof seed;
    }
    cli_secure_free(text);
    int rc = 0;
    if (n != (long)sizeof seed) {
        rc = cli_fail(ctx, CLI_EXIT_USAGE, "%s is not an Ed25519 seed (64 hex digits from "
                      "`tigress keygen`)", path);
    } else {
        tigress_status st = tigress_ed25519_key_from_seed(out, seed, sizeof seed);
        if (st != TIGRESS_OK)
            rc = cli_fail_status(ctx, st, "loading the key");
    }
    sodium_memzero(seed, sizeof seed);
    return rc;
}
