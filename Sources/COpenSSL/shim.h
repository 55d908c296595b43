// The system's OpenSSL (libssl-dev, 3.0 on Debian 12): the one TLS engine of every model and of the driver.
// Swift does not import OpenSSL's function-like macros or its variadic functions; each wrapper below is one of them,
// spelled as a function so that Swift can call it.
#include <openssl/ssl.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <openssl/pem.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/opensslv.h>

static inline long shim_SSL_CTX_set_min_proto_version(SSL_CTX *ctx, int version) {
    return SSL_CTX_set_min_proto_version(ctx, version);
}
static inline long shim_SSL_CTX_set_max_proto_version(SSL_CTX *ctx, int version) {
    return SSL_CTX_set_max_proto_version(ctx, version);
}
static inline long shim_SSL_CTX_set1_groups_list(SSL_CTX *ctx, const char *list) {
    return SSL_CTX_set1_groups_list(ctx, list);
}
static inline long shim_SSL_CTX_set_session_cache_mode(SSL_CTX *ctx, long mode) {
    return SSL_CTX_set_session_cache_mode(ctx, mode);
}
static inline long shim_SSL_CTX_set_tlsext_ticket_keys(SSL_CTX *ctx, unsigned char *keys, long length) {
    return SSL_CTX_set_tlsext_ticket_keys(ctx, keys, length);
}
static inline long shim_SSL_set_tlsext_host_name(SSL *ssl, const char *name) {
    return SSL_set_tlsext_host_name(ssl, name);
}
static inline long shim_SSL_get_negotiated_group(SSL *ssl) {
    return SSL_get_negotiated_group(ssl);
}
static inline long shim_SSL_get_peer_tmp_key(SSL *ssl, EVP_PKEY **key) {
    return SSL_get_peer_tmp_key(ssl, key);
}
static inline long shim_SSL_CTX_set_mode(SSL_CTX *ctx, long mode) {
    return SSL_CTX_set_mode(ctx, mode);
}
static inline long shim_BIO_get_mem_data(BIO *bio, char **data) {
    return BIO_get_mem_data(bio, data);
}
static inline EVP_PKEY *shim_EVP_EC_gen(const char *curve) {
    return EVP_EC_gen(curve);
}
static inline int shim_X509_set_notBefore_days(X509 *x509, long days) {
    return X509_gmtime_adj(X509_getm_notBefore(x509), days * 86400L) != NULL;
}
static inline int shim_X509_set_notAfter_days(X509 *x509, long days) {
    return X509_gmtime_adj(X509_getm_notAfter(x509), days * 86400L) != NULL;
}
// The subjectAltName extension: X509V3_set_ctx_nodb is a macro, and the context is a struct Swift need not see.
static inline int shim_X509_add_subject_alt_name(X509 *x509, const char *value) {
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, x509, x509, NULL, NULL, 0);
    X509_EXTENSION *extension = X509V3_EXT_conf_nid(NULL, &ctx, NID_subject_alt_name, value);
    if (extension == NULL) return 0;
    int added = X509_add_ext(x509, extension, -1);
    X509_EXTENSION_free(extension);
    return added;
}
// Options made by SSL_OP_BIT, a macro Swift does not expand.
static const uint64_t shim_SSL_OP_NO_RENEGOTIATION = SSL_OP_NO_RENEGOTIATION;
static const uint64_t shim_SSL_OP_CIPHER_SERVER_PREFERENCE = SSL_OP_CIPHER_SERVER_PREFERENCE;
static const uint64_t shim_SSL_OP_NO_TICKET = SSL_OP_NO_TICKET;
