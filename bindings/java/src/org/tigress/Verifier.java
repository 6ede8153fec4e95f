package org.tigress;

/**
 * Checks the Initiator's signature for the Recipient in the stateful flow.
 *
 * <p>{@link #verify} is called on the thread that called {@link Transfer#poll()} or
 * {@link Transfer#waitForPeer(long)}, during that call. Return true for a valid signature.
 * An exception thrown here ends that call with a {@link TigressException} whose cause is the
 * exception.
 */
@FunctionalInterface
public interface Verifier {
    /** True when {@code signature} over {@code message} is valid under {@code algorithm}. */
    boolean verify(String algorithm, byte[] message, byte[] signature) throws Exception;

    /** The library's Ed25519 verifier for one 32-byte public key (runs in C, no callback). */
    static Verifier ed25519(byte[] publicKey) {
        return new Ed25519Verifier(publicKey);
    }
}
