#include "acme/certificate.h"

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <memory>
#include <stdexcept>

namespace radflare::acme {

namespace {

template <auto Free>
struct Deleter {
  template <class T>
  void operator()(T* p) const { Free(p); }
};
using Bio = std::unique_ptr<BIO, Deleter<BIO_free_all>>;
using X509Ptr = std::unique_ptr<X509, Deleter<X509_free>>;
using PKey = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY_free>>;
using Names = std::unique_ptr<GENERAL_NAMES, Deleter<GENERAL_NAMES_free>>;
using Bignum = std::unique_ptr<BIGNUM, Deleter<BN_free>>;
using PKeyCtx = std::unique_ptr<EVP_PKEY_CTX, Deleter<EVP_PKEY_CTX_free>>;

Bio memory_bio(const std::string& text) { return Bio(BIO_new_mem_buf(text.data(), static_cast<int>(text.size()))); }

std::string bio_text(BIO* bio) {
  char* data = nullptr;
  long n = BIO_get_mem_data(bio, &data);
  return n > 0 ? std::string(data, static_cast<size_t>(n)) : std::string();
}

std::string openssl_error() {
  unsigned long e = ERR_get_error();
  ERR_clear_error();
  if (e == 0) return "no PEM certificate found";
  char buf[256];
  ERR_error_string_n(e, buf, sizeof buf);
  return buf;
}

std::string name_line(const X509_NAME* name) {
  Bio bio(BIO_new(BIO_s_mem()));
  X509_NAME_print_ex(bio.get(), name, 0, XN_FLAG_ONELINE & ~ASN1_STRFLGS_ESC_MSB);
  return bio_text(bio.get());
}

time_t to_time(const ASN1_TIME* t) {
  tm out{};
  if (ASN1_TIME_to_tm(t, &out) != 1) return 0;
  return timegm(&out);
}

X509Ptr first_cert(const std::string& pem) {
  Bio bio = memory_bio(pem);
  return X509Ptr(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
}

bool has_organization(const X509_NAME* name, const char* organization) {
  int i = X509_NAME_get_index_by_NID(name, NID_organizationName, -1);
  if (i < 0) return false;
  const ASN1_STRING* s = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, i));
  return std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)), ASN1_STRING_length(s)) == organization;
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

void check(int ok, const char* what) {
  if (ok <= 0) throw std::runtime_error(std::string("cannot make the placeholder certificate: ") + what + ": " + openssl_error());
}

}  // namespace

bool CertInfo::covers(const std::vector<std::string>& domains) const {
  return std::all_of(domains.begin(), domains.end(), [&](const std::string& d) {
    return std::any_of(names.begin(), names.end(), [&](const std::string& n) { return lower(n) == lower(d); });
  });
}

std::string serial_hex(const X509* cert) {
  Bignum serial(ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), nullptr));
  if (!serial) return "";
  char* hex = BN_bn2hex(serial.get());
  std::string out = lower(hex);
  OPENSSL_free(hex);
  return out;
}

std::string served_serial(int port, const std::string& server_name) {
  using Ctx = std::unique_ptr<SSL_CTX, Deleter<SSL_CTX_free>>;
  Ctx ctx(SSL_CTX_new(TLS_client_method()));
  if (!ctx) return "";
  SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_NONE, nullptr);  // which certificate, not whether it is trusted
  Bio bio(BIO_new_ssl_connect(ctx.get()));
  if (!bio) return "";
  SSL* ssl = nullptr;
  BIO_get_ssl(bio.get(), &ssl);
  const std::string target = "127.0.0.1:" + std::to_string(port);
  BIO_set_conn_hostname(bio.get(), target.c_str());
  if (!ssl || SSL_set_tlsext_host_name(ssl, server_name.c_str()) != 1 || BIO_do_connect(bio.get()) <= 0 ||
      BIO_do_handshake(bio.get()) <= 0) {
    ERR_clear_error();
    return "";
  }
  X509Ptr cert(SSL_get1_peer_certificate(ssl));
  return cert ? serial_hex(cert.get()) : "";
}

