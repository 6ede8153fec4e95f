package org.tigress;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** A blocking wait on a background executor, cancelled from the test (the "UI") thread. */
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

    /** Cancels until the call is over: a cancel before the call starts is forgotten by design. */
    private static void cancelUntilDone(TigressClient client, Future<?> call)
            throws InterruptedException {
        while (!call.isDone()) {
            client.cancel();
            Thread.sleep(20);
        }
    }

    @Test
    void waitCancelledFromAnotherThread() throws Exception {
        Transfer sent = share(content(), false);
        Future<?> waiting = background.submit(() -> {
            sent.waitForPeer(60000); // nobody redeems: only cancel() ends it
            return null;
        });
        cancelUntilDone(alice, waiting);
        ExecutionException e = org.junit.jupiter.api.Assertions.assertThrows(
            ExecutionException.class, waiting::get);
        TigressException.Cancelled c = assertInstanceOf(TigressException.Cancelled.class,
                                                        e.getCause());
        assertEquals("TIGRESS_E_CANCELLED", c.statusName());
        assertEquals(TransferState.CREATED, sent.state());

        // The transfer is unchanged and still works on the executor.
        Transfer got = bob.redeem(sent.shareUrl());
        got.complete();
        background.submit(() -> {
            sent.waitForPeer(20000);
            return null;
        }).get();
        assertEquals(TransferState.COMPLETED, sent.state());
    }

    @Test
    void closeAfterCancelReleasesEverything() throws Exception {
        Transfer sent = share(content(), true);
        Future<?> waiting = background.submit(() -> {
            sent.waitForPeer(60000);
            return null;
        });
        cancelUntilDone(alice, waiting);
        alice.close(); // closes the transfer too
        org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class, sent::state);
        alice = null;
    }
}
