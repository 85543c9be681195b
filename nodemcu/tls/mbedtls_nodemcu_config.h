/* nodemcu/tls/mbedtls_nodemcu_config.h — mbed TLS configured as NodeMCU configures it, for the
 * NodeMCU devices' TLS client (tls_session.h). Read by mbed TLS as MBEDTLS_USER_CONFIG_FILE, at the
 * end of the source tree's own include/mbedtls/config.h: what is here changes mbed TLS's defaults,
 * as NodeMCU's app/include/user_mbedtls.h changes those of its vendored 2.16.3 (its Makefiles pass
 * -DMBEDTLS_USER_CONFIG_FILE="user_mbedtls.h"). The library built here is Debian bookworm's 2.28.3
 * (tools/deps fetches the source package; CMakeLists.txt builds its library sources with this file).
 *
 * Every setting below is NodeMCU's (nodemcu-firmware, release branch: app/include/user_mbedtls.h,
 * with SSL_BUFFER_SIZE 4096 and SSL_MAX_FRAGMENT_LENGTH_CODE from app/include/user_config.h) unless
 * its comment says it adapts a 2.28 option that 2.16.3 did not have, or did differently; the
 * resulting set was compared option by option with NodeMCU's own (its config.h with its
 * user_mbedtls.h), docs/nodemcu-tls.md lists the differences. C, not C++: the library is C. */
#ifndef ESPFLEET_MBEDTLS_NODEMCU_CONFIG_H
#define ESPFLEET_MBEDTLS_NODEMCU_CONFIG_H
#ifndef MBEDTLS_CONFIG_H
#error "mbedtls_nodemcu_config.h changes mbed TLS's defaults: include mbedtls/config.h, which reads it last"
#endif

#include <stddef.h>

/* ---- System: no assembly, no clock, no files, no sockets, no threads ---------------------------- */

#undef MBEDTLS_HAVE_ASM
#undef MBEDTLS_HAVE_SSE2
/* The ESP8266's lx106 is a 32-bit core: its big numbers are arrays of 32-bit limbs. Forced here
 * (mbed TLS allows it on any host once MBEDTLS_HAVE_ASM is off) so that every number's heap block
 * is the chip's size, not a 64-bit host's. Not in user_mbedtls.h: for a 32-bit target bignum.h
 * picks it itself. */
#define MBEDTLS_HAVE_INT32
/* No time at all: NodeMCU turns both off ("until we have a real, working RTC-based
 * gettimeofday"), so certificates are never checked for expiry or for not being valid yet. */
#undef MBEDTLS_HAVE_TIME
#undef MBEDTLS_HAVE_TIME_DATE
#undef MBEDTLS_TIMING_C
#undef MBEDTLS_FS_IO
/* NodeMCU keeps MBEDTLS_NET_C (its own lwIP-socket version, app/mbedtls/platform/mbedtls_net.c);
 * here the glue (tls_session.cpp) is the socket layer, so mbed TLS's POSIX one is left out. */
#undef MBEDTLS_NET_C
#undef MBEDTLS_THREADING_C
#undef MBEDTLS_THREADING_PTHREAD
#undef MBEDTLS_SELF_TEST
#undef MBEDTLS_DEBUG_C /* NodeMCU's release build (DEVELOP_VERSION off) */
#undef MBEDTLS_DEPRECATED_WARNING
#define MBEDTLS_DEPRECATED_REMOVED
#undef MBEDTLS_GENPRIME
#undef MBEDTLS_MEMORY_BUFFER_ALLOC_C
#undef MBEDTLS_MEMORY_DEBUG
#undef MBEDTLS_MEMORY_BACKTRACE
#undef MBEDTLS_ERROR_STRERROR_DUMMY
#define MBEDTLS_ERROR_C /* mbedtls_strerror: readable names for the codes the glue reports */
#define MBEDTLS_VERSION_C
#define MBEDTLS_VERSION_FEATURES

/* PSA Crypto (on by default in 2.28, absent from 2.16): NodeMCU's library has no such layer, and
 * its key store needs files. Off. */
#undef MBEDTLS_PSA_CRYPTO_C
#undef MBEDTLS_PSA_CRYPTO_STORAGE_C
#undef MBEDTLS_PSA_ITS_FILE_C
#undef MBEDTLS_USE_PSA_CRYPTO

/* ---- Allocation: the running device's heap ------------------------------------------------------ */

