/*
 * Internal header of libtigress_jni.so (not installed): what tigress_jni.c (loading, errors,
 * callbacks, client) shares with tigress_jni_transfer.c (transfers and keys).
 */
#ifndef TIGRESS_JNI_H
#define TIGRESS_JNI_H

#include <jni.h>
#include <stddef.h>
#include <stdint.h>

#include <tigress.h>

#include "org_tigress_Native.h"

/* Returned to C by a callback whose Java code threw: an application code, passed back as is. */
#define TJ_CALLBACK_FAILED (TIGRESS_E_USER_MIN - 1)

/* Per-transfer state kept by the shim; Java holds its address in a long. */
typedef struct jtransfer {
    tigress_transfer *t;
    tigress_client *client;
    JNIEnv *env;            /* the caller's env while a call on this transfer runs, else NULL */
    jobject verifier;       /* global ref to a Java Verifier, or NULL */
    jthrowable pending;     /* global ref: thrown by a callback during the current call */
    uint8_t pub[TIGRESS_ED25519_PUBLIC_BYTES]; /* key referenced by the native verifier */
} jtransfer;

/* Context of one approve() with a Java Signer; lives on the stack of that call. */
typedef struct sign_ctx {
    JNIEnv *env;
    jobject signer;
    jthrowable pending;
} sign_ctx;

extern jclass tj_byte_array_class; /* byte[] */

/* memset that the compiler may not remove, and wipe-then-free. */
void tj_wipe(void *p, size_t n);
void tj_wipe_free(uint8_t *p, size_t n);
/* A malloc'ed copy of a byte[] plus a NUL; NULL for null (or with OutOfMemoryError pending). */
uint8_t *tj_copy_in(JNIEnv *env, jbyteArray a, size_t *len_out);
/* A new byte[] of len bytes at p; NULL for a NULL p, or with an exception pending. */
jbyteArray tj_bytes_out(JNIEnv *env, const void *p, size_t len);
jbyteArray tj_cstr_out(JNIEnv *env, const char *s);
/* Throw the TigressException for code (detail used when it belongs to this failure). */
void tj_throw_status(JNIEnv *env, int code, const tigress_error *detail);
/* Throw a TigressException caused by a callback's exception; releases the global ref. */
void tj_throw_callback_failure(JNIEnv *env, int code, jthrowable cause);
jtransfer *tj_transfer(jlong h);
/* After a C call on a transfer: rethrow a callback's exception, else map a failure. */
int tj_finish(JNIEnv *env, jtransfer *jt, int rc);
/* tigress_global_init(), throwing on failure. */
int tj_global_init(JNIEnv *env);
/* The signer and verifier vtable slots that call back into Java. */
int tj_sign(const uint8_t *msg, size_t msg_len, uint8_t *sig, size_t *sig_len, void *ud);
int tj_verify(const char *alg, const uint8_t *msg, size_t msg_len, const uint8_t *sig,
              size_t sig_len, void *ud);

/* Transport (tigress_jni_transport.c). */
int tj_transport_onload(JavaVM *vm, JNIEnv *env);
/* Fill vt with slots calling the Java Transport (global ref kept until vt->free). */
int tj_transport_make(JNIEnv *env, jobject transport, tigress_transport *vt);
/* Free what tj_transport_make made, when tigress_client_new() failed (free is not called). */
void tj_transport_discard(tigress_transport *vt);
/* If a Java transport threw on this thread: throw a TigressException(code) caused by it (1). */
int tj_transport_throw_pending(JNIEnv *env, int code);
void tj_transport_forget_pending(JNIEnv *env);

/* AEAD provider (tigress_jni_aead.c). */
int tj_aead_onload(JavaVM *vm, JNIEnv *env);
/* The vtable of a Native.aeadNew() handle, NULL for 0. */
const tigress_aead_provider *tj_aead_vtable(jlong h);

#endif /* TIGRESS_JNI_H */
