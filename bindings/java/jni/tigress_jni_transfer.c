/*
 * libtigress_jni.so: transfers and Ed25519 keys (see tigress_jni.c for the rules kept).
 *
 * Every call on a transfer sets jt->env to the caller's env for its duration, so that a Java
 * Verifier is only ever called back on that thread (tj_verify checks it).
 */
#include <stdlib.h>
#include <string.h>

#include "tigress_jni.h"

static jtransfer *new_jtransfer(JNIEnv *env, jlong client)
{
    jtransfer *jt = calloc(1, sizeof *jt);
    if (!jt) {
        jclass oom = (*env)->FindClass(env, "java/lang/OutOfMemoryError");
        if (oom)
            (*env)->ThrowNew(env, oom, "libtigress_jni");
        return NULL;
    }
    jt->client = (tigress_client *)(intptr_t)client;
    jt->env = env;
    return jt;
}

static void free_jtransfer(JNIEnv *env, jtransfer *jt)
{
    if (!jt)
        return;
    tigress_transfer_free(jt->t);
    if (jt->verifier)
        (*env)->DeleteGlobalRef(env, jt->verifier);
    if (jt->pending)
        (*env)->DeleteGlobalRef(env, jt->pending);
    tj_wipe(jt, sizeof *jt);
    free(jt);
}

/* Finish a call that created jt: hand it to Java, or free it and throw. */
static jlong adopt(JNIEnv *env, jtransfer *jt, int rc)
{
    if (tj_finish(env, jt, rc) != 0 || (*env)->ExceptionCheck(env)) {
        free_jtransfer(env, jt);
        return 0;
    }
    return (jlong)(intptr_t)jt;
}

/* Point vt at a verifier: the native Ed25519 one for a public key, else the Java callback. */
static int make_verifier(JNIEnv *env, jtransfer *jt, tigress_verifier *vt, jobject verifier,
                         jbyteArray pub, jobject *new_ref)
{
    *new_ref = NULL;
    if (pub) {
        if ((*env)->GetArrayLength(env, pub) != TIGRESS_ED25519_PUBLIC_BYTES)
            return TIGRESS_E_INVALID;
        (*env)->GetByteArrayRegion(env, pub, 0, TIGRESS_ED25519_PUBLIC_BYTES, (jbyte *)jt->pub);
        return tigress_verifier_ed25519(vt, jt->pub);
    }
    *new_ref = (*env)->NewGlobalRef(env, verifier);
    if (!*new_ref)
        return TIGRESS_E_NOMEM;
    vt->version = TIGRESS_SIGNER_VERSION;
    vt->verify = tj_verify;
    vt->user_data = jt;
    return TIGRESS_OK;
}

JNIEXPORT jlong JNICALL Java_org_tigress_Native_shareCreate(JNIEnv *env, jclass cls,
    jlong client, jbyteArray relay_url, jbyteArray format, jbyteArray content, jbyteArray title,
    jbyteArray description, jbyteArray image_url, jlong expires_at, jchar vertical,
    jint payload_type, jboolean stateful, jbyteArray token_type, jbyteArray token_data,
    jbyteArray attestation)
{
    (void)cls;
    tigress_share_options o;
    size_t content_len = 0;
    jlong out = 0;
    int rc = tigress_share_options_init(&o, TIGRESS_SHARE_OPTIONS_VERSION);
    uint8_t *s[8] = { 0 };
    s[0] = tj_copy_in(env, relay_url, NULL);
    s[1] = tj_copy_in(env, format, NULL);
    s[2] = tj_copy_in(env, content, &content_len);
    s[3] = tj_copy_in(env, title, NULL);
    s[4] = tj_copy_in(env, description, NULL);
    s[5] = tj_copy_in(env, image_url, NULL);
    s[6] = tj_copy_in(env, token_type, NULL);
    s[7] = tj_copy_in(env, token_data, NULL);
    uint8_t *att = tj_copy_in(env, attestation, NULL);
    jtransfer *jt = NULL;
    if ((*env)->ExceptionCheck(env) || !(jt = new_jtransfer(env, client)))
        goto out;
    if (rc != 0) {
        tj_throw_status(env, rc, tigress_error_last());
        free_jtransfer(env, jt);
        goto out;
    }
    o.relay_url = (const char *)s[0];
    o.format = (const char *)s[1];
    o.content_json = (const char *)s[2];
    o.title = (const char *)s[3];
    o.description = (const char *)s[4];
    o.image_url = (const char *)s[5];
    o.expires_at = (int64_t)expires_at;
    o.vertical = (char)vertical;
    o.payload_type = (tigress_payload_type)payload_type;
    o.stateful = stateful ? 1 : 0;
    o.notification_token_type = (const char *)s[6];
    o.notification_token_data = (const char *)s[7];
    o.attestation = (const char *)att;
    out = adopt(env, jt, tigress_share_create(&jt->t, jt->client, &o));
out:
    tj_wipe_free(s[2], content_len);
    for (int i = 0; i < 8; i++)
        if (i != 2)
            free(s[i]);
    free(att);
    return out;
}

