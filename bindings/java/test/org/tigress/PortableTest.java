package org.tigress;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The binding on the portable libtigress (no libcurl, no OpenSSL): the JdkHttpTransport and
 * the JavaxCryptoAead provider carry every flow against the real relay. Run by
 * run_tests.sh BUILD PORTABLE_BUILD (tag "portable"), never against the default build.
 */
@Tag("portable")
class PortableTest {
    static final String FORMAT = "com.example.carkey";

    /** JavaxCryptoAead, counting its calls: proof that the library really used it. */
    static final class CountingAead implements AeadProvider {
        final AeadProvider inner = new JavaxCryptoAead();
        final AtomicInteger seals = new AtomicInteger();
        final AtomicInteger opens = new AtomicInteger();

        @Override
        public int seal(PayloadType type, byte[] key, byte[] nonce, byte[] plaintext,
                        byte[] ciphertext, byte[] tag) throws Exception {
            seals.incrementAndGet();
            return inner.seal(type, key, nonce, plaintext, ciphertext, tag);
        }

        @Override
        public int open(PayloadType type, byte[] key, byte[] nonce, byte[] ciphertext,
                        byte[] tag, byte[] plaintext) throws Exception {
            opens.incrementAndGet();
            return inner.open(type, key, nonce, ciphertext, tag, plaintext);
        }
    }

    String relayUrl;
    String ca;

    @BeforeEach
    void relay() {
        relayUrl = System.getProperty("tigress.relay.url");
        ca = System.getProperty("tigress.relay.ca");
        if (relayUrl == null || ca == null || !relayUrl.startsWith("https://127.0.0.1:")) {
            throw new IllegalStateException("run through run_tests.sh: needs a loopback relay");
        }
    }

    @AfterEach
    void noDefault() throws TigressException {
        TigressClient.setDefaultAeadProvider(null);
    }

    static String content() {
        return "{\"vin\":\"WDD1234567890\",\"key\":\"" + UUID.randomUUID() + "\"}";
    }

    TigressClient client(AeadProvider aead) throws Exception {
        TigressClient.Options o = new TigressClient.Options().transport(new JdkHttpTransport(ca));
        return new TigressClient(aead == null ? o : o.aeadProvider(aead));
    }

    @Test
    void theLoadedLibraryIsThePortableOne() throws Exception {
        assertFalse(TigressClient.payloadTypeBuiltin(PayloadType.AES_128_GCM),
                    "AES-128-GCM built in: this is not the portable libtigress");
        assertTrue(TigressClient.payloadTypeBuiltin(PayloadType.XSALSA20_POLY1305));
        // No libcurl: a client without a transport cannot exist.
        TigressException e = assertThrows(TigressException.class,
            () -> new TigressClient(new TigressClient.Options().caFile(ca)).close());
        assertEquals(Status.UNSUPPORTED, e.status());
    }

    @ParameterizedTest
    @EnumSource(PayloadType.class)
    void statelessFlow(PayloadType type) throws Exception {
        CountingAead aa = new CountingAead();
        CountingAead ab = new CountingAead();
        try (TigressClient alice = client(aa); TigressClient bob = client(ab)) {
            String body = content();
            Transfer sent = alice.share(new Share(relayUrl, FORMAT, body, "Car key")
                .payloadType(type));
            assertEquals(type, sent.payloadType());
            Transfer got = bob.redeem(sent.shareUrl());
            byte[] plain = got.content();
            assertEquals(body, new String(plain, StandardCharsets.UTF_8));
            got.complete();
            assertEquals(TransferState.COMPLETED, got.state());
            sent.waitForPeer(20000);
            assertEquals(TransferState.COMPLETED, sent.state());
        }
        boolean aes = type != PayloadType.XSALSA20_POLY1305;
        assertEquals(aes, aa.seals.get() > 0, "Initiator's provider sealed: " + aa.seals);
        assertEquals(aes, ab.opens.get() > 0, "Recipient's provider opened: " + ab.opens);
    }

