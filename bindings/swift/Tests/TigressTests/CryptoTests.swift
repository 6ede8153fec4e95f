// Low level: payload known-answer vectors, seal/open of each type, Secrets, Share URLs.
import Foundation
import XCTest
@testable import Tigress

final class CryptoTests: XCTestCase {
    struct Vector: Decodable {
        let name, type, key, plaintext, data: String
    }

    static let types: [String: TigressPayloadType] = [
        "XSALSA20_POLY1305": .xsalsa20Poly1305, "AEAD_AES_128_GCM": .aes128GCM,
        "AEAD_AES_256_GCM": .aes256GCM,
    ]

    func hex(_ s: String) -> Data {
        var out = Data()
        var i = s.startIndex
        while i < s.endIndex {
            let j = s.index(i, offsetBy: 2)
            out.append(UInt8(s[i..<j], radix: 16)!)
            i = j
        }
        return out
    }

    func testKnownAnswerVectorsOpen() throws {
        let path = try XCTUnwrap(ProcessInfo.processInfo.environment["TIGRESS_VECTORS"],
                                 "TIGRESS_VECTORS (run-tests.sh sets it)")
        struct File: Decodable { let vectors: [Vector] }
        let vs = try JSONDecoder().decode(File.self, from: Data(contentsOf: URL(fileURLWithPath: path))).vectors
        XCTAssertGreaterThanOrEqual(vs.count, 12)
        XCTAssertEqual(Set(vs.map(\.type)), Set(Self.types.keys))
        for v in vs {
            let type = try XCTUnwrap(Self.types[v.type])
            let secret = try TigressSecret(bytes: hex(v.key))
            XCTAssertEqual(try TigressPayload.open(type: type, secret: secret, data: v.data),
                           hex(v.plaintext), v.name)
        }
        // Tampered: .crypto; not Base64: .format.
        let v = vs[2]
        var raw = try XCTUnwrap(Data(base64Encoded: v.data))
        raw[raw.count - 1] ^= 1
        let secret = try TigressSecret(bytes: hex(v.key))
        XCTAssertThrowsError(try TigressPayload.open(type: Self.types[v.type]!, secret: secret,
                                                     data: raw.base64EncodedString())) {
            guard case TigressError.crypto = $0 else { return XCTFail("\($0)") }
        }
        XCTAssertThrowsError(try TigressPayload.open(type: Self.types[v.type]!, secret: secret, data: "%%")) {
            guard case TigressError.format = $0 else { return XCTFail("\($0)") }
        }
    }

    func testSealOpenEachType() throws {
        let plain = Data(#"{"vin":"WDD1234567890"}"#.utf8)
        for type in TigressPayloadType.allCases {
            let s = try TigressSecret(generate: type)
            XCTAssertEqual(s.bytes.count, type == .aes128GCM ? 16 : 32)
            let sealed = try TigressPayload.seal(type: type, secret: s, plaintext: plain)
            var back = try TigressPayload.open(type: type, secret: s, data: sealed)
            XCTAssertEqual(back, plain)
            tigressWipe(&back)
            XCTAssertEqual(back, Data(count: plain.count))
            let again = try TigressSecret(text: String(decoding: s.textData, as: UTF8.self))
            XCTAssertEqual(again.bytes, s.bytes)
        }
        XCTAssertThrowsError(try TigressSecret(bytes: Data(count: 7))) {
            guard case TigressError.key = $0 else { return XCTFail("\($0)") }
        }
    }

    func testShareURLBuildAndParse() throws {
        let link = "https://relay.example/v1/m/0f8fad5b-d9cb-469f-a165-70867728950e"
        let s = try TigressSecret(generate: .aes256GCM)
        let url = try TigressShareURL.build(urlLink: link, vertical: "h", secret: s)
        XCTAssertTrue(url.hasPrefix(link))
        let parsed = try TigressShareURL.parse(url)
        XCTAssertEqual(parsed.mailboxID, "0f8fad5b-d9cb-469f-a165-70867728950e")
        XCTAssertEqual(parsed.host, "relay.example")
        XCTAssertEqual(parsed.vertical, "h")
        XCTAssertEqual(parsed.secret?.bytes, s.bytes)
        XCTAssertThrowsError(try TigressShareURL.parse("https://relay.example/nope")) {
            guard case TigressError.url = $0 else { return XCTFail("\($0)") }
        }
    }

    func testWipeZeroesInPlace() {
        var d = Data("secret-bytes-longer-than-inline-storage".utf8)
        let n = d.count
        tigressWipe(&d)
        XCTAssertEqual(d, Data(count: n))
        var small = Data([1, 2, 3])
        tigressWipe(&small)
        XCTAssertEqual(small, Data(count: 3))
        var empty = Data()
        tigressWipe(&empty)
        XCTAssertTrue(empty.isEmpty)
    }
}
