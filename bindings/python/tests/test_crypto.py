"""Low-level API: Secret, payload seal/open and ShareUrl, with the shared known-answer file."""
import base64
import json
import os
import unittest

import tigress
from tigress import PayloadType, Secret, ShareUrl, payload_open, payload_seal

VECTORS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "tests",
                       "unit", "vectors", "payload_kat.json")
LINK = "https://relay.example/v1/m/0f8fad5b-d9cb-469f-a165-70867728950e"
TYPES = {"XSALSA20_POLY1305": PayloadType.XSALSA20_POLY1305,
         "AEAD_AES_128_GCM": PayloadType.AES_128_GCM,
         "AEAD_AES_256_GCM": PayloadType.AES_256_GCM}


def vectors():
    with open(VECTORS, encoding="utf-8") as f:
        return json.load(f)["vectors"]


class CryptoTest(unittest.TestCase):

    def test_known_answer_vectors_open(self) -> None:
        vs = vectors()
        self.assertGreaterEqual(len(vs), 12)
        self.assertEqual({v["type"] for v in vs}, set(TYPES))
        for v in vs:
            with self.subTest(v["name"]), Secret.from_bytes(bytes.fromhex(v["key"])) as s:
                self.assertEqual(payload_open(TYPES[v["type"]], s, v["data"]),
                                 bytes.fromhex(v["plaintext"]))

    def test_tampered_vector_fails(self) -> None:
        v = vectors()[2]
        raw = bytearray(base64.b64decode(v["data"]))
        raw[-1] ^= 1
        with Secret.from_bytes(bytes.fromhex(v["key"])) as s:
            with self.assertRaises(tigress.CryptoError):
                payload_open(TYPES[v["type"]], s, base64.b64encode(raw).decode())
            with self.assertRaises(tigress.FormatError):
                payload_open(TYPES[v["type"]], s, "%%")

    def test_seal_open_round_trip_each_type(self) -> None:
        plain = b'{"vin":"WDD1234567890"}'
        for t, size in ((PayloadType.XSALSA20_POLY1305, 32), (PayloadType.AES_128_GCM, 16),
                        (PayloadType.AES_256_GCM, 32)):
            with self.subTest(t), Secret.generate(t) as s, Secret.generate(t) as other:
                self.assertEqual(len(s), size)
                a, b = payload_seal(t, s, plain), tigress.Payload.seal(t, s, plain)
                self.assertNotEqual(a, b)  # a fresh nonce each time
                self.assertEqual(payload_open(t, s, a), plain)
                self.assertEqual(tigress.Payload.open(t, s, b), plain)
                self.assertEqual(payload_open(t, s, payload_seal(t, s, b"")), b"")
                with self.assertRaises(tigress.CryptoError):
                    payload_open(t, other, a)
        with Secret.generate(PayloadType.AES_128_GCM) as short:
            with self.assertRaises(tigress.TigressKeyError):
                payload_seal(PayloadType.AES_256_GCM, short, plain)

    def test_secret_text_and_bytes(self) -> None:
        key = bytes(range(32))
        s = Secret.from_bytes(key)
        self.assertEqual(bytes(s.text()), base64.b64encode(key))
        with Secret.from_text(s.text().decode()) as t:
            self.assertEqual(t.bytes(), key)
        s.close()
        s.close()
        with self.assertRaises(ValueError):
            s.bytes()
        with self.assertRaises(tigress.TigressKeyError):
            Secret.from_bytes(b"12345")

    def test_share_url_round_trip(self) -> None:
        with Secret.generate() as s:
            url = ShareUrl.build(LINK, "h", s)
            self.assertTrue(url.startswith((LINK + "?v=h#").encode()))
            with ShareUrl.parse(url) as p:
                self.assertEqual(p.mailbox_url, LINK)
                self.assertEqual(p.relay, "https://relay.example")
                self.assertEqual(p.host, "relay.example")
                self.assertEqual(p.mailbox_id, "0f8fad5b-d9cb-469f-a165-70867728950e")
                self.assertEqual(p.vertical, "h")
                self.assertEqual(p.secret.bytes(), s.bytes())
            tigress.wipe(url)
        bare = ShareUrl.build(LINK)
        self.assertEqual(bytes(bare), LINK.encode())
        with ShareUrl.parse(bytes(bare)) as p:
            self.assertIsNone(p.secret)
            self.assertIsNone(p.vertical)
        with self.assertRaises(tigress.InsecureError):
            ShareUrl.parse(LINK.replace("https", "http"))
        with ShareUrl.parse("http://127.0.0.1:8080/v1/m/0f8fad5b-d9cb-469f-a165-70867728950e",
                            tigress.ALLOW_INSECURE_LOOPBACK) as p:
            self.assertEqual(p.host, "127.0.0.1")
        with self.assertRaises(tigress.UrlError):
            ShareUrl.parse("https://relay.example/x")


if __name__ == "__main__":
    unittest.main()
