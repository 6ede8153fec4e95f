"""Shared set-up for the binding tests: the relay started by run_tests.sh, and two clients."""
import json
import os
import threading
import unittest
from typing import Any, Dict

import tigress

FORMAT = "com.example.carkey"


def relay_env() -> Dict[str, str]:
    url, ca = os.environ.get("TIGRESS_RELAY_URL"), os.environ.get("TIGRESS_RELAY_CA")
    if not url or not ca:
        raise RuntimeError("TIGRESS_RELAY_URL and TIGRESS_RELAY_CA must be set (run_tests.sh)")
    if not url.startswith("https://127.0.0.1:"):
        raise RuntimeError("the binding tests only talk to a relay on https://127.0.0.1")
    return {"url": url, "ca": ca}


class RelayTestCase(unittest.TestCase):
    """Each test gets an Initiator client and a Recipient client (two devices)."""

    def setUp(self) -> None:
        env = relay_env()
        self.relay_url, self.ca = env["url"], env["ca"]
        self.alice = tigress.Client(ca_file=self.ca)   # Initiator
        self.bob = tigress.Client(ca_file=self.ca)     # Recipient
        self.addCleanup(self.bob.close)
        self.addCleanup(self.alice.close)

    def content(self, **extra: Any) -> str:
        body = {"vin": "WDD1234567890", "key": os.urandom(8).hex()}
        body.update(extra)
        return json.dumps(body)

    def share(self, content: str, **kw: Any) -> tigress.Transfer:
        return self.alice.share(self.relay_url, FORMAT, content, "Car key", **kw)


def cancel_once_from_thread(client: tigress.Client) -> threading.Thread:
    """From another thread, cancel client once, at no particular moment.

    A cancel is never lost: whether it lands before the caller's blocking call starts or while
    it runs, that call ends with CancelledError. No timing is asserted; only the outcome.
    """
    t = threading.Thread(target=client.cancel, daemon=True)
    t.start()
    return t
