/* tools/calibrate/handshake.c — a whole TLS 1.2 handshake on the chip, to measure what the
 * per-operation table leaves out: the engine's own work (T0 handshake code, record framing,
 * multihash buffering, HMAC-DRBG, the engine-call dispatch).
 *
 * A BearSSL client configured as the firmware's (core/tls_client.cpp: TLS 1.2,
 * ECDHE_RSA_WITH_AES_128_GCM_SHA256, SHA-256 only, m15/i15/small/ctmul32, 1349/1109-byte
 * buffers → MFLN 1024) and a BearSSL server (RSA-2048) run in the same image and exchange records
 * in memory. Every client engine call is timed; every operation the simulator charges from the
 * table on its own (EC, RSA, PRF, hash blocks, GCM records) is timed inside and subtracted, so the
 * remainder is the engine's work. The client checks the server key with br_x509_knownkey (no
 * X.509 work: the minimal engine is charged per certificate byte on its own).
 *
 * Prints:  HS <phase> ticks=<client engine ticks> excluded=<ticks> calls=<n> recs_in=<n>
 *          recs_out=<n> hs_bytes=<n> ec_mul=<n> ... stack=<client's deepest engine call, bytes>
 *          (phase: handshake, app)
 */
#include <bearssl.h>
#include <string.h>

#include "harness.h"
#include "vectors.h"

static uint32_t x_ticks; /* excluded: charged on their own by the simulator */
static uint32_t n_mul, n_mulgen, n_muladd, n_rsa, n_prf, n_hash_bytes, n_rec_in, n_rec_out, n_gcm_init;

#define EXCLUDE(stmt)               \
  do {                              \
    uint32_t t0_ = counter_now();   \
    stmt;                           \
    x_ticks += counter_now() - t0_; \
  } while (0)

/* ---- counting wrappers around the client's implementations ----------------------------------- */

static uint32_t w_mul(unsigned char* G, size_t Glen, const unsigned char* x, size_t xlen, int curve) {
  uint32_t r;
  EXCLUDE(r = br_ec_p256_m15.mul(G, Glen, x, xlen, curve));
  n_mul++;
  return r;
}
static size_t w_mulgen(unsigned char* R, const unsigned char* x, size_t xlen, int curve) {
  size_t r;
  EXCLUDE(r = br_ec_p256_m15.mulgen(R, x, xlen, curve));
  n_mulgen++;
  return r;
}
static uint32_t w_muladd(unsigned char* A, const unsigned char* B, size_t len, const unsigned char* x, size_t xlen,
                         const unsigned char* y, size_t ylen, int curve) {
  uint32_t r;
  EXCLUDE(r = br_ec_p256_m15.muladd(A, B, len, x, xlen, y, ylen, curve));
  n_muladd++;
  return r;
}
static br_ec_impl w_ec;

static uint32_t w_rsa(const unsigned char* x, size_t xlen, const unsigned char* oid, size_t hlen,
                      const br_rsa_public_key* pk, unsigned char* out) {
  uint32_t r;
  EXCLUDE(r = br_rsa_i15_pkcs1_vrfy(x, xlen, oid, hlen, pk, out));
  n_rsa++;
  return r;
}

static void w_prf(void* dst, size_t len, const void* secret, size_t slen, const char* label, size_t n,
                  const br_tls_prf_seed_chunk* seed) {
  EXCLUDE(br_tls12_sha256_prf(dst, len, secret, slen, label, n, seed));
  n_prf++;
}

/* SHA-256 as the engine's multihash uses it (always through the impl pointer). */
static br_hash_class w_sha256;
static void w_sha256_update(const br_hash_class** ctx, const void* data, size_t len) {
  EXCLUDE(br_sha256_vtable.update(ctx, data, len));
  n_hash_bytes += (uint32_t)len;
}
static void w_sha256_out(const br_hash_class* const* ctx, void* dst) { EXCLUDE(br_sha256_vtable.out(ctx, dst)); }

