#!/usr/bin/python3
"""Generate the payload known-answer vectors used by tests/unit/test_crypto.c.

The vectors come from implementations independent of libtigress's C code:
  * XSALSA20_POLY1305: a from-scratch pure-Python XSalsa20 + Poly1305 below, cross-checked
    against PyNaCl's SecretBox (Debian: python3-nacl).
  * AEAD_AES_128_GCM / AEAD_AES_256_GCM: pyca/cryptography's AESGCM (Debian:
    python3-cryptography), first checked against published NIST GCM test cases.

Keys, nonces and plaintexts are derived from fixed labels with SHA-256, so running this again
produces byte-identical files. Outputs (both committed; the tests need neither Python package):
  payload_kat.json  the vectors, for other implementations and bindings
  payload_kat.h     the same vectors as a C table, included by test_crypto.c

Usage: /usr/bin/python3 tests/unit/vectors/gen_vectors.py   (Debian's Python, where apt installs
       the two packages; from any directory)
"""
import base64
import hashlib
import json
import os
import struct

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
import nacl.secret

HERE = os.path.dirname(os.path.abspath(__file__))
MASK32 = 0xFFFFFFFF


# ---- XSalsa20-Poly1305 from the specifications (Bernstein: Salsa20, XSalsa20, Poly1305) ----

def _rotl(v, c):
    return ((v << c) & MASK32) | (v >> (32 - c))


def _salsa_rounds(x):
    for _ in range(10):
        for a, b, c, d in ((0, 4, 8, 12), (5, 9, 13, 1), (10, 14, 2, 6), (15, 3, 7, 11),
                           (0, 1, 2, 3), (5, 6, 7, 4), (10, 11, 8, 9), (15, 12, 13, 14)):
            x[b] ^= _rotl((x[a] + x[d]) & MASK32, 7)
            x[c] ^= _rotl((x[b] + x[a]) & MASK32, 9)
            x[d] ^= _rotl((x[c] + x[b]) & MASK32, 13)
            x[a] ^= _rotl((x[d] + x[c]) & MASK32, 18)
    return x


_SIGMA = struct.unpack("<4I", b"expand 32-byte k")


def _state(key, sixteen):
    k = struct.unpack("<8I", key)
    n = struct.unpack("<4I", sixteen)
    return [_SIGMA[0], k[0], k[1], k[2], k[3], _SIGMA[1], n[0], n[1], n[2], n[3],
            _SIGMA[2], k[4], k[5], k[6], k[7], _SIGMA[3]]


def _hsalsa20(key, nonce16):
    x = _salsa_rounds(_state(key, nonce16))
    return struct.pack("<8I", *(x[i] for i in (0, 5, 10, 15, 6, 7, 8, 9)))


def _salsa20_stream(key, nonce8, length):
    out = b""
    counter = 0
    while len(out) < length:
        init = _state(key, nonce8 + struct.pack("<Q", counter))
        x = _salsa_rounds(list(init))
        out += struct.pack("<16I", *(((a + b) & MASK32) for a, b in zip(x, init)))
        counter += 1
    return out[:length]


def _poly1305(key32, msg):
    r = int.from_bytes(key32[:16], "little") & 0x0FFFFFFC0FFFFFFC0FFFFFFC0FFFFFFF
    s = int.from_bytes(key32[16:], "little")
    p = (1 << 130) - 5
    acc = 0
    for i in range(0, len(msg), 16):
        block = msg[i:i + 16] + b"\x01"
        acc = ((acc + int.from_bytes(block, "little")) * r) % p
    return ((acc + s) % (1 << 128)).to_bytes(16, "little")


def xsalsa20_poly1305_seal(key, nonce24, plaintext):
    """nonce || MAC || ciphertext, the libsodium crypto_secretbox_easy layout."""
    subkey = _hsalsa20(key, nonce24[:16])
    stream = _salsa20_stream(subkey, nonce24[16:], 32 + len(plaintext))
    ct = bytes(a ^ b for a, b in zip(plaintext, stream[32:]))
    return nonce24 + _poly1305(stream[:32], ct) + ct


# ---- AES-GCM, checked first against NIST GCM test cases 3 (AES-128) and 15 (AES-256) ----

_NIST_P = bytes.fromhex(
    "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
    "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b391aafd255")
_NIST_IV = bytes.fromhex("cafebabefacedbaddecaf888")
_NIST = [
    ("feffe9928665731c6d6a8f9467308308",
     "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e"
     "21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091473f5985",
     "4d5c2af327cd64a62cf35abd2ba6fab4"),
    ("feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308",
     "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
     "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662898015ad",
     "b094dac5d93471bdec1a502270e3cc6c"),
]


