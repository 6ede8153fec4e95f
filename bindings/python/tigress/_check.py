"""Turning a C status plus its tigress_error detail into the right exception."""
import threading
from typing import Any, Optional

from . import _lib
from ._status import ERROR_CLASSES
from .errors import TigressError


def error_for(code: int, detail: Any = None) -> TigressError:
    """The exception for status code, with detail from a tigress_error pointer (or none)."""
    L = _lib.lib()
    message = ""
    http_status = transport_code = 0
    if detail:
        d = detail.contents
        if d.code == code:  # the detail belongs to this failure
            message = (d.message or b"").decode("utf-8", "replace")
            http_status, transport_code = d.http_status, d.transport_code
    if not message:
        message = L.tigress_strerror(code).decode("utf-8", "replace")
    cls = ERROR_CLASSES.get(code)
    if cls is not None:
        return cls(message, http_status=http_status, transport_code=transport_code)
    name = L.tigress_status_name(code).decode("ascii", "replace")
    return TigressError(message, code=code, status_name=name, http_status=http_status,
                        transport_code=transport_code)


def check(code: int, client_handle: Optional[int] = None) -> None:
    """Raise when code is not TIGRESS_OK; detail from the client, else the thread's last error."""
    if code == 0:
        return
    L = _lib.lib()
    detail = (L.tigress_client_last_error(client_handle) if client_handle
              else L.tigress_error_last())
    raise error_for(code, detail)


_refs = 0
_refs_lock = threading.Lock()


def acquire() -> None:
    """tigress_global_init(): every Client and Ed25519Key holds one reference."""
    global _refs
    with _refs_lock:
        check(_lib.lib().tigress_global_init())
        _refs += 1


def release() -> None:
    """tigress_global_cleanup() for one reference taken by acquire()."""
    global _refs
    with _refs_lock:
        if _refs > 0:
            _refs -= 1
            _lib.lib().tigress_global_cleanup()
