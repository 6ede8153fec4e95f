#!/usr/bin/python3
"""Generate tests/interop/vectors/interop.json: known answers for implementers
(docs/test-vectors.md).

  payloads    for each payload type (docs/protocol.md §4): the Secret, the nonce/IV, the
              plaintext (a draft-only message 1: {"format", "content"}) and the sealed `data`
  stateful    one transfer's message 2 and message 3 as libtigress writes them (§5): Secret,
              payload type, plaintexts and sealed `data`, the signature input bytes, an Ed25519
              key pair (seed and public key) and the signature
  share_urls  Share URLs and their parts (§4): relay base, mailbox id, vertical, Secret

Made with pyca/cryptography (AES-GCM, Ed25519; Debian: python3-cryptography) and PyNaCl
(XSALSA20_POLY1305; Debian: python3-nacl), not with libtigress. Every key, nonce and id comes
from SHA-256 of a fixed label and Ed25519 is deterministic, so running this again writes the
same file. Read by tests/unit/test_interop_vectors.c and tests/interop/draft_peer.py
(check-vectors).

Usage: /usr/bin/python3 tests/interop/vectors/gen_interop_vectors.py
"""
import base64
import hashlib
import json
import os
import urllib.parse

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
import nacl.secret

HERE = os.path.dirname(os.path.abspath(__file__))


def derive(label, n):
    return hashlib.sha256(("tigress-interop-vectors/" + label).encode()).digest()[:n]


def b64(b):
    return base64.b64encode(b).decode("ascii")


def seal(ptype, key, nonce, pt):
    if ptype == "XSALSA20_POLY1305":
        return b64(bytes(nacl.secret.SecretBox(key).encrypt(pt, nonce)))
    return b64(nonce + AESGCM(key).encrypt(nonce, pt, None))


def compact(obj):
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False)


def mailbox_id(label):
    h = bytearray(derive(label, 16))
    h[6] = (h[6] & 0x0F) | 0x40  # version 4
    h[8] = (h[8] & 0x3F) | 0x80  # RFC 4122 variant
    x = h.hex()
    return "%s-%s-%s-%s-%s" % (x[:8], x[8:12], x[12:16], x[16:20], x[20:])


SPECS = [("XSALSA20_POLY1305", 32, 24), ("AEAD_AES_128_GCM", 16, 12), ("AEAD_AES_256_GCM", 32, 12)]


def payloads():
    out = []
    msg1 = compact({"format": "com.example.homekey",
                    "content": {"door": "front", "key": "c2VjcmV0LWtleS1tYXRlcmlhbA=="}})
    for ptype, klen, nlen in SPECS:
        key = derive("payload/%s/secret" % ptype, klen)
        nonce = derive("payload/%s/nonce" % ptype, nlen)
        out.append({"name": ptype + "/message1", "type": ptype,
                    "secret": b64(key), "secret_hex": key.hex(), "nonce_hex": nonce.hex(),
                    "plaintext": msg1, "data": seal(ptype, key, nonce, msg1.encode())})
    return out


def stateful():
    ptype = "AEAD_AES_256_GCM"
    key = derive("stateful/secret", 32)
    mid = mailbox_id("stateful/mailbox")
    seed = derive("stateful/ed25519-seed", 32)
    sk = Ed25519PrivateKey.from_private_bytes(seed)
    pub = sk.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    txinfo = derive("stateful/txinfo", 32)
    content = {"door": "front", "slot": 3}
    tx = {"type": "com.example.pubkey", "data": b64(txinfo)}
    # Member order as libtigress writes them (lib/message.c).
    m2 = compact({"format": "com.example.homekey", "content": content, "txInfo": tx,
                  "tigress": {"role": "recipient", "seq": 2, "stateful": True}})
    sig_input = b"tigress-txinfo-v1" + mid.encode("ascii") + txinfo
    sig = sk.sign(sig_input)
    m3 = compact({"format": "com.example.homekey", "content": content, "txInfo": tx,
                  "signature": {"alg": "Ed25519", "value": b64(sig)},
                  "tigress": {"role": "initiator", "seq": 3, "stateful": True}})
    n2, n3 = derive("stateful/iv2", 12), derive("stateful/iv3", 12)
    return {
        "payload_type": ptype, "secret": b64(key), "secret_hex": key.hex(), "mailbox_id": mid,
        "message2": {"plaintext": m2, "iv_hex": n2.hex(), "data": seal(ptype, key, n2, m2.encode())},
        "message3": {"plaintext": m3, "iv_hex": n3.hex(), "data": seal(ptype, key, n3, m3.encode())},
        "txinfo_hex": txinfo.hex(),
        "signature_input_hex": sig_input.hex(),
        "ed25519": {"seed_hex": seed.hex(), "public_hex": pub.hex()},
        "signature_hex": sig.hex(),
    }


def share_urls():
    out = []
    k32 = derive("url/secret32", 32)
    k16 = derive("url/secret16", 16)
    mid = mailbox_id("url/mailbox")
    std32 = b64(k32)
    safe16 = base64.urlsafe_b64encode(k16).decode().rstrip("=")
    cases = [
        ("as the SDK writes it", "https://relay.example", "h", std32, k32),
        ("port, car vertical", "https://relay.example:8443", "c", std32, k32),
        ("no vertical, URL-safe unpadded 16-byte Secret", "https://relay.example", None, safe16, k16),
        ("percent-encoded fragment", "https://relay.example", "a", urllib.parse.quote(std32, safe=""), k32),
    ]
    for name, relay, v, frag, key in cases:
        url = "%s/v1/m/%s%s#%s" % (relay, mid, "?v=" + v if v else "", frag)
        out.append({"name": name, "url": url, "relay": relay, "mailbox_id": mid, "vertical": v,
                    "fragment": frag, "secret_hex": key.hex()})
    return out


def main():
    doc = {"generator": "tests/interop/vectors/gen_interop_vectors.py",
           "spec": "docs/protocol.md §4, §5; docs/test-vectors.md",
           "payloads": payloads(), "stateful": stateful(), "share_urls": share_urls()}
    with open(os.path.join(HERE, "interop.json"), "w") as f:
        json.dump(doc, f, indent=2, ensure_ascii=False)
        f.write("\n")


if __name__ == "__main__":
    main()
