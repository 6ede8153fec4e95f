/*
 * relay/validate.c: syntax checks on request bodies before anything reaches the store.
 *
 * The relay stores the JSON members it was given (compact form), so what a reader gets back is
 * what the writer sent (R19): the payload's own text when that is already what cJSON would
 * print, else cJSON's print of it; display information and tokens written the way cJSON would
 * (json_text.c). Limits (docs/protocol.md D8): display strings at most 256 bytes,
 * URL-shaped fields https only, expiration RFC 3339 UTC, not in the past and at most max_expiry
 * ahead.
 * Decision: an empty imageURL is allowed and means "no image" (the preview then omits og:image);
 * any non-empty imageURL must be an https:// URL.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cjson/cJSON.h>

#include "../common/calendar.h"
#include "relay.h"

#define DISPLAY_MAX 256
#define TYPE_MAX 63
#define TOKEN_DATA_MAX 4096

/* Every request checks one or two UUIDs: a comparison per character instead of isxdigit's
 * locale table lookup (a function call per character). */
static bool is_hex_digit(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

bool relay_is_uuid(const char *s)
{
    if (s == NULL)
        return false;
    for (int i = 0; i < 36; i++) {
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (s[i] != '-')
                return false;
        } else if (!is_hex_digit(s[i])) {
            return false; /* also stops at the NUL of a shorter string */
        }
    }
    return s[36] == '\0';
}

void relay_lower_uuid(const char *in, char out[37])
{
    for (int i = 0; i < 36; i++)
        out[i] = in[i] >= 'A' && in[i] <= 'F' ? (char)(in[i] - 'A' + 'a') : in[i]; /* a UUID */
    out[36] = '\0';
}

/* True when none of the 8 bytes at s has its top bit set (all ASCII). */
static bool ascii8(const unsigned char *s)
{
    uint64_t w;
    memcpy(&w, s, sizeof w);
    return (w & 0x8080808080808080ULL) == 0;
}

bool relay_utf8_valid(const char *str, size_t len)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t i = 0;
    while (i < len) {
        /* Eight ASCII bytes at a time: request bodies are mostly ASCII (base64 payloads), and
         * byte by byte this loop was a tenth of a Create's validation. */
        while (len - i >= 8 && ascii8(s + i))
            i += 8;
        if (i == len)
            break;
        unsigned c = s[i];
        size_t n;
        unsigned cp;
        if (c < 0x80) { i++; continue; }
        else if ((c & 0xE0) == 0xC0) { n = 1; cp = c & 0x1F; }
        else if ((c & 0xF0) == 0xE0) { n = 2; cp = c & 0x0F; }
        else if ((c & 0xF8) == 0xF0) { n = 3; cp = c & 0x07; }
        else return false;
        if (len - i < n + 1)
            return false;
        for (size_t k = 1; k <= n; k++) {
            if ((s[i + k] & 0xC0) != 0x80)
                return false;
            cp = (cp << 6) | (s[i + k] & 0x3F);
        }
        /* Overlong forms, surrogates and values past U+10FFFF are not UTF-8. */
        if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
            cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return false;
        i += n + 1;
    }
    return true;
}

/* RFC 9110 tchar. */
static bool is_tchar(char ch)
{
    return isalnum((unsigned char)ch) || (ch != '\0' && strchr("!#$%&'*+-.^_`|~", ch) != NULL);
}

static const char *skip_ows(const char *p)
{
    while (*p == ' ' || *p == '\t')
        p++;
    return p;
}

/* Skips a quoted-string starting at the opening quote; returns the character after the closing
 * one (or the end of the string when it is unterminated). */
static const char *skip_quoted(const char *p)
{
    for (p++; *p != '\0' && *p != '"'; p++)
        if (*p == '\\' && p[1] != '\0')
            p++;
    return *p == '"' ? p + 1 : p;
}

long relay_prefer_wait(const char *prefer)
{
    const char *p = prefer;
    if (p == NULL)
        return 0;
    while (*p != '\0') {
        p = skip_ows(p);
        const char *name = p;
        while (is_tchar(*p))
            p++;
        size_t name_len = (size_t)(p - name);
        const char *value = NULL;
        size_t value_len = 0;
        p = skip_ows(p);
        if (*p == '=') {
            p = skip_ows(p + 1);
            value = p;
            if (*p == '"') {
                p = skip_quoted(p);
            } else {
                while (is_tchar(*p))
                    p++;
            }
            value_len = (size_t)(p - value);
        }
        /* Parameters (after ';') and anything malformed up to the next ',' are ignored. */
        while (*p != '\0' && *p != ',')
            p = *p == '"' ? skip_quoted(p) : p + 1;
        if (*p == ',')
            p++;
        if (name_len != 4 || strncasecmp(name, "wait", 4) != 0)
            continue;
        /* The first "wait" decides (RFC 7240: the first occurrence of a preference wins);
         * its value is delta-seconds, 1*DIGIT. */
        if (value == NULL || value_len == 0)
            return 0;
        long v = 0;
        for (size_t i = 0; i < value_len; i++) {
            if (!isdigit((unsigned char)value[i]))
                return 0;
            v = v < 100000000L ? v * 10 + (value[i] - '0') : 1000000000L;   /* saturates */
        }
        return v;
    }
    return 0;
}

