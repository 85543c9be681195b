/* tools/calibrate/gen_vectors_mbedtls.c — host program (links Debian's libmbedtls, the same 2.28.3
 * as the chip's) that writes harness_mbedtls.c's test vectors as a C header, deterministically
 * (every random byte comes from an HMAC-DRBG with a fixed seed): RSA-2048 and RSA-4096 keys
 * (e = 65537) with PKCS#1 v1.5 SHA-256 signatures and an RSA-2048 PSS one; P-256 and P-384 keys with
 * their ECDSA signatures; a CA certificate (RSA-2048, self-signed) and two server certificates it
 * signs, one with an RSA-2048 key and one with a P-256 key (the shapes tests/nodemcu/tls/ handshakes
 * with: a CN, a subjectAltName, the usual extensions).
 *
 * usage: gen_vectors_mbedtls > vectors_mbedtls.h
 */
#include <mbedtls/ecdsa.h>
#include <mbedtls/hmac_drbg.h>
#include <mbedtls/md.h>
#include <mbedtls/oid.h>
#include <mbedtls/pem.h>
#include <mbedtls/pk.h>
#include <mbedtls/rsa.h>
#include <mbedtls/sha256.h>
#include <mbedtls/sha512.h>
#include <mbedtls/x509_crt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static mbedtls_hmac_drbg_context g_drbg;

static void check(int ret, const char* what) {
  if (ret != 0) {
    fprintf(stderr, "gen_vectors_mbedtls: %s failed (-0x%04x)\n", what, (unsigned)-ret);
    exit(1);
  }
}

static void emit(const char* name, const void* data, size_t len) {
  const unsigned char* p = data;
  printf("static const unsigned char %s[%zu] = {", name, len);
  for (size_t i = 0; i < len; i++) printf("%s0x%02x,", (i % 16) ? "" : "\n  ", p[i]);
  printf("\n};\n");
}

static void emit_mpi(const char* name, const mbedtls_mpi* x, size_t len) {
  unsigned char buf[512];
  check(mbedtls_mpi_write_binary(x, buf, len), name);
  emit(name, buf, len);
}

static void rsa_key(mbedtls_pk_context* pk, unsigned bits) {
  mbedtls_pk_init(pk);
  check(mbedtls_pk_setup(pk, mbedtls_pk_info_from_type(MBEDTLS_PK_RSA)), "pk_setup rsa");
  check(mbedtls_rsa_gen_key(mbedtls_pk_rsa(*pk), mbedtls_hmac_drbg_random, &g_drbg, bits, 65537), "rsa_gen_key");
}

static void ec_key(mbedtls_pk_context* pk, mbedtls_ecp_group_id id) {
  mbedtls_pk_init(pk);
  check(mbedtls_pk_setup(pk, mbedtls_pk_info_from_type(MBEDTLS_PK_ECKEY)), "pk_setup ec");
  check(mbedtls_ecp_gen_key(id, mbedtls_pk_ec(*pk), mbedtls_hmac_drbg_random, &g_drbg), "ecp_gen_key");
}

static void emit_rsa(const char* prefix, mbedtls_pk_context* pk, const unsigned char* hash) {
  mbedtls_rsa_context* rsa = mbedtls_pk_rsa(*pk);
  const size_t len = mbedtls_rsa_get_len(rsa);
  char name[64];
  mbedtls_mpi n, e;
  mbedtls_mpi_init(&n);
  mbedtls_mpi_init(&e);
  check(mbedtls_rsa_export(rsa, &n, NULL, NULL, NULL, &e), "rsa_export");
  snprintf(name, sizeof name, "v_%s_n", prefix);
  emit_mpi(name, &n, len);
  snprintf(name, sizeof name, "v_%s_e", prefix);
  emit_mpi(name, &e, 3);
  unsigned char sig[512];
  check(mbedtls_rsa_pkcs1_sign(rsa, mbedtls_hmac_drbg_random, &g_drbg, MBEDTLS_RSA_PRIVATE, MBEDTLS_MD_SHA256, 32, hash,
                               sig),
        "rsa_pkcs1_sign");
  snprintf(name, sizeof name, "v_%s_sig", prefix);
  emit(name, sig, len);
  mbedtls_mpi_free(&n);
  mbedtls_mpi_free(&e);
}

