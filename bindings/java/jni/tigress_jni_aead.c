/*
 * libtigress_jni.so: a Java org.tigress.AeadProvider (e.g. JavaxCryptoAead, javax.crypto
 * AES/GCM/NoPadding) as a tigress_aead_provider vtable, for the portable build of the library
 * (no OpenSSL; AES-128-GCM only through a provider) or any app that wants its platform's AES.
 *
 * Native.aeadNew() makes one jaead (the vtable plus a global reference to the Java object) and
 * returns its address; TigressClient passes it to tigress_client_options.aead_provider (the
 * library copies the vtable, the jaead must outlive the client: TigressClient frees it after
 * tigress_client_free) or to tigress_aead_provider_set_default (kept for the process: a seal on
 * another thread may still be using a replaced default).
 *
 * seal/open run on the thread of the library call that needs them, a Java thread during a
 * native method of the shim; the shim never attaches a thread (elsewhere: TIGRESS_E_INTERNAL).
 * They call Native.aeadSeal/aeadOpen, which call the provider, turn an exception into
 * TIGRESS_E_CRYPTO and wipe the Java key copy; the shim also overwrites every Java array that
 * held the key or plaintext before dropping it, and never lets a Java exception stay pending.
 */
#include <jni.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <tigress/sys/aead.h>

#include "tigress_jni.h"

typedef struct jaead {
    tigress_aead_provider vt;
    jobject provider; /* global ref to the org.tigress.AeadProvider */
} jaead;

static JavaVM *a_vm;
static jclass a_native;   /* org.tigress.Native */
static jmethodID a_seal;  /* Native.aeadSeal(AeadProvider, int, byte[] x5): int */
static jmethodID a_open;  /* Native.aeadOpen(AeadProvider, int, byte[] x5): int */

int tj_aead_onload(JavaVM *vm, JNIEnv *env)
{
    a_vm = vm;
    jclass native = (*env)->FindClass(env, "org/tigress/Native");
    if (!native)
        return -1;
    a_native = (*env)->NewGlobalRef(env, native);
    a_seal = (*env)->GetStaticMethodID(env, native, "aeadSeal",
                                       "(Lorg/tigress/AeadProvider;I[B[B[B[B[B)I");
    a_open = a_seal ? (*env)->GetStaticMethodID(env, native, "aeadOpen",
                                                "(Lorg/tigress/AeadProvider;I[B[B[B[B[B)I") : NULL;
    (*env)->DeleteLocalRef(env, native);
    return (a_native && a_open) ? 0 : -1;
}

static JNIEnv *aead_env(void)
{
    JNIEnv *env = NULL;
    if (!a_vm || (*a_vm)->GetEnv(a_vm, (void **)&env, JNI_VERSION_1_6) != JNI_OK)
        return NULL;
    return env;
}

/* Overwrite a Java byte[] with zeros (before its local reference is dropped). */
static void zero_array(JNIEnv *env, jbyteArray a)
{
    if (!a)
        return;
    uint8_t zeros[256] = { 0 };
    jsize n = (*env)->GetArrayLength(env, a);
    for (jsize off = 0; off < n; off += (jsize)sizeof zeros) {
        jsize k = n - off < (jsize)sizeof zeros ? n - off : (jsize)sizeof zeros;
        (*env)->SetByteArrayRegion(env, a, off, k, (const jbyte *)zeros);
    }
}

/* A provider's status: 0, or a tigress_status / application code; anything else is CRYPTO. */
static int provider_status(jint rc)
{
    if (rc == 0)
        return 0;
    if (rc <= TIGRESS_E_USER_MIN)
        return (int)rc;
    if (rc < 0 && strcmp(tigress_status_name((int)rc), "TIGRESS_E_UNKNOWN") != 0)
        return (int)rc;
    return TIGRESS_E_CRYPTO;
}

/* Common body of seal (is_open 0) and open (1). in/in_len: plaintext or ciphertext; out gets
 * in_len bytes; tag is written (seal) or read (open). */
