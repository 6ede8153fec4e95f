"""The C status -> exception mapping, against the loaded library and the real relay."""
import base64
import os

import tigress
from tigress import TransferState, _lib

from .support import RelayTestCase


class StatusTableTest(RelayTestCase):
    def test_every_library_code_has_an_exception_class(self) -> None:
        L = _lib.lib()
        seen = 0
        for code in range(-1, -1000, -1):
            name = L.tigress_status_name(code).decode()
            if name == "TIGRESS_E_UNKNOWN":
                break
            seen += 1
            cls = tigress.ERROR_CLASSES.get(code)
            self.assertIsNotNone(cls, f"{name} ({code}) has no exception class")
            self.assertEqual(cls.status_name, name)
            self.assertEqual(cls.status_code, code)
            self.assertTrue(issubclass(cls, tigress.TigressError))
        self.assertEqual(seen, len(tigress.ERROR_CLASSES))
        self.assertEqual([n for n, _, _ in tigress.STATUS_TABLE][0], "TIGRESS_OK")

    def test_builtin_names_are_not_shadowed(self) -> None:
        self.assertIs(tigress.ERROR_CLASSES[-8], tigress.TigressKeyError)
        self.assertIs(tigress.ERROR_CLASSES[-13], tigress.TigressTimeoutError)
        self.assertIs(KeyError, __builtins__["KeyError"] if isinstance(__builtins__, dict)
                      else __builtins__.KeyError)


class ErrorMappingTest(RelayTestCase):
    def test_wrong_secret_is_crypto_error(self) -> None:
        sent = self.share(self.content())
        wrong = base64.b64encode(os.urandom(32)).decode()
        with self.assertRaises(tigress.CryptoError) as cm:
            self.bob.redeem(sent.url, secret=wrong)
        err = cm.exception
        self.assertEqual(err.status_name, "TIGRESS_E_CRYPTO")
        self.assertEqual(err.code, -7)
        self.assertTrue(err.message)
        self.assertNotIn(wrong, str(err))  # the Secret never appears in messages

    def test_malformed_secret_is_key_error(self) -> None:
        sent = self.share(self.content())
        with self.assertRaises(tigress.TigressKeyError):
            self.bob.redeem(sent.url, secret="c2hvcnQ=")  # 5 bytes: not a Secret

    def test_revoked_before_redeem_is_not_found(self) -> None:
        sent = self.share(self.content())
        sent.revoke()
        self.assertEqual(sent.state, TransferState.REVOKED)
        with self.assertRaises(tigress.NotFoundError) as cm:
            self.bob.redeem(sent.share_url)
        self.assertEqual(cm.exception.http_status, 404)

    def test_revoked_while_waiting_is_revoked_error(self) -> None:
        sent = self.share(self.content(), stateful=True)
        got = self.bob.redeem(sent.share_url)
        sent.revoke()
        with self.assertRaises(tigress.RevokedError):
            got.wait(timeout_ms=20000)
        self.assertEqual(got.state, TransferState.REVOKED)

    def test_wrong_state_is_state_error(self) -> None:
        sent = self.share(self.content())
        with self.assertRaises(tigress.StateError):
            sent.complete()  # only the Recipient completes
        with self.assertRaises(tigress.StateError):
            sent.update("t", b"x")
        self.assertEqual(sent.state, TransferState.CREATED)

    def test_plain_http_relay_is_insecure(self) -> None:
        with self.assertRaises(tigress.InsecureError):
            self.alice.share("http://relay.example", "f", "{}", "t")

    def test_allow_list(self) -> None:
        with tigress.Client(ca_file=self.ca, relay_allow_list=["relay.example"]) as c:
            with self.assertRaises(tigress.NotAllowedError):
                c.share(self.relay_url, "f", "{}", "t")

    def test_untrusted_certificate_is_tls_error(self) -> None:
        with tigress.Client(max_retries=0) as c:  # system trust: not the test CA
            with self.assertRaises(tigress.TlsError) as cm:
                c.share(self.relay_url, "f", "{}", "t")
            self.assertEqual(cm.exception.http_status, 0)

    def test_bad_option_is_invalid(self) -> None:
        with self.assertRaises(tigress.InvalidError):
            tigress.Client(connect_timeout_ms=-1)
        with self.assertRaises(tigress.InvalidError):
            self.alice.share(self.relay_url, "f", "not json", "t")
