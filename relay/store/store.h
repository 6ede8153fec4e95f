/*
 * relay/store/store.h: the mailbox store behind tigress-relay, as the rest of the relay sees
 * it. Every call goes through this front (store.c), which checks the arguments and clears the
 * outputs once and then hands the call to the backend (store_backend.h); the relay never
 * knows which backend runs.
 *
 * Every operation is one atomic step: access checks, first-claim binding, duplicate-request
 * detection and the write happen together, so several relay threads (or, with a shared
 * backend, several relay processes) can never both bind a mailbox or both apply a request.
 * The HTTP layer validates syntax (UUIDs, JSON shape, limits) before calling the store; the
 * store decides everything that depends on stored state.
 *
 * Privacy (docs/protocol.md D12): the store keeps what the protocol needs and nothing else:
 * no IP addresses, no timestamps of reads, nothing that links two mailboxes.
 *
 * Threading: every function may be called from any thread concurrently.
 * Strings passed in are borrowed for the call; strings returned in structs are owned by the
 * struct and released with the matching *_clear() function (store_types.h).
 * A NULL argument that an operation needs makes it fail (STORE_ERROR, 0 or -1) without
 * reaching the backend; outputs (*out, dup->body) are cleared first whatever the outcome.
 */
#ifndef TIGRESS_RELAY_STORE_H
#define TIGRESS_RELAY_STORE_H

#include "store_types.h"

/* Opens the backend that cfg->location names (redis:// or rediss:// -> Redis when built in,
 * else SQLite).
 * On failure returns NULL and writes a reason (no secrets) to err. On success err may hold a
 * warning (Redis unreachable at start: the store opens anyway and its calls answer
 * STORE_UNAVAILABLE until the server answers); callers start with err[0] == '\0'. */
store *store_open(const store_config *cfg, char *err, size_t err_len);

/* Closes the store (the SQLite writer drains its queue first). NULL is a no-op. */
void store_close(store *s);

/* Creates a mailbox and remembers (claim, request_id) -> response_body.
 * STORE_DUPLICATE when request_id is the last one processed for this claim: then *dup holds
 * the original body and nothing is created. */
store_rc store_create(store *s, const store_new_mailbox *mb, const char *request_id,
                      const char *response_body, store_reply *dup);

/* The answer a repeated Create would get, without creating anything: STORE_DUPLICATE with the
 * original body in *dup when request_id is the last one processed for `claim` (the match
 * store_create makes), STORE_NOT_FOUND when it is not (a Create would make a mailbox). The
 * relay asks this when the per-address quota refuses a Create: a replay creates nothing, so
 * the quota must not refuse it (docs/protocol.md D8, R11). Bodies are not compared (D2). */
store_rc store_replay(store *s, const char *claim, const char *request_id, store_reply *dup);

/* ReadSecureContent. Binds `claim` as Recipient when none is bound and it is not the
 * Initiator's (one atomic conditional update: of racing readers exactly one wins).
 * If recipient_token_json is not NULL and the caller is (or becomes) the Recipient, it is
 * stored as the Recipient's token. Needs right R for either party.
 * NOT_FOUND when missing or expires_at <= now; UNAUTHORIZED for any other claim. */
store_rc store_read(store *s, const char *id, const char *claim,
                    const char *recipient_token_json, int64_t now, store_mailbox *out);

/* Public preview: display information and expiry only. Never binds, never writes. */
store_rc store_peek(store *s, const char *id, int64_t now, store_mailbox *out);

/* UpdateMailbox: replaces the payload, bumps version, and stores the caller's token when
 * token_json is not NULL. Needs right W; claim must be Initiator or bound Recipient.
 * Duplicate handling as for create (request_id may be NULL: no duplicate detection).
 * On STORE_OK *out describes the mailbox after the update (for push and long-poll). */
store_rc store_update(store *s, const char *id, const char *claim, const char *request_id,
                      const char *payload_json, const char *token_json,
                      const char *response_body, int64_t now, store_reply *dup,
                      store_mailbox *out);

