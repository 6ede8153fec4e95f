// Internal plumbing shared by the Swift wrapper: status -> error, C string lifetimes, init.
import CTigress
import Foundation

/// Application code returned to C by a Swift callback that threw (passed back unchanged).
let callbackFailed: Int32 = TIGRESS_E_USER_MIN - 1

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

/// tigress_global_init()/cleanup() pairs: every client and key holds one reference.
enum Library {
    static func acquire() throws { try check(tigress_global_init()) }
    static func release() { tigress_global_cleanup() }
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

/// Zeroes memory through a volatile-like loop the optimiser keeps (memset may be elided).
func wipe(_ p: UnsafeMutableRawPointer, _ n: Int) {
    let bytes = p.bindMemory(to: UInt8.self, capacity: n)
    for i in 0..<n { bytes[i] = 0 }
    withExtendedLifetime(bytes) {}
}

/// Overwrites a Data holding a Secret or decrypted content with zeros.
public func tigressWipe(_ data: inout Data) {
    data.resetBytes(in: 0..<data.count)
}

/// Copies a C string into Data (for secret text), or nil.
func dataFromCString(_ p: UnsafePointer<CChar>?) -> Data? {
    guard let p = p else { return nil }
    return Data(bytes: p, count: strlen(p))
}
