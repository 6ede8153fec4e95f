package org.tigress;

import java.util.Arrays;

/** The library's default Ed25519 verifier; the JNI shim uses it natively, without a callback. */
final class Ed25519Verifier implements Verifier {
    final byte[] publicKey;

    Ed25519Verifier(byte[] publicKey) {
        if (publicKey == null || publicKey.length != 32) {
            throw new IllegalArgumentException("an Ed25519 public key is 32 bytes");
        }
        this.publicKey = Arrays.copyOf(publicKey, 32);
    }

    @Override
    public boolean verify(String algorithm, byte[] message, byte[] signature) throws TigressException {
        return Native.ed25519Verify(publicKey, Native.utf8(algorithm), message, signature);
    }
}
