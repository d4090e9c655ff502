// Rendering of the mails caduce sends (see message.h). Every header line is built
// here from checked pieces: addresses pass IsPlainAddress, every other text goes
// through encoded-words, so nothing a person typed reaches the header as is.
#include "notify/message.h"

#include <sodium.h>

#include <ctime>
#include <string>

#include "base/text.h"

namespace caduce::notify {
namespace {

constexpr size_t kMaxLine = 78;       // RFC 5322 §2.1.1 "SHOULD"
constexpr size_t kMaxQpLine = 76;     // RFC 2045 §6.7 rule 5
constexpr std::string_view kCrlf = "\r\n";

bool IsAtext(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return std::string_view("!#$%&'*+-/=?^_`{|}~").find(c) != std::string_view::npos;
}

bool IsLabelChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
}

std::string Base64(std::string_view bytes) {
  std::string out(sodium_base64_ENCODED_LEN(bytes.size(), sodium_base64_VARIANT_ORIGINAL), '\0');
  sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(bytes.data()),
                    bytes.size(), sodium_base64_VARIANT_ORIGINAL);
  out.resize(out.size() - 1);  // the terminating NUL
  return out;
}

// Control characters (CR, LF, tab, DEL …) become spaces; runs of spaces collapse.
std::string Sanitize(std::string_view s) {
  std::string out;
  for (char c : s) {
    unsigned char u = static_cast<unsigned char>(c);
    out.push_back(u < 0x20 || u == 0x7f ? ' ' : c);
  }
  return text::CollapseSpaces(out);
}

// The length of the longest prefix of `s` of at most `max` bytes that does not end
// inside a UTF-8 sequence.
size_t Utf8Prefix(std::string_view s, size_t max) {
  if (s.size() <= max) return s.size();
  size_t n = max;
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
  return n == 0 ? max : n;  // only reached for invalid UTF-8, refused earlier
}

std::string HexRandom(size_t bytes) {
  std::string raw(bytes, '\0');
  randombytes_buf(raw.data(), raw.size());
  std::string hex(bytes * 2 + 1, '\0');
  sodium_bin2hex(hex.data(), hex.size(), reinterpret_cast<const unsigned char*>(raw.data()),
                 raw.size());
  hex.resize(bytes * 2);
  return hex;
}

// "Name <addr>" with the name as encoded-words, or "addr".
std::string AddressHeader(std::string_view name, const MailAddress& a) {
  std::string line(name);
  line += ": ";
  std::string display = Sanitize(a.display_name);
  if (!display.empty()) {
    line += EncodeWords(display, line.size());
    size_t last = line.rfind(kCrlf);
    size_t used = last == std::string::npos ? line.size() : line.size() - last - 2;
    line += used + 3 + a.address.size() > kMaxLine ? "\r\n <" : " <";
    line += a.address;
    line += '>';
  } else {
    line += a.address;
  }
  line += kCrlf;
  return line;
}

void AppendPart(std::string& out, std::string_view boundary, std::string_view type,
                std::string_view body) {
  out += "--";
  out += boundary;
  out += kCrlf;
  out += "Content-Type: ";
  out += type;
  out += "; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n";
  out += QuotedPrintable(body);
}

}  // namespace

bool IsPlainAddress(std::string_view address) {
  if (address.empty() || address.size() > 254) return false;
  size_t at = address.rfind('@');
  if (at == std::string_view::npos || at == 0 || at > 64) return false;
  std::string_view local = address.substr(0, at);
  std::string_view domain = address.substr(at + 1);
  if (local.front() == '.' || local.back() == '.' || local.find("..") != std::string_view::npos) {
    return false;
  }
  for (char c : local) {
    if (c != '.' && !IsAtext(c)) return false;
  }
  if (domain.empty() || domain.size() > 253) return false;
  size_t start = 0;
  while (start <= domain.size()) {
    size_t dot = domain.find('.', start);
    std::string_view label =
        domain.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') {
      return false;
    }
    for (char c : label) {
      if (!IsLabelChar(c)) return false;
    }
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return true;
}

Result<MailAddress> ParseMailAddress(std::string_view text) {
  std::string_view t = text::Trim(text);
  MailAddress out;
  size_t open = t.rfind('<');
  if (open != std::string_view::npos && !t.empty() && t.back() == '>') {
    std::string_view name = text::Trim(t.substr(0, open));
    if (name.size() >= 2 && name.front() == '"' && name.back() == '"') {
      name = name.substr(1, name.size() - 2);
    }
    out.display_name = std::string(name);
    out.address = std::string(t.substr(open + 1, t.size() - open - 2));
  } else {
    out.address = std::string(t);
  }
  if (!IsPlainAddress(out.address) || !text::IsValidUtf8(out.display_name) ||
      text::HasControlChars(out.display_name)) {
    return InvalidArgumentError(
        "mail_from « " + std::string(text::IsValidUtf8(text) ? t : "?") +
        " » : écrivez une adresse (noreply@exemple.fr) ou « Nom <noreply@exemple.fr> ».");
  }
  return out;
}

