#!/usr/bin/python3
"""A TIGRESS peer written from docs/protocol.md alone, for interop tests with libtigress.

It shares no code with lib/: the wire format (docs/protocol.md §2), payload encryption and the
Share URL (§4), the stateful messages and the Ed25519 signature input (§5) are implemented here
again with pyca/cryptography (Debian: python3-cryptography) for AES-GCM and Ed25519, and PyNaCl
(Debian: python3-nacl) for XSALSA20_POLY1305 when it is installed; without PyNaCl that type is
reported as unsupported (exit 77) and the two AES-GCM types still work. HTTP is http.client
with an SSL context that trusts only the test CA given by --ca.

Like an implementation of the drafts alone, the messages it writes carry only "format",
"content" and, in the stateful flow, "txInfo" and "signature": no "tigress" member. It reads
messages with or without "tigress" (unknown members are ignored, §5) and takes a message as new
when its ciphertext differs from the last one it saw or sent.

Each command keeps its state in a JSON file (--state), so that a shell script can interleave it
with the `tigress` CLI:

  share    --relay URL --ca CA --state F --type T --format F --content JSON [--stateful]
           [--key SEEDHEX]                 -> prints the Share URL (Initiator)
  wait-txinfo  --state F [--timeout S]     -> prints the TxInfo as hex (Initiator)
  approve  --state F --key SEEDHEX [--txinfo HEX]   (--txinfo: sign other bytes: a forgery)
  wait-gone    --state F [--timeout S]     -> exit 0 once the mailbox is gone (completed)
  redeem   --ca CA --state F URL           -> prints {"format", "content", "stateful"}
  update   --state F --txinfo-type T --txinfo HEX|@FILE
  wait-approval --state F --peer-key HEX [--timeout S]  -> 0 verified, 5 bad signature
  complete --state F                       -> DELETE
  check-vectors FILE                       -> decrypts/verifies tests/interop/vectors/*.json

Exit codes: 0 ok, 1 error, 5 signature or decryption refused, 6 mailbox gone, 7 timeout,
77 payload type not supported here.
"""
import argparse
import base64
import binascii
import datetime
import http.client
import json
import os
import ssl
import sys
import time
import urllib.parse
import uuid

from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

try:
    import nacl.exceptions
    import nacl.secret
    HAVE_NACL = True
except ImportError:  # only the drafts' two AES-GCM types then
    HAVE_NACL = False

# docs/protocol.md §4: payload type -> Secret length.
KEY_BYTES = {"XSALSA20_POLY1305": 32, "AEAD_AES_128_GCM": 16, "AEAD_AES_256_GCM": 32}
SIG_CONTEXT = b"tigress-txinfo-v1"  # §5
TXINFO_MAX = 16 * 1024              # §5: txInfo data, 1 to 16 KiB decoded


class PeerError(Exception):
    def __init__(self, code, msg):
        super().__init__(msg)
        self.code = code


def supported_types():
    return [t for t in KEY_BYTES if t != "XSALSA20_POLY1305" or HAVE_NACL]


# ---- §4 payload encryption ----

def seal(ptype, key, plaintext, nonce=None):
    if ptype not in KEY_BYTES:
        raise PeerError(77, "unknown payload type " + ptype)
    if len(key) != KEY_BYTES[ptype]:
        raise PeerError(1, "the Secret's length does not fit " + ptype)
    if ptype == "XSALSA20_POLY1305":
        if not HAVE_NACL:
            raise PeerError(77, "XSALSA20_POLY1305 needs PyNaCl (python3-nacl)")
        nonce = nonce if nonce is not None else os.urandom(24)
        out = bytes(nacl.secret.SecretBox(key).encrypt(plaintext, nonce))  # nonce || MAC || ct
    else:
        nonce = nonce if nonce is not None else os.urandom(12)
        out = nonce + AESGCM(key).encrypt(nonce, plaintext, None)  # IV || ct || tag
    return base64.b64encode(out).decode("ascii")


