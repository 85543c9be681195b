/* tools/calibrate/harness_mbedtls.c — runs each mbed TLS operation a NodeMCU client handshake and
 * its records perform, on QEMU's lx106, with mbed TLS 2.28.3 built from Debian's source with the
 * NodeMCU devices' own configuration (nodemcu/tls/mbedtls_nodemcu_config.h: ECP window 2, no
 * fixed-point, 32-bit limbs, MPI window 1), and prints a BENCH line per operation (bench.c) for
 * tools/calibrate/calibrate --lib mbedtls, which writes sim/tls/chip_costs_mbedtls.json.
 *
 * Each bench calls the very function the simulator wraps (sim/tls/mbedtls_cost.cpp) with the
 * arguments mbed TLS's TLS code passes it. What the platform already charges on its own is left
 * out: the heap calls (the device's heap charges each calloc and free), timed here and excluded.
 * The platform hooks the configuration asks for are this file's: calloc/free on a static arena (no
 * device heap here), and the hardware entropy poll from a fixed generator.
 *
 * Output: as harness.c (BENCH ..., FAIL ..., DONE).
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "harness.h"
#include "mbedtls/cipher.h"
#include "mbedtls/ctr_drbg.h"
#include "mbedtls/ecdsa.h"
#include "mbedtls/ecp.h"
#include "mbedtls/entropy.h"
#include "mbedtls/rsa.h"
#include "mbedtls/sha1.h"
#include "mbedtls/sha256.h"
#include "mbedtls/sha512.h"
#include "mbedtls/ssl.h"
#include "mbedtls/x509_crt.h"
#include "vectors_mbedtls.h"

/* ---- the platform: a static arena for calloc/free, its time excluded ---------------------------- */

/* Free lists by size (8-byte classes up to 16 KB); larger or new blocks from a bump pointer. The
 * allocator's own instructions never count: the simulator charges the device's heap per call. */
#define ARENA_BYTES (8u << 20)
#define CLASSES 2048
static unsigned char g_arena[ARENA_BYTES] __attribute__((aligned(8)));
static size_t g_arena_used;
static void* g_free_list[CLASSES];
typedef struct {
  uint32_t cls, pad;
} block_head;

void* espfleet_mbedtls_calloc(size_t count, size_t size) {
  uint32_t t0 = counter_now();
  void* r = NULL;
  size_t n = count * size;
  if (!count || n / count == size) {
    size_t cls = (n + 7) / 8;
    if (cls < CLASSES && g_free_list[cls]) {
      r = g_free_list[cls];
      g_free_list[cls] = *(void**)r;
    } else if (g_arena_used + sizeof(block_head) + cls * 8 <= ARENA_BYTES) {
      block_head* h = (block_head*)(g_arena + g_arena_used);
      g_arena_used += sizeof(block_head) + (cls ? cls * 8 : 8);
      h->cls = (uint32_t)cls;
      r = h + 1;
    }
    if (r)
      for (size_t i = 0; i < n; i++) ((volatile unsigned char*)r)[i] = 0;
  }
  if (!r) fail("arena exhausted");
  g_excluded += counter_now() - t0;
  return r;
}

void espfleet_mbedtls_free(void* p) {
  uint32_t t0 = counter_now();
  if (p) {
    block_head* h = (block_head*)p - 1;
    if (h->cls < CLASSES) {
      *(void**)p = g_free_list[h->cls];
      g_free_list[h->cls] = p;
    }
  }
  g_excluded += counter_now() - t0;
}

/* MBEDTLS_ENTROPY_HARDWARE_ALT: a fixed generator (the device reads its own random32()). */
static uint32_t g_lcg = 12345;
int mbedtls_hardware_poll(void* data, unsigned char* output, size_t len, size_t* olen) {
  (void)data;
  for (size_t i = 0; i < len; i++) {
    g_lcg = g_lcg * 1664525u + 1013904223u;
    output[i] = (unsigned char)(g_lcg >> 24);
  }
  *olen = len;
  return 0;
}

