// Transfer: one credential transfer, from either side.
import CTigress
import Foundation

/// The state of a transfer (tigress_state).
public enum TransferState: UInt32, Sendable {
    case created = 1, redeemed, waitingForPeer, txInfoReceived, signed, completed, revoked,
         relinquished, expired, failed
}

/// Whether a transfer has round trips (tigress_flow, since 1.1): `unknown` for a Recipient of a
/// draft-only Initiator until it sends TxInfo (`stateful`) or completes (`stateless`).
public enum TransferFlow: UInt32, Sendable {
    case unknown = 0, stateless, stateful
}

/// The side of a transfer (tigress_role).
public enum TransferRole: UInt32, Sendable {
    case initiator = 1, recipient
}

/// A transfer. It belongs to its client (whose queue runs its calls) and keeps it alive.
///
/// What never changes and is not secret (`mailboxID`, `url`, `role`, `format`, `title`, ...)
/// is read once when the transfer is made and never waits. The other accessors (`state`, the
/// secrets, TxInfo, signature) read the C handle on the client's queue, so they wait for a
/// call that runs on the same client (e.g. a `wait`); never read those from a signer or
/// verifier callback.
public final class Transfer: @unchecked Sendable {
    let client: TigressClient
    let handle: OpaquePointer
    /// The Swift verifier the C library calls back (kept alive as long as the transfer).
    let box: CallbackBox

    public let mailboxID: String
    /// The Share URL without the Secret (not secret); send `secretText` apart.
    public let url: String?
    public let role: TransferRole?
    public let isStateful: Bool
    public let payloadType: TigressPayloadType?
    public let format: String?
    public let title: String?
    public let transferDescription: String?
    public let imageURL: String?
    public let vertical: Character?
    /// Expiration, Unix seconds.
    public let expiresAt: Int64

    /// Made on the client's queue, right after the C call that created the handle.
    init(client: TigressClient, handle h: OpaquePointer, box: CallbackBox? = nil) {
        self.client = client
        self.handle = h
        self.box = box ?? CallbackBox()
        mailboxID = stringFromC(tigress_transfer_mailbox_id(h)) ?? ""
        url = stringFromC(tigress_transfer_url(h))
        role = TransferRole(rawValue: tigress_transfer_role(h).rawValue)
        isStateful = tigress_transfer_is_stateful(h) != 0
        payloadType = TigressPayloadType(rawValue: Int32(bitPattern: tigress_transfer_payload_type(h).rawValue))
        format = stringFromC(tigress_transfer_format(h))
        title = stringFromC(tigress_transfer_title(h))
        transferDescription = stringFromC(tigress_transfer_description(h))
        imageURL = stringFromC(tigress_transfer_image_url(h))
        let v = tigress_transfer_vertical(h)
        vertical = v == 0 ? nil : Character(UnicodeScalar(UInt8(truncatingIfNeeded: v)))
        expiresAt = tigress_transfer_expires_at(h)
    }

    deinit {
        // Freed on the client's queue (never concurrently with its calls); async so that a
        // transfer released on that queue cannot deadlock. The closure keeps the client (and
        // the verifier) alive until the C transfer is gone.
        let h = CHandle(handle), c = client, b = box
        c.queue.async { tigress_transfer_free(h.raw); withExtendedLifetime((c, b)) {} }
    }

    private func read<T>(_ f: (OpaquePointer) -> T) -> T {
        let h = CHandle(handle)
        return client.queue.sync { f(h.raw) }
    }

    private func string(_ f: (OpaquePointer?) -> UnsafePointer<CChar>?) -> String? {
        read { stringFromC(f($0)) }
    }

    public var state: TransferState {
        read { TransferState(rawValue: tigress_transfer_state($0).rawValue) ?? .failed }
    }
    /// The flow as far as this side knows it (changes on update/complete of an unknown flow).
    public var flow: TransferFlow {
        read { TransferFlow(rawValue: tigress_transfer_flow($0).rawValue) ?? .unknown }
    }
    /// The Share URL with the Secret in its fragment: send it to the Recipient only.
    /// A String cannot be wiped; prefer `shareURLData`.
    public var shareURL: String? { string(tigress_transfer_share_url) }
    /// The Share URL with the Secret (UTF-8), a copy: wipe it with `tigressWipe` when done;
    /// `redeem(shareURLData:)` takes it as is. nil when the Secret is not held.
    public var shareURLData: Data? { read { dataFromCString(tigress_transfer_share_url($0)) } }
    /// The Secret as Base64 text (ASCII), a copy for sending apart from `url`: wipe it.
    public var secretText: Data? {
        read {
            guard let s = tigress_transfer_secret($0) else { return nil }
            return dataFromCString(tigress_secret_text(s))
        }
    }
    /// The raw Secret, a copy: wipe it with `tigressWipe` when done.
    public var secret: Data? {
        read {
            guard let s = tigress_transfer_secret($0) else { return nil }
            return Data(bytes: tigress_secret_bytes(s), count: tigress_secret_size(s))
        }
    }