JNIEXPORT jlong JNICALL Java_org_tigress_Native_redeem(JNIEnv *env, jclass cls, jlong client,
    jbyteArray share_url, jbyteArray secret, jbyteArray token_type, jbyteArray token_data,
    jobject verifier, jbyteArray pub)
{
    (void)cls;
    tigress_redeem_options o;
    tigress_verifier vt;
    size_t url_len = 0, secret_len = 0;
    jlong out = 0;
    int rc = tigress_redeem_options_init(&o, TIGRESS_REDEEM_OPTIONS_VERSION);
    uint8_t *url = tj_copy_in(env, share_url, &url_len);
    uint8_t *sec = tj_copy_in(env, secret, &secret_len);
    uint8_t *tt = tj_copy_in(env, token_type, NULL);
    uint8_t *td = tj_copy_in(env, token_data, NULL);
    jtransfer *jt = NULL;
    if ((*env)->ExceptionCheck(env) || !(jt = new_jtransfer(env, client)))
        goto out;
    if (rc == 0 && (verifier || pub)) {
        rc = make_verifier(env, jt, &vt, verifier, pub, &jt->verifier);
        o.verifier = &vt;
    }
    if (rc != 0) {
        tj_throw_status(env, rc, tigress_error_last());
        free_jtransfer(env, jt);
        goto out;
    }
    o.share_url = (const char *)url;
    o.secret = (const char *)sec;
    o.notification_token_type = (const char *)tt;
    o.notification_token_data = (const char *)td;
    out = adopt(env, jt, tigress_redeem(&jt->t, jt->client, &o));
out:
    tj_wipe_free(url, url_len);
    tj_wipe_free(sec, secret_len);
    free(tt);
    free(td);
    return out;
}

JNIEXPORT jlong JNICALL Java_org_tigress_Native_importTransfer(JNIEnv *env, jclass cls,
    jlong client, jbyteArray blob, jbyteArray secret)
{
    (void)cls;
    size_t blob_len = 0, secret_len = 0;
    jlong out = 0;
    uint8_t *b = tj_copy_in(env, blob, &blob_len);
    uint8_t *sec = tj_copy_in(env, secret, &secret_len);
    jtransfer *jt = NULL;
    if (!(*env)->ExceptionCheck(env) && (jt = new_jtransfer(env, client)) != NULL)
        out = adopt(env, jt, tigress_transfer_import(&jt->t, jt->client, b, blob_len,
                                                     (const char *)sec));
    tj_wipe_free(b, blob_len);
    tj_wipe_free(sec, secret_len);
    return out;
}

JNIEXPORT void JNICALL Java_org_tigress_Native_setVerifier(JNIEnv *env, jclass cls, jlong h,
    jobject verifier, jbyteArray pub)
{
    (void)cls;
    jtransfer *jt = tj_transfer(h);
    tigress_verifier vt;
    jobject ref = NULL;
    jt->env = env;
    int rc = make_verifier(env, jt, &vt, verifier, pub, &ref);
    if (rc == 0)
        rc = tigress_transfer_set_verifier(jt->t, &vt);
    if (rc == 0) { /* the old Java verifier (if any) is no longer referenced by C */
        if (jt->verifier)
            (*env)->DeleteGlobalRef(env, jt->verifier);
        jt->verifier = ref;
    } else if (ref) {
        (*env)->DeleteGlobalRef(env, ref);
    }
    tj_finish(env, jt, rc);
}

