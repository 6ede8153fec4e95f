/*
 * libtigress_jni.so: a Java org.tigress.Transport as the client's tigress_transport vtable, so
 * an Android app can send the library's requests through OkHttp instead of libcurl.
 *
 * send() runs on the thread of the blocking Java call that led to it, so that thread is
 * attached and GetEnv gives its JNIEnv; the shim never attaches a thread (a send on a thread
 * the JVM does not know fails with TIGRESS_E_INTERNAL). A Java exception from the transport is
 * cleared inside the callback and send() returns TIGRESS_E_NETWORK, which the library retries
 * or reports; the exception is kept in a thread-local global reference and becomes the cause
 * of the TigressException thrown once the C call has returned (tj_throw_status). cancel() comes
 * from TigressClient.cancel() on another Java thread, through tigress_client_cancel().
 */
#include <jni.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tigress_jni.h"

typedef struct jtransport {
    jobject transport; /* global ref to the org.tigress.Transport */
} jtransport;

static JavaVM *t_vm;
static jclass t_native;      /* org.tigress.Native */
static jmethodID t_send;     /* Native.transportSend(Transport, byte[], byte[], byte[][], ...) */
static jmethodID t_failed;   /* Native.transportFailed(int, byte[], Throwable) */
static jmethodID t_cancel;   /* Transport.cancel() */

/* What the transport threw during the last send on this thread (global ref), if any. */
static _Thread_local jthrowable tl_pending;

int tj_transport_onload(JavaVM *vm, JNIEnv *env)
{
    t_vm = vm;
    jclass native = (*env)->FindClass(env, "org/tigress/Native");
    jclass transport = native ? (*env)->FindClass(env, "org/tigress/Transport") : NULL;
    if (!transport)
        return -1;
    t_native = (*env)->NewGlobalRef(env, native);
    t_send = (*env)->GetStaticMethodID(env, native, "transportSend",
        "(Lorg/tigress/Transport;[B[B[[B[BJJ[B)[[B");
    t_failed = t_send ? (*env)->GetStaticMethodID(env, native, "transportFailed",
        "(I[BLjava/lang/Throwable;)Lorg/tigress/TigressException;") : NULL;
    t_cancel = t_failed ? (*env)->GetMethodID(env, transport, "cancel", "()V") : NULL;
    (*env)->DeleteLocalRef(env, native);
    (*env)->DeleteLocalRef(env, transport);
    return (t_native && t_cancel) ? 0 : -1;
}

static JNIEnv *current_env(void)
{
    JNIEnv *env = NULL;
    if (!t_vm || (*t_vm)->GetEnv(t_vm, (void **)&env, JNI_VERSION_1_6) != JNI_OK)
        return NULL;
    return env;
}

static void drop_pending(JNIEnv *env)
{
    if (tl_pending) {
        (*env)->DeleteGlobalRef(env, tl_pending);
        tl_pending = NULL;
    }
}

/* Clear the Java exception pending on env and keep it for the TigressException's cause. */
static int keep_exception(JNIEnv *env)
{
    jthrowable t = (*env)->ExceptionOccurred(env);
    (*env)->ExceptionClear(env);
    drop_pending(env);
    if (t) {
        tl_pending = (*env)->NewGlobalRef(env, t);
        (*env)->DeleteLocalRef(env, t);
    }
    return TIGRESS_E_NETWORK;
}

int tj_transport_throw_pending(JNIEnv *env, int code)
{
    if (!tl_pending)
        return 0;
    jthrowable cause = tl_pending;
    tl_pending = NULL;
    int used = 0;
    /* Only a failure the transport can have caused carries its exception. */
    if (code == TIGRESS_E_NETWORK || code == TIGRESS_E_CANCELLED || code == TIGRESS_E_TIMEOUT) {
        jbyteArray name = tj_cstr_out(env, tigress_status_name(code));
        jobject exc = name ? (*env)->CallStaticObjectMethod(env, t_native, t_failed, (jint)code,
                                                            name, cause) : NULL;
        if (!(*env)->ExceptionCheck(env) && exc) {
            (*env)->Throw(env, (jthrowable)exc);
            used = 1;
        }
        if (exc)
            (*env)->DeleteLocalRef(env, exc);
        if (name)
            (*env)->DeleteLocalRef(env, name);
    }
    (*env)->DeleteGlobalRef(env, cause);
    return used;
}

void tj_transport_forget_pending(JNIEnv *env)
{
    drop_pending(env);
}

/* byte[][] {name, value, ...} of the request headers; NULL with an exception pending. */
static jobjectArray request_headers(JNIEnv *env, const tigress_http_request *req)
{
    jobjectArray a = (*env)->NewObjectArray(env, (jsize)(2 * req->header_count),
                                            tj_byte_array_class, NULL);
    for (size_t i = 0; a && i < req->header_count; i++) {
        const tigress_http_header *h = &req->headers[i];
        for (int k = 0; k < 2; k++) {
            jbyteArray s = tj_cstr_out(env, k == 0 ? h->name : (h->value ? h->value : ""));
            if (!s)
                return NULL;
            (*env)->SetObjectArrayElement(env, a, (jsize)(2 * i + (size_t)k), s);
            (*env)->DeleteLocalRef(env, s);
            if ((*env)->ExceptionCheck(env))
                return NULL;
        }
    }
    return a;
}

