package org.tigress;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The low-level API: Secret, Payload.seal/open and ShareUrl, against the shared KAT file. */
class CryptoTest {

    static final String LINK = "https://relay.example/v1/m/0f8fad5b-d9cb-469f-a165-70867728950e";

    static byte[] hex(String s) {
        byte[] b = new byte[s.length() / 2];
        for (int i = 0; i < b.length; i++) {
            b[i] = (byte) Integer.parseInt(s.substring(2 * i, 2 * i + 2), 16);
        }
        return b;
    }

    static PayloadType type(String wire) {
        switch (wire) {
            case "XSALSA20_POLY1305": return PayloadType.XSALSA20_POLY1305;
            case "AEAD_AES_128_GCM": return PayloadType.AES_128_GCM;
            case "AEAD_AES_256_GCM": return PayloadType.AES_256_GCM;
            default: throw new IllegalArgumentException(wire);
        }
    }

    /** {type, key hex, plaintext hex, data} of each vector in tests/unit/vectors/payload_kat.json. */
    static List<String[]> vectors() throws Exception {
        String path = System.getProperty("tigress.vectors");
        if (path == null) throw new IllegalStateException("run through run_tests.sh");
        String json = new String(Files.readAllBytes(Paths.get(path)), StandardCharsets.UTF_8);
        // The file is flat objects of string fields; a regex per field keeps the test dependency-free.
        Matcher obj = Pattern.compile("\\{[^{}]*\"data\"[^{}]*\\}").matcher(json);
        List<String[]> out = new ArrayList<>();
        while (obj.find()) {
            String o = obj.group();
            out.add(new String[] {field(o, "type"), field(o, "key"), field(o, "plaintext"),
                                  field(o, "data")});
        }
        return out;
    }

    static String field(String obj, String name) {
        Matcher m = Pattern.compile("\"" + name + "\"\\s*:\\s*\"([^\"]*)\"").matcher(obj);
        if (!m.find()) throw new IllegalStateException("vector without " + name);
        return m.group(1);
    }

    @Test
    void knownAnswerVectorsOpen() throws Exception {
        List<String[]> vs = vectors();
        assertTrue(vs.size() >= 12, "vectors read: " + vs.size());
        boolean[] seen = new boolean[3];
        for (String[] v : vs) {
            PayloadType t = type(v[0]);
            seen[t.code()] = true;
            try (Secret s = Secret.fromBytes(hex(v[1]))) {
                assertArrayEquals(hex(v[2]), Payload.open(t, s, v[3]), v[0]);
            }
        }
        assertTrue(seen[0] && seen[1] && seen[2]);
    }

    @Test
    void tamperedVectorFailsAuthentication() throws Exception {
        String[] v = vectors().get(2);
        byte[] raw = Base64.getDecoder().decode(v[3]);
        raw[raw.length - 1] ^= 1;
        try (Secret s = Secret.fromBytes(hex(v[1]))) {
            assertThrows(TigressException.Crypto.class,
                () -> Payload.open(type(v[0]), s, Base64.getEncoder().encodeToString(raw)));
            assertThrows(TigressException.Format.class, () -> Payload.open(type(v[0]), s, "%%"));
        }
    }

    @Test
    void sealOpenRoundTripForEachType() throws Exception {
        byte[] plain = "{\"vin\":\"WDD1234567890\"}".getBytes(StandardCharsets.UTF_8);
        int[] sizes = {32, 16, 32};
        for (PayloadType t : PayloadType.values()) {
            try (Secret s = Secret.generate(t); Secret other = Secret.generate(t)) {
                assertEquals(sizes[t.code()], s.size());
                String a = Payload.seal(t, s, plain);
                String b = Payload.seal(t, s, plain);
                assertNotEquals(a, b); // a fresh nonce per call
                assertArrayEquals(plain, Payload.open(t, s, a));
                assertArrayEquals(new byte[0], Payload.open(t, s, Payload.seal(t, s, new byte[0])));
                assertThrows(TigressException.Crypto.class, () -> Payload.open(t, other, a));
            }
        }
        try (Secret short16 = Secret.generate(PayloadType.AES_128_GCM)) {
            assertThrows(TigressException.Key.class,
                () -> Payload.seal(PayloadType.AES_256_GCM, short16, plain));
        }
    }