std::optional<CertInfo> inspect_pem(const std::string& pem, std::string* problem) {
  X509Ptr cert = first_cert(pem);
  if (!cert) {
    if (problem) *problem = openssl_error();
    return std::nullopt;
  }
  ERR_clear_error();
  CertInfo info;
  info.not_before = to_time(X509_get0_notBefore(cert.get()));
  info.not_after = to_time(X509_get0_notAfter(cert.get()));
  info.subject = name_line(X509_get_subject_name(cert.get()));
  info.issuer = name_line(X509_get_issuer_name(cert.get()));
  info.serial = serial_hex(cert.get());
  Names sans(static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert.get(), NID_subject_alt_name, nullptr, nullptr)));
  for (int i = 0; sans && i < sk_GENERAL_NAME_num(sans.get()); ++i) {
    const GENERAL_NAME* n = sk_GENERAL_NAME_value(sans.get(), i);
    if (n->type != GEN_DNS) continue;
    const ASN1_STRING* s = n->d.dNSName;
    info.names.emplace_back(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)), ASN1_STRING_length(s));
  }
  info.placeholder = has_organization(X509_get_issuer_name(cert.get()), kPlaceholderOrganization);
  return info;
}

bool key_matches(const std::string& chain_pem, const std::string& key_pem) {
  X509Ptr cert = first_cert(chain_pem);
  Bio bio = memory_bio(key_pem);
  PKey key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
  const bool ok = cert && key && X509_check_private_key(cert.get(), key.get()) == 1;
  ERR_clear_error();
  return ok;
}

PemPair make_placeholder(const std::vector<std::string>& names) {
  PKeyCtx ctx(EVP_PKEY_CTX_new_id(EVP_PKEY_EC, nullptr));
  check(ctx != nullptr, "EVP_PKEY_CTX_new_id");
  check(EVP_PKEY_keygen_init(ctx.get()), "keygen init");
  check(EVP_PKEY_CTX_set_ec_paramgen_curve_nid(ctx.get(), NID_X9_62_prime256v1), "curve");
  EVP_PKEY* raw = nullptr;
  check(EVP_PKEY_keygen(ctx.get(), &raw), "keygen");
  PKey key(raw);

  X509Ptr cert(X509_new());
  check(cert != nullptr, "X509_new");
  X509_set_version(cert.get(), 2);
  unsigned char serial_bytes[16];
  check(RAND_bytes(serial_bytes, sizeof serial_bytes), "RAND_bytes");
  serial_bytes[0] &= 0x7f;
  Bignum serial(BN_bin2bn(serial_bytes, sizeof serial_bytes, nullptr));
  check(BN_to_ASN1_INTEGER(serial.get(), X509_get_serialNumber(cert.get())) != nullptr, "serial");
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 10L * 365 * 86400);
  X509_NAME* name = X509_get_subject_name(cert.get());
  const std::string cn = names.empty() ? "localhost" : names.front();
  X509_NAME_add_entry_by_NID(name, NID_organizationName, MBSTRING_UTF8,
                             reinterpret_cast<const unsigned char*>(kPlaceholderOrganization), -1, -1, 0);
  X509_NAME_add_entry_by_NID(name, NID_commonName, MBSTRING_UTF8, reinterpret_cast<const unsigned char*>(cn.c_str()),
                             -1, -1, 0);
  X509_set_issuer_name(cert.get(), name);
  check(X509_set_pubkey(cert.get(), key.get()), "public key");
  std::string san;
  for (const auto& n : names.empty() ? std::vector<std::string>{"localhost"} : names)
    san += (san.empty() ? "DNS:" : ",DNS:") + n;
  X509V3_CTX v3{};
  X509V3_set_ctx(&v3, cert.get(), cert.get(), nullptr, nullptr, 0);
  for (auto [nid, value] : {std::pair{NID_subject_alt_name, san}, std::pair{NID_basic_constraints, std::string("CA:FALSE")}}) {
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &v3, nid, value.c_str());
    check(ext != nullptr, "extension");
    X509_add_ext(cert.get(), ext, -1);
    X509_EXTENSION_free(ext);
  }
  check(X509_sign(cert.get(), key.get(), EVP_sha256()), "sign");

  PemPair out;
  Bio cert_bio(BIO_new(BIO_s_mem()));
  check(PEM_write_bio_X509(cert_bio.get(), cert.get()), "PEM certificate");
  out.chain = bio_text(cert_bio.get());
  Bio key_bio(BIO_new(BIO_s_mem()));
  check(PEM_write_bio_PrivateKey(key_bio.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr), "PEM key");
  out.key = bio_text(key_bio.get());
  return out;
}

std::string iso_utc(time_t t) {
  if (t <= 0) return "";
  char buf[32];
  tm utc{};
  gmtime_r(&t, &utc);
  strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return buf;
}

}  // namespace radflare::acme