def open_payload(ptype, key, data):
    if ptype not in KEY_BYTES:
        raise PeerError(77, "unknown payload type " + str(ptype))
    if len(key) != KEY_BYTES[ptype]:
        raise PeerError(5, "the Secret's length does not fit " + ptype)
    raw = base64.b64decode(data, validate=True)
    try:
        if ptype == "XSALSA20_POLY1305":
            if not HAVE_NACL:
                raise PeerError(77, "XSALSA20_POLY1305 needs PyNaCl (python3-nacl)")
            if len(raw) < 40:
                raise PeerError(5, "payload too short")
            return nacl.secret.SecretBox(key).decrypt(raw[24:], raw[:24])
        if len(raw) < 28:
            raise PeerError(5, "payload too short")
        return AESGCM(key).decrypt(raw[:12], raw[12:], None)
    except (InvalidTag, *((nacl.exceptions.CryptoError,) if HAVE_NACL else ())):
        raise PeerError(5, "the payload failed authentication")


# ---- §4 Share URL ----

def secret_from_fragment(fragment):
    text = urllib.parse.unquote(fragment)
    text = text.replace("-", "+").replace("_", "/").rstrip("=")
    key = base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
    if len(key) not in (16, 32):
        raise PeerError(1, "the Secret must be 16 or 32 bytes")
    return key


def parse_share_url(url):
    u = urllib.parse.urlsplit(url)
    parts = u.path.split("/")
    if u.scheme != "https" or len(parts) != 4 or parts[1:3] != ["v1", "m"]:
        raise PeerError(1, "not a Share URL")
    mailbox_id = str(uuid.UUID(parts[3]))  # lowercase
    vertical = urllib.parse.parse_qs(u.query).get("v", [None])[0]
    return {"relay": "https://" + u.netloc, "mailbox_id": mailbox_id, "vertical": vertical,
            "secret": secret_from_fragment(u.fragment) if u.fragment else None}


def build_share_url(url_link, vertical, key):
    q = "?v=" + vertical if vertical else ""
    return url_link + q + "#" + base64.b64encode(key).decode("ascii")


# ---- §5 signature ----

def sig_input(mailbox_id, txinfo):
    mid = mailbox_id.lower().encode("ascii")
    assert len(mid) == 36
    return SIG_CONTEXT + mid + txinfo


# ---- §2 endpoints ----

class Relay:
    def __init__(self, base, ca):
        u = urllib.parse.urlsplit(base)
        self.host, self.port = u.hostname, u.port or 443
        self.ctx = ssl.create_default_context(cafile=ca)

    def call(self, method, path, claim, body=None, request_id=True):
        conn = http.client.HTTPSConnection(self.host, self.port, context=self.ctx, timeout=30)
        headers = {"Mailbox-Device-Claim": claim}
        if request_id:
            headers["Mailbox-Request-ID"] = str(uuid.uuid4())
        data = None
        if body is not None:
            data = json.dumps(body, separators=(",", ":")).encode("utf-8")
            headers["Content-Type"] = "application/json"
        try:
            conn.request(method, path, body=data, headers=headers)
            resp = conn.getresponse()
            text = resp.read()
        finally:
            conn.close()
        echoed = resp.getheader("Mailbox-Request-ID")
        if request_id and echoed != headers["Mailbox-Request-ID"]:  # D1: echoed unchanged
            raise PeerError(1, "%s %s: Request-ID not echoed" % (method, path))
        return resp.status, (json.loads(text) if text else None)


def expiration(seconds):
    t = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=seconds)
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


# ---- state file ----

def load(path):
    with open(path) as f:
        return json.load(f)


def save(path, st):
    with open(path, "w") as f:
        json.dump(st, f)
    os.chmod(path, 0o600)


def key_of(st):
    return base64.b64decode(st["secret"])


def relay_of(st, ca=None):
    return Relay(st["relay"], ca or st["ca"])