    @Test
    void secretTextAndBytesAgree() throws Exception {
        byte[] key = hex("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");
        Secret s = Secret.fromBytes(key);
        assertEquals(Base64.getEncoder().encodeToString(key), s.text());
        try (Secret t = Secret.fromText(s.text())) {
            assertArrayEquals(key, t.bytes());
        }
        s.close();
        s.close(); // idempotent
        assertThrows(IllegalStateException.class, s::bytes);
        assertThrows(TigressException.Key.class, () -> Secret.fromBytes(new byte[5]));
        assertThrows(TigressException.Key.class, () -> Secret.fromText("not base64!"));
    }

    @Test
    void shareUrlBuildParseRoundTrip() throws Exception {
        try (Secret s = Secret.generate(PayloadType.XSALSA20_POLY1305)) {
            String url = ShareUrl.build(LINK, 'h', s);
            assertTrue(url.startsWith(LINK + "?v=h#"), url);
            try (ShareUrl p = ShareUrl.parse(url)) {
                assertEquals(LINK, p.mailboxUrl());
                assertEquals("https://relay.example", p.relay());
                assertEquals("relay.example", p.host());
                assertEquals("0f8fad5b-d9cb-469f-a165-70867728950e", p.mailboxId());
                assertEquals('h', p.vertical());
                assertArrayEquals(s.bytes(), p.secret().bytes());
            }
            String bare = ShareUrl.build(LINK, (char) 0, null);
            assertEquals(LINK, bare);
            try (ShareUrl p = ShareUrl.parse(bare)) {
                assertNull(p.secret());
                assertEquals(0, p.vertical());
            }
        }
        assertThrows(TigressException.Insecure.class,
            () -> ShareUrl.parse("http://relay.example/v1/m/0f8fad5b-d9cb-469f-a165-70867728950e"));
        try (ShareUrl p = ShareUrl.parse(
                 "http://127.0.0.1:8080/v1/m/0f8fad5b-d9cb-469f-a165-70867728950e",
                 ShareUrl.ALLOW_INSECURE_LOOPBACK)) {
            assertEquals("127.0.0.1", p.host());
        }
        assertThrows(TigressException.Url.class, () -> ShareUrl.parse("https://relay.example/x"));
    }

    /** The byte forms: buildBytes is the same text as build, parse(byte[]) reads it. */
    @Test
    void shareUrlBytesBuildParse() throws Exception {
        try (Secret s = Secret.generate(PayloadType.AES_128_GCM)) {
            byte[] url = ShareUrl.buildBytes(LINK, 'c', s);
            assertEquals(ShareUrl.build(LINK, 'c', s), new String(url, StandardCharsets.UTF_8));
            try (ShareUrl p = ShareUrl.parse(url, 0)) {
                assertEquals(LINK, p.mailboxUrl());
                assertEquals('c', p.vertical());
                assertArrayEquals(s.bytes(), p.secret().bytes());
            }
            byte[] copy = url.clone();
            java.util.Arrays.fill(url, (byte) 0);         // the caller's copy can be wiped
            assertEquals(url.length, copy.length);
            try (ShareUrl p = ShareUrl.parse(copy, 0)) {  // parse did not keep a reference
                assertEquals('c', p.vertical());
            }
            assertThrows(TigressException.Url.class, () -> ShareUrl.parse(url, 0));
        }
        assertThrows(TigressException.Invalid.class, () -> ShareUrl.parse((byte[]) null, 0));
    }
}
