"""The client (tigress_client) and the share/redeem/import entry points."""
import ctypes
import threading
import weakref
from ctypes import c_char_p, c_void_p
from typing import Any, Callable, Optional, Sequence, Tuple, Union

from . import _lib
from ._owned import Owned
from ._check import acquire, check, release
from .errors import TigressError
from .keys import CallbackSlot, verifier_vtable
from .transfer import PayloadType, Transfer
from .transport import TransportBinding

_E_CRYPTO = -7

# Failures a transport's exception can have caused: they carry it as __cause__.
_TRANSPORT_CODES = (-11, -13, -14)  # NETWORK, TIMEOUT, CANCELLED

SecretLike = Union[str, bytes, bytearray]
RETRIES_NONE = 0xFFFFFFFF


class Client(Owned):
    """Settings for talking to relays, and the owner of transfers.

    Calls on a client and its transfers are serialised (a lock), so a client may be shared
    between threads; cancel(), cancel_clear() and wake() never wait for that lock and may be
    called from any thread while a blocking call (share, redeem, wait, ...) runs.
    """

    def __init__(self, *, ca_file: Optional[str] = None, connect_timeout_ms: int = 0,
                 request_timeout_ms: int = 0, max_retries: Optional[int] = None,
                 allow_insecure_loopback: bool = False,
                 relay_allow_list: Optional[Sequence[str]] = None,
                 user_agent: Optional[str] = None, transport: Any = None,
                 aead_provider: Any = None) -> None:
        """Create a client. Zero/None means the library default.

        max_retries=0 disables retries; ca_file is a PEM bundle for a private relay;
        relay_allow_list restricts which relay hosts may be contacted; transport (an object
        with send(HttpRequest) -> HttpResponse and optionally cancel(), or a callable) replaces
        the built-in libcurl transport (tigress.transport); aead_provider (an object with
        seal() and open(), e.g. tigress.CryptographyAead()) computes this client's AES-GCM
        (tigress.aead; default: the process default, else the library's own).
        """
        self._handle: Optional[int] = None
        self._lock = threading.RLock()         # one libtigress call at a time on this client
        self._cancel_lock = threading.Lock()   # cancel() vs. free
        self._transfers: "weakref.WeakSet[Transfer]" = weakref.WeakSet()
        # Holds the transport's C callbacks: the library calls them until the client is freed.
        self._transport = TransportBinding(transport) if transport is not None else None
        # The same for the AEAD provider's callbacks (imported here: aead needs transfer).
        from .aead import AeadBinding
        self._aead = AeadBinding(aead_provider) if aead_provider is not None else None
        acquire()
        try:
            L = _lib.lib()
            opts = _lib.ClientOptions()
            check(L.tigress_client_options_init(
                ctypes.byref(opts), _lib.CLIENT_OPTIONS_VERSION if self._aead is None
                else _lib.CLIENT_OPTIONS_VERSION_AEAD))
            keep = [_lib.cstr(ca_file), _lib.cstr(user_agent)]
            opts.ca_file, opts.user_agent = keep
            opts.connect_timeout_ms = connect_timeout_ms
            opts.request_timeout_ms = request_timeout_ms
            if max_retries is not None:
                opts.max_retries = RETRIES_NONE if max_retries == 0 else max_retries
            opts.allow_insecure_loopback = 1 if allow_insecure_loopback else 0
            if relay_allow_list is not None:
                hosts = (c_char_p * max(len(relay_allow_list), 1))(
                    *[h.encode("utf-8") for h in relay_allow_list])
                opts.relay_allow_list = ctypes.cast(hosts, ctypes.POINTER(c_char_p))
                opts.relay_allow_list_count = len(relay_allow_list)
            if self._transport is not None:
                opts.transport = ctypes.addressof(self._transport.vtable)  # copied by the library
            if self._aead is not None:
                opts.aead_provider = ctypes.addressof(self._aead.vtable)  # copied by the library
            out = c_void_p()
            check(L.tigress_client_new(ctypes.byref(out), ctypes.byref(opts)))
            self._handle = out.value
        except BaseException:
            release()
            raise

    # ---- lifetime ------------------------------------------------------------------------------

    def close(self) -> None:
        """Close every transfer of this client, then free it. Idempotent."""
        with self._lock:
            if not self._handle:
                return
            for t in list(self._transfers):
                t.close()
            with self._cancel_lock:
                _lib.lib().tigress_client_free(self._handle)
                self._handle = None
            self._transport = None  # no C callback can run any more
            self._aead = None
            release()

    def _forget(self, transfer: Transfer) -> None:
        self._transfers.discard(transfer)

    @property
    def handle(self) -> int:
        if not self._handle:
            raise ValueError("Client is closed")
        return self._handle

    # ---- calls ---------------------------------------------------------------------------------

    def _call(self, fn: Callable[..., int], *args: Any, slot: Optional[CallbackSlot] = None) -> int:
        """Run one C call under the client lock; raise its error (or a callback's exception)."""
        with self._lock:
            handle = self.handle
            tp = self._transport
            if tp is not None:
                tp.exc = None
            ae = self._aead
            if ae is not None:
                ae.exc = None
            rc = fn(*args)
            if slot is not None:
                slot.reraise(rc)
            cause, tp_exc = None, None
            if tp is not None:
                tp_exc, tp.exc = tp.exc, None
                cause = tp_exc if rc in _TRANSPORT_CODES else None
            if ae is not None:
                ae_exc, ae.exc = ae.exc, None
                # A provider's exception (e.g. cryptography's InvalidTag) is the cause.
                if ae_exc is not None and cause is None and (
                        rc == _E_CRYPTO or getattr(ae_exc, "code", None) == rc):
                    cause = ae_exc
            try:
                check(rc, handle)
            except TigressError as err:
                if cause is not None:
                    raise err from cause
                raise
            return rc

    @staticmethod
    def _check_handle_less(rc: int) -> None:
        check(rc)

    def cancel(self) -> None:
        """Cancel the blocking call running on this client, or the next one (from any thread).

        The call raises CancelledError and leaves its transfer as it was. A cancel is never
        lost: requested before a call starts (e.g. while its job waits in an executor's queue),
        it cancels that call before any request; one cancel ends one call (tigress_client_cancel).
        """
        with self._cancel_lock:
            if self._handle:
                _lib.lib().tigress_client_cancel(self._handle)

    def cancel_clear(self) -> None:
        """Drop a pending cancel (one that no call has noticed yet), from any thread."""
        with self._cancel_lock:
            if self._handle:
                _lib.lib().tigress_client_cancel_clear(self._handle)

    def wake(self) -> None:
        """Make a sleeping Transfer.wait() read the mailbox now (e.g. when a push arrived)."""
        with self._cancel_lock:
            if self._handle:
                _lib.lib().tigress_client_wake(self._handle)

    def _adopt(self, out: c_void_p, slot: CallbackSlot) -> Transfer:
        t = Transfer(self, out.value or 0, slot)
        self._transfers.add(t)
        return t

    def share(self, relay_url: str, format: str, content: SecretLike, title: str, *,
              description: Optional[str] = None, image_url: Optional[str] = None,
              expires_at: int = 0, vertical: Optional[str] = None,
              payload_type: PayloadType = PayloadType.XSALSA20_POLY1305, stateful: bool = False,
              notification_token: Optional[Tuple[str, str]] = None,
              attestation: Optional[str] = None) -> Transfer:
        """Initiator: encrypt content (a JSON object as text) and create the mailbox.

        The title, description and image are public (link previews). Returns a transfer in
        state CREATED whose share_url goes to the Recipient.
        """
        L = _lib.lib()
        opts = _lib.ShareOptions()
        check(L.tigress_share_options_init(ctypes.byref(opts), _lib.SHARE_OPTIONS_VERSION))
        body = _lib.secret_cstr(content)
        keep = [_lib.cstr(s) for s in (relay_url, format, title, description, image_url,
                                      attestation)]
        opts.relay_url, opts.format, opts.title, opts.description, opts.image_url, \
            opts.attestation = keep
        opts.content_json = ctypes.addressof(body)
        opts.expires_at = expires_at
        if vertical:
            opts.vertical = vertical.encode("ascii")
        opts.payload_type = int(payload_type)
        opts.stateful = 1 if stateful else 0
        if notification_token is not None:
            tok = (_lib.cstr(notification_token[0]), _lib.cstr(notification_token[1]))
            opts.notification_token_type, opts.notification_token_data = tok
        out = c_void_p()
        try:
            self._call(L.tigress_share_create, ctypes.byref(out), self.handle, ctypes.byref(opts))
        finally:
            _lib.wipe(body)
        return self._adopt(out, CallbackSlot())

    def redeem(self, share_url: SecretLike, *, secret: Optional[SecretLike] = None,
               verifier: Any = None,
               notification_token: Optional[Tuple[str, str]] = None) -> Transfer:
        """Recipient: read, bind and decrypt the mailbox of a Share URL.

        secret is given when it was sent apart from the URL; verifier (a 32-byte Ed25519 public
        key or a Verifier) checks the Initiator's signature in the stateful flow.
        """
        L = _lib.lib()
        opts = _lib.RedeemOptions()
        check(L.tigress_redeem_options_init(ctypes.byref(opts), _lib.REDEEM_OPTIONS_VERSION))
        slot = CallbackSlot()
        url_buf, secret_buf = _lib.secret_cstr(share_url), _lib.secret_cstr(secret)
        opts.share_url = ctypes.addressof(url_buf)
        opts.secret = ctypes.addressof(secret_buf) if secret_buf is not None else None
        if notification_token is not None:
            tok = (_lib.cstr(notification_token[0]), _lib.cstr(notification_token[1]))
            opts.notification_token_type, opts.notification_token_data = tok
        if verifier is not None:
            vt = verifier_vtable(verifier, slot)
            opts.verifier = ctypes.pointer(vt)
        out = c_void_p()
        try:
            self._call(L.tigress_redeem, ctypes.byref(out), self.handle, ctypes.byref(opts),
                       slot=slot)
        finally:
            _lib.wipe(url_buf)
            _lib.wipe(secret_buf)
        return self._adopt(out, slot)

    def import_transfer(self, blob: Union[bytes, bytearray], *,
                        secret: Optional[SecretLike] = None, verifier: Any = None) -> Transfer:
        """Recreate a transfer from Transfer.export() (no network traffic).

        secret is required when the blob was exported without it. A Recipient's verifier is
        not part of the blob: pass it again.
        """
        L = _lib.lib()
        n = len(blob)
        data = (ctypes.c_uint8 * max(n, 1))()
        if n:
            ctypes.memmove(data, (ctypes.c_char * n).from_buffer(blob)
                           if isinstance(blob, bytearray) else blob, n)
        secret_buf = _lib.secret_cstr(secret)
        out = c_void_p()
        try:
            self._call(L.tigress_transfer_import, ctypes.byref(out), self.handle, data, n,
                       ctypes.addressof(secret_buf) if secret_buf is not None else None)
        finally:
            _lib.wipe(data)
            _lib.wipe(secret_buf)
        t = self._adopt(out, CallbackSlot())
        if verifier is not None:
            t.set_verifier(verifier)
        return t
