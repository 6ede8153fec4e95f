/*
 * relay/json_text.c: JSON text the relay writes or keeps without building cJSON trees.
 *
 * A Create used to parse the body with cJSON, then print the payload and the display
 * information again (cJSON copies and cJSON_PrintUnformatted: about 12,000 of its 147,000
 * instructions). What is stored must stay byte for byte what that printing gave (R19;
 * docs/protocol.md §2.6), so both helpers here reproduce cJSON 1.7's unformatted output
 * exactly:
 *
 *  - json_put_quoted() writes a string the way cJSON's print_string_ptr does: '"' and '\\'
 *    escaped, \b \f \n \r \t by their short forms, other bytes below 0x20 as \u00xx (lower
 *    case hex), every other byte (UTF-8 included) as is.
 *  - json_compact_member() finds the text of a member in a body cJSON has already accepted and
 *    says whether that text is what cJSON would print for it. It is conservative: whitespace,
 *    numbers (cJSON re-formats them), \u and \/ escapes (cJSON prints the decoded byte), raw
 *    control bytes (cJSON escapes them) or a key it cannot compare without decoding (an escape
 *    or a control byte in it) all make it answer false, and the caller prints with cJSON as
 *    before. Only text that would come back unchanged is ever kept as sent.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "relay.h"

/* A byte cJSON prints inside a string as it is (no escape). */
static bool plain(unsigned char c)
{
    return c >= 0x20 && c != '"' && c != '\\';
}

/* The escape cJSON writes for byte c after its backslash, or 0 for a \u00xx escape. */
static char short_escape(unsigned char c)
{
    switch (c) {
    case '"': return '"';
    case '\\': return '\\';
    case '\b': return 'b';
    case '\f': return 'f';
    case '\n': return 'n';
    case '\r': return 'r';
    case '\t': return 't';
    default: return 0;
    }
}

size_t json_quoted_len(const char *s)
{
    size_t n = 2;
    for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++) {
        if (plain(*p))
            n += 1;
        else
            n += short_escape(*p) != 0 ? 2 : 6;
    }
    return n;
}

char *json_put_quoted(char *out, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    *out++ = '"';
    for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++) {
        if (plain(*p)) {
            *out++ = (char)*p;
            continue;
        }
        char e = short_escape(*p);
        *out++ = '\\';
        if (e != 0) {
            *out++ = e;
        } else {
            *out++ = 'u';
            *out++ = '0';
            *out++ = '0';
            *out++ = hex[*p >> 4];
            *out++ = hex[*p & 15];
        }
    }
    *out++ = '"';
    return out;
}

char *json_string_object(const char *const *keys, const char *const *vals, size_t n)
{
    size_t len = 2;                                    /* {} */
    for (size_t i = 0; i < n; i++)
        len += json_quoted_len(keys[i]) + 1 + json_quoted_len(vals[i]) + (i > 0);
    char *text = malloc(len + 1);
    if (text == NULL)
        return NULL;
    char *w = text;
    *w++ = '{';
    for (size_t i = 0; i < n; i++) {
        if (i > 0)
            *w++ = ',';
        w = json_put_quoted(w, keys[i]);
        *w++ = ':';
        w = json_put_quoted(w, vals[i]);
    }
    *w++ = '}';
    *w = '\0';
    return text;
}

/* A cursor over text cJSON accepted; compact turns false at the first byte cJSON would print
 * differently. */
typedef struct scan {
    const char *p, *end;
    bool compact;
} scan;

/* cJSON skips every byte up to 0x20 between tokens; it prints none of them. */
static void skip_space(scan *s)
{
    while (s->p < s->end && (unsigned char)*s->p <= 0x20) {
        s->compact = false;
        s->p++;
    }
}

/* True when none of the 8 bytes at p needs a look: no '"', no '\\', none below 0x20. Each
 * test is the exact "has a byte below n" word trick ((v - n*ones) & ~v & highs; a borrow can
 * only flag bytes above one that really is below n). Payload data is long base64 strings;
 * byte by byte this scan cost 10 instructions a byte. */
