// A Swift HTTP transport (e.g. URLSession) in place of libcurl: the tigress_transport vtable.
import CTigress
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
#if canImport(Security)
import Security
#endif

/// One request from the library; everything is a copy.
public struct TigressHTTPRequest: Sendable {
    public let method: String
    public let url: URL
    public let headers: [(name: String, value: String)]
    public let body: Data?
    /// Whole-request / connection deadlines in ms; 0 means the transport's default.
    public let timeoutMs: Int
    public let connectTimeoutMs: Int
    /// The client's `caFile`, or nil for the system's trust.
    public let caFile: String?
}

/// The complete response a transport received, whatever its status.
public struct TigressHTTPResponse: Sendable {
    public var status: Int
    public var headers: [(name: String, value: String)]
    public var body: Data
    public init(status: Int, headers: [(name: String, value: String)] = [], body: Data = Data()) {
        self.status = status
        self.headers = headers
        self.body = body
    }
}

/// Sends the library's requests. `send` runs on the client's queue during the blocking call
/// and blocks until the response is complete; `cancel` comes from a cancelled Swift task (or
/// `TigressClient.cancel()`) on another thread and must make `send` end promptly. A thrown
/// error becomes `TigressError.network` (`.cancelled`, `.timeout` or `.tls` for the matching
/// `URLError`s, or the code of a thrown `TigressError`); the library may retry. The last one
/// is kept in `TigressClient.lastTransportError`.
public protocol TigressTransport: AnyObject, Sendable {
    func send(_ request: TigressHTTPRequest) throws -> TigressHTTPResponse
    func cancel()
    /// Called on the client's queue when no cancel is pending any more: after each blocking
    /// call and from `TigressClient.cancelClear()`. A transport that keeps a cancel that
    /// arrived between two requests (so that the next `send` of the same call fails at once)
    /// forgets it here.
    func resetCancel()
}

public extension TigressTransport {
    func cancel() {}
    func resetCancel() {}
}

/// A transport over URLSession.
///
/// The session should not cache or follow redirects on its own: `init()` makes an ephemeral
/// one without a URL cache. To trust a private relay's CA, give the session a delegate that
/// evaluates the server trust against it: on Apple platforms `TigressCATrust(caFile:)` does
/// (SecTrustSetAnchorCertificates). On Linux, FoundationNetworking never asks the delegate
/// about server trust, so a private CA cannot be trusted per session (bindings/README.md).
public final class URLSessionTransport: TigressTransport, @unchecked Sendable {
    private let session: URLSession
    private let lock = NSLock()
    private var task: URLSessionDataTask?
    private var requests = 0
    /// A cancel arrived and no call has ended since: a `send` that starts now fails at once.
    /// (The library checks its own cancel before each request, but one that lands between
    /// that check and the task's start would otherwise be missed for a whole long-poll.)
    private var cancelRequested = false

    public init(session: URLSession) { self.session = session }

    /// An ephemeral session (no cache, no cookies); with `caFile`, on Apple platforms, trusting
    /// only that CA for the relay (`TigressCATrust`).
    public convenience init(caFile: String? = nil) {
        let config = URLSessionConfiguration.ephemeral
        config.urlCache = nil
        config.requestCachePolicy = .reloadIgnoringLocalCacheData
        config.httpShouldSetCookies = false
        #if canImport(Security)
        let delegate: URLSessionDelegate? = caFile.map { TigressCATrust(caFile: $0) }
        #else
        let delegate: URLSessionDelegate? = nil
        #endif
        self.init(session: URLSession(configuration: config, delegate: delegate, delegateQueue: nil))
    }

    /// How many requests this transport has sent.
    public var requestCount: Int {
        lock.lock(); defer { lock.unlock() }
        return requests
    }

    /// Headers URLSession sets itself (a second copy would be wrong).
    private static let ownHeaders: Set<String> = ["host", "content-length", "connection"]

