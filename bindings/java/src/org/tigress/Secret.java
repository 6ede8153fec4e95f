package org.tigress;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The symmetric key of one transfer (tigress_secret), held in the library's guarded memory and
 * wiped there by {@link #close()}. Copies returned by {@link #bytes()} and {@link #text()} are
 * the caller's to wipe.
 */
public final class Secret implements AutoCloseable {
    private long handle;

    Secret(long handle) { this.handle = handle; }

    /** A fresh random Secret of the length {@code type} needs (32, 16 or 32 bytes). */
    public static Secret generate(PayloadType type) throws TigressException {
        return new Secret(Native.secretGenerate(type.code()));
    }

    /** Raw key bytes (16 or 32); they are copied, wipe your array afterwards. */
    public static Secret fromBytes(byte[] key) throws TigressException {
        return new Secret(Native.secretFromBytes(key));
    }

    /** Base64 text (standard or URL-safe, padded or not, percent-encoded or not). */
    public static Secret fromText(String text) throws TigressException {
        byte[] z = Native.utf8(text);
        try {
            return new Secret(Native.secretFromText(z));
        } finally {
            if (z != null) Arrays.fill(z, (byte) 0);
        }
    }

    synchronized long handle() {
        if (handle == 0) throw new IllegalStateException("Secret is closed");
        return handle;
    }

    /** A copy of the raw key bytes: wipe it when done. */
    public synchronized byte[] bytes() { return Native.secretBytes(handle(), false); }

    /** The key as standard padded Base64 (the Share URL fragment form). */
    public synchronized String text() {
        byte[] b = Native.secretBytes(handle(), true);
        try {
            return new String(b, StandardCharsets.US_ASCII);
        } finally {
            Arrays.fill(b, (byte) 0);
        }
    }

    /** The key length in bytes: 16 or 32. */
    public synchronized int size() {
        byte[] b = bytes();
        Arrays.fill(b, (byte) 0);
        return b.length;
    }

    /** Wipes and frees the key. Idempotent. */
    @Override
    public synchronized void close() {
        if (handle != 0) {
            Native.secretFree(handle);
            handle = 0;
        }
    }
}
