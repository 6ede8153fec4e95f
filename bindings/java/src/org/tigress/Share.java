package org.tigress;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * What to share and how, for {@link TigressClient#share(Share)} (tigress_share_options).
 *
 * <p>The title, description and image are public: they appear in link previews and must not
 * identify anyone. The content is secret; {@link #wipe()} clears this object's copy of it.
 */
public final class Share {
    final String relayUrl;
    final String format;
    byte[] content;
    final String title;
    String description;
    String imageUrl;
    long expiresAt;
    char vertical;
    PayloadType payloadType = PayloadType.XSALSA20_POLY1305;
    boolean stateful;
    String tokenType;
    String tokenData;
    String attestation;

    /**
     * @param relayUrl relay base, e.g. "https://relay.example"
     * @param format the Provisioning Information format
     * @param contentJson the Provisioning Information, a JSON object as UTF-8 bytes (copied)
     * @param title display title (at most 256 bytes)
     */
    public Share(String relayUrl, String format, byte[] contentJson, String title) {
        this.relayUrl = relayUrl;
        this.format = format;
        this.content = contentJson == null ? null : Arrays.copyOf(contentJson, contentJson.length);
        this.title = title;
    }

    /** Like {@link #Share(String, String, byte[], String)} with the content as a String. */
    public Share(String relayUrl, String format, String contentJson, String title) {
        this(relayUrl, format, contentJson == null ? null
             : contentJson.getBytes(StandardCharsets.UTF_8), title);
    }

    public Share description(String v) { description = v; return this; }
    public Share imageUrl(String v) { imageUrl = v; return this; }
    /** Expiration in Unix seconds; 0 (default) means 24 hours from now. */
    public Share expiresAt(long unixSeconds) { expiresAt = unixSeconds; return this; }
    /** 'a', 'h', 'c', or 0 for none. */
    public Share vertical(char v) { vertical = v; return this; }
    public Share payloadType(PayloadType v) { payloadType = v; return this; }
    /** Use the stateful flow: TxInfo from the Recipient, a signature from the Initiator. */
    public Share stateful(boolean v) { stateful = v; return this; }
    /** The Initiator's push token, e.g. ("webpush", token). */
    public Share notificationToken(String type, String data) {
        tokenType = type;
        tokenData = data;
        return this;
    }
    public Share attestation(String v) { attestation = v; return this; }

    /** Overwrites this object's copy of the content with zeros. */
    public void wipe() {
        if (content != null) Arrays.fill(content, (byte) 0);
    }
}