bool relay_parse_rfc3339(const char *s, int64_t *out)
{
    size_t len = strlen(s);
    if (len < 20 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':')
        return false;
    int y = cal_fixed_digits(s, 4), mo = cal_fixed_digits(s + 5, 2);
    int d = cal_fixed_digits(s + 8, 2), h = cal_fixed_digits(s + 11, 2);
    int mi = cal_fixed_digits(s + 14, 2), se = cal_fixed_digits(s + 17, 2);
    if (y < 1970 || mo < 1 || mo > 12 || d < 1 || h < 0 || h > 23 || mi < 0 || mi > 59 ||
        se < 0 || se > 59 || (unsigned)d > cal_days_in_month(y, (unsigned)mo))
        return false;
    size_t i = 19;
    if (s[i] == '.') {       /* fractional seconds are allowed by RFC 3339; truncated */
        i++;
        size_t start = i;
        while (isdigit((unsigned char)s[i]))
            i++;
        if (i == start || i - start > 9)
            return false;
    }
    if (s[i] != 'Z' || s[i + 1] != '\0')
        return false;
    *out = cal_days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 + h * 3600 + mi * 60 + se;
    return true;
}

void relay_format_rfc3339(int64_t t, char out[21])
{
    int64_t days, secs, y;
    unsigned m, d;
    cal_split_time(t, &days, &secs);
    cal_civil_from_days(days, &y, &m, &d);
    if (y < 0 || y > 9999)
        y = y < 0 ? 0 : 9999;
    /* Digits by hand: every secure read formats its expiry, and snprintf's format parsing
     * cost more than the rest of this function. Layout: YYYY-MM-DDTHH:MM:SSZ. */
    const unsigned two[6] = {(unsigned)y / 100, (unsigned)y % 100, m % 100, d % 100,
                             (unsigned)(secs / 3600), (unsigned)(secs / 60 % 60)};
    const int at[6] = {0, 2, 5, 8, 11, 14};
    memcpy(out, "0000-00-00T00:00:00Z", 21);
    for (int i = 0; i < 6; i++) {
        out[at[i]] = (char)('0' + two[i] / 10);
        out[at[i] + 1] = (char)('0' + two[i] % 10);
    }
    out[17] = (char)('0' + secs % 60 / 10);
    out[18] = (char)('0' + secs % 10);
}

/* True when a JSON string in body[0..len) holds the escape \u0000. cJSON decodes it into a NUL
 * byte, so every C string it hands out would silently end there: the relay would validate and
 * store something shorter than what was sent. Called on a body cJSON accepted, so escapes are
 * well formed; a backslash escapes exactly the next character ("\\u0000" is not a NUL). */
static bool has_nul_escape(const char *body, size_t len)
{
    if (memchr(body, '\\', len) == NULL)
        return false;              /* no escapes at all (the usual body): one fast scan */
    bool in_string = false;
    for (size_t i = 0; i < len; i++) {
        char ch = body[i];
        if (!in_string) {
            in_string = ch == '"';
        } else if (ch == '"') {
            in_string = false;
        } else if (ch == '\\' && i + 1 < len) {
            if (body[i + 1] == 'u' && len - i >= 6 && memcmp(body + i + 2, "0000", 4) == 0)
                return true;
            i++;                   /* skip the escaped character */
        }
    }
    return false;
}

static cJSON *parse_object(const char *body, size_t len, const char **err)
{
    if (len == 0) {
        *err = "request body is empty";
        return NULL;
    }
    if (!relay_utf8_valid(body, len)) {
        *err = "request body is not valid UTF-8";
        return NULL;
    }
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(body, len, &end, false);
    if (root == NULL) {
        *err = "request body is not valid JSON";
        return NULL;
    }
    while (end != NULL && end < body + len && isspace((unsigned char)*end))
        end++;
    if (end == body + len && has_nul_escape(body, len)) {
        cJSON_Delete(root);
        *err = "a JSON string holds \\u0000 (NUL), which this relay does not accept";
        return NULL;
    }
    if (end != body + len || !cJSON_IsObject(root)) {
        cJSON_Delete(root);
        *err = end != body + len ? "trailing data after the JSON body" : "body must be a JSON object";
        return NULL;
    }
    return root;
}

