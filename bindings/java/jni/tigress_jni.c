/*
 * libtigress_jni.so: the JNI shim between org.tigress.Native and libtigress.so.
 *
 * It links the shared libtigress (no second copy of the SDK) and holds no protocol logic.
 * Rules kept throughout, because breaking any of them crashes or corrupts the JVM:
 *  - Java exceptions never unwind through C: after every JNI call that may throw we check
 *    ExceptionCheck; an exception thrown by a Java Signer/Verifier is cleared inside the
 *    callback, kept as a global reference, and thrown again (as the cause of a
 *    TigressException) once the C call has returned.
 *  - Callbacks call Java only on the thread whose JNIEnv started the C call: the signer runs
 *    during approve(), the verifier during redeem/poll/wait, both on the calling thread. A
 *    callback that finds itself on another (or a detached) thread fails with
 *    TIGRESS_E_INTERNAL instead of attaching a thread.
 *  - Local references made in callbacks live in a PushLocalFrame/PopLocalFrame pair; the few
 *    made in entry points are deleted before long blocking calls or returned to Java.
 *  - Strings cross as UTF-8 byte arrays, never as JNI modified UTF-8. Copies of secret bytes
 *    (content, Share URL, Secret, blobs, seeds) are wiped before they are freed.
 */
#include <jni.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tigress_jni.h"

static JavaVM *g_vm;
static jclass g_native;          /* org.tigress.Native */
jclass tj_byte_array_class;  /* byte[] */
static jmethodID g_error;        /* Native.error(int, byte[], byte[], int, int) */
static jmethodID g_cb_failed;    /* Native.callbackFailed(int, byte[], Throwable) */
static jmethodID g_verify;       /* Native.verifyCallback(Verifier, byte[], byte[], byte[]) */
static jmethodID g_sign;         /* Signer.sign(byte[]) */

/* ---- small helpers ------------------------------------------------------------------------ */

/* memset that the compiler may not remove. */
void tj_wipe(void *p, size_t n)
{
    volatile unsigned char *v = p;
    while (n--)
        *v++ = 0;
}

void tj_wipe_free(uint8_t *p, size_t n)
{
    if (p) {
        tj_wipe(p, n);
        free(p);
    }
}

/* A C copy of a byte[] with a NUL after it (NULL for a null array or on failure, when an
 * OutOfMemoryError is pending). *len_out gets the array length. */
uint8_t *tj_copy_in(JNIEnv *env, jbyteArray a, size_t *len_out)
{
    if (len_out)
        *len_out = 0;
    if (!a)
        return NULL;
    jsize n = (*env)->GetArrayLength(env, a);
    uint8_t *p = malloc((size_t)n + 1);
    if (!p) {
        jclass oom = (*env)->FindClass(env, "java/lang/OutOfMemoryError");
        if (oom)
            (*env)->ThrowNew(env, oom, "libtigress_jni");
        return NULL;
    }
    (*env)->GetByteArrayRegion(env, a, 0, n, (jbyte *)p);
    p[n] = 0;
    if (len_out)
        *len_out = (size_t)n;
    return p;
}

/* A new byte[] holding len bytes of p (NULL p gives null). NULL with an exception on failure. */
jbyteArray tj_bytes_out(JNIEnv *env, const void *p, size_t len)
{
    if (!p)
        return NULL;
    if (len > INT32_MAX)
        len = 0;
    jbyteArray a = (*env)->NewByteArray(env, (jsize)len);
    if (a && len)
        (*env)->SetByteArrayRegion(env, a, 0, (jsize)len, (const jbyte *)p);
    return a;
}

jbyteArray tj_cstr_out(JNIEnv *env, const char *s)
{
    return s ? tj_bytes_out(env, s, strlen(s)) : NULL;
}

/* Throw the TigressException for status code, with detail if it belongs to this failure. */
void tj_throw_status(JNIEnv *env, int code, const tigress_error *detail)
{
    if ((*env)->ExceptionCheck(env))
        return;
    if (tj_transport_throw_pending(env, code))
        return;
    const char *msg = tigress_strerror(code);
    int http = 0, transport = 0;
    if (detail && (int)detail->code == code && detail->message && detail->message[0]) {
        msg = detail->message;
        http = detail->http_status;
        transport = detail->transport_code;
    }
    jbyteArray name = tj_cstr_out(env, tigress_status_name(code));
    if (!name)
        return;
    jbyteArray jmsg = tj_cstr_out(env, msg);
    if (!jmsg)
        return;
    jobject exc = (*env)->CallStaticObjectMethod(env, g_native, g_error, (jint)code, name, jmsg,
                                                 (jint)http, (jint)transport);
    if (!(*env)->ExceptionCheck(env) && exc)
        (*env)->Throw(env, (jthrowable)exc);
    (*env)->DeleteLocalRef(env, name);
    (*env)->DeleteLocalRef(env, jmsg);
    if (exc)
        (*env)->DeleteLocalRef(env, exc);
}

