package org.tigress;

/**
 * AES-GCM computed by the application (the C {@code tigress_aead_provider} vtable), e.g.
 * {@link JavaxCryptoAead} ({@code javax.crypto} "AES/GCM/NoPadding"). The portable build of
 * libtigress (libsodium, cJSON and libc only) has no AES-128-GCM of its own, and AES-256-GCM
 * only on CPUs with AES instructions: with a provider both payload types work everywhere.
 * Give it to one client ({@link TigressClient.Options#aeadProvider}) or to every client
 * created without one ({@link TigressClient#setDefaultAeadProvider}).
 *
 * <p>Both methods run on the thread of the libtigress call that needs them, possibly on
 * several threads at once: they must be thread-safe. The arrays are copies made for the call
 * and overwritten with zeros afterwards: keep none of them (wipe any copy of the key you make,
 * e.g. with {@code Arrays.fill}). Key length: 16 ({@link PayloadType#AES_128_GCM}) or 32
 * ({@link PayloadType#AES_256_GCM}); nonce 12 bytes; tag 16 bytes; no associated data.
 *
 * <p>Return {@code 0} on success, {@code Status.CRYPTO.code()} when {@link #open} finds the tag
 * wrong, {@code Status.UNSUPPORTED.code()} for a type it does not serve, or another
 * {@link Status} code; the library passes it on. An exception thrown by either method becomes
 * {@link Status#CRYPTO} ({@link TigressException.Crypto}); it never crosses the C code.
 */
public interface AeadProvider {
    /** Encrypts {@code plaintext} into {@code ciphertext} (same length) and writes {@code tag}. */
    int seal(PayloadType type, byte[] key, byte[] nonce, byte[] plaintext, byte[] ciphertext,
             byte[] tag) throws Exception;

    /** Verifies {@code tag} and decrypts {@code ciphertext} into {@code plaintext} (same length). */
    int open(PayloadType type, byte[] key, byte[] nonce, byte[] ciphertext, byte[] tag,
             byte[] plaintext) throws Exception;
}
