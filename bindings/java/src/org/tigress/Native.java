package org.tigress;

import java.nio.charset.StandardCharsets;

/**
 * The JNI entry points of libtigress_jni.so, a thin shim over libtigress.so.
 *
 * <p>Strings cross the boundary as UTF-8 byte arrays (NUL-terminated on the way in), never as
 * JNI "modified UTF-8", so any Unicode text survives. Handles are C pointers held in longs.
 * The library is loaded from the system property {@code tigress.jni.library} (a full path)
 * when set, else with {@code System.loadLibrary("tigress_jni")}, which on Android finds
 * libtigress_jni.so and its dependency libtigress.so in the APK's lib/ABI folder.
 */
final class Native {
    private Native() {}

    static {
        String path = System.getProperty("tigress.jni.library");
        if (path != null && !path.isEmpty()) {
            System.load(path);
        } else {
            System.loadLibrary("tigress_jni");
        }
    }

    /** A NUL-terminated UTF-8 copy of s, or null. */
    static byte[] utf8(String s) {
        if (s == null) return null;
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        byte[] z = new byte[b.length + 1];
        System.arraycopy(b, 0, z, 0, b.length);
        return z;
    }

    /** A NUL-terminated copy of bytes, or null (the caller wipes both). */
    static byte[] cstr(byte[] b) {
        if (b == null) return null;
        byte[] z = new byte[b.length + 1];
        System.arraycopy(b, 0, z, 0, b.length);
        return z;
    }

    static String str(byte[] b) {
        return b == null ? null : new String(b, StandardCharsets.UTF_8);
    }

    // ---- called from C -------------------------------------------------------------------------

    /** Builds the exception for a C status; called by the shim, which then throws it. */
    static TigressException error(int code, byte[] name, byte[] message, int httpStatus,
                                  int transportCode) {
        return TigressException.of(code, str(name), str(message), httpStatus, transportCode);
    }

    /** The exception for a Signer or Verifier callback that threw {@code cause}. */
    static TigressException callbackFailed(int code, byte[] name, Throwable cause) {
        TigressException e = TigressException.of(code, str(name),
                "application callback failed: " + cause, 0, 0);
        e.initCause(cause);
        return e;
    }

    /** Calls a Java {@link Verifier} for the shim; the algorithm arrives as UTF-8 bytes. */
    static boolean verifyCallback(Verifier v, byte[] alg, byte[] message, byte[] signature)
            throws Exception {
        return v.verify(str(alg), message, signature);
    }

    /**
     * Runs a Java {@link Transport} for the shim. Headers arrive as name, value, name, ...; the
     * result is {status in decimal, body, name, value, name, value, ...} (UTF-8 bytes).
     */
    static byte[][] transportSend(Transport t, byte[] method, byte[] url, byte[][] headers,
                                  byte[] body, long timeoutMs, long connectTimeoutMs,
                                  byte[] caFile) throws Exception {
        java.util.List<java.util.Map.Entry<String, String>> h = new java.util.ArrayList<>();
        for (int i = 0; i + 1 < headers.length; i += 2) {
            h.add(new java.util.AbstractMap.SimpleImmutableEntry<>(str(headers[i]),
                                                                   str(headers[i + 1])));
        }
        HttpResponse r = t.send(new HttpRequest(str(method), str(url), h, body, timeoutMs,
                                                connectTimeoutMs, str(caFile)));
        if (r == null) throw new java.io.IOException("Transport.send returned null");
        byte[][] out = new byte[2 + 2 * r.headers.size()][];
        out[0] = Integer.toString(r.status).getBytes(StandardCharsets.US_ASCII);
        out[1] = r.body;
        int i = 2;
        for (java.util.Map.Entry<String, String> e : r.headers) {
            out[i++] = e.getKey().getBytes(StandardCharsets.UTF_8);
            out[i++] = (e.getValue() == null ? "" : e.getValue()).getBytes(StandardCharsets.UTF_8);
        }
        return out;
    }

    /** The exception for a Transport that threw {@code cause}: the status plus its message. */
    static TigressException transportFailed(int code, byte[] name, Throwable cause) {
        TigressException e = TigressException.of(code, str(name), "transport failed: " + cause,
                                                  0, 0);
        e.initCause(cause);
        return e;
    }

    /**
     * Native.aeadSeal/aeadOpen: the shim's AEAD vtable calls these, which call the provider.
     * An exception becomes TIGRESS_E_CRYPTO (it must not cross C); the key copy is wiped here
     * and again, with the plaintext arrays, by the shim.
     */
    static int aeadSeal(AeadProvider p, int type, byte[] key, byte[] nonce, byte[] plaintext,
                        byte[] ciphertext, byte[] tag) {
        try {
            return p.seal(PayloadType.fromCode(type), key, nonce, plaintext, ciphertext, tag);
        } catch (Exception e) {
            return Status.CRYPTO.code();
        } finally {
            java.util.Arrays.fill(key, (byte) 0);
        }
    }