    /// The Provisioning Information (UTF-8 JSON), a copy: secret, wipe it when done.
    public var content: Data? { read { dataFromCString(tigress_transfer_content($0)) } }

    /// The TxInfo sent (Recipient) or received (Initiator), or nil when there is none yet.
    public var txInfo: (type: String, data: Data)? {
        read {
            var type: UnsafePointer<CChar>?
            var data: UnsafePointer<UInt8>?
            var len = 0
            guard tigress_transfer_txinfo($0, &type, &data, &len) == TIGRESS_OK else { return nil }
            return (stringFromC(type) ?? "", data.map { Data(bytes: $0, count: len) } ?? Data())
        }
    }

    /// The signature sent (Initiator) or received and verified (Recipient), or nil.
    public var signature: (algorithm: String, bytes: Data)? {
        read {
            var alg: UnsafePointer<CChar>?
            var sig: UnsafePointer<UInt8>?
            var len = 0
            guard tigress_transfer_signature($0, &alg, &sig, &len) == TIGRESS_OK else { return nil }
            return (stringFromC(alg) ?? "", sig.map { Data(bytes: $0, count: len) } ?? Data())
        }
    }

    /// Runs one C call on the client's queue; rethrows what a Swift callback threw.
    private func call(_ body: @escaping @Sendable (OpaquePointer) -> tigress_status) async throws {
        try await client.run {
            let rc = body(self.handle)
            if let e = self.box.takeError(), rc != TIGRESS_OK { throw e }
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

    /// Initiator, stateful: signs the received TxInfo and sends the signature. `signer` runs
    /// on the client's queue during this call.
    public func approve(signer: any TigressSigner) async throws {
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
            let rc = withExtendedLifetime((box, strings, signer)) {
                tigress_transfer_approve(self.handle, &s)
            }
            if let e = box.takeError(), rc != TIGRESS_OK { throw e }
            try check(rc, client: self.client.handle)
        }
    }

    /// Sets or replaces the verifier of the Initiator's signature (Recipient, stateful),
    /// e.g. after `importTransfer` without one.
    public func setVerifier(_ verifier: any TigressVerifier) async throws {
        try await client.run {
            self.box.replace(verifier: verifier)
            var v = tigress_verifier()
            v.version = UInt32(TIGRESS_SIGNER_VERSION)
            v.verify = verifyTrampoline
            v.user_data = Unmanaged.passUnretained(self.box).toOpaque()
            try check(tigress_transfer_set_verifier(self.handle, &v), client: self.client.handle)
        }
    }

    /// Checks the mailbox once. Returns false when nothing new arrived (TIGRESS_E_AGAIN).
    @discardableResult
    public func poll() async throws -> Bool {
        try await client.run {
            let rc = tigress_transfer_poll(self.handle)
            if let e = self.box.takeError(), rc != TIGRESS_OK { throw e }
            if rc == TIGRESS_E_AGAIN { return false }
            try check(rc, client: self.client.handle)
            return true
        }
    }

    /// Waits for the peer's next message or the end of the transfer (long-poll or back-off).
    /// Cancel the Swift task to stop it: it ends promptly with `.cancelled` and the transfer
    /// keeps its state. timeoutMs 0: until the transfer expires.
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

    /// A blob to resume after a restart (`TigressClient.importTransfer`). Unless withoutSecret
    /// it holds the Secret and the content: keep it in the Keychain, wipe this copy.
    public func export(withoutSecret: Bool = false) async throws -> Data {
        try await client.run {
            var buf = tigress_buf()
            defer { tigress_buf_dispose(&buf) }
            let flags = withoutSecret ? UInt32(TIGRESS_EXPORT_WITHOUT_SECRET) : 0
            try check(tigress_transfer_export(self.handle, flags, &buf), client: self.client.handle)
            guard let p = buf.ptr else { return Data() }
            return Data(bytes: p, count: buf.size)
        }
    }
}
