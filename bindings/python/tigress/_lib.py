"""ctypes declarations of the libtigress C ABI (include/tigress.h), and library loading.

Only the public, versioned ABI is used: options structs are filled by the *_options_init()
functions (ctypes cannot see the C macros), and every handle is an opaque pointer.
"""
import ctypes
import ctypes.util
import os
import threading
from ctypes import (CFUNCTYPE, POINTER, Structure, c_char, c_char_p, c_int, c_int64, c_long,
                    c_size_t, c_uint, c_uint8, c_void_p)
from typing import Any, List, Optional

ABI_MAJOR = 1  # the soname this package was written for: libtigress.so.1

# Versions of the structs as this package lays them out (fields are only ever appended in C,
# and the library accepts any version from 1 up to its own).
CLIENT_OPTIONS_VERSION = 1
CLIENT_OPTIONS_VERSION_AEAD = 2  # with aead_provider (libtigress 1.1); used only when it is set
SHARE_OPTIONS_VERSION = 1
REDEEM_OPTIONS_VERSION = 1
WAIT_OPTIONS_VERSION = 1
SIGNER_VERSION = 1

SIGNATURE_MAX = 512
ED25519_PUBLIC_BYTES = 32
E_USER_MIN = -10000
EXPORT_WITHOUT_SECRET = 1


class Error(Structure):
    _fields_ = [("code", c_int), ("message", c_char_p), ("http_status", c_int),
                ("transport_code", c_int)]


class Buf(Structure):
    _fields_ = [("ptr", POINTER(c_uint8)), ("size", c_size_t)]


class ClientOptions(Structure):
    _fields_ = [("version", c_uint), ("transport", c_void_p), ("ca_file", c_char_p),
                ("connect_timeout_ms", c_long), ("request_timeout_ms", c_long),
                ("max_retries", c_uint), ("allow_insecure_loopback", c_int),
                ("relay_allow_list", POINTER(c_char_p)), ("relay_allow_list_count", c_size_t),
                ("user_agent", c_char_p),
                # version 2 (1.1): read by the library only when version >= 2
                ("aead_provider", c_void_p)]


# Strings that may carry secret content are passed as c_void_p to wipable buffers.
class ShareOptions(Structure):
    _fields_ = [("version", c_uint), ("relay_url", c_char_p), ("format", c_char_p),
                ("content_json", c_void_p), ("title", c_char_p), ("description", c_char_p),
                ("image_url", c_char_p), ("expires_at", c_int64), ("vertical", c_char),
                ("payload_type", c_int), ("stateful", c_int),
                ("notification_token_type", c_char_p), ("notification_token_data", c_char_p),
                ("attestation", c_char_p)]


SIGN_FN = CFUNCTYPE(c_int, POINTER(c_uint8), c_size_t, POINTER(c_uint8), POINTER(c_size_t),
                    c_void_p)
VERIFY_FN = CFUNCTYPE(c_int, c_char_p, POINTER(c_uint8), c_size_t, POINTER(c_uint8), c_size_t,
                      c_void_p)
PROGRESS_FN = CFUNCTYPE(None, c_uint, c_long, c_void_p)


class SignerVtable(Structure):
    _fields_ = [("version", c_uint), ("alg", c_char_p), ("sign", SIGN_FN), ("user_data", c_void_p)]


class VerifierVtable(Structure):
    _fields_ = [("version", c_uint), ("verify", VERIFY_FN), ("user_data", c_void_p)]


class RedeemOptions(Structure):
    _fields_ = [("version", c_uint), ("share_url", c_void_p), ("secret", c_void_p),
                ("notification_token_type", c_char_p), ("notification_token_data", c_char_p),
                ("verifier", POINTER(VerifierVtable))]


class WaitOptions(Structure):
    _fields_ = [("version", c_uint), ("timeout_ms", c_long), ("progress", PROGRESS_FN),
                ("user_data", c_void_p), ("disable_long_poll", c_int)]


# tigress/sys/transport.h
TRANSPORT_VERSION = 1


