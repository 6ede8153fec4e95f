/* Text for a terminal. Titles, descriptions, formats, image URLs, TxInfo types and preview tags
 * come from the other side of a transfer (or from the relay): printed raw, an ESC sequence in
 * one could set the terminal's title, clear the screen or recolour what follows, a newline could
 * forge a line such as "State: COMPLETED", and a bidi control could make text read backwards.
 * Every "Label: value" line of the text output goes through cli_text_escape(); --json output
 * goes through cli_json_write_string(), which keeps every character exact and only replaces
 * bytes that are not UTF-8 (a peer's ciphertext can decrypt to anything), since a JSON text
 * must be UTF-8 and a script's parser would refuse the whole object. */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Length of the valid UTF-8 sequence at p (2-4) with its code point in *cp, or 0 when the bytes
 * at p are not one (stray continuation byte, truncated, overlong, surrogate, above U+10FFFF). */
static size_t utf8_decode(const unsigned char *p, uint32_t *cp)
{
    size_t n;
    uint32_t c, min;
    if (p[0] >= 0xc2 && p[0] <= 0xdf) {
        n = 2, c = p[0] & 0x1fu, min = 0x80;
    } else if (p[0] >= 0xe0 && p[0] <= 0xef) {
        n = 3, c = p[0] & 0x0fu, min = 0x800;
    } else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
        n = 4, c = p[0] & 0x07u, min = 0x10000;
    } else {
        return 0;
    }
    for (size_t i = 1; i < n; i++) {
        if ((p[i] & 0xc0) != 0x80) /* also stops at the terminating NUL */
            return 0;
        c = (c << 6) | (p[i] & 0x3fu);
    }
    if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
        return 0;
    *cp = c;
    return n;
}

/* Code points above U+007F that are escaped: C1 controls (U+0080-U+009F, whose UTF-8 forms some
 * terminals obey), the bidi controls, and the line and paragraph separators. */
static int escaped_cp(uint32_t c)
{
    return (c >= 0x80 && c <= 0x9f) || c == 0x061c || c == 0x200e || c == 0x200f ||
           (c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069) || c == 0x2028 ||
           c == 0x2029;
}

char *cli_text_escape(const char *s)
{
    static const char hex[] = "0123456789abcdef";
    if (s == NULL)
        return NULL;
    size_t len = strlen(s);
    /* worst case: every byte becomes \xHH (a 2-byte C1 character becomes \u0080: 6 for 2) */
    char *out = malloc(4 * len + 1);
    if (out == NULL)
        return NULL;
    char *w = out;
    const unsigned char *p = (const unsigned char *)s;
    while (*p != '\0') {
        uint32_t cp = 0;
        size_t n;
        if (*p >= 0x20 && *p < 0x7f) {
            *w++ = (char)*p++;
        } else if (*p == '\n' || *p == '\r' || *p == '\t') {
            *w++ = '\\';
            *w++ = *p == '\n' ? 'n' : *p == '\r' ? 'r' : 't';
            p++;
        } else if (*p >= 0x80 && (n = utf8_decode(p, &cp)) > 0) {
            if (escaped_cp(cp)) {
                *w++ = '\\';
                *w++ = 'u';
                for (int shift = 12; shift >= 0; shift -= 4)
                    *w++ = hex[(cp >> shift) & 15];
            } else {
                memcpy(w, p, n);
                w += n;
            }
            p += n;
        } else { /* other C0 controls, DEL, and bytes that are not valid UTF-8: one by one */
            *w++ = '\\';
            *w++ = 'x';
            *w++ = hex[*p >> 4];
            *w++ = hex[*p & 15];
            p++;
        }
    }
    *w = '\0';
    return out;
}

void cli_json_write_string(FILE *f, const char *s)
{
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++) {
        uint32_t cp;
        size_t n;
        switch (*p) {
        case '"': fputs("\\\"", f); break;
        case '\\': fputs("\\\\", f); break;
        case '\n': fputs("\\n", f); break;
        case '\r': fputs("\\r", f); break;
        case '\t': fputs("\\t", f); break;
        default:
            if (*p < 0x20) {
                fprintf(f, "\\u%04x", *p);
            } else if (*p < 0x80) {
                fputc(*p, f);
            } else if ((n = utf8_decode(p, &cp)) > 0) {
                fwrite(p, 1, n, f);
                p += n - 1;
            } else {
                fputs("\\ufffd", f); /* one per byte that is not part of a UTF-8 character */
            }
        }
    }
    fputc('"', f);
}