static void emit_ec(const char* prefix, mbedtls_pk_context* pk, const unsigned char* hash, size_t hlen) {
  mbedtls_ecp_keypair* k = mbedtls_pk_ec(*pk);
  const size_t plen = mbedtls_mpi_size(&k->grp.P);
  char name[64];
  unsigned char buf[160];
  size_t olen;
  snprintf(name, sizeof name, "v_%s_d", prefix);
  emit_mpi(name, &k->d, plen);
  check(mbedtls_ecp_point_write_binary(&k->grp, &k->Q, MBEDTLS_ECP_PF_UNCOMPRESSED, &olen, buf, sizeof buf),
        "point_write");
  snprintf(name, sizeof name, "v_%s_q", prefix);
  emit(name, buf, olen);
  mbedtls_ecdsa_context ecdsa;
  mbedtls_ecdsa_init(&ecdsa);
  check(mbedtls_ecdsa_from_keypair(&ecdsa, k), "ecdsa_from_keypair");
  check(mbedtls_ecdsa_write_signature(&ecdsa, hlen == 32 ? MBEDTLS_MD_SHA256 : MBEDTLS_MD_SHA384, hash, hlen, buf,
                                      &olen, mbedtls_hmac_drbg_random, &g_drbg),
        "ecdsa_write_signature");
  snprintf(name, sizeof name, "v_%s_sig", prefix);
  emit(name, buf, olen);
  mbedtls_ecdsa_free(&ecdsa);
}

/* subjectAltName: DNS:localhost, IP:127.0.0.1 (the test servers' names). */
static const unsigned char k_san[] = {0x30, 0x11, 0x82, 0x09, 'l',  'o', 'c', 'a', 'l', 'h',
                                      'o',  's',  't',  0x87, 0x04, 127, 0,   0,   1};

static size_t make_cert(unsigned char* out, size_t cap, mbedtls_pk_context* subject_key, const char* subject,
                        mbedtls_pk_context* issuer_key, const char* issuer, int ca, int serial) {
  mbedtls_x509write_cert w;
  mbedtls_mpi sn;
  mbedtls_x509write_crt_init(&w);
  mbedtls_mpi_init(&sn);
  check(mbedtls_mpi_lset(&sn, serial), "serial");
  mbedtls_x509write_crt_set_version(&w, MBEDTLS_X509_CRT_VERSION_3);
  mbedtls_x509write_crt_set_md_alg(&w, MBEDTLS_MD_SHA256);
  mbedtls_x509write_crt_set_subject_key(&w, subject_key);
  mbedtls_x509write_crt_set_issuer_key(&w, issuer_key);
  check(mbedtls_x509write_crt_set_subject_name(&w, subject), "subject");
  check(mbedtls_x509write_crt_set_issuer_name(&w, issuer), "issuer");
  check(mbedtls_x509write_crt_set_serial(&w, &sn), "serial");
  check(mbedtls_x509write_crt_set_validity(&w, "20240101000000", "20340101000000"), "validity");
  check(mbedtls_x509write_crt_set_basic_constraints(&w, ca, -1), "basic constraints");
  check(mbedtls_x509write_crt_set_subject_key_identifier(&w), "ski");
  check(mbedtls_x509write_crt_set_authority_key_identifier(&w), "aki");
  if (ca) {
    check(mbedtls_x509write_crt_set_key_usage(&w, MBEDTLS_X509_KU_KEY_CERT_SIGN | MBEDTLS_X509_KU_CRL_SIGN), "ku");
  } else {
    check(mbedtls_x509write_crt_set_key_usage(&w, MBEDTLS_X509_KU_DIGITAL_SIGNATURE | MBEDTLS_X509_KU_KEY_ENCIPHERMENT),
          "ku");
    check(mbedtls_x509write_crt_set_extension(&w, MBEDTLS_OID_SUBJECT_ALT_NAME,
                                              MBEDTLS_OID_SIZE(MBEDTLS_OID_SUBJECT_ALT_NAME), 0, k_san, sizeof k_san),
          "san");
  }
  int n = mbedtls_x509write_crt_der(&w, out, cap, mbedtls_hmac_drbg_random, &g_drbg);
  if (n < 0) check(n, "x509write_crt_der");
  memmove(out, out + cap - (size_t)n, (size_t)n); /* written at the end of the buffer */
  mbedtls_x509write_crt_free(&w);
  mbedtls_mpi_free(&sn);
  return (size_t)n;
}

