// Token generation and hashing. The raw bytes are hashed (not the text) so that two
// spellings of one token cannot exist; the buffers that held them are wiped.
#include "auth/tokens.h"

#include <sodium.h>

#include <cstdint>

namespace caduce::auth {
namespace {

constexpr size_t kTokenBytes = 32;
constexpr int kVariant = sodium_base64_VARIANT_URLSAFE_NO_PADDING;

TokenHash HashBytes(const uint8_t* bytes, size_t n) {
  TokenHash h{};
  crypto_generichash(h.data(), h.size(), bytes, n, nullptr, 0);
  return h;
}

}  // namespace

Result<NewToken> GenerateToken() {
  if (sodium_init() < 0) return InternalError("libsodium could not be initialised");
  uint8_t raw[kTokenBytes];
  randombytes_buf(raw, sizeof raw);
  char text[sodium_base64_ENCODED_LEN(kTokenBytes, kVariant)];
  sodium_bin2base64(text, sizeof text, raw, sizeof raw, kVariant);
  NewToken t;
  t.text = text;
  t.hash = HashBytes(raw, sizeof raw);
  sodium_memzero(raw, sizeof raw);
  sodium_memzero(text, sizeof text);
  return t;
}

std::optional<TokenHash> HashOfToken(std::string_view text) {
  if (sodium_init() < 0) return std::nullopt;
  // 43 characters encode 32 bytes; anything else is not one of ours.
  if (text.size() != sodium_base64_ENCODED_LEN(kTokenBytes, kVariant) - 1) return std::nullopt;
  uint8_t raw[kTokenBytes + 1];
  size_t n = 0;
  const char* end = nullptr;
  int rc =
      sodium_base642bin(raw, sizeof raw, text.data(), text.size(), nullptr, &n, &end, kVariant);
  std::optional<TokenHash> out;
  if (rc == 0 && n == kTokenBytes && end == text.data() + text.size()) {
    out = HashBytes(raw, kTokenBytes);
  }
  sodium_memzero(raw, sizeof raw);
  return out;
}

std::string_view TokenPurposeName(TokenPurpose purpose) {
  switch (purpose) {
    case TokenPurpose::kActivate:
      return "activate";
    case TokenPurpose::kReset:
      return "reset";
  }
  return "activate";
}

}  // namespace caduce::auth