static void check(int ret, const char* what) {
  if (ret != 0) fail(what);
}

/* The generator every operation that wants one gets, as the TLS code passes its conf's f_rng. */
static mbedtls_entropy_context g_entropy;
static mbedtls_ctr_drbg_context g_drbg;
static void drbg_setup(void) {
  mbedtls_entropy_init(&g_entropy);
  mbedtls_ctr_drbg_init(&g_drbg);
  check(mbedtls_ctr_drbg_seed(&g_drbg, mbedtls_entropy_func, &g_entropy, (const unsigned char*)"client", 6),
        "ctr_drbg_seed");
}

/* ---- ECP: scalar multiplication (ECDHE: the own public key d·G, the shared secret d·Q) ------------ */

static mbedtls_ecp_group g_grp;
static mbedtls_ecp_point g_Q, g_R;
static mbedtls_mpi g_d;
static void ec_load(mbedtls_ecp_group_id id, const unsigned char* d, size_t dlen, const unsigned char* q, size_t qlen) {
  mbedtls_ecp_group_free(&g_grp);
  mbedtls_ecp_point_free(&g_Q);
  mbedtls_ecp_point_free(&g_R);
  mbedtls_mpi_free(&g_d);
  mbedtls_ecp_group_init(&g_grp);
  mbedtls_ecp_point_init(&g_Q);
  mbedtls_ecp_point_init(&g_R);
  mbedtls_mpi_init(&g_d);
  check(mbedtls_ecp_group_load(&g_grp, id), "group_load");
  check(mbedtls_mpi_read_binary(&g_d, d, dlen), "read d");
  check(mbedtls_ecp_point_read_binary(&g_grp, &g_Q, q, qlen), "read Q");
}
static void setup_p256(void) {
  ec_load(MBEDTLS_ECP_DP_SECP256R1, v_ec256_d, sizeof v_ec256_d, v_ec256_q, sizeof v_ec256_q);
}
static void setup_p384(void) {
  ec_load(MBEDTLS_ECP_DP_SECP384R1, v_ec384_d, sizeof v_ec384_d, v_ec384_q, sizeof v_ec384_q);
}
/* As ecdh.c calls it: ecdh_compute_shared_restartable (d·Q) and ecdh_gen_public_restartable (d·G). */
static void run_ecp_mul(void) {
  check(mbedtls_ecp_mul_restartable(&g_grp, &g_R, &g_d, &g_Q, mbedtls_ctr_drbg_random, &g_drbg, NULL), "ecp_mul");
}
static void run_ecp_mul_g(void) {
  check(mbedtls_ecp_mul_restartable(&g_grp, &g_R, &g_d, &g_grp.G, mbedtls_ctr_drbg_random, &g_drbg, NULL), "ecp_mul G");
}

/* ---- ECDSA verify, as pk_wrap.c's ecdsa_verify_wrap calls it -------------------------------------- */

static mbedtls_ecdsa_context g_ecdsa;
static void ecdsa_load(void) {
  mbedtls_ecdsa_free(&g_ecdsa);
  mbedtls_ecdsa_init(&g_ecdsa);
  check(mbedtls_ecp_group_copy(&g_ecdsa.grp, &g_grp), "group_copy");
  check(mbedtls_ecp_copy(&g_ecdsa.Q, &g_Q), "copy Q");
}
static void setup_ecdsa256(void) {
  setup_p256();
  ecdsa_load();
}
static void setup_ecdsa384(void) {
  setup_p384();
  ecdsa_load();
}
static void run_ecdsa256(void) {
  check(mbedtls_ecdsa_read_signature(&g_ecdsa, v_hash256, 32, v_ec256_sig, sizeof v_ec256_sig), "ecdsa p256 verify");
}
static void run_ecdsa384(void) {
  check(mbedtls_ecdsa_read_signature(&g_ecdsa, v_hash384, 48, v_ec384_sig, sizeof v_ec384_sig), "ecdsa p384 verify");
}