/* Throw a TigressException whose cause is what a callback threw; releases the global ref. */
void tj_throw_callback_failure(JNIEnv *env, int code, jthrowable cause)
{
    jbyteArray name = tj_cstr_out(env, tigress_status_name(code));
    if (name) {
        jobject exc = (*env)->CallStaticObjectMethod(env, g_native, g_cb_failed, (jint)code,
                                                     name, cause);
        if (!(*env)->ExceptionCheck(env) && exc)
            (*env)->Throw(env, (jthrowable)exc);
        if (exc)
            (*env)->DeleteLocalRef(env, exc);
        (*env)->DeleteLocalRef(env, name);
    }
    (*env)->DeleteGlobalRef(env, cause);
}

/* Keep the exception pending on env as a global ref (first one wins) and clear it. */
static void capture_exception(JNIEnv *env, jthrowable *slot)
{
    jthrowable t = (*env)->ExceptionOccurred(env);
    (*env)->ExceptionClear(env);
    if (t) {
        if (!*slot)
            *slot = (*env)->NewGlobalRef(env, t);
        (*env)->DeleteLocalRef(env, t);
    }
}

/* The env of the current thread if it is the one that started the C call; NULL otherwise
 * (another thread, or a thread the JVM does not know): then the callback must not touch Java. */
static JNIEnv *callback_env(JNIEnv *expected)
{
    JNIEnv *env = NULL;
    if (!expected || !g_vm)
        return NULL;
    if ((*g_vm)->GetEnv(g_vm, (void **)&env, JNI_VERSION_1_6) != JNI_OK || env != expected)
        return NULL;
    return env;
}

jtransfer *tj_transfer(jlong h)
{
    return (jtransfer *)(intptr_t)h;
}

/* After a C call on a transfer: rethrow a callback's exception, else map a failure. */
int tj_finish(JNIEnv *env, jtransfer *jt, int rc)
{
    jt->env = NULL;
    if (jt->pending) {
        jthrowable cause = jt->pending;
        jt->pending = NULL;
        if (rc != 0) {
            tj_throw_callback_failure(env, rc, cause);
            return rc;
        }
        (*env)->DeleteGlobalRef(env, cause); /* the call succeeded anyway */
    }
    if (rc == 0)
        tj_transport_forget_pending(env); /* a transport failure that a retry overcame */
    if (rc != 0)
        tj_throw_status(env, rc, tigress_client_last_error(jt->client));
    return rc;
}

/* ---- callbacks -------------------------------------------------------------------------- */

int tj_sign(const uint8_t *msg, size_t msg_len, uint8_t *sig, size_t *sig_len, void *ud)
{
    sign_ctx *c = ud;
    JNIEnv *env = callback_env(c->env);
    if (!env)
        return TIGRESS_E_INTERNAL;
    if (msg_len > INT32_MAX)
        return TIGRESS_E_INVALID;
    if ((*env)->PushLocalFrame(env, 4) != 0) {
        capture_exception(env, &c->pending);
        return TJ_CALLBACK_FAILED;
    }
    int rc = TJ_CALLBACK_FAILED;
    jbyteArray jmsg = tj_bytes_out(env, msg, msg_len);
    if (!jmsg)
        goto out;
    jbyteArray jsig = (*env)->CallObjectMethod(env, c->signer, g_sign, jmsg);
    if ((*env)->ExceptionCheck(env))
        goto out;
    jsize n = jsig ? (*env)->GetArrayLength(env, jsig) : 0;
    if (n <= 0 || (size_t)n > *sig_len) {
        rc = TIGRESS_E_SIGNATURE; /* null, empty or oversized signature from the app */
        goto out;
    }
    (*env)->GetByteArrayRegion(env, jsig, 0, n, (jbyte *)sig);
    *sig_len = (size_t)n;
    rc = 0;
out:
    if ((*env)->ExceptionCheck(env)) {
        capture_exception(env, &c->pending);
        rc = TJ_CALLBACK_FAILED;
    }
    (*env)->PopLocalFrame(env, NULL);
    return rc;
}

