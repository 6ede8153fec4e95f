"""AES-GCM computed in Python (tigress_aead_provider, tigress/sys/aead.h).

The portable build of libtigress (libsodium, cJSON and libc only) has no AES-128-GCM, and
AES-256-GCM only on CPUs with AES instructions; with a provider both payload types work
everywhere. Give one to a client (Client(aead_provider=...)) or to the whole process
(set_default_aead_provider()); XSALSA20_POLY1305 never reaches a provider.

A provider has two methods, called on the thread of the libtigress call that needs them (a
Client's blocking call, payload_seal/payload_open), possibly on several threads at once:

    seal(payload_type, key, nonce, plaintext) -> (ciphertext, tag)
    open(payload_type, key, nonce, ciphertext, tag) -> plaintext

key, nonce, plaintext and ciphertext are bytearray copies made for the call and overwritten
with zeros when it returns: keep none of them. Key: 16 bytes (AES_128_GCM) or 32
(AES_256_GCM); nonce 12; tag 16; no associated data. A wrong tag is reported by raising
(CryptographyAead lets cryptography's InvalidTag through); a TigressError subclass raised
(e.g. UnsupportedError) passes its status on; any other exception becomes CryptoError.
An exception never unwinds through the C code.
"""
import ctypes
import threading
from typing import Any, List, Optional, Protocol, Tuple, runtime_checkable

from . import _lib
from ._check import check
from .errors import TigressError
from .transfer import PayloadType

E_CRYPTO = -7
E_UNSUPPORTED = -9


@runtime_checkable
class AeadProvider(Protocol):
    """Anything with seal() and open() as described in the module documentation."""

    def seal(self, payload_type: PayloadType, key: bytearray, nonce: bytearray,
             plaintext: bytearray) -> Tuple[bytes, bytes]: ...

    def open(self, payload_type: PayloadType, key: bytearray, nonce: bytearray,
             ciphertext: bytearray, tag: bytearray) -> Any: ...


class CryptographyAead:
    """A provider on the `cryptography` package's AESGCM (OpenSSL underneath)."""

    TAG_BYTES = 16

    def __init__(self) -> None:
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM  # noqa: F401 (present?)
        self._aesgcm = AESGCM

    @staticmethod
    def _serves(payload_type: PayloadType, key: bytearray) -> None:
        want = {PayloadType.AES_128_GCM: 16, PayloadType.AES_256_GCM: 32}.get(payload_type)
        if want is None or len(key) != want:
            raise _unsupported(payload_type)

    def seal(self, payload_type: PayloadType, key: bytearray, nonce: bytearray,
             plaintext: bytearray) -> Tuple[bytes, bytes]:
        self._serves(payload_type, key)
        # AESGCM copies the key into OpenSSL's context, freed with the object; the bytearray
        # the binding passed is wiped by the binding.
        out = self._aesgcm(key).encrypt(bytes(nonce), bytes(plaintext), None)
        return out[:-self.TAG_BYTES], out[-self.TAG_BYTES:]

    def open(self, payload_type: PayloadType, key: bytearray, nonce: bytearray,
             ciphertext: bytearray, tag: bytearray) -> bytes:
        self._serves(payload_type, key)
        return self._aesgcm(key).decrypt(bytes(nonce), bytes(ciphertext) + bytes(tag), None)


def _unsupported(payload_type: Any) -> TigressError:
    from ._status import ERROR_CLASSES
    return ERROR_CLASSES[E_UNSUPPORTED](f"provider does not serve payload type {payload_type}")


def _status_of(exc: BaseException) -> int:
    if isinstance(exc, TigressError) and exc.code < 0:
        return int(exc.code)
    return E_CRYPTO


def _bytes_in(ptr: Any, n: int) -> bytearray:
    """A bytearray copy of n bytes at a POINTER(c_uint8) (the caller wipes it)."""
    return _lib.copy_out(ctypes.cast(ptr, ctypes.c_void_p).value, n)


