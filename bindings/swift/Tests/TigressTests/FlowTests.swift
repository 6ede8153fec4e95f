// The stateless and stateful flows against the real relay, with every payload type, through
// both transports (libcurl and URLSessionTransport), and export/import across two clients.
import Foundation
import XCTest
@testable import Tigress

final class FlowTests: RelayTestCase {

    func stateless(_ kind: TransportKind, _ type: TigressPayloadType) async throws {
        let alice = try client(kind), bob = try client(kind)
        let credential = content()
        let sent = try await share(alice, credential, type: type, via: kind)
        XCTAssertEqual(sent.state, .created)
        XCTAssertEqual(sent.role, .initiator)
        XCTAssertEqual(sent.payloadType, type)
        XCTAssertEqual(sent.vertical, "c")
        XCTAssertFalse(sent.isStateful)
        XCTAssertEqual(sent.flow, .stateless)
        var url = try XCTUnwrap(sent.shareURLData)
        XCTAssertTrue(String(decoding: url, as: UTF8.self).contains("#"), "\(kind) \(type)")
        let got = try await bob.redeem(shareURLData: url)
        XCTAssertEqual(got.state, .redeemed)
        XCTAssertEqual(got.role, .recipient)
        XCTAssertEqual(got.payloadType, type)
        XCTAssertEqual(got.mailboxID, sent.mailboxID)
        var received = try XCTUnwrap(got.content)
        XCTAssertEqual(received, credential)
        XCTAssertEqual(got.format, "com.example.carkey")
        XCTAssertEqual(got.title, "Car key")
        try await got.complete()
        XCTAssertEqual(got.state, .completed)
        try await sent.wait(timeoutMs: 20_000)
        XCTAssertEqual(sent.state, .completed)
        // Secrets come back as Data the caller wipes in place.
        tigressWipe(&url)
        tigressWipe(&received)
        XCTAssertTrue(url.allSatisfy { $0 == 0 } && !url.isEmpty)
        XCTAssertTrue(received.allSatisfy { $0 == 0 } && !received.isEmpty)
    }

    func stateful(_ kind: TransportKind, _ type: TigressPayloadType, signer makeSigner: (Ed25519Key) -> any TigressSigner) async throws {
        let alice = try client(kind), bob = try client(kind)
        let key = try Ed25519Key()
        let credential = content()
        let sent = try await share(alice, credential, type: type, stateful: true, via: kind)
        XCTAssertTrue(sent.isStateful)
        XCTAssertEqual(sent.flow, .stateful)
        let got = try await bob.redeem(shareURLData: XCTUnwrap(sent.shareURLData),
                                       verifier: Ed25519Verifier(publicKey: key.publicKey))
        XCTAssertEqual(got.content, credential)
        let txInfo = Data([0x04, 0xb1, 0xd2, 0xe3, 0xf4, 0x05, 0x06, 0x07, 0x08])
        try await got.update(txInfoType: "com.example.devicekey", txInfo: txInfo)
        XCTAssertEqual(got.state, .waitingForPeer)

        try await sent.wait(timeoutMs: 20_000)
        XCTAssertEqual(sent.state, .txInfoReceived)
        XCTAssertEqual(sent.txInfo?.type, "com.example.devicekey")
        XCTAssertEqual(sent.txInfo?.data, txInfo)
        try await sent.approve(signer: makeSigner(key))
        XCTAssertEqual(sent.state, .waitingForPeer)
        XCTAssertEqual(sent.signature?.algorithm, "Ed25519")

        try await got.wait(timeoutMs: 20_000)
        XCTAssertEqual(got.state, .signed)
        XCTAssertEqual(got.signature?.bytes, sent.signature?.bytes)
        XCTAssertEqual(got.signature?.bytes.count, 64)
        try await got.complete()
        XCTAssertEqual(got.state, .completed)
        try await sent.wait(timeoutMs: 20_000)
        XCTAssertEqual(sent.state, .completed)
    }

    func testStatelessEveryPayloadTypeLibcurl() async throws {
        for type in TigressPayloadType.allCases { try await stateless(.libcurl, type) }
    }

    func testStatelessEveryPayloadTypeURLSession() async throws {
        for type in TigressPayloadType.allCases { try await stateless(.urlSession, type) }
    }

    func testStatefulEveryPayloadTypeLibcurl() async throws {
        for type in TigressPayloadType.allCases { try await stateful(.libcurl, type) { $0 } }
    }

    func testStatefulEveryPayloadTypeURLSession() async throws {
        for type in TigressPayloadType.allCases { try await stateful(.urlSession, type) { $0 } }
    }

    /// The Initiator's approval signed by a Swift closure, as a Secure Enclave key would sign
    /// (SecKeyCreateSignature behind a closure); it is given exactly
    /// "tigress-txinfo-v1" || mailbox id || TxInfo.
    func testClosureSignerAndClosureVerifier() async throws {
        let seen = Messages()
        for kind in TransportKind.allCases {
            try await stateful(kind, .aes256GCM) { key in
                ClosureSigner(algorithm: "Ed25519") { message in
                    seen.add(message)
                    return try key.sign(message)
                }
            }
        }
        XCTAssertEqual(seen.all.count, 2)
        for m in seen.all {
            XCTAssertTrue(m.starts(with: Data("tigress-txinfo-v1".utf8)))
            XCTAssertEqual(m.count, 17 + 36 + 9)
        }
    }

