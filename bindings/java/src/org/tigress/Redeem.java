package org.tigress;

import java.util.Arrays;

/** How to redeem a Share URL, for {@link TigressClient#redeem(Redeem)} (tigress_redeem_options). */
public final class Redeem {
    final byte[] shareUrl;
    byte[] secret;
    String tokenType;
    String tokenData;
    Verifier verifier;

    /** @param shareUrl the Share URL as received, UTF-8 (copied; it may hold the Secret) */
    public Redeem(byte[] shareUrl) {
        this.shareUrl = Arrays.copyOf(shareUrl, shareUrl.length);
    }

    /** @param shareUrl the Share URL as received */
    public Redeem(String shareUrl) {
        this(shareUrl.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    /** The Secret as Base64 text, when it was sent apart from the URL (copied). */
    public Redeem secret(byte[] secretText) {
        secret = secretText == null ? null : Arrays.copyOf(secretText, secretText.length);
        return this;
    }

    /** The Recipient's push token. */
    public Redeem notificationToken(String type, String data) {
        tokenType = type;
        tokenData = data;
        return this;
    }

    /** Verifies the Initiator's signature (stateful flow). */
    public Redeem verifier(Verifier v) { verifier = v; return this; }

    /** Overwrites this object's copies of the URL and Secret with zeros. */
    public void wipe() {
        Arrays.fill(shareUrl, (byte) 0);
        if (secret != null) Arrays.fill(secret, (byte) 0);
    }
}
