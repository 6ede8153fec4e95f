package org.tigress;

import java.util.Arrays;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * An {@link AeadProvider} on {@code javax.crypto} "AES/GCM/NoPadding" (the JDK's or Android's
 * provider, e.g. Conscrypt): AEAD_AES_128_GCM and AEAD_AES_256_GCM. Stateless and thread-safe
 * (one Cipher per call).
 */
public final class JavaxCryptoAead implements AeadProvider {
    private static final int TAG_BYTES = 16;

    @Override
    public int seal(PayloadType type, byte[] key, byte[] nonce, byte[] plaintext,
                    byte[] ciphertext, byte[] tag) throws Exception {
        if (!serves(type, key) || tag.length != TAG_BYTES) return Status.UNSUPPORTED.code();
        byte[] out = run(Cipher.ENCRYPT_MODE, key, nonce, plaintext);
        try {
            System.arraycopy(out, 0, ciphertext, 0, plaintext.length);
            System.arraycopy(out, plaintext.length, tag, 0, TAG_BYTES);
        } finally {
            Arrays.fill(out, (byte) 0);
        }
        return 0;
    }

    @Override
    public int open(PayloadType type, byte[] key, byte[] nonce, byte[] ciphertext, byte[] tag,
                    byte[] plaintext) throws Exception {
        if (!serves(type, key) || tag.length != TAG_BYTES) return Status.UNSUPPORTED.code();
        byte[] in = new byte[ciphertext.length + TAG_BYTES]; // javax.crypto wants ct || tag
        System.arraycopy(ciphertext, 0, in, 0, ciphertext.length);
        System.arraycopy(tag, 0, in, ciphertext.length, TAG_BYTES);
        byte[] out;
        try {
            out = run(Cipher.DECRYPT_MODE, key, nonce, in);
        } catch (AEADBadTagException e) {
            return Status.CRYPTO.code();
        }
        try {
            System.arraycopy(out, 0, plaintext, 0, out.length);
        } finally {
            Arrays.fill(out, (byte) 0);
        }
        return 0;
    }

    private static boolean serves(PayloadType type, byte[] key) {
        return (type == PayloadType.AES_128_GCM && key.length == 16)
            || (type == PayloadType.AES_256_GCM && key.length == 32);
    }

    private static byte[] run(int mode, byte[] key, byte[] nonce, byte[] input) throws Exception {
        byte[] k = key.clone();
        try {
            // SecretKeySpec keeps its own copy, which cannot be wiped; it is garbage after the
            // call. Ours is overwritten here, the caller's by the binding.
            Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
            c.init(mode, new SecretKeySpec(k, "AES"), new GCMParameterSpec(TAG_BYTES * 8, nonce));
            return c.doFinal(input);
        } finally {
            Arrays.fill(k, (byte) 0);
        }
    }
}