/* GCM records: the init puts the wrapper class in the context, as the simulator's does. */
static br_sslrec_in_gcm_class w_in;
static br_sslrec_out_gcm_class w_out;
static unsigned char* w_decrypt(const br_sslrec_in_class** ctx, int rt, unsigned v, void* p, size_t* len) {
  unsigned char* r;
  EXCLUDE(r = br_sslrec_in_gcm_vtable.inner.decrypt(ctx, rt, v, p, len));
  n_rec_in++;
  return r;
}
static unsigned char* w_encrypt(const br_sslrec_out_class** ctx, int rt, unsigned v, void* p, size_t* len) {
  unsigned char* r;
  EXCLUDE(r = br_sslrec_out_gcm_vtable.inner.encrypt(ctx, rt, v, p, len));
  n_rec_out++;
  return r;
}
static void w_in_init(const br_sslrec_in_gcm_class** ctx, const br_block_ctr_class* bc, const void* key, size_t klen,
                      br_ghash gh, const void* iv) {
  EXCLUDE(br_sslrec_in_gcm_vtable.init(ctx, bc, key, klen, gh, iv));
  *ctx = &w_in;
  n_gcm_init++;
}
static void w_out_init(const br_sslrec_out_gcm_class** ctx, const br_block_ctr_class* bc, const void* key, size_t klen,
                       br_ghash gh, const void* iv) {
  EXCLUDE(br_sslrec_out_gcm_vtable.init(ctx, bc, key, klen, gh, iv));
  *ctx = &w_out;
  n_gcm_init++;
}

static void make_wrappers(void) {
  w_ec = br_ec_p256_m15;
  w_ec.mul = w_mul;
  w_ec.mulgen = w_mulgen;
  w_ec.muladd = w_muladd;
  w_sha256 = br_sha256_vtable;
  w_sha256.update = w_sha256_update;
  w_sha256.out = w_sha256_out;
  w_in = br_sslrec_in_gcm_vtable;
  w_in.inner.decrypt = w_decrypt;
  w_in.init = w_in_init;
  w_out = br_sslrec_out_gcm_vtable;
  w_out.inner.encrypt = w_encrypt;
  w_out.init = w_out_init;
}

/* ---- the two ends ------------------------------------------------------------------------------ */

static br_ssl_client_context g_cc;
static br_x509_knownkey_context g_kk;
static unsigned char g_cin[1024 + 325], g_cout[1024 + 85];
static br_ssl_server_context g_sc;
static unsigned char g_sbuf[BR_SSL_BUFSIZE_BIDI];
static const uint16_t kSuite[] = {BR_TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256};

/* A client engine call: timed, and its stack depth (below the caller's frame) tracked. */
static uint32_t c_ticks, c_calls, c_stack;
#define CLIENT(stmt)                \
  do {                              \
    uint32_t sp_ = get_sp();        \
    stack_paint(sp_);               \
    uint32_t t0_ = counter_now();   \
    stmt;                           \
    c_ticks += counter_now() - t0_; \
    c_calls++;                      \
    uint32_t d_ = stack_scan(sp_);  \
    if (d_ > c_stack) c_stack = d_; \
  } while (0)

/* Record counting on the wire (both directions), from the 5-byte headers. */
typedef struct {
  uint32_t need; /* bytes left in the current record's body, or header bytes still to read */
  int in_header;
  unsigned char hdr[5];
  uint32_t hpos;
  uint32_t records;
} wire;
static wire w_c2s, w_s2c;
static void wire_feed(wire* w, const unsigned char* p, size_t n) {
  while (n) {
    if (w->in_header) {
      w->hdr[w->hpos++] = *p++;
      n--;
      if (w->hpos == 5) {
        w->in_header = 0;
        w->need = ((uint32_t)w->hdr[3] << 8) | w->hdr[4];
        w->records++;
        if (!w->need) {
          w->in_header = 1;
          w->hpos = 0;
        }
      }
    } else {
      size_t k = n < w->need ? n : w->need;
      p += k;
      n -= k;
      w->need -= (uint32_t)k;
      if (!w->need) {
        w->in_header = 1;
        w->hpos = 0;
      }
    }
  }
}

