package org.tigress;

import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;

/**
 * A {@link Transport} on {@code java.net.http.HttpClient} (Java 11+; not on Android, where an
 * OkHttp transport takes its place): what the portable build of libtigress, which has no
 * libcurl, needs on a desktop or server JVM.
 *
 * <p>TLS trusts the JVM's default trust store, or only the PEM CA bundle given to the
 * constructor, or, when a request carries the client's {@code caFile}, only that bundle.
 * {@link #cancel()} aborts every request in flight (the call then fails with
 * {@link TigressException.Cancelled}).
 */
public final class JdkHttpTransport implements Transport {
    // Headers java.net.http sets itself and refuses from callers.
    private static final Set<String> RESTRICTED =
        Set.of("host", "content-length", "connection", "expect", "upgrade");

    private final HttpClient defaultClient;
    private final Map<String, HttpClient> byCaFile = new ConcurrentHashMap<>();
    private final Set<CompletableFuture<?>> inFlight = ConcurrentHashMap.newKeySet();

    /** Trusts the JVM's default trust store (or the client's caFile, per request). */
    public JdkHttpTransport() {
        defaultClient = builder().build();
    }

    /** Trusts only the certificates of the PEM bundle {@code caPemFile}. */
    public JdkHttpTransport(String caPemFile) throws IOException, GeneralSecurityException {
        defaultClient = clientFor(caPemFile);
    }

    private static HttpClient.Builder builder() {
        return HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(10));
    }

    private static HttpClient clientFor(String caPemFile)
            throws IOException, GeneralSecurityException {
        KeyStore ks = KeyStore.getInstance(KeyStore.getDefaultType());
        ks.load(null, null);
        try (InputStream in = new FileInputStream(caPemFile)) {
            int i = 0;
            for (Certificate c : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
                ks.setCertificateEntry("ca-" + (i++), c);
            }
        }
        javax.net.ssl.TrustManagerFactory tmf = javax.net.ssl.TrustManagerFactory.getInstance(
            javax.net.ssl.TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(ks);
        javax.net.ssl.SSLContext ssl = javax.net.ssl.SSLContext.getInstance("TLS");
        ssl.init(null, tmf.getTrustManagers(), null);
        return builder().sslContext(ssl).build();
    }

    private HttpClient client(String caFile) throws IOException {
        if (caFile == null) return defaultClient;
        HttpClient c = byCaFile.get(caFile);
        if (c == null) {
            try {
                c = clientFor(caFile);
            } catch (GeneralSecurityException e) {
                throw new IOException("cannot use CA bundle " + caFile + ": " + e, e);
            }
            byCaFile.putIfAbsent(caFile, c);
        }
        return c;
    }

    @Override
    public HttpResponse send(HttpRequest req) throws IOException {
        java.net.http.HttpRequest.BodyPublisher body = req.body() == null
            ? java.net.http.HttpRequest.BodyPublishers.noBody()
            : java.net.http.HttpRequest.BodyPublishers.ofByteArray(req.body());
        java.net.http.HttpRequest.Builder b = java.net.http.HttpRequest.newBuilder()
            .uri(URI.create(req.url())).method(req.method(), body);
        b.timeout(Duration.ofMillis(req.timeoutMs() > 0 ? req.timeoutMs() : 30_000));
        for (Map.Entry<String, String> h : req.headers()) {
            if (!RESTRICTED.contains(h.getKey().toLowerCase(Locale.ROOT))) {
                b.header(h.getKey(), h.getValue());
            }
        }
        CompletableFuture<java.net.http.HttpResponse<byte[]>> f = client(req.caFile())
            .sendAsync(b.build(), java.net.http.HttpResponse.BodyHandlers.ofByteArray());
        inFlight.add(f);
        try {
            java.net.http.HttpResponse<byte[]> r = f.get();
            return new HttpResponse(r.statusCode(), r.body()).headers(r.headers().map());
        } catch (CancellationException e) {
            throw new InterruptedIOException("cancelled");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            f.cancel(true);
            throw new InterruptedIOException("interrupted");
        } catch (ExecutionException e) {
            Throwable c = e.getCause();
            if (c instanceof IOException) throw (IOException) c;
            throw new IOException(String.valueOf(c), c);
        } finally {
            inFlight.remove(f);
        }
    }

    @Override
    public void cancel() {
        for (CompletableFuture<?> f : inFlight) f.cancel(true);
    }
}
