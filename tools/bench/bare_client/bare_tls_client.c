/* tools/bench/bare_client/bare_tls_client.c — the floor a fleet simulator is measured against:
 * a plain BearSSL client (Debian's libbearssl, its fastest host code via br_ssl_client_init_full)
 * doing what one espfleet device does to connect — TLS 1.2, ECDHE_RSA_WITH_AES_128_GCM_SHA256
 * only, the firmware's 1349/1109-byte record buffers (so max_fragment_length 1024 is asked for),
 * the server chain validated against one CA, a P-256 client certificate — then MQTT CONNECT and
 * CONNACK, DISCONNECT, close. It does COUNT of them one after another and prints its own CPU per
 * handshake as JSON, for tools/bench/scale to divide the simulator's CPU by.
 *
 * Usage: bare_tls_client HOST PORT CA.pem CLIENT.crt CLIENT.key COUNT
 */
#include <bearssl.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum { kBufIn = 1024 + 325, kBufOut = 1024 + 85 }; /* core/tls_client.h */

static void die(const char* what, const char* detail) {
  fprintf(stderr, "bare_tls_client: %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
  exit(2);
}

static unsigned char* read_file(const char* path, size_t* len) {
  FILE* f = fopen(path, "rb");
  if (!f) die(path, strerror(errno));
  unsigned char* buf = NULL;
  size_t cap = 0, n = 0;
  for (;;) {
    if (n == cap) {
      cap = cap ? 2 * cap : 4096;
      buf = realloc(buf, cap);
      if (!buf) die("out of memory", NULL);
    }
    size_t r = fread(buf + n, 1, cap - n, f);
    if (r == 0) break;
    n += r;
  }
  fclose(f);
  *len = n;
  return buf;
}

/* The DER of the first PEM object named `name` in `path`. */
struct der {
  unsigned char* data;
  size_t len, cap;
};

static void der_append(void* ctx, const void* src, size_t len) {
  struct der* d = ctx;
  if (d->len + len > d->cap) {
    d->cap = (d->len + len) * 2;
    d->data = realloc(d->data, d->cap);
    if (!d->data) die("out of memory", NULL);
  }
  memcpy(d->data + d->len, src, len);
  d->len += len;
}

static struct der pem_object(const char* path, const char* name_part) {
  size_t len;
  unsigned char* text = read_file(path, &len);
  br_pem_decoder_context pc;
  br_pem_decoder_init(&pc);
  struct der d = {0};
  int inside = 0, done = 0;
  size_t off = 0;
  while (off < len && !done) {
    off += br_pem_decoder_push(&pc, text + off, len - off);
    switch (br_pem_decoder_event(&pc)) {
      case BR_PEM_BEGIN_OBJ:
        inside = strstr(br_pem_decoder_name(&pc), name_part) != NULL;
        br_pem_decoder_setdest(&pc, inside ? der_append : NULL, inside ? &d : NULL);
        break;
      case BR_PEM_END_OBJ:
        if (inside) done = 1;
        break;
      case BR_PEM_ERROR:
        die(path, "malformed PEM");
    }
  }
  free(text);
  if (!done) die(path, name_part);
  return d;
}

/* The CA certificate as a trust anchor: its subject DN and public key. */
struct anchor {
  br_x509_trust_anchor ta;
  struct der dn;
  unsigned char key[600];
};

static void dn_append(void* ctx, const void* src, size_t len) { der_append(ctx, src, len); }

static void make_anchor(const char* path, struct anchor* a) {
  struct der cert = pem_object(path, "CERTIFICATE");
  br_x509_decoder_context dc;
  memset(&a->dn, 0, sizeof a->dn);
  br_x509_decoder_init(&dc, dn_append, &a->dn);
  br_x509_decoder_push(&dc, cert.data, cert.len);
  const br_x509_pkey* pk = br_x509_decoder_get_pkey(&dc);
  if (!pk || br_x509_decoder_last_error(&dc)) die(path, "not an X.509 certificate");
  if (pk->key_type != BR_KEYTYPE_RSA) die(path, "the bench expects an RSA CA (as espfleet's)");
  if (pk->key.rsa.nlen + pk->key.rsa.elen > sizeof a->key) die(path, "RSA key too large");
  memcpy(a->key, pk->key.rsa.n, pk->key.rsa.nlen);
  memcpy(a->key + pk->key.rsa.nlen, pk->key.rsa.e, pk->key.rsa.elen);
  a->ta.dn.data = a->dn.data;
  a->ta.dn.len = a->dn.len;
  a->ta.flags = br_x509_decoder_isCA(&dc) ? BR_X509_TA_CA : 0;
  a->ta.pkey.key_type = BR_KEYTYPE_RSA;
  a->ta.pkey.key.rsa.n = a->key;
  a->ta.pkey.key.rsa.nlen = pk->key.rsa.nlen;
  a->ta.pkey.key.rsa.e = a->key + pk->key.rsa.nlen;
  a->ta.pkey.key.rsa.elen = pk->key.rsa.elen;
  free(cert.data);
}

static int tcp_connect(const char* host, const char* port) {
  struct addrinfo hints = {0}, *res;
  hints.ai_family = AF_INET;
  hints.ai_socktype = SOCK_STREAM;
  int rc = getaddrinfo(host, port, &hints, &res);
  if (rc) die(host, gai_strerror(rc));
  int fd = socket(res->ai_family, res->ai_socktype, res->ai_protocol);
  if (fd < 0 || connect(fd, res->ai_addr, res->ai_addrlen) < 0) die(host, strerror(errno));
  int one = 1; /* each record goes out at once, as the firmware's flush() waits for it */
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  freeaddrinfo(res);
  return fd;
}

static int sock_read(void* ctx, unsigned char* buf, size_t len) {
  for (;;) {
    ssize_t r = read(*(int*)ctx, buf, len);
    if (r > 0) return (int)r;
    if (r == 0) return -1;
    if (errno != EINTR) return -1;
  }
}

static int sock_write(void* ctx, const unsigned char* buf, size_t len) {
  for (;;) {
    ssize_t w = write(*(int*)ctx, buf, len);
    if (w > 0) return (int)w;
    if (w < 0 && errno == EINTR) continue;
    return -1;
  }
}

static double cpu_seconds(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

int main(int argc, char** argv) {
  if (argc != 7) {
    fprintf(stderr, "usage: bare_tls_client HOST PORT CA.pem CLIENT.crt CLIENT.key COUNT\n");
    return 2;
  }
  const char *host = argv[1], *port = argv[2];
  int count = atoi(argv[6]);
  if (count <= 0) die("COUNT", "must be a positive number");
  struct anchor ca;
  make_anchor(argv[3], &ca);
  struct der cert = pem_object(argv[4], "CERTIFICATE");
  br_x509_certificate chain = {cert.data, cert.len};
  struct der keyder = pem_object(argv[5], "PRIVATE KEY");
  br_skey_decoder_context kc;
  br_skey_decoder_init(&kc);
  br_skey_decoder_push(&kc, keyder.data, keyder.len);
  const br_ec_private_key* key = br_skey_decoder_get_ec(&kc);
  if (br_skey_decoder_last_error(&kc) || !key) die(argv[5], "not an EC private key");

  static unsigned char in[kBufIn], out[kBufOut];
  static const uint16_t suites[] = {BR_TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256};
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  const double cpu0 = cpu_seconds();
  for (int i = 0; i < count; ++i) {
    br_ssl_client_context sc;
    br_x509_minimal_context xc;
    br_ssl_client_init_full(&sc, &xc, &ca.ta, 1);
    br_ssl_engine_set_versions(&sc.eng, BR_TLS12, BR_TLS12);
    br_ssl_engine_set_suites(&sc.eng, suites, 1);
    br_ssl_engine_set_buffers_bidi(&sc.eng, in, sizeof in, out, sizeof out);
    br_x509_minimal_set_time(&xc, 0, 0); /* dates checked against the host clock */
    br_ssl_client_set_single_ec(&sc, &chain, 1, key, BR_KEYTYPE_KEYX | BR_KEYTYPE_SIGN, BR_KEYTYPE_RSA,
                                br_ec_get_default(), br_ecdsa_sign_asn1_get_default());
    if (!br_ssl_client_reset(&sc, "localhost", 0)) die("reset", NULL);
    int fd = tcp_connect(host, port);
    br_sslio_context io;
    br_sslio_init(&io, &sc.eng, sock_read, &fd, sock_write, &fd);
    char id[32];
    int idlen = snprintf(id, sizeof id, "bare-%d", i);
    unsigned char pkt[64] = {0x10, (unsigned char)(12 + idlen), 0, 4, 'M', 'Q', 'T', 'T', 4, 0x02, 0, 60,
                             0,    (unsigned char)idlen};
    memcpy(pkt + 14, id, (size_t)idlen);
    unsigned char connack[4];
    if (br_sslio_write_all(&io, pkt, 14 + (size_t)idlen) < 0 || br_sslio_flush(&io) < 0 ||
        br_sslio_read_all(&io, connack, 4) < 0) {
      char code[16];
      snprintf(code, sizeof code, "%d", br_ssl_engine_last_error(&sc.eng));
      die("handshake or CONNACK failed, BearSSL error", code);
    }
    if (connack[0] != 0x20 || connack[3] != 0) die("CONNACK", "refused");
    static const unsigned char disconnect[2] = {0xe0, 0};
    br_sslio_write_all(&io, disconnect, 2);
    br_sslio_close(&io);
    close(fd);
  }
  const double cpu = cpu_seconds() - cpu0;
  clock_gettime(CLOCK_MONOTONIC, &t1);
  const double wall = (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
  printf("{\"handshakes\": %d, \"cpu_s\": %.4f, \"cpu_ms_per_handshake\": %.4f, \"wall_s\": %.3f}\n", count, cpu,
         1000.0 * cpu / count, wall);
  return 0;
}
