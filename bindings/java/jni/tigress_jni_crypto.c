/*
 * libtigress_jni.so: the low-level API of tigress/crypto.h for org.tigress.Secret, Payload and
 * ShareUrl. Secrets stay in the library's guarded memory (the long is a tigress_secret *);
 * copies made here of secret bytes (plaintexts, Share URLs with a fragment) are wiped.
 */
#include <jni.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tigress_jni.h"

static jlong secret_result(JNIEnv *env, int rc, tigress_secret *s)
{
    if (rc != 0) {
        tj_throw_status(env, rc, tigress_error_last());
        return 0;
    }
    return (jlong)(intptr_t)s;
}

/* Crypto calls need tigress_global_init(); the reference is dropped right after the call (a
 * live client keeps its own, so the library is not torn down between calls in practice). */
#define WITH_INIT(env, fail) do { if (tj_global_init(env) != 0) return fail; } while (0)

JNIEXPORT jlong JNICALL Java_org_tigress_Native_secretGenerate(JNIEnv *env, jclass cls,
                                                               jint type)
{
    (void)cls;
    WITH_INIT(env, 0);
    tigress_secret *s = NULL;
    int rc = tigress_secret_generate(&s, (tigress_payload_type)type);
    jlong h = secret_result(env, rc, s);
    tigress_global_cleanup();
    return h;
}

JNIEXPORT jlong JNICALL Java_org_tigress_Native_secretFromText(JNIEnv *env, jclass cls,
                                                               jbyteArray text)
{
    (void)cls;
    size_t n = 0;
    uint8_t *t = tj_copy_in(env, text, &n);
    if (!t) {
        tj_throw_status(env, TIGRESS_E_INVALID, NULL);
        return 0;
    }
    tigress_secret *s = NULL;
    jlong h = 0;
    if (tj_global_init(env) == 0) {
        int rc = tigress_secret_from_text(&s, (const char *)t); /* before reading s */
        h = secret_result(env, rc, s);
        tigress_global_cleanup();
    }
    tj_wipe_free(t, n + 1);
    return h;
}

JNIEXPORT jlong JNICALL Java_org_tigress_Native_secretFromBytes(JNIEnv *env, jclass cls,
                                                                jbyteArray key)
{
    (void)cls;
    size_t n = 0;
    uint8_t *k = tj_copy_in(env, key, &n);
    if (!k) {
        tj_throw_status(env, TIGRESS_E_INVALID, NULL);
        return 0;
    }
    tigress_secret *s = NULL;
    jlong h = 0;
    if (tj_global_init(env) == 0) {
        int rc = tigress_secret_from_bytes(&s, k, n); /* before reading s */
        h = secret_result(env, rc, s);
        tigress_global_cleanup();
    }
    tj_wipe_free(k, n + 1);
    return h;
}

JNIEXPORT jbyteArray JNICALL Java_org_tigress_Native_secretBytes(JNIEnv *env, jclass cls,
                                                                 jlong h, jboolean as_text)
{
    (void)cls;
    const tigress_secret *s = (const tigress_secret *)(intptr_t)h;
    if (as_text)
        return tj_cstr_out(env, tigress_secret_text(s));
    return tj_bytes_out(env, tigress_secret_bytes(s), tigress_secret_size(s));
}

JNIEXPORT void JNICALL Java_org_tigress_Native_secretFree(JNIEnv *env, jclass cls, jlong h)
{
    (void)env;
    (void)cls;
    tigress_secret_free((tigress_secret *)(intptr_t)h);
}

/* A byte[] of a tigress_buf, which is then disposed (wiped) in every case. */
static jbyteArray buf_out(JNIEnv *env, int rc, tigress_buf *b)
{
    jbyteArray a = NULL;
    if (rc != 0)
        tj_throw_status(env, rc, tigress_error_last());
    else
        a = tj_bytes_out(env, b->ptr ? b->ptr : (const uint8_t *)"", b->size);
    tigress_buf_dispose(b);
    return a;
}

/* Seal (plaintext in) or open (the Base64 text of payload.data in, NUL-terminated by
 * tj_copy_in) with a borrowed secret handle. The input copy is wiped in both cases: a plaintext
 * is secret, and wiping public ciphertext costs nothing worth a second code path. */
