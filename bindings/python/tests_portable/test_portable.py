"""The binding on the portable libtigress (no libcurl, no OpenSSL): UrllibTransport and the
CryptographyAead provider carry every flow against the real relay (HTTPS on loopback).
Run by run_tests.sh BUILD PORTABLE_BUILD, with TIGRESS_LIB pointing at the portable library."""
import json
import os
import threading
import unittest
from typing import Any, List, Tuple

import tigress
from tigress import PayloadType, TransferState

FORMAT = "com.example.carkey"
AES = (PayloadType.AES_128_GCM, PayloadType.AES_256_GCM)


class CountingAead:
    """CryptographyAead, counting its calls: proof that the library really used it."""

    def __init__(self) -> None:
        self.inner = tigress.CryptographyAead()
        self.seals = 0
        self.opens = 0
        self.keys: List[bytearray] = []
        self._lock = threading.Lock()

    def seal(self, t: PayloadType, key: bytearray, nonce: bytearray,
             plaintext: bytearray) -> Tuple[bytes, bytes]:
        with self._lock:
            self.seals += 1
            self.keys.append(key)  # kept only to check that the binding wiped it
        return self.inner.seal(t, key, nonce, plaintext)

    def open(self, t: PayloadType, key: bytearray, nonce: bytearray, ciphertext: bytearray,
             tag: bytearray) -> bytes:
        with self._lock:
            self.opens += 1
        return self.inner.open(t, key, nonce, ciphertext, tag)