    public func send(_ request: TigressHTTPRequest) throws -> TigressHTTPResponse {
        var r = URLRequest(url: request.url)
        r.httpMethod = request.method
        r.httpBody = request.body
        r.cachePolicy = .reloadIgnoringLocalCacheData
        if request.timeoutMs > 0 { r.timeoutInterval = TimeInterval(request.timeoutMs) / 1000 }
        for h in request.headers where !Self.ownHeaders.contains(h.name.lowercased()) {
            r.addValue(h.value, forHTTPHeaderField: h.name)
        }
        let done = DispatchSemaphore(value: 0)
        let result = ResultBox()
        let t = session.dataTask(with: r) { data, response, error in
            if let error = error {
                result.set(.failure(error))
            } else if let http = response as? HTTPURLResponse {
                let headers = http.allHeaderFields.map { (name: "\($0.key)", value: "\($0.value)") }
                result.set(.success(TigressHTTPResponse(status: http.statusCode, headers: headers,
                                                        body: data ?? Data())))
            } else {
                result.set(.failure(URLError(.badServerResponse)))
            }
            done.signal()
        }
        lock.lock()
        if cancelRequested {
            lock.unlock()
            throw URLError(.cancelled)
        }
        task = t
        requests += 1
        lock.unlock()
        t.resume()
        done.wait()
        lock.lock(); task = nil; lock.unlock()
        return try result.get()
    }

    public func cancel() {
        lock.lock(); cancelRequested = true; let t = task; lock.unlock()
        t?.cancel()
    }

    public func resetCancel() {
        lock.lock(); cancelRequested = false; lock.unlock()
    }
}

/// The outcome of one URLSession task, handed from its completion handler to `send`.
private final class ResultBox: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Result<TigressHTTPResponse, any Error> = .failure(URLError(.unknown))
    func set(_ v: Result<TigressHTTPResponse, any Error>) { lock.lock(); value = v; lock.unlock() }
    func get() throws -> TigressHTTPResponse {
        lock.lock(); defer { lock.unlock() }
        return try value.get()
    }
}

#if canImport(Security)
/// A URLSession delegate that trusts the certificates of one PEM file as the only anchors
/// for server trust (a private relay's CA), and checks the host name as usual.
public final class TigressCATrust: NSObject, URLSessionDelegate, @unchecked Sendable {
    private let anchors: [SecCertificate]

    public init(caFile: String) {
        var certs: [SecCertificate] = []
        if let pem = try? String(contentsOfFile: caFile, encoding: .utf8) {
            let begin = "-----BEGIN CERTIFICATE-----", end = "-----END CERTIFICATE-----"
            var rest = Substring(pem)
            while let b = rest.range(of: begin), let e = rest.range(of: end, range: b.upperBound..<rest.endIndex) {
                let base64 = rest[b.upperBound..<e.lowerBound].filter { !$0.isWhitespace }
                if let der = Data(base64Encoded: String(base64)),
                   let cert = SecCertificateCreateWithData(nil, der as CFData) {
                    certs.append(cert)
                }
                rest = rest[e.upperBound...]
            }
        }
        anchors = certs
    }

    public func urlSession(_ session: URLSession, didReceive challenge: URLAuthenticationChallenge,
                           completionHandler: @escaping @Sendable (URLSession.AuthChallengeDisposition,
                                                                   URLCredential?) -> Void) {
        guard challenge.protectionSpace.authenticationMethod == NSURLAuthenticationMethodServerTrust,
              let trust = challenge.protectionSpace.serverTrust, !anchors.isEmpty else {
            completionHandler(.performDefaultHandling, nil)
            return
        }
        SecTrustSetAnchorCertificates(trust, anchors as CFArray)
        SecTrustSetAnchorCertificatesOnly(trust, true)
        var error: CFError?
        if SecTrustEvaluateWithError(trust, &error) {
            completionHandler(.useCredential, URLCredential(trust: trust))
        } else {
            completionHandler(.cancelAuthenticationChallenge, nil)
        }
    }
}
#endif

/// What the C vtable's user_data points to (retained until the vtable's free slot runs).
final class TransportBox: @unchecked Sendable {
    let transport: any TigressTransport
    private let lock = NSLock()
    private var error: (any Error)?
    init(_ t: any TigressTransport) { transport = t }
    var lastError: (any Error)? {
        get { lock.lock(); defer { lock.unlock() }; return error }
        set { lock.lock(); error = newValue; lock.unlock() }
    }
}

