// Internal plumbing shared by the Swift wrapper: status -> error, C string lifetimes, init,
// handles that cross to the client's queue, and the per-call cancellation gate.
import CTigress
import Foundation

/// Application code returned to C by a Swift callback that threw (passed back unchanged).
let callbackFailed: Int32 = TIGRESS_E_USER_MIN - 1

/// A C handle handed to the client's serial queue. The C threading contract (one call at a
/// time per client, enforced by that queue) is what makes it safe to send.
struct CHandle: @unchecked Sendable {
    let raw: OpaquePointer
    init(_ raw: OpaquePointer) { self.raw = raw }
}

/// The TigressError for a failed call; detail from the client, else the thread's last error.
func tigressError(_ code: Int32, client: OpaquePointer? = nil) -> TigressError {
    let detailPtr = client != nil ? tigress_client_last_error(client) : tigress_error_last()
    var message = String(cString: tigress_strerror(code))
    var http = 0
    var transport = 0
    if let d = detailPtr?.pointee, d.code.rawValue == code {
        if let m = d.message, m.pointee != 0 { message = String(cString: m) }
        http = Int(d.http_status)
        transport = Int(d.transport_code)
    }
    let name = String(cString: tigress_status_name(code))
    return TigressError(code: code, name: name,
                        detail: .init(message: message, httpStatus: http, transportCode: transport))
}

/// Throws the TigressError for rc unless it is TIGRESS_OK.
func check(_ rc: tigress_status, client: OpaquePointer? = nil) throws {
    if rc != TIGRESS_OK { throw tigressError(rc.rawValue, client: client) }
}

/// The error of a call that a cancelled Swift task never started.
func cancelledBeforeStart() -> TigressError {
    .cancelled(.init(message: String(cString: tigress_strerror(TIGRESS_E_CANCELLED.rawValue))
                     + " (before the call started; nothing was sent)"))
}

/// tigress_global_init()/cleanup() pairs: every client, key and Secret holds one reference.
enum Library {
    static func acquire() throws { try check(tigress_global_init()) }
    static func release() { tigress_global_cleanup() }
}

/// Links one Swift task to one C call on the client's queue, so that cancelling the task
/// cancels that call and no other: a task cancelled while its call still waits in the queue
/// never starts it (and sends nothing); one cancelled while its call runs calls
/// tigress_client_cancel(); a cancel the C call did not notice (it completed anyway) is
/// cleared before the next call on the queue starts.
final class CallGate: @unchecked Sendable {
    private let lock = NSLock()
    private var cancelled = false
    private var running = false
    private var sentToC = false

    /// On the queue, before the C call: false when the task was cancelled already.
    func start() -> Bool {
        lock.lock(); defer { lock.unlock() }
        if cancelled { return false }
        running = true
        return true
    }

    /// On the queue, after the C call: drops a cancel that this call left pending.
    func finish(_ client: CHandle) {
        lock.lock(); defer { lock.unlock() }
        running = false
        if sentToC { _ = tigress_client_cancel_clear(client.raw) }
    }

    /// From the task's cancellation handler, on any thread.
    func cancel(_ client: CHandle) {
        lock.lock(); defer { lock.unlock() }
        cancelled = true
        if running && !sentToC {
            sentToC = true
            _ = tigress_client_cancel(client.raw)
        }
    }
}

/// C copies of Swift strings that live until this object goes; secret ones are wiped first.
final class CStrings {
    private var owned: [(UnsafeMutablePointer<CChar>, Int)] = []

    func add(_ s: String?) -> UnsafePointer<CChar>? {
        guard let s = s else { return nil }
        return add(Data(s.utf8))
    }

    func add(_ data: Data?) -> UnsafePointer<CChar>? {
        guard let data = data else { return nil }
        let p = UnsafeMutablePointer<CChar>.allocate(capacity: data.count + 1)
        data.withUnsafeBytes { raw in
            if let base = raw.baseAddress { memcpy(p, base, data.count) }
        }
        p[data.count] = 0
        owned.append((p, data.count + 1))
        return UnsafePointer(p)
    }

    deinit {
        for (p, n) in owned {
            wipe(UnsafeMutableRawPointer(p), n)
            p.deallocate()
        }
    }
}

/// Zeroes memory byte by byte through a pointer the optimiser cannot see through.
func wipe(_ p: UnsafeMutableRawPointer, _ n: Int) {
    let bytes = p.bindMemory(to: UInt8.self, capacity: n)
    for i in 0..<n { bytes[i] = 0 }
    withExtendedLifetime(bytes) {}
}

/// Overwrites a Data holding a Secret, a Share URL or decrypted content with zeros, in place.
/// (A copy made earlier by assignment is separate storage once either is mutated: wipe it too.)
public func tigressWipe(_ data: inout Data) {
    let n = data.count
    guard n > 0 else { return }
    data.withUnsafeMutableBytes { raw in
        if let base = raw.baseAddress { wipe(base, n) }
    }
}

/// Copies a C string into Data (for secret text), or nil.
func dataFromCString(_ p: UnsafePointer<CChar>?) -> Data? {
    guard let p = p else { return nil }
    return Data(bytes: p, count: strlen(p))
}

/// Copies a C string into a String, or nil.
func stringFromC(_ p: UnsafePointer<CChar>?) -> String? {
    p.map { String(cString: $0) }
}
