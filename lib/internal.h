/*
 * Internal declarations shared between the files of libtigress. Never installed.
 * Cross-file internal functions are named tigress__*; everything else is static.
 */
#ifndef TIGRESS_INTERNAL_H
#define TIGRESS_INTERNAL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tigress.h"

#if defined(__GNUC__)
#define TIGRESS__PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define TIGRESS__PRINTF(f, a)
#endif

/* ---- memory (alloc.c): every libtigress allocation goes through the installed hooks. ----
 * The base layers, bottom up: status.c (status names, versions), error.c (error slots),
 * alloc.c (allocator, buffers), encoding.c, payload_type.c, secret.c, crypto.c; global.c
 * (init/cleanup) sits on top of them. */
void *tigress__malloc(size_t size);
void *tigress__calloc(size_t count, size_t size);
void *tigress__realloc(void *ptr, size_t size);
void tigress__free(void *ptr);
char *tigress__strdup(const char *s);            /* NULL in -> NULL out (not an error) */
char *tigress__strndup(const char *s, size_t n);
/* Wipe then free a NUL-terminated string allocated with tigress__malloc. */
void tigress__free_wiped_str(char *s);
/* Fill a tigress_buf with a copy of data (NUL-terminated). */
tigress_status tigress__buf_set(tigress_buf *buf, const void *data, size_t len);
/* Install the hooks (NULL: the C library's). Only global.c calls it, before init. */
void tigress__alloc_install(const tigress_allocator *allocator);
/* Charge one allocation to the hooks (a 1-byte malloc, freed at once): false when the hooks
 * refuse it. secmem.c calls it before every secure allocation (fault injection, accounting). */
bool tigress__alloc_probe(void);

/* ---- guarded memory for Secret material (secmem.c) ----
 * sodium_malloc blocks (guard pages, mlock'd, excluded from core dumps, wiped when freed) for
 * whatever holds a Secret longer than one call: tigress_secret, the Share URL with its
 * fragment, export blobs. Each is charged to the allocator hooks by tigress__alloc_probe(), and
 * registered, so that tigress_free() and tigress_buf_dispose() recognise them. */
/* Zeroed, aligned for any type; NULL when out of (guarded) memory. */
void *tigress__secure_alloc(size_t size);
/* NULL in -> NULL out; else a secure copy of s[0..n) plus a NUL. */
char *tigress__secure_strndup(const char *s, size_t n);
/* Wipe and free a block from tigress__secure_alloc (NULL: no-op). */
void tigress__secure_free(void *ptr);
/* Free ptr if it is a live secure block (exactly its start) and return true; else false and
 * nothing is touched. */
bool tigress__secure_release(void *ptr);
/* True when ptr points into the data of a live secure block (tests and assertions: O(n)). */
bool tigress__secure_owns(const void *ptr);
/* How many secure blocks are live (tests: leak checks, since valgrind does not see them). */
size_t tigress__secure_live(void);
/* How many released blocks are kept, wiped, for reuse (tests). */
size_t tigress__secure_idle(void);
/* Unmaps every idle block (the last tigress_global_cleanup(); no other call running). */
void tigress__secure_drain(void);

/* ---- global state (global.c) ---- */
/* True once tigress_global_init() has succeeded and not been fully cleaned up. */
bool tigress__initialized(void);

/* ---- errors (error.c) ---- */
#define TIGRESS__ERRMSG_MAX 256
typedef struct tigress__error_slot {
    tigress_error pub;                   /* pub.message points into msg */
    char msg[TIGRESS__ERRMSG_MAX];
} tigress__error_slot;

void tigress__error_clear(tigress__error_slot *slot);
/* Records code/message; returns code so callers can `return tigress__error_set(...)`.
 * The message must never contain the Secret, plaintext, or a Device Claim. */
tigress_status tigress__error_set(tigress__error_slot *slot, tigress_status code,
                                  const char *fmt, ...) TIGRESS__PRINTF(3, 4);
tigress_status tigress__error_setv(tigress__error_slot *slot, tigress_status code,
                                   const char *fmt, va_list ap) TIGRESS__PRINTF(3, 0);
/* The calling thread's slot behind tigress_error_last(). */
tigress__error_slot *tigress__error_tls(void);
/* Record code in slot as "what: <detail>", the detail being what a lower layer recorded in the
 * thread-local slot for that code (else tigress_strerror(code)). Returns code. */
tigress_status tigress__error_from_last(tigress__error_slot *slot, tigress_status code,
                                        const char *what);
/* Shorthand: record in the thread-local slot. */
tigress_status tigress__fail(tigress_status code, const char *fmt, ...) TIGRESS__PRINTF(2, 3);

/* ---- encoding helpers (encoding.c) ---- */
/* Standard padded Base64 of data, NUL-terminated, in tigress__malloc memory. */
char *tigress__b64_encode(const uint8_t *data, size_t len);
/* Decode standard or URL-safe Base64, padded or not (whitespace not allowed). On success *out is
 * tigress__malloc memory of *out_len bytes (+1 NUL) that the caller wipes and frees. */
tigress_status tigress__b64_decode(uint8_t **out, size_t *out_len, const char *text, size_t text_len);
/* A fresh random version-4 UUID, lowercase, 36 chars + NUL. */
void tigress__uuid_v4(char out[37]);
/* True when s is a 36-char UUID (any case). */
bool tigress__is_uuid(const char *s);
/* RFC 3339 "YYYY-MM-DDThh:mm:ssZ" <-> Unix seconds. */
tigress_status tigress__time_format(int64_t t, char out[21]);
tigress_status tigress__time_parse(const char *s, int64_t *out);

/* ---- URLs (url.c): the one URL splitter, for Share URLs and the client's relay policy ---- */
typedef struct tigress__url_split_parts {
    const char *scheme;   /* as written, without "://" */
    size_t scheme_len;
    const char *host;     /* without brackets */
    size_t host_len;
    const char *hostport; /* as written, brackets and port included */
    size_t hostport_len;
    const char *rest;     /* the path, query and fragment (from the first '/', '?' or '#') */
} tigress__url_split_parts;
/* Splits "scheme://host[:port]..." into *parts: a registered name (letters, digits, '-', '.')
 * or a bracketed IPv6 literal, a port of 1..65535, no user information. Returns NULL when
 * well-formed, else what is wrong (a phrase to follow "... URL "; it quotes nothing of url). */
const char *tigress__url_split(const char *url, tigress__url_split_parts *parts);
/* 127.0.0.1, ::1 or localhost (any case). */
bool tigress__url_is_loopback(const char *host, size_t len);

#endif /* TIGRESS_INTERNAL_H */
