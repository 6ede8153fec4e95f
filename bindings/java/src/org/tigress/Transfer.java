package org.tigress;

/**
 * One credential transfer, from either side (tigress_transfer).
 *
 * <p>A transfer belongs to the {@link TigressClient} that created it: its calls are serialised
 * with the client's, {@link TigressClient#cancel()} ends its blocking calls, and closing the
 * client closes it. {@link #close()} wipes the Secret and content held in C.
 * Values returned as {@code byte[]} that hold secrets (Secret, content, exported state) are
 * fresh copies: overwrite them with {@code Arrays.fill(b, (byte) 0)} when done.
 */
public final class Transfer implements AutoCloseable {
    /** The side of a transfer. */
    public enum Role { INITIATOR, RECIPIENT }

    private final TigressClient client;
    private long handle;

    Transfer(TigressClient client, long handle) {
        this.client = client;
        this.handle = handle;
    }

    private long h() {
        if (handle == 0) throw new IllegalStateException("Transfer is closed");
        return handle;
    }

    private String string(int which) {
        synchronized (client.lock) { return Native.str(Native.transferString(h(), which)); }
    }

    private int integer(int which) {
        synchronized (client.lock) { return Native.transferInt(h(), which); }
    }

    public TransferState state() { return TransferState.fromCode(integer(0)); }
    public Role role() { return integer(1) == 1 ? Role.INITIATOR : Role.RECIPIENT; }
    public boolean isStateful() { return integer(2) != 0; }
    /**
     * The flow (tigress_transfer_flow, since 1.1): {@link Flow#UNKNOWN} for a Recipient of a
     * draft-only Initiator until it sends TxInfo (then STATEFUL) or completes (STATELESS).
     */
    public Flow flow() { return Flow.fromCode(integer(6)); }
    public PayloadType payloadType() { return PayloadType.fromCode(integer(3)); }
    /** 'a', 'h', 'c', or 0. */
    public char vertical() { return (char) integer(4); }
    /** True when the relay said it will push to this device. */
    public boolean pushSupported() { return integer(5) != 0; }
    /** The mailbox identifier (lowercase UUID). */
    public String mailboxId() { return string(0); }
    /**
     * The Share URL with the Secret in its fragment: send it to the Recipient only; null when
     * this transfer does not hold the Secret. A String cannot be wiped and stays in the heap
     * until collected: prefer {@link #shareUrlBytes()}.
     */
    public String shareUrl() { return string(1); }
    /**
     * The Share URL with the Secret in its fragment as UTF-8 bytes, a fresh copy that the
     * caller wipes with {@code Arrays.fill(b, (byte) 0)} when done (e.g. after rendering the
     * QR code or handing it to {@link Redeem#Redeem(byte[])}); null when the Secret is not held.
     */
    public byte[] shareUrlBytes() {
        synchronized (client.lock) { return Native.transferString(h(), 1); }
    }
    /** The Share URL without the Secret (not secret), for sending the Secret apart with
     *  {@link #secretText()}. */
    public String url() { return string(2); }
    public String format() { return string(3); }
    public String title() { return string(4); }
    public String description() { return string(5); }
    public String imageUrl() { return string(6); }

    /** Expiration in Unix seconds. */
    public long expiresAt() {
        synchronized (client.lock) { return Native.expiresAt(h()); }
    }

    /** The raw Secret (16 or 32 bytes), a fresh copy, or null when not held. */
    public byte[] secret() {
        synchronized (client.lock) { return Native.secret(h(), false); }
    }

    /** The Secret as Base64 text (ASCII bytes), for sending apart; null when not held. */
    public byte[] secretText() {
        synchronized (client.lock) { return Native.secret(h(), true); }
    }

    /** The Provisioning Information content (UTF-8 JSON), a fresh copy; secret. */
    public byte[] content() {
        synchronized (client.lock) { return Native.content(h()); }
    }

    /** The TxInfo type sent (Recipient) or received (Initiator). */
    public String txInfoType() throws TigressException {
        synchronized (client.lock) { return Native.str(Native.txInfo(h(), false)[0]); }
    }