static jbyteArray payload_op(JNIEnv *env, jint type, jlong secret, jbyteArray in, bool seal)
{
    size_t n = 0;
    uint8_t *p = tj_copy_in(env, in, &n);
    if (!p) {
        tj_throw_status(env, TIGRESS_E_INVALID, NULL);
        return NULL;
    }
    tigress_buf out = { 0 };
    jbyteArray r = NULL;
    if (tj_global_init(env) == 0) {
        const tigress_secret *s = (const tigress_secret *)(intptr_t)secret;
        tigress_payload_type t = (tigress_payload_type)type;
        int rc = seal ? tigress_payload_seal(&out, t, s, p, n)
                      : tigress_payload_open(&out, t, s, (const char *)p);
        r = buf_out(env, rc, &out);
        tigress_global_cleanup();
    }
    tj_wipe_free(p, n + 1);
    return r;
}

JNIEXPORT jbyteArray JNICALL Java_org_tigress_Native_payloadSeal(JNIEnv *env, jclass cls,
    jint type, jlong secret, jbyteArray plaintext)
{
    (void)cls;
    return payload_op(env, type, secret, plaintext, true);
}

JNIEXPORT jbyteArray JNICALL Java_org_tigress_Native_payloadOpen(JNIEnv *env, jclass cls,
    jint type, jlong secret, jbyteArray data)
{
    (void)cls;
    return payload_op(env, type, secret, data, false);
}

JNIEXPORT jbyteArray JNICALL Java_org_tigress_Native_shareUrlBuild(JNIEnv *env, jclass cls,
    jbyteArray link, jchar vertical, jlong secret)
{
    (void)cls;
    uint8_t *l = tj_copy_in(env, link, NULL);
    if (!l) {
        tj_throw_status(env, TIGRESS_E_INVALID, NULL);
        return NULL;
    }
    tigress_buf out = { 0 };
    jbyteArray r = NULL;
    if (vertical > 0x7f) {
        tj_throw_status(env, TIGRESS_E_INVALID, NULL);
    } else if (tj_global_init(env) == 0) {
        int rc = tigress_share_url_build(&out, (const char *)l, (char)vertical,
                                         (const tigress_secret *)(intptr_t)secret);
        r = buf_out(env, rc, &out);
        tigress_global_cleanup();
    }
    free(l);
    return r;
}

/* {mailbox URL, relay, host, mailbox id, vertical}; NULL with an exception pending. */
static jobjectArray url_parts(JNIEnv *env, const tigress_share_url *u)
{
    char v = tigress_share_url_vertical(u);
    const char *s[5] = { tigress_share_url_mailbox_url(u), tigress_share_url_relay(u),
                         tigress_share_url_host(u), tigress_share_url_mailbox_id(u), "" };
    jobjectArray a = (*env)->NewObjectArray(env, 5, tj_byte_array_class, NULL);
    for (jsize i = 0; a && i < 5; i++) {
        jbyteArray e = i == 4 ? tj_bytes_out(env, &v, v ? 1 : 0) : tj_cstr_out(env, s[i] ? s[i] : "");
        if (!e)
            return NULL;
        (*env)->SetObjectArrayElement(env, a, i, e);
        (*env)->DeleteLocalRef(env, e);
        if ((*env)->ExceptionCheck(env))
            return NULL;
    }
    return a;
}

JNIEXPORT jobjectArray JNICALL Java_org_tigress_Native_shareUrlParse(JNIEnv *env, jclass cls,
    jbyteArray url, jint flags, jlongArray secret_out)
{
    (void)cls;
    size_t n = 0;
    uint8_t *t = tj_copy_in(env, url, &n);
    if (!t) {
        tj_throw_status(env, TIGRESS_E_INVALID, NULL);
        return NULL;
    }
    jobjectArray r = NULL;
    tigress_share_url *u = NULL;
    if (tj_global_init(env) != 0)
        goto out;
    int rc = tigress_share_url_parse(&u, (const char *)t, (unsigned int)flags);
    if (rc != 0) {
        tj_throw_status(env, rc, tigress_error_last());
        goto cleanup;
    }
    r = url_parts(env, u);
    const tigress_secret *s = tigress_share_url_secret(u);
    if (r && s) { /* a copy the Java Secret owns: the parsed URL is freed below */
        tigress_secret *copy = NULL;
        rc = tigress_secret_from_bytes(&copy, tigress_secret_bytes(s), tigress_secret_size(s));
        if (rc != 0) {
            tj_throw_status(env, rc, tigress_error_last());
            r = NULL;
        } else {
            jlong h = (jlong)(intptr_t)copy;
            (*env)->SetLongArrayRegion(env, secret_out, 0, 1, &h);
            if ((*env)->ExceptionCheck(env)) {
                tigress_secret_free(copy);
                r = NULL;
            }
        }
    }
    tigress_share_url_free(u);
cleanup:
    tigress_global_cleanup();
out:
    tj_wipe_free(t, n + 1);
    return r;
}
