package org.tigress;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.security.SecureRandom;
import java.util.Base64;
import org.junit.jupiter.api.Test;

/** The C status -> TigressException mapping, against the loaded library and the relay. */
class ErrorTest extends RelayTestBase {

    @Test
    void everyLibraryCodeHasAnExceptionClass() {
        int seen = 0;
        for (int code = -1; code > -1000; code--) {
            String name = utf8(Native.statusName(code));
            if (name.equals("TIGRESS_E_UNKNOWN")) break;
            seen++;
            Status s = Status.fromCode(code);
            assertNotNull(s, name + " has no Status constant");
            assertEquals(name, s.cName());
            TigressException e = TigressException.of(code, name, "m", 0, 0);
            assertTrue(e.getClass() != TigressException.class, name + " has no subclass");
            assertEquals(name, e.statusName());
            assertEquals(code, e.code());
            assertSame(s, e.status());
        }
        assertEquals(Status.values().length - 1, seen); // all but OK
    }

    @Test
    void wrongSecretIsCrypto() throws Exception {
        Transfer sent = share(content(), false);
        byte[] wrong = new byte[32];
        new SecureRandom().nextBytes(wrong);
        String text = Base64.getEncoder().encodeToString(wrong);
        TigressException.Crypto e = assertThrows(TigressException.Crypto.class,
            () -> bob.redeem(new Redeem(sent.url()).secret(text.getBytes("US-ASCII"))));
        assertEquals("TIGRESS_E_CRYPTO", e.statusName());
        assertEquals(-7, e.code());
        assertFalse(e.getMessage().contains(text));
    }

    @Test
    void revokedBeforeRedeemIsNotFound() throws Exception {
        Transfer sent = share(content(), false);
        sent.revoke();
        assertEquals(TransferState.REVOKED, sent.state());
        TigressException.NotFound e = assertThrows(TigressException.NotFound.class,
            () -> bob.redeem(sent.shareUrl()));
        assertEquals(404, e.httpStatus());
    }

    @Test
    void revokedWhileWaitingIsRevoked() throws Exception {
        Transfer sent = share(content(), true);
        Transfer got = bob.redeem(sent.shareUrl());
        sent.revoke();
        assertThrows(TigressException.Revoked.class, () -> got.waitForPeer(20000));
        assertEquals(TransferState.REVOKED, got.state());
    }

    @Test
    void wrongStateIsState() throws Exception {
        Transfer sent = share(content(), false);
        assertThrows(TigressException.State.class, sent::complete);
        assertEquals(TransferState.CREATED, sent.state());
    }

    @Test
    void plainHttpIsInsecureAndUntrustedCertIsTls() throws Exception {
        assertThrows(TigressException.Insecure.class,
            () -> alice.share(new Share("http://relay.example", FORMAT, "{}", "t")));
        try (TigressClient c = new TigressClient(new TigressClient.Options().maxRetries(0))) {
            TigressException.Tls e = assertThrows(TigressException.Tls.class,
                () -> c.share(new Share(relayUrl, FORMAT, "{}", "t")));
            assertEquals(0, e.httpStatus());
        }
    }

    @Test
    void signerExceptionBecomesTheCause() throws Exception {
        try (Ed25519Key key = Ed25519Key.generate()) {
            Transfer sent = share(content(), true);
            Transfer got = bob.redeem(new Redeem(sent.shareUrl())
                                          .verifier(Verifier.ed25519(key.publicKey())));
            got.update("t", new byte[] {1, 2, 3});
            sent.waitForPeer(20000);
            IllegalStateException locked = new IllegalStateException("keystore locked");
            TigressException e = assertThrows(TigressException.class,
                () -> sent.approve(Signer.of("Ed25519", m -> { throw locked; })));
            assertSame(locked, e.getCause());
            assertEquals(TransferState.TXINFO_RECEIVED, sent.state()); // nothing sent
            sent.approve(key); // and the transfer still works
            got.waitForPeer(20000);
            assertEquals(TransferState.SIGNED, got.state());
        }
    }

    @Test
    void verifierExceptionBecomesTheCause() throws Exception {
        try (Ed25519Key key = Ed25519Key.generate()) {
            Transfer sent = share(content(), true);
            RuntimeException boom = new RuntimeException("verifier failed");
            Transfer got = bob.redeem(new Redeem(sent.shareUrl())
                                          .verifier((alg, m, s) -> { throw boom; }));
            got.update("t", new byte[] {4});
            sent.waitForPeer(20000);
            sent.approve(key);
            TigressException e = assertThrows(TigressException.class, () -> got.waitForPeer(20000));
            assertSame(boom, e.getCause());
            assertInstanceOf(TigressException.class, e);
            assertTrue(e.code() <= -10000, "an application callback code: " + e.code());
        }
    }
}