/* ---- RSA verify (e = 65537), as pk_wrap.c's rsa_verify_wrap and pk.c's PSS path call it --------- */

static mbedtls_rsa_context g_rsa;
static void rsa_load(const unsigned char* n, size_t nlen) {
  mbedtls_rsa_free(&g_rsa);
  mbedtls_rsa_init(&g_rsa, MBEDTLS_RSA_PKCS_V15, 0);
  check(mbedtls_rsa_import_raw(&g_rsa, n, nlen, NULL, 0, NULL, 0, NULL, 0, v_rsa2048_e, 3), "rsa import");
  check(mbedtls_rsa_complete(&g_rsa), "rsa complete");
}
static void setup_rsa2048(void) { rsa_load(v_rsa2048_n, sizeof v_rsa2048_n); }
/* The context caches R^2 mod N (RN) after its first public operation; a server's key is a fresh
 * context each handshake, so each run starts without it (the reset excluded). */
static void rsa_fresh(void) {
  uint32_t t0 = counter_now();
  mbedtls_mpi_free(&g_rsa.RN);
  mbedtls_mpi_init(&g_rsa.RN);
  g_excluded += counter_now() - t0;
}
static void setup_rsa4096(void) { rsa_load(v_rsa4096_n, sizeof v_rsa4096_n); }
static void run_rsa2048(void) {
  rsa_fresh();
  check(
      mbedtls_rsa_pkcs1_verify(&g_rsa, NULL, NULL, MBEDTLS_RSA_PUBLIC, MBEDTLS_MD_SHA256, 32, v_hash256, v_rsa2048_sig),
      "rsa2048 verify");
}
static void run_rsa4096(void) {
  rsa_fresh();
  check(
      mbedtls_rsa_pkcs1_verify(&g_rsa, NULL, NULL, MBEDTLS_RSA_PUBLIC, MBEDTLS_MD_SHA256, 32, v_hash256, v_rsa4096_sig),
      "rsa4096 verify");
}
static void run_rsa2048_pss(void) {
  rsa_fresh();
  check(mbedtls_rsa_rsassa_pss_verify_ext(&g_rsa, NULL, NULL, MBEDTLS_RSA_PUBLIC, MBEDTLS_MD_SHA256, 32, v_hash256,
                                          MBEDTLS_MD_SHA256, MBEDTLS_RSA_SALT_LEN_ANY, v_rsa2048_pss_sig),
        "rsa2048 pss verify");
}

/* ---- X.509: parsing, as ssl_tls.c parses each certificate of the server's chain ------------------ */

static mbedtls_x509_crt g_crt;
/* Freeing the chain is not the parse's: timed and excluded. */
static void crt_reset(void) {
  uint32_t t0 = counter_now();
  mbedtls_x509_crt_free(&g_crt);
  mbedtls_x509_crt_init(&g_crt);
  g_excluded += counter_now() - t0;
}
static void run_x509_rsa(void) {
  crt_reset();
  check(mbedtls_x509_crt_parse_der(&g_crt, v_rsa_leaf_der, sizeof v_rsa_leaf_der), "parse rsa leaf");
}
static void run_x509_ec(void) {
  crt_reset();
  check(mbedtls_x509_crt_parse_der(&g_crt, v_ec_leaf_der, sizeof v_ec_leaf_der), "parse ec leaf");
}
/* The glue's CA (tls.cert.verify's PEM text, with its NUL): base64 and the DER parse. */
static void run_x509_pem(void) {
  crt_reset();
  check(mbedtls_x509_crt_parse(&g_crt, v_ca_pem, sizeof v_ca_pem), "parse ca pem");
}

/* ---- hashes: per block compressed, and the final padding block ------------------------------------ */