JNIEXPORT void JNICALL Java_org_tigress_Native_update(JNIEnv *env, jclass cls, jlong h,
    jbyteArray type, jbyteArray data)
{
    (void)cls;
    jtransfer *jt = tj_transfer(h);
    size_t len = 0;
    uint8_t *t = tj_copy_in(env, type, NULL);
    uint8_t *d = tj_copy_in(env, data, &len);
    if (!(*env)->ExceptionCheck(env)) {
        jt->env = env;
        tj_finish(env, jt, tigress_transfer_update(jt->t, (const char *)t, d, len));
    }
    free(t);
    free(d);
}

JNIEXPORT void JNICALL Java_org_tigress_Native_approve(JNIEnv *env, jclass cls, jlong h,
    jobject signer, jbyteArray alg, jlong key)
{
    (void)cls;
    jtransfer *jt = tj_transfer(h);
    tigress_signer s;
    sign_ctx ctx = { env, signer, NULL };
    uint8_t *a = NULL;
    int rc;
    if (key) {
        rc = tigress_signer_ed25519(&s, (const tigress_ed25519_key *)(intptr_t)key);
    } else {
        if (!(a = tj_copy_in(env, alg, NULL)))
            return; /* exception pending, or a null algorithm (checked in Java) */
        s.version = TIGRESS_SIGNER_VERSION;
        s.alg = (const char *)a;
        s.sign = tj_sign;
        s.user_data = &ctx;
        rc = TIGRESS_OK;
    }
    jt->env = env;
    if (rc == 0)
        rc = tigress_transfer_approve(jt->t, &s);
    free(a);
    if (ctx.pending) { /* the Java signer threw: that is the error to report */
        jt->env = NULL;
        if (rc != 0) {
            tj_throw_callback_failure(env, rc, ctx.pending);
            return;
        }
        (*env)->DeleteGlobalRef(env, ctx.pending);
    }
    tj_finish(env, jt, rc);
}

JNIEXPORT jboolean JNICALL Java_org_tigress_Native_poll(JNIEnv *env, jclass cls, jlong h)
{
    (void)cls;
    jtransfer *jt = tj_transfer(h);
    jt->env = env;
    int rc = tigress_transfer_poll(jt->t);
    if (rc == TIGRESS_E_AGAIN && !jt->pending) {
        jt->env = NULL;
        return JNI_FALSE;
    }
    return tj_finish(env, jt, rc) == 0 ? JNI_TRUE : JNI_FALSE;
}

JNIEXPORT void JNICALL Java_org_tigress_Native_waitForPeer(JNIEnv *env, jclass cls, jlong h,
    jlong timeout_ms, jboolean long_poll)
{
    (void)cls;
    jtransfer *jt = tj_transfer(h);
    tigress_wait_options o;
    int rc = tigress_transfer_wait_options_init(&o, TIGRESS_WAIT_OPTIONS_VERSION);
    o.timeout_ms = (long)timeout_ms;
    o.disable_long_poll = long_poll ? 0 : 1;
    jt->env = env;
    if (rc == 0)
        rc = tigress_transfer_wait(jt->t, &o);
    tj_finish(env, jt, rc);
}

#define SIMPLE_CALL(jname, cfn) \
    JNIEXPORT void JNICALL Java_org_tigress_Native_##jname(JNIEnv *env, jclass cls, jlong h) \
    { \
        (void)cls; \
        jtransfer *jt = tj_transfer(h); \
        jt->env = env; \
        tj_finish(env, jt, cfn(jt->t)); \
    }
SIMPLE_CALL(revoke, tigress_transfer_revoke)
SIMPLE_CALL(relinquish, tigress_transfer_relinquish)
SIMPLE_CALL(complete, tigress_transfer_complete)

JNIEXPORT jbyteArray JNICALL Java_org_tigress_Native_exportState(JNIEnv *env, jclass cls,
    jlong h, jboolean without_secret)
{
    (void)cls;
    jtransfer *jt = tj_transfer(h);
    tigress_buf buf = { NULL, 0 };
    jbyteArray out = NULL;
    jt->env = env;
    int rc = tigress_transfer_export(jt->t, without_secret ? TIGRESS_EXPORT_WITHOUT_SECRET : 0,
                                     &buf);
    if (tj_finish(env, jt, rc) == 0)
        out = tj_bytes_out(env, buf.ptr, buf.size);
    tigress_buf_dispose(&buf);
    return out;
}