static int aead_call(int is_open, tigress_payload_type type, const uint8_t *key, size_t key_len,
                     const uint8_t *nonce, size_t nonce_len, const uint8_t *in, size_t in_len,
                     uint8_t *out, uint8_t *tag, size_t tag_len, void *ud)
{
    jaead *ja = ud;
    JNIEnv *env = aead_env();
    if (!env)
        return TIGRESS_E_INTERNAL; /* not a JVM thread: never attach one */
    if ((*env)->ExceptionCheck(env))
        return TIGRESS_E_CRYPTO;   /* JNI calls are not allowed with an exception pending */
    if (key_len > 64 || nonce_len > 64 || tag_len > 64 || in_len > INT32_MAX)
        return TIGRESS_E_INVALID;
    if ((*env)->PushLocalFrame(env, 8) != 0) {
        (*env)->ExceptionClear(env);
        return TIGRESS_E_NOMEM;
    }
    int rc = TIGRESS_E_NOMEM;
    jbyteArray jkey = (*env)->NewByteArray(env, (jsize)key_len);
    jbyteArray jnonce = jkey ? (*env)->NewByteArray(env, (jsize)nonce_len) : NULL;
    jbyteArray jin = jnonce ? (*env)->NewByteArray(env, (jsize)in_len) : NULL;
    jbyteArray jout = jin ? (*env)->NewByteArray(env, (jsize)in_len) : NULL;
    jbyteArray jtag = jout ? (*env)->NewByteArray(env, (jsize)tag_len) : NULL;
    if (jtag) {
        (*env)->SetByteArrayRegion(env, jkey, 0, (jsize)key_len, (const jbyte *)key);
        (*env)->SetByteArrayRegion(env, jnonce, 0, (jsize)nonce_len, (const jbyte *)nonce);
        if (in_len)
            (*env)->SetByteArrayRegion(env, jin, 0, (jsize)in_len, (const jbyte *)in);
        if (is_open)
            (*env)->SetByteArrayRegion(env, jtag, 0, (jsize)tag_len, (const jbyte *)tag);
        jint r = (*env)->CallStaticIntMethod(env, a_native, is_open ? a_open : a_seal,
                                             ja->provider, (jint)type, jkey, jnonce, jin,
                                             is_open ? jtag : jout, is_open ? jout : jtag);
        /* Native.aeadSeal/aeadOpen catch the provider's exceptions; one here is the JVM's. */
        if ((*env)->ExceptionCheck(env)) {
            (*env)->ExceptionClear(env);
            rc = TIGRESS_E_CRYPTO;
        } else {
            rc = provider_status(r);
        }
        if (rc == 0) {
            if (in_len)
                (*env)->GetByteArrayRegion(env, jout, 0, (jsize)in_len, (jbyte *)out);
            if (!is_open)
                (*env)->GetByteArrayRegion(env, jtag, 0, (jsize)tag_len, (jbyte *)tag);
            if ((*env)->ExceptionCheck(env)) {
                (*env)->ExceptionClear(env);
                rc = TIGRESS_E_CRYPTO;
            }
        }
    } else {
        (*env)->ExceptionClear(env); /* OutOfMemoryError */
    }
    /* The key, the plaintext (seal's input, open's output) and the rest: never left behind. */
    zero_array(env, jkey);
    zero_array(env, jin);
    zero_array(env, jout);
    (*env)->PopLocalFrame(env, NULL);
    return rc;
}

static int aead_seal(tigress_payload_type type, const uint8_t *key, size_t key_len,
                     const uint8_t *nonce, size_t nonce_len, const uint8_t *plaintext,
                     size_t plaintext_len, uint8_t *ciphertext, uint8_t *tag, size_t tag_len,
                     void *ud)
{
    return aead_call(0, type, key, key_len, nonce, nonce_len, plaintext, plaintext_len,
                     ciphertext, tag, tag_len, ud);
}

static int aead_open(tigress_payload_type type, const uint8_t *key, size_t key_len,
                     const uint8_t *nonce, size_t nonce_len, const uint8_t *ciphertext,
                     size_t ciphertext_len, const uint8_t *tag, size_t tag_len,
                     uint8_t *plaintext, void *ud)
{
    /* The library may open in place (plaintext == ciphertext): the input is copied into a
     * Java array before anything is written to plaintext. */
    return aead_call(1, type, key, key_len, nonce, nonce_len, ciphertext, ciphertext_len,
                     plaintext, (uint8_t *)(uintptr_t)tag, tag_len, ud);
}

JNIEXPORT jlong JNICALL Java_org_tigress_Native_aeadNew(JNIEnv *env, jclass cls, jobject provider)
{
    (void)cls;
    jaead *ja = calloc(1, sizeof *ja);
    if (!ja || !provider || !(ja->provider = (*env)->NewGlobalRef(env, provider))) {
        free(ja);
        if (!(*env)->ExceptionCheck(env))
            tj_throw_status(env, provider ? TIGRESS_E_NOMEM : TIGRESS_E_INVALID, NULL);
        return 0;
    }
    if (tigress_aead_provider_init(&ja->vt, TIGRESS_AEAD_PROVIDER_VERSION) != 0) {
        (*env)->DeleteGlobalRef(env, ja->provider);
        free(ja);
        tj_throw_status(env, TIGRESS_E_VERSION, tigress_error_last());
        return 0;
    }
    ja->vt.seal = aead_seal;
    ja->vt.open = aead_open;
    ja->vt.user_data = ja;
    return (jlong)(intptr_t)ja;
}

JNIEXPORT void JNICALL Java_org_tigress_Native_aeadFree(JNIEnv *env, jclass cls, jlong h)
{
    (void)cls;
    jaead *ja = (jaead *)(intptr_t)h;
    if (!ja)
        return;
    (*env)->DeleteGlobalRef(env, ja->provider);
    free(ja);
}

JNIEXPORT void JNICALL Java_org_tigress_Native_aeadSetDefault(JNIEnv *env, jclass cls, jlong h)
{
    (void)cls;
    jaead *ja = (jaead *)(intptr_t)h;
    int rc = tigress_aead_provider_set_default(ja ? &ja->vt : NULL);
    if (rc != 0)
        tj_throw_status(env, rc, tigress_error_last());
}

JNIEXPORT jboolean JNICALL Java_org_tigress_Native_payloadTypeBuiltin(JNIEnv *env, jclass cls,
                                                                      jint type)
{
    (void)cls;
    if (tj_global_init(env) != 0)
        return JNI_FALSE;
    jboolean r = tigress_payload_type_builtin((tigress_payload_type)type) ? JNI_TRUE : JNI_FALSE;
    tigress_global_cleanup();
    return r;
}

const tigress_aead_provider *tj_aead_vtable(jlong h)
{
    jaead *ja = (jaead *)(intptr_t)h;
    return ja ? &ja->vt : NULL;
}
