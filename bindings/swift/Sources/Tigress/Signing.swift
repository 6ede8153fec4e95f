// Signing (Initiator) and verification (Recipient) for the stateful flow.
import CTigress
import Foundation

/// Signs the Recipient's Transaction Information, e.g. with a Secure Enclave key.
///
/// `sign` runs on the client's queue, during `Transfer.approve`. It gets the exact bytes to
/// sign ("tigress-txinfo-v1" || mailbox id || TxInfo) and returns the signature (at most 512
/// bytes). A thrown error ends `approve` with that error (it never crosses the C code).
public protocol TigressSigner: AnyObject, Sendable {
    var algorithm: String { get }
    func sign(_ message: Data) throws -> Data
}

/// Checks the Initiator's signature (true = valid). Runs on the client's queue during
/// `wait`/`poll`; false ends that call with `TigressError.signature` and the state unchanged.
public protocol TigressVerifier: AnyObject, Sendable {
    func verify(algorithm: String, message: Data, signature: Data) throws -> Bool
}

/// A signer made of a closure, e.g. one that asks the Secure Enclave
/// (`SecKeyCreateSignature`) or an HSM to sign.
public final class ClosureSigner: TigressSigner {
    public let algorithm: String
    private let body: @Sendable (Data) throws -> Data
    public init(algorithm: String, _ body: @escaping @Sendable (Data) throws -> Data) {
        self.algorithm = algorithm
        self.body = body
    }
    public func sign(_ message: Data) throws -> Data { try body(message) }
}

/// A verifier made of a closure (algorithm, message, signature) -> valid.
public final class ClosureVerifier: TigressVerifier {
    private let body: @Sendable (String, Data, Data) throws -> Bool
    public init(_ body: @escaping @Sendable (String, Data, Data) throws -> Bool) { self.body = body }
    public func verify(algorithm: String, message: Data, signature: Data) throws -> Bool {
        try body(algorithm, message, signature)
    }
}

/// An Ed25519 key pair in the library's guarded memory; approve() with it signs in C.
public final class Ed25519Key: TigressSigner, @unchecked Sendable {
    let handle: OpaquePointer
    public let algorithm = "Ed25519"

    public init() throws {
        try Library.acquire()
        var out: OpaquePointer?
        let rc = tigress_ed25519_key_generate(&out)
        guard rc == TIGRESS_OK, let key = out else {
            let e = tigressError(rc.rawValue)
            Library.release()
            throw e
        }
        handle = key
    }

    /// A key from a 32-byte seed (copied; wipe your own copy).
    public init(seed: Data) throws {
        try Library.acquire()
        var out: OpaquePointer?
        let rc = seed.withUnsafeBytes { b in
            tigress_ed25519_key_from_seed(&out, b.bindMemory(to: UInt8.self).baseAddress, seed.count)
        }
        guard rc == TIGRESS_OK, let key = out else {
            let e = tigressError(rc.rawValue)
            Library.release()
            throw e
        }
        handle = key
    }

    /// The 32-byte public key, for the Recipient's `Ed25519Verifier`.
    public var publicKey: Data {
        let n = Int(TIGRESS_ED25519_PUBLIC_BYTES)
        var out = [UInt8](repeating: 0, count: n)
        _ = tigress_ed25519_key_public(handle, &out, n)
        return Data(out)
    }

    public func sign(_ message: Data) throws -> Data {
        var s = tigress_signer()
        try check(tigress_signer_ed25519(&s, handle))
        guard let signFn = s.sign else { throw tigressError(TIGRESS_E_INTERNAL.rawValue) }
        var sig = [UInt8](repeating: 0, count: Int(TIGRESS_SIGNATURE_MAX))
        var len = sig.count
        let rc = message.withUnsafeBytes { m in
            sig.withUnsafeMutableBufferPointer { out in
                signFn(m.bindMemory(to: UInt8.self).baseAddress, message.count, out.baseAddress,
                       &len, s.user_data)
            }
        }
        if rc != 0 { throw tigressError(rc) }
        return Data(sig[0..<len])
    }

    deinit {
        tigress_ed25519_key_free(handle)
        Library.release()
    }
}

