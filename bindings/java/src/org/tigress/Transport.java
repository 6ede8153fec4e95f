package org.tigress;

import java.io.IOException;

/**
 * An HTTP transport that replaces the built-in libcurl one, e.g. OkHttp on Android
 * (the C {@code tigress_transport} vtable). Give it to {@link TigressClient.Options#transport}.
 *
 * <p>{@link #send} runs on the thread that made the blocking libtigress call, during that call;
 * it sends one request and returns the complete response, whatever its status. Retries,
 * Request-ID handling and status mapping stay in the library: a transport only moves bytes.
 * An {@link IOException} (or any other exception) becomes {@link TigressException.Network},
 * with the exception as its cause. {@link #cancel} is called from the thread that calls
 * {@link TigressClient#cancel()} while {@code send} may be running; it must make {@code send}
 * return or throw promptly (the call then fails with {@link TigressException.Cancelled}).
 */
public interface Transport {
    /** Sends one request; everything in {@code request} is valid only during the call. */
    HttpResponse send(HttpRequest request) throws IOException;

    /** Aborts a running {@link #send} (e.g. {@code okhttp3.Call.cancel()}). Default: nothing. */
    default void cancel() {}
}