static bool is_https_url(const char *s)
{
    if (strncmp(s, "https://", 8) != 0 || s[8] == '\0' || s[8] == '/')
        return false;
    for (const char *p = s; *p; p++)
        if ((unsigned char)*p <= 0x20 || *p == 0x7f)
            return false;
    return true;
}

/* A string member: present, a string, at most max bytes, no NUL. */
static const char *get_string(const cJSON *obj, const char *name, size_t max, const char *missing,
                              const char *too_long, const char **out)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, name);
    if (!cJSON_IsString(it) || it->valuestring == NULL)
        return missing;
    if (strlen(it->valuestring) > max)
        return too_long;
    *out = it->valuestring;
    return NULL;
}

/* The payload's own text when it is what cJSON would print for it (the usual case: clients
 * send compact JSON), else cJSON's print of it: either way the stored text is the same (R19),
 * but slicing costs a scan instead of a print. */
static char *payload_text(const cJSON *p, const char *body, size_t len)
{
    const char *val;
    size_t n;
    if (!json_compact_member(body, len, "payload", &val, &n))
        return cJSON_PrintUnformatted(p);
    char *text = malloc(n + 1);
    if (text != NULL) {
        memcpy(text, val, n);
        text[n] = '\0';
    }
    return text;
}

static const char *check_payload(const cJSON *root, const char *body, size_t len,
                                 char **payload_json)
{
    const cJSON *p = cJSON_GetObjectItemCaseSensitive(root, "payload");
    const char *s, *e;
    if (!cJSON_IsObject(p))
        return "payload (object) is required";
    if ((e = get_string(p, "type", TYPE_MAX, "payload.type (string) is required",
                        "payload.type is too long", &s)) != NULL)
        return e;
    if (s[0] == '\0')
        return "payload.type is empty";
    if ((e = get_string(p, "data", (size_t)-1, "payload.data (string) is required", "", &s)) != NULL)
        return e;
    *payload_json = payload_text(p, body, len);
    return *payload_json == NULL ? "out of memory" : NULL;
}

static const char *check_token(const cJSON *root, char **token_json, char type_out[64])
{
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(root, "notificationToken");
    const char *type, *data, *e;
    type_out[0] = '\0';
    if (t == NULL || cJSON_IsNull(t))
        return NULL;
    if (!cJSON_IsObject(t))
        return "notificationToken must be an object";
    if ((e = get_string(t, "type", TYPE_MAX, "notificationToken.type (string) is required",
                        "notificationToken.type is too long", &type)) != NULL)
        return e;
    if ((e = get_string(t, "tokenData", TOKEN_DATA_MAX,
                        "notificationToken.tokenData (string) is required",
                        "notificationToken.tokenData is too long", &data)) != NULL)
        return e;
    if (type[0] == '\0' || data[0] == '\0')
        return "notificationToken fields must not be empty";
    if (strcmp(type, "webpush") == 0 && !push_url_valid(data))
        return "webpush tokenData must be an https URL without user info, fragment, "
               "backslash or any part the relay cannot read unambiguously";
    /* Store exactly the two defined members. */
    static const char *const keys[] = {"type", "tokenData"};
    const char *const vals[] = {type, data};
    *token_json = json_string_object(keys, vals, 2);
    if (*token_json == NULL)
        return "out of memory";
    snprintf(type_out, 64, "%s", type);
    return NULL;
}

static const char *check_display(const cJSON *root, char **display_json)
{
    const cJSON *d = cJSON_GetObjectItemCaseSensitive(root, "displayInformation");
    const char *title, *desc, *img, *e;
    if (!cJSON_IsObject(d))
        return "displayInformation (object) is required";
    if ((e = get_string(d, "title", DISPLAY_MAX, "displayInformation.title (string) is required",
                        "displayInformation.title is longer than 256 bytes", &title)) != NULL)
        return e;
    if ((e = get_string(d, "description", DISPLAY_MAX,
                        "displayInformation.description (string) is required",
                        "displayInformation.description is longer than 256 bytes", &desc)) != NULL)
        return e;
    if ((e = get_string(d, "imageURL", DISPLAY_MAX,
                        "displayInformation.imageURL (string) is required",
                        "displayInformation.imageURL is longer than 256 bytes", &img)) != NULL)
        return e;
    if (img[0] != '\0' && !is_https_url(img))
        return "displayInformation.imageURL must be an https URL";
    /* Exactly the three defined members, in this order, whatever order they came in. */
    static const char *const keys[] = {"title", "description", "imageURL"};
    const char *const vals[] = {title, desc, img};
    *display_json = json_string_object(keys, vals, 3);
    return *display_json == NULL ? "out of memory" : NULL;
}

