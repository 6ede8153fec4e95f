"""One credential transfer, from either side (tigress_transfer)."""
import ctypes
import enum
from ctypes import c_char_p, c_size_t, c_void_p
from typing import TYPE_CHECKING, Any, Callable, Optional, Tuple

from . import _lib
from ._owned import Owned
from ._status import AgainError
from .keys import CallbackSlot, Signer, signer_vtable, verifier_vtable

if TYPE_CHECKING:
    from .client import Client


class TransferState(enum.IntEnum):
    """tigress_state: values never change."""
    CREATED = 1
    REDEEMED = 2
    WAITING_FOR_PEER = 3
    TXINFO_RECEIVED = 4
    SIGNED = 5
    COMPLETED = 6
    REVOKED = 7
    RELINQUISHED = 8
    EXPIRED = 9
    FAILED = 10


class Role(enum.IntEnum):
    """tigress_role."""
    INITIATOR = 1
    RECIPIENT = 2


class Flow(enum.IntEnum):
    """tigress_flow (since 1.1): UNKNOWN for a Recipient of a draft-only Initiator until it
    sends TxInfo (then STATEFUL) or completes (then STATELESS); docs/protocol.md §5."""
    UNKNOWN = 0
    STATELESS = 1
    STATEFUL = 2


class PayloadType(enum.IntEnum):
    """tigress_payload_type: how the payload is encrypted."""
    XSALSA20_POLY1305 = 0
    AES_128_GCM = 1
    AES_256_GCM = 2