/// Verifies Ed25519 signatures by one public key, in C (tigress_verifier_ed25519).
public final class Ed25519Verifier: TigressVerifier {
    private let key: [UInt8]

    /// `publicKey`: the Initiator's 32-byte key, e.g. `Ed25519Key.publicKey`.
    public init(publicKey: Data) throws {
        guard publicKey.count == Int(TIGRESS_ED25519_PUBLIC_BYTES) else {
            throw TigressError.key(.init(message: "an Ed25519 public key has 32 bytes"))
        }
        key = [UInt8](publicKey)
    }

    public func verify(algorithm: String, message: Data, signature: Data) throws -> Bool {
        var v = tigress_verifier()
        let rc: Int32 = key.withUnsafeBufferPointer { k in
            guard tigress_verifier_ed25519(&v, k.baseAddress) == TIGRESS_OK,
                  let verifyFn = v.verify else { return TIGRESS_E_INTERNAL.rawValue }
            return message.withUnsafeBytes { m in
                signature.withUnsafeBytes { s in
                    verifyFn(algorithm, m.bindMemory(to: UInt8.self).baseAddress, message.count,
                             s.bindMemory(to: UInt8.self).baseAddress, signature.count, v.user_data)
                }
            }
        }
        if rc == 0 { return true }
        if rc == TIGRESS_E_SIGNATURE.rawValue { return false }
        throw tigressError(rc)
    }
}

/// Holds a Swift signer or verifier for a C callback, and what it threw. Used only on the
/// client's queue (the callbacks run there, during the call).
final class CallbackBox: @unchecked Sendable {
    let signer: (any TigressSigner)?
    private(set) var verifier: (any TigressVerifier)?
    private var error: (any Error)?

    init(signer: (any TigressSigner)? = nil, verifier: (any TigressVerifier)? = nil) {
        self.signer = signer
        self.verifier = verifier
    }

    func replace(verifier v: any TigressVerifier) { verifier = v }
    func record(_ e: any Error) { error = e }
    func takeError() -> (any Error)? {
        defer { error = nil }
        return error
    }
}

func signTrampoline(_ msg: UnsafePointer<UInt8>?, _ msgLen: Int, _ sig: UnsafeMutablePointer<UInt8>?,
                    _ sigLen: UnsafeMutablePointer<Int>?, _ user: UnsafeMutableRawPointer?) -> Int32 {
    guard let user = user, let sig = sig, let sigLen = sigLen else { return TIGRESS_E_INVALID.rawValue }
    let box = Unmanaged<CallbackBox>.fromOpaque(user).takeUnretainedValue()
    guard let signer = box.signer else { return TIGRESS_E_INVALID.rawValue }
    do {
        let message = msg.map { Data(bytes: $0, count: msgLen) } ?? Data()
        let out = try signer.sign(message)
        guard !out.isEmpty, out.count <= sigLen.pointee else { return TIGRESS_E_SIGNATURE.rawValue }
        out.copyBytes(to: sig, count: out.count)
        sigLen.pointee = out.count
        return 0
    } catch {
        box.record(error)
        return callbackFailed
    }
}

func verifyTrampoline(_ alg: UnsafePointer<CChar>?, _ msg: UnsafePointer<UInt8>?, _ msgLen: Int,
                      _ sig: UnsafePointer<UInt8>?, _ sigLen: Int,
                      _ user: UnsafeMutableRawPointer?) -> Int32 {
    guard let user = user else { return TIGRESS_E_INVALID.rawValue }
    let box = Unmanaged<CallbackBox>.fromOpaque(user).takeUnretainedValue()
    guard let verifier = box.verifier else { return TIGRESS_E_SIGNATURE.rawValue }
    do {
        let ok = try verifier.verify(
            algorithm: alg.map { String(cString: $0) } ?? "",
            message: msg.map { Data(bytes: $0, count: msgLen) } ?? Data(),
            signature: sig.map { Data(bytes: $0, count: sigLen) } ?? Data())
        return ok ? 0 : TIGRESS_E_SIGNATURE.rawValue
    } catch {
        box.record(error)
        return callbackFailed
    }
}
