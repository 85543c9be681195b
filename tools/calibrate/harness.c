/* tools/calibrate/harness.c — runs each BearSSL primitive the firmware uses (the chip's
 * i15/m15/small implementations) on QEMU's lx106 (ESP8266) or RV32IMC (ESP32-C3) and prints, per
 * benchmark, the counter ticks of each repetition and the stack high-water of one call. Built by
 * tools/calibrate/calibrate, which turns ticks into instructions (harness.h: lx106 CCOUNT under
 * -icount shift=5, 1.28 ticks per instruction; RV32 instret under -icount shift=0, one per
 * instruction) and writes sim/tls/chip_costs.json or chip_costs_esp32c3.json. handshake.c adds the
 * HS lines (a whole TLS handshake on the chip); bench.c holds the bench loop and the stack paint.
 *
 * Output lines (parsed by the script):
 *   BENCH <name> <units-per-run> <runs-per-rep> <stack-bytes> <ticks rep1> <ticks rep2> ...
 *   HS <phase> key=value ...            (handshake.c)
 *   FAIL <name> <detail>
 *   DONE
 */
#include <bearssl.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "harness.h"
#include "vectors.h"

/* ---- EC P-256 (m15) ---------------------------------------------------------------------------- */

static unsigned char g_point[65], g_out[300];
static void setup_point(void) { memcpy(g_point, v_ec_pub, 65); }
static void run_ec_mul(void) {
  if (!br_ec_p256_m15.mul(g_point, 65, v_ec_y, 32, BR_EC_secp256r1)) fail("mul");
}
static void run_ec_mulgen(void) {
  if (br_ec_p256_m15.mulgen(g_out, v_ec_y, 32, BR_EC_secp256r1) != 65) fail("mulgen");
}
static void run_ec_muladd(void) {
  /* As ECDSA verification calls it: x*A + y*G (B = NULL is the generator). */
  if (!br_ec_p256_m15.muladd(g_point, NULL, 65, v_ec_x, 32, v_ec_y, 32, BR_EC_secp256r1)) fail("muladd");
}

/* ---- RSA-2048 (i15) ------------------------------------------------------------------------------ */

static const br_rsa_public_key g_rsa = {(unsigned char*)v_rsa_n, sizeof v_rsa_n, (unsigned char*)v_rsa_e,
                                        sizeof v_rsa_e};
static unsigned char g_rsabuf[256];
static void setup_rsa(void) { memcpy(g_rsabuf, v_rsa_sig, 256); }
static void run_rsa_public(void) {
  if (!br_rsa_i15_public(g_rsabuf, 256, &g_rsa)) fail("public");
}
static void run_rsa_vrfy(void) {
  unsigned char h[32];
  if (!br_rsa_i15_pkcs1_vrfy(v_rsa_sig, 256, BR_HASH_OID_SHA256, 32, &g_rsa, h) || memcmp(h, v_hash, 32))
    fail("pkcs1 verify");
}

/* ---- ECDSA P-256 (i15 over m15) ------------------------------------------------------------------ */

static const br_ec_private_key g_ecsk = {BR_EC_secp256r1, (unsigned char*)v_ec_x, 32};
static const br_ec_public_key g_ecpk = {BR_EC_secp256r1, (unsigned char*)v_ec_pub, 65};
static void run_ecdsa_sign(void) {
  size_t n = br_ecdsa_i15_sign_asn1(&br_ec_p256_m15, &br_sha256_vtable, v_hash, &g_ecsk, g_out);
  if (n != sizeof v_ecdsa_sig || memcmp(g_out, v_ecdsa_sig, n)) fail("sign (not RFC 6979-identical)");
}
static void run_ecdsa_vrfy(void) {
  if (!br_ecdsa_i15_vrfy_asn1(&br_ec_p256_m15, v_hash, 32, &g_ecpk, v_ecdsa_sig, sizeof v_ecdsa_sig)) fail("verify");
}

/* ---- hashes ---------------------------------------------------------------------------------------- */

