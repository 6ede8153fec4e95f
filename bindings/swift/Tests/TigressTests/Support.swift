// Shared set-up: the relay started by bindings/swift/run-tests.sh (TIGRESS_RELAY_URL, an
// https://127.0.0.1 URL, and TIGRESS_RELAY_CA, the test CA), and helpers.
import Foundation
import XCTest
@testable import Tigress

struct SetupError: Error, CustomStringConvertible {
    let description: String
}

enum Env {
    static func relay() throws -> (url: String, ca: String) {
        let env = ProcessInfo.processInfo.environment
        guard let url = env["TIGRESS_RELAY_URL"], let ca = env["TIGRESS_RELAY_CA"] else {
            throw SetupError(description:
                "TIGRESS_RELAY_URL and TIGRESS_RELAY_CA must be set (bindings/swift/run-tests.sh)")
        }
        guard url.hasPrefix("https://127.0.0.1:") else {
            throw SetupError(description: "the Swift tests only talk to a relay on https://127.0.0.1")
        }
        return (url, ca)
    }
}

/// Which transport a client uses: the library's own (libcurl) or URLSessionTransport.
enum TransportKind: CaseIterable, CustomStringConvertible {
    case libcurl, urlSession
    var description: String { self == .libcurl ? "libcurl" : "URLSession" }
}

/// Where URLSessionTransport talks to. On Apple platforms: the HTTPS relay, its CA trusted
/// through `TigressCATrust`. On Linux, FoundationNetworking cannot trust a private CA per
/// session (bindings/README.md): the same flows go to a plain-HTTP relay on loopback
/// (TIGRESS_RELAY_HTTP_URL, started by run-tests.sh), with allowInsecureLoopback.
#if canImport(FoundationNetworking)
let urlSessionOverHTTPS = false
#else
let urlSessionOverHTTPS = true
#endif

class RelayTestCase: XCTestCase {
    var relayURL = ""
    var ca = ""
    /// The relay the current test's clients use (the plain one for URLSession on Linux).
    var relayFor: [TransportKind: String] = [:]

    override func setUpWithError() throws {
        (relayURL, ca) = try Env.relay()
        relayFor[.libcurl] = relayURL
        if urlSessionOverHTTPS {
            relayFor[.urlSession] = relayURL
        } else {
            guard let plain = ProcessInfo.processInfo.environment["TIGRESS_RELAY_HTTP_URL"],
                  plain.hasPrefix("http://127.0.0.1:") else {
                throw SetupError(description: "TIGRESS_RELAY_HTTP_URL must be set (run-tests.sh)")
            }
            relayFor[.urlSession] = plain
        }
    }

    func options(_ kind: TransportKind = .libcurl) -> TigressClient.Options {
        var o = TigressClient.Options()
        o.caFile = ca
        if kind == .urlSession {
            o.transport = URLSessionTransport(caFile: ca)
            o.allowInsecureLoopback = !urlSessionOverHTTPS
        }
        return o
    }

    func client(_ kind: TransportKind = .libcurl) throws -> TigressClient {
        try TigressClient(options: options(kind))
    }

    func content() -> Data {
        Data(#"{"vin":"WDD1234567890","key":"\#(UUID().uuidString)"}"#.utf8)
    }

    func share(_ c: TigressClient, _ content: Data, type: TigressPayloadType = .xsalsa20Poly1305,
               stateful: Bool = false, via kind: TransportKind = .libcurl) async throws -> Transfer {
        try await c.share(relayURL: relayFor[kind] ?? relayURL, format: "com.example.carkey", content: content,
                          title: "Car key", vertical: "c", payloadType: type, stateful: stateful)
    }
}

/// Runs body and returns the TigressError it threw (fails the test if it threw none).
func tigressError(file: StaticString = #filePath, line: UInt = #line,
                  _ body: () async throws -> Void) async -> TigressError? {
    do {
        try await body()
        XCTFail("no error thrown", file: file, line: line)
    } catch let e as TigressError {
        return e
    } catch {
        XCTFail("not a TigressError: \(error)", file: file, line: line)
    }
    return nil
}

func isCancelled(_ e: TigressError?) -> Bool {
    if case .cancelled = e { return true }
    return false
}
