/*
 * The transfer state machine, as two explicit tables that mirror the one in
 * include/tigress/transfer.h: which operation may run in which state for which role (checked
 * before any network traffic), and which event moves which state where.
 */
#include <time.h>

#include "transfer_internal.h"

#define S_BIT(st) (1u << (unsigned)(st))
#define S(x) S_BIT(TIGRESS_STATE_##x)
#define ANY_MODE (-1)

/* One row: op may run for role in any state of states_mask; mode -1 any, 0 stateless only,
 * 1 stateful only. */
typedef struct op_rule {
    tigress__op op;
    tigress_role role;
    unsigned int states_mask;
    int mode;
} op_rule;

static const op_rule op_rules[] = {
    { TIGRESS__OP_UPDATE,     TIGRESS_ROLE_RECIPIENT, S(REDEEMED), 1 },
    { TIGRESS__OP_APPROVE,    TIGRESS_ROLE_INITIATOR, S(TXINFO_RECEIVED), 1 },
    { TIGRESS__OP_POLL,       TIGRESS_ROLE_INITIATOR, S(CREATED) | S(WAITING_FOR_PEER), ANY_MODE },
    { TIGRESS__OP_POLL,       TIGRESS_ROLE_RECIPIENT, S(REDEEMED) | S(WAITING_FOR_PEER), ANY_MODE },
    { TIGRESS__OP_REVOKE,     TIGRESS_ROLE_INITIATOR,
      S(CREATED) | S(TXINFO_RECEIVED) | S(WAITING_FOR_PEER), ANY_MODE },
    { TIGRESS__OP_RELINQUISH, TIGRESS_ROLE_RECIPIENT, S(REDEEMED) | S(WAITING_FOR_PEER), ANY_MODE },
    { TIGRESS__OP_COMPLETE,   TIGRESS_ROLE_RECIPIENT, S(REDEEMED), 0 },
    { TIGRESS__OP_COMPLETE,   TIGRESS_ROLE_RECIPIENT, S(SIGNED), 1 },
};

/* One row: event moves role from any state of from_mask to state to. */
typedef struct ev_rule {
    tigress__event ev;
    tigress_role role; /* 0: both */
    unsigned int from_mask;
    tigress_state to;
} ev_rule;

#define NON_FINAL (S(CREATED) | S(REDEEMED) | S(WAITING_FOR_PEER) | S(TXINFO_RECEIVED) | S(SIGNED))