def put_message(st, plaintext):
    data = seal(st["type"], key_of(st), json.dumps(plaintext, separators=(",", ":")).encode())
    status, body = relay_of(st).call("PUT", "/v1/m/" + st["mailbox_id"], st["claim"],
                                      {"payload": {"type": st["type"], "data": data}})
    if status == 404:
        raise PeerError(6, "the mailbox is gone")
    if status not in (200, 201):
        raise PeerError(1, "update: HTTP %d %s" % (status, body))
    st["last_data"] = data


def read_message(st):
    """Secure read; (message or None when nothing new). Raises PeerError(6) on 404."""
    status, body = relay_of(st).call("POST", "/v1/m/" + st["mailbox_id"], st["claim"])
    if status == 404:
        raise PeerError(6, "the mailbox is gone")
    if status != 200:
        raise PeerError(1, "read: HTTP %d %s" % (status, body))
    payload = body["payload"]
    if payload["data"] == st.get("last_data"):
        return None, body
    if payload["type"] != st["type"]:
        raise PeerError(1, "the payload type changed")
    msg = json.loads(open_payload(payload["type"], key_of(st), payload["data"]))
    if not isinstance(msg.get("format"), str) or not isinstance(msg.get("content"), dict):
        raise PeerError(1, "not Provisioning Information")
    st["last_data"] = payload["data"]
    return msg, body


def poll(st, want, timeout):
    end = time.time() + timeout
    while True:
        msg, _ = read_message(st)
        if msg is not None and want(msg):
            return msg
        if time.time() >= end:
            raise PeerError(7, "timed out waiting for the peer")
        time.sleep(0.2)


def b64txinfo(msg):
    tx = msg.get("txInfo")
    if not isinstance(tx, dict) or not isinstance(tx.get("type"), str):
        return None, None
    data = base64.b64decode(tx["data"], validate=True)
    if not 1 <= len(data) <= TXINFO_MAX:
        raise PeerError(1, "txInfo of %d bytes" % len(data))
    return tx["type"], data


# ---- commands ----

def cmd_share(a):
    if a.type not in supported_types():
        raise PeerError(77, a.type + " is not supported by this peer (no PyNaCl)")
    key = os.urandom(KEY_BYTES[a.type])
    claim = str(uuid.uuid4())
    content = json.loads(a.content)
    pt = json.dumps({"format": a.format, "content": content}, separators=(",", ":")).encode()
    data = seal(a.type, key, pt)
    relay = Relay(a.relay, a.ca)
    status, body = relay.call("POST", "/v1/m", claim, {
        "payload": {"type": a.type, "data": data},
        "displayInformation": {"title": "Home key", "description": "draft peer", "imageURL": ""},
        "mailboxConfiguration": {"accessRights": "RWD" if a.stateful else "RD",
                                 "expiration": expiration(3600)}})
    if status != 200:
        raise PeerError(1, "create: HTTP %d %s" % (status, body))
    link = body["urlLink"]
    st = {"role": "initiator", "relay": a.relay, "ca": a.ca, "claim": claim, "type": a.type,
          "secret": base64.b64encode(key).decode(), "mailbox_id": link.rsplit("/", 1)[1],
          "format": a.format, "content": content, "last_data": data}
    save(a.state, st)
    print(build_share_url(link, "h", key))


def cmd_wait_txinfo(a):
    st = load(a.state)
    msg = poll(st, lambda m: b64txinfo(m)[1] is not None, a.timeout)
    st["txinfo_type"], tx = b64txinfo(msg)
    st["txinfo"] = tx.hex()
    save(a.state, st)
    print(tx.hex())


def cmd_approve(a):
    st = load(a.state)
    sk = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(a.key))
    tx = bytes.fromhex(st["txinfo"])
    signed = bytes.fromhex(a.txinfo) if a.txinfo else tx  # another TxInfo: a forged approval
    sig = sk.sign(sig_input(st["mailbox_id"], signed))
    put_message(st, {"format": st["format"], "content": st["content"],
                     "txInfo": {"type": st["txinfo_type"], "data": base64.b64encode(tx).decode()},
                     "signature": {"alg": "Ed25519", "value": base64.b64encode(sig).decode()}})
    save(a.state, st)


