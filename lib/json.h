/*
 * JSON helpers (json.c): a writer over wiped tigress__malloc memory and cJSON helpers. Below
 * wire.c and message.c. Never installed.
 */
#ifndef TIGRESS_JSON_H
#define TIGRESS_JSON_H

#include "internal.h"

/* ---- the writer ---- */
typedef struct tigress__jw {
    char *buf;
    size_t len, cap;
    bool failed;      /* an allocation failed: the writer is unusable */
    bool need_comma;
} tigress__jw;

void tigress__jw_init(tigress__jw *w);
void tigress__jw_free(tigress__jw *w);           /* wipes */
/* Takes the text (NUL-terminated, tigress__malloc) out of the writer; NULL if it failed. */
char *tigress__jw_take(tigress__jw *w, size_t *len);
void tigress__jw_obj_open(tigress__jw *w, const char *key);   /* key NULL: a value */
void tigress__jw_obj_close(tigress__jw *w);
void tigress__jw_str(tigress__jw *w, const char *key, const char *value);
void tigress__jw_int(tigress__jw *w, const char *key, int64_t value);
void tigress__jw_bool(tigress__jw *w, const char *key, bool value);
/* A value already in JSON form (validated by the caller). */
void tigress__jw_raw(tigress__jw *w, const char *key, const char *json, size_t len);
/* Bytes as standard Base64 text. */
void tigress__jw_b64(tigress__jw *w, const char *key, const uint8_t *data, size_t len);

/* cJSON helpers. cJSON's memory does not go through our hooks and is not wiped by cJSON:
 * tigress__json_wipe_delete zeroes every string in the tree before deleting it. */
struct cJSON;
void tigress__json_wipe_delete(struct cJSON *item);
/* Print item unformatted into sodium_malloc memory (*out, *len); TIGRESS_E_NOMEM. */
tigress_status tigress__json_print_secure(const struct cJSON *item, char **out, size_t *len);
/* Check that text is one JSON object and nothing else. */
bool tigress__json_is_object_text(const char *text);
/* After a cJSON call returned NULL: true when it was (probably) out of memory. */
bool tigress__json_out_of_memory(void);

#endif /* TIGRESS_JSON_H */
