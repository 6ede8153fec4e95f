package org.tigress;

/** The state of a transfer (tigress_state); the C values never change. */
public enum TransferState {
    CREATED(1), REDEEMED(2), WAITING_FOR_PEER(3), TXINFO_RECEIVED(4), SIGNED(5),
    COMPLETED(6), REVOKED(7), RELINQUISHED(8), EXPIRED(9), FAILED(10);

    private final int code;

    TransferState(int code) { this.code = code; }

    /** The C value. */
    public int code() { return code; }

    /** True for the states after which nothing more happens. */
    public boolean isFinal() { return code >= COMPLETED.code; }

    static TransferState fromCode(int code) {
        for (TransferState s : values()) {
            if (s.code == code) return s;
        }
        throw new IllegalStateException("unknown transfer state " + code);
    }
}