#define HASH_BYTES 2048
static unsigned char g_data[HASH_BYTES + 64] __attribute__((aligned(4)));
static unsigned char g_out[128];
static mbedtls_sha256_context g_sha256;
static mbedtls_sha512_context g_sha512;
static mbedtls_sha1_context g_sha1;
static void setup_sha256(void) { check(mbedtls_sha256_starts_ret(&g_sha256, 0), "sha256 starts"); }
static void run_sha256(void) { check(mbedtls_sha256_update_ret(&g_sha256, g_data, HASH_BYTES), "sha256 update"); }
static void setup_sha256_full(void) {
  setup_sha256();
  check(mbedtls_sha256_update_ret(&g_sha256, g_data, 128), "sha256 update");
}
/* finish on a whole number of blocks: one padding block. Repeated calls finish the same state
 * again (mbed TLS does not reset it), each one block. */
static void run_sha256_finish(void) { check(mbedtls_sha256_finish_ret(&g_sha256, g_out), "sha256 finish"); }
static void setup_sha512(void) { check(mbedtls_sha512_starts_ret(&g_sha512, 1), "sha384 starts"); }
static void run_sha512(void) { check(mbedtls_sha512_update_ret(&g_sha512, g_data, HASH_BYTES), "sha512 update"); }
static void setup_sha512_full(void) {
  setup_sha512();
  check(mbedtls_sha512_update_ret(&g_sha512, g_data, 256), "sha512 update");
}
static void run_sha512_finish(void) { check(mbedtls_sha512_finish_ret(&g_sha512, g_out), "sha512 finish"); }
static void setup_sha1(void) { check(mbedtls_sha1_starts_ret(&g_sha1), "sha1 starts"); }
static void run_sha1(void) { check(mbedtls_sha1_update_ret(&g_sha1, g_data, HASH_BYTES), "sha1 update"); }
static void setup_sha1_full(void) {
  setup_sha1();
  check(mbedtls_sha1_update_ret(&g_sha1, g_data, 128), "sha1 update");
}
static void run_sha1_finish(void) { check(mbedtls_sha1_finish_ret(&g_sha1, g_out), "sha1 finish"); }

/* ---- records: AEAD seal and open, as ssl_msg.c calls them ---------------------------------------- */

static mbedtls_cipher_context_t g_cipher;
static mbedtls_cipher_type_t g_ctype;
static size_t g_plain;
static unsigned char g_key[32] = {1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12, 13, 14, 15, 16,
                                  17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32};
static unsigned char g_iv[12] = {9, 8, 7}, g_ad[13] = {0, 0, 0, 0, 0, 0, 0, 1, 23, 3, 3};
static unsigned char g_rec[1024 + 16] __attribute__((aligned(4))), g_sealed[1024 + 16], g_opened[1024 + 16];
static size_t g_sealed_len;
static void cipher_load(mbedtls_cipher_type_t t, size_t plain, mbedtls_operation_t op) {
  const mbedtls_cipher_info_t* info = mbedtls_cipher_info_from_type(t);
  mbedtls_cipher_free(&g_cipher);
  mbedtls_cipher_init(&g_cipher);
  check(mbedtls_cipher_setup(&g_cipher, info), "cipher setup");
  check(mbedtls_cipher_setkey(&g_cipher, g_key, (int)info->key_bitlen, op), "setkey");
  g_ctype = t;
  g_plain = plain;
}
static void run_seal(void) {
  size_t olen;
  check(mbedtls_cipher_auth_encrypt_ext(&g_cipher, g_iv, 12, g_ad, 13, g_rec, g_plain, g_rec, sizeof g_rec, &olen, 16),
        "seal");
}
static void run_open(void) {
  size_t olen;
  check(mbedtls_cipher_auth_decrypt_ext(&g_cipher, g_iv, 12, g_ad, 13, g_sealed, g_sealed_len, g_opened,
                                        sizeof g_opened, &olen, 16),
        "open");
  if (olen != g_plain) fail("open length");
}
static void open_load(mbedtls_cipher_type_t t, size_t plain) {
  cipher_load(t, plain, MBEDTLS_ENCRYPT);
  memcpy(g_sealed, g_data, plain);
  check(mbedtls_cipher_auth_encrypt_ext(&g_cipher, g_iv, 12, g_ad, 13, g_sealed, plain, g_sealed, sizeof g_sealed,
                                        &g_sealed_len, 16),
        "seal for open");
  cipher_load(t, plain, MBEDTLS_DECRYPT);
}
#define RECORD_SETUPS(NAME, TYPE)                                                          \
  static void setup_seal_##NAME##_16(void) { cipher_load(TYPE, 16, MBEDTLS_ENCRYPT); }     \
  static void setup_seal_##NAME##_1024(void) { cipher_load(TYPE, 1024, MBEDTLS_ENCRYPT); } \
  static void setup_open_##NAME##_16(void) { open_load(TYPE, 16); }                        \
  static void setup_open_##NAME##_1024(void) { open_load(TYPE, 1024); }                    \
  static void setup_key_##NAME(void) { cipher_load(TYPE, 0, MBEDTLS_ENCRYPT); }
