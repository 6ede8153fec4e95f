package org.tigress;

/** How the payload is encrypted (tigress_payload_type); the C values never change. */
public enum PayloadType {
    /** libsodium secretbox, 32-byte Secret. The default. */
    XSALSA20_POLY1305(0),
    /** AEAD_AES_128_GCM, 16-byte Secret. */
    AES_128_GCM(1),
    /** AEAD_AES_256_GCM, 32-byte Secret. */
    AES_256_GCM(2);

    private final int code;

    PayloadType(int code) { this.code = code; }

    /** The C value. */
    public int code() { return code; }

    static PayloadType fromCode(int code) {
        for (PayloadType p : values()) {
            if (p.code == code) return p;
        }
        throw new IllegalStateException("unknown payload type " + code);
    }
}