class HttpHeader(Structure):
    _fields_ = [("name", c_char_p), ("value", c_char_p)]


class HttpRequest(Structure):
    _fields_ = [("version", c_uint), ("method", c_char_p), ("url", c_char_p),
                ("headers", POINTER(HttpHeader)), ("header_count", c_size_t),
                ("body", POINTER(c_uint8)), ("body_len", c_size_t), ("timeout_ms", c_long),
                ("connect_timeout_ms", c_long), ("ca_file", c_char_p)]


SEND_FN = CFUNCTYPE(c_int, POINTER(HttpRequest), c_void_p, c_void_p)
CANCEL_FN = CFUNCTYPE(None, c_void_p)
FREE_FN = CFUNCTYPE(None, c_void_p)


class TransportVtable(Structure):
    _fields_ = [("version", c_uint), ("send", SEND_FN), ("cancel", CANCEL_FN), ("free", FREE_FN),
                ("user_data", c_void_p)]


# tigress/sys/aead.h
AEAD_PROVIDER_VERSION = 1
AEAD_SEAL_FN = CFUNCTYPE(c_int, c_int, POINTER(c_uint8), c_size_t, POINTER(c_uint8), c_size_t,
                         POINTER(c_uint8), c_size_t, POINTER(c_uint8), POINTER(c_uint8), c_size_t,
                         c_void_p)
AEAD_OPEN_FN = CFUNCTYPE(c_int, c_int, POINTER(c_uint8), c_size_t, POINTER(c_uint8), c_size_t,
                         POINTER(c_uint8), c_size_t, POINTER(c_uint8), c_size_t, POINTER(c_uint8),
                         c_void_p)


class AeadProviderVtable(Structure):
    _fields_ = [("version", c_uint), ("seal", AEAD_SEAL_FN), ("open", AEAD_OPEN_FN),
                ("user_data", c_void_p)]


P = c_void_p  # opaque handles: tigress_client *, tigress_transfer *, ...
PP = POINTER(c_void_p)
S = c_int     # tigress_status

