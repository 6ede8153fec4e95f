package org.tigress;

import java.nio.charset.StandardCharsets;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

/** Two devices (clients) talking to the relay started by run_tests.sh, over HTTPS on loopback. */
abstract class RelayTestBase {
    static final String FORMAT = "com.example.carkey";

    String relayUrl;
    String ca;
    TigressClient alice; // Initiator
    TigressClient bob;   // Recipient

    @BeforeEach
    void openClients() throws TigressException {
        relayUrl = System.getProperty("tigress.relay.url");
        ca = System.getProperty("tigress.relay.ca");
        if (relayUrl == null || ca == null || !relayUrl.startsWith("https://127.0.0.1:")) {
            throw new IllegalStateException("run through run_tests.sh: needs a loopback relay");
        }
        alice = new TigressClient(new TigressClient.Options().caFile(ca));
        bob = new TigressClient(new TigressClient.Options().caFile(ca));
    }

    @AfterEach
    void closeClients() {
        if (bob != null) bob.close();
        if (alice != null) alice.close();
    }

    static String content() {
        return "{\"vin\":\"WDD1234567890\",\"key\":\"" + UUID.randomUUID() + "\"}";
    }

    static String utf8(byte[] b) {
        return new String(b, StandardCharsets.UTF_8);
    }

    Transfer share(String content, boolean stateful) throws TigressException {
        return alice.share(new Share(relayUrl, FORMAT, content, "Car key").stateful(stateful));
    }
}
