package org.tigress;

/**
 * Whether a transfer has round trips (tigress_flow, since 1.1). A Recipient whose Initiator
 * implements the drafts alone (message 1 without the "tigress" member, docs/protocol.md §5)
 * sees UNKNOWN until it sends TxInfo (STATEFUL) or completes (STATELESS).
 */
public enum Flow {
    UNKNOWN(0), STATELESS(1), STATEFUL(2);

    private final int code;

    Flow(int code) { this.code = code; }

    /** The C value. */
    public int code() { return code; }

    static Flow fromCode(int code) {
        for (Flow f : values()) {
            if (f.code == code) return f;
        }
        return UNKNOWN;
    }
}