# name: (restype, argtypes)
_PROTOTYPES = {
    "tigress_strerror": (c_char_p, [c_int]),
    "tigress_status_name": (c_char_p, [c_int]),
    "tigress_version_num": (c_uint, []),
    "tigress_version_string": (c_char_p, []),
    "tigress_global_init": (S, []),
    "tigress_global_cleanup": (None, []),
    "tigress_buf_dispose": (None, [POINTER(Buf)]),
    "tigress_error_last": (POINTER(Error), []),
    "tigress_client_options_init": (S, [POINTER(ClientOptions), c_uint]),
    "tigress_client_new": (S, [PP, POINTER(ClientOptions)]),
    "tigress_client_free": (None, [P]),
    "tigress_client_last_error": (POINTER(Error), [P]),
    "tigress_client_cancel": (S, [P]),
    "tigress_client_cancel_clear": (S, [P]),
    "tigress_client_wake": (S, [P]),
    "tigress_state_name": (c_char_p, [c_int]),
    "tigress_share_options_init": (S, [POINTER(ShareOptions), c_uint]),
    "tigress_share_create": (S, [PP, P, POINTER(ShareOptions)]),
    "tigress_redeem_options_init": (S, [POINTER(RedeemOptions), c_uint]),
    "tigress_redeem": (S, [PP, P, POINTER(RedeemOptions)]),
    "tigress_transfer_set_verifier": (S, [P, POINTER(VerifierVtable)]),
    "tigress_transfer_update": (S, [P, c_char_p, c_void_p, c_size_t]),
    "tigress_transfer_approve": (S, [P, POINTER(SignerVtable)]),
    "tigress_transfer_poll": (S, [P]),
    "tigress_transfer_wait_options_init": (S, [POINTER(WaitOptions), c_uint]),
    "tigress_transfer_wait": (S, [P, POINTER(WaitOptions)]),
    "tigress_transfer_revoke": (S, [P]),
    "tigress_transfer_relinquish": (S, [P]),
    "tigress_transfer_complete": (S, [P]),
    "tigress_transfer_free": (None, [P]),
    "tigress_transfer_state": (c_int, [P]),
    "tigress_transfer_role": (c_int, [P]),
    "tigress_transfer_is_stateful": (c_int, [P]),
    "tigress_transfer_flow": (c_int, [P]),
    "tigress_flow_name": (c_char_p, [c_int]),
    "tigress_transfer_payload_type": (c_int, [P]),
    "tigress_transfer_mailbox_id": (c_char_p, [P]),
    "tigress_transfer_share_url": (c_void_p, [P]),  # copied out with copy_cstr (secret)
    "tigress_transfer_url": (c_char_p, [P]),
    "tigress_transfer_secret": (c_void_p, [P]),
    "tigress_transfer_vertical": (c_char, [P]),
    "tigress_transfer_format": (c_char_p, [P]),
    "tigress_transfer_content": (c_void_p, [P]),
    "tigress_transfer_title": (c_char_p, [P]),
    "tigress_transfer_description": (c_char_p, [P]),
    "tigress_transfer_image_url": (c_char_p, [P]),
    "tigress_transfer_expires_at": (c_int64, [P]),
    "tigress_transfer_push_supported": (c_int, [P]),
    "tigress_transfer_txinfo": (S, [P, POINTER(c_char_p), POINTER(c_void_p), POINTER(c_size_t)]),
    "tigress_transfer_signature": (S, [P, POINTER(c_char_p), POINTER(c_void_p),
                                       POINTER(c_size_t)]),
    "tigress_transfer_export": (S, [P, c_uint, POINTER(Buf)]),
    "tigress_transfer_import": (S, [PP, P, c_void_p, c_size_t, c_void_p]),
    "tigress_payload_type_name": (c_char_p, [c_int]),
    "tigress_payload_key_bytes": (c_size_t, [c_int]),
    "tigress_secret_bytes": (c_void_p, [P]),
    "tigress_secret_size": (c_size_t, [P]),
    "tigress_secret_text": (c_void_p, [P]),
    "tigress_secret_generate": (S, [PP, c_int]),
    "tigress_secret_from_text": (S, [PP, c_void_p]),
    "tigress_secret_from_bytes": (S, [PP, c_void_p, c_size_t]),
    "tigress_secret_free": (None, [P]),
    "tigress_payload_type_from_name": (S, [POINTER(c_int), c_char_p]),
    "tigress_payload_seal": (S, [POINTER(Buf), c_int, P, c_void_p, c_size_t]),
    "tigress_payload_open": (S, [POINTER(Buf), c_int, P, c_void_p]),
    "tigress_share_url_build": (S, [POINTER(Buf), c_char_p, c_char, P]),
    "tigress_share_url_parse": (S, [PP, c_void_p, c_uint]),
    "tigress_share_url_mailbox_url": (c_char_p, [P]),
    "tigress_share_url_relay": (c_char_p, [P]),
    "tigress_share_url_host": (c_char_p, [P]),
    "tigress_share_url_mailbox_id": (c_char_p, [P]),
    "tigress_share_url_vertical": (c_char, [P]),
    "tigress_share_url_secret": (c_void_p, [P]),
    "tigress_share_url_free": (None, [P]),
    "tigress_http_response_set_status": (S, [c_void_p, c_int]),
    "tigress_http_response_add_header": (S, [c_void_p, c_char_p, c_char_p]),
    "tigress_http_response_append_body": (S, [c_void_p, c_void_p, c_size_t]),
    "tigress_ed25519_key_generate": (S, [PP]),
    "tigress_ed25519_key_from_seed": (S, [PP, c_void_p, c_size_t]),
    "tigress_ed25519_key_public": (S, [P, c_void_p, c_size_t]),
    "tigress_ed25519_key_free": (None, [P]),
    "tigress_signer_ed25519": (S, [POINTER(SignerVtable), P]),
    "tigress_verifier_ed25519": (S, [POINTER(VerifierVtable), c_void_p]),
}