private func string(_ p: UnsafePointer<CChar>?) -> String {
    p.map { String(cString: $0) } ?? ""
}

private func request(from r: tigress_http_request) -> TigressHTTPRequest? {
    guard let url = URL(string: string(r.url)) else { return nil }
    var headers: [(name: String, value: String)] = []
    if let hs = r.headers {
        for i in 0..<Int(r.header_count) {
            headers.append((name: string(hs[i].name), value: string(hs[i].value)))
        }
    }
    let body = r.body.map { Data(bytes: $0, count: Int(r.body_len)) }
    return TigressHTTPRequest(method: string(r.method), url: url, headers: headers, body: body,
                              timeoutMs: Int(r.timeout_ms),
                              connectTimeoutMs: Int(r.connect_timeout_ms),
                              caFile: r.ca_file.map { String(cString: $0) })
}

/// The C status for what a transport threw.
private func status(for error: any Error) -> Int32 {
    if let e = error as? TigressError {
        // What send() may return (tigress/sys/transport.h); anything else is a network error.
        switch e {
        case .network, .tls, .timeout, .cancelled: return e.code
        default: return e.code <= TIGRESS_E_USER_MIN ? e.code : TIGRESS_E_NETWORK.rawValue
        }
    }
    if let e = error as? URLError {
        switch e.code {
        case .cancelled: return TIGRESS_E_CANCELLED.rawValue
        case .timedOut: return TIGRESS_E_TIMEOUT.rawValue
        case .secureConnectionFailed, .serverCertificateUntrusted, .serverCertificateHasBadDate,
             .serverCertificateHasUnknownRoot, .serverCertificateNotYetValid,
             .clientCertificateRejected, .clientCertificateRequired:
            return TIGRESS_E_TLS.rawValue
        default: break
        }
    }
    return TIGRESS_E_NETWORK.rawValue
}

func transportSendTrampoline(_ req: UnsafePointer<tigress_http_request>?, _ resp: OpaquePointer?,
                             _ ud: UnsafeMutableRawPointer?) -> Int32 {
    let network = TIGRESS_E_NETWORK.rawValue
    guard let req = req, let ud = ud, let r = request(from: req.pointee) else { return network }
    let box = Unmanaged<TransportBox>.fromOpaque(ud).takeUnretainedValue()
    do {
        let out = try box.transport.send(r)
        var rc = tigress_http_response_set_status(resp, Int32(clamping: out.status))
        for h in out.headers where rc == TIGRESS_OK {
            rc = tigress_http_response_add_header(resp, h.name, h.value)
        }
        if rc == TIGRESS_OK && !out.body.isEmpty {
            rc = out.body.withUnsafeBytes { b in
                tigress_http_response_append_body(resp, b.bindMemory(to: UInt8.self).baseAddress,
                                                  out.body.count)
            }
        }
        return rc.rawValue
    } catch {
        box.lastError = error // never let a Swift error cross the C code
        return status(for: error)
    }
}

func transportCancelTrampoline(_ ud: UnsafeMutableRawPointer?) {
    guard let ud = ud else { return }
    Unmanaged<TransportBox>.fromOpaque(ud).takeUnretainedValue().transport.cancel()
}

func transportFreeTrampoline(_ ud: UnsafeMutableRawPointer?) {
    guard let ud = ud else { return }
    Unmanaged<TransportBox>.fromOpaque(ud).release()
}

/// A tigress_transport for box; the vtable holds one retain of box, dropped by its free slot.
func makeTransportVtable(_ box: TransportBox) -> tigress_transport {
    var t = tigress_transport()
    t.version = UInt32(TIGRESS_TRANSPORT_VERSION)
    t.send = transportSendTrampoline
    t.cancel = transportCancelTrampoline
    t.free = transportFreeTrampoline
    t.user_data = Unmanaged.passRetained(box).toOpaque()
    return t
}
