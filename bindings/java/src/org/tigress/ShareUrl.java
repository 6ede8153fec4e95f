package org.tigress;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * A Share URL, {@code https://host[:port]/v1/m/{id}[?v=a|h|c][#Secret]}: build one
 * (tigress_share_url_build) or parse one into its parts (tigress_share_url_parse). A parsed URL
 * owns a copy of its Secret, if any; {@link #close()} wipes it.
 */
public final class ShareUrl implements AutoCloseable {
    /** For {@link #parse(String, int)}: accept http:// to a loopback host (tests only). */
    public static final int ALLOW_INSECURE_LOOPBACK = 1;

    private final String mailboxUrl;
    private final String relay;
    private final String host;
    private final String mailboxId;
    private final char vertical;
    private final Secret secret;

    private ShareUrl(byte[][] parts, Secret secret) {
        mailboxUrl = Native.str(parts[0]);
        relay = Native.str(parts[1]);
        host = Native.str(parts[2]);
        mailboxId = Native.str(parts[3]);
        vertical = parts[4].length == 0 ? 0 : (char) parts[4][0];
        this.secret = secret;
    }

    /**
     * {@code urlLink?v=vertical#Secret}; vertical 'a', 'h', 'c' or 0 for none; secret null to
     * leave the fragment out. The result holds the Secret and, as a String, cannot be wiped:
     * prefer {@link #buildBytes(String, char, Secret)}.
     */
    public static String build(String urlLink, char vertical, Secret secret)
            throws TigressException {
        byte[] b = buildBytes(urlLink, vertical, secret);
        try {
            return new String(b, StandardCharsets.UTF_8);
        } finally {
            Arrays.fill(b, (byte) 0);
        }
    }

    /** As {@link #build(String, char, Secret)}, as UTF-8 bytes the caller wipes when done. */
    public static byte[] buildBytes(String urlLink, char vertical, Secret secret)
            throws TigressException {
        return Native.shareUrlBuild(Native.utf8(urlLink), vertical,
                                    secret == null ? 0 : secret.handle());
    }

    public static ShareUrl parse(String url) throws TigressException {
        return parse(url, 0);
    }

    /** Parses with flags 0 or {@link #ALLOW_INSECURE_LOOPBACK}. */
    public static ShareUrl parse(String url, int flags) throws TigressException {
        return parseZ(Native.utf8(url), flags);
    }

    /** Parses a Share URL given as UTF-8 bytes (not kept; the caller wipes its own copy). */
    public static ShareUrl parse(byte[] url, int flags) throws TigressException {
        return parseZ(url == null ? null : Arrays.copyOf(url, url.length + 1), flags);
    }

    /** z: a NUL-terminated copy (or null) that this wipes. */
    private static ShareUrl parseZ(byte[] z, int flags) throws TigressException {
        long[] sec = new long[1];
        try {
            byte[][] parts = Native.shareUrlParse(z, flags, sec);
            return new ShareUrl(parts, sec[0] == 0 ? null : new Secret(sec[0]));
        } finally {
            if (z != null) Arrays.fill(z, (byte) 0);
        }
    }

    /** The URL without query and fragment: what is sent to the relay. */
    public String mailboxUrl() { return mailboxUrl; }
    /** {@code scheme://host[:port]}. */
    public String relay() { return relay; }
    /** The host name, without port or brackets. */
    public String host() { return host; }
    /** The mailbox id, a lowercase UUID. */
    public String mailboxId() { return mailboxId; }
    /** 'a', 'h', 'c', or 0 when the URL has none. */
    public char vertical() { return vertical; }
    /** The Secret from the fragment (owned by this object), or null. */
    public Secret secret() { return secret; }

    /** Wipes the Secret. */
    @Override
    public void close() {
        if (secret != null) secret.close();
    }
}
