"""Stateless and stateful transfers end to end against the real relay (HTTPS on loopback)."""
import json
import threading
from typing import List

import tigress
from tigress import TransferState

from .support import FORMAT, RelayTestCase


class StatelessFlowTest(RelayTestCase):
    def test_share_redeem_complete(self) -> None:
        body = self.content()
        with self.share(body, description="Blue sedan", vertical="c") as sent:
            self.assertEqual(sent.state, TransferState.CREATED)
            self.assertEqual(sent.role, tigress.Role.INITIATOR)
            self.assertFalse(sent.is_stateful)
            self.assertEqual(sent.flow, tigress.Flow.STATELESS)
            self.assertTrue(sent.share_url.startswith(self.relay_url + "/"))
            self.assertIn(sent.mailbox_id, sent.share_url)
            self.assertNotIn("#", sent.url or "")
            secret = sent.secret()
            self.assertIsInstance(secret, bytearray)
            self.assertEqual(len(secret), 32)  # XSALSA20_POLY1305 default

            self.assertFalse(sent.poll())  # nothing new yet: AgainError becomes False
            got = self.bob.redeem(sent.share_url)
            self.assertEqual(got.state, TransferState.REDEEMED)
            self.assertEqual(got.role, tigress.Role.RECIPIENT)
            self.assertEqual(got.mailbox_id, sent.mailbox_id)
            self.assertEqual(got.format, FORMAT)
            self.assertEqual(got.title, "Car key")
            self.assertEqual(got.description, "Blue sedan")
            self.assertEqual(got.vertical, "c")
            content = got.content()
            self.assertIsInstance(content, bytearray)
            self.assertEqual(json.loads(content.decode()), json.loads(body))
            self.assertEqual(got.secret(), secret)
            tigress.wipe(content)
            self.assertEqual(content, bytearray(len(content)))
            tigress.wipe(secret)
            self.assertEqual(secret, bytearray(32))

            got.complete()
            self.assertEqual(got.state, TransferState.COMPLETED)
            self.assertTrue(sent.poll())  # the Initiator sees the mailbox gone
            self.assertEqual(sent.state, TransferState.COMPLETED)

    def test_secret_sent_apart_with_aes_gcm(self) -> None:
        sent = self.share(self.content(), payload_type=tigress.PayloadType.AES_128_GCM)
        self.assertEqual(sent.payload_type, tigress.PayloadType.AES_128_GCM)
        text = sent.secret_text()
        got = self.bob.redeem(sent.url, secret=text)
        self.assertEqual(len(got.secret()), 16)
        self.assertEqual(json.loads(got.content().decode()), json.loads(sent.content().decode()))
        tigress.wipe(text)

    def test_export_import_resumes(self) -> None:
        sent = self.share(self.content())
        mailbox = sent.mailbox_id
        blob = sent.export()
        self.assertIsInstance(blob, bytearray)
        sent.close()
        again = self.alice.import_transfer(blob)
        tigress.wipe(blob)
        self.assertEqual(again.mailbox_id, mailbox)
        self.assertEqual(again.state, TransferState.CREATED)
        # Without the Secret: the import needs it back.
        bare = again.export(without_secret=True)
        secret_text = again.secret_text()
        with self.assertRaises(tigress.TigressError):
            self.alice.import_transfer(bare)
        resumed = self.alice.import_transfer(bare, secret=secret_text)
        self.assertEqual(resumed.secret(), again.secret())
        got = self.bob.redeem(again.share_url)
        got.complete()
        resumed.wait(timeout_ms=20000)
        self.assertEqual(resumed.state, TransferState.COMPLETED)

    def test_relinquish_lets_another_device_redeem(self) -> None:
        sent = self.share(self.content())
        first = self.bob.redeem(sent.share_url)
        first.relinquish()
        self.assertEqual(first.state, TransferState.RELINQUISHED)
        with tigress.Client(ca_file=self.ca) as carol:
            second = carol.redeem(sent.share_url)
            self.assertEqual(second.state, TransferState.REDEEMED)
            second.complete()