RECORD_SETUPS(gcm128, MBEDTLS_CIPHER_AES_128_GCM)
RECORD_SETUPS(gcm256, MBEDTLS_CIPHER_AES_256_GCM)
RECORD_SETUPS(chachapoly, MBEDTLS_CIPHER_CHACHA20_POLY1305)
/* The key schedule of one direction, as ssl_tls.c's mbedtls_ssl_derive_keys sets each context's. */
static void run_setkey(void) {
  const mbedtls_cipher_info_t* info = mbedtls_cipher_info_from_type(g_ctype);
  check(mbedtls_cipher_setkey(&g_cipher, g_key, (int)info->key_bitlen, MBEDTLS_ENCRYPT), "setkey");
}

/* ---- the generator: CTR-DRBG output, and seeding (the glue's mbedtls_ctr_drbg_seed) -------------- */

static void run_drbg_32(void) { check(mbedtls_ctr_drbg_random(&g_drbg, g_out, 32), "drbg 32"); }
static void run_drbg_256(void) { check(mbedtls_ctr_drbg_random(&g_drbg, g_rec, 256), "drbg 256"); }
static mbedtls_ctr_drbg_context g_seeded;
static void run_drbg_seed(void) {
  uint32_t t0 = counter_now();
  mbedtls_ctr_drbg_free(&g_seeded);
  mbedtls_ctr_drbg_init(&g_seeded);
  g_excluded += counter_now() - t0;
  check(mbedtls_ctr_drbg_seed(&g_seeded, mbedtls_entropy_func, &g_entropy, (const unsigned char*)"client", 6),
        "ctr_drbg_seed");
}

/* ---- informational: the TLS 1.2 PRF (SHA-256) of the master secret, charged through its hashes -- */

static unsigned char g_secret[48] = {7, 7, 7}, g_randoms[64] = {9, 9, 9};
static void run_prf_master(void) {
  check(mbedtls_ssl_tls_prf(MBEDTLS_SSL_TLS_PRF_SHA256, g_secret, 32, "master secret", g_randoms, 64, g_out, 48),
        "prf");
}

/* ---- main ------------------------------------------------------------------------------------------ */

#ifndef REPS
#define REPS 3
#endif
#define SHA256_BLOCKS (HASH_BYTES / 64)
#define SHA512_BLOCKS (HASH_BYTES / 128)

