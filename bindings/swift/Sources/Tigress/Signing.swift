// Signing (Initiator) and verification (Recipient) for the stateful flow.
import CTigress
import Foundation

/// Signs the Recipient's Transaction Information, e.g. with a Secure Enclave key.
///
/// `sign` runs on the queue that runs `Transfer.approve`, during that call. It gets the exact
/// bytes to sign ("tigress-txinfo-v1" || mailbox id || TxInfo) and returns the signature
/// (at most 512 bytes). A thrown error ends `approve` with that error.
public protocol TigressSigner: AnyObject {
    var algorithm: String { get }
    func sign(_ message: Data) throws -> Data
}

/// Checks the Initiator's signature (true = valid). Runs during `wait`/`poll`.
public protocol TigressVerifier: AnyObject {
    func verify(algorithm: String, message: Data, signature: Data) throws -> Bool
}

/// An Ed25519 key pair in the library's guarded memory; approve() with it signs in C.
public final class Ed25519Key: TigressSigner {
    let handle: OpaquePointer
    public let algorithm = "Ed25519"

    public init() throws {
        try Library.acquire()
        var out: OpaquePointer?
        let rc = tigress_ed25519_key_generate(&out)
        guard rc == TIGRESS_OK, let key = out else {
            Library.release()
            throw tigressError(rc.rawValue)
        }
        handle = key
    }

    /// The 32-byte public key, for the Recipient's `ed25519Verifier`.
    public var publicKey: Data {
        let n = Int(TIGRESS_ED25519_PUBLIC_BYTES)
        var out = [UInt8](repeating: 0, count: n)
        _ = tigress_ed25519_key_public(handle, &out, n)
        return Data(out)
    }

    public func sign(_ message: Data) throws -> Data {
        var s = tigress_signer()
        try check(tigress_signer_ed25519(&s, handle))
        var sig = [UInt8](repeating: 0, count: Int(TIGRESS_SIGNATURE_MAX))
        var len = sig.count
        let rc = message.withUnsafeBytes { m in
            s.sign!(m.bindMemory(to: UInt8.self).baseAddress, message.count, &sig, &len,
                   s.user_data)
        }
        if rc != 0 { throw tigressError(rc) }
        return Data(sig[0..<len])
    }

    deinit {
        tigress_ed25519_key_free(handle)
        Library.release()
    }
}

/// Holds a Swift signer or verifier for a C callback, and what it threw.
final class CallbackBox {
    let signer: TigressSigner?
    let verifier: TigressVerifier?
    var error: Error?

    init(signer: TigressSigner? = nil, verifier: TigressVerifier? = nil) {
        self.signer = signer
        self.verifier = verifier
    }
}

let signTrampoline: @convention(c) (UnsafePointer<UInt8>?, Int, UnsafeMutablePointer<UInt8>?,
                                    UnsafeMutablePointer<Int>?, UnsafeMutableRawPointer?) -> Int32 = {
    msg, msgLen, sig, sigLen, user in
    guard let user = user, let sig = sig, let sigLen = sigLen else { return TIGRESS_E_INVALID.rawValue }
    let box = Unmanaged<CallbackBox>.fromOpaque(user).takeUnretainedValue()
    do {
        let message = msg.map { Data(bytes: $0, count: msgLen) } ?? Data()
        let out = try box.signer!.sign(message)
        guard !out.isEmpty, out.count <= sigLen.pointee else { return TIGRESS_E_SIGNATURE.rawValue }
        out.copyBytes(to: sig, count: out.count)
        sigLen.pointee = out.count
        return 0
    } catch {
        box.error = error
        return callbackFailed
    }
}

let verifyTrampoline: @convention(c) (UnsafePointer<CChar>?, UnsafePointer<UInt8>?, Int,
                                      UnsafePointer<UInt8>?, Int, UnsafeMutableRawPointer?) -> Int32 = {
    alg, msg, msgLen, sig, sigLen, user in
    guard let user = user else { return TIGRESS_E_INVALID.rawValue }
    let box = Unmanaged<CallbackBox>.fromOpaque(user).takeUnretainedValue()
    do {
        let ok = try box.verifier!.verify(
            algorithm: alg.map { String(cString: $0) } ?? "",
            message: msg.map { Data(bytes: $0, count: msgLen) } ?? Data(),
            signature: sig.map { Data(bytes: $0, count: sigLen) } ?? Data())
        return ok ? 0 : TIGRESS_E_SIGNATURE.rawValue
    } catch {
        box.error = error
        return callbackFailed
    }
}