class StatefulFlowTest(RelayTestCase):
    def run_stateful(self, signer: tigress.Signer, verifier: object) -> None:
        sent = self.share(self.content(), stateful=True)
        self.assertTrue(sent.is_stateful)
        self.assertEqual(sent.flow, tigress.Flow.STATEFUL)
        got = self.bob.redeem(sent.share_url, verifier=verifier)
        self.assertEqual(got.state, TransferState.REDEEMED)
        txinfo = b"\x01recipient-public-key" + bytes(range(40))
        got.update("com.example.pubkey", txinfo)
        self.assertEqual(got.state, TransferState.WAITING_FOR_PEER)

        sent.wait(timeout_ms=20000)
        self.assertEqual(sent.state, TransferState.TXINFO_RECEIVED)
        self.assertEqual(sent.txinfo(), ("com.example.pubkey", txinfo))
        sent.approve(signer)
        self.assertEqual(sent.state, TransferState.WAITING_FOR_PEER)

        got.wait(timeout_ms=20000)
        self.assertEqual(got.state, TransferState.SIGNED)
        alg, sig = got.signature()
        self.assertEqual(alg, "Ed25519")
        self.assertEqual(sig, sent.signature()[1])
        got.complete()
        self.assertEqual(got.state, TransferState.COMPLETED)
        sent.wait(timeout_ms=20000)
        self.assertEqual(sent.state, TransferState.COMPLETED)

    def test_python_signer_callback(self) -> None:
        key = tigress.Ed25519Key.generate()
        self.addCleanup(key.close)
        seen: List[bytes] = []
        threads: List[int] = []

        def sign(message: bytes) -> bytes:
            seen.append(message)
            threads.append(threading.get_ident())
            return key.sign(message)  # stands in for a hardware key store

        self.run_stateful(tigress.FunctionSigner("Ed25519", sign), key.public_key)
        self.assertEqual(len(seen), 1)
        self.assertTrue(seen[0].startswith(b"tigress-txinfo-v1"))
        self.assertEqual(threads, [threading.get_ident()])  # called on the approving thread

    def test_native_signer_and_python_verifier(self) -> None:
        key = tigress.Ed25519Key.generate()
        self.addCleanup(key.close)
        calls: List[str] = []
        ed = key.public_key

        class Checker:  # a Python verifier, as an app with its own key check would write
            def verify(self, alg: str, message: bytes, signature: bytes) -> bool:
                calls.append(alg)
                return alg == "Ed25519" and tigress.verify_ed25519(ed, message, signature)

        self.run_stateful(key, Checker())
        self.assertEqual(calls, ["Ed25519"])

    def test_python_verifier_rejecting_is_signature_error(self) -> None:
        key = tigress.Ed25519Key.generate()
        self.addCleanup(key.close)
        sent = self.share(self.content(), stateful=True)
        got = self.bob.redeem(sent.share_url)

        class No:
            def verify(self, alg: str, message: bytes, signature: bytes) -> bool:
                return False

        got.set_verifier(No())
        got.update("t", b"data")
        sent.wait(timeout_ms=20000)
        sent.approve(key)
        with self.assertRaises(tigress.SignatureError):
            got.wait(timeout_ms=20000)
        self.assertEqual(got.state, TransferState.WAITING_FOR_PEER)

    def test_signer_exception_comes_back_from_approve(self) -> None:
        key = tigress.Ed25519Key.generate()
        self.addCleanup(key.close)
        sent = self.share(self.content(), stateful=True)
        got = self.bob.redeem(sent.share_url, verifier=key.public_key)
        got.update("t", b"data")
        sent.wait(timeout_ms=20000)

        class KeystoreLocked(Exception):
            pass

        def refuse(_message: bytes) -> bytes:
            raise KeystoreLocked("user did not authenticate")

        with self.assertRaises(KeystoreLocked):
            sent.approve(tigress.FunctionSigner("Ed25519", refuse))
        self.assertEqual(sent.state, TransferState.TXINFO_RECEIVED)  # nothing was sent
        sent.approve(key)  # a second try with a working signer succeeds
        got.wait(timeout_ms=20000)
        self.assertEqual(got.state, TransferState.SIGNED)

    def test_wrong_key_signature_is_rejected(self) -> None:
        key, wrong = tigress.Ed25519Key.generate(), tigress.Ed25519Key.generate()
        self.addCleanup(key.close)
        self.addCleanup(wrong.close)
        sent = self.share(self.content(), stateful=True)
        got = self.bob.redeem(sent.share_url, verifier=key.public_key)
        got.update("t", b"data")
        sent.wait(timeout_ms=20000)
        sent.approve(wrong)
        with self.assertRaises(tigress.SignatureError):
            got.wait(timeout_ms=20000)
        self.assertNotEqual(got.state, TransferState.SIGNED)