class PortableTest(unittest.TestCase):

    def setUp(self) -> None:
        self.relay_url = os.environ["TIGRESS_RELAY_URL"]
        self.ca = os.environ["TIGRESS_RELAY_CA"]
        if not self.relay_url.startswith("https://127.0.0.1:"):
            raise RuntimeError("the binding tests only talk to a relay on https://127.0.0.1")
        self.addCleanup(tigress.set_default_aead_provider, None)

    def client(self, aead: Any = None) -> tigress.Client:
        c = tigress.Client(transport=tigress.UrllibTransport(self.ca), aead_provider=aead)
        self.addCleanup(c.close)
        return c

    @staticmethod
    def content() -> str:
        return json.dumps({"vin": "WDD1234567890", "key": os.urandom(8).hex()})

    def test_the_loaded_library_is_the_portable_one(self) -> None:
        self.assertFalse(tigress.payload_type_builtin(PayloadType.AES_128_GCM),
                         "AES-128-GCM built in: this is not the portable libtigress")
        self.assertTrue(tigress.payload_type_builtin(PayloadType.XSALSA20_POLY1305))
        with self.assertRaises(tigress.UnsupportedError):  # no libcurl: a transport is needed
            tigress.Client(ca_file=self.ca).close()

    def run_flow(self, t: PayloadType, stateful: bool) -> None:
        aa, ab = CountingAead(), CountingAead()
        alice, bob = self.client(aa), self.client(ab)
        body = self.content()
        sent = alice.share(self.relay_url, FORMAT, body, "Car key", payload_type=t,
                           stateful=stateful)
        self.assertEqual(sent.payload_type, t)
        if stateful:
            key = tigress.Ed25519Key.generate()
            self.addCleanup(key.close)
            got = bob.redeem(sent.share_url, verifier=key.public_key)
            self.assertEqual(json.loads(got.content().decode()), json.loads(body))
            got.update("com.example.pubkey", b"recipient-public-key")
            sent.wait(timeout_ms=20000)
            self.assertEqual(sent.state, TransferState.TXINFO_RECEIVED)
            sent.approve(key)
            got.wait(timeout_ms=20000)
            self.assertEqual(got.state, TransferState.SIGNED)
        else:
            got = bob.redeem(sent.share_url)
            self.assertEqual(json.loads(got.content().decode()), json.loads(body))
        got.complete()
        self.assertEqual(got.state, TransferState.COMPLETED)
        sent.wait(timeout_ms=20000)
        self.assertEqual(sent.state, TransferState.COMPLETED)
        self.assertEqual(aa.seals > 0, t in AES, f"Initiator's provider sealed {aa.seals}")
        self.assertEqual(ab.opens > 0, t in AES, f"Recipient's provider opened {ab.opens}")
        for k in aa.keys:  # every key copy the provider saw was wiped after the call
            self.assertEqual(k, bytearray(len(k)))

    def test_aes128_without_provider_is_unsupported_naming_the_type(self) -> None:
        alice = self.client()
        with self.assertRaises(tigress.UnsupportedError) as cm:
            alice.share(self.relay_url, FORMAT, self.content(), "Car key",
                        payload_type=PayloadType.AES_128_GCM)
        self.assertEqual(cm.exception.status_name, "TIGRESS_E_UNSUPPORTED")
        self.assertIn("AEAD_AES_128_GCM", str(cm.exception))

    def test_process_default_provider(self) -> None:
        d = CountingAead()
        tigress.set_default_aead_provider(d)
        alice, bob = self.client(), self.client()
        sent = alice.share(self.relay_url, FORMAT, self.content(), "Car key",
                           payload_type=PayloadType.AES_128_GCM)
        got = bob.redeem(sent.share_url)
        got.complete()
        self.assertGreater(d.seals, 0)
        self.assertGreater(d.opens, 0)
        own, before = CountingAead(), d.seals  # a client's own provider wins over the default
        self.client(own).share(self.relay_url, FORMAT, self.content(), "Car key",
                               payload_type=PayloadType.AES_256_GCM).revoke()
        self.assertGreater(own.seals, 0)
        self.assertEqual(d.seals, before)

    def test_raising_provider_is_crypto_error_with_cause(self) -> None:
        class Broken:
            def seal(self, *a: Any) -> Tuple[bytes, bytes]:
                raise RuntimeError("provider failure (test)")

            def open(self, *a: Any) -> bytes:
                raise RuntimeError("provider failure (test)")

        alice = self.client(Broken())
        with self.assertRaises(tigress.CryptoError) as cm:
            alice.share(self.relay_url, FORMAT, self.content(), "Car key",
                        payload_type=PayloadType.AES_256_GCM)
        self.assertIsInstance(cm.exception.__cause__, RuntimeError)
        # The client stays usable; XSALSA20_POLY1305 never reaches a provider.
        alice.share(self.relay_url, FORMAT, self.content(), "Car key").revoke()

    def test_provider_status_is_passed_on(self) -> None:
        class Refuses:
            def seal(self, t: PayloadType, *a: Any) -> Tuple[bytes, bytes]:
                raise tigress.UnsupportedError(f"no {t.name} here (test)")

            def open(self, t: PayloadType, *a: Any) -> bytes:
                raise tigress.UnsupportedError(f"no {t.name} here (test)")

        with self.assertRaises(tigress.UnsupportedError):
            self.client(Refuses()).share(self.relay_url, FORMAT, self.content(), "Car key",
                                         payload_type=PayloadType.AES_128_GCM)

    def test_wrong_key_fails_as_crypto_error(self) -> None:
        aead = CountingAead()
        alice, bob = self.client(aead), self.client(aead)
        sent = alice.share(self.relay_url, FORMAT, self.content(), "Car key",
                           payload_type=PayloadType.AES_128_GCM)
        other = tigress.Secret.generate(PayloadType.AES_128_GCM)
        with self.assertRaises(tigress.CryptoError):
            bob.redeem(sent.url, secret=other.text())
        self.assertGreater(aead.opens, 0)


# One test per payload type and flow: test_stateless_flow_aes_128_gcm, test_stateful_flow_...
for _t in PayloadType:
    for _stateful in (False, True):
        def _flow(self: PortableTest, t: PayloadType = _t, stateful: bool = _stateful) -> None:
            self.run_flow(t, stateful)
        _name = f"test_{'stateful' if _stateful else 'stateless'}_flow_{_t.name.lower()}"
        _flow.__name__ = _name
        setattr(PortableTest, _name, _flow)


if __name__ == "__main__":
    unittest.main()