    static int aeadOpen(AeadProvider p, int type, byte[] key, byte[] nonce, byte[] ciphertext,
                        byte[] tag, byte[] plaintext) {
        try {
            return p.open(PayloadType.fromCode(type), key, nonce, ciphertext, tag, plaintext);
        } catch (Exception e) {
            return Status.CRYPTO.code();
        } finally {
            java.util.Arrays.fill(key, (byte) 0);
        }
    }

    // ---- library -------------------------------------------------------------------------------
    static native int versionNum();
    /** tigress_status_name(code): lets the tests compare {@link Status} with the library. */
    static native byte[] statusName(int code);
    static native byte[] versionString();

    // ---- client (each client holds one tigress_global_init reference) -----------------------------
    static native long clientNew(byte[] caFile, long connectTimeoutMs, long requestTimeoutMs,
                                 long maxRetries, boolean allowInsecureLoopback,
                                 byte[][] allowList, byte[] userAgent, Transport transport,
                                 long aead) throws TigressException;
    static native void clientFree(long client);

    // ---- AEAD providers (tigress/sys/aead.h): the long is the shim's vtable + global ref -------
    static native long aeadNew(AeadProvider provider) throws TigressException;
    static native void aeadFree(long aead);
    /** tigress_aead_provider_set_default; 0 removes it. The handle must stay alive for good. */
    static native void aeadSetDefault(long aead) throws TigressException;
    static native boolean payloadTypeBuiltin(int payloadType);
    static native void clientCancel(long client);
    static native void clientCancelClear(long client);
    static native void clientWake(long client);

    // ---- transfers: the long is the shim's per-transfer context ---------------------------------
    static native long shareCreate(long client, byte[] relayUrl, byte[] format, byte[] content,
                                   byte[] title, byte[] description, byte[] imageUrl,
                                   long expiresAt, char vertical, int payloadType,
                                   boolean stateful, byte[] tokenType, byte[] tokenData,
                                   byte[] attestation) throws TigressException;
    static native long redeem(long client, byte[] shareUrl, byte[] secret, byte[] tokenType,
                              byte[] tokenData, Verifier verifier, byte[] ed25519Public)
        throws TigressException;
    static native long importTransfer(long client, byte[] blob, byte[] secret)
        throws TigressException;
    static native void setVerifier(long t, Verifier verifier, byte[] ed25519Public)
        throws TigressException;
    static native void update(long t, byte[] type, byte[] data) throws TigressException;
    static native void approve(long t, Signer signer, byte[] alg, long ed25519Key)
        throws TigressException;
    static native boolean poll(long t) throws TigressException;
    static native void waitForPeer(long t, long timeoutMs, boolean longPoll)
        throws TigressException;
    static native void revoke(long t) throws TigressException;
    static native void relinquish(long t) throws TigressException;
    static native void complete(long t) throws TigressException;
    static native byte[] exportState(long t, boolean withoutSecret) throws TigressException;
    static native void transferFree(long t);

    // Accessors. str(): 0 mailbox id, 1 share URL, 2 URL, 3 format, 4 title, 5 description,
    // 6 image URL. ints(): 0 state, 1 role, 2 stateful, 3 payload type, 4 vertical, 5 push.
    static native byte[] transferString(long t, int which);
    static native int transferInt(long t, int which);
    static native long expiresAt(long t);
    static native byte[] secret(long t, boolean asText);
    static native byte[] content(long t);
    /** {type, data} or {alg, signature}; throws TIGRESS_E_STATE when there is none yet. */
    static native byte[][] txInfo(long t, boolean signature) throws TigressException;

    // ---- Ed25519 ---------------------------------------------------------------------------------
    static native long keyGenerate() throws TigressException;
    static native long keyFromSeed(byte[] seed) throws TigressException;
    static native byte[] keyPublic(long key) throws TigressException;
    static native byte[] keySign(long key, byte[] message) throws TigressException;
    static native void keyFree(long key);
    static native boolean ed25519Verify(byte[] publicKey, byte[] alg, byte[] message,
                                        byte[] signature) throws TigressException;

    // ---- low level: Secrets, payloads, Share URLs (tigress/crypto.h) ----------------------------
    static native long secretGenerate(int payloadType) throws TigressException;
    static native long secretFromText(byte[] text) throws TigressException;
    static native long secretFromBytes(byte[] key) throws TigressException;
    static native byte[] secretBytes(long secret, boolean asText);
    static native void secretFree(long secret);
    static native byte[] payloadSeal(int payloadType, long secret, byte[] plaintext)
        throws TigressException;
    static native byte[] payloadOpen(int payloadType, long secret, byte[] data)
        throws TigressException;
    static native byte[] shareUrlBuild(byte[] urlLink, char vertical, long secret)
        throws TigressException;
    /** {mailbox URL, relay, host, mailbox id, vertical (0 or 1 byte)}; secretOut[0] = Secret or 0. */
    static native byte[][] shareUrlParse(byte[] url, int flags, long[] secretOut)
        throws TigressException;
}