static const ev_rule ev_rules[] = {
    { TIGRESS__EV_TXINFO,       TIGRESS_ROLE_INITIATOR, S(CREATED), TIGRESS_STATE_TXINFO_RECEIVED },
    { TIGRESS__EV_APPROVED,     TIGRESS_ROLE_INITIATOR, S(TXINFO_RECEIVED),
      TIGRESS_STATE_WAITING_FOR_PEER },
    { TIGRESS__EV_GONE,         TIGRESS_ROLE_INITIATOR, S(CREATED) | S(WAITING_FOR_PEER),
      TIGRESS_STATE_COMPLETED },
    { TIGRESS__EV_UPDATED,      TIGRESS_ROLE_RECIPIENT, S(REDEEMED), TIGRESS_STATE_WAITING_FOR_PEER },
    { TIGRESS__EV_SIGNED,       TIGRESS_ROLE_RECIPIENT, S(WAITING_FOR_PEER), TIGRESS_STATE_SIGNED },
    { TIGRESS__EV_COMPLETED,    TIGRESS_ROLE_RECIPIENT, S(REDEEMED) | S(SIGNED),
      TIGRESS_STATE_COMPLETED },
    { TIGRESS__EV_RELINQUISHED, TIGRESS_ROLE_RECIPIENT, S(REDEEMED) | S(WAITING_FOR_PEER),
      TIGRESS_STATE_RELINQUISHED },
    { TIGRESS__EV_GONE,         TIGRESS_ROLE_RECIPIENT, S(REDEEMED) | S(WAITING_FOR_PEER),
      TIGRESS_STATE_REVOKED },
    { TIGRESS__EV_REVOKED,      TIGRESS_ROLE_INITIATOR,
      S(CREATED) | S(TXINFO_RECEIVED) | S(WAITING_FOR_PEER), TIGRESS_STATE_REVOKED },
    { TIGRESS__EV_EXPIRED,      0, NON_FINAL, TIGRESS_STATE_EXPIRED },
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static const char *const op_names[TIGRESS__OP_COUNT_] = {
    "tigress_transfer_update", "tigress_transfer_approve", "tigress_transfer_poll/wait",
    "tigress_transfer_revoke", "tigress_transfer_relinquish", "tigress_transfer_complete",
};

const char *tigress__op_name(tigress__op op)
{
    return (unsigned)op < TIGRESS__OP_COUNT_ ? op_names[op] : "operation";
}

const char *tigress_state_name(tigress_state state)
{
    switch (state) {
    case TIGRESS_STATE_CREATED: return "CREATED";
    case TIGRESS_STATE_REDEEMED: return "REDEEMED";
    case TIGRESS_STATE_WAITING_FOR_PEER: return "WAITING_FOR_PEER";
    case TIGRESS_STATE_TXINFO_RECEIVED: return "TXINFO_RECEIVED";
    case TIGRESS_STATE_SIGNED: return "SIGNED";
    case TIGRESS_STATE_COMPLETED: return "COMPLETED";
    case TIGRESS_STATE_REVOKED: return "REVOKED";
    case TIGRESS_STATE_RELINQUISHED: return "RELINQUISHED";
    case TIGRESS_STATE_EXPIRED: return "EXPIRED";
    case TIGRESS_STATE_FAILED: return "FAILED";
    }
    return "UNKNOWN";
}

bool tigress__state_is_final(tigress_state s)
{
    return s == TIGRESS_STATE_COMPLETED || s == TIGRESS_STATE_REVOKED ||
           s == TIGRESS_STATE_RELINQUISHED || s == TIGRESS_STATE_EXPIRED ||
           s == TIGRESS_STATE_FAILED;
}

bool tigress__transfer_expired(const tigress_transfer *t)
{
    /* Wall-clock seconds, like the relay's expiration. */
    return (int64_t)time(NULL) >= t->expires_at;
}

static bool op_allowed(const tigress_transfer *t, tigress__op op)
{
    for (size_t i = 0; i < COUNT(op_rules); i++) {
        const op_rule *r = &op_rules[i];

        if (r->op != op || r->role != t->role || !(r->states_mask & S_BIT(t->state)))
            continue;
        /* An unknown flow (docs/protocol.md §6) admits the operations of both. */
        if (r->mode == ANY_MODE || t->flow_unknown || r->mode == (t->stateful ? 1 : 0))
            return true;
    }
    return false;
}

tigress_status tigress__state_check(tigress_transfer *t, tigress__op op)
{
    if (t->state == TIGRESS_STATE_EXPIRED ||
        (!tigress__state_is_final(t->state) && tigress__transfer_expired(t))) {
        if (t->state != TIGRESS_STATE_EXPIRED)
            (void)tigress__state_apply(t, TIGRESS__EV_EXPIRED);
        return tigress__client_fail(t->client, TIGRESS_E_EXPIRED, "%s: the transfer has expired",
                                    tigress__op_name(op));
    }
    if (!op_allowed(t, op))
        return tigress__client_fail(t->client, TIGRESS_E_STATE,
                                    "%s is not allowed for the %s of a %s transfer in state %s",
                                    tigress__op_name(op),
                                    t->role == TIGRESS_ROLE_INITIATOR ? "Initiator" : "Recipient",
                                    t->flow_unknown ? "unknown-flow"
                                    : t->stateful ? "stateful" : "stateless",
                                    tigress_state_name(t->state));
    return TIGRESS_OK;
}

tigress_status tigress__state_apply(tigress_transfer *t, tigress__event ev)
{
    for (size_t i = 0; i < COUNT(ev_rules); i++) {
        const ev_rule *r = &ev_rules[i];

        if (r->ev == ev && (r->role == 0 || r->role == t->role) &&
            (r->from_mask & S_BIT(t->state))) {
            t->state = r->to;
            return TIGRESS_OK;
        }
    }
    return tigress__client_fail(t->client, TIGRESS_E_INTERNAL,
                                "internal error: no transition for event %d from state %s",
                                (int)ev, tigress_state_name(t->state));
}

tigress_status tigress__state_on_gone(tigress_transfer *t, bool *expired)
{
    tigress__error_slot *slot;

    *expired = false;
    if (!tigress__transfer_expired(t))
        return TIGRESS_OK;
    /* A 404 once the expiration has passed: the relay swept it (404, never 410). */
    *expired = true;
    (void)tigress__state_apply(t, TIGRESS__EV_EXPIRED);
    tigress__client_fail(t->client, TIGRESS_E_EXPIRED, "the transfer has expired");
    slot = tigress__client_error(t->client);
    slot->pub.http_status = 404;
    return TIGRESS_E_EXPIRED;
}
