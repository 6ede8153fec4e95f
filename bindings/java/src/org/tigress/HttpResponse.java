package org.tigress;

import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** The complete response a {@link Transport} received: status, headers and body. */
public final class HttpResponse {
    final int status;
    final List<Map.Entry<String, String>> headers = new ArrayList<>();
    final byte[] body;

    /** @param status the HTTP status (100..599); @param body the body, or null for none */
    public HttpResponse(int status, byte[] body) {
        this.status = status;
        this.body = body;
    }

    /** Adds one response header (a header with several values may be added several times). */
    public HttpResponse header(String name, String value) {
        headers.add(new AbstractMap.SimpleImmutableEntry<>(name, value));
        return this;
    }

    /** Adds every header of a map such as {@code java.net.http.HttpHeaders.map()}. */
    public HttpResponse headers(Map<String, List<String>> all) {
        for (Map.Entry<String, List<String>> e : all.entrySet()) {
            if (e.getKey() == null) continue; // the status line in HttpURLConnection's map
            for (String v : e.getValue()) header(e.getKey(), v);
        }
        return this;
    }

    public int status() { return status; }
}
