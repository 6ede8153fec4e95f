package org.tigress;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Stateless and stateful transfers end to end through the JNI shim and the real relay. */
class FlowTest extends RelayTestBase {

    @Test
    void statelessShareRedeemComplete() throws Exception {
        String body = content();
        try (Transfer sent = alice.share(new Share(relayUrl, FORMAT, body, "Car key")
                                             .description("Blue sedan").vertical('h'))) {
            assertEquals(TransferState.CREATED, sent.state());
            assertEquals(Transfer.Role.INITIATOR, sent.role());
            assertFalse(sent.isStateful());
            assertEquals(Flow.STATELESS, sent.flow());
            assertTrue(sent.shareUrl().startsWith(relayUrl + "/"));
            assertTrue(sent.shareUrl().contains(sent.mailboxId()));
            byte[] secret = sent.secret();
            assertEquals(32, secret.length);

            assertFalse(sent.poll()); // nothing new yet
            try (Transfer got = bob.redeem(sent.shareUrl())) {
                assertEquals(TransferState.REDEEMED, got.state());
                assertEquals(Transfer.Role.RECIPIENT, got.role());
                assertEquals(sent.mailboxId(), got.mailboxId());
                assertEquals(FORMAT, got.format());
                assertEquals("Car key", got.title());
                assertEquals("Blue sedan", got.description());
                assertEquals('h', got.vertical());
                byte[] content = got.content();
                assertEquals(body.replace(" ", ""), utf8(content));
                assertArrayEquals(secret, got.secret());
                Arrays.fill(content, (byte) 0); // the caller can wipe what it got
                Arrays.fill(secret, (byte) 0);

                got.complete();
                assertEquals(TransferState.COMPLETED, got.state());
            }
            assertTrue(sent.poll()); // the mailbox is gone: completed
            assertEquals(TransferState.COMPLETED, sent.state());
        }
    }

    @Test
    void secretSentApartAndExportImport() throws Exception {
        Transfer sent = alice.share(new Share(relayUrl, FORMAT, content(), "Badge")
                                        .payloadType(PayloadType.AES_256_GCM));
        assertEquals(PayloadType.AES_256_GCM, sent.payloadType());
        byte[] blob = sent.exportState(true);
        byte[] secretText = sent.secretText();
        String mailbox = sent.mailboxId();
        sent.close();
        Transfer resumed = alice.importTransfer(blob, secretText, null);
        assertEquals(mailbox, resumed.mailboxId());
        assertEquals(TransferState.CREATED, resumed.state());

        Transfer got = bob.redeem(new Redeem(resumed.url()).secret(secretText));
        Arrays.fill(secretText, (byte) 0);
        assertEquals(32, got.secret().length);
        got.complete();
        resumed.waitForPeer(20000);
        assertEquals(TransferState.COMPLETED, resumed.state());
    }

    /** The Share URL as wipeable bytes, and the byte[] content constructor
     *  (a String holding the Secret cannot be wiped; a byte[] can). */
    @Test
    void shareUrlBytesRedeemAndWipe() throws Exception {
        byte[] body = content().getBytes(StandardCharsets.UTF_8);
        String expected = utf8(body);
        Transfer sent = alice.share(new Share(relayUrl, FORMAT, body, "Car key"));
        Arrays.fill(body, (byte) 0); // the Share copied it
        byte[] url = sent.shareUrlBytes();
        assertEquals(sent.shareUrl(), utf8(url)); // same text as the String accessor
        assertTrue(utf8(url).contains("#"));
        byte[] again = sent.shareUrlBytes(); // a fresh copy each time
        Arrays.fill(again, (byte) 0);
        assertArrayEquals(url, sent.shareUrlBytes());

        Redeem r = new Redeem(url);
        Arrays.fill(url, (byte) 0);
        Transfer got = bob.redeem(r);
        r.wipe();
        assertEquals(TransferState.REDEEMED, got.state());
        byte[] content = got.content();
        assertEquals(expected.replace(" ", ""), utf8(content));
        Arrays.fill(content, (byte) 0);
        got.complete();
    }

