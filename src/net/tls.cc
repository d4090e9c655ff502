// Server TLS context from PEM files (see tls.h).
#include "net/tls.h"

#include <openssl/ssl.h>

#include <boost/system/error_code.hpp>

namespace caduce::net {

namespace ssl = boost::asio::ssl;

Result<std::shared_ptr<ssl::context>> MakeServerTlsContext(const std::string& certificate_file,
                                                           const std::string& private_key_file) {
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_server);
  boost::system::error_code ec;
  // SSLv2/3, TLS 1.0 and 1.1 are off (RFC 8996); compression off (CRIME).
  ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                       ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 |
                       ssl::context::single_dh_use | ssl::context::no_compression,
                   ec);
  if (ec) return InternalError("TLS options: " + ec.message());
  SSL_CTX_set_min_proto_version(ctx->native_handle(), TLS1_2_VERSION);
  // An idle keep-alive connection gives its 16 KiB+ OpenSSL record buffers back
  // (the memory budget of an idle connection is 16 KiB in all).
  SSL_CTX_set_mode(ctx->native_handle(), SSL_MODE_RELEASE_BUFFERS);
  ctx->use_certificate_chain_file(certificate_file, ec);
  if (ec) return InvalidArgumentError("TLS certificate " + certificate_file + ": " + ec.message());
  ctx->use_private_key_file(private_key_file, ssl::context::pem, ec);
  if (ec) return InvalidArgumentError("TLS private key " + private_key_file + ": " + ec.message());
  if (SSL_CTX_check_private_key(ctx->native_handle()) != 1) {
    return InvalidArgumentError("TLS private key " + private_key_file +
                                " does not match the certificate " + certificate_file);
  }
  return ctx;
}

}  // namespace caduce::net