def cmd_wait_gone(a):
    st = load(a.state)
    end = time.time() + a.timeout
    while True:
        try:
            read_message(st)
        except PeerError as e:
            if e.code == 6:
                print("COMPLETED")
                return
            raise
        if time.time() >= end:
            raise PeerError(7, "the mailbox is still there")
        time.sleep(0.2)


def cmd_redeem(a):
    u = parse_share_url(a.url)
    if u["secret"] is None:
        raise PeerError(1, "the Share URL has no Secret")
    st = {"role": "recipient", "relay": u["relay"], "ca": a.ca, "claim": str(uuid.uuid4()),
          "mailbox_id": u["mailbox_id"], "secret": base64.b64encode(u["secret"]).decode()}
    status, body = relay_of(st).call("POST", "/v1/m/" + st["mailbox_id"], st["claim"])
    if status != 200:
        raise PeerError(6 if status == 404 else 1, "redeem: HTTP %d %s" % (status, body))
    st["type"] = body["payload"]["type"]
    if st["type"] not in supported_types():
        raise PeerError(77, st["type"] + " is not supported by this peer")
    msg = json.loads(open_payload(st["type"], u["secret"], body["payload"]["data"]))
    st["last_data"] = body["payload"]["data"]
    st["format"], st["content"] = msg["format"], msg["content"]
    tg = msg.get("tigress")  # libtigress's member; a draft-only reader may use it as a hint
    save(a.state, st)
    print(json.dumps({"format": msg["format"], "content": msg["content"],
                      "stateful": tg.get("stateful") if isinstance(tg, dict) else None}))


def cmd_update(a):
    st = load(a.state)
    tx = open(a.txinfo[1:], "rb").read() if a.txinfo.startswith("@") else bytes.fromhex(a.txinfo)
    st["txinfo_type"], st["txinfo"] = a.txinfo_type, tx.hex()
    put_message(st, {"format": st["format"], "content": st["content"],
                     "txInfo": {"type": a.txinfo_type, "data": base64.b64encode(tx).decode()}})
    save(a.state, st)


def cmd_wait_approval(a):
    st = load(a.state)
    msg = poll(st, lambda m: isinstance(m.get("signature"), dict), a.timeout)
    save(a.state, st)
    ttype, tx = b64txinfo(msg)
    mine = bytes.fromhex(st["txinfo"])
    if ttype != st["txinfo_type"] or tx != mine:
        raise PeerError(5, "the Initiator signed a TxInfo that is not ours")
    sig = msg["signature"]
    if sig.get("alg") != "Ed25519":
        raise PeerError(5, "unsupported signature alg")
    try:
        Ed25519PublicKey.from_public_bytes(bytes.fromhex(a.peer_key)).verify(
            base64.b64decode(sig["value"], validate=True), sig_input(st["mailbox_id"], mine))
    except (InvalidSignature, ValueError, binascii.Error):
        raise PeerError(5, "the Initiator's signature is invalid")
    print("SIGNED")


def cmd_complete(a):
    st = load(a.state)
    status, body = relay_of(st).call("DELETE", "/v1/m/" + st["mailbox_id"], st["claim"])
    if status not in (200, 404):  # a 404 on one's own Delete counts as done
        raise PeerError(1, "delete: HTTP %d %s" % (status, body))
    print("COMPLETED")


def cmd_keygen(a):
    sk = Ed25519PrivateKey.generate()
    from cryptography.hazmat.primitives import serialization as s
    seed = sk.private_bytes(s.Encoding.Raw, s.PrivateFormat.Raw, s.NoEncryption())
    pub = sk.public_key().public_bytes(s.Encoding.Raw, s.PublicFormat.Raw)
    print(seed.hex(), pub.hex())