/* NodeMCU routes mbedtls_calloc/free through MBEDTLS_PLATFORM_STD_CALLOC/FREE to its libc calloc,
 * which its sdk-overrides/include/stdlib.h makes the SDK's os_zalloc (pvPortZalloc). Here the same
 * calls go, through compile-time macros, to the heap of the device whose code is running
 * (mbedtls_platform.cpp). */
#define MBEDTLS_PLATFORM_C
#define MBEDTLS_PLATFORM_MEMORY
#undef MBEDTLS_PLATFORM_NO_STD_FUNCTIONS
#ifdef __cplusplus
extern "C" {
#endif
void* espfleet_mbedtls_calloc(size_t count, size_t size);
void espfleet_mbedtls_free(void* p);
#ifdef __cplusplus
}
#endif
#define MBEDTLS_PLATFORM_CALLOC_MACRO espfleet_mbedtls_calloc
#define MBEDTLS_PLATFORM_FREE_MACRO espfleet_mbedtls_free
/* The heap site (HeapSite file) of mbed TLS's blocks: the heap map tags them tls, the two
 * 4429-byte record buffers tls_buffers (sim/heap/heap_tags.cpp). */
#define ESPFLEET_MBEDTLS_HEAP_SITE "mbedtls"

/* ---- Entropy: the chip's hardware generator only ------------------------------------------------ */

/* NodeMCU's mbedtls_hardware_poll (app/mbedtls/platform/esp_hardware.c) reads os_get_random; here
 * it reads the device's random32(), which the scenario's seed makes (mbedtls_platform.cpp). */
#define MBEDTLS_NO_PLATFORM_ENTROPY
#define MBEDTLS_ENTROPY_HARDWARE_ALT
#define MBEDTLS_ENTROPY_FORCE_SHA256
#undef MBEDTLS_ENTROPY_NV_SEED
#undef MBEDTLS_TEST_NULL_ENTROPY
#undef MBEDTLS_HAVEGE_C
#define MBEDTLS_CTR_DRBG_RESEED_INTERVAL 1000
#define MBEDTLS_HMAC_DRBG_RESEED_INTERVAL 1000

/* ---- TLS: 1.2 only, client and server, 4 KiB records ------------------------------------------- */

#undef MBEDTLS_SSL_PROTO_SSL3
#undef MBEDTLS_SSL_PROTO_TLS1
#undef MBEDTLS_SSL_PROTO_TLS1_1
#define MBEDTLS_SSL_PROTO_TLS1_2
#undef MBEDTLS_SSL_PROTO_DTLS
#undef MBEDTLS_SSL_DTLS_ANTI_REPLAY
#undef MBEDTLS_SSL_DTLS_HELLO_VERIFY
#undef MBEDTLS_SSL_DTLS_CLIENT_PORT_REUSE
#undef MBEDTLS_SSL_DTLS_BADMAC_LIMIT
/* Each record buffer holds 4096 bytes of content (user_config.h's SSL_BUFFER_SIZE): with the
 * header and the worst-case IV, MAC and padding, 13 + 16 + 48 + 256 + 4096 = 4429 bytes, two of
 * them calloc'd by mbedtls_ssl_setup. A larger record, or a handshake message spread over several
 * records (a Certificate message over 4 KiB), fails the connection. */
#define MBEDTLS_SSL_MAX_CONTENT_LEN 4096
#define MBEDTLS_SSL_MAX_FRAGMENT_LENGTH /* the client asks for 4096-byte records (the glue) */
#undef MBEDTLS_SSL_RENEGOTIATION
#undef MBEDTLS_SSL_CBC_RECORD_SPLITTING
#undef MBEDTLS_SSL_SRV_SUPPORT_SSLV2_CLIENT_HELLO
#undef MBEDTLS_SSL_SRV_RESPECT_CLIENT_PREFERENCE
#undef MBEDTLS_SSL_HW_RECORD_ACCEL
#undef MBEDTLS_ZLIB_SUPPORT
#define MBEDTLS_SSL_ALL_ALERT_MESSAGES
#define MBEDTLS_SSL_ENCRYPT_THEN_MAC
#define MBEDTLS_SSL_EXTENDED_MASTER_SECRET
#define MBEDTLS_SSL_FALLBACK_SCSV
#define MBEDTLS_SSL_ALPN
#define MBEDTLS_SSL_SESSION_TICKETS
#define MBEDTLS_SSL_EXPORT_KEYS
/* Compiled in, as NodeMCU's; its glue never names the server (no mbedtls_ssl_set_hostname), so
 * no SNI is sent and the certificate's names are not checked. */