    @ParameterizedTest
    @EnumSource(PayloadType.class)
    void statefulFlow(PayloadType type) throws Exception {
        CountingAead aa = new CountingAead();
        CountingAead ab = new CountingAead();
        try (TigressClient alice = client(aa); TigressClient bob = client(ab);
             Ed25519Key key = Ed25519Key.generate()) {
            String body = content();
            Transfer sent = alice.share(new Share(relayUrl, FORMAT, body, "Car key")
                .payloadType(type).stateful(true));
            assertTrue(sent.isStateful());
            Transfer got = bob.redeem(new Redeem(sent.shareUrl())
                .verifier(Verifier.ed25519(key.publicKey())));
            assertEquals(body, new String(got.content(), StandardCharsets.UTF_8));
            byte[] txinfo = "recipient-public-key".getBytes(StandardCharsets.UTF_8);
            got.update("com.example.pubkey", txinfo);
            sent.waitForPeer(20000);
            assertEquals(TransferState.TXINFO_RECEIVED, sent.state());
            assertArrayEquals(txinfo, sent.txInfo());
            sent.approve(key);
            got.waitForPeer(20000);
            assertEquals(TransferState.SIGNED, got.state());
            got.complete();
            sent.waitForPeer(20000);
            assertEquals(TransferState.COMPLETED, sent.state());
        }
        boolean aes = type != PayloadType.XSALSA20_POLY1305;
        assertEquals(aes, aa.seals.get() > 0, "Initiator's provider sealed: " + aa.seals);
        assertEquals(aes, ab.opens.get() > 0, "Recipient's provider opened: " + ab.opens);
    }

    @Test
    void aes128WithoutProviderIsUnsupportedNamingTheType() throws Exception {
        try (TigressClient alice = client(null)) {
            TigressException.Unsupported e = assertThrows(TigressException.Unsupported.class,
                () -> alice.share(new Share(relayUrl, FORMAT, content(), "Car key")
                    .payloadType(PayloadType.AES_128_GCM)));
            assertEquals("TIGRESS_E_UNSUPPORTED", e.statusName());
            assertTrue(e.getMessage().contains("AEAD_AES_128_GCM"), e.getMessage());
        }
    }

    @Test
    void processDefaultProviderServesClientsWithoutOne() throws Exception {
        CountingAead def = new CountingAead();
        TigressClient.setDefaultAeadProvider(def);
        try (TigressClient alice = client(null); TigressClient bob = client(null)) {
            String body = content();
            Transfer sent = alice.share(new Share(relayUrl, FORMAT, body, "Car key")
                .payloadType(PayloadType.AES_128_GCM));
            Transfer got = bob.redeem(sent.shareUrl());
            assertEquals(body, new String(got.content(), StandardCharsets.UTF_8));
            got.complete();
        }
        assertTrue(def.seals.get() > 0 && def.opens.get() > 0, def.seals + "/" + def.opens);
        // A client's own provider wins over the default.
        CountingAead own = new CountingAead();
        int before = def.seals.get();
        try (TigressClient alice = client(own)) {
            alice.share(new Share(relayUrl, FORMAT, content(), "Car key")
                .payloadType(PayloadType.AES_256_GCM)).revoke();
        }
        assertTrue(own.seals.get() > 0);
        assertEquals(before, def.seals.get());
    }

    @Test
    void throwingProviderIsCryptoErrorAndClientStaysUsable() throws Exception {
        AeadProvider broken = new AeadProvider() {
            @Override
            public int seal(PayloadType t, byte[] k, byte[] n, byte[] p, byte[] c, byte[] tag) {
                throw new IllegalStateException("provider failure (test)");
            }

            @Override
            public int open(PayloadType t, byte[] k, byte[] n, byte[] c, byte[] tag, byte[] p) {
                throw new IllegalStateException("provider failure (test)");
            }
        };
        try (TigressClient alice = client(broken)) {
            assertThrows(TigressException.Crypto.class,
                () -> alice.share(new Share(relayUrl, FORMAT, content(), "Car key")
                    .payloadType(PayloadType.AES_256_GCM)));
            // XSALSA20_POLY1305 never reaches a provider.
            alice.share(new Share(relayUrl, FORMAT, content(), "Car key")).revoke();
        }
    }

    @Test
    void providerStatusIsPassedOnAndKeyCopiesAreWiped() throws Exception {
        byte[][] keySeen = new byte[1][];
        AeadProvider refuses = new AeadProvider() {
            @Override
            public int seal(PayloadType t, byte[] k, byte[] n, byte[] p, byte[] c, byte[] tag) {
                keySeen[0] = k; // kept only to check that the binding wiped it
                return Status.UNSUPPORTED.code();
            }

            @Override
            public int open(PayloadType t, byte[] k, byte[] n, byte[] c, byte[] tag, byte[] p) {
                return Status.UNSUPPORTED.code();
            }
        };
        try (TigressClient alice = client(refuses)) {
            assertThrows(TigressException.Unsupported.class,
                () -> alice.share(new Share(relayUrl, FORMAT, content(), "Car key")
                    .payloadType(PayloadType.AES_128_GCM)));
        }
        assertEquals(16, keySeen[0].length);
        assertArrayEquals(new byte[16], keySeen[0]);
    }
}
