// Cancelling a Swift Task: during `wait` it ends the call promptly with .cancelled and leaves
// the transfer as it was; before the call starts it is not lost; it cancels that call only.
import Foundation
import XCTest
@testable import Tigress

final class CancelTests: RelayTestCase {

    func cancelDuringWait(_ kind: TransportKind) async throws {
        let alice = try client(kind), bob = try client(kind)
        let sent = try await share(alice, content(), via: kind)
        // Read before the wait: accessors wait for a call running on the same client.
        let url = try XCTUnwrap(sent.shareURLData)
        let waiter = Task { try await sent.wait(timeoutMs: 60_000) }  // nobody redeems
        try await untilBusy(alice)                                    // the wait is running
        // What never changes is read without waiting for the running wait.
        let t0 = Date()
        XCTAssertEqual(sent.mailboxID.count, 36)
        XCTAssertEqual(sent.role, .initiator)
        XCTAssertNotNil(sent.url)
        XCTAssertLessThan(Date().timeIntervalSince(t0), 1)
        let start = Date()
        waiter.cancel()
        let e = await tigressError { try await waiter.value }
        let took = Date().timeIntervalSince(start)
        print("\(kind): the cancelled wait ended \(Int(took * 1000)) ms after Task.cancel()")
        XCTAssertTrue(isCancelled(e), "\(kind): \(String(describing: e))")
        XCTAssertLessThan(took, 5, "\(kind): the cancelled wait took \(took) s")
        XCTAssertEqual(sent.state, .created)
        // Unchanged and still usable; the cancel was spent (or cleared): the next calls work.
        let got = try await bob.redeem(shareURLData: url)
        try await got.complete()
        try await sent.wait(timeoutMs: 20_000)
        XCTAssertEqual(sent.state, .completed)
    }

    func testCancelTaskDuringWaitLibcurl() async throws { try await cancelDuringWait(.libcurl) }
    func testCancelTaskDuringWaitURLSession() async throws { try await cancelDuringWait(.urlSession) }

    /// A task cancelled before its call starts gets .cancelled and sends nothing; the client
    /// keeps no pending cancel for the next call.
    func testCancelBeforeTheCallStartsIsNotLost() async throws {
        let transport = URLSessionTransport(caFile: ca)
        var o = options(.urlSession)
        o.transport = transport
        let alice = try TigressClient(options: o)
        let relay = relayFor[.urlSession] ?? relayURL, body = content()
        let task = Task {
            withUnsafeCurrentTask { $0?.cancel() }       // cancelled before the call
            return try await alice.share(relayURL: relay, format: "f", content: body, title: "t")
        }
        let e = await tigressError { _ = try await task.value }
        XCTAssertTrue(isCancelled(e), "\(String(describing: e))")
        XCTAssertEqual(transport.requestCount, 0, "a cancelled call sent a request")
        let sent = try await share(alice, content(), via: .urlSession)
        XCTAssertGreaterThan(transport.requestCount, 0)      // not cancelled: nothing left pending
        XCTAssertEqual(sent.state, .created)
        // Cancelled before it starts, again, on a transfer call: the transfer is unchanged.
        let revoker = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            try await sent.revoke()
        }
        let e2 = await tigressError { try await revoker.value }
        XCTAssertTrue(isCancelled(e2), "\(String(describing: e2))")
        XCTAssertEqual(sent.state, .created)
        try await sent.revoke()
        XCTAssertEqual(sent.state, .revoked)
    }

    /// One client runs one call at a time: a call queued behind a running wait and cancelled
    /// there never starts, and the running wait is not cancelled by it.
    func testCancellingAQueuedCallLeavesTheRunningOneAlone() async throws {
        let alice = try client(), bob = try client()
        let sent = try await share(alice, content())
        let other = try await share(alice, content())
        let url = try XCTUnwrap(sent.shareURLData)  // before the wait occupies alice's queue
        let waiter = Task { try await sent.wait(timeoutMs: 60_000) }
        try await untilBusy(alice)
        let queued = Task { try await other.revoke() }      // waits for the client's queue
        try await Task.sleep(nanoseconds: 200_000_000)
        queued.cancel()
        // The running wait goes on: the Recipient redeems and completes, the wait sees it.
        let got = try await bob.redeem(shareURLData: url)
        try await got.complete()
        try await waiter.value
        XCTAssertEqual(sent.state, .completed)
        let e = await tigressError { try await queued.value }
        XCTAssertTrue(isCancelled(e), "\(String(describing: e))")
        XCTAssertEqual(other.state, .created)
        try await other.revoke()
        XCTAssertEqual(other.state, .revoked)
    }

    /// TigressClient.cancel() (the C semantics): pending until a call notices it; cancelClear
    /// drops it.
    func testClientCancelAndCancelClear() async throws {
        let alice = try client()
        alice.cancel()
        let e = await tigressError { _ = try await self.share(alice, self.content()) }
        XCTAssertTrue(isCancelled(e), "\(String(describing: e))")
        alice.cancel()
        alice.cancelClear()
        let sent = try await share(alice, content())
        try await sent.revoke()
    }

    /// Returns once a call occupies the client's queue (a block sent to it does not run
    /// within 100 ms), so that a cancel is known to arrive during that call.
    func untilBusy(_ c: TigressClient, file: StaticString = #filePath, line: UInt = #line) async throws {
        for _ in 0..<100 {
            let probe = Messages()
            c.queue.async { probe.add(Data()) }
            try await Task.sleep(nanoseconds: 100_000_000)
            if probe.all.isEmpty { return }
        }
        XCTFail("the call never started", file: file, line: line)
    }
}
