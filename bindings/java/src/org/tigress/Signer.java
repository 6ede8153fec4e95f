package org.tigress;

/**
 * Signs the Recipient's Transaction Information for {@link Transfer#approve(Signer)} in the
 * stateful flow, so the private key can stay in the Android Keystore (or any key store).
 *
 * <p>{@link #sign(byte[])} is called on the thread that called {@code approve()}, while that
 * call runs, and never on another thread. It receives the exact bytes to sign
 * ({@code "tigress-txinfo-v1" || mailbox id || TxInfo bytes}) and returns the signature (at
 * most 512 bytes). An exception thrown here ends {@code approve()} with a
 * {@link TigressException} whose cause is that exception; it never reaches the C library.
 */
public interface Signer {
    /** The algorithm name put on the wire, e.g. "Ed25519". */
    String algorithm();

    /** Signs {@code message} and returns the signature. */
    byte[] sign(byte[] message) throws Exception;

    /** A signer from a function, e.g. one that calls {@code java.security.Signature}. */
    static Signer of(String algorithm, SignFunction fn) {
        return new Signer() {
            @Override public String algorithm() { return algorithm; }
            @Override public byte[] sign(byte[] message) throws Exception { return fn.sign(message); }
        };
    }

    /** The signing step of {@link #of(String, SignFunction)}. */
    @FunctionalInterface
    interface SignFunction {
        byte[] sign(byte[] message) throws Exception;
    }
}