def aes_gcm_seal(key, iv, plaintext):
    """IV || ciphertext || tag, no associated data."""
    return iv + AESGCM(key).encrypt(iv, plaintext, None)


def _self_check():
    for key_hex, ct_hex, tag_hex in _NIST:
        got = aes_gcm_seal(bytes.fromhex(key_hex), _NIST_IV, _NIST_P)
        assert got == _NIST_IV + bytes.fromhex(ct_hex + tag_hex), "AESGCM disagrees with NIST"


def _derive(label, n):
    out = b""
    i = 0
    while len(out) < n:
        out += hashlib.sha256(f"libtigress-kat/{label}/{i}".encode()).digest()
        i += 1
    return out[:n]


PLAINTEXTS = [
    ("empty", b""),
    ("one-byte", b"\x00"),
    ("provisioning-json",
     b'{"format":"digitalwallet.generic.authorizationToken",'
     b'"content":{"token":"abc"},"tigress":{"role":"initiator","seq":1}}'),
    ("binary-100", None),  # derived bytes
]

TYPES = [("XSALSA20_POLY1305", 32, 24), ("AEAD_AES_128_GCM", 16, 12), ("AEAD_AES_256_GCM", 32, 12)]


def build_vectors():
    vectors = []
    for tname, key_len, nonce_len in TYPES:
        for pname, pt in PLAINTEXTS:
            if pt is None:
                pt = _derive(f"{tname}/{pname}/plaintext", 100)
            key = _derive(f"{tname}/{pname}/key", key_len)
            nonce = _derive(f"{tname}/{pname}/nonce", nonce_len)
            if tname == "XSALSA20_POLY1305":
                raw = xsalsa20_poly1305_seal(key, nonce, pt)
                nacl_raw = bytes(nacl.secret.SecretBox(key).encrypt(pt, nonce))
                assert raw == nacl_raw, "pure-Python XSalsa20-Poly1305 disagrees with PyNaCl"
                assert nacl.secret.SecretBox(key).decrypt(raw) == pt
            else:
                raw = aes_gcm_seal(key, nonce, pt)
            vectors.append({"name": f"{tname}/{pname}", "type": tname, "key": key.hex(),
                            "nonce": nonce.hex(), "plaintext": pt.hex(),
                            "data": base64.b64encode(raw).decode()})
    # The published NIST cases, in our envelope layout.
    for (key_hex, ct_hex, tag_hex), tname in zip(_NIST, ["AEAD_AES_128_GCM", "AEAD_AES_256_GCM"]):
        raw = _NIST_IV + bytes.fromhex(ct_hex + tag_hex)
        vectors.append({"name": f"{tname}/nist-gcm", "type": tname, "key": key_hex,
                        "nonce": _NIST_IV.hex(), "plaintext": _NIST_P.hex(),
                        "data": base64.b64encode(raw).decode()})
    return vectors


def write_c_header(vectors, path):
    lines = [
        "/* Generated by tests/unit/vectors/gen_vectors.py -- do not edit. */",
        "#ifndef TIGRESS_TEST_PAYLOAD_KAT_H",
        "#define TIGRESS_TEST_PAYLOAD_KAT_H",
        "",
        "struct payload_kat {",
        "    const char *name;",
        "    const char *type;       /* wire name */",
        "    const char *key;        /* hex */",
        "    const char *nonce;      /* hex: 24 bytes for secretbox, 12 for GCM */",
        "    const char *plaintext;  /* hex */",
        "    const char *data;       /* expected standard padded Base64 */",
        "};",
        "",
        "static const struct payload_kat payload_kats[] = {",
    ]
    for v in vectors:
        lines.append("    {")
        for field in ("name", "type", "key", "nonce", "plaintext", "data"):
            value = v[field]
            chunks = [value[i:i + 80] for i in range(0, len(value), 80)] or [""]
            lines.append(f"        /* {field} */")
            for c in chunks:
                lines.append(f'        "{c}"')
            lines[-1] += ","
        lines.append("    },")
    lines += ["};", "", "#endif /* TIGRESS_TEST_PAYLOAD_KAT_H */", ""]
    with open(path, "w") as f:
        f.write("\n".join(lines))


def main():
    _self_check()
    vectors = build_vectors()
    with open(os.path.join(HERE, "payload_kat.json"), "w") as f:
        json.dump({"generator": "tests/unit/vectors/gen_vectors.py", "vectors": vectors}, f,
                  indent=2)
        f.write("\n")
    write_c_header(vectors, os.path.join(HERE, "payload_kat.h"))
    print(f"wrote {len(vectors)} vectors")


if __name__ == "__main__":
    main()
