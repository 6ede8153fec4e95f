// TigressClient: settings, a serial queue for the blocking C calls, async entry points.
import CTigress
import Foundation

/// A libtigress client. Blocking C calls run on the client's own serial queue and are exposed
/// as `async` functions; cancelling the Swift task ends its call promptly with
/// `TigressError.cancelled` and leaves its transfer as it was (see `run`).
public final class TigressClient: @unchecked Sendable {
    /// Options for a client; nil or zero means the library default.
    public struct Options: Sendable {
        /// PEM CA bundle for a private relay (the default transport); nil: the system's.
        public var caFile: String?
        public var connectTimeoutMs = 0
        public var requestTimeoutMs = 0
        /// Retries after a network error, 5xx or 429; 0 disables them; nil: default (3).
        public var maxRetries: UInt32?
        /// Allow http:// to loopback only (tests and demos).
        public var allowInsecureLoopback = false
        public var relayAllowList: [String]?
        public var userAgent: String?
        /// Sends requests through this transport (e.g. `URLSessionTransport`) instead of libcurl.
        public var transport: (any TigressTransport)?
        public init() {}
    }

    let handle: OpaquePointer
    /// One C call at a time on this client and its transfers (the C threading contract).
    let queue = DispatchQueue(label: "org.tigress.client")
    /// The Swift transport, if any (the C vtable holds its own retain until the client is freed).
    private let transportBox: TransportBox?

    /// The last error a custom transport threw (the call itself failed with `.network`,
    /// `.tls`, `.timeout` or `.cancelled`).
    public var lastTransportError: (any Error)? { transportBox?.lastError }

    public init(options: Options = Options()) throws {
        try Library.acquire()
        var o = tigress_client_options()
        let strings = CStrings()
        let box = options.transport.map { TransportBox($0) }
        transportBox = box
        do {
            try check(tigress_client_options_init(&o, UInt32(TIGRESS_CLIENT_OPTIONS_VERSION)))
            o.ca_file = strings.add(options.caFile)
            o.user_agent = strings.add(options.userAgent)
            o.connect_timeout_ms = options.connectTimeoutMs
            o.request_timeout_ms = options.requestTimeoutMs
            if let r = options.maxRetries { o.max_retries = r == 0 ? TIGRESS_RETRIES_NONE : r }
            o.allow_insecure_loopback = options.allowInsecureLoopback ? 1 : 0
            var out: OpaquePointer?
            let hosts = (options.relayAllowList ?? []).map { strings.add($0) }
            // withExtendedLifetime: Swift may free an object after its last use, and the C
            // strings in o must outlive the call.
            let rc: tigress_status = withExtendedLifetime(strings) {
                hosts.withUnsafeBufferPointer { buf in
                    if options.relayAllowList != nil {
                        o.relay_allow_list = buf.baseAddress
                        o.relay_allow_list_count = buf.count
                    }
                    guard let box = box else { return tigress_client_new(&out, &o) }
                    var vt = makeTransportVtable(box) // copied by tigress_client_new
                    return withUnsafePointer(to: &vt) { p -> tigress_status in
                        o.transport = p
                        let rc = tigress_client_new(&out, &o)
                        if rc != TIGRESS_OK { Unmanaged.passUnretained(box).release() } // not taken
                        return rc
                    }
                }
            }
            try check(rc)
            guard let h = out else { throw tigressError(TIGRESS_E_INTERNAL.rawValue) }
            handle = h
        } catch {
            Library.release()
            throw error
        }
    }

    deinit {
        tigress_client_free(handle)
        Library.release()
    }

    /// Cancels the blocking call running on this client, or the next one to start, from any
    /// thread (tigress_client_cancel: never lost; one cancel ends one call). Cancelling the
    /// Swift task of a call is usually what you want instead: it targets that call only.
    public func cancel() { _ = tigress_client_cancel(handle) }

    /// Drops a cancel that no call has noticed yet (tigress_client_cancel_clear).
    public func cancelClear() {
        _ = tigress_client_cancel_clear(handle)
        transportBox?.transport.resetCancel()
    }

    /// Makes a sleeping `wait` read the mailbox now (call it when a push arrives).
    public func wake() { _ = tigress_client_wake(handle) }

