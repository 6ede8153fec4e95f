package org.tigress;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Set;

/**
 * A libtigress client: relay connection settings and the owner of its transfers.
 *
 * <p>Calls on a client and its transfers are serialised, so they are safe to run on a
 * background executor (e.g. {@code Executors.newSingleThreadExecutor()} or a Kotlin
 * {@code Dispatchers.IO} coroutine); {@link #cancel()} and {@link #wake()} never wait for a
 * running call and may be called from any thread, e.g. the UI thread. Close the client (and
 * so every transfer it still owns) with {@link #close()} or try-with-resources.
 */
public final class TigressClient implements AutoCloseable {

    /** Options for a client; zero or null means the library default. */
    public static final class Options {
        String caFile;
        long connectTimeoutMs;
        long requestTimeoutMs;
        long maxRetries = -1;
        boolean allowInsecureLoopback;
        String[] relayAllowList;
        String userAgent;
        Transport transport;
        AeadProvider aeadProvider;

        /** A PEM CA bundle for a private relay; default: the system's. */
        public Options caFile(String path) { caFile = path; return this; }
        public Options connectTimeoutMs(long v) { connectTimeoutMs = v; return this; }
        public Options requestTimeoutMs(long v) { requestTimeoutMs = v; return this; }
        /** Retries after a network error, 5xx or 429; 0 disables them; default 3. */
        public Options maxRetries(int v) { maxRetries = v; return this; }
        /** Allow http:// to 127.0.0.1, ::1 and localhost only (tests and demos). */
        public Options allowInsecureLoopback(boolean v) { allowInsecureLoopback = v; return this; }
        /** Relay host names this client may contact; default: any. */
        public Options relayAllowList(String... hosts) {
            relayAllowList = hosts == null ? null : hosts.clone();
            return this;
        }
        public Options userAgent(String v) { userAgent = v; return this; }
        /**
         * Sends requests through {@code t} (e.g. OkHttp) instead of libcurl; the client keeps a
         * reference to it until it is closed. Default: null, the built-in transport.
         */
        public Options transport(Transport t) { transport = t; return this; }
        /**
         * Computes this client's AES-GCM with {@code p} (e.g. {@link JavaxCryptoAead}); the client
         * keeps a reference to it until it is closed. Default: null, the process default
         * ({@link TigressClient#setDefaultAeadProvider}), else the library's own AES-GCM.
         */
        public Options aeadProvider(AeadProvider p) { aeadProvider = p; return this; }
    }

    /** Serialises every call on this client and its transfers (one C call at a time). */
    final Object lock = new Object();
    /** Guards {@link #handle} for cancel()/wake(), which must not wait for {@link #lock}. */
    private final Object handleLock = new Object();
    private long handle;
    /** The shim's vtable for Options.aeadProvider (0: none); freed after the client. */
    private long aead;
    /** Default providers ever installed: a seal on another thread may still use a replaced one. */
    private static final java.util.List<Long> DEFAULT_AEADS = new ArrayList<>();
    private final Set<Transfer> transfers = Collections.newSetFromMap(new IdentityHashMap<>());

    /** A client with default options. */
    public TigressClient() throws TigressException {
        this(new Options());
    }

    public TigressClient(Options o) throws TigressException {
        byte[][] hosts = null;
        if (o.relayAllowList != null) {
            hosts = new byte[o.relayAllowList.length][];
            for (int i = 0; i < hosts.length; i++) hosts[i] = Native.utf8(o.relayAllowList[i]);
        }
        long a = o.aeadProvider == null ? 0 : Native.aeadNew(o.aeadProvider);
        try {
            handle = Native.clientNew(Native.utf8(o.caFile), o.connectTimeoutMs,
                                      o.requestTimeoutMs, o.maxRetries, o.allowInsecureLoopback,
                                      hosts, Native.utf8(o.userAgent), o.transport, a);
        } catch (TigressException | RuntimeException e) {
            Native.aeadFree(a);
            throw e;
        }
        aead = a;
    }

    /**
     * Installs {@code p} as the process-wide AEAD provider (tigress_aead_provider_set_default):
     * used by every client created without {@link Options#aeadProvider} and by the low-level
     * payload calls, from the next seal or open on; null goes back to the library's own
     * AES-GCM. A replaced provider stays referenced until the process ends (a call on another
     * thread may still be using it): set it once, at start-up.
     */
    public static void setDefaultAeadProvider(AeadProvider p) throws TigressException {
        synchronized (DEFAULT_AEADS) {
            long a = p == null ? 0 : Native.aeadNew(p);
            try {
                Native.aeadSetDefault(a);
            } catch (TigressException | RuntimeException e) {
                Native.aeadFree(a);
                throw e;
            }
            if (a != 0) DEFAULT_AEADS.add(a);
        }
    }

