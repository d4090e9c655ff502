// File: notify/message.h
//
// Internet messages as caduce sends them (RFC 5322 with MIME, RFC 2045–2047): a
// UTF-8 text/plain part in quoted-printable, optionally beside a simple HTML part
// (multipart/alternative), with Date, Message-ID, From, To, an RFC 2047 encoded
// Subject and Auto-Submitted (RFC 3834). Pure functions: no socket, no store.
// Exposure: renders names and addresses that came from account files; a display
// name is always carried as encoded-words (its CR/LF cannot start a header) and an
// address must be a plain ASCII addr-spec, else rendering is refused.
#ifndef CADUCE_NOTIFY_MESSAGE_H_
#define CADUCE_NOTIFY_MESSAGE_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "base/status.h"

namespace caduce::notify {

// "Display Name <local@domain>" or just "local@domain".
struct MailAddress {
  std::string display_name;  // any UTF-8; control characters are turned into spaces
  std::string address;       // a plain addr-spec (IsPlainAddress)
};

struct MailMessage {
  MailAddress from;
  MailAddress to;
  std::string subject;    // UTF-8
  std::string text;       // UTF-8, lines separated by '\n'
  std::string html;       // optional HTML alternative ("" for none), UTF-8
  int64_t date_micros = 0;  // the Date header, microseconds since the epoch
  std::string message_id;   // without the angle brackets: "hex@domain"
};

// True for an ASCII `local@domain` of at most 254 bytes whose local part is
// dot-atom text (RFC 5322 §3.2.3) and whose domain is dot-separated labels of
// letters, digits and hyphens. Anything else (quotes, spaces, CR, LF, '<', '>',
// ',', non-ASCII) is refused, so an address can never end or add a header.
bool IsPlainAddress(std::string_view address);

// Parses a From setting: "local@domain" or "Display Name <local@domain>".
// kInvalidArgument (French message naming the setting) otherwise.
Result<MailAddress> ParseMailAddress(std::string_view text);

// The RFC 2047 "B" encoded-words of `text` (UTF-8, never split inside a
// character), separated by CRLF SP so that each line stays within 78 characters;
// `first_line_used` is how much of the first line is already taken (the header
// name). "" for empty text.
std::string EncodeWords(std::string_view text, size_t first_line_used);

// Quoted-printable (RFC 2045 §6.7) of UTF-8 text whose lines end with '\n':
// output lines end with CRLF and stay within 76 characters (soft breaks "=").
std::string QuotedPrintable(std::string_view text);

// An RFC 5322 date-time in UTC: "Fri, 27 Nov 2026 09:00:00 +0000".
std::string MailDate(int64_t micros);

// A fresh Message-ID value (without brackets) for mail from `from_address`:
// 32 random hex digits, '@', the address's domain.
std::string NewMessageId(std::string_view from_address);

// The whole message, header and body, with CRLF line ends. kInvalidArgument when
// an address is not plain (see IsPlainAddress) or a text is not valid UTF-8.
Result<std::string> RenderMessage(const MailMessage& message);

}  // namespace caduce::notify

#endif  // CADUCE_NOTIFY_MESSAGE_H_
