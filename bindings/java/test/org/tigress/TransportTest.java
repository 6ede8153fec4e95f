package org.tigress;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.Test;

/** A Java Transport (java.net.http, trusting the test CA) in place of libcurl, via the shim. */
class TransportTest extends RelayTestBase {

    /** What an app would write around OkHttp; here java.net.http.HttpClient. */
    static final class JdkTransport implements Transport {
        // Headers java.net.http sets itself and refuses from callers.
        private static final Set<String> RESTRICTED =
            Set.of("host", "content-length", "connection", "expect", "upgrade");
        final HttpClient http;
        final AtomicInteger requests = new AtomicInteger();
        final AtomicInteger caFileSeen = new AtomicInteger();

        JdkTransport(String caPem) throws Exception {
            KeyStore ks = KeyStore.getInstance(KeyStore.getDefaultType());
            ks.load(null, null);
            try (InputStream in = new FileInputStream(caPem)) {
                ks.setCertificateEntry("test-ca",
                    CertificateFactory.getInstance("X.509").generateCertificate(in));
            }
            TrustManagerFactory tmf =
                TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(ks);
            SSLContext ssl = SSLContext.getInstance("TLS");
            ssl.init(null, tmf.getTrustManagers(), null);
            http = HttpClient.newBuilder().sslContext(ssl).version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(10)).build();
        }

        @Override
        public HttpResponse send(HttpRequest req) throws IOException {
            requests.incrementAndGet();
            if (req.caFile() != null) caFileSeen.incrementAndGet();
            java.net.http.HttpRequest.BodyPublisher body = req.body() == null
                ? java.net.http.HttpRequest.BodyPublishers.noBody()
                : java.net.http.HttpRequest.BodyPublishers.ofByteArray(req.body());
            java.net.http.HttpRequest.Builder b = java.net.http.HttpRequest.newBuilder()
                .uri(URI.create(req.url())).method(req.method(), body);
            if (req.timeoutMs() > 0) b.timeout(Duration.ofMillis(req.timeoutMs()));
            for (Map.Entry<String, String> h : req.headers()) {
                if (!RESTRICTED.contains(h.getKey().toLowerCase(Locale.ROOT))) {
                    b.header(h.getKey(), h.getValue());
                }
            }
            try {
                java.net.http.HttpResponse<byte[]> r =
                    http.send(b.build(), java.net.http.HttpResponse.BodyHandlers.ofByteArray());
                return new HttpResponse(r.statusCode(), r.body()).headers(r.headers().map());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new java.io.InterruptedIOException("interrupted");
            }
        }
    }

    @Test
    void statelessFlowThroughJavaTransport() throws Exception {
        JdkTransport ta = new JdkTransport(ca);
        JdkTransport tb = new JdkTransport(ca);
        // No caFile for these clients: only the Java transport's SSLContext trusts the test CA,
        // so a request that bypassed it (went through libcurl) would fail verification.
        try (TigressClient a = new TigressClient(new TigressClient.Options().transport(ta));
             TigressClient b = new TigressClient(new TigressClient.Options().transport(tb))) {
            String body = content();
            Transfer sent = a.share(new Share(relayUrl, FORMAT, body, "Car key"));
            assertEquals(TransferState.CREATED, sent.state());
            Transfer got = b.redeem(sent.shareUrl());
            assertEquals(body.replace(" ", ""), utf8(got.content()));
            got.complete();
            assertEquals(TransferState.COMPLETED, got.state());
            assertTrue(sent.poll());
            assertEquals(TransferState.COMPLETED, sent.state());
        }
        assertTrue(ta.requests.get() >= 2, "initiator requests: " + ta.requests.get());
        assertTrue(tb.requests.get() >= 2, "recipient requests: " + tb.requests.get());
        assertEquals(0, ta.caFileSeen.get()); // none configured, none passed on
    }

    @Test
    void caFileOptionReachesTheTransport() throws Exception {
        JdkTransport t = new JdkTransport(ca);
        try (TigressClient a = new TigressClient(new TigressClient.Options().caFile(ca)
                                                     .transport(t))) {
            a.share(new Share(relayUrl, FORMAT, content(), "Car key")).close();
        }
        assertTrue(t.caFileSeen.get() >= 1);
    }

    @Test
    void ioExceptionBecomesNetworkError() throws Exception {
        AtomicInteger calls = new AtomicInteger();
        Transport broken = req -> {
            calls.incrementAndGet();
            throw new IOException("no route (test)");
        };
        try (TigressClient a = new TigressClient(new TigressClient.Options().transport(broken)
                                                     .maxRetries(0))) {
            TigressException.Network e = assertThrows(TigressException.Network.class,
                () -> a.share(new Share(relayUrl, FORMAT, content(), "Car key")));
            assertInstanceOf(IOException.class, e.getCause());
            assertTrue(e.getMessage().contains("no route (test)"), e.getMessage());
        }
        assertEquals(1, calls.get());
    }

    @Test
    void runtimeExceptionAndBadResponseAreNetworkErrors() throws Exception {
        Transport throwing = req -> { throw new IllegalStateException("bug in transport"); };
        try (TigressClient a = new TigressClient(new TigressClient.Options().transport(throwing)
                                                     .maxRetries(0))) {
            TigressException.Network e = assertThrows(TigressException.Network.class,
                () -> a.share(new Share(relayUrl, FORMAT, content(), "Car key")));
            assertInstanceOf(IllegalStateException.class, e.getCause());
        }
        Transport nullResponse = req -> null;
        try (TigressClient a = new TigressClient(new TigressClient.Options()
                                                     .transport(nullResponse).maxRetries(0))) {
            assertThrows(TigressException.Network.class,
                () -> a.share(new Share(relayUrl, FORMAT, content(), "Car key")));
        }
    }

    @Test
    void retriesGoThroughTheTransportAgain() throws Exception {
        JdkTransport real = new JdkTransport(ca);
        AtomicInteger calls = new AtomicInteger();
        Transport flaky = req -> {
            if (calls.incrementAndGet() == 1) throw new IOException("first attempt fails");
            return real.send(req);
        };
        try (TigressClient a = new TigressClient(new TigressClient.Options().transport(flaky)
                                                     .maxRetries(2))) {
            Transfer sent = a.share(new Share(relayUrl, FORMAT, content(), "Car key"));
            assertEquals(TransferState.CREATED, sent.state());
        }
        assertTrue(calls.get() >= 2);
    }

    @Test
    void cancelReachesTheBlockedTransport() throws Exception {
        CountDownLatch sending = new CountDownLatch(1);
        CountDownLatch cancelled = new CountDownLatch(1);
        Transport hanging = new Transport() {
            @Override
            public HttpResponse send(HttpRequest req) throws IOException {
                sending.countDown();
                try {
                    if (!cancelled.await(60, TimeUnit.SECONDS)) throw new IOException("no cancel");
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                throw new IOException("cancelled by Transport.cancel()");
            }

            @Override
            public void cancel() { cancelled.countDown(); }
        };
        try (TigressClient a = new TigressClient(new TigressClient.Options().transport(hanging))) {
            Thread canceller = new Thread(() -> {
                try {
                    if (sending.await(60, TimeUnit.SECONDS)) a.cancel();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            canceller.start();
            assertThrows(TigressException.Cancelled.class,
                () -> a.share(new Share(relayUrl, FORMAT, content(), "Car key")));
            canceller.join();
            assertEquals(0, cancelled.getCount());
        }
    }
}
