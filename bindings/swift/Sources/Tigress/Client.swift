// TigressClient: settings, a serial queue for the blocking C calls, async entry points.
import CTigress
import Foundation

/// A libtigress client. Blocking C calls run on the client's own serial queue and are exposed
/// as `async` functions; cancelling the Swift task calls tigress_client_cancel(), so the call
/// ends promptly with `TigressError.cancelled` and leaves its transfer as it was.
public final class TigressClient: @unchecked Sendable {
    /// Options for a client; nil or zero means the library default.
    public struct Options {
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
        public var transport: TigressTransport?
        public init() {}
    }

    let handle: OpaquePointer
    /// One C call at a time on this client and its transfers (the C threading contract).
    let queue = DispatchQueue(label: "org.tigress.client")
    /// The Swift transport, if any (the C vtable holds its own retain until the client is freed).
    private let transportBox: TransportBox?

    /// The last error a custom transport threw (the call itself failed with `.network`).
    public var lastTransportError: Error? { transportBox?.lastError }

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
            handle = out!
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
    /// thread. Never lost: a task cancelled while its call still waits on the client's queue
    /// gets `TigressError.cancelled` without any request. One cancel ends one call.
    public func cancel() { _ = tigress_client_cancel(handle) }

    /// Drops a cancel that no call has noticed yet (tigress_client_cancel_clear).
    public func cancelClear() { _ = tigress_client_cancel_clear(handle) }

    /// Makes a sleeping `wait` read the mailbox now (call it when a push arrives).
    public func wake() { _ = tigress_client_wake(handle) }

    /// Runs body on the client's queue; Swift task cancellation becomes tigress_client_cancel.
    func run<T>(_ body: @escaping () throws -> T) async throws -> T {
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (cont: CheckedContinuation<T, Error>) in
                queue.async { cont.resume(with: Result { try body() }) }
            }
        } onCancel: {
            self.cancel()
        }
    }

    /// Initiator: encrypts `content` (a JSON object) and creates the mailbox.
    public func share(relayURL: String, format: String, content: Data, title: String,
                      description: String? = nil, imageURL: String? = nil,
                      expiresAt: Int64 = 0, vertical: Character? = nil,
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
            o.vertical = CChar(vertical?.asciiValue ?? 0)
            o.stateful = stateful ? 1 : 0
            var out: OpaquePointer?
            let rc = withExtendedLifetime(s) { tigress_share_create(&out, self.handle, &o) }
            try check(rc, client: self.handle)
            return Transfer(client: self, handle: out!, box: nil)
        }
    }

    /// Recipient: reads, binds and decrypts the mailbox of a Share URL (a String cannot be
    /// wiped; `redeem(shareURLData:)` takes the URL as wipeable `Data`).
    public func redeem(shareURL: String, secret: Data? = nil,
                       verifier: TigressVerifier? = nil) async throws -> Transfer {
        try await redeem(shareURLData: Data(shareURL.utf8), secret: secret, verifier: verifier)
    }

    /// Recipient: as `redeem(shareURL:)` with the URL as UTF-8 `Data` (copied for the call;
    /// the caller wipes its own copy with `tigressWipe`).
    public func redeem(shareURLData: Data, secret: Data? = nil,
                       verifier: TigressVerifier? = nil) async throws -> Transfer {
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
            return Transfer(client: self, handle: out!, box: box)
        }
    }
}
