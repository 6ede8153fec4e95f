"""The low-level API of tigress/crypto.h: Secrets, payload seal/open and Share URLs.

For interoperating with another implementation or storing envelopes yourself; share() and
redeem() already do all of this. Secrets live in the library's guarded memory; what these
functions return that may be secret (plaintexts, key bytes, Share URLs with a fragment) is a
bytearray for tigress.wipe().
"""
import ctypes
from ctypes import c_void_p
from typing import Any, Optional, Union

from . import _lib
from ._owned import Owned
from ._check import acquire, check, release
from .transfer import PayloadType

ALLOW_INSECURE_LOOPBACK = 1
BytesLike = Union[bytes, bytearray]


class Secret(Owned):
    """The key of one transfer (tigress_secret), wiped by close(). A context manager."""

    def __init__(self, handle: int) -> None:
        self._handle: Optional[int] = handle

    @classmethod
    def _make(cls, fn: Any, *args: Any) -> "Secret":
        acquire()  # each Secret holds one tigress_global_init() reference
        out = c_void_p()
        try:
            check(fn(ctypes.byref(out), *args))
        except BaseException:
            release()
            raise
        return cls(out.value or 0)

    @classmethod
    def generate(cls, payload_type: PayloadType = PayloadType.XSALSA20_POLY1305) -> "Secret":
        return cls._make(_lib.lib().tigress_secret_generate, int(payload_type))

    @classmethod
    def from_bytes(cls, key: BytesLike) -> "Secret":
        buf = _lib.secret_cstr(key)
        try:
            return cls._make(_lib.lib().tigress_secret_from_bytes, ctypes.addressof(buf), len(key))
        finally:
            _lib.wipe(buf)

    @classmethod
    def from_text(cls, text: Union[str, BytesLike]) -> "Secret":
        buf = _lib.secret_cstr(text)
        try:
            return cls._make(_lib.lib().tigress_secret_from_text, ctypes.addressof(buf))
        finally:
            _lib.wipe(buf)

    @property
    def handle(self) -> int:
        if not self._handle:
            raise ValueError("Secret is closed")
        return self._handle

    def bytes(self) -> bytearray:
        L = _lib.lib()
        return _lib.copy_out(L.tigress_secret_bytes(self.handle), L.tigress_secret_size(self.handle))

    def text(self) -> bytearray:
        """Standard padded Base64, the Share URL fragment form (ASCII bytes)."""
        return _lib.copy_cstr(_lib.lib().tigress_secret_text(self.handle)) or bytearray()

    def __len__(self) -> int:
        return int(_lib.lib().tigress_secret_size(self.handle))

    def close(self) -> None:
        if self._handle:
            _lib.lib().tigress_secret_free(self._handle)
            self._handle = None
            release()


def _take(buf: _lib.Buf) -> bytearray:
    try:
        return _lib.copy_out(ctypes.cast(buf.ptr, c_void_p).value, buf.size)
    finally:
        _lib.lib().tigress_buf_dispose(ctypes.byref(buf))


def payload_seal(payload_type: PayloadType, secret: Secret, plaintext: BytesLike) -> str:
    """Encrypt with a fresh random nonce; the envelope's `data` (standard padded Base64)."""
    L = _lib.lib()
    buf = _lib.secret_cstr(plaintext)
    out = _lib.Buf()
    acquire()
    try:
        check(L.tigress_payload_seal(ctypes.byref(out), int(payload_type), secret.handle,
                                     ctypes.addressof(buf), len(plaintext)))
        return _take(out).decode("ascii")
    finally:
        _lib.wipe(buf)
        release()


def payload_open(payload_type: PayloadType, secret: Secret, data: str) -> bytearray:
    """Decrypt and authenticate `data`; raises CryptoError (bad tag), FormatError, KeyError."""
    L = _lib.lib()
    text = ctypes.create_string_buffer(data.encode("ascii", "replace"))
    out = _lib.Buf()
    acquire()
    try:
        check(L.tigress_payload_open(ctypes.byref(out), int(payload_type), secret.handle,
                                     ctypes.addressof(text)))
        return _take(out)
    finally:
        release()


class Payload:
    """Payload.seal / Payload.open, as in the Java and Swift bindings."""
    seal = staticmethod(payload_seal)
    open = staticmethod(payload_open)


class ShareUrl:
    """A parsed Share URL; owns a copy of its Secret (secret, or None), wiped by close()."""

    def __init__(self, mailbox_url: str, relay: str, host: str, mailbox_id: str,
                 vertical: Optional[str], secret: Optional[Secret]) -> None:
        self.mailbox_url, self.relay, self.host = mailbox_url, relay, host
        self.mailbox_id, self.vertical, self.secret = mailbox_id, vertical, secret

    @staticmethod
    def build(url_link: str, vertical: Optional[str] = None,
              secret: Optional[Secret] = None) -> bytearray:
        """`url_link?v=vertical#Secret` as a bytearray (it holds the Secret: wipe it)."""
        out = _lib.Buf()
        acquire()
        try:
            check(_lib.lib().tigress_share_url_build(
                ctypes.byref(out), url_link.encode("utf-8"),
                vertical.encode("ascii") if vertical else b"\0",
                secret.handle if secret is not None else None))
            return _take(out)
        finally:
            release()

    @classmethod
    def parse(cls, url: Union[str, BytesLike], flags: int = 0) -> "ShareUrl":
        L = _lib.lib()
        buf = _lib.secret_cstr(url)
        out = c_void_p()
        acquire()
        try:
            check(L.tigress_share_url_parse(ctypes.byref(out), ctypes.addressof(buf), flags))
            h = out.value
            try:
                s = L.tigress_share_url_secret(h)
                secret = None
                if s:
                    key = _lib.copy_out(L.tigress_secret_bytes(s), L.tigress_secret_size(s))
                    try:
                        secret = Secret.from_bytes(key)
                    finally:
                        _lib.wipe(key)
                v = L.tigress_share_url_vertical(h)
                return cls(_lib.pystr(L.tigress_share_url_mailbox_url(h)) or "",
                           _lib.pystr(L.tigress_share_url_relay(h)) or "",
                           _lib.pystr(L.tigress_share_url_host(h)) or "",
                           _lib.pystr(L.tigress_share_url_mailbox_id(h)) or "",
                           v.decode("ascii") if v and v != b"\0" else None, secret)
            finally:
                L.tigress_share_url_free(h)
        finally:
            _lib.wipe(buf)
            release()

    def close(self) -> None:
        if self.secret is not None:
            self.secret.close()

    def __enter__(self) -> "ShareUrl":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
