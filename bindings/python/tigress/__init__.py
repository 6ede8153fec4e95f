"""Python bindings for libtigress (ctypes over the stable C ABI, libtigress.so.1).

    import tigress
    with tigress.Client(ca_file="ca.pem") as client:
        t = client.share("https://relay.example", "com.example.key", '{"k":"v"}', "Car key")
        print(t.share_url)

The library is found through $TIGRESS_LIB, else build/libtigress.so.1 of this source tree,
else the system's libtigress.so.1. Every failure raises a TigressError subclass named after the
C status (TIGRESS_E_NOT_FOUND -> NotFoundError), generated from the C status list.
Secrets (Secret, content, export blobs) are returned as bytearray so that they can be wiped.
"""
from typing import Tuple

from . import _lib, _status
from ._status import *  # noqa: F401,F403  (one exception class per C status)
from ._status import ERROR_CLASSES, STATUS_TABLE
from .client import Client
from .crypto import ALLOW_INSECURE_LOOPBACK, Payload, Secret, ShareUrl, payload_open, payload_seal
from .errors import TigressError
from .keys import Ed25519Key, FunctionSigner, Signer, Verifier, verify_ed25519
from .transfer import Flow, PayloadType, Role, Transfer, TransferState
from .transport import HttpRequest, HttpResponse, Transport, UrllibTransport
from .aead import (AeadProvider, CryptographyAead, payload_type_builtin,
                   set_default_aead_provider)


def version() -> Tuple[int, str]:
    """(tigress_version_num(), tigress_version_string()) of the loaded library."""
    L = _lib.lib()
    return int(L.tigress_version_num()), L.tigress_version_string().decode("ascii")


def wipe(buf: bytearray) -> None:
    """Overwrite a bytearray returned by this package (Secret, content, blob) with zeros."""
    _lib.wipe(buf)


__all__ = ["Client", "Transfer", "TransferState", "Role", "Flow", "PayloadType", "Ed25519Key", "Signer",
           "FunctionSigner", "Verifier", "verify_ed25519", "TigressError", "ERROR_CLASSES", "STATUS_TABLE",
           "version", "wipe", "Secret", "Payload", "ShareUrl", "payload_seal", "payload_open",
           "ALLOW_INSECURE_LOOPBACK", "Transport", "HttpRequest", "HttpResponse",
           "UrllibTransport", "AeadProvider", "CryptographyAead", "set_default_aead_provider",
           "payload_type_builtin"]
__all__ += _status.__all__