    func testForgedSignatureIsRejectedByTheVerifier() async throws {
        let alice = try client(), bob = try client()
        let key = try Ed25519Key(), forger = try Ed25519Key()
        let sent = try await share(alice, content(), stateful: true)
        let checked = Messages()
        let real = try Ed25519Verifier(publicKey: key.publicKey)
        let verifier = ClosureVerifier { alg, message, signature in
            checked.add(signature)
            return try real.verify(algorithm: alg, message: message, signature: signature)
        }
        let got = try await bob.redeem(shareURLData: XCTUnwrap(sent.shareURLData), verifier: verifier)
        try await got.update(txInfoType: "com.example.devicekey", txInfo: Data([1, 2, 3]))
        try await sent.wait(timeoutMs: 20_000)
        // Signed by another key: a valid Ed25519 signature, but not by the expected key.
        try await sent.approve(signer: ClosureSigner(algorithm: "Ed25519") { try forger.sign($0) })
        let e = await tigressError { try await got.wait(timeoutMs: 20_000) }
        guard case .signature = e else { return XCTFail("expected .signature, got \(String(describing: e))") }
        XCTAssertEqual(got.state, .waitingForPeer)
        XCTAssertEqual(checked.all.count, 1)
        XCTAssertNil(got.signature)
        // A closure signer that throws: approve rethrows the Swift error itself.
        struct KeyLocked: Error {}
        let sent2 = try await share(alice, content(), stateful: true)
        let got2 = try await bob.redeem(shareURLData: XCTUnwrap(sent2.shareURLData))
        try await got2.update(txInfoType: "t", txInfo: Data([9]))
        try await sent2.wait(timeoutMs: 20_000)
        do {
            try await sent2.approve(signer: ClosureSigner(algorithm: "ES256") { _ in throw KeyLocked() })
            XCTFail("approve succeeded")
        } catch is KeyLocked {
        }
        XCTAssertEqual(sent2.state, .txInfoReceived)
        try await sent2.revoke()
    }

    func testSecretSentApartFromTheURL() async throws {
        let alice = try client(), bob = try client()
        let credential = content()
        let sent = try await share(alice, credential, type: .aes128GCM)
        let url = try XCTUnwrap(sent.url)
        XCTAssertFalse(url.contains("#"))
        var secretText = try XCTUnwrap(sent.secretText)
        var secret = try XCTUnwrap(sent.secret)
        XCTAssertEqual(secret.count, 16)
        let got = try await bob.redeem(shareURL: url, secret: secretText)
        XCTAssertEqual(got.content, credential)
        XCTAssertEqual(got.secret, secret)
        tigressWipe(&secretText)
        tigressWipe(&secret)
        XCTAssertTrue(secretText.allSatisfy { $0 == 0 } && secret.allSatisfy { $0 == 0 })
        try await got.complete()
    }

    /// An app killed and restarted: export, drop the client, import into a new one.
    func testExportImportAcrossTwoClientInstances() async throws {
        let key = try Ed25519Key()
        var aliceBlob: Data, bobBlob: Data
        var secretText: Data
        let shareURL: Data
        do {
            let alice = try client(), bob = try client()
            let sent = try await share(alice, content(), type: .aes256GCM, stateful: true)
            shareURL = try XCTUnwrap(sent.shareURLData)
            secretText = try XCTUnwrap(sent.secretText)
            let got = try await bob.redeem(shareURLData: shareURL,
                                           verifier: Ed25519Verifier(publicKey: key.publicKey))
            aliceBlob = try await sent.export(withoutSecret: true)
            bobBlob = try await got.export()
            XCTAssertFalse(String(decoding: aliceBlob, as: UTF8.self)
                .contains(String(decoding: secretText, as: UTF8.self)))
        }  // both "apps" are gone: clients and transfers freed
        let alice2 = try client(), bob2 = try client()
        let got = try await bob2.importTransfer(bobBlob,
                                                verifier: Ed25519Verifier(publicKey: key.publicKey))
        XCTAssertEqual(got.state, .redeemed)
        XCTAssertNotNil(got.content)
        try await got.update(txInfoType: "com.example.devicekey", txInfo: Data([7, 7]))
        let sent = try await alice2.importTransfer(aliceBlob, secret: secretText)
        XCTAssertEqual(sent.state, .created)
        XCTAssertEqual(sent.role, .initiator)
        try await sent.wait(timeoutMs: 20_000)
        XCTAssertEqual(sent.state, .txInfoReceived)
        try await sent.approve(signer: key)
        try await got.wait(timeoutMs: 20_000)
        XCTAssertEqual(got.state, .signed)
        try await got.complete()
        try await sent.wait(timeoutMs: 20_000)
        XCTAssertEqual(sent.state, .completed)
        // Without the Secret the blob cannot be imported.
        let e = await tigressError { _ = try await alice2.importTransfer(aliceBlob) }
        XCTAssertNotNil(e)
        tigressWipe(&aliceBlob)
        tigressWipe(&bobBlob)
        tigressWipe(&secretText)
    }

    func testRelinquishLetsAnotherDeviceRedeem() async throws {
        let alice = try client(), bob = try client(), carol = try client()
        let credential = content()
        let sent = try await share(alice, credential)
        let url = try XCTUnwrap(sent.shareURLData)
        let got = try await bob.redeem(shareURLData: url)
        try await got.relinquish()
        XCTAssertEqual(got.state, .relinquished)
        let again = try await carol.redeem(shareURLData: url)
        XCTAssertEqual(again.content, credential)
        try await again.complete()
    }
}

/// Collects what callbacks saw (they run on the client's queue).
final class Messages: @unchecked Sendable {
    private let lock = NSLock()
    private var list: [Data] = []
    func add(_ d: Data) { lock.lock(); list.append(d); lock.unlock() }
    var all: [Data] { lock.lock(); defer { lock.unlock() }; return list }
}
