// File: net/tls.h
//
// The server TLS context: TLS 1.2 or later, certificate chain and private key
// read from PEM files. Exposure: parses local key material before any network
// input; the context then drives handshakes with unauthenticated peers.
#ifndef CADUCE_NET_TLS_H_
#define CADUCE_NET_TLS_H_

#include <boost/asio/ssl/context.hpp>
#include <memory>
#include <string>

#include "base/status.h"

namespace caduce::net {

// Returns a server context, or kInvalidArgument naming the file that could not be
// loaded (missing, unreadable, not PEM, key not matching the certificate).
Result<std::shared_ptr<boost::asio::ssl::context>> MakeServerTlsContext(
    const std::string& certificate_file, const std::string& private_key_file);

}  // namespace caduce::net

#endif  // CADUCE_NET_TLS_H_
