"""A Python HTTP transport in place of libcurl (tigress_transport, tigress/sys/transport.h).

A transport sends one request and returns the complete response, whatever its status; retries,
Request-ID handling and status mapping stay in the library. send() runs on the thread that made
the blocking call (share, redeem, wait, ...), during that call; cancel(), if the transport has
one, is called from the thread that calls Client.cancel() and must make send() end promptly.
An exception raised by send() never crosses the C code: the library sees TIGRESS_E_NETWORK
(and may retry), and the NetworkError (or CancelledError) finally raised has it as __cause__.
"""
import ctypes
from dataclasses import dataclass, field
from typing import Any, Callable, List, Optional, Protocol, Tuple, runtime_checkable

from . import _lib

E_NETWORK = -11
BODY_CHUNK = 64 * 1024


@dataclass(frozen=True)
class HttpRequest:
    """One request: everything is a copy, valid after send() returns too."""
    method: str                       # "POST", "PUT", "DELETE", "PATCH", "GET", "HEAD"
    url: str                          # absolute https URL (http only to loopback)
    headers: List[Tuple[str, str]]    # in the order the library wrote them
    body: Optional[bytes]             # None when the request has none
    timeout_ms: int                   # whole-request deadline; 0 = transport default
    connect_timeout_ms: int           # connection deadline; 0 = transport default
    ca_file: Optional[str]            # the client's ca_file, or None for the system's trust


@dataclass
class HttpResponse:
    """What a transport received: status (100..599), headers, body."""
    status: int
    headers: List[Tuple[str, str]] = field(default_factory=list)
    body: bytes = b""


@runtime_checkable
class Transport(Protocol):
    """Anything with send(request) -> HttpResponse; cancel() is optional."""

    def send(self, request: HttpRequest) -> HttpResponse: ...


class TransportBinding:
    """The C vtable of one client's Python transport, and what it must keep alive.

    The library copies the vtable into the client; the CFUNCTYPE objects it points to live in
    this object, which the Client holds until tigress_client_free() has returned.
    """

    def __init__(self, transport: Any) -> None:
        if isinstance(transport, Transport):
            self._send: Callable[[HttpRequest], HttpResponse] = transport.send
        elif callable(transport):
            self._send = transport
        else:
            raise TypeError("transport must have send(request) or be callable")
        self._cancel = getattr(transport, "cancel", None)
        self.exc: Optional[BaseException] = None  # what send() raised during the current call
        self._send_fn = _lib.SEND_FN(self._trampoline)
        self.vtable = _lib.TransportVtable()
        self.vtable.version = _lib.TRANSPORT_VERSION
        self.vtable.send = self._send_fn
        if callable(self._cancel):
            self._cancel_fn = _lib.CANCEL_FN(self._cancel_trampoline)
            self.vtable.cancel = self._cancel_fn

    @staticmethod
    def _request(req: Any) -> HttpRequest:
        r = req.contents
        headers = [(r.headers[i].name.decode("utf-8"), (r.headers[i].value or b"").decode("utf-8"))
                   for i in range(r.header_count)]
        body = ctypes.string_at(r.body, r.body_len) if r.body else None
        return HttpRequest(method=r.method.decode("ascii"), url=r.url.decode("utf-8"),
                           headers=headers, body=body, timeout_ms=int(r.timeout_ms),
                           connect_timeout_ms=int(r.connect_timeout_ms),
                           ca_file=r.ca_file.decode("utf-8") if r.ca_file else None)

    @staticmethod
    def _fill(resp: int, out: HttpResponse) -> int:
        L = _lib.lib()
        rc = L.tigress_http_response_set_status(resp, int(out.status))
        for name, value in out.headers:
            if rc == 0:
                rc = L.tigress_http_response_add_header(resp, name.encode("utf-8"),
                                                        value.encode("utf-8"))
        body = bytes(out.body or b"")
        for off in range(0, len(body), BODY_CHUNK):
            if rc == 0:
                chunk = body[off:off + BODY_CHUNK]
                rc = L.tigress_http_response_append_body(resp, chunk, len(chunk))
        return int(rc)

    def _trampoline(self, req: Any, resp: int, _user: int) -> int:
        try:
            out = self._send(self._request(req))
            if not isinstance(out, HttpResponse):
                raise TypeError(f"Transport.send returned {type(out).__name__}, not HttpResponse")
            return self._fill(resp, out)
        except BaseException as exc:  # never let an exception unwind through C
            self.exc = exc
            return E_NETWORK

    def _cancel_trampoline(self, _user: int) -> None:
        try:
            self._cancel()  # type: ignore[misc]
        except BaseException:
            pass  # nowhere to report it: tigress_client_cancel() returns nothing about it


# Headers urllib sets itself from the request.
_URLLIB_SKIP = {"host", "content-length", "connection"}


class UrllibTransport:
    """A transport on the standard library (urllib.request + ssl), no libcurl needed: what the
    portable build of libtigress needs in a plain Python process.

    TLS trusts the system's store, or only the PEM bundle ca_file, or, when a request carries
    the client's ca_file, only that bundle. Redirects are not followed (the library sees them).
    It has no cancel(): Client.cancel() then takes effect when the request in flight ends.
    """

    def __init__(self, ca_file: Optional[str] = None) -> None:
        import ssl
        import threading
        self._ssl = ssl
        self._lock = threading.Lock()
        self._default = ssl.create_default_context(cafile=ca_file)
        self._by_ca: dict = {}

    def _context(self, ca_file: Optional[str]) -> Any:
        if ca_file is None:
            return self._default
        with self._lock:
            ctx = self._by_ca.get(ca_file)
            if ctx is None:
                ctx = self._by_ca[ca_file] = self._ssl.create_default_context(cafile=ca_file)
            return ctx

    def send(self, request: HttpRequest) -> HttpResponse:
        import urllib.error
        import urllib.request

        class _NoRedirect(urllib.request.HTTPRedirectHandler):
            def redirect_request(self, *args: Any, **kwargs: Any) -> None:
                return None

        req = urllib.request.Request(request.url, data=request.body, method=request.method)
        for name, value in request.headers:
            if name.lower() not in _URLLIB_SKIP:
                req.add_header(name, value)
        timeout = request.timeout_ms / 1000 if request.timeout_ms > 0 else 30
        opener = urllib.request.build_opener(
            urllib.request.HTTPSHandler(context=self._context(request.ca_file)), _NoRedirect())
        try:
            with opener.open(req, timeout=timeout) as r:
                return HttpResponse(r.status, list(r.headers.items()), r.read())
        except urllib.error.HTTPError as e:  # 4xx/5xx are responses, not transport failures
            return HttpResponse(e.code, list(e.headers.items()), e.read())
