package org.tigress;

import java.nio.charset.StandardCharsets;

/**
 * Low-level payload encryption (tigress_payload_seal / tigress_payload_open): the {@code data}
 * string of a payload envelope, for interoperating with another implementation.
 */
public final class Payload {
    private Payload() {}

    /** Encrypts with a fresh random nonce; returns standard padded Base64. */
    public static String seal(PayloadType type, Secret secret, byte[] plaintext)
            throws TigressException {
        // The shim copies the bytes (and wipes its copy); the caller wipes plaintext.
        return new String(Native.payloadSeal(type.code(), secret.handle(), plaintext),
                          StandardCharsets.US_ASCII);
    }

    /**
     * Decrypts and authenticates; the plaintext is the caller's to wipe. Throws
     * {@link TigressException.Crypto} when authentication fails, {@link TigressException.Format}
     * for bad Base64, {@link TigressException.Key} for a Secret of the wrong length.
     */
    public static byte[] open(PayloadType type, Secret secret, String data)
            throws TigressException {
        return Native.payloadOpen(type.code(), secret.handle(), Native.utf8(data));
    }
}