/* DeleteMailbox: needs right D; Initiator or bound Recipient. No duplicate handling
 * (a repeated delete finds nothing: NOT_FOUND). */
store_rc store_remove(store *s, const char *id, const char *claim, int64_t now);

/* RelinquishMailbox: only the bound Recipient; clears the binding and its token.
 * STORE_UNAUTHORIZED for another claim (including the Initiator), STORE_CONFLICT when no
 * Recipient is bound. Duplicate handling as for update. */
store_rc store_relinquish(store *s, const char *id, const char *claim, const char *request_id,
                          const char *response_body, int64_t now, store_reply *dup);

/* A push service answered that `party`'s token (its subscription) is gone (404/410): clears
 * that party's token, but only while the mailbox still holds exactly token_json (the party may
 * have sent a new token since). No access check: the relay itself asks, from the push worker.
 * STORE_OK when cleared; STORE_NOT_FOUND when there was nothing to clear (mailbox gone, or
 * another token); party must be STORE_PARTY_INITIATOR or STORE_PARTY_RECIPIENT. */
store_rc store_drop_token(store *s, const char *id, store_party party, const char *token_json);

/* Current version of a live mailbox (0 when missing or expired), without access checks:
 * used only after an authorised read, to decide whether a long-poll must keep waiting.
 * A backend that can tell returns UINT64_MAX when the store cannot answer (Redis down):
 * the long-poll recheck then stops asking and answers its waiters (503). */
uint64_t store_version(store *s, const char *id, int64_t now);

/* Deletes mailboxes with expires_at <= now (and their duplicate-detection rows).
 * Returns how many mailboxes were removed, or -1 on error. */
long store_sweep(store *s, int64_t now);

/* Number of live mailboxes (for /metrics and /healthz), or -1 on error. */
long store_count(store *s);

/* ---- Several relay processes on one store ------------------------------------------------ */

/* True when other relay processes may share this store (Redis): it then carries change
 * notices and the shared rate limit below. False for SQLite, where those are no-ops. */
bool store_is_shared(const store *s);

/* Tells the other processes sharing the store that mailbox `id` changed (best effort:
 * a lost notice only delays a long-poll answer until the waiter's version recheck). */
void store_publish(store *s, const char *id);

/* Starts delivering other processes' notices: changed(id, arg) from a backend thread.
 * changed(NULL, arg) means "notices may have been missed" (after a reconnect): recheck
 * every waiter. Notices this process published are not delivered back.
 * 0 when subscribed, 1 when the store is not shared (nothing to subscribe to), -1 on
 * failure. */
int store_subscribe(store *s, void (*changed)(const char *id, void *arg), void *arg);

/* A secret shared by every process on this store, for keyed hashes of client addresses
 * (rotates daily; out receives 32 bytes). 0 on success, -1 when unavailable or not shared. */
int store_shared_key(store *s, unsigned char out[32]);

/* Shared token bucket for one client, named by `key` (1 to 32 bytes: a keyed hash of its
 * address made by the caller; the raw address never reaches the store). The bucket expires
 * once full again. Returns 0 when allowed, else the seconds to wait (>= 1); -1 when the store
 * cannot answer or is not shared (the caller then falls back to its in-memory limiter). */
long store_rate_take(store *s, const unsigned char *key, size_t key_len, double rate,
                     double burst);

/* ---- Asynchronous writes (store_async, store_types.h) ------------------------------------ */

/* Runs `job`: through the backend's queue when it has one (returns true: done(job) will be
 * called exactly once, later or from another thread), else with the blocking op (returns
 * false: the results are in job already and done() is never called). A job whose arguments
 * are incomplete is refused at once (false, rc STORE_ERROR). */
bool store_submit(store *s, store_async *job);

/* Runs `job` with the blocking op on the calling thread (done() is not called). */
void store_run(store *s, store_async *job);

#endif /* TIGRESS_RELAY_STORE_H */
