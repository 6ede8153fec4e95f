// A Swift HTTP transport (e.g. URLSession) in place of libcurl: the tigress_transport vtable.
// NOTE: written from Swift's C-import rules; not compiled on the Linux CI (see bindings/README.md).
import CTigress
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// One request from the library; everything is a copy.
public struct TigressHTTPRequest {
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
public struct TigressHTTPResponse {
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
/// and blocks until the response is complete; `cancel` comes from `TigressClient.cancel()`
/// (or a cancelled Swift task) on another thread and must make `send` end promptly. A thrown
/// error becomes `TigressError.network` (the library may retry); the last one is kept in
/// `TigressClient.lastTransportError`.
public protocol TigressTransport: AnyObject {
    func send(_ request: TigressHTTPRequest) throws -> TigressHTTPResponse
    func cancel()
}

public extension TigressTransport {
    func cancel() {}
}

/// A transport over URLSession. Give it a session whose delegate trusts a private relay's CA
/// (URLAuthenticationChallenge / SecTrustSetAnchorCertificates) when the relay needs one.
public final class URLSessionTransport: TigressTransport {
    private let session: URLSession
    private let lock = NSLock()
    private var task: URLSessionDataTask?

    public init(session: URLSession = .shared) { self.session = session }

    public func send(_ request: TigressHTTPRequest) throws -> TigressHTTPResponse {
        var r = URLRequest(url: request.url)
        r.httpMethod = request.method
        r.httpBody = request.body
        if request.timeoutMs > 0 { r.timeoutInterval = TimeInterval(request.timeoutMs) / 1000 }
        for h in request.headers where h.name.lowercased() != "host" {
            r.addValue(h.value, forHTTPHeaderField: h.name)
        }
        let done = DispatchSemaphore(value: 0)
        var result: Result<TigressHTTPResponse, Error> = .failure(URLError(.unknown))
        let t = session.dataTask(with: r) { data, response, error in
            if let error = error {
                result = .failure(error)
            } else if let http = response as? HTTPURLResponse {
                let headers = http.allHeaderFields.map { (name: "\($0.key)", value: "\($0.value)") }
                result = .success(TigressHTTPResponse(status: http.statusCode, headers: headers,
                                                      body: data ?? Data()))
            }
            done.signal()
        }
        lock.lock(); task = t; lock.unlock()
        t.resume()
        done.wait()
        lock.lock(); task = nil; lock.unlock()
        return try result.get()
    }

    public func cancel() {
        lock.lock(); let t = task; lock.unlock()
        t?.cancel()
    }
}

/// What the C vtable's user_data points to (retained until the vtable's free slot runs).
final class TransportBox {
    let transport: TigressTransport
    var lastError: Error?
    init(_ t: TigressTransport) { transport = t }
}

private func string(_ p: UnsafePointer<CChar>?) -> String {
    p.map { String(cString: $0) } ?? ""
}

private func request(from r: tigress_http_request) -> TigressHTTPRequest? {
    guard let url = URL(string: string(r.url)) else { return nil }
    var headers: [(name: String, value: String)] = []
    for i in 0..<Int(r.header_count) {
        headers.append((name: string(r.headers[i].name), value: string(r.headers[i].value)))
    }
    let body = r.body.map { Data(bytes: $0, count: Int(r.body_len)) }
    return TigressHTTPRequest(method: string(r.method), url: url, headers: headers, body: body,
                              timeoutMs: Int(r.timeout_ms),
                              connectTimeoutMs: Int(r.connect_timeout_ms),
                              caFile: r.ca_file.map { String(cString: $0) })
}

let transportSendTrampoline: @convention(c) (UnsafePointer<tigress_http_request>?, OpaquePointer?,
                                             UnsafeMutableRawPointer?) -> Int32 = { req, resp, ud in
    let network = TIGRESS_E_NETWORK.rawValue
    guard let req = req, let ud = ud, let r = request(from: req.pointee) else { return network }
    let box = Unmanaged<TransportBox>.fromOpaque(ud).takeUnretainedValue()
    do {
        let out = try box.transport.send(r)
        var rc = tigress_http_response_set_status(resp, Int32(out.status))
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
        return network
    }
}

let transportCancelTrampoline: @convention(c) (UnsafeMutableRawPointer?) -> Void = { ud in
    guard let ud = ud else { return }
    Unmanaged<TransportBox>.fromOpaque(ud).takeUnretainedValue().transport.cancel()
}

let transportFreeTrampoline: @convention(c) (UnsafeMutableRawPointer?) -> Void = { ud in
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