JNIEXPORT void JNICALL Java_org_tigress_Native_transferFree(JNIEnv *env, jclass cls, jlong h)
{
    (void)cls;
    free_jtransfer(env, tj_transfer(h));
}

/* ---- accessors ---------------------------------------------------------------------------- */

JNIEXPORT jbyteArray JNICALL Java_org_tigress_Native_transferString(JNIEnv *env, jclass cls,
    jlong h, jint which)
{
    (void)cls;
    const tigress_transfer *t = tj_transfer(h)->t;
    const char *s = NULL;
    switch (which) {
    case 0: s = tigress_transfer_mailbox_id(t); break;
    case 1: s = tigress_transfer_share_url(t); break;
    case 2: s = tigress_transfer_url(t); break;
    case 3: s = tigress_transfer_format(t); break;
    case 4: s = tigress_transfer_title(t); break;
    case 5: s = tigress_transfer_description(t); break;
    case 6: s = tigress_transfer_image_url(t); break;
    default: break;
    }
    return tj_cstr_out(env, s);
}

JNIEXPORT jint JNICALL Java_org_tigress_Native_transferInt(JNIEnv *env, jclass cls, jlong h,
    jint which)
{
    (void)env;
    (void)cls;
    const tigress_transfer *t = tj_transfer(h)->t;
    switch (which) {
    case 0: return (jint)tigress_transfer_state(t);
    case 1: return (jint)tigress_transfer_role(t);
    case 2: return (jint)tigress_transfer_is_stateful(t);
    case 3: return (jint)tigress_transfer_payload_type(t);
    case 4: return (jint)(unsigned char)tigress_transfer_vertical(t);
    case 5: return (jint)tigress_transfer_push_supported(t);
    case 6: return (jint)tigress_transfer_flow(t);
    default: return 0;
    }
}

JNIEXPORT jlong JNICALL Java_org_tigress_Native_expiresAt(JNIEnv *env, jclass cls, jlong h)
{
    (void)env;
    (void)cls;
    return (jlong)tigress_transfer_expires_at(tj_transfer(h)->t);
}

JNIEXPORT jbyteArray JNICALL Java_org_tigress_Native_secret(JNIEnv *env, jclass cls, jlong h,
    jboolean as_text)
{
    (void)cls;
    const tigress_secret *s = tigress_transfer_secret(tj_transfer(h)->t);
    if (!s)
        return NULL;
    if (as_text)
        return tj_cstr_out(env, tigress_secret_text(s));
    return tj_bytes_out(env, tigress_secret_bytes(s), tigress_secret_size(s));
}

JNIEXPORT jbyteArray JNICALL Java_org_tigress_Native_content(JNIEnv *env, jclass cls, jlong h)
{
    (void)cls;
    return tj_cstr_out(env, tigress_transfer_content(tj_transfer(h)->t));
}

JNIEXPORT jobjectArray JNICALL Java_org_tigress_Native_txInfo(JNIEnv *env, jclass cls, jlong h,
    jboolean signature)
{
    (void)cls;
    jtransfer *jt = tj_transfer(h);
    const char *name = NULL;
    const uint8_t *data = NULL;
    size_t len = 0;
    int rc = signature ? tigress_transfer_signature(jt->t, &name, &data, &len)
                       : tigress_transfer_txinfo(jt->t, &name, &data, &len);
    jt->env = env;
    if (tj_finish(env, jt, rc) != 0)
        return NULL;
    jobjectArray out = (*env)->NewObjectArray(env, 2, tj_byte_array_class, NULL);
    jbyteArray a = out ? tj_cstr_out(env, name ? name : "") : NULL;
    jbyteArray b = a ? tj_bytes_out(env, data ? data : (const uint8_t *)"", len) : NULL;
    if (!b)
        return NULL; /* exception pending */
    (*env)->SetObjectArrayElement(env, out, 0, a);
    (*env)->SetObjectArrayElement(env, out, 1, b);
    (*env)->DeleteLocalRef(env, a);
    (*env)->DeleteLocalRef(env, b);
    return out;
}

/* ---- Ed25519 (each key holds one tigress_global_init reference) -------------------------- */

static jlong key_done(JNIEnv *env, int rc, tigress_ed25519_key *key)
{
    if (rc != 0) {
        tj_throw_status(env, rc, tigress_error_last());
        tigress_global_cleanup();
        return 0;
    }
    return (jlong)(intptr_t)key;
}

