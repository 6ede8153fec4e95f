/*
 * conformance/checks.c: the table of checks, in the order they run. An ID is the tag of a
 * relay requirement of docs/requirements.md, or X-<name> for an extension of this project
 * (docs/protocol.md D9, D10, D11).
 */
#include "checks.h"

const conf_check conf_checks[] = {
    {"R1", "a plain-HTTP request to the relay's port gets no API answer", 0, check_R1},
    {"R3", "a Create without the /v1 version prefix makes no mailbox", 0, check_R3},
    {"R4", "Create answers 200 JSON with urlLink and a boolean push flag", 0, check_R4},
    {"R5", "the relay makes the mailbox id: a fresh v4 UUID, a body id ignored", 0, check_R5},
    {"R6", "urlLink is https on the relay's host with the path /v1/m/{id}", 0, check_R6},
    {"R7", "Create with bad JSON or a missing member is 400 and stores nothing", 0, check_R7},
    {"R8", "Create with a missing or malformed Device Claim is 401", 0, check_R8},
    {"R9", "a Create with an attestation is accepted, or refused by policy with 401", 0, check_R9},
    {"R10", "every response echoes Mailbox-Request-ID, errors included", 0, check_R10},
    {"R11", "a repeated Create answers 201 with the original body", 0, check_R11},
    {"R12", "a repeated Update answers 201 and does not write again", 0, check_R12},
    {"R13", "a repeated Relinquish answers 201 and changes nothing", 0, check_R13},
    {"R14", "duplicate detection is per Device Claim", 0, check_R14},
    {"R15", "Create without configuration gets rights RD and an expiration", 0, check_R15},
    {"R16", "access rights R, W and D are enforced for both parties (401)", 0, check_R16},
    {"R17", "expiration YYYY-MM-DDThh:mm:ssZ is accepted, a malformed one is 400", 0, check_R17},
    {"R18", "after its expiration a mailbox answers 404 everywhere", 1, check_R18},
    {"R19", "a secure read returns payload, display information and expiration", 0, check_R19},
    {"R20", "first secure read binds the reader (one winner of a race)", 0, check_R20},
    {"R21", "a third claim is refused on read, update, delete, relinquish", 0, check_R21},
    {"R22", "the Initiator reads, updates and deletes before and after binding", 0, check_R22},
    {"R23", "an Update by either party answers 200 and replaces the payload", 0, check_R23},
    {"R24", "Update errors: unknown claim 401, unknown mailbox 404, bad body 400", 0, check_R24},
    {"R25", "back-to-back Updates by one party are accepted", 0, check_R25},
    {"R26", "many round trips within the lifetime", 0, check_R26},
    {"R27", "Delete by either party is 200, then everything is 404", 0, check_R27},
    {"R28", "Delete with a wrong claim is 401 and the mailbox survives", 0, check_R28},
    {"R29", "the preview needs no claim: text/html with OpenGraph tags, never binds", 0,
     check_R29},
    {"R30", "the preview of an unknown id is 404", 0, check_R30},
    {"R31", "the preview runs no script: no <script>, a CSP that forbids scripts", 0, check_R31},
    {"R32", "Relinquish by the Recipient lets another claim bind", 0, check_R32},
    {"R33", "Relinquish by the Initiator, an unbound claim or nobody bound is 401", 0,
     check_R33},
    {"R34", "opaque random data and unknown payload types are stored unchanged", 0, check_R34},
    {"R39", "isPushNotificationSupported is false without a token or backend", 0, check_R39},
    {"R40", "JSON and HTML content types, UTF-8 text", 0, check_R40},
    {"R41", "the preview and the secure read need no Mailbox-Request-ID", 0, check_R41},
    {"R42", "a request body over the limit (1 MiB sent) is 413", 0, check_R42},
    {"X-longpoll", "ETag, If-None-Match 304, Prefer: wait holds the read", 0, check_X_longpoll},
    {"X-preview-escaping", "the preview escapes & < > \" ' and sends the security headers", 0,
     check_X_preview_escaping},
    {"X-push-advertised", "isPushNotificationSupported is a boolean on Create and Update", 0,
     check_X_push_advertised},
};

const size_t conf_n_checks = sizeof conf_checks / sizeof conf_checks[0];