#define MBEDTLS_SSL_SERVER_NAME_INDICATION
#define MBEDTLS_SSL_TRUNCATED_HMAC
#define MBEDTLS_SSL_CLI_C
#define MBEDTLS_SSL_SRV_C
#define MBEDTLS_SSL_TLS_C
#define MBEDTLS_SSL_CACHE_C
#define MBEDTLS_SSL_COOKIE_C
#define MBEDTLS_SSL_TICKET_C
/* 2.16 kept the server's certificate chain in the session until the session was freed; 2.28 does
 * the same with this option (its default), without it only a digest. Kept: 2.16's heap use. */
#define MBEDTLS_SSL_KEEP_PEER_CERTIFICATE
/* 2.28 features 2.16.3 did not have (context serialisation, mbedtls_ssl_check_record): off. */
#undef MBEDTLS_SSL_CONTEXT_SERIALIZATION
#undef MBEDTLS_SSL_RECORD_CHECKING
#undef MBEDTLS_SSL_VARIABLE_BUFFER_LENGTH
#undef MBEDTLS_SSL_DTLS_CONNECTION_ID

/* ---- Key exchange: DHE-RSA, ECDHE-RSA, ECDHE-ECDSA ---------------------------------------------- */

#undef MBEDTLS_KEY_EXCHANGE_PSK_ENABLED
#undef MBEDTLS_KEY_EXCHANGE_DHE_PSK_ENABLED
#undef MBEDTLS_KEY_EXCHANGE_ECDHE_PSK_ENABLED
#undef MBEDTLS_KEY_EXCHANGE_RSA_PSK_ENABLED
#undef MBEDTLS_KEY_EXCHANGE_RSA_ENABLED
#define MBEDTLS_KEY_EXCHANGE_DHE_RSA_ENABLED
#define MBEDTLS_KEY_EXCHANGE_ECDHE_RSA_ENABLED
#define MBEDTLS_KEY_EXCHANGE_ECDHE_ECDSA_ENABLED
#undef MBEDTLS_KEY_EXCHANGE_ECDH_ECDSA_ENABLED
#undef MBEDTLS_KEY_EXCHANGE_ECDH_RSA_ENABLED
#undef MBEDTLS_KEY_EXCHANGE_ECJPAKE_ENABLED
#undef MBEDTLS_ECJPAKE_C
/* SHA-1 may sign the server's key exchange: 2.16.3's default, no longer 2.28's. */
#define MBEDTLS_TLS_DEFAULT_ALLOW_SHA1_IN_KEY_EXCHANGE
/* 2.16's ECDH context layout (2.28 keeps it with this option, its default). */
#define MBEDTLS_ECDH_LEGACY_CONTEXT

/* ---- Ciphers: AES, Camellia, ChaCha20-Poly1305; CBC, CFB, CTR, GCM, CCM ---------------------- */

#define MBEDTLS_AES_C
#define MBEDTLS_AES_ROM_TABLES
#undef MBEDTLS_AESNI_C
#undef MBEDTLS_PADLOCK_C
#define MBEDTLS_CAMELLIA_C
#define MBEDTLS_CAMELLIA_SMALL_MEMORY
#define MBEDTLS_GCM_C
#define MBEDTLS_CCM_C
#define MBEDTLS_CMAC_C
#define MBEDTLS_CIPHER_C
#define MBEDTLS_CIPHER_MODE_CBC
#define MBEDTLS_CIPHER_MODE_CFB
#define MBEDTLS_CIPHER_MODE_CTR
#define MBEDTLS_CIPHER_PADDING_PKCS7
#define MBEDTLS_CIPHER_PADDING_ONE_AND_ZEROS
#define MBEDTLS_CIPHER_PADDING_ZEROS_AND_LEN
#define MBEDTLS_CIPHER_PADDING_ZEROS
#undef MBEDTLS_CIPHER_NULL_CIPHER
#undef MBEDTLS_ENABLE_WEAK_CIPHERSUITES
#define MBEDTLS_REMOVE_ARC4_CIPHERSUITES
#undef MBEDTLS_ARC4_C
#undef MBEDTLS_BLOWFISH_C
#undef MBEDTLS_DES_C
#undef MBEDTLS_XTEA_C
/* ChaCha20-Poly1305 stays on, as user_mbedtls.h leaves it (2.16.3's default). */