int tj_verify(const char *alg, const uint8_t *msg, size_t msg_len, const uint8_t *sig,
                      size_t sig_len, void *ud)
{
    jtransfer *jt = ud;
    JNIEnv *env = callback_env(jt->env);
    if (!env || !jt->verifier)
        return TIGRESS_E_INTERNAL;
    if (msg_len > INT32_MAX || sig_len > INT32_MAX)
        return TIGRESS_E_INVALID;
    if ((*env)->PushLocalFrame(env, 6) != 0) {
        capture_exception(env, &jt->pending);
        return TJ_CALLBACK_FAILED;
    }
    int rc = TJ_CALLBACK_FAILED;
    jbyteArray jalg = tj_cstr_out(env, alg ? alg : "");
    jbyteArray jmsg = jalg ? tj_bytes_out(env, msg, msg_len) : NULL;
    jbyteArray jsig = jmsg ? tj_bytes_out(env, sig, sig_len) : NULL;
    if (!jsig)
        goto out;
    jboolean ok = (*env)->CallStaticBooleanMethod(env, g_native, g_verify, jt->verifier, jalg,
                                                  jmsg, jsig);
    if ((*env)->ExceptionCheck(env))
        goto out;
    rc = ok ? 0 : TIGRESS_E_SIGNATURE;
out:
    if ((*env)->ExceptionCheck(env)) {
        capture_exception(env, &jt->pending);
        rc = TJ_CALLBACK_FAILED;
    }
    (*env)->PopLocalFrame(env, NULL);
    return rc;
}

/* ---- load --------------------------------------------------------------------------------- */

JNIEXPORT jint JNICALL JNI_OnLoad(JavaVM *vm, void *reserved)
{
    (void)reserved;
    JNIEnv *env = NULL;
    if ((*vm)->GetEnv(vm, (void **)&env, JNI_VERSION_1_6) != JNI_OK)
        return JNI_ERR;
    g_vm = vm;
    jclass native = (*env)->FindClass(env, "org/tigress/Native");
    jclass bytes = native ? (*env)->FindClass(env, "[B") : NULL;
    jclass signer = bytes ? (*env)->FindClass(env, "org/tigress/Signer") : NULL;
    if (!signer)
        return JNI_ERR;
    g_native = (*env)->NewGlobalRef(env, native);
    tj_byte_array_class = (*env)->NewGlobalRef(env, bytes);
    g_error = (*env)->GetStaticMethodID(env, native, "error",
                                        "(I[B[BII)Lorg/tigress/TigressException;");
    g_cb_failed = g_error ? (*env)->GetStaticMethodID(env, native, "callbackFailed",
        "(I[BLjava/lang/Throwable;)Lorg/tigress/TigressException;") : NULL;
    g_verify = g_cb_failed ? (*env)->GetStaticMethodID(env, native, "verifyCallback",
        "(Lorg/tigress/Verifier;[B[B[B)Z") : NULL;
    g_sign = g_verify ? (*env)->GetMethodID(env, signer, "sign", "([B)[B") : NULL;
    (*env)->DeleteLocalRef(env, native);
    (*env)->DeleteLocalRef(env, bytes);
    (*env)->DeleteLocalRef(env, signer);
    if (!g_native || !tj_byte_array_class || !g_sign)
        return JNI_ERR;
    if (tj_transport_onload(vm, env) != 0 || tj_aead_onload(vm, env) != 0)
        return JNI_ERR;
    return JNI_VERSION_1_6;
}

JNIEXPORT jint JNICALL Java_org_tigress_Native_versionNum(JNIEnv *env, jclass cls)
{
    (void)env;
    (void)cls;
    return (jint)tigress_version_num();
}

JNIEXPORT jbyteArray JNICALL Java_org_tigress_Native_statusName(JNIEnv *env, jclass cls,
                                                               jint code)
{
    (void)cls;
    return tj_cstr_out(env, tigress_status_name((int)code));
}

JNIEXPORT jbyteArray JNICALL Java_org_tigress_Native_versionString(JNIEnv *env, jclass cls)
{
    (void)cls;
    return tj_cstr_out(env, tigress_version_string());
}