    /// Runs body on the client's queue. Cancelling the Swift task cancels this call only: if
    /// it has not started it never starts (`.cancelled`, nothing sent); if it runs,
    /// tigress_client_cancel() ends it; a cancel it did not notice is cleared afterwards.
    func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        let gate = CallGate()
        let h = CHandle(handle)
        let transport = transportBox?.transport
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (cont: CheckedContinuation<T, any Error>) in
                queue.async {
                    guard gate.start() else {
                        cont.resume(throwing: cancelledBeforeStart())
                        return
                    }
                    let result = Result { try body() }
                    gate.finish(h)
                    transport?.resetCancel()   // no cancel is pending for the next call
                    cont.resume(with: result)
                }
            }
        } onCancel: {
            gate.cancel(h)
        }
    }

    /// Initiator: encrypts `content` (a JSON object) and creates the mailbox.
    public func share(relayURL: String, format: String, content: Data, title: String,
                      description: String? = nil, imageURL: String? = nil,
                      expiresAt: Int64 = 0, vertical: Character? = nil,
                      payloadType: TigressPayloadType = .xsalsa20Poly1305,
                      stateful: Bool = false) async throws -> Transfer {
        try await run {
            var o = tigress_share_options()
            let s = CStrings()
            try check(tigress_share_options_init(&o, UInt32(TIGRESS_SHARE_OPTIONS_VERSION)))
            o.relay_url = s.add(relayURL)
            o.format = s.add(format)
            o.content_json = s.add(content)
            o.title = s.add(title)
            o.description = s.add(description)
            o.image_url = s.add(imageURL)
            o.expires_at = expiresAt
            o.vertical = CChar(truncatingIfNeeded: vertical?.asciiValue ?? 0)
            o.payload_type = payloadType.c
            o.stateful = stateful ? 1 : 0
            var out: OpaquePointer?
            let rc = withExtendedLifetime(s) { tigress_share_create(&out, self.handle, &o) }
            try check(rc, client: self.handle)
            guard let t = out else { throw tigressError(TIGRESS_E_INTERNAL.rawValue) }
            return Transfer(client: self, handle: t)
        }
    }

    /// Recipient: reads, binds and decrypts the mailbox of a Share URL (a String cannot be
    /// wiped; `redeem(shareURLData:)` takes the URL as wipeable `Data`).
    public func redeem(shareURL: String, secret: Data? = nil,
                       verifier: (any TigressVerifier)? = nil) async throws -> Transfer {
        var url = Data(shareURL.utf8)
        defer { tigressWipe(&url) }
        return try await redeem(shareURLData: url, secret: secret, verifier: verifier)
    }

    /// Recipient: as `redeem(shareURL:)` with the URL as UTF-8 `Data` (copied for the call and
    /// the copy wiped; the caller wipes its own with `tigressWipe`). `secret`: the Secret's
    /// text when it was sent apart from the URL.
    public func redeem(shareURLData: Data, secret: Data? = nil,
                       verifier: (any TigressVerifier)? = nil) async throws -> Transfer {
        try await run {
            var o = tigress_redeem_options()
            let s = CStrings()
            try check(tigress_redeem_options_init(&o, UInt32(TIGRESS_REDEEM_OPTIONS_VERSION)))
            o.share_url = s.add(shareURLData)
            o.secret = s.add(secret)
            let box = verifier.map { CallbackBox(verifier: $0) }
            var v = tigress_verifier()
            var out: OpaquePointer?
            let rc: tigress_status = withUnsafeMutablePointer(to: &v) { vp in
                if let box = box {
                    vp.pointee.version = UInt32(TIGRESS_SIGNER_VERSION)
                    vp.pointee.verify = verifyTrampoline
                    vp.pointee.user_data = Unmanaged.passUnretained(box).toOpaque()
                    o.verifier = UnsafePointer(vp)
                }
                return withExtendedLifetime(s) { tigress_redeem(&out, self.handle, &o) }
            }
            try check(rc, client: self.handle)
            guard let t = out else { throw tigressError(TIGRESS_E_INTERNAL.rawValue) }
            return Transfer(client: self, handle: t, box: box)
        }
    }

    /// Recreates a transfer from `Transfer.export()` (no network traffic), e.g. after the app
    /// was killed. `secret`: the Secret's text when the blob was exported without it.
    /// `verifier`: the Recipient's verifier of a stateful transfer (not part of the blob).
    public func importTransfer(_ blob: Data, secret: Data? = nil,
                               verifier: (any TigressVerifier)? = nil) async throws -> Transfer {
        try await run {
            let s = CStrings()
            let sec = s.add(secret)
            var out: OpaquePointer?
            let rc = withExtendedLifetime(s) {
                blob.withUnsafeBytes { b in
                    tigress_transfer_import(&out, self.handle,
                                            b.bindMemory(to: UInt8.self).baseAddress, blob.count, sec)
                }
            }
            try check(rc, client: self.handle)
            guard let t = out else { throw tigressError(TIGRESS_E_INTERNAL.rawValue) }
            let box = verifier.map { CallbackBox(verifier: $0) }
            let transfer = Transfer(client: self, handle: t, box: box)
            if let box = box {
                var v = tigress_verifier()
                v.version = UInt32(TIGRESS_SIGNER_VERSION)
                v.verify = verifyTrampoline
                v.user_data = Unmanaged.passUnretained(box).toOpaque()
                try check(tigress_transfer_set_verifier(t, &v), client: self.handle)
            }
            return transfer
        }
    }
}