    /**
     * Whether this libtigress encrypts {@code type} with no provider installed: always
     * XSALSA20_POLY1305; in the portable build AES-256-GCM only on CPUs with AES instructions
     * and AES-128-GCM never (tigress_payload_type_builtin).
     */
    public static boolean payloadTypeBuiltin(PayloadType type) {
        return Native.payloadTypeBuiltin(type.code());
    }

    /** The library's version, e.g. "1.0.0". */
    public static String libraryVersion() {
        return Native.str(Native.versionString());
    }

    /** The library's version as 0xMMmmpp. */
    public static int libraryVersionNumber() {
        return Native.versionNum();
    }

    /** The C handle; call with {@link #lock} held. */
    long handle() {
        synchronized (handleLock) {
            if (handle == 0) throw new IllegalStateException("TigressClient is closed");
            return handle;
        }
    }

    Transfer adopt(long t) {
        Transfer tr = new Transfer(this, t);
        transfers.add(tr);
        return tr;
    }

    void forget(Transfer t) {
        transfers.remove(t);
    }

    /** Initiator: encrypts the content and creates the mailbox; the transfer is CREATED. */
    public Transfer share(Share s) throws TigressException {
        byte[] content = Native.cstr(s.content);
        try {
            synchronized (lock) {
                return adopt(Native.shareCreate(handle(), Native.utf8(s.relayUrl),
                    Native.utf8(s.format), content, Native.utf8(s.title),
                    Native.utf8(s.description), Native.utf8(s.imageUrl), s.expiresAt, s.vertical,
                    s.payloadType.code(), s.stateful, Native.utf8(s.tokenType),
                    Native.utf8(s.tokenData), Native.utf8(s.attestation)));
            }
        } finally {
            if (content != null) Arrays.fill(content, (byte) 0);
        }
    }

    /** Recipient: reads, binds and decrypts the mailbox of a Share URL (Secret in the fragment). */
    public Transfer redeem(String shareUrl) throws TigressException {
        Redeem r = new Redeem(shareUrl);
        try {
            return redeem(r);
        } finally {
            r.wipe();
        }
    }

    /** Recipient: as {@link #redeem(String)} with every option. */
    public Transfer redeem(Redeem r) throws TigressException {
        byte[] url = Native.cstr(r.shareUrl);
        byte[] secret = Native.cstr(r.secret);
        byte[] pub = r.verifier instanceof Ed25519Verifier
            ? ((Ed25519Verifier) r.verifier).publicKey : null;
        try {
            synchronized (lock) {
                return adopt(Native.redeem(handle(), url, secret, Native.utf8(r.tokenType),
                                           Native.utf8(r.tokenData), pub == null ? r.verifier : null,
                                           pub));
            }
        } finally {
            Arrays.fill(url, (byte) 0);
            if (secret != null) Arrays.fill(secret, (byte) 0);
        }
    }

    /**
     * Recreates a transfer from {@link Transfer#exportState(boolean)} (no network traffic).
     *
     * @param secretText the Secret as Base64 text when the blob was exported without it, else null
     * @param verifier a Recipient's verifier (not part of the blob), or null
     */
    public Transfer importTransfer(byte[] blob, byte[] secretText, Verifier verifier)
            throws TigressException {
        byte[] secret = Native.cstr(secretText);
        try {
            synchronized (lock) {
                Transfer t = adopt(Native.importTransfer(handle(), blob, secret));
                if (verifier != null) t.setVerifier(verifier);
                return t;
            }
        } finally {
            if (secret != null) Arrays.fill(secret, (byte) 0);
        }
    }

    /**
     * Cancels the blocking call running on this client (share, redeem, waitForPeer, ...), or
     * the next one to start, from any thread: it throws {@link TigressException.Cancelled} and
     * leaves its transfer as it was. A cancel is never lost: requested while the call's job is
     * still queued on an executor, it cancels that call before any request. One cancel ends
     * one call (tigress_client_cancel); {@link #cancelClear()} drops a pending one.
     */
    public void cancel() {
        synchronized (handleLock) {
            if (handle != 0) Native.clientCancel(handle);
        }
    }

    /** Drops a cancel that no call has noticed yet (tigress_client_cancel_clear); any thread. */
    public void cancelClear() {
        synchronized (handleLock) {
            if (handle != 0) Native.clientCancelClear(handle);
        }
    }

    /** Makes a sleeping {@link Transfer#waitForPeer(long)} read the mailbox now (a push arrived). */
    public void wake() {
        synchronized (handleLock) {
            if (handle != 0) Native.clientWake(handle);
        }
    }

    /** Closes every transfer still owned by this client, then frees it. Idempotent. */
    @Override
    public void close() {
        synchronized (lock) {
            for (Transfer t : new ArrayList<>(transfers)) t.close();
            synchronized (handleLock) {
                if (handle != 0) {
                    Native.clientFree(handle);
                    handle = 0;
                }
                if (aead != 0) {
                    Native.aeadFree(aead); // after the client: it called the provider until then
                    aead = 0;
                }
            }
        }
    }
}
