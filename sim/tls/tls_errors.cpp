// sim/tls/tls_errors.cpp — the code → name table (from BearSSL's headers and the error table of
// Tasmota's "SSL/TLS" documentation page), and mbed TLS's codes (negative) that a NodeMCU device's
// connection reports (nodemcu/tls/tls_session.h), by their names in mbed TLS's headers.
#include "tls_errors.h"

#include <bearssl.h>
#include <mbedtls/error.h>
#include <mbedtls/net_sockets.h>
#include <mbedtls/ssl.h>
#include <mbedtls/x509.h>

#include <cstdio>

namespace espfleet {
namespace {

// MBEDTLS_ERR_… without the prefix, for the codes a handshake or a connection ends with; others
// by mbed TLS's own description.
std::string mbedtls_name(int code) {
  switch (code) {
    case MBEDTLS_ERR_X509_CERT_VERIFY_FAILED:
      return "X509_CERT_VERIFY_FAILED";
    case MBEDTLS_ERR_SSL_FATAL_ALERT_MESSAGE:
      return "SSL_FATAL_ALERT_MESSAGE";
    case MBEDTLS_ERR_SSL_INVALID_RECORD:
      return "SSL_INVALID_RECORD";
    case MBEDTLS_ERR_SSL_FEATURE_UNAVAILABLE:
      return "SSL_FEATURE_UNAVAILABLE";
    case MBEDTLS_ERR_SSL_TIMEOUT:
      return "SSL_TIMEOUT";
    case MBEDTLS_ERR_SSL_CONN_EOF:
      return "SSL_CONN_EOF";
    case MBEDTLS_ERR_SSL_ALLOC_FAILED:
      return "SSL_ALLOC_FAILED";
    case MBEDTLS_ERR_SSL_BAD_INPUT_DATA:
      return "SSL_BAD_INPUT_DATA";
    case MBEDTLS_ERR_SSL_BAD_HS_SERVER_HELLO:
      return "SSL_BAD_HS_SERVER_HELLO";
    case MBEDTLS_ERR_SSL_BAD_HS_CERTIFICATE:
      return "SSL_BAD_HS_CERTIFICATE";
    case MBEDTLS_ERR_SSL_NO_USABLE_CIPHERSUITE:
      return "SSL_NO_USABLE_CIPHERSUITE";
    case MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY:
      return "SSL_PEER_CLOSE_NOTIFY";
    case MBEDTLS_ERR_NET_CONN_RESET:
      return "NET_CONN_RESET";
    default:
      break;
  }
  char text[160];
  mbedtls_strerror(code, text, sizeof text);
  char hex[16];
  std::snprintf(hex, sizeof hex, "-0x%04X", unsigned(-code));
  return std::string("MBEDTLS_") + hex + " (" + text + ")";
}

}  // namespace

std::string tls_error_name(int code) {
  switch (code) {
    case 0:
      return "OK";
    case -1000:
      return "OUT_OF_MEMORY";
    case -1002:
      return "TCP_CONNECT_FAILED";
    case -1005:
      return "HANDSHAKE_TIMEOUT";
    case BR_ERR_BAD_PARAM:
      return "BAD_FINGERPRINT";  // the firmware's fingerprint check returns 1
    case BR_ERR_BAD_STATE:
      return "BAD_STATE";
    case BR_ERR_UNSUPPORTED_VERSION:
      return "UNSUPPORTED_VERSION";
    case BR_ERR_BAD_VERSION:
      return "BAD_VERSION";
    case BR_ERR_BAD_LENGTH:
      return "BAD_LENGTH";
    case BR_ERR_TOO_LARGE:
      return "TOO_LARGE";
    case BR_ERR_BAD_MAC:
      return "BAD_MAC";
    case BR_ERR_NO_RANDOM:
      return "NO_RANDOM";
    case BR_ERR_UNKNOWN_TYPE:
      return "UNKNOWN_TYPE";
    case BR_ERR_UNEXPECTED:
      return "UNEXPECTED";
    case BR_ERR_BAD_CCS:
      return "BAD_CCS";
    case BR_ERR_BAD_ALERT:
      return "BAD_ALERT";
    case BR_ERR_BAD_HANDSHAKE:
      return "BAD_HANDSHAKE";
    case BR_ERR_OVERSIZED_ID:
      return "OVERSIZED_ID";
    case BR_ERR_BAD_CIPHER_SUITE:
      return "BAD_CIPHER_SUITE";
    case BR_ERR_BAD_COMPRESSION:
      return "BAD_COMPRESSION";
    case BR_ERR_BAD_FRAGLEN:
      return "BAD_FRAGLEN";
    case BR_ERR_BAD_SECRENEG:
      return "BAD_SECRENEG";
    case BR_ERR_EXTRA_EXTENSION:
      return "EXTRA_EXTENSION";
    case BR_ERR_BAD_SNI:
      return "BAD_SNI";
    case BR_ERR_BAD_HELLO_DONE:
      return "BAD_HELLO_DONE";
    case BR_ERR_LIMIT_EXCEEDED:
      return "LIMIT_EXCEEDED";
    case BR_ERR_BAD_FINISHED:
      return "BAD_FINISHED";
    case BR_ERR_RESUME_MISMATCH:
      return "RESUME_MISMATCH";
    case BR_ERR_INVALID_ALGORITHM:
      return "INVALID_ALGORITHM";
    case BR_ERR_BAD_SIGNATURE:
      return "BAD_SIGNATURE";
    case BR_ERR_WRONG_KEY_USAGE:
      return "WRONG_KEY_USAGE";
    case BR_ERR_NO_CLIENT_AUTH:
      return "NO_CLIENT_AUTH";
    case BR_ERR_IO:
      return "IO";
    case BR_ERR_X509_INVALID_VALUE:
      return "X509_INVALID_VALUE";
    case BR_ERR_X509_TRUNCATED:
      return "X509_TRUNCATED";
    case BR_ERR_X509_EMPTY_CHAIN:
      return "X509_EMPTY_CHAIN";
    case BR_ERR_X509_INNER_TRUNC:
      return "X509_INNER_TRUNC";
    case BR_ERR_X509_BAD_TAG_CLASS:
      return "X509_BAD_TAG_CLASS";
    case BR_ERR_X509_BAD_TAG_VALUE:
      return "X509_BAD_TAG_VALUE";
    case BR_ERR_X509_INDEFINITE_LENGTH:
      return "X509_INDEFINITE_LENGTH";
    case BR_ERR_X509_EXTRA_ELEMENT:
      return "X509_EXTRA_ELEMENT";
    case BR_ERR_X509_UNEXPECTED:
      return "X509_UNEXPECTED";
    case BR_ERR_X509_NOT_CONSTRUCTED:
      return "X509_NOT_CONSTRUCTED";
    case BR_ERR_X509_NOT_PRIMITIVE:
      return "X509_NOT_PRIMITIVE";
    case BR_ERR_X509_PARTIAL_BYTE:
      return "X509_PARTIAL_BYTE";
    case BR_ERR_X509_BAD_BOOLEAN:
      return "X509_BAD_BOOLEAN";
    case BR_ERR_X509_OVERFLOW:
      return "X509_OVERFLOW";
    case BR_ERR_X509_BAD_DN:
      return "X509_BAD_DN";
    case BR_ERR_X509_BAD_TIME:
      return "X509_BAD_TIME";
    case BR_ERR_X509_UNSUPPORTED:
      return "X509_UNSUPPORTED";
    case BR_ERR_X509_LIMIT_EXCEEDED:
      return "X509_LIMIT_EXCEEDED";
    case BR_ERR_X509_WRONG_KEY_TYPE:
      return "X509_WRONG_KEY_TYPE";
    case BR_ERR_X509_BAD_SIGNATURE:
      return "X509_BAD_SIGNATURE";
    case BR_ERR_X509_TIME_UNKNOWN:
      return "X509_TIME_UNKNOWN";
    case BR_ERR_X509_EXPIRED:
      return "X509_EXPIRED";
    case BR_ERR_X509_DN_MISMATCH:
      return "X509_DN_MISMATCH";
    case BR_ERR_X509_BAD_SERVER_NAME:
      return "X509_BAD_SERVER_NAME";
    case BR_ERR_X509_CRITICAL_EXTENSION:
      return "X509_CRITICAL_EXTENSION";
    case BR_ERR_X509_NOT_CA:
      return "X509_NOT_CA";
    case BR_ERR_X509_FORBIDDEN_KEY_USAGE:
      return "X509_FORBIDDEN_KEY_USAGE";
    case BR_ERR_X509_WEAK_PUBLIC_KEY:
      return "X509_WEAK_PUBLIC_KEY";
    case BR_ERR_X509_NOT_TRUSTED:
      return "X509_NOT_TRUSTED";
    default:
      break;
  }
  if (code < 0) return mbedtls_name(code);
  if (code >= BR_ERR_SEND_FATAL_ALERT) return "SENT_ALERT_" + std::to_string(code - BR_ERR_SEND_FATAL_ALERT);
  if (code >= BR_ERR_RECV_FATAL_ALERT) return "RECEIVED_ALERT_" + std::to_string(code - BR_ERR_RECV_FATAL_ALERT);
  return "ERROR_" + std::to_string(code);
}

}  // namespace espfleet