static const bench g_benches[] = {
    /* name                      units  iters reps  setup              run */
    {"null", 1, 64, REPS, 0, run_null},
    {"loop_known", KNOWN_LOOP_INSNS, 1, REPS, 0, run_loop},
    {"ecp_p256_mul", 1, 1, REPS, setup_p256, run_ecp_mul},
    {"ecp_p256_mul_g", 1, 1, REPS, setup_p256, run_ecp_mul_g},
    {"ecp_p384_mul", 1, 1, REPS, setup_p384, run_ecp_mul},
    {"ecp_p384_mul_g", 1, 1, REPS, setup_p384, run_ecp_mul_g},
    {"ecdsa_p256_verify", 1, 1, REPS, setup_ecdsa256, run_ecdsa256},
    {"ecdsa_p384_verify", 1, 1, REPS, setup_ecdsa384, run_ecdsa384},
    {"rsa2048_pkcs1_verify", 1, 1, REPS, setup_rsa2048, run_rsa2048},
    {"rsa2048_pss_verify", 1, 1, REPS, setup_rsa2048, run_rsa2048_pss},
    {"rsa4096_pkcs1_verify", 1, 1, REPS, setup_rsa4096, run_rsa4096},
    {"x509_rsa_cert", sizeof v_rsa_leaf_der, 2, REPS, 0, run_x509_rsa},
    {"x509_ec_cert", sizeof v_ec_leaf_der, 2, REPS, 0, run_x509_ec},
    {"x509_pem_ca", sizeof v_ca_pem, 2, REPS, 0, run_x509_pem},
    {"sha256_block", SHA256_BLOCKS, 4, REPS, setup_sha256, run_sha256},
    {"sha256_finish", 1, 64, REPS, setup_sha256_full, run_sha256_finish},
    {"sha512_block", SHA512_BLOCKS, 4, REPS, setup_sha512, run_sha512},
    {"sha512_finish", 1, 32, REPS, setup_sha512_full, run_sha512_finish},
    {"sha1_block", SHA256_BLOCKS, 4, REPS, setup_sha1, run_sha1},
    {"sha1_finish", 1, 64, REPS, setup_sha1_full, run_sha1_finish},
    {"gcm128_seal_16", 1, 16, REPS, setup_seal_gcm128_16, run_seal},
    {"gcm128_seal_1024", 1, 4, REPS, setup_seal_gcm128_1024, run_seal},
    {"gcm128_open_16", 1, 16, REPS, setup_open_gcm128_16, run_open},
    {"gcm128_open_1024", 1, 4, REPS, setup_open_gcm128_1024, run_open},
    {"gcm256_seal_16", 1, 16, REPS, setup_seal_gcm256_16, run_seal},
    {"gcm256_seal_1024", 1, 4, REPS, setup_seal_gcm256_1024, run_seal},
    {"gcm256_open_16", 1, 16, REPS, setup_open_gcm256_16, run_open},
    {"gcm256_open_1024", 1, 4, REPS, setup_open_gcm256_1024, run_open},
    {"chachapoly_seal_16", 1, 16, REPS, setup_seal_chachapoly_16, run_seal},
    {"chachapoly_seal_1024", 1, 4, REPS, setup_seal_chachapoly_1024, run_seal},
    {"chachapoly_open_16", 1, 16, REPS, setup_open_chachapoly_16, run_open},
    {"chachapoly_open_1024", 1, 4, REPS, setup_open_chachapoly_1024, run_open},
    {"gcm128_setkey", 1, 8, REPS, setup_key_gcm128, run_setkey},
    {"gcm256_setkey", 1, 8, REPS, setup_key_gcm256, run_setkey},
    {"chachapoly_setkey", 1, 8, REPS, setup_key_chachapoly, run_setkey},
    {"ctr_drbg_32", 1, 16, REPS, 0, run_drbg_32},
    {"ctr_drbg_256", 1, 8, REPS, 0, run_drbg_256},
    {"ctr_drbg_seed", 1, 4, REPS, 0, run_drbg_seed},
    {"prf_sha256_master", 1, 8, REPS, 0, run_prf_master},
};

int harness_main(void) {
  bss_clear();
  for (size_t i = 0; i < sizeof g_data; i++) g_data[i] = (unsigned char)(i * 131 + 7);
  out_str("HARNESS mbedtls-" CHIP_NAME "\n");
  g_current = "setup";
  drbg_setup();
  mbedtls_x509_crt_init(&g_crt);
  for (size_t i = 0; i < sizeof g_benches / sizeof g_benches[0]; i++) run_bench(&g_benches[i]);
  out_str(g_failed ? "FAILED\n" : "DONE\n");
  return g_failed;
}