    /** The TxInfo bytes sent (Recipient) or received (Initiator). */
    public byte[] txInfo() throws TigressException {
        synchronized (client.lock) { return Native.txInfo(h(), false)[1]; }
    }

    /** The algorithm of the signature sent (Initiator) or verified (Recipient). */
    public String signatureAlgorithm() throws TigressException {
        synchronized (client.lock) { return Native.str(Native.txInfo(h(), true)[0]); }
    }

    /** The signature sent (Initiator) or verified (Recipient). */
    public byte[] signature() throws TigressException {
        synchronized (client.lock) { return Native.txInfo(h(), true)[1]; }
    }

    /** Recipient: sets the verifier of the Initiator's signature (stateful flow). */
    public void setVerifier(Verifier v) throws TigressException {
        synchronized (client.lock) {
            if (v instanceof Ed25519Verifier) {
                Native.setVerifier(h(), null, ((Ed25519Verifier) v).publicKey);
            } else {
                Native.setVerifier(h(), v, null);
            }
        }
    }

    /** Recipient, stateful: sends Transaction Information (e.g. a new public key). */
    public void update(String txInfoType, byte[] txInfo) throws TigressException {
        synchronized (client.lock) { Native.update(h(), Native.utf8(txInfoType), txInfo); }
    }

    /**
     * Initiator, stateful: signs the received TxInfo and sends the signature.
     * An {@link Ed25519Key} signs in C; any other {@link Signer} is called back on this thread.
     */
    public void approve(Signer signer) throws TigressException {
        synchronized (client.lock) {
            if (signer instanceof Ed25519Key) {
                Ed25519Key key = (Ed25519Key) signer;
                synchronized (key) { Native.approve(h(), null, null, key.handle()); }
            } else {
                String alg = signer.algorithm();
                if (alg == null) throw new IllegalArgumentException("Signer.algorithm() is null");
                Native.approve(h(), signer, Native.utf8(alg), 0);
            }
        }
    }

    /** Checks the mailbox once: true when the state advanced, false when nothing is new. */
    public boolean poll() throws TigressException {
        synchronized (client.lock) { return Native.poll(h()); }
    }

    /**
     * Blocks until the peer's next message or the end of the transfer (long-poll when the
     * relay offers it, else polling with back-off). Run it on a background thread;
     * {@link TigressClient#cancel()} ends it with {@link TigressException.Cancelled}.
     *
     * @param timeoutMs give up after this long ({@link TigressException.Timeout}); 0: until
     *                  the transfer expires
     */
    public void waitForPeer(long timeoutMs) throws TigressException {
        waitForPeer(timeoutMs, true);
    }

    /** As {@link #waitForPeer(long)}; {@code longPoll=false} never asks the relay to hold. */
    public void waitForPeer(long timeoutMs, boolean longPoll) throws TigressException {
        synchronized (client.lock) { Native.waitForPeer(h(), timeoutMs, longPoll); }
    }

    /** Initiator: deletes the mailbox before completion. */
    public void revoke() throws TigressException {
        synchronized (client.lock) { Native.revoke(h()); }
    }

    /** Recipient: gives up the binding so that another device can redeem. */
    public void relinquish() throws TigressException {
        synchronized (client.lock) { Native.relinquish(h()); }
    }

    /** Recipient: the credential is provisioned; deletes the mailbox. */
    public void complete() throws TigressException {
        synchronized (client.lock) { Native.complete(h()); }
    }

    /**
     * Serialises the transfer to resume it after a restart. Unless {@code withoutSecret}, the
     * blob holds the Secret and the content: keep it in the Android Keystore and wipe the array.
     */
    public byte[] exportState(boolean withoutSecret) throws TigressException {
        synchronized (client.lock) { return Native.exportState(h(), withoutSecret); }
    }

    /** Wipes and frees the transfer (no network traffic). Idempotent. */
    @Override
    public void close() {
        synchronized (client.lock) {
            if (handle != 0) {
                Native.transferFree(handle);
                handle = 0;
                client.forget(this);
            }
        }
    }

    @Override
    public String toString() {
        synchronized (client.lock) {
            if (handle == 0) return "Transfer(closed)";
            return "Transfer(" + role() + ", " + state() + ", " + mailboxId() + ")";
        }
    }
}