#define HASH_BLOCKS 32
static unsigned char g_data[2048] __attribute__((aligned(4)));
static br_sha256_context g_sha256;
static br_sha1_context g_sha1;
static void setup_sha256(void) { br_sha256_init(&g_sha256); }
static void run_sha256_blocks(void) { br_sha256_update(&g_sha256, g_data, 64 * HASH_BLOCKS); }
static void setup_sha256_full(void) {
  br_sha256_init(&g_sha256);
  br_sha256_update(&g_sha256, g_data, 128);
}
static void run_sha256_out(void) { br_sha256_out(&g_sha256, g_out); }
static void setup_sha1(void) { br_sha1_init(&g_sha1); }
static void run_sha1_blocks(void) { br_sha1_update(&g_sha1, g_data, 64 * HASH_BLOCKS); }
static void setup_sha1_full(void) {
  br_sha1_init(&g_sha1);
  br_sha1_update(&g_sha1, g_data, 128);
}
static void run_sha1_out(void) { br_sha1_out(&g_sha1, g_out); }

/* ---- AES-128 (small) CTR and GHASH (ctmul32) ------------------------------------------------------- */

#define AES_BLOCKS 64
static br_aes_small_ctr_keys g_aes;
static const unsigned char g_key[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
static unsigned char g_iv[12], g_ghy[16], g_ghh[16] = {0x42, 0x17};
static void setup_aes(void) { br_aes_small_ctr_init(&g_aes, g_key, 16); }
static void run_aes_init(void) { br_aes_small_ctr_init(&g_aes, g_key, 16); }
static void run_aes_blocks(void) { br_aes_small_ctr_run(&g_aes, g_iv, 1, g_data, 16 * AES_BLOCKS); }
static void run_ghash_blocks(void) { br_ghash_ctmul32(g_ghy, g_ghh, g_data, 16 * AES_BLOCKS); }

/* ---- TLS 1.2 PRF (SHA-256), the three calls of a handshake --------------------------------------- */

static unsigned char g_secret[48] = {7, 7, 7};
static unsigned char g_randoms[64] = {9, 9, 9};
static void run_prf_master(void) {
  /* master secret from an ECDHE premaster (P-256 X coordinate, 32 bytes) and the two randoms. */
  br_tls_prf_seed_chunk seed = {g_randoms, 64};
  br_tls12_sha256_prf(g_out, 48, g_secret, 32, "master secret", 1, &seed);
}
static void run_prf_keys(void) {
  /* key block for AES-128-GCM: 2 x 16 key + 2 x 4 IV = 40 bytes. */
  br_tls_prf_seed_chunk seed[2] = {{g_randoms + 32, 32}, {g_randoms, 32}};
  br_tls12_sha256_prf(g_out, 40, g_secret, 48, "key expansion", 2, seed);
}
static void run_prf_finished(void) {
  br_tls_prf_seed_chunk seed = {g_randoms, 32};
  br_tls12_sha256_prf(g_out, 12, g_secret, 48, "client finished", 1, &seed);
}

/* ---- X.509: the minimal engine over ee ← ica2 (anchored at ica1), and the bare decoder ----------- */

static const br_x509_trust_anchor g_ta = {
    {(unsigned char*)v_ta_dn, sizeof v_ta_dn},
    BR_X509_TA_CA,
    {BR_KEYTYPE_RSA, {.rsa = {(unsigned char*)v_ta_n, sizeof v_ta_n, (unsigned char*)v_ta_e, sizeof v_ta_e}}}};
static br_x509_minimal_context g_xc;
static uint32_t g_rsa_calls;
/* The signature checks are charged on their own (rsa2048_pkcs1_vrfy): exclude them here. */
static uint32_t counted_rsa_vrfy(const unsigned char* x, size_t xlen, const unsigned char* oid, size_t hlen,
                                 const br_rsa_public_key* pk, unsigned char* out) {
  uint32_t t0 = counter_now();
  uint32_t r = br_rsa_i15_pkcs1_vrfy(x, xlen, oid, hlen, pk, out);
  g_excluded += counter_now() - t0;
  g_rsa_calls++;
  return r;
}
static void setup_x509(void) {
  br_x509_minimal_init(&g_xc, &br_sha256_vtable, &g_ta, 1);
  br_x509_minimal_set_hash(&g_xc, br_sha256_ID, &br_sha256_vtable);
  br_x509_minimal_set_rsa(&g_xc, counted_rsa_vrfy);
  br_x509_minimal_set_time(&g_xc, 739251, 0); /* 2024-01-01 */
}
static void run_x509_minimal(void) {
  const br_x509_class** x = &g_xc.vtable;
  g_rsa_calls = 0;
  (*x)->start_chain(x, "www.example.com");
  (*x)->start_cert(x, sizeof v_cert_ee);
  (*x)->append(x, v_cert_ee, sizeof v_cert_ee);
  (*x)->end_cert(x);
  (*x)->start_cert(x, sizeof v_cert_ica2);
  (*x)->append(x, v_cert_ica2, sizeof v_cert_ica2);
  (*x)->end_cert(x);
  unsigned err = (*x)->end_chain(x);
  if (err) fail("chain not validated");
  if (g_rsa_calls != 2) fail("expected 2 RSA signature checks");
}
static br_x509_decoder_context g_dc;
static void run_x509_decoder(void) {
  br_x509_decoder_init(&g_dc, NULL, NULL);
  br_x509_decoder_push(&g_dc, v_cert_ee, sizeof v_cert_ee);
  if (!br_x509_decoder_get_pkey(&g_dc)) fail("decode");
}

/* ---- TLS record layer: AES-128-GCM records, as the engine seals and opens them ------------------- */

#define MAX_RECS 16
static br_sslrec_gcm_context g_rec_out, g_rec_in;
static unsigned char g_recs[MAX_RECS][13 + 1024 + 16 + 16] __attribute__((aligned(4)));
static unsigned char* g_rec_start[MAX_RECS];
static size_t g_rec_len[MAX_RECS], g_rec_plain;
static uint32_t g_rec_next;
static void setup_rec_out(void) {
  br_sslrec_out_gcm_vtable.init(&g_rec_out.vtable.out, &br_aes_small_ctr_vtable, g_key, 16, &br_ghash_ctmul32, g_iv);
  g_rec_next = 0;
}
static void run_rec_out(void) {
  uint32_t i = g_rec_next++ % MAX_RECS;
  size_t len = g_rec_plain;
  const br_sslrec_out_class** cc = (const br_sslrec_out_class**)&g_rec_out.vtable.out;
  g_rec_start[i] = (*cc)->encrypt(cc, 23, 0x0303, g_recs[i] + 13, &len);
  g_rec_len[i] = len; /* the whole record, header included */
}
static void setup_rec_in(void) {
  setup_rec_out();
  for (uint32_t i = 0; i < MAX_RECS; i++) run_rec_out(); /* valid records to open, in sequence */
  br_sslrec_in_gcm_vtable.init(&g_rec_in.vtable.in, &br_aes_small_ctr_vtable, g_key, 16, &br_ghash_ctmul32, g_iv);
  g_rec_next = 0;
}
static void run_rec_in(void) {
  uint32_t i = g_rec_next++ % MAX_RECS;
  size_t len = g_rec_len[i] - 5;
  const br_sslrec_in_class** cc = (const br_sslrec_in_class**)&g_rec_in.vtable.in;
  if (!(*cc)->decrypt(cc, 23, 0x0303, g_rec_start[i] + 5, &len) || len != g_rec_plain)
    fail("record did not authenticate");
}
static void setup_rec_out_16(void) {
  g_rec_plain = 16;
  setup_rec_out();
}
static void setup_rec_out_1024(void) {
  g_rec_plain = 1024;
  setup_rec_out();
}
static void setup_rec_in_16(void) {
  g_rec_plain = 16;
  setup_rec_in();
}
static void setup_rec_in_1024(void) {
  g_rec_plain = 1024;
  setup_rec_in();
}

/* ---- byte copying and the Internet checksum (lwIP's per-byte work on the TCP path) -------------- */

static unsigned char g_copy[1460] __attribute__((aligned(4)));
static void run_memcpy(void) {
  memcpy(g_copy, g_data, 1460);
  __asm__ volatile("" ::"r"(g_copy) : "memory"); /* keep the copy */
}
/* lwIP LWIP_CHKSUM_ALGORITHM 2 shape: 16-bit words into a 32-bit accumulator, folded. */
static uint16_t __attribute__((noinline)) inet_chksum(const void* data, size_t len) {
  const uint8_t* p = data;
  uint32_t acc = 0;
  while (len > 1) {
    acc += (uint32_t)p[0] << 8 | p[1];
    p += 2;
    len -= 2;
  }
  if (len) acc += (uint32_t)p[0] << 8;
  acc = (acc >> 16) + (acc & 0xffff);
  acc = (acc >> 16) + (acc & 0xffff);
  return (uint16_t)acc;
}
static volatile uint16_t g_sum;
static void run_chksum(void) { g_sum = inet_chksum(g_data, 1460); }

/* ---- main ------------------------------------------------------------------------------------------ */

#ifndef REPS
#define REPS 3
#endif

static const bench g_benches[] = {
    /* name                      units  iters reps  setup              run */
    {"null", 1, 64, REPS, 0, run_null},
    {"loop_known", KNOWN_LOOP_INSNS, 1, REPS, 0, run_loop},
    {"ec_p256_mul", 1, 1, REPS, setup_point, run_ec_mul},
    {"ec_p256_mulgen", 1, 1, REPS, 0, run_ec_mulgen},
    {"ec_p256_muladd", 1, 1, REPS, setup_point, run_ec_muladd},
    {"rsa2048_public", 1, 1, REPS, setup_rsa, run_rsa_public},
    {"rsa2048_pkcs1_vrfy", 1, 1, REPS, 0, run_rsa_vrfy},
    {"ecdsa_p256_sign", 1, 1, REPS, 0, run_ecdsa_sign},
    {"ecdsa_p256_vrfy", 1, 1, REPS, 0, run_ecdsa_vrfy},
    {"sha256_block", HASH_BLOCKS, 4, REPS, setup_sha256, run_sha256_blocks},
    {"sha256_out", 1, 64, REPS, setup_sha256_full, run_sha256_out},
    {"sha1_block", HASH_BLOCKS, 4, REPS, setup_sha1, run_sha1_blocks},
    {"sha1_out", 1, 64, REPS, setup_sha1_full, run_sha1_out},
    {"aes128_small_init", 1, 256, REPS, 0, run_aes_init},
    {"aes128_small_ctr_block", AES_BLOCKS, 4, REPS, setup_aes, run_aes_blocks},
    {"ghash_ctmul32_block", AES_BLOCKS, 4, REPS, 0, run_ghash_blocks},
    {"prf_sha256_master", 1, 8, REPS, 0, run_prf_master},
    {"prf_sha256_keys", 1, 8, REPS, 0, run_prf_keys},
    {"prf_sha256_finished", 1, 8, REPS, 0, run_prf_finished},
    {"x509_minimal_chain", sizeof v_cert_ee + sizeof v_cert_ica2, 2, REPS, setup_x509, run_x509_minimal},
    {"x509_decoder_cert", sizeof v_cert_ee, 4, REPS, 0, run_x509_decoder},
    {"gcm_record_out_16", 1, 16, REPS, setup_rec_out_16, run_rec_out},
    {"gcm_record_out_1024", 1, 4, REPS, setup_rec_out_1024, run_rec_out},
    {"gcm_record_in_16", 1, 16, REPS, setup_rec_in_16, run_rec_in},
    {"gcm_record_in_1024", 1, 4, REPS, setup_rec_in_1024, run_rec_in},
    {"memcpy_1460", 1460, 32, REPS, 0, run_memcpy},
    {"inet_chksum_1460", 1460, 16, REPS, 0, run_chksum},
};

int harness_main(void) {
  bss_clear();
  for (size_t i = 0; i < sizeof g_data; i++) g_data[i] = (unsigned char)(i * 131 + 7);
  out_str("HARNESS bearssl-" CHIP_NAME "\n");
  for (size_t i = 0; i < sizeof g_benches / sizeof g_benches[0]; i++) run_bench(&g_benches[i]);
  g_current = "handshake";
  int hs = run_handshake();
  if (hs) {
    out_str("FAIL handshake step ");
    out_u32((uint32_t)hs);
    out_str("\n");
    g_failed = 1;
  }
  out_str(g_failed ? "FAILED\n" : "DONE\n");
  return g_failed;
}
