package org.tigress;

/**
 * An Ed25519 key pair held by the C library in guarded memory, wiped by {@link #close()}.
 *
 * <p>It is a {@link Signer}: {@link Transfer#approve(Signer)} with this key signs in C without
 * calling back into Java. Thread-safe.
 */
public final class Ed25519Key implements Signer, AutoCloseable {
    private long handle;

    private Ed25519Key(long handle) { this.handle = handle; }

    /** A fresh random key pair. */
    public static Ed25519Key generate() throws TigressException {
        return new Ed25519Key(Native.keyGenerate());
    }

    /** The key pair of a 32-byte seed (copied; wipe your array afterwards). */
    public static Ed25519Key fromSeed(byte[] seed) throws TigressException {
        return new Ed25519Key(Native.keyFromSeed(seed));
    }

    synchronized long handle() {
        if (handle == 0) throw new IllegalStateException("Ed25519Key is closed");
        return handle;
    }

    /** The 32-byte public key, for the Recipient's {@link Verifier#ed25519(byte[])}. */
    public synchronized byte[] publicKey() throws TigressException {
        return Native.keyPublic(handle());
    }

    @Override
    public String algorithm() { return "Ed25519"; }

    /** Signs {@code message} with the library's Ed25519 signer. */
    @Override
    public synchronized byte[] sign(byte[] message) throws TigressException {
        return Native.keySign(handle(), message);
    }

    /** Wipes and frees the key. Idempotent. */
    @Override
    public synchronized void close() {
        if (handle != 0) {
            Native.keyFree(handle);
            handle = 0;
        }
    }
}
