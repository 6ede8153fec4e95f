#!/usr/bin/python3
"""Generate the payload known-answer vectors used by tests/unit/test_crypto.c.

The vectors come from implementations independent of libtigress's C code:
  * XSALSA20_POLY1305: a from-scratch pure-Python XSalsa20 + Poly1305 below, cross-checked
    against PyNaCl's SecretBox (Debian: python3-nacl).
  * AEAD_AES_128_GCM / AEAD_AES_256_GCM: pyca/cryptography's AESGCM (Debian:
    python3-cryptography), first checked against published NIST GCM test cases.

Keys, nonces and plaintexts are derived from fixed labels with SHA-256, so running this again
produces byte-identical files. Outputs (all committed; the tests need neither Python package):
  payload_kat.json           the vectors, for other implementations and bindings
  payload_kat.h              the same vectors as a C table, included by test_crypto.c
  payload_kat_negative.json  inputs that must be rejected (C7-C10): tampered tag, ciphertext or
                             nonce, truncated data, wrong key length, bad Base64, a nonce/IV of
                             the wrong length, for each payload type, each with the expected
                             tigress_status name
  payload_kat_negative.h     the same as a C table, included by test_crypto.c

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


# ---- negative vectors: what the C API promises for bad input ----
# TIGRESS_E_KEY    the key length does not match the payload type (16 bytes for
#                  AEAD_AES_128_GCM, 32 for the others); any other length is no Secret at all
# TIGRESS_E_FORMAT data is not strict standard Base64 (padded or unpadded, one alphabet, no
#                  whitespace), or decodes to fewer bytes than nonce + 16-byte tag
# TIGRESS_E_CRYPTO everything else that fails authentication (C10)

def _expect_for_length(raw, nonce_len):
    return "TIGRESS_E_FORMAT" if len(raw) < nonce_len + 16 else "TIGRESS_E_CRYPTO"


def _flip(raw, i):
    b = bytearray(raw)
    b[i] ^= 0x01
    return bytes(b)


def build_negative_vectors(vectors):
    out = []
    for tname, key_len, nonce_len in TYPES:
        base = next(v for v in vectors if v["name"] == f"{tname}/provisioning-json")
        key = bytes.fromhex(base["key"])
        raw = base64.b64decode(base["data"])
        b64 = base["data"]
        # secretbox: nonce || MAC || ct; GCM: IV || ct || tag
        tag_at = nonce_len if tname == "XSALSA20_POLY1305" else len(raw) - 16
        ct_at = nonce_len + 16 if tname == "XSALSA20_POLY1305" else nonce_len
        other_key = bytes(16 if key_len == 32 else 32)
        cases = [
            ("tampered-tag-first-byte", key, _flip(raw, tag_at), "TIGRESS_E_CRYPTO"),
            ("tampered-tag-last-byte", key, _flip(raw, tag_at + 15), "TIGRESS_E_CRYPTO"),
            ("tampered-ciphertext", key, _flip(raw, ct_at + 5), "TIGRESS_E_CRYPTO"),
            ("tampered-nonce", key, _flip(raw, 3), "TIGRESS_E_CRYPTO"),
            ("truncated-last-byte", key, raw[:-1], "TIGRESS_E_CRYPTO"),
            ("truncated-below-nonce-and-tag", key, raw[:nonce_len + 15], "TIGRESS_E_FORMAT"),
            ("truncated-inside-nonce", key, raw[:nonce_len - 3], "TIGRESS_E_FORMAT"),
            ("empty", key, b"", "TIGRESS_E_FORMAT"),
            ("wrong-key-length-other-type", other_key, raw, "TIGRESS_E_KEY"),
            ("wrong-key-length-24", bytes(24), raw, "TIGRESS_E_KEY"),
            ("wrong-key-length-0", b"", raw, "TIGRESS_E_KEY"),
        ]
        # A nonce/IV of the wrong length in front: the receiver takes the type's length, so
        # the bytes no longer line up and authentication fails (or too little is left).
        if tname == "XSALSA20_POLY1305":
            short = raw[:12] + raw[nonce_len:]        # 12-byte (GCM-sized) nonce
        else:
            iv16 = _derive(f"{tname}/negative/iv16", 16)
            short = iv16 + AESGCM(key).encrypt(iv16, bytes.fromhex(base["plaintext"]), None)
        longer = raw[:nonce_len] + bytes(4) + raw[nonce_len:]
        wrong_iv_name = "nonce-12-bytes" if tname == "XSALSA20_POLY1305" else "iv-16-bytes"
        cases += [(wrong_iv_name, key, short, _expect_for_length(short, nonce_len)),
                  ("nonce-4-bytes-too-long", key, longer, "TIGRESS_E_CRYPTO")]
        for name, k, r, expect in cases:
            out.append({"name": f"{tname}/{name}", "type": tname, "key": k.hex(),
                        "data": base64.b64encode(r).decode(), "expect": expect})
        # Bad Base64 around an otherwise valid payload.
        assert "+" in b64[2:] or "/" in b64[2:], "the mixed-alphabet case needs a + or /"
        too_long = b64.rstrip("=")
        while len(too_long) % 4 != 1:  # no Base64 text has this length
            too_long += "A"
        bad = [
            ("base64-invalid-char", b64[:5] + "*" + b64[6:]),
            ("base64-whitespace", b64[:8] + " " + b64[8:]),
            ("base64-newline", b64[:8] + "\n" + b64[8:]),
            ("base64-mixed-alphabets", "-_" + b64[2:].replace("-", "A").replace("_", "A")),
            ("base64-length-1-mod-4", too_long),
            ("base64-padding-inside", b64[:4] + "=" + b64[5:]),
            ("base64-only-padding", "===="),
        ]
        for name, data in bad:
            out.append({"name": f"{tname}/{name}", "type": tname, "key": key.hex(), "data": data,
                        "expect": "TIGRESS_E_FORMAT"})
    assert len({v["name"] for v in out}) == len(out)
    return out


def _c_string(value):
    """A C string literal (JSON escapes of ASCII text are valid C), split every 80 chars."""
    chunks = [value[i:i + 80] for i in range(0, len(value), 80)] or [""]
    return [json.dumps(c) for c in chunks]


def write_negative_c_header(vectors, path):
    lines = [
        "/* Generated by tests/unit/vectors/gen_vectors.py -- do not edit. */",
        "#ifndef TIGRESS_TEST_PAYLOAD_KAT_NEGATIVE_H",
        "#define TIGRESS_TEST_PAYLOAD_KAT_NEGATIVE_H",
        "",
        "/* Inputs tigress_payload_open() must reject (C7-C10), with the status it returns. */",
        "struct payload_kat_negative {",
        "    const char *name;",
        "    const char *type;       /* wire name */",
        "    const char *key;        /* hex; its length may be wrong on purpose */",
        "    const char *data;       /* the payload's data member as received */",
        "    const char *expect;     /* tigress_status_name() of the expected status */",
        "};",
        "",
        "static const struct payload_kat_negative payload_kat_negatives[] = {",
    ]
    for v in vectors:
        lines.append("    {")
        for field in ("name", "type", "key", "data", "expect"):
            lines.append(f"        /* {field} */")
            lines += [f"        {c}" for c in _c_string(v[field])]
            lines[-1] += ","
        lines.append("    },")
    lines += ["};", "", "#endif /* TIGRESS_TEST_PAYLOAD_KAT_NEGATIVE_H */", ""]
    with open(path, "w") as f:
        f.write("\n".join(lines))


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
    negatives = build_negative_vectors(vectors)
    with open(os.path.join(HERE, "payload_kat_negative.json"), "w") as f:
        json.dump({"generator": "tests/unit/vectors/gen_vectors.py",
                   "requirements": "C7-C10: tag checked, nothing returned on failure",
                   "negative_vectors": negatives}, f, indent=2)
        f.write("\n")
    write_negative_c_header(negatives, os.path.join(HERE, "payload_kat_negative.h"))
    print(f"wrote {len(vectors)} vectors and {len(negatives)} negative vectors")


if __name__ == "__main__":
    main()
