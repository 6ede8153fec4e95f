package org.tigress;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A blocking wait on a background executor, cancelled from the test (the "UI") thread with a
 * single cancel(): a cancel is never lost, whether it lands while the job is still queued or
 * while the call runs.
 */
class CancelTest extends RelayTestBase {
    private ExecutorService background;

    @BeforeEach
    void start() {
        background = Executors.newSingleThreadExecutor();
    }

    @AfterEach
    void stop() {
        background.shutdownNow();
    }

    private static TigressException.Cancelled cancelledCause(Future<?> call) {
        ExecutionException e = assertThrows(ExecutionException.class, call::get);
        return assertInstanceOf(TigressException.Cancelled.class, e.getCause());
    }

    @Test
    void waitCancelledFromAnotherThread() throws Exception {
        Transfer sent = share(content(), false);
        Future<?> waiting = background.submit(() -> {
            sent.waitForPeer(60000); // nobody redeems: only cancel() ends it
            return null;
        });
        alice.cancel(); // once, at no particular moment relative to the job
        TigressException.Cancelled c = cancelledCause(waiting);
        assertEquals("TIGRESS_E_CANCELLED", c.statusName());
        assertEquals(TransferState.CREATED, sent.state());

        // The cancel was spent: the transfer is unchanged and still works on the executor.
        Transfer got = bob.redeem(sent.shareUrl());
        got.complete();
        background.submit(() -> {
            sent.waitForPeer(20000);
            return null;
        }).get();
        assertEquals(TransferState.COMPLETED, sent.state());
    }

    /** The audit's case: cancel while the job is still queued behind another one. */
    @Test
    void cancelWhileTheJobIsQueued() throws Exception {
        Transfer sent = share(content(), true);
        CountDownLatch release = new CountDownLatch(1);
        Future<?> blocker = background.submit(() -> {
            release.await(); // keeps the executor busy so the next job waits in the queue
            return null;
        });
        Future<?> waiting = background.submit(() -> {
            sent.waitForPeer(60000);
            return null;
        });
        alice.cancel(); // before the wait has started
        release.countDown();
        blocker.get();
        cancelledCause(waiting);
        assertEquals(TransferState.CREATED, sent.state());
        sent.revoke(); // spent: the next call works
        assertEquals(TransferState.REVOKED, sent.state());
    }

    @Test
    void cancelClearDropsAPendingCancel() throws Exception {
        alice.cancel();
        alice.cancelClear();
        Transfer sent = share(content(), false);
        assertEquals(TransferState.CREATED, sent.state());
        alice.cancel();
        assertThrows(TigressException.Cancelled.class, sent::revoke);
        assertEquals(TransferState.CREATED, sent.state());
        sent.revoke();
        assertEquals(TransferState.REVOKED, sent.state());
    }

    @Test
    void closeAfterCancelReleasesEverything() throws Exception {
        Transfer sent = share(content(), true);
        Future<?> waiting = background.submit(() -> {
            sent.waitForPeer(60000);
            return null;
        });
        alice.cancel();
        cancelledCause(waiting);
        alice.close(); // closes the transfer too
        assertThrows(IllegalStateException.class, sent::state);
        alice = null;
    }
}