static bool plain8(const char *p)
{
    const uint64_t ones = 0x0101010101010101ULL, highs = 0x8080808080808080ULL;
    uint64_t v;
    memcpy(&v, p, sizeof v);
    uint64_t q = v ^ (ones * '"'), b = v ^ (ones * '\\');
    return ((((q - ones) & ~q) | ((b - ones) & ~b) | ((v - ones * 0x20) & ~v)) & highs) == 0;
}

/* At an opening quote: moves past the closing one. False when the string is unterminated.
 * *verbatim: the raw bytes are the decoded string (no backslash, no control byte: cJSON keeps a
 * raw NUL, which ends its C string early). The cursor lives in a local: through s every byte
 * read might alias it (char access). */
static bool skip_string(scan *s, bool *verbatim)
{
    const char *p = s->p + 1, *end = s->end;
    *verbatim = true;
    for (;;) {
        while (end - p >= 8 && plain8(p))
            p += 8;
        while (p < end && plain((unsigned char)*p))
            p++;
        if (p == end)
            return false;
        unsigned char c = (unsigned char)*p++;
        if (c == '"') {
            s->p = p;
            return true;
        }
        *verbatim = false;
        if (c < 0x20) {
            s->compact = false;        /* printed as an escape */
            continue;
        }
        /* a backslash */
        if (p == end)
            return false;
        if (*p == 'u' || *p == '/')
            s->compact = false;        /* printed decoded */
        p++;
    }
}

/* Outside strings only these bytes print as they came: the structure and the letters of
 * true, false and null. Anything else there is whitespace or part of a number. */
static bool prints_as_is(char c)
{
    return c != '\0' && strchr("{}[],:truefalsn", c) != NULL;
}

/* Skips one value, any nesting, and stops after it. False at the end of the text. */
static bool skip_value(scan *s)
{
    size_t depth = 0;
    bool verbatim;
    while (s->p < s->end) {
        char c = *s->p;
        if (c == '"') {
            if (!skip_string(s, &verbatim))
                return false;
        } else if (depth == 0 && (c == ',' || c == '}' || c == ']' || (unsigned char)c <= 0x20)) {
            return true;                            /* just after a number or a literal */
        } else {
            if (c == '{' || c == '[')
                depth++;
            else if (c == '}' || c == ']')
                depth--;
            else if (!prints_as_is(c))
                s->compact = false;
            s->p++;
        }
        if (depth == 0 && (c == '"' || c == '}' || c == ']'))
            return true;                            /* a string or a container ended */
    }
    return false;
}

/* At a key: its raw text, and whether that is the key cJSON decodes (see skip_string). */
static bool read_key(scan *s, const char **key, size_t *key_len, bool *verbatim)
{
    if (s->p == s->end || *s->p != '"')
        return false;
    *key = s->p + 1;
    if (!skip_string(s, verbatim))
        return false;
    *key_len = (size_t)(s->p - *key) - 1;
    skip_space(s);
    if (s->p == s->end || *s->p != ':')
        return false;
    s->p++;
    skip_space(s);
    return true;
}

bool json_compact_member(const char *body, size_t len, const char *name, const char **val,
                         size_t *val_len)
{
    scan s = {body, body + len, true};
    size_t name_len = strlen(name);
    skip_space(&s);
    if (s.p == s.end || *s.p++ != '{')
        return false;
    for (;;) {
        const char *key;
        size_t key_len;
        bool verbatim;
        skip_space(&s);
        if (!read_key(&s, &key, &key_len, &verbatim) || !verbatim)
            return false;   /* it might decode to name ("p\u0061yload", "payload\0x"): cJSON
                             * would take it, and the member after it is another one */
        const char *start = s.p;
        s.compact = true;
        if (!skip_value(&s) || s.p == start)
            return false;
        if (key_len == name_len && memcmp(key, name, name_len) == 0) {
            *val = start;
            *val_len = (size_t)(s.p - start);
            return s.compact;
        }
        skip_space(&s);
        if (s.p == s.end || *s.p++ != ',')
            return false;   /* '}': no such member */
    }
}