static const char *check_config(const cJSON *root, int64_t now, long max_expiry,
                                long default_expiry, create_request *out)
{
    const cJSON *c = cJSON_GetObjectItemCaseSensitive(root, "mailboxConfiguration");
    if (c == NULL || cJSON_IsNull(c)) {        /* relay default (R15) */
        strcpy(out->rights, "RD");
        out->expires_at = now + default_expiry;
        return NULL;
    }
    if (!cJSON_IsObject(c))
        return "mailboxConfiguration must be an object";
    const cJSON *r = cJSON_GetObjectItemCaseSensitive(c, "accessRights");
    if (r == NULL) {
        strcpy(out->rights, "RD");
    } else {
        if (!cJSON_IsString(r) || r->valuestring[0] == '\0')
            return "mailboxConfiguration.accessRights must be a non-empty string of R, W, D";
        bool seen[3] = {false, false, false};
        for (const char *p = r->valuestring; *p; p++) {
            const char *pos = strchr("RWD", *p);
            if (pos == NULL || seen[pos - "RWD"])
                return "mailboxConfiguration.accessRights may hold only the letters R, W, D";
            seen[pos - "RWD"] = true;
        }
        size_t n = 0;
        for (int i = 0; i < 3; i++)
            if (seen[i])
                out->rights[n++] = "RWD"[i];
        out->rights[n] = '\0';
    }
    const char *exp, *e;
    if ((e = get_string(c, "expiration", 64, "mailboxConfiguration.expiration (string) is required",
                        "mailboxConfiguration.expiration is malformed", &exp)) != NULL)
        return e;
    if (!relay_parse_rfc3339(exp, &out->expires_at))
        return "mailboxConfiguration.expiration must be RFC 3339 UTC (YYYY-MM-DDThh:mm:ssZ)";
    if (out->expires_at <= now)
        return "mailboxConfiguration.expiration is in the past";
    if (out->expires_at > now + max_expiry)
        return "mailboxConfiguration.expiration is later than this relay allows";
    return NULL;
}

const char *validate_create(const char *body, size_t len, int64_t now, long max_expiry,
                            long default_expiry, create_request *out)
{
    memset(out, 0, sizeof *out);
    const char *err = NULL;
    cJSON *root = parse_object(body, len, &err);
    if (root == NULL)
        return err;
    if ((err = check_payload(root, body, len, &out->payload_json)) == NULL &&
        (err = check_display(root, &out->display_json)) == NULL &&
        (err = check_token(root, &out->token_json, out->token_type)) == NULL)
        err = check_config(root, now, max_expiry, default_expiry, out);
    cJSON_Delete(root);
    if (err != NULL)
        create_request_clear(out);
    return err;
}

/* Every text here is malloc'd: json_text.c's directly, cJSON's through its default hooks (the
 * relay never installs others). */
void create_request_clear(create_request *r)
{
    free(r->payload_json);
    free(r->display_json);
    free(r->token_json);
    memset(r, 0, sizeof *r);
}

const char *validate_update(const char *body, size_t len, update_request *out)
{
    memset(out, 0, sizeof *out);
    const char *err = NULL;
    cJSON *root = parse_object(body, len, &err);
    if (root == NULL)
        return err;
    if ((err = check_payload(root, body, len, &out->payload_json)) == NULL)
        err = check_token(root, &out->token_json, out->token_type);
    cJSON_Delete(root);
    if (err != NULL)
        update_request_clear(out);
    return err;
}

void update_request_clear(update_request *r)
{
    free(r->payload_json);
    free(r->token_json);
    memset(r, 0, sizeof *r);
}

const char *validate_read_body(const char *body, size_t len, char **token_json)
{
    *token_json = NULL;
    size_t i = 0;
    while (i < len && isspace((unsigned char)body[i]))
        i++;
    if (i == len)
        return NULL;               /* no body: the draft's plain secure read */
    const char *err = NULL;
    char type[64];
    cJSON *root = parse_object(body, len, &err);
    if (root == NULL)
        return err;
    err = check_token(root, token_json, type);   /* other members are ignored */
    cJSON_Delete(root);
    return err;
}

void relay_token_type(const char *token_json, char out[64])
{
    out[0] = '\0';
    if (token_json == NULL)
        return;
    cJSON *t = cJSON_Parse(token_json);
    const cJSON *ty = cJSON_GetObjectItemCaseSensitive(t, "type");
    if (cJSON_IsString(ty))
        snprintf(out, 64, "%s", ty->valuestring);
    cJSON_Delete(t);
}