std::string EncodeWords(std::string_view text, size_t first_line_used) {
  // "=?UTF-8?B?" + base64 + "?=": 12 characters around the base64 text, each word
  // at most 75 characters (RFC 2047 §2), each line at most 78 with its " ".
  constexpr size_t kWrap = 12;
  std::string out;
  size_t used = first_line_used;
  bool first = true;
  while (!text.empty()) {
    size_t room = used + kWrap + 4 <= kMaxLine ? kMaxLine - used - kWrap : 0;
    room = std::min<size_t>(room, 75 - kWrap);
    size_t max_bytes = room / 4 * 3;
    if (max_bytes < 4) {  // not even one character fits: continue on a new line
      out += "\r\n ";
      used = 1;
      first = true;
      continue;
    }
    size_t n = Utf8Prefix(text, max_bytes);
    std::string word = "=?UTF-8?B?" + Base64(text.substr(0, n)) + "?=";
    if (!first) {
      out += "\r\n ";
      used = 1;
    }
    out += word;
    used += word.size();
    first = false;
    text.remove_prefix(n);
    if (!text.empty()) used = kMaxLine;  // the next word goes on its own line
  }
  return out;
}

std::string QuotedPrintable(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  size_t start = 0;
  while (start <= text.size()) {
    size_t nl = text.find('\n', start);
    std::string_view line =
        text.substr(start, nl == std::string_view::npos ? std::string_view::npos : nl - start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    size_t col = 0;
    for (size_t i = 0; i < line.size(); ++i) {
      unsigned char c = static_cast<unsigned char>(line[i]);
      bool last = i + 1 == line.size();
      // Spaces and tabs are literal except at the end of a line (rule 3).
      bool literal = (c >= 33 && c <= 126 && c != '=') || ((c == ' ' || c == '\t') && !last);
      // A dot alone at the start of a line is encoded too, for relays that
      // mishandle it.
      if (c == '.' && col == 0) literal = false;
      std::string piece;
      if (literal) {
        piece.push_back(static_cast<char>(c));
      } else {
        piece = {'=', kHex[c >> 4], kHex[c & 15]};
      }
      // Keep one column for the soft break "=" unless this is the line's end.
      size_t limit = last ? kMaxQpLine : kMaxQpLine - 1;
      if (col + piece.size() > limit) {
        out += "=\r\n";
        col = 0;
        if (piece == ".") piece = "=2E";
      }
      out += piece;
      col += piece.size();
    }
    if (nl == std::string_view::npos) {
      if (!line.empty()) out += kCrlf;
      break;
    }
    out += kCrlf;
    start = nl + 1;
  }
  return out;
}

std::string MailDate(int64_t micros) {
  static constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  std::time_t t = static_cast<std::time_t>(micros / 1000000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%s, %02d %s %04d %02d:%02d:%02d +0000", kDays[tm.tm_wday],
                tm.tm_mday, kMonths[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
                tm.tm_sec);
  return buf;
}

std::string NewMessageId(std::string_view from_address) {
  if (sodium_init() < 0) return "";
  size_t at = from_address.rfind('@');
  std::string domain(at == std::string_view::npos ? std::string_view("caduce.invalid")
                                                  : from_address.substr(at + 1));
  return HexRandom(16) + "@" + domain;
}

Result<std::string> RenderMessage(const MailMessage& m) {
  if (!IsPlainAddress(m.from.address)) {
    return InvalidArgumentError("Adresse d'expédition invalide : « " + m.from.address + " ».");
  }
  if (!IsPlainAddress(m.to.address)) {
    return InvalidArgumentError("Adresse du destinataire invalide pour un courriel.");
  }
  for (std::string_view s : {std::string_view(m.from.display_name),
                             std::string_view(m.to.display_name), std::string_view(m.subject),
                             std::string_view(m.text), std::string_view(m.html)}) {
    if (!text::IsValidUtf8(s)) return InvalidArgumentError("Texte du courriel invalide (UTF-8).");
  }
  if (sodium_init() < 0) return InternalError("libsodium could not be initialised");
  std::string message_id = m.message_id.empty() ? NewMessageId(m.from.address) : m.message_id;
  for (char c : message_id) {
    if (c != '.' && c != '@' && !IsAtext(c)) return InvalidArgumentError("Message-ID invalide.");
  }

  std::string out;
  out += "Date: " + MailDate(m.date_micros) + "\r\n";
  out += AddressHeader("From", m.from);
  out += AddressHeader("To", m.to);
  out += "Subject: " + EncodeWords(Sanitize(m.subject), 9) + "\r\n";
  out += "Message-ID: <" + message_id + ">\r\n";
  out += "MIME-Version: 1.0\r\n";
  out += "Auto-Submitted: auto-generated\r\n";
  out += "Content-Language: fr\r\n";
  if (m.html.empty()) {
    out += "Content-Type: text/plain; charset=utf-8\r\n";
    out += "Content-Transfer-Encoding: quoted-printable\r\n\r\n";
    out += QuotedPrintable(m.text);
    return out;
  }
  // "=_" never occurs in quoted-printable text ('=' is followed by hex digits or a
  // line end), so the boundary cannot collide with a part's content.
  std::string boundary = "=_caduce_" + HexRandom(12);
  out += "Content-Type: multipart/alternative; boundary=\"" + boundary + "\"\r\n\r\n";
  out += "Ce message est au format MIME.\r\n";
  AppendPart(out, boundary, "text/plain", m.text);
  AppendPart(out, boundary, "text/html", m.html);
  out += "--" + boundary + "--\r\n";
  return out;
}

}  // namespace caduce::notify
