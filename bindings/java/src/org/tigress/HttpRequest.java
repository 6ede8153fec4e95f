package org.tigress;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;

/** One request handed to a {@link Transport}: method, absolute URL, headers, body, deadlines. */
public final class HttpRequest {
    private final String method;
    private final String url;
    private final List<Map.Entry<String, String>> headers;
    private final byte[] body;
    private final long timeoutMs;
    private final long connectTimeoutMs;
    private final String caFile;

    HttpRequest(String method, String url, List<Map.Entry<String, String>> headers, byte[] body,
                long timeoutMs, long connectTimeoutMs, String caFile) {
        this.method = method;
        this.url = url;
        this.headers = Collections.unmodifiableList(new ArrayList<>(headers));
        this.body = body;
        this.timeoutMs = timeoutMs;
        this.connectTimeoutMs = connectTimeoutMs;
        this.caFile = caFile;
    }

    /** "POST", "PUT", "DELETE", "PATCH", "GET" or "HEAD". */
    public String method() { return method; }

    /** The absolute https URL (http only to loopback); it never contains the Secret. */
    public String url() { return url; }

    /** Request headers in order (name, value); names as the library wrote them. */
    public List<Map.Entry<String, String>> headers() { return headers; }

    /** The body, or null when the request has none. It never contains the Secret. */
    public byte[] body() { return body; }

    /** Whole-request deadline in ms; 0 means the transport's default. */
    public long timeoutMs() { return timeoutMs; }

    /** Connection deadline in ms; 0 means the transport's default. */
    public long connectTimeoutMs() { return connectTimeoutMs; }

    /** The PEM CA bundle the client was configured with, or null for the system's trust. */
    public String caFile() { return caFile; }
}