/* Move one chunk of records from one end to the other; 1 if anything moved. */
static int pump(int from_client) {
  br_ssl_engine_context* src = from_client ? &g_cc.eng : &g_sc.eng;
  br_ssl_engine_context* dst = from_client ? &g_sc.eng : &g_cc.eng;
  unsigned char *out, *in;
  size_t olen = 0, ilen = 0;
  if (from_client)
    CLIENT(out = br_ssl_engine_sendrec_buf(src, &olen));
  else
    out = br_ssl_engine_sendrec_buf(src, &olen);
  if (!out) return 0;
  if (from_client)
    in = br_ssl_engine_recvrec_buf(dst, &ilen);
  else
    CLIENT(in = br_ssl_engine_recvrec_buf(dst, &ilen));
  if (!in) return 0;
  size_t n = olen < ilen ? olen : ilen;
  memcpy(in, out, n);
  wire_feed(from_client ? &w_c2s : &w_s2c, out, n);
  if (from_client) {
    CLIENT(br_ssl_engine_sendrec_ack(src, n));
    br_ssl_engine_recvrec_ack(dst, n);
  } else {
    br_ssl_engine_sendrec_ack(src, n);
    CLIENT(br_ssl_engine_recvrec_ack(dst, n));
  }
  return 1;
}

static void report(const char* phase, uint32_t ticks, uint32_t calls, uint32_t rin, uint32_t rout) {
  out_str("HS ");
  out_str(phase);
  out_str(" ticks=");
  out_u32(ticks);
  out_str(" excluded=");
  out_u32(x_ticks);
  out_str(" calls=");
  out_u32(calls);
  out_str(" recs_in=");
  out_u32(rin);
  out_str(" recs_out=");
  out_u32(rout);
  out_str(" hs_bytes=");
  out_u32(n_hash_bytes);
  out_str(" ec_mul=");
  out_u32(n_mul);
  out_str(" ec_mulgen=");
  out_u32(n_mulgen);
  out_str(" ec_muladd=");
  out_u32(n_muladd);
  out_str(" rsa_vrfy=");
  out_u32(n_rsa);
  out_str(" prf=");
  out_u32(n_prf);
  out_str(" gcm_init=");
  out_u32(n_gcm_init);
  out_str(" gcm_in=");
  out_u32(n_rec_in);
  out_str(" gcm_out=");
  out_u32(n_rec_out);
  out_str(" stack=");
  out_u32(c_stack);
  out_str("\n");
}

static void zero_counts(void) {
  x_ticks = c_ticks = c_calls = c_stack = 0;
  n_mul = n_mulgen = n_muladd = n_rsa = n_prf = n_hash_bytes = n_rec_in = n_rec_out = n_gcm_init = 0;
}

