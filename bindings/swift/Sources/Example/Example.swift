// Example: share a car key and redeem it on a second "device", with async/await.
// Usage: TigressExample https://relay.example [ca.pem]   (exits 1 if the transfer fails)
import Foundation
import Tigress

@main
struct Example {
    static func main() async {
        let args = CommandLine.arguments
        guard args.count >= 2 else {
            print("usage: TigressExample RELAY_URL [CA_FILE]")
            exit(2)
        }
        var options = TigressClient.Options()
        options.caFile = args.count > 2 ? args[2] : nil
        do {
            let alice = try TigressClient(options: options)   // the Initiator's device
            let bob = try TigressClient(options: options)     // the Recipient's device
            let sent = try await alice.share(relayURL: args[1], format: "com.example.carkey",
                                             content: Data(#"{"vin":"WDD1234567890"}"#.utf8),
                                             title: "Car key", payloadType: .aes256GCM)
            // The Share URL holds the Secret: as Data it can be wiped once it has been sent.
            var url = sent.shareURLData ?? Data()
            print("Alice shares mailbox", sent.mailboxID, "(the Share URL's #fragment is the Secret)")

            let got = try await bob.redeem(shareURLData: url)
            tigressWipe(&url)
            var content = got.content ?? Data()
            print("Bob received", content.count, "bytes of", got.format ?? "?", "and completes")
            tigressWipe(&content)
            try await got.complete()

            // The Initiator learns that the transfer completed; cancel the task to stop waiting.
            try await sent.wait(timeoutMs: 30_000)
            print("Alice sees:", sent.state)
            if sent.state != .completed { exit(1) }
        } catch let error as TigressError {
            print("failed:", error.statusName, error.detail.message, "HTTP", error.detail.httpStatus)
            exit(1)
        } catch {
            print("failed:", error)
            exit(1)
        }
    }
}
