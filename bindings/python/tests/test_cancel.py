"""Cancellation of a blocking call from another thread, and progress callbacks."""
import threading
from typing import List

import tigress
from tigress import TransferState

from .support import RelayTestCase, cancel_repeatedly


class CancelTest(RelayTestCase):
    def test_cancel_wait_from_another_thread(self) -> None:
        sent = self.share(self.content())
        done = threading.Event()
        canceller = cancel_repeatedly(self.alice, done)
        try:
            with self.assertRaises(tigress.CancelledError) as cm:
                sent.wait(timeout_ms=60000)  # nobody redeems: only the cancel can end it
            self.assertEqual(cm.exception.status_name, "TIGRESS_E_CANCELLED")
        finally:
            done.set()
            canceller.join()
        # The transfer is as it was and still usable.
        self.assertEqual(sent.state, TransferState.CREATED)
        got = self.bob.redeem(sent.share_url)
        got.complete()
        sent.wait(timeout_ms=20000)
        self.assertEqual(sent.state, TransferState.COMPLETED)

    def test_wait_on_a_worker_thread_cancelled_by_the_caller(self) -> None:
        sent = self.share(self.content(), stateful=True)
        outcome: List[BaseException] = []

        def worker() -> None:
            try:
                sent.wait(timeout_ms=60000)
            except BaseException as exc:  # collected for the main thread to check
                outcome.append(exc)

        t = threading.Thread(target=worker)
        t.start()
        done = threading.Event()
        canceller = cancel_repeatedly(self.alice, done)
        t.join()
        done.set()
        canceller.join()
        self.assertEqual(len(outcome), 1)
        self.assertIsInstance(outcome[0], tigress.CancelledError)
        self.assertEqual(sent.state, TransferState.CREATED)

    def test_progress_exception_stops_the_wait(self) -> None:
        sent = self.share(self.content())

        class Stop(Exception):
            pass

        def progress(attempt: int, delay_ms: int) -> None:
            raise Stop(f"attempt {attempt}")

        with self.assertRaises(Stop):
            sent.wait(timeout_ms=60000, long_poll=False, progress=progress)
        self.assertEqual(sent.state, TransferState.CREATED)