int run_handshake(void) {
  static const br_rsa_private_key sk = {V_RSA_N_BITLEN,           (unsigned char*)v_rsa_p,  sizeof v_rsa_p,
                                        (unsigned char*)v_rsa_q,  sizeof v_rsa_q,           (unsigned char*)v_rsa_dp,
                                        sizeof v_rsa_dp,          (unsigned char*)v_rsa_dq, sizeof v_rsa_dq,
                                        (unsigned char*)v_rsa_iq, sizeof v_rsa_iq};
  static const br_rsa_public_key pk = {(unsigned char*)v_rsa_n, sizeof v_rsa_n, (unsigned char*)v_rsa_e,
                                       sizeof v_rsa_e};
  /* The server's chain: any DER of a realistic size (the client does not parse it). */
  static const br_x509_certificate chain[] = {{(unsigned char*)v_cert_ee, sizeof v_cert_ee},
                                              {(unsigned char*)v_cert_ica2, sizeof v_cert_ica2}};
  make_wrappers();

  br_ssl_server_init_full_rsa(&g_sc, chain, 2, &sk);
  br_ssl_engine_set_suites(&g_sc.eng, kSuite, 1);
  br_ssl_engine_set_buffer(&g_sc.eng, g_sbuf, sizeof g_sbuf, 1);
  br_ssl_engine_inject_entropy(&g_sc.eng, "server seed 0123456789abcdef0123", 32);
  if (!br_ssl_server_reset(&g_sc)) return 1;

  br_ssl_client_zero(&g_cc);
  br_ssl_engine_context* eng = &g_cc.eng;
  br_ssl_engine_set_versions(eng, BR_TLS12, BR_TLS12);
  br_ssl_engine_set_suites(eng, kSuite, 1);
  br_ssl_engine_set_hash(eng, br_sha256_ID, &br_sha256_vtable);
  br_ssl_engine_set_prf_sha256(eng, w_prf);
  br_ssl_engine_set_gcm(eng, &w_in, &w_out);
  br_ssl_engine_set_aes_ctr(eng, &br_aes_small_ctr_vtable);
  br_ssl_engine_set_ghash(eng, &br_ghash_ctmul32);
  br_ssl_engine_set_ec(eng, &w_ec);
  br_ssl_engine_set_rsavrfy(eng, w_rsa);
  br_ssl_engine_set_buffers_bidi(eng, g_cin, sizeof g_cin, g_cout, sizeof g_cout);
  br_x509_knownkey_init_rsa(&g_kk, &pk, BR_KEYTYPE_KEYX | BR_KEYTYPE_SIGN);
  br_ssl_engine_set_x509(eng, &g_kk.vtable);
  br_ssl_engine_inject_entropy(eng, "client seed 0123456789abcdef0123", 32);
  /* Wrap the handshake hash only now, as the simulator does at the first engine call: the
   * engine's HMAC-DRBG, set up by inject_entropy, keeps the plain class (its work is the engine's). */
  br_ssl_engine_set_hash(eng, br_sha256_ID, &w_sha256);
  memset(&w_c2s, 0, sizeof w_c2s);
  memset(&w_s2c, 0, sizeof w_s2c);
  w_c2s.in_header = w_s2c.in_header = 1;

  zero_counts();
  int ok;
  CLIENT(ok = br_ssl_client_reset(&g_cc, "www.example.com", 0));
  if (!ok) return 2;
  for (int guard = 0; guard < 1000; guard++) {
    unsigned st = br_ssl_engine_current_state(eng);
    if (st & BR_SSL_CLOSED) return 3;
    if (st & BR_SSL_SENDAPP) break;
    int moved = pump(1) | pump(0);
    if (!moved) return 4;
  }
  if (!(br_ssl_engine_current_state(eng) & BR_SSL_SENDAPP)) return 5;
  /* The server's last flight may still be in flight to the client: not part of the handshake. */
  report("handshake", c_ticks, c_calls, w_s2c.records, w_c2s.records);

  /* Application data: APP_RECORDS round trips of 64 bytes (an MQTT publish), client side. */
  enum { APP_RECORDS = 8 };
  uint32_t r_in0 = w_s2c.records, r_out0 = w_c2s.records;
  zero_counts();
  for (int i = 0; i < APP_RECORDS; i++) {
    unsigned char* buf;
    size_t len;
    CLIENT(buf = br_ssl_engine_sendapp_buf(eng, &len));
    if (!buf || len < 64) return 6;
    memset(buf, 'm', 64);
    CLIENT(br_ssl_engine_sendapp_ack(eng, 64));
    CLIENT(br_ssl_engine_flush(eng, 0));
    while (pump(1)) {}
    /* Server echoes 64 bytes back. */
    unsigned char* sb = NULL;
    size_t slen = 0;
    for (int guard = 0; guard < 20 && !sb; guard++) {
      sb = br_ssl_engine_recvapp_buf(&g_sc.eng, &slen);
      if (!sb && !pump(0) && !pump(1)) break;
    }
    if (!sb) return 7;
    br_ssl_engine_recvapp_ack(&g_sc.eng, slen);
    unsigned char* so = br_ssl_engine_sendapp_buf(&g_sc.eng, &len);
    if (!so || len < 64) return 8;
    memset(so, 'r', 64);
    br_ssl_engine_sendapp_ack(&g_sc.eng, 64);
    br_ssl_engine_flush(&g_sc.eng, 0);
    while (pump(0)) {}
    CLIENT(buf = br_ssl_engine_recvapp_buf(eng, &len));
    if (!buf || len != 64) return 9;
    CLIENT(br_ssl_engine_recvapp_ack(eng, len));
  }
  report("app", c_ticks, c_calls, w_s2c.records - r_in0, w_c2s.records - r_out0);
  return 0;
}