/* ---- Hashes, big numbers, public keys, certificates --------------------------------------------- */

#undef MBEDTLS_MD2_C
#undef MBEDTLS_MD4_C
#undef MBEDTLS_MD5_C
#define MBEDTLS_SHA1_C
#define MBEDTLS_SHA256_C
#define MBEDTLS_SHA256_SMALLER
#define MBEDTLS_SHA512_C
#define MBEDTLS_RIPEMD160_C
#define MBEDTLS_MD_C
#define MBEDTLS_BIGNUM_C
#define MBEDTLS_MPI_WINDOW_SIZE 1
#define MBEDTLS_MPI_MAX_SIZE 512
#define MBEDTLS_RSA_C
#undef MBEDTLS_RSA_NO_CRT
#define MBEDTLS_PKCS1_V15
#define MBEDTLS_PKCS1_V21
#define MBEDTLS_DHM_C
#define MBEDTLS_ECDH_C
#define MBEDTLS_ECDSA_C
#define MBEDTLS_ECDSA_DETERMINISTIC
#define MBEDTLS_ECP_C
#define MBEDTLS_ECP_NIST_OPTIM
#define MBEDTLS_ECP_MAX_BITS 384
#define MBEDTLS_ECP_WINDOW_SIZE 2
#define MBEDTLS_ECP_FIXED_POINT_OPTIM 0
/* The curves offered, in mbed TLS's order: secp384r1, brainpoolP384r1, secp256r1, secp256k1,
 * brainpoolP256r1. */
#undef MBEDTLS_ECP_DP_SECP192R1_ENABLED
#undef MBEDTLS_ECP_DP_SECP224R1_ENABLED
#define MBEDTLS_ECP_DP_SECP256R1_ENABLED
#define MBEDTLS_ECP_DP_SECP384R1_ENABLED
#undef MBEDTLS_ECP_DP_SECP521R1_ENABLED
#undef MBEDTLS_ECP_DP_SECP192K1_ENABLED
#undef MBEDTLS_ECP_DP_SECP224K1_ENABLED
#define MBEDTLS_ECP_DP_SECP256K1_ENABLED
#define MBEDTLS_ECP_DP_BP256R1_ENABLED
#define MBEDTLS_ECP_DP_BP384R1_ENABLED
#undef MBEDTLS_ECP_DP_BP512R1_ENABLED
#undef MBEDTLS_ECP_DP_CURVE25519_ENABLED
/* user_mbedtls.h leaves Curve448 on, but 2.16.3 never offered the Montgomery curves in TLS (its
 * curve list has only the Weierstrass ones); 2.28 would offer x448. Off, so the same five go out. */
#undef MBEDTLS_ECP_DP_CURVE448_ENABLED
#define MBEDTLS_PK_C
#define MBEDTLS_PK_PARSE_C
#define MBEDTLS_PK_WRITE_C
#define MBEDTLS_PK_PARSE_EC_EXTENDED
#define MBEDTLS_PK_RSA_ALT_SUPPORT
#define MBEDTLS_PKCS5_C
#define MBEDTLS_PKCS12_C
#undef MBEDTLS_PKCS11_C
#define MBEDTLS_ASN1_PARSE_C
#define MBEDTLS_ASN1_WRITE_C
#define MBEDTLS_BASE64_C
#define MBEDTLS_OID_C
#define MBEDTLS_PEM_PARSE_C
#define MBEDTLS_PEM_WRITE_C
#undef MBEDTLS_CERTS_C
#define MBEDTLS_X509_USE_C
#define MBEDTLS_X509_CRT_PARSE_C
#define MBEDTLS_X509_CRL_PARSE_C
#define MBEDTLS_X509_CSR_PARSE_C
#define MBEDTLS_X509_CREATE_C
#define MBEDTLS_X509_CRT_WRITE_C
#define MBEDTLS_X509_CSR_WRITE_C
#define MBEDTLS_X509_CHECK_KEY_USAGE
#define MBEDTLS_X509_CHECK_EXTENDED_KEY_USAGE
#define MBEDTLS_X509_RSASSA_PSS_SUPPORT
#undef MBEDTLS_X509_ALLOW_EXTENSIONS_NON_V3
#undef MBEDTLS_X509_ALLOW_UNSUPPORTED_CRITICAL_EXTENSION
#define MBEDTLS_X509_MAX_INTERMEDIATE_CA 3

#endif /* ESPFLEET_MBEDTLS_NODEMCU_CONFIG_H */
