// File: mail/compose.h
//
// Writes an RFC 5322 message with GMime 3 from a draft shaped like a JMAP Email
// creation (RFC 8621 §4.6): addresses, subject, a text body and an optional HTML
// body (multipart/alternative), attachments (multipart/mixed, base64, RFC 2231 file
// names), In-Reply-To and References, a Message-ID on the server's domain and a
// Date. UTF-8 header text is RFC 2047-encoded by GMime. Exposure: every string comes
// from a client; a CR, LF or other control character in a header value is refused
// (header injection is impossible by construction), and the total size is bounded.
#ifndef CADUCE_MAIL_COMPOSE_H_
#define CADUCE_MAIL_COMPOSE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "mail/model.h"

namespace caduce::mail {

struct DraftAttachment {
  std::string blob_id;       // the upload it comes from (read by the caller into `bytes`)
  std::string type;          // "application/pdf"; "application/octet-stream" when empty
  std::string name;          // file name, UTF-8, may be empty
  bool inline_part = false;  // Content-Disposition: inline
  std::string cid;           // Content-ID without < >, may be empty
  std::string bytes;
};

struct Draft {
  std::vector<EmailAddress> from, sender, to, cc, bcc, reply_to;
  std::string subject;
  std::string text_body;
  std::optional<std::string> html_body;
  std::vector<DraftAttachment> attachments;
  std::vector<std::string> in_reply_to, references;  // Message-IDs without < >
  std::optional<int64_t> sent_at;                    // microseconds; the compose time when unset
  std::string message_id;                            // without < >; generated when empty
};

struct ComposeOptions {
  std::string domain;  // right-hand side of generated Message-IDs
  int64_t now_micros = 0;
  size_t max_message_bytes = 25 * 1024 * 1024;
};

// The message's bytes (CRLF line ends). kInvalidArgument naming the field (in
// French) for an invalid address, a control character in a header value, an
// invalid media type or a text that is not UTF-8; kResourceExhausted when the
// message would exceed `max_message_bytes`.
Result<std::string> ComposeMessage(const Draft& draft, const ComposeOptions& options);

// `raw` without its Bcc header fields (what recipients receive, RFC 5322 §3.6.3),
// with `prepend` (complete header lines ending in CRLF, may be empty) in front.
std::string PrepareForSending(std::string_view raw, std::string_view prepend = "");

// A checked single address header line "Sender: Name <addr>\r\n" (RFC 2047 for the
// name); kInvalidArgument like ComposeMessage.
Result<std::string> SenderHeaderLine(const EmailAddress& sender);

// True when `s` is valid UTF-8.
bool IsValidUtf8(std::string_view s);

}  // namespace caduce::mail

#endif  // CADUCE_MAIL_COMPOSE_H_