class AeadBinding:
    """The C vtable of one Python provider, and the CFUNCTYPE objects it points to.

    The library copies the vtable but calls these callbacks for as long as the provider is
    installed: a Client holds its AeadBinding until tigress_client_free() has returned, and
    set_default_aead_provider() keeps every default it installed for the life of the process.
    """

    def __init__(self, provider: Any) -> None:
        if not (callable(getattr(provider, "seal", None))
                and callable(getattr(provider, "open", None))):
            raise TypeError("aead provider must have seal() and open()")
        self.provider = provider
        self.exc: Optional[BaseException] = None  # the last exception a slot turned into a code
        self._seal_fn = _lib.AEAD_SEAL_FN(self._seal)
        self._open_fn = _lib.AEAD_OPEN_FN(self._open)
        L = _lib.lib()
        if not hasattr(L, "tigress_aead_provider_init"):
            raise OSError("this libtigress has no AEAD provider support (needs 1.1)")
        self.vtable = _lib.AeadProviderVtable()
        check(L.tigress_aead_provider_init(ctypes.byref(self.vtable), _lib.AEAD_PROVIDER_VERSION))
        self.vtable.seal = self._seal_fn
        self.vtable.open = self._open_fn

    @staticmethod
    def _type(t: int) -> Any:
        try:
            return PayloadType(t)
        except ValueError:
            return t

    def _seal(self, t: int, key: Any, key_len: int, nonce: Any, nonce_len: int, pt: Any,
              pt_len: int, ct: Any, tag: Any, tag_len: int, _ud: Any) -> int:
        k = n = p = None
        try:
            k, n = _bytes_in(key, key_len), _bytes_in(nonce, nonce_len)
            p = _bytes_in(pt, pt_len) if pt else bytearray()
            c, g = self.provider.seal(self._type(t), k, n, p)
            if len(c) != pt_len or len(g) != tag_len:
                raise ValueError(f"provider returned {len(c)}+{len(g)} bytes, "
                                 f"expected {pt_len}+{tag_len}")
            if pt_len:
                ctypes.memmove(ct, bytes(c), pt_len)
            ctypes.memmove(tag, bytes(g), tag_len)
            return 0
        except BaseException as exc:  # never let an exception unwind through C
            self.exc = exc
            return _status_of(exc)
        finally:
            for b in (k, n, p):
                if b is not None:
                    _lib.wipe(b)

    def _open(self, t: int, key: Any, key_len: int, nonce: Any, nonce_len: int, ct: Any,
              ct_len: int, tag: Any, tag_len: int, pt: Any, _ud: Any) -> int:
        k = n = c = g = out = None
        try:
            k, n = _bytes_in(key, key_len), _bytes_in(nonce, nonce_len)
            c, g = _bytes_in(ct, ct_len) if ct else bytearray(), _bytes_in(tag, tag_len)
            out = self.provider.open(self._type(t), k, n, c, g)
            if len(out) != ct_len:
                raise ValueError(f"provider returned {len(out)} bytes, expected {ct_len}")
            if ct_len:
                ctypes.memmove(pt, bytes(out), ct_len)
            return 0
        except BaseException as exc:
            self.exc = exc
            return _status_of(exc)
        finally:
            for b in (k, n, c, g):
                if b is not None:
                    _lib.wipe(b)
            if isinstance(out, bytearray):
                _lib.wipe(out)


_defaults_lock = threading.Lock()
_defaults: List[AeadBinding] = []  # every default ever installed (a call may still use one)


def set_default_aead_provider(provider: Any) -> None:
    """Install provider for every client created without its own, and for payload_seal /
    payload_open (tigress_aead_provider_set_default); None goes back to the built-in AES-GCM.
    A replaced provider stays referenced until the process ends: set it once, at start-up."""
    L = _lib.lib()
    with _defaults_lock:
        if provider is None:
            check(L.tigress_aead_provider_set_default(None))
            return
        binding = AeadBinding(provider)
        check(L.tigress_aead_provider_set_default(ctypes.byref(binding.vtable)))
        _defaults.append(binding)


def payload_type_builtin(payload_type: PayloadType) -> bool:
    """Whether this libtigress serves payload_type with no provider (tigress_payload_type_builtin):
    always XSALSA20_POLY1305; in the portable build AES_256_GCM only on CPUs with AES
    instructions and AES_128_GCM never."""
    from ._check import acquire, release
    acquire()  # the CPU check needs tigress_global_init()
    try:
        return bool(_lib.lib().tigress_payload_type_builtin(int(payload_type)))
    finally:
        release()
