"""A Python transport (urllib + an ssl context trusting the test CA) in place of libcurl."""
import ssl
import threading
import unittest
import urllib.error
import urllib.request
from typing import List

import tigress
from tigress import HttpRequest, HttpResponse

from .support import FORMAT, RelayTestCase

# Headers urllib sets itself from the request.
_SKIP = {"host", "content-length", "connection"}


class UrllibTransport:
    """What an app would write around its own HTTP stack."""

    def __init__(self, ca_file: str) -> None:
        self.ctx = ssl.create_default_context(cafile=ca_file)
        self.requests: List[HttpRequest] = []

    def send(self, request: HttpRequest) -> HttpResponse:
        self.requests.append(request)
        req = urllib.request.Request(request.url, data=request.body, method=request.method)
        for name, value in request.headers:
            if name.lower() not in _SKIP:
                req.add_header(name, value)
        timeout = request.timeout_ms / 1000 if request.timeout_ms > 0 else 30
        try:
            with urllib.request.urlopen(req, context=self.ctx, timeout=timeout) as r:
                return HttpResponse(r.status, list(r.headers.items()), r.read())
        except urllib.error.HTTPError as e:  # 4xx/5xx are responses, not transport failures
            return HttpResponse(e.code, list(e.headers.items()), e.read())


class TransportTest(RelayTestCase):

    def test_stateless_flow_through_python_transport(self) -> None:
        ta, tb = UrllibTransport(self.ca), UrllibTransport(self.ca)
        # No ca_file: only the Python transport trusts the test CA, so a request that went
        # through libcurl instead would fail certificate verification.
        with tigress.Client(transport=ta) as a, tigress.Client(transport=tb) as b:
            body = self.content()
            sent = a.share(self.relay_url, FORMAT, body, "Car key")
            self.assertIs(sent.state, tigress.TransferState.CREATED)
            secret = sent.secret_text().decode()
            got = b.redeem(sent.share_url)
            self.assertEqual(got.content().decode(), body.replace(" ", ""))
            got.complete()
            self.assertIs(got.state, tigress.TransferState.COMPLETED)
            self.assertTrue(sent.poll())
            self.assertIs(sent.state, tigress.TransferState.COMPLETED)
        self.assertGreaterEqual(len(ta.requests), 2)
        self.assertGreaterEqual(len(tb.requests), 2)
        self.assertEqual(ta.requests[0].method, "POST")
        self.assertTrue(ta.requests[0].url.startswith(self.relay_url))
        self.assertIsNone(ta.requests[0].ca_file)
        # The Secret never leaves in a request: neither in a URL nor in a body.
        for r in ta.requests + tb.requests:
            self.assertNotIn(secret, r.url)
            self.assertNotIn(secret.encode(), r.body or b"")

    def test_callable_transport_and_ca_file_passed_on(self) -> None:
        inner = UrllibTransport(self.ca)
        with tigress.Client(ca_file=self.ca, transport=inner.send) as a:
            a.share(self.relay_url, FORMAT, self.content(), "Car key").close()
        self.assertEqual(inner.requests[0].ca_file, self.ca)

    def test_oserror_becomes_network_error(self) -> None:
        calls = []

        def broken(request: HttpRequest) -> HttpResponse:
            calls.append(request)
            raise ConnectionRefusedError("no route (test)")

        with tigress.Client(transport=broken, max_retries=0) as a:
            with self.assertRaises(tigress.NetworkError) as cm:
                a.share(self.relay_url, FORMAT, self.content(), "Car key")
        self.assertIsInstance(cm.exception.__cause__, ConnectionRefusedError)
        self.assertEqual(len(calls), 1)

    def test_bad_return_is_network_error(self) -> None:
        with tigress.Client(transport=lambda r: "not a response", max_retries=0) as a:
            with self.assertRaises(tigress.NetworkError) as cm:
                a.share(self.relay_url, FORMAT, self.content(), "Car key")
        self.assertIsInstance(cm.exception.__cause__, TypeError)

    def test_retry_after_a_failed_attempt(self) -> None:
        inner = UrllibTransport(self.ca)
        calls = []

        def flaky(request: HttpRequest) -> HttpResponse:
            calls.append(request)
            if len(calls) == 1:
                raise OSError("first attempt fails")
            return inner.send(request)

        with tigress.Client(transport=flaky, max_retries=2) as a:
            sent = a.share(self.relay_url, FORMAT, self.content(), "Car key")
            self.assertIs(sent.state, tigress.TransferState.CREATED)
        self.assertGreaterEqual(len(calls), 2)

    def test_cancel_reaches_blocked_transport(self) -> None:
        sending, cancelled = threading.Event(), threading.Event()

        class Hanging:
            def send(self, request: HttpRequest) -> HttpResponse:
                sending.set()
                if not cancelled.wait(60):
                    raise OSError("never cancelled")
                raise OSError("cancelled by cancel()")

            def cancel(self) -> None:
                cancelled.set()

        with tigress.Client(transport=Hanging()) as a:
            def canceller() -> None:
                if sending.wait(60):
                    a.cancel()
            t = threading.Thread(target=canceller, daemon=True)
            t.start()
            with self.assertRaises(tigress.CancelledError):
                a.share(self.relay_url, FORMAT, self.content(), "Car key")
            t.join(60)
        self.assertTrue(cancelled.is_set())


if __name__ == "__main__":
    unittest.main()
