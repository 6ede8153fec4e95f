"""The Share URL as wipeable bytes: share_url_bytes(), url + secret_text() apart, and the str
accessor kept for compatibility (Secrets as buffers the caller can wipe: a str cannot be wiped)."""
import json

import tigress
from tigress import TransferState

from .support import RelayTestCase


class ShareUrlBytesTest(RelayTestCase):
    def test_share_url_bytes_redeem_and_wipe(self) -> None:
        body = self.content()
        sent = self.share(bytearray(body.encode()))  # the content as a wipeable buffer too
        raw = sent.share_url_bytes()
        self.assertIsInstance(raw, bytearray)
        self.assertEqual(raw.decode(), sent.share_url)  # same text as the str accessor
        self.assertIn(b"#", raw)
        # Each call is a fresh copy: wiping one leaves the transfer's own copy intact.
        other = sent.share_url_bytes()
        tigress.wipe(other)
        self.assertEqual(other, bytearray(len(other)))
        self.assertEqual(sent.share_url_bytes(), raw)

        got = self.bob.redeem(raw)  # the bytearray is accepted as is
        tigress.wipe(raw)
        self.assertEqual(raw, bytearray(len(raw)))
        self.assertEqual(got.state, TransferState.REDEEMED)
        content = got.content()
        self.assertEqual(json.loads(content.decode()), json.loads(body))
        tigress.wipe(content)
        got.complete()

    def test_url_without_secret_and_secret_text_apart(self) -> None:
        sent = self.share(self.content())
        url = sent.url
        self.assertNotIn("#", url)
        raw = sent.share_url_bytes()
        self.assertTrue(raw.startswith(url.encode()))
        text = sent.secret_text()
        self.assertIsInstance(text, bytearray)
        self.assertNotIn(bytes(text), url.encode())
        got = self.bob.redeem(url, secret=text)
        tigress.wipe(text)
        tigress.wipe(raw)
        self.assertEqual(got.secret(), sent.secret())
        got.complete()

    def test_closed_transfer_refuses(self) -> None:
        sent = self.share(self.content())
        sent.close()
        with self.assertRaises(ValueError):
            sent.share_url_bytes()