/* ---- client ------------------------------------------------------------------------------- */

int tj_global_init(JNIEnv *env)
{
    int rc = tigress_global_init();
    if (rc != 0)
        tj_throw_status(env, rc, tigress_error_last());
    return rc;
}

JNIEXPORT jlong JNICALL Java_org_tigress_Native_clientNew(JNIEnv *env, jclass cls,
    jbyteArray ca_file, jlong connect_ms, jlong request_ms, jlong retries, jboolean insecure,
    jobjectArray allow, jbyteArray user_agent, jobject transport, jlong aead)
{
    (void)cls;
    tigress_client *client = NULL;
    tigress_client_options o;
    uint8_t *ca = NULL, *ua = NULL;
    char **hosts = NULL;
    tigress_transport vt = { 0 };
    jsize nhosts = allow ? (*env)->GetArrayLength(env, allow) : 0;
    int rc = tigress_client_options_init(&o, TIGRESS_CLIENT_OPTIONS_VERSION);
    if (rc != 0) {
        tj_throw_status(env, rc, tigress_error_last());
        return 0;
    }
    ca = tj_copy_in(env, ca_file, NULL);
    ua = tj_copy_in(env, user_agent, NULL);
    if (nhosts > 0 && !(hosts = calloc((size_t)nhosts, sizeof *hosts))) {
        tj_throw_status(env, TIGRESS_E_NOMEM, NULL);
        goto out;
    }
    for (jsize i = 0; i < nhosts && !(*env)->ExceptionCheck(env); i++) {
        jbyteArray h = (*env)->GetObjectArrayElement(env, allow, i);
        hosts[i] = (char *)tj_copy_in(env, h, NULL);
        (*env)->DeleteLocalRef(env, h);
    }
    if ((*env)->ExceptionCheck(env))
        goto out;
    o.ca_file = (const char *)ca;
    o.user_agent = (const char *)ua;
    o.connect_timeout_ms = (long)connect_ms;
    o.request_timeout_ms = (long)request_ms;
    if (retries == 0)
        o.max_retries = TIGRESS_RETRIES_NONE;
    else if (retries > 0)
        o.max_retries = (unsigned int)retries;
    o.allow_insecure_loopback = insecure ? 1 : 0;
    o.relay_allow_list = (const char *const *)hosts;
    o.relay_allow_list_count = allow ? (size_t)nhosts : 0;
    if (allow && nhosts == 0) {
        static const char *const none[1] = { NULL };
        o.relay_allow_list = none; /* an empty list allows no host at all */
    }
    if (transport && tj_transport_make(env, transport, &vt) != 0)
        goto out;
    o.transport = transport ? &vt : NULL;
    o.aead_provider = tj_aead_vtable(aead); /* NULL: the process default, else built-in */
    if (tj_global_init(env) != 0)
        goto out;
    rc = tigress_client_new(&client, &o);
    if (rc != 0) {
        tj_throw_status(env, rc, tigress_error_last());
        tigress_global_cleanup();
    }
out:
    if (!client)
        tj_transport_discard(&vt); /* the library did not take it */
    for (jsize i = 0; hosts && i < nhosts; i++)
        free(hosts[i]);
    free(hosts);
    free(ca);
    free(ua);
    return (jlong)(intptr_t)client;
}

JNIEXPORT void JNICALL Java_org_tigress_Native_clientFree(JNIEnv *env, jclass cls, jlong h)
{
    (void)env;
    (void)cls;
    if (h) {
        tigress_client_free((tigress_client *)(intptr_t)h);
        tigress_global_cleanup();
    }
}

JNIEXPORT void JNICALL Java_org_tigress_Native_clientCancel(JNIEnv *env, jclass cls, jlong h)
{
    (void)env;
    (void)cls;
    (void)tigress_client_cancel((tigress_client *)(intptr_t)h);
}

JNIEXPORT void JNICALL Java_org_tigress_Native_clientCancelClear(JNIEnv *env, jclass cls, jlong h)
{
    (void)env;
    (void)cls;
    (void)tigress_client_cancel_clear((tigress_client *)(intptr_t)h);
}

JNIEXPORT void JNICALL Java_org_tigress_Native_clientWake(JNIEnv *env, jclass cls, jlong h)
{
    (void)env;
    (void)cls;
    (void)tigress_client_wake((tigress_client *)(intptr_t)h);
}