# Since 1.1: declared when the library has them; tigress.aead says so when it does not.
_PROTOTYPES_1_1 = {
    "tigress_aead_provider_init": (S, [POINTER(AeadProviderVtable), c_uint]),
    "tigress_aead_provider_set_default": (S, [POINTER(AeadProviderVtable)]),
    "tigress_payload_type_builtin": (c_int, [c_int]),
}

_lock = threading.Lock()
_lib: Optional[ctypes.CDLL] = None


def _candidates() -> List[str]:
    env = os.environ.get("TIGRESS_LIB")
    if env:
        return [env]  # explicit choice: do not fall back to another copy silently
    here = os.path.dirname(os.path.abspath(__file__))
    tree = os.path.normpath(os.path.join(here, "..", "..", "..", "build",
                                         f"libtigress.so.{ABI_MAJOR}"))
    found = ctypes.util.find_library("tigress")
    return [tree, f"libtigress.so.{ABI_MAJOR}"] + ([found] if found else [])


def lib() -> Any:
    """The loaded library with prototypes set (loaded once per process).

    The path comes from $TIGRESS_LIB, else build/libtigress.so.1 of the source tree this package
    sits in, else the system's libtigress.so.1.
    """
    global _lib
    with _lock:
        if _lib is not None:
            return _lib
        errors = []
        for path in _candidates():
            try:
                candidate = ctypes.CDLL(path)
                break
            except OSError as exc:
                errors.append(f"{path}: {exc}")
        else:
            raise OSError("cannot load libtigress: " + "; ".join(errors))
        missing = []
        for name, (restype, argtypes) in _PROTOTYPES.items():
            try:
                fn = getattr(candidate, name)
            except AttributeError:
                missing.append(name)
                continue
            fn.restype = restype
            fn.argtypes = argtypes
        for name, (restype, argtypes) in _PROTOTYPES_1_1.items():
            fn = getattr(candidate, name, None)
            if fn is not None:
                fn.restype = restype
                fn.argtypes = argtypes
        if missing:
            raise OSError(f"{path} lacks {', '.join(missing)}: not a complete libtigress.so.1")
        major = candidate.tigress_version_num() >> 16
        if major != ABI_MAJOR:
            raise OSError(f"libtigress major version {major} loaded, this package needs {ABI_MAJOR}")
        _lib = candidate
        return _lib


def wipe(buf: Any) -> None:
    """Overwrite a ctypes buffer or a bytearray with zeros."""
    if isinstance(buf, bytearray):
        n = len(buf)
        if n:
            ctypes.memset((c_char * n).from_buffer(buf), 0, n)
    elif buf is not None:
        ctypes.memset(ctypes.addressof(buf), 0, ctypes.sizeof(buf))


def secret_cstr(value: Any) -> Any:
    """A NUL-terminated ctypes buffer holding a possibly secret string; wipe() it after the call."""
    if value is None:
        return None
    if isinstance(value, str):
        value = value.encode("utf-8")
    n = len(value)
    buf = ctypes.create_string_buffer(n + 1)
    if isinstance(value, bytearray):
        if n:  # copy from the caller's buffer without an immutable intermediate
            ctypes.memmove(buf, (c_char * n).from_buffer(value), n)
    else:
        ctypes.memmove(buf, bytes(value), n)
    return buf


def cstr(value: Optional[str]) -> Optional[bytes]:
    return None if value is None else value.encode("utf-8")


def pystr(value: Optional[bytes]) -> Optional[str]:
    return None if value is None else value.decode("utf-8")


def copy_out(addr: Optional[int], size: int) -> bytearray:
    """Copy size bytes at addr straight into a new bytearray (no immutable intermediate)."""
    if not addr or size == 0:
        return bytearray()
    return bytearray((c_uint8 * size).from_address(addr))


_strlen = ctypes.CDLL(None).strlen
_strlen.restype = c_size_t
_strlen.argtypes = [c_void_p]


def copy_cstr(addr: Optional[int]) -> Optional[bytearray]:
    """Copy a NUL-terminated C string into a new bytearray; None for NULL."""
    if not addr:
        return None
    return copy_out(addr, _strlen(addr))
