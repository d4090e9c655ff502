// File: mail/mime.h
//
// Reads the metadata of a raw RFC 5322 message with GMime 3: addresses, subject
// (RFC 2047 decoded), date, Message-ID, In-Reply-To and References, attachments, the
// text of its text parts (HTML converted to text, every charset converted to UTF-8,
// broken bytes replaced) and a preview. Exposure: reads untrusted input (mail from
// anywhere); the input is bounded by MimeLimits before GMime sees it, and the
// fuzz target fuzz/mime_fuzz.cc drives ParseMessage.
#ifndef CADUCE_MAIL_MIME_H_
#define CADUCE_MAIL_MIME_H_

#include <cstddef>
#include <string>
#include <string_view>

#include "base/status.h"
#include "mail/model.h"

namespace caduce::mail {

struct MimeLimits {
  size_t max_message_bytes = 25 * 1024 * 1024;
  size_t max_parts = 1000;          // multipart boundaries and embedded messages
  size_t max_text_bytes = 1 << 20;  // text kept for the full-text index
  size_t max_header_ids = 100;      // ids kept from References
};

// Parses `raw`. kResourceExhausted when it is larger than the limits allow (the
// message names the limit); kInvalidArgument when it is not a message at all (empty,
// no header). A message with broken parts still parses: what can be read is kept.
Result<ParsedMessage> ParseMessage(std::string_view raw, const MimeLimits& limits = {});

// The subject without its reply and forward prefixes ("Re:", "RE :", "Fwd:", "TR:",
// "[tag]" …), blanks folded and lowercased: two messages of a thread share it.
std::string BaseSubject(std::string_view subject);

// The text of an HTML document: tags dropped, script and style skipped, block ends
// as line breaks, the common entities decoded.
std::string HtmlToText(std::string_view html);

// The first `max_chars` characters of `text` with runs of blanks folded to one space.
std::string MakePreview(std::string_view text, size_t max_chars = 256);

// One leaf part of a message (an attachment to download), found by the part id
// ParseMessage gave it.
struct PartContent {
  std::string name, type;
  std::string bytes;  // decoded (base64 and quoted-printable undone)
};
// kNotFound when the message has no such part.
Result<PartContent> ExtractPart(std::string_view raw, std::string_view part_id,
                                const MimeLimits& limits = {});

}  // namespace caduce::mail

#endif  // CADUCE_MAIL_MIME_H_