class Transfer(Owned):
    """A transfer created by Client.share(), Client.redeem() or Client.import_transfer().

    It belongs to its client: calls are serialised with the client's other calls, the client's
    cancel() ends a blocking call, and closing the client closes the transfer. Close it (or use
    `with`) to wipe the Secret and content held by the library.
    """

    def __init__(self, client: "Client", handle: int, slot: CallbackSlot) -> None:
        self._client = client
        self._handle: Optional[int] = handle
        self._slot = slot  # keeps verifier callbacks and keys alive as long as the transfer

    # ---- lifetime ----------------------------------------------------------------------------

    @property
    def handle(self) -> int:
        if not self._handle:
            raise ValueError("Transfer is closed")
        return self._handle

    def close(self) -> None:
        """Wipe and free the transfer (no network traffic). Idempotent."""
        with self._client._lock:
            if self._handle:
                _lib.lib().tigress_transfer_free(self._handle)
                self._handle = None
                self._client._forget(self)

    def _call(self, fn: Callable[..., int], *args: Any) -> int:
        return self._client._call(fn, self.handle, *args, slot=self._slot)

    # ---- accessors -----------------------------------------------------------------------------

    def _str(self, name: str) -> Optional[str]:
        return _lib.pystr(getattr(_lib.lib(), name)(self.handle))

    @property
    def state(self) -> TransferState:
        return TransferState(_lib.lib().tigress_transfer_state(self.handle))

    @property
    def role(self) -> Role:
        return Role(_lib.lib().tigress_transfer_role(self.handle))

    @property
    def is_stateful(self) -> bool:
        return bool(_lib.lib().tigress_transfer_is_stateful(self.handle))

    @property
    def flow(self) -> Flow:
        """tigress_transfer_flow(): stateless, stateful or (Recipient, draft-only peer) unknown."""
        return Flow(_lib.lib().tigress_transfer_flow(self.handle))

    @property
    def payload_type(self) -> PayloadType:
        return PayloadType(_lib.lib().tigress_transfer_payload_type(self.handle))

    @property
    def mailbox_id(self) -> str:
        return self._str("tigress_transfer_mailbox_id") or ""

    @property
    def share_url(self) -> Optional[str]:
        """The Share URL with the Secret in its fragment: send it only to the Recipient.

        A str cannot be wiped and lives until collected; prefer share_url_bytes().
        """
        raw = self.share_url_bytes()
        if raw is None:
            return None
        try:
            return raw.decode("utf-8")
        finally:
            _lib.wipe(raw)

    def share_url_bytes(self) -> Optional[bytearray]:
        """The Share URL with the Secret, as a new bytearray (UTF-8) that the caller wipes
        (tigress.wipe) when done; Client.redeem() accepts it as is. None without the Secret."""
        return _lib.copy_cstr(_lib.lib().tigress_transfer_share_url(self.handle))

    @property
    def url(self) -> Optional[str]:
        """The Share URL without the Secret (not secret): send it with secret_text() apart."""
        return self._str("tigress_transfer_url")

    @property
    def vertical(self) -> Optional[str]:
        v = _lib.lib().tigress_transfer_vertical(self.handle)
        return None if v in (b"", b"\0") else v.decode("ascii")

    @property
    def format(self) -> Optional[str]:
        return self._str("tigress_transfer_format")

    @property
    def title(self) -> Optional[str]:
        return self._str("tigress_transfer_title")

    @property
    def description(self) -> Optional[str]:
        return self._str("tigress_transfer_description")

    @property
    def image_url(self) -> Optional[str]:
        return self._str("tigress_transfer_image_url")

    @property
    def expires_at(self) -> int:
        return int(_lib.lib().tigress_transfer_expires_at(self.handle))

    @property
    def push_supported(self) -> bool:
        return bool(_lib.lib().tigress_transfer_push_supported(self.handle))

    def secret(self) -> Optional[bytearray]:
        """The raw Secret bytes (16 or 32), or None. A new bytearray: wipe it when done."""
        L = _lib.lib()
        s = L.tigress_transfer_secret(self.handle)
        return _lib.copy_out(L.tigress_secret_bytes(s), L.tigress_secret_size(s)) if s else None

    def secret_text(self) -> Optional[bytearray]:
        """The Secret as Base64 text (ASCII), for sending apart. Wipe it when done."""
        L = _lib.lib()
        s = L.tigress_transfer_secret(self.handle)
        return _lib.copy_cstr(L.tigress_secret_text(s)) if s else None

    def content(self) -> Optional[bytearray]:
        """The Provisioning Information content (UTF-8 JSON). Secret: wipe it when done."""
        return _lib.copy_cstr(_lib.lib().tigress_transfer_content(self.handle))

    def txinfo(self) -> Tuple[str, bytes]:
        """(type, bytes) of the TxInfo sent (Recipient) or received (Initiator)."""
        t, d, n = c_char_p(), c_void_p(), c_size_t()
        self._call(_lib.lib().tigress_transfer_txinfo, ctypes.byref(t), ctypes.byref(d),
                   ctypes.byref(n))
        data = ctypes.string_at(d.value, n.value) if d.value and n.value else b""
        return (t.value or b"").decode("utf-8"), data

    def signature(self) -> Tuple[str, bytes]:
        """(alg, bytes) of the signature sent (Initiator) or verified (Recipient)."""
        a, s, n = c_char_p(), c_void_p(), c_size_t()
        self._call(_lib.lib().tigress_transfer_signature, ctypes.byref(a), ctypes.byref(s),
                   ctypes.byref(n))
        sig = ctypes.string_at(s.value, n.value) if s.value and n.value else b""
        return (a.value or b"").decode("utf-8"), sig

    # ---- operations ----------------------------------------------------------------------------

    def set_verifier(self, verifier: Any) -> None:
        """Recipient: a 32-byte Ed25519 public key, or a Verifier, for the Initiator's signature."""
        slot = CallbackSlot()  # replaces the old verifier's slot once the library has it
        vt = verifier_vtable(verifier, slot)
        self._client._call(_lib.lib().tigress_transfer_set_verifier, self.handle,
                           ctypes.byref(vt), slot=slot)
        self._slot = slot

    def update(self, txinfo_type: str, txinfo: bytes) -> None:
        """Recipient, stateful: send Transaction Information to the Initiator."""
        data = bytes(txinfo)
        self._call(_lib.lib().tigress_transfer_update, txinfo_type.encode("utf-8"), data, len(data))

    def approve(self, signer: Signer) -> None:
        """Initiator, stateful: sign the received TxInfo with signer and send the signature.

        signer is an Ed25519Key (signs in C) or any Signer; a Python signer runs on this thread.
        """
        slot = CallbackSlot()  # only for this call: the library copies the signer per call
        vt = signer_vtable(signer, slot)
        self._client._call(_lib.lib().tigress_transfer_approve, self.handle, ctypes.byref(vt),
                           slot=slot)

    def poll(self) -> bool:
        """Check the mailbox once: True when the state advanced, False when nothing is new."""
        try:
            self._call(_lib.lib().tigress_transfer_poll)
        except AgainError:
            return False
        return True

    def wait(self, timeout_ms: int = 0, *, long_poll: bool = True,
             progress: Optional[Callable[[int, int], None]] = None) -> None:
        """Block until the peer's next message or the end of the transfer.

        timeout_ms=0 waits until the transfer expires. Client.cancel() from another thread ends
        it with CancelledError; Client.wake() reads at once (call it when a push arrives).
        progress(attempt, next_delay_ms) is called on this thread before each sleep.
        """
        L = _lib.lib()
        opts = _lib.WaitOptions()
        self._client._check_handle_less(L.tigress_transfer_wait_options_init(
            ctypes.byref(opts), _lib.WAIT_OPTIONS_VERSION))
        opts.timeout_ms = timeout_ms
        opts.disable_long_poll = 0 if long_poll else 1
        if progress is not None:
            slot, client, report = self._slot, self._client, progress

            def on_progress(attempt, delay, _user):  # type: ignore[no-untyped-def]
                if slot.exc is not None:
                    return
                try:
                    report(attempt, delay)
                except BaseException as exc:  # stop the wait, then raise this from wait()
                    slot.exc = exc
                    client.cancel()

            opts.progress = _lib.PROGRESS_FN(on_progress)
        self._call(L.tigress_transfer_wait, ctypes.byref(opts))

    def revoke(self) -> None:
        """Initiator: delete the mailbox before completion."""
        self._call(_lib.lib().tigress_transfer_revoke)

    def relinquish(self) -> None:
        """Recipient: give up the binding so another device can redeem."""
        self._call(_lib.lib().tigress_transfer_relinquish)

    def complete(self) -> None:
        """Recipient: the credential is provisioned; delete the mailbox."""
        self._call(_lib.lib().tigress_transfer_complete)

    def export(self, *, without_secret: bool = False) -> bytearray:
        """A blob to resume the transfer after a restart (Client.import_transfer()).

        Unless without_secret, it holds the Secret and the content: keep it in a key store and
        wipe the bytearray when done.
        """
        buf = _lib.Buf()
        flags = _lib.EXPORT_WITHOUT_SECRET if without_secret else 0
        try:
            self._call(_lib.lib().tigress_transfer_export, flags, ctypes.byref(buf))
            return _lib.copy_out(ctypes.cast(buf.ptr, c_void_p).value, buf.size)
        finally:
            _lib.lib().tigress_buf_dispose(ctypes.byref(buf))

    def __repr__(self) -> str:
        if not self._handle:
            return "<tigress.Transfer closed>"
        return f"<tigress.Transfer {self.role.name} {self.state.name} {self.mailbox_id}>"
