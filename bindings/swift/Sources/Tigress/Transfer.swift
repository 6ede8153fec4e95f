// Transfer: one credential transfer, from either side.
import CTigress
import Foundation

/// The state of a transfer (tigress_state).
public enum TransferState: UInt32 {
    case created = 1, redeemed, waitingForPeer, txInfoReceived, signed, completed, revoked,
         relinquished, expired, failed
}

/// A transfer. It belongs to its client (whose queue runs its calls) and keeps it alive.
public final class Transfer: @unchecked Sendable {
    let client: TigressClient
    let handle: OpaquePointer
    /// The Swift verifier the C library calls back (kept alive as long as the transfer).
    let box: CallbackBox?

    init(client: TigressClient, handle: OpaquePointer, box: CallbackBox?) {
        self.client = client
        self.handle = handle
        self.box = box
    }

    deinit {
        // Freed on the client's queue (never concurrently with its calls); async so that a
        // transfer released on that queue cannot deadlock. The closure keeps the client alive.
        let h = handle, c = client
        c.queue.async { tigress_transfer_free(h); withExtendedLifetime(c) {} }
    }

    private func string(_ f: (OpaquePointer?) -> UnsafePointer<CChar>?) -> String? {
        client.queue.sync { f(handle).map { String(cString: $0) } }
    }

    public var state: TransferState {
        client.queue.sync { TransferState(rawValue: tigress_transfer_state(handle).rawValue) ?? .failed }
    }
    public var mailboxID: String { string(tigress_transfer_mailbox_id) ?? "" }
    /// The Share URL with the Secret in its fragment: send it to the Recipient only.
    /// A String cannot be wiped; prefer `shareURLData`.
    public var shareURL: String? { string(tigress_transfer_share_url) }
    /// The Share URL with the Secret (UTF-8), a copy: wipe it with `tigressWipe` when done;
    /// `redeem(shareURLData:)` takes it as is. nil when the Secret is not held.
    public var shareURLData: Data? {
        client.queue.sync { dataFromCString(tigress_transfer_share_url(handle)) }
    }
    /// The Share URL without the Secret (not secret); send `secretText` apart.
    public var url: String? { string(tigress_transfer_url) }
    /// The Secret as Base64 text (ASCII), a copy for sending apart from `url`: wipe it.
    public var secretText: Data? {
        client.queue.sync {
            guard let s = tigress_transfer_secret(handle) else { return nil }
            return dataFromCString(tigress_secret_text(s))
        }
    }
    public var format: String? { string(tigress_transfer_format) }
    public var title: String? { string(tigress_transfer_title) }

    /// The raw Secret, a copy: wipe it with `tigressWipe` when done.
    public var secret: Data? {
        client.queue.sync {
            guard let s = tigress_transfer_secret(handle) else { return nil }
            return Data(bytes: tigress_secret_bytes(s), count: tigress_secret_size(s))
        }
    }

    /// The Provisioning Information (UTF-8 JSON), a copy: secret, wipe it when done.
    public var content: Data? {
        client.queue.sync { dataFromCString(tigress_transfer_content(handle)) }
    }

    /// Runs one C call on the client's queue; rethrows what a Swift callback threw.
    private func call(_ body: @escaping (OpaquePointer) -> tigress_status) async throws {
        try await client.run {
            let rc = body(self.handle)
            if let e = self.box?.error, rc != TIGRESS_OK {
                self.box?.error = nil
                throw e
            }
            try check(rc, client: self.client.handle)
        }
    }

    /// Recipient, stateful: sends Transaction Information (e.g. a new public key).
    public func update(txInfoType: String, txInfo: Data) async throws {
        try await call { h in
            let s = CStrings()
            let type = s.add(txInfoType)
            return withExtendedLifetime(s) {
                txInfo.withUnsafeBytes { b in
                    tigress_transfer_update(h, type, b.bindMemory(to: UInt8.self).baseAddress,
                                            txInfo.count)
                }
            }
        }
    }

    /// Initiator, stateful: signs the received TxInfo and sends the signature.
    public func approve(signer: TigressSigner) async throws {
        let box = CallbackBox(signer: signer)
        try await client.run {
            var s = tigress_signer()
            let strings = CStrings()
            if let key = signer as? Ed25519Key {
                try check(tigress_signer_ed25519(&s, key.handle))
            } else {
                s.version = UInt32(TIGRESS_SIGNER_VERSION)
                s.alg = strings.add(signer.algorithm)
                s.sign = signTrampoline
                s.user_data = Unmanaged.passUnretained(box).toOpaque()
            }
            let rc = withExtendedLifetime((box, strings)) { tigress_transfer_approve(self.handle, &s) }
            if let e = box.error, rc != TIGRESS_OK { throw e }
            try check(rc, client: self.client.handle)
        }
    }

    /// Waits for the peer's next message or the end of the transfer (long-poll or back-off).
    /// Cancel the Swift task to stop it. timeoutMs 0: until the transfer expires.
    public func wait(timeoutMs: Int = 0) async throws {
        try await call { h in
            var o = tigress_wait_options()
            let rc = tigress_transfer_wait_options_init(&o, UInt32(TIGRESS_WAIT_OPTIONS_VERSION))
            if rc != TIGRESS_OK { return rc }
            o.timeout_ms = timeoutMs
            return tigress_transfer_wait(h, &o)
        }
    }

    public func revoke() async throws { try await call { tigress_transfer_revoke($0) } }
    public func relinquish() async throws { try await call { tigress_transfer_relinquish($0) } }
    public func complete() async throws { try await call { tigress_transfer_complete($0) } }

    /// A blob to resume after a restart; unless withoutSecret it holds the Secret: Keychain.
    public func export(withoutSecret: Bool = false) async throws -> Data {
        try await client.run {
            var buf = tigress_buf()
            defer { tigress_buf_dispose(&buf) }
            let flags = withoutSecret ? UInt32(TIGRESS_EXPORT_WITHOUT_SECRET) : 0
            try check(tigress_transfer_export(self.handle, flags, &buf), client: self.client.handle)
            return Data(bytes: buf.ptr, count: buf.size)
        }
    }
}
