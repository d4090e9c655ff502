// libFuzzer target for the MIME parsing entry point of the mail store
// (mail/mime.h): any bytes must give the metadata or a clean error, never a crash,
// and the metadata must be valid UTF-8; every part it lists must be extractable.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "mail/mime.h"

namespace {
// Aborts unless `s` is well-formed UTF-8 (RFC 3629: no overlong forms, surrogates
// or code points above U+10FFFF).
void CheckUtf8(const std::string& s) {
  for (size_t i = 0; i < s.size();) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (n == 0 || i + n > s.size()) std::abort();
    uint32_t cp = n == 1 ? c : c & (0x7f >> n);
    for (size_t k = 1; k < n; ++k) {
      unsigned char d = static_cast<unsigned char>(s[i + k]);
      if ((d >> 6) != 2) std::abort();
      cp = (cp << 6) | (d & 0x3f);
    }
    static constexpr uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < kMin[n] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) std::abort();
    i += n;
  }
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view raw(reinterpret_cast<const char*>(data), size);
  caduce::mail::MimeLimits limits;
  limits.max_message_bytes = 1 << 20;
  limits.max_parts = 100;
  auto parsed = caduce::mail::ParseMessage(raw, limits);
  if (!parsed.ok()) return 0;
  CheckUtf8(parsed->subject);
  CheckUtf8(parsed->preview);
  CheckUtf8(parsed->text);
  for (const auto& a : parsed->from) CheckUtf8(a.name);
  (void)caduce::mail::BaseSubject(parsed->subject);
  for (const auto& a : parsed->attachments) {
    CheckUtf8(a.name);
    if (!caduce::mail::ExtractPart(raw, a.part_id, limits).ok()) std::abort();
  }
  return 0;
}