int main(void) {
  static const unsigned char seed[] = "espfleet tools/calibrate mbed TLS vectors";
  mbedtls_hmac_drbg_init(&g_drbg);
  check(mbedtls_hmac_drbg_seed_buf(&g_drbg, mbedtls_md_info_from_type(MBEDTLS_MD_SHA256), seed, sizeof seed - 1),
        "drbg seed");
  printf("/* generated by tools/calibrate/gen_vectors_mbedtls.c — do not edit */\n#pragma once\n");

  /* The message hashes every signature covers. */
  static const unsigned char msg[] = "espfleet calibration message";
  unsigned char h256[32], h384[64];
  check(mbedtls_sha256_ret(msg, sizeof msg - 1, h256, 0), "sha256");
  check(mbedtls_sha512_ret(msg, sizeof msg - 1, h384, 1), "sha384");
  emit("v_hash256", h256, 32);
  emit("v_hash384", h384, 48);

  mbedtls_pk_context rsa2048, rsa4096, ca, ec256, ec384;
  rsa_key(&ca, 2048);
  rsa_key(&rsa2048, 2048);
  rsa_key(&rsa4096, 4096);
  ec_key(&ec256, MBEDTLS_ECP_DP_SECP256R1);
  ec_key(&ec384, MBEDTLS_ECP_DP_SECP384R1);
  emit_rsa("rsa2048", &rsa2048, h256);
  emit_rsa("rsa4096", &rsa4096, h256);
  {
    unsigned char sig[256];
    mbedtls_rsa_context* r = mbedtls_pk_rsa(rsa2048);
    mbedtls_rsa_set_padding(r, MBEDTLS_RSA_PKCS_V21, MBEDTLS_MD_SHA256);
    check(mbedtls_rsa_rsassa_pss_sign(r, mbedtls_hmac_drbg_random, &g_drbg, MBEDTLS_RSA_PRIVATE, MBEDTLS_MD_SHA256, 32,
                                      h256, sig),
          "pss sign");
    emit("v_rsa2048_pss_sig", sig, 256);
    mbedtls_rsa_set_padding(r, MBEDTLS_RSA_PKCS_V15, MBEDTLS_MD_NONE);
  }
  emit_ec("ec256", &ec256, h256, 32);
  emit_ec("ec384", &ec384, h384, 48);

  static unsigned char der[4096];
  const char* ca_dn = "CN=espfleet calibrate CA,O=espfleet";
  size_t n = make_cert(der, sizeof der, &ca, ca_dn, &ca, ca_dn, 1, 1);
  emit("v_ca_der", der, n);
  {
    unsigned char pem[4096];
    size_t olen;
    check(mbedtls_pem_write_buffer("-----BEGIN CERTIFICATE-----\n", "-----END CERTIFICATE-----\n", der, n, pem,
                                   sizeof pem, &olen),
          "pem");
    emit("v_ca_pem", pem, olen); /* with its terminating NUL, as mbedtls_x509_crt_parse wants PEM */
  }
  n = make_cert(der, sizeof der, &rsa2048, "CN=localhost,O=espfleet", &ca, ca_dn, 0, 2);
  emit("v_rsa_leaf_der", der, n);
  n = make_cert(der, sizeof der, &ec256, "CN=localhost,O=espfleet", &ca, ca_dn, 0, 3);
  emit("v_ec_leaf_der", der, n);
  return 0;
}
