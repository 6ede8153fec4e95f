// Signers and verifiers over Apple's CryptoKit (Apple platforms only: compiled only where
// CryptoKit exists, so never on Linux; see "What only Apple hardware can check" in
// bindings/README.md).
#if canImport(CryptoKit)
import CryptoKit
import Foundation

/// An Ed25519 signer whose key lives in CryptoKit (e.g. restored from the Keychain); its
/// signatures verify with the library's Ed25519 verifier (`Ed25519Verifier`).
public final class CryptoKitEd25519Signer: TigressSigner, @unchecked Sendable {
    public let algorithm = "Ed25519"
    private let key: Curve25519.Signing.PrivateKey

    public init(key: Curve25519.Signing.PrivateKey = Curve25519.Signing.PrivateKey()) {
        self.key = key
    }

    /// The 32-byte public key, for the Recipient's `Ed25519Verifier`.
    public var publicKey: Data { key.publicKey.rawRepresentation }

    public func sign(_ message: Data) throws -> Data {
        try key.signature(for: message)
    }
}

/// Verifies Ed25519 signatures with CryptoKit (the same check as `Ed25519Verifier`).
public final class CryptoKitEd25519Verifier: TigressVerifier, @unchecked Sendable {
    private let key: Curve25519.Signing.PublicKey

    public init(publicKey: Data) throws {
        key = try Curve25519.Signing.PublicKey(rawRepresentation: publicKey)
    }

    public func verify(algorithm: String, message: Data, signature: Data) throws -> Bool {
        algorithm == "Ed25519" && key.isValidSignature(signature, for: message)
    }
}

#if os(iOS) || os(macOS)
/// An ECDSA P-256 signer whose private key never leaves the Secure Enclave. The algorithm put
/// on the wire is "ES256" and the signature is the 64-byte r || s: the Recipient's verifier
/// must accept that (`SecureEnclaveP256Verifier`, or its own P-256 check).
public final class SecureEnclaveP256Signer: TigressSigner, @unchecked Sendable {
    public let algorithm = "ES256"
    private let key: SecureEnclave.P256.Signing.PrivateKey

    /// `key`: e.g. `SecureEnclave.P256.Signing.PrivateKey(dataRepresentation:)` of a blob kept
    /// in the Keychain; by default a new key.
    public init(key: SecureEnclave.P256.Signing.PrivateKey? = nil) throws {
        self.key = try key ?? SecureEnclave.P256.Signing.PrivateKey()
    }

    /// The public key (64-byte x || y), for the Recipient's `SecureEnclaveP256Verifier`.
    public var publicKey: Data { key.publicKey.rawRepresentation }

    public func sign(_ message: Data) throws -> Data {
        try key.signature(for: message).rawRepresentation
    }
}

/// Verifies "ES256" signatures (64-byte r || s) made by a `SecureEnclaveP256Signer`.
public final class SecureEnclaveP256Verifier: TigressVerifier, @unchecked Sendable {
    private let key: P256.Signing.PublicKey

    public init(publicKey: Data) throws {
        key = try P256.Signing.PublicKey(rawRepresentation: publicKey)
    }

    public func verify(algorithm: String, message: Data, signature: Data) throws -> Bool {
        guard algorithm == "ES256",
              let sig = try? P256.Signing.ECDSASignature(rawRepresentation: signature) else {
            return false
        }
        return key.isValidSignature(sig, for: message)
    }
}
#endif
#endif