/* The element i of a byte[][] as a malloc'ed NUL-terminated string (NULL on failure). */
static char *element_str(JNIEnv *env, jobjectArray a, jsize i)
{
    jbyteArray b = (*env)->GetObjectArrayElement(env, a, i);
    if ((*env)->ExceptionCheck(env))
        return NULL;
    char *s = b ? (char *)tj_copy_in(env, b, NULL) : NULL;
    if (b)
        (*env)->DeleteLocalRef(env, b);
    return s;
}

/* Copy the Java result {status, body, name, value, ...} into resp. */
static int fill_response(JNIEnv *env, jobjectArray out, tigress_http_response *resp)
{
    jsize n = out ? (*env)->GetArrayLength(env, out) : 0;
    if (n < 2)
        return TIGRESS_E_NETWORK;
    char *status = element_str(env, out, 0);
    if (!status)
        return TIGRESS_E_NETWORK;
    char *end = NULL;
    long code = strtol(status, &end, 10);
    int bad = end == status || *end != '\0' || code < 100 || code > 599;
    free(status);
    if (bad || tigress_http_response_set_status(resp, (int)code) != 0)
        return TIGRESS_E_NETWORK;
    for (jsize i = 2; i + 1 < n; i += 2) {
        char *name = element_str(env, out, i);
        char *value = name ? element_str(env, out, i + 1) : NULL;
        int rc = value ? tigress_http_response_add_header(resp, name, value) : TIGRESS_E_NETWORK;
        free(name);
        free(value);
        if (rc != 0)
            return rc;
    }
    jbyteArray body = (*env)->GetObjectArrayElement(env, out, 1);
    if ((*env)->ExceptionCheck(env))
        return TIGRESS_E_NETWORK;
    jsize len = body ? (*env)->GetArrayLength(env, body) : 0;
    uint8_t chunk[8192];
    int rc = 0;
    for (jsize off = 0; rc == 0 && off < len; off += (jsize)sizeof chunk) {
        jsize k = len - off < (jsize)sizeof chunk ? len - off : (jsize)sizeof chunk;
        (*env)->GetByteArrayRegion(env, body, off, k, (jbyte *)chunk);
        rc = tigress_http_response_append_body(resp, chunk, (size_t)k);
    }
    if (body)
        (*env)->DeleteLocalRef(env, body);
    return rc;
}

static int transport_send(const tigress_http_request *req, tigress_http_response *resp,
                          void *ud)
{
    jtransport *jt = ud;
    JNIEnv *env = current_env();
    if (!env)
        return TIGRESS_E_INTERNAL; /* not a JVM thread: never attach one */
    drop_pending(env);             /* a stale failure of an earlier, retried request */
    if (req->header_count > 1000000 || req->body_len > INT32_MAX)
        return TIGRESS_E_INVALID;
    if ((*env)->PushLocalFrame(env, 16) != 0)
        return keep_exception(env);
    int rc = TIGRESS_E_NETWORK;
    jbyteArray method = tj_cstr_out(env, req->method);
    jbyteArray url = method ? tj_cstr_out(env, req->url) : NULL;
    jobjectArray headers = url ? request_headers(env, req) : NULL;
    jbyteArray body = NULL;
    if (headers && req->body)
        body = tj_bytes_out(env, req->body, req->body_len);
    jbyteArray ca = NULL;
    if (headers && req->ca_file)
        ca = tj_cstr_out(env, req->ca_file);
    if (!(*env)->ExceptionCheck(env) && headers) {
        jobjectArray out = (*env)->CallStaticObjectMethod(env, t_native, t_send, jt->transport,
            method, url, headers, body, (jlong)req->timeout_ms, (jlong)req->connect_timeout_ms,
            ca);
        if (!(*env)->ExceptionCheck(env))
            rc = fill_response(env, out, resp);
    }
    if ((*env)->ExceptionCheck(env))
        rc = keep_exception(env);
    (*env)->PopLocalFrame(env, NULL);
    return rc;
}

/* From tigress_client_cancel(), i.e. TigressClient.cancel() on some Java thread. */
static void transport_cancel(void *ud)
{
    jtransport *jt = ud;
    JNIEnv *env = current_env();
    if (!env)
        return;
    (*env)->CallVoidMethod(env, jt->transport, t_cancel);
    if ((*env)->ExceptionCheck(env))
        (*env)->ExceptionClear(env); /* nowhere to report it: cancel() itself returns nothing */
}

/* From tigress_client_free(), i.e. TigressClient.close(). */
static void transport_free(void *ud)
{
    jtransport *jt = ud;
    JNIEnv *env = current_env();
    if (env)
        (*env)->DeleteGlobalRef(env, jt->transport);
    free(jt);
}

int tj_transport_make(JNIEnv *env, jobject transport, tigress_transport *vt)
{
    jtransport *jt = calloc(1, sizeof *jt);
    if (!jt || !(jt->transport = (*env)->NewGlobalRef(env, transport))) {
        free(jt);
        tj_throw_status(env, TIGRESS_E_NOMEM, NULL);
        return -1;
    }
    memset(vt, 0, sizeof *vt);
    vt->version = TIGRESS_TRANSPORT_VERSION;
    vt->send = transport_send;
    vt->cancel = transport_cancel;
    vt->free = transport_free;
    vt->user_data = jt;
    return 0;
}

void tj_transport_discard(tigress_transport *vt)
{
    if (vt->user_data)
        transport_free(vt->user_data);
    vt->user_data = NULL;
}
