// TigressError: one case per C status (generated from TIGRESS_STATUS_MAP), and the errors the
// real relay and library produce, none of which may show the Secret.
import CTigress
import Foundation
import XCTest
@testable import Tigress

final class ErrorTests: RelayTestCase {

    /// Every status the loaded library names has its own case (not `.other`), with the same
    /// C name and code; a status added to C without regenerating TigressError.swift fails here.
    func testEveryLibraryStatusHasACase() {
        var code: Int32 = -1
        var seen = 0
        while true {
            let name = String(cString: tigress_status_name(code))
            if name == "TIGRESS_E_UNKNOWN" { break }
            let e = TigressError(code: code, name: name, detail: .init(message: "m"))
            if case .other = e { XCTFail("\(name) (\(code)) has no TigressError case") }
            XCTAssertEqual(e.statusName, name)
            XCTAssertEqual(e.code, code)
            XCTAssertEqual(e.detail.message, "m")
            seen += 1
            code -= 1
        }
        XCTAssertEqual(seen, Int(-TIGRESS_STATUS_LAST_.rawValue))
        XCTAssertEqual(TigressError.knownCodes.count, seen)
        for (name, c) in TigressError.knownCodes {
            XCTAssertEqual(String(cString: tigress_status_name(c)), name)
        }
        // Codes the binding does not know (e.g. an application callback's) are kept as is.
        let user = TigressError(code: TIGRESS_E_USER_MIN - 5, name: "APP", detail: .init(message: "x"))
        guard case .other(let c, "APP", _) = user else { return XCTFail("\(user)") }
        XCTAssertEqual(c, TIGRESS_E_USER_MIN - 5)
    }

    func testRevokedBeforeRedeemIsNotFoundAndNoSecretInTheError() async throws {
        let alice = try client(), bob = try client()
        let sent = try await share(alice, content())
        let url = try XCTUnwrap(sent.shareURL)
        let secretText = String(decoding: try XCTUnwrap(sent.secretText), as: UTF8.self)
        try await sent.revoke()
        XCTAssertEqual(sent.state, .revoked)
        let e = await tigressError { _ = try await bob.redeem(shareURL: url) }
        guard case .notFound(let d) = e else { return XCTFail("\(String(describing: e))") }
        XCTAssertEqual(d.httpStatus, 404)
        XCTAssertEqual(e?.statusName, "TIGRESS_E_NOT_FOUND")
        XCTAssertEqual(e?.code, -18)
        assertNoSecret(e, secretText, url)
    }

    func testWrongSecretIsCryptoWithoutTheSecret() async throws {
        let alice = try client(), bob = try client()
        let sent = try await share(alice, content(), type: .aes256GCM)
        let other = try TigressSecret(generate: .aes256GCM)
        var otherText = other.textData
        let e = await tigressError {
            _ = try await bob.redeem(shareURL: XCTUnwrap(sent.url), secret: otherText)
        }
        guard case .crypto = e else { return XCTFail("\(String(describing: e))") }
        assertNoSecret(e, String(decoding: otherText, as: UTF8.self), String(decoding: try XCTUnwrap(sent.secretText), as: UTF8.self))
        tigressWipe(&otherText)
        try await sent.revoke()
    }

    func testMalformedSecretIsKey() async throws {
        let alice = try client(), bob = try client()
        let sent = try await share(alice, content())
        let e = await tigressError {
            _ = try await bob.redeem(shareURL: XCTUnwrap(sent.url), secret: Data("c2hvcnQ".utf8))
        }
        guard case .key = e else { return XCTFail("\(String(describing: e))") }
        try await sent.revoke()
    }

    func testRevokedWhileWaitingIsRevoked() async throws {
        let alice = try client(), bob = try client()
        let sent = try await share(alice, content(), stateful: true)
        let got = try await bob.redeem(shareURLData: XCTUnwrap(sent.shareURLData))
        try await sent.revoke()
        let e = await tigressError { try await got.update(txInfoType: "t", txInfo: Data([1])) }
        XCTAssertNotNil(e)
        XCTAssertEqual(got.state == .revoked || e?.statusName == "TIGRESS_E_NOT_FOUND", true,
                       "\(String(describing: e)) \(got.state)")
    }

    func testWrongStateIsState() async throws {
        let alice = try client(), bob = try client()
        let sent = try await share(alice, content())
        let e = await tigressError { try await sent.complete() }  // Initiators do not complete
        guard case .state = e else { return XCTFail("\(String(describing: e))") }
        let got = try await bob.redeem(shareURLData: XCTUnwrap(sent.shareURLData))
        try await got.complete()
        let e2 = await tigressError { try await got.complete() }
        guard case .state = e2 else { return XCTFail("\(String(describing: e2))") }
    }

    func testPlainHTTPRelayIsInsecure() async throws {
        let alice = try client()
        let e = await tigressError {
            _ = try await alice.share(relayURL: "http://relay.example", format: "f",
                                      content: Data("{}".utf8), title: "t")
        }
        guard case .insecure = e else { return XCTFail("\(String(describing: e))") }
    }

    func testAllowListIsNotAllowed() async throws {
        var o = options()
        o.relayAllowList = ["relay.example"]
        let alice = try TigressClient(options: o)
        let e = await tigressError { _ = try await self.share(alice, self.content()) }
        guard case .notAllowed = e else { return XCTFail("\(String(describing: e))") }
    }

    func testUntrustedCertificateIsTLS() async throws {
        var o = TigressClient.Options()   // the system's trust store: the test CA is not in it
        o.maxRetries = 0
        let alice = try TigressClient(options: o)
        let e = await tigressError { _ = try await self.share(alice, self.content()) }
        guard case .tls(let d) = e else { return XCTFail("\(String(describing: e))") }
        XCTAssertNotEqual(d.transportCode, 0)   // the CURLcode
    }

    func testUntrustedCertificateThroughURLSessionFails() async throws {
        var o = TigressClient.Options()
        o.maxRetries = 0
        o.transport = URLSessionTransport()     // no CA: the system's trust
        let alice = try TigressClient(options: o)
        let e = await tigressError { _ = try await self.share(alice, self.content()) }
        XCTAssertTrue(e?.statusName == "TIGRESS_E_TLS" || e?.statusName == "TIGRESS_E_NETWORK",
                      "\(String(describing: e))")
        XCTAssertNotNil(alice.lastTransportError)
    }

    func testBadOptionIsInvalid() async throws {
        let alice = try client()
        let e = await tigressError {
            _ = try await alice.share(relayURL: self.relayURL, format: "f",
                                      content: Data("not json".utf8), title: "t")
        }
        XCTAssertTrue(e?.statusName == "TIGRESS_E_INVALID" || e?.statusName == "TIGRESS_E_FORMAT",
                      "\(String(describing: e))")
    }

    func assertNoSecret(_ e: TigressError?, _ secrets: String..., file: StaticString = #filePath,
                        line: UInt = #line) {
        guard let e = e else { return XCTFail("no error", file: file, line: line) }
        let shown = [e.description, String(describing: e), String(reflecting: e),
                     e.localizedDescription, e.detail.message, "\(e)"]
        for s in secrets where !s.isEmpty {
            let fragment = s.split(separator: "#").last.map(String.init) ?? s
            for text in shown {
                XCTAssertFalse(text.contains(fragment), "the Secret shows in \(text)",
                               file: file, line: line)
            }
        }
    }
}
