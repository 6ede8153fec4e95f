// Low level (tigress/crypto.h): Secrets, payload seal/open and Share URLs.
import CTigress
import Foundation

/// Payload encryption types; raw values are the C tigress_payload_type values.
public enum TigressPayloadType: Int32, Sendable, CaseIterable {
    case xsalsa20Poly1305 = 0
    case aes128GCM = 1
    case aes256GCM = 2

    var c: tigress_payload_type { tigress_payload_type(rawValue: UInt32(rawValue)) }
}

/// The key of one transfer, in the library's guarded memory; wiped and freed on deinit.
public final class TigressSecret: @unchecked Sendable {
    let handle: OpaquePointer

    private init(_ make: (inout OpaquePointer?) -> tigress_status) throws {
        try Library.acquire()
        var out: OpaquePointer?
        let rc = make(&out)
        guard rc == TIGRESS_OK, let h = out else {
            let e = tigressError(rc.rawValue)
            Library.release()
            throw e
        }
        handle = h
    }

    /// A fresh random Secret of the length `type` needs.
    public convenience init(generate type: TigressPayloadType) throws {
        try self.init { tigress_secret_generate(&$0, type.c) }
    }

    /// Raw key bytes (16 or 32), copied.
    public convenience init(bytes: Data) throws {
        try self.init { out in
            bytes.withUnsafeBytes { b in
                tigress_secret_from_bytes(&out, b.bindMemory(to: UInt8.self).baseAddress, bytes.count)
            }
        }
    }

    /// Base64 text (standard or URL-safe, padded or not, percent-encoded or not).
    public convenience init(text: String) throws {
        try self.init { tigress_secret_from_text(&$0, text) }
    }

    /// A copy of the key bytes: wipe it with `tigressWipe` when done.
    public var bytes: Data {
        Data(bytes: tigress_secret_bytes(handle), count: tigress_secret_size(handle))
    }

    /// A copy of the key as Base64 text (what `redeem(shareURL:secret:)` takes): wipe it.
    public var textData: Data { dataFromCString(tigress_secret_text(handle)) ?? Data() }

    deinit {
        tigress_secret_free(handle)
        Library.release()
    }
}

private func take(_ buf: inout tigress_buf) -> Data {
    defer { tigress_buf_dispose(&buf) }
    guard let p = buf.ptr else { return Data() }
    return Data(bytes: p, count: buf.size)
}

/// tigress_payload_seal / tigress_payload_open: the `data` string of a payload envelope.
public enum TigressPayload {
    /// Encrypts with a fresh random nonce; standard padded Base64.
    public static func seal(type: TigressPayloadType, secret: TigressSecret,
                            plaintext: Data) throws -> String {
        var buf = tigress_buf()
        let rc = plaintext.withUnsafeBytes { p in
            tigress_payload_seal(&buf, type.c, secret.handle,
                                 p.bindMemory(to: UInt8.self).baseAddress, plaintext.count)
        }
        try check(rc)
        return String(decoding: take(&buf), as: UTF8.self)
    }

    /// Decrypts and authenticates; throws `.crypto` on a bad tag. Wipe the result when done.
    public static func open(type: TigressPayloadType, secret: TigressSecret,
                            data: String) throws -> Data {
        var buf = tigress_buf()
        try check(tigress_payload_open(&buf, type.c, secret.handle, data))
        return take(&buf)
    }
}

/// A Share URL: build one, or parse one into its parts (the Secret is copied out).
public struct TigressShareURL: Sendable {
    public let mailboxURL: String
    public let relay: String
    public let host: String
    public let mailboxID: String
    public let vertical: Character?
    public let secret: TigressSecret?

    /// `urlLink?v=vertical#Secret` (it holds the Secret: treat the result as one).
    public static func build(urlLink: String, vertical: Character? = nil,
                             secret: TigressSecret?) throws -> String {
        var buf = tigress_buf()
        try check(tigress_share_url_build(&buf, urlLink, CChar(truncatingIfNeeded: vertical?.asciiValue ?? 0),
                                          secret?.handle))
        return String(decoding: take(&buf), as: UTF8.self)
    }

    public static func parse(_ url: String, allowInsecureLoopback: Bool = false) throws -> TigressShareURL {
        var out: OpaquePointer?
        let flags = allowInsecureLoopback ? UInt32(TIGRESS_URL_ALLOW_INSECURE_LOOPBACK) : 0
        try check(tigress_share_url_parse(&out, url, flags))
        guard let u = out else { throw tigressError(TIGRESS_E_INTERNAL.rawValue) }
        defer { tigress_share_url_free(u) }
        var secret: TigressSecret?
        if let s = tigress_share_url_secret(u) {
            var key = Data(bytes: tigress_secret_bytes(s), count: tigress_secret_size(s))
            defer { tigressWipe(&key) }
            secret = try TigressSecret(bytes: key)
        }
        let v = tigress_share_url_vertical(u)
        return TigressShareURL(mailboxURL: String(cString: tigress_share_url_mailbox_url(u)),
                               relay: String(cString: tigress_share_url_relay(u)),
                               host: String(cString: tigress_share_url_host(u)),
                               mailboxID: String(cString: tigress_share_url_mailbox_id(u)),
                               vertical: v == 0 ? nil : Character(UnicodeScalar(UInt8(truncatingIfNeeded: v))),
                               secret: secret)
    }
}