def check_vectors(path):
    """Decrypt and verify every vector of a tests/interop/vectors file; returns the count."""
    v = json.load(open(path))
    n = 0
    for p in v.get("payloads", []):
        if p["type"] not in supported_types():
            print("skip %s: not supported here" % p["name"])
            continue
        key = bytes.fromhex(p["secret_hex"])
        assert base64.b64decode(p["secret"]) == key, p["name"]
        pt = open_payload(p["type"], key, p["data"])
        assert pt == p["plaintext"].encode("utf-8"), p["name"]
        # Sealing again with the vector's nonce gives the same bytes.
        assert seal(p["type"], key, pt, bytes.fromhex(p["nonce_hex"])) == p["data"], p["name"]
        n += 1
    s = v.get("stateful")
    if s:
        key = bytes.fromhex(s["secret_hex"])
        sk = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(s["ed25519"]["seed_hex"]))
        pub = Ed25519PublicKey.from_public_bytes(bytes.fromhex(s["ed25519"]["public_hex"]))
        from cryptography.hazmat.primitives import serialization as ser
        assert sk.public_key().public_bytes(ser.Encoding.Raw, ser.PublicFormat.Raw).hex() == \
            s["ed25519"]["public_hex"]
        for m in ("message2", "message3"):
            pt = open_payload(s["payload_type"], key, s[m]["data"])
            assert pt == s[m]["plaintext"].encode("utf-8"), m
            n += 1
        m3 = json.loads(s["message3"]["plaintext"])
        tx = base64.b64decode(m3["txInfo"]["data"])
        inp = sig_input(s["mailbox_id"], tx)
        assert inp.hex() == s["signature_input_hex"]
        sig = base64.b64decode(m3["signature"]["value"])
        assert sig.hex() == s["signature_hex"]
        pub.verify(sig, inp)
        assert sk.sign(inp) == sig  # Ed25519 is deterministic
        n += 1
    for u in v.get("share_urls", []):
        p = parse_share_url(u["url"])
        assert p["relay"] == u["relay"] and p["mailbox_id"] == u["mailbox_id"], u["url"]
        assert p["vertical"] == u["vertical"], u["url"]
        assert p["secret"].hex() == u["secret_hex"], u["url"]
        n += 1
    return n


def cmd_check_vectors(a):
    total = sum(check_vectors(p) for p in a.files)
    print("%d vectors checked" % total)


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("share")
    for o in ("--relay", "--ca", "--state", "--type", "--format", "--content"):
        p.add_argument(o, required=True)
    p.add_argument("--stateful", action="store_true")
    for name in ("wait-txinfo", "wait-gone", "wait-approval"):
        p = sub.add_parser(name)
        p.add_argument("--state", required=True)
        p.add_argument("--timeout", type=float, default=30)
        if name == "wait-approval":
            p.add_argument("--peer-key", required=True)
    p = sub.add_parser("approve")
    p.add_argument("--state", required=True)
    p.add_argument("--key", required=True)
    p.add_argument("--txinfo")
    p = sub.add_parser("redeem")
    p.add_argument("--ca", required=True)
    p.add_argument("--state", required=True)
    p.add_argument("url")
    p = sub.add_parser("update")
    for o in ("--state", "--txinfo-type", "--txinfo"):
        p.add_argument(o, required=True)
    p = sub.add_parser("complete")
    p.add_argument("--state", required=True)
    sub.add_parser("keygen")
    sub.add_parser("types")
    p = sub.add_parser("check-vectors")
    p.add_argument("files", nargs="+")
    a = ap.parse_args(argv)
    fn = {"share": cmd_share, "wait-txinfo": cmd_wait_txinfo, "approve": cmd_approve,
          "wait-gone": cmd_wait_gone, "redeem": cmd_redeem, "update": cmd_update,
          "wait-approval": cmd_wait_approval, "complete": cmd_complete, "keygen": cmd_keygen,
          "types": lambda _: print(" ".join(supported_types())),
          "check-vectors": cmd_check_vectors}[a.cmd]
    try:
        fn(a)
    except PeerError as e:
        print("draft_peer: %s" % e, file=sys.stderr)
        return e.code
    except (OSError, ValueError, KeyError, TypeError) as e:  # bad input, missing state file
        print("draft_peer: %s: %s" % (type(e).__name__, e), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
