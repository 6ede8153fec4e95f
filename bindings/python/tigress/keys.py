"""Signing and verification for the stateful flow: Ed25519 keys and Python callbacks."""
import ctypes
from ctypes import c_size_t, c_uint8, c_void_p
from typing import Any, Callable, List, Optional, Protocol, runtime_checkable

from . import _lib
from ._owned import Owned
from ._check import acquire, check, release
from ._status import SignatureError


@runtime_checkable
class Signer(Protocol):
    """Anything that signs for tigress: an algorithm name and a sign() method.

    sign() receives the exact bytes to sign ("tigress-txinfo-v1" || mailbox id || TxInfo) and
    returns the signature (at most 512 bytes). It runs on the thread that called
    Transfer.approve(). An exception raised here ends approve() and is raised again from it.
    """
    alg: str

    def sign(self, message: bytes) -> bytes: ...


@runtime_checkable
class Verifier(Protocol):
    """Checks the Initiator's signature for the Recipient: True when it is valid.

    Runs on the thread that called Transfer.poll() or Transfer.wait().
    """

    def verify(self, alg: str, message: bytes, signature: bytes) -> bool: ...


class FunctionSigner:
    """A Signer from a function, e.g. one that asks a hardware key store to sign."""

    def __init__(self, alg: str, fn: Callable[[bytes], bytes]) -> None:
        self.alg = alg
        self._fn = fn

    def sign(self, message: bytes) -> bytes:
        return self._fn(message)


class Ed25519Key(Owned):
    """An Ed25519 key pair held by the library in guarded memory (wiped on close).

    The key is a Signer: pass it to Transfer.approve(); it then signs in C without a round trip
    through Python. Use it as a context manager or call close().
    """

    def __init__(self, handle: int) -> None:
        self._handle: Optional[int] = handle
        self.alg = "Ed25519"

    @classmethod
    def generate(cls) -> "Ed25519Key":
        acquire()
        out = c_void_p()
        try:
            check(_lib.lib().tigress_ed25519_key_generate(ctypes.byref(out)))
        except BaseException:
            release()
            raise
        return cls(out.value or 0)

    @classmethod
    def from_seed(cls, seed: Any) -> "Ed25519Key":
        """Derive the key from a 32-byte seed (copied; wipe your own copy)."""
        acquire()
        buf = _lib.secret_cstr(seed)
        out = c_void_p()
        try:
            check(_lib.lib().tigress_ed25519_key_from_seed(ctypes.byref(out), buf, len(seed)))
        except BaseException:
            release()
            raise
        finally:
            _lib.wipe(buf)
        return cls(out.value or 0)

    @property
    def handle(self) -> int:
        if not self._handle:
            raise ValueError("Ed25519Key is closed")
        return self._handle

    @property
    def public_key(self) -> bytes:
        """The 32-byte public key, to give to the Recipient's verifier."""
        out = (c_uint8 * _lib.ED25519_PUBLIC_BYTES)()
        check(_lib.lib().tigress_ed25519_key_public(self.handle, out, len(out)))
        return bytes(out)

    def sign(self, message: bytes) -> bytes:
        """Sign through the library's default Ed25519 signer (used by tests and FunctionSigner)."""
        vt = _lib.SignerVtable()
        check(_lib.lib().tigress_signer_ed25519(ctypes.byref(vt), self.handle))
        msg = (c_uint8 * max(len(message), 1)).from_buffer_copy(message or b"\0")
        sig = (c_uint8 * _lib.SIGNATURE_MAX)()
        n = c_size_t(len(sig))
        check(vt.sign(msg, len(message), sig, ctypes.byref(n), vt.user_data))
        return bytes(sig[: n.value])

    def close(self) -> None:
        if self._handle:
            _lib.lib().tigress_ed25519_key_free(self._handle)
            self._handle = None
            release()


class CallbackSlot:
    """Holds a Python exception raised inside a C callback until the C call returns."""

    # Returned to C by a callback that raised: an application code, passed back unchanged.
    CODE = _lib.E_USER_MIN - 1

    def __init__(self) -> None:
        self.exc: Optional[BaseException] = None
        self.keep: List[Any] = []  # CFUNCTYPE objects and buffers C may still point to

    def reraise(self, code: int) -> None:
        exc, self.exc = self.exc, None
        if exc is not None and code != 0:
            raise exc


def signer_vtable(signer: Signer, slot: CallbackSlot) -> _lib.SignerVtable:
    """A tigress_signer for approve(): native for Ed25519Key, else a Python trampoline."""
    vt = _lib.SignerVtable()
    if isinstance(signer, Ed25519Key):
        check(_lib.lib().tigress_signer_ed25519(ctypes.byref(vt), signer.handle))
        return vt

    def trampoline(msg, msg_len, sig, sig_len, _user):  # type: ignore[no-untyped-def]
        try:
            out = bytes(signer.sign(ctypes.string_at(msg, msg_len)))
            if len(out) > sig_len[0] or not out:
                raise ValueError(f"signature of {len(out)} bytes (1..{sig_len[0]} allowed)")
            ctypes.memmove(sig, out, len(out))
            sig_len[0] = len(out)
            return 0
        except BaseException as exc:  # never let an exception unwind through C
            slot.exc = exc
            return CallbackSlot.CODE

    fn = _lib.SIGN_FN(trampoline)
    alg = signer.alg.encode("utf-8")
    slot.keep += [fn, alg]
    vt.version = _lib.SIGNER_VERSION
    vt.alg = alg
    vt.sign = fn
    vt.user_data = None
    return vt


def verifier_vtable(verifier: Any, slot: CallbackSlot) -> _lib.VerifierVtable:
    """A tigress_verifier: bytes are an Ed25519 public key (native), else a Python Verifier."""
    vt = _lib.VerifierVtable()
    if isinstance(verifier, (bytes, bytearray)):
        if len(verifier) != _lib.ED25519_PUBLIC_BYTES:
            raise ValueError("an Ed25519 public key is 32 bytes")
        key = (c_uint8 * _lib.ED25519_PUBLIC_BYTES).from_buffer_copy(bytes(verifier))
        slot.keep.append(key)  # the C verifier references, not copies, the key
        check(_lib.lib().tigress_verifier_ed25519(ctypes.byref(vt), key))
        return vt

    def trampoline(alg, msg, msg_len, sig, sig_len, _user):  # type: ignore[no-untyped-def]
        try:
            ok = verifier.verify((alg or b"").decode("utf-8", "replace"),
                                 ctypes.string_at(msg, msg_len), ctypes.string_at(sig, sig_len))
            return 0 if ok else SignatureError.status_code
        except BaseException as exc:
            slot.exc = exc
            return CallbackSlot.CODE

    fn = _lib.VERIFY_FN(trampoline)
    slot.keep.append(fn)
    vt.version = _lib.SIGNER_VERSION
    vt.verify = fn
    vt.user_data = None
    return vt


def verify_ed25519(public_key: bytes, message: bytes, signature: bytes) -> bool:
    """Check an Ed25519 signature with the library's verifier (e.g. inside a Python Verifier)."""
    slot = CallbackSlot()
    vt = verifier_vtable(bytes(public_key), slot)
    acquire()
    try:
        msg = (c_uint8 * max(len(message), 1)).from_buffer_copy(message or b"\0")
        sig = (c_uint8 * max(len(signature), 1)).from_buffer_copy(signature or b"\0")
        rc = vt.verify(b"Ed25519", msg, len(message), sig, len(signature), vt.user_data)
    finally:
        release()
    if rc == SignatureError.status_code:
        return False
    check(rc)
    return True
