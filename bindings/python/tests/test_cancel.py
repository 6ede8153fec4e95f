"""Cancellation of a blocking call from another thread (one cancel, never lost), cancel_clear,
and progress callbacks."""
import threading
from typing import List

import tigress
from tigress import TransferState

from .support import RelayTestCase, cancel_once_from_thread


class CancelTest(RelayTestCase):
    def test_cancel_wait_from_another_thread(self) -> None:
        sent = self.share(self.content())
        canceller = cancel_once_from_thread(self.alice)
        with self.assertRaises(tigress.CancelledError) as cm:
            sent.wait(timeout_ms=60000)  # nobody redeems: only the cancel can end it
        self.assertEqual(cm.exception.status_name, "TIGRESS_E_CANCELLED")
        canceller.join()
        # The transfer is as it was and still usable: the cancel was spent by that wait.
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
        self.alice.cancel()  # once: before or during the worker's wait, either way it ends it
        t.join()
        self.assertEqual(len(outcome), 1)
        self.assertIsInstance(outcome[0], tigress.CancelledError)
        self.assertEqual(sent.state, TransferState.CREATED)

    def test_cancel_before_the_call_sends_nothing(self) -> None:
        self.alice.cancel()
        with self.assertRaises(tigress.CancelledError):
            self.share(self.content())
        # Spent by that call: the next one works.
        sent = self.share(self.content())
        self.assertEqual(sent.state, TransferState.CREATED)
        self.alice.cancel()
        with self.assertRaises(tigress.CancelledError):
            sent.revoke()
        self.assertEqual(sent.state, TransferState.CREATED)
        sent.revoke()
        self.assertEqual(sent.state, TransferState.REVOKED)

    def test_cancel_clear_drops_a_pending_cancel(self) -> None:
        self.alice.cancel()
        self.alice.cancel_clear()
        sent = self.share(self.content())
        self.assertEqual(sent.state, TransferState.CREATED)
        self.alice.cancel_clear()  # nothing pending: no effect
        sent.revoke()
        self.assertEqual(sent.state, TransferState.REVOKED)

    def test_progress_exception_stops_the_wait(self) -> None:
        sent = self.share(self.content())

        class Stop(Exception):
            pass

        def progress(attempt: int, delay_ms: int) -> None:
            raise Stop(f"attempt {attempt}")

        with self.assertRaises(Stop):
            sent.wait(timeout_ms=60000, long_poll=False, progress=progress)
        self.assertEqual(sent.state, TransferState.CREATED)
        # The cancel the progress exception used was spent by that wait.
        sent.revoke()
        self.assertEqual(sent.state, TransferState.REVOKED)