JNIEXPORT jlong JNICALL Java_org_tigress_Native_keyGenerate(JNIEnv *env, jclass cls)
{
    (void)cls;
    tigress_ed25519_key *key = NULL;
    if (tj_global_init(env) != 0)
        return 0;
    int rc = tigress_ed25519_key_generate(&key); /* sequenced before key is read */
    return key_done(env, rc, key);
}

JNIEXPORT jlong JNICALL Java_org_tigress_Native_keyFromSeed(JNIEnv *env, jclass cls,
    jbyteArray seed)
{
    (void)cls;
    tigress_ed25519_key *key = NULL;
    size_t len = 0;
    uint8_t *s = tj_copy_in(env, seed, &len);
    if ((*env)->ExceptionCheck(env) || tj_global_init(env) != 0) {
        tj_wipe_free(s, len);
        return 0;
    }
    int rc = tigress_ed25519_key_from_seed(&key, s, len);
    tj_wipe_free(s, len);
    return key_done(env, rc, key);
}

JNIEXPORT jbyteArray JNICALL Java_org_tigress_Native_keyPublic(JNIEnv *env, jclass cls, jlong k)
{
    (void)cls;
    uint8_t pub[TIGRESS_ED25519_PUBLIC_BYTES];
    int rc = tigress_ed25519_key_public((const tigress_ed25519_key *)(intptr_t)k, pub, sizeof pub);
    if (rc != 0) {
        tj_throw_status(env, rc, tigress_error_last());
        return NULL;
    }
    return tj_bytes_out(env, pub, sizeof pub);
}

JNIEXPORT jbyteArray JNICALL Java_org_tigress_Native_keySign(JNIEnv *env, jclass cls, jlong k,
    jbyteArray message)
{
    (void)cls;
    tigress_signer s;
    uint8_t sig[TIGRESS_SIGNATURE_MAX];
    size_t sig_len = sizeof sig, len = 0;
    uint8_t *msg = tj_copy_in(env, message, &len);
    if ((*env)->ExceptionCheck(env))
        return NULL;
    int rc = tigress_signer_ed25519(&s, (const tigress_ed25519_key *)(intptr_t)k);
    if (rc == 0)
        rc = s.sign(msg ? msg : (const uint8_t *)"", len, sig, &sig_len, s.user_data);
    free(msg);
    if (rc != 0) {
        tj_throw_status(env, rc, tigress_error_last());
        return NULL;
    }
    return tj_bytes_out(env, sig, sig_len);
}

JNIEXPORT void JNICALL Java_org_tigress_Native_keyFree(JNIEnv *env, jclass cls, jlong k)
{
    (void)env;
    (void)cls;
    if (k) {
        tigress_ed25519_key_free((tigress_ed25519_key *)(intptr_t)k);
        tigress_global_cleanup();
    }
}

JNIEXPORT jboolean JNICALL Java_org_tigress_Native_ed25519Verify(JNIEnv *env, jclass cls,
    jbyteArray public_key, jbyteArray alg, jbyteArray message, jbyteArray signature)
{
    (void)cls;
    tigress_verifier v;
    uint8_t pub[TIGRESS_ED25519_PUBLIC_BYTES];
    size_t mlen = 0, slen = 0;
    if (!public_key || (*env)->GetArrayLength(env, public_key) != (jsize)sizeof pub) {
        tj_throw_status(env, TIGRESS_E_INVALID, NULL);
        return JNI_FALSE;
    }
    (*env)->GetByteArrayRegion(env, public_key, 0, (jsize)sizeof pub, (jbyte *)pub);
    uint8_t *a = tj_copy_in(env, alg, NULL);
    uint8_t *m = tj_copy_in(env, message, &mlen);
    uint8_t *s = tj_copy_in(env, signature, &slen);
    int rc = TIGRESS_E_INVALID;
    if (!(*env)->ExceptionCheck(env) && a && m && s && tj_global_init(env) == 0) {
        rc = tigress_verifier_ed25519(&v, pub);
        if (rc == 0)
            rc = v.verify((const char *)a, m, mlen, s, slen, v.user_data);
        tigress_global_cleanup();
    }
    free(a);
    free(m);
    free(s);
    if (rc == 0)
        return JNI_TRUE;
    if (rc != TIGRESS_E_SIGNATURE)
        tj_throw_status(env, rc, tigress_error_last());
    return JNI_FALSE;
}