    @Test
    void urlWithoutSecretAndSecretTextApart() throws Exception {
        Transfer sent = share(content(), false);
        String url = sent.url();
        assertFalse(url.contains("#"));
        byte[] full = sent.shareUrlBytes();
        byte[] text = sent.secretText();
        assertTrue(utf8(full).startsWith(url));
        assertFalse(url.contains(utf8(text)));
        Transfer got = bob.redeem(new Redeem(url).secret(text));
        Arrays.fill(text, (byte) 0);
        Arrays.fill(full, (byte) 0);
        assertArrayEquals(sent.secret(), got.secret());
        got.complete();
    }

    /** Runs the stateful flow; returns the messages the signer saw. */
    private void stateful(Signer signer, Verifier verifier) throws Exception {
        Transfer sent = share(content(), true);
        assertTrue(sent.isStateful());
        Transfer got = bob.redeem(new Redeem(sent.shareUrl()).verifier(verifier));
        byte[] txinfo = "recipient-public-key".getBytes(StandardCharsets.UTF_8);
        got.update("com.example.pubkey", txinfo);
        assertEquals(TransferState.WAITING_FOR_PEER, got.state());

        sent.waitForPeer(20000);
        assertEquals(TransferState.TXINFO_RECEIVED, sent.state());
        assertEquals("com.example.pubkey", sent.txInfoType());
        assertArrayEquals(txinfo, sent.txInfo());
        sent.approve(signer);
        assertEquals(TransferState.WAITING_FOR_PEER, sent.state());

        got.waitForPeer(20000);
        assertEquals(TransferState.SIGNED, got.state());
        assertEquals("Ed25519", got.signatureAlgorithm());
        assertArrayEquals(sent.signature(), got.signature());
        got.complete();
        sent.waitForPeer(20000);
        assertEquals(TransferState.COMPLETED, sent.state());
    }

    @Test
    void statefulWithJavaSignerCallback() throws Exception {
        try (Ed25519Key key = Ed25519Key.generate()) {
            List<byte[]> seen = new ArrayList<>();
            List<Thread> threads = new ArrayList<>();
            // Stands in for an Android Keystore key: the private key never leaves "the store".
            Signer keystore = Signer.of("Ed25519", message -> {
                seen.add(message);
                threads.add(Thread.currentThread());
                return key.sign(message);
            });
            stateful(keystore, Verifier.ed25519(key.publicKey()));
            assertEquals(1, seen.size());
            assertTrue(utf8(seen.get(0)).startsWith("tigress-txinfo-v1"));
            assertEquals(List.of(Thread.currentThread()), threads);
        }
    }

    @Test
    void statefulWithNativeKeyAndJavaVerifier() throws Exception {
        try (Ed25519Key key = Ed25519Key.generate()) {
            Verifier ed = Verifier.ed25519(key.publicKey());
            List<String> algs = new ArrayList<>();
            stateful(key, (alg, message, signature) -> {
                algs.add(alg);
                return ed.verify(alg, message, signature);
            });
            assertEquals(List.of("Ed25519"), algs);
        }
    }

    @Test
    void ed25519SignAndVerify() throws Exception {
        byte[] seed = new byte[32];
        try (Ed25519Key a = Ed25519Key.fromSeed(seed); Ed25519Key b = Ed25519Key.generate()) {
            byte[] msg = "hello".getBytes(StandardCharsets.UTF_8);
            byte[] sig = a.sign(msg);
            assertEquals(64, sig.length);
            assertTrue(Verifier.ed25519(a.publicKey()).verify("Ed25519", msg, sig));
            assertFalse(Verifier.ed25519(b.publicKey()).verify("Ed25519", msg, sig));
            assertNotNull(TigressClient.libraryVersion());
            assertEquals(1, TigressClient.libraryVersionNumber() >> 16);
        }
    }
}
