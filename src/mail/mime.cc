// MIME parsing with GMime 3 (mime.h). GMime objects are reference counted GObjects;
// each is held by a small owner so that every path releases it.
#include "mail/mime.h"
#include "mail/internal/gmime.h"

#include <gmime/gmime.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <optional>

namespace caduce::mail {
namespace {

using internal::GPtr;
using internal::InitGMime;

// `s` as valid UTF-8 (invalid bytes become U+FFFD), without NULs.
std::string ValidUtf8(const char* s, gssize len = -1) {
  if (s == nullptr) return {};
  gchar* v = g_utf8_make_valid(s, len);
  std::string out(v);
  g_free(v);
  out.erase(std::remove(out.begin(), out.end(), '\0'), out.end());
  return out;
}

std::string Trim(std::string_view s) {
  size_t b = 0, e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  return std::string(s.substr(b, e - b));
}

void AddAddresses(InternetAddressList* list, std::vector<EmailAddress>* out, int depth = 0) {
  if (list == nullptr || depth > 2) return;
  int n = internet_address_list_length(list);
  for (int i = 0; i < n && out->size() < 1000; ++i) {
    InternetAddress* ia = internet_address_list_get_address(list, i);
    if (INTERNET_ADDRESS_IS_GROUP(ia)) {
      AddAddresses(internet_address_group_get_members(INTERNET_ADDRESS_GROUP(ia)), out, depth + 1);
    } else if (INTERNET_ADDRESS_IS_MAILBOX(ia)) {
      EmailAddress a;
      a.name = Trim(ValidUtf8(internet_address_get_name(ia)));
      a.email = Trim(ValidUtf8(internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(ia))));
      out->push_back(std::move(a));
    }
  }
}

std::vector<std::string> ParseIds(const char* header, size_t max) {
  std::vector<std::string> ids;
  if (header == nullptr) return ids;
  GMimeReferences* refs = g_mime_references_parse(nullptr, header);
  if (refs == nullptr) return ids;
  int n = g_mime_references_length(refs);
  // Keep the last ones: the nearest ancestors matter most for threading.
  for (int i = n > static_cast<int>(max) ? n - static_cast<int>(max) : 0; i < n; ++i) {
    std::string id = ValidUtf8(g_mime_references_get_message_id(refs, i));
    if (!id.empty() && id.size() <= 998) ids.push_back(std::move(id));
  }
  g_mime_references_free(refs);
  return ids;
}

// The decoded content of a leaf part, converted to UTF-8 when it is text.
std::string DecodedContent(GMimePart* part, bool as_text) {
  GMimeDataWrapper* content = g_mime_part_get_content(part);
  if (content == nullptr) return {};
  GPtr<GMimeStream> mem(g_mime_stream_mem_new());
  GPtr<GMimeStream> filtered(g_mime_stream_filter_new(mem.get()));
  if (as_text) {
    const char* charset =
        g_mime_object_get_content_type_parameter(GMIME_OBJECT(part), "charset");
    if (charset != nullptr && g_ascii_strcasecmp(charset, "utf-8") != 0 &&
        g_ascii_strcasecmp(charset, "us-ascii") != 0) {
      GMimeFilter* f = g_mime_filter_charset_new(charset, "UTF-8");
      if (f != nullptr) {
        g_mime_stream_filter_add(GMIME_STREAM_FILTER(filtered.get()), f);
        g_object_unref(f);
      }
    }
  }
  g_mime_data_wrapper_write_to_stream(content, filtered.get());
  g_mime_stream_flush(filtered.get());
  GByteArray* bytes = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(mem.get()));
  std::string out(reinterpret_cast<const char*>(bytes->data), bytes->len);
  return as_text ? ValidUtf8(out.data(), static_cast<gssize>(out.size())) : out;
}

std::string MimeTypeOf(GMimeObject* obj) {
  GMimeContentType* ct = g_mime_object_get_content_type(obj);
  if (ct == nullptr) return "application/octet-stream";
  char* t = g_mime_content_type_get_mime_type(ct);
  std::string s = t != nullptr ? ValidUtf8(t) : "application/octet-stream";
  g_free(t);
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

// Walks the leaf parts in document order, numbering them "1", "2" …
struct Walk {
  const MimeLimits* limits = nullptr;
  ParsedMessage* out = nullptr;        // collecting metadata
  std::string want_part;               // or looking for one part
  std::optional<PartContent> found;
  int counter = 0;
  std::string plain, html;
};

void Visit(GMimeObject* /*parent*/, GMimeObject* obj, gpointer data) {
  auto* w = static_cast<Walk*>(data);
  if (GMIME_IS_MULTIPART(obj)) return;
  std::string part_id = std::to_string(++w->counter);
  if (GMIME_IS_MESSAGE_PART(obj)) {
    // An attached message (message/rfc822): kept whole, as an attachment.
    GMimeMessage* inner = g_mime_message_part_get_message(GMIME_MESSAGE_PART(obj));
    std::string bytes;
    if (inner != nullptr) {
      GPtr<GMimeStream> mem(g_mime_stream_mem_new());
      g_mime_object_write_to_stream(GMIME_OBJECT(inner), nullptr, mem.get());
      GByteArray* b = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(mem.get()));
      bytes.assign(reinterpret_cast<const char*>(b->data), b->len);
    }
    std::string name = inner != nullptr ? ValidUtf8(g_mime_message_get_subject(inner)) : "";
    if (!name.empty()) name += ".eml";
    if (w->out != nullptr) {
      w->out->attachments.push_back({part_id, name, "message/rfc822",
                                     static_cast<int64_t>(bytes.size())});
    } else if (part_id == w->want_part) {
      w->found = PartContent{name, "message/rfc822", std::move(bytes)};
    }
    return;
  }
  if (!GMIME_IS_PART(obj)) return;
  GMimePart* part = GMIME_PART(obj);
  std::string type = MimeTypeOf(obj);
  std::string name = ValidUtf8(g_mime_part_get_filename(part));
  bool attachment = g_mime_part_is_attachment(part) || !name.empty();
  bool is_text = type == "text/plain" || type == "text/html";
  if (w->out == nullptr) {
    if (part_id == w->want_part) {
      w->found = PartContent{name, type, DecodedContent(part, false)};
    }
    return;
  }
  if (!attachment && is_text) {
    size_t room = w->limits->max_text_bytes;
    std::string text = DecodedContent(part, true);
    std::string& into = type == "text/plain" ? w->plain : w->html;
    if (into.size() < room) {
      if (!into.empty()) into += "\n";
      into += text.substr(0, room - std::min(room, into.size()));
    }
    return;
  }
  if (!is_text || attachment) {
    std::string bytes = DecodedContent(part, false);
    w->out->attachments.push_back({part_id, name, type, static_cast<int64_t>(bytes.size())});
  }
}

// ASCII lower case, the C locale's tolower without a call per byte.
constexpr unsigned char AsciiLower(unsigned char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<unsigned char>(c + ('a' - 'A')) : c;
}

// Whether `raw` holds `word` (lowercase) at `at`, without regard to ASCII case.
bool HasWordAt(std::string_view raw, size_t at, std::string_view word) {
  if (raw.size() - at < word.size()) return false;
  for (size_t k = 1; k < word.size(); ++k) {
    if (AsciiLower(static_cast<unsigned char>(raw[at + k])) != word[k]) return false;
  }
  return true;
}

// Refuses what is too large or too deeply built for the parser.
Status CheckLimits(std::string_view raw, const MimeLimits& limits) {
  if (raw.size() > limits.max_message_bytes) {
    return ResourceExhaustedError("Le message dépasse la taille maximale de " +
                                  std::to_string(limits.max_message_bytes / (1024 * 1024)) +
                                  " Mio : réduisez les pièces jointes.");
  }
  if (raw.empty()) return InvalidArgumentError("Le message est vide.");
  // Each boundary parameter or embedded message is a nesting level for the parser
  // (which recurses): bounding their number bounds its stack. One pass over the
  // bytes counts both words, in any case; neither can overlap itself or the other,
  // so this is the number of occurrences of each, added.
  size_t parts = 0;
  for (size_t i = 0; i < raw.size(); ++i) {
    unsigned char c = AsciiLower(static_cast<unsigned char>(raw[i]));
    std::string_view word;
    if (c == 'b') {
      word = "boundary";
    } else if (c == 'r') {
      word = "rfc822";
    } else {
      continue;
    }
    if (!HasWordAt(raw, i, word)) continue;
    if (++parts > limits.max_parts) {
      return ResourceExhaustedError("Le message contient plus de " +
                                    std::to_string(limits.max_parts) + " parties.");
    }
    i += word.size() - 1;
  }
  return OkStatus();
}

Result<GPtr<GMimeMessage>> Construct(std::string_view raw, const MimeLimits& limits) {
  CADUCE_RETURN_IF_ERROR(CheckLimits(raw, limits));
  InitGMime();
  GPtr<GMimeStream> stream(g_mime_stream_mem_new_with_buffer(raw.data(), raw.size()));
  GPtr<GMimeParser> parser(g_mime_parser_new_with_stream(stream.get()));
  g_mime_parser_set_format(parser.get(), GMIME_FORMAT_MESSAGE);
  GPtr<GMimeMessage> msg(g_mime_parser_construct_message(parser.get(), nullptr));
  if (!msg) return InvalidArgumentError("Ce n'est pas un message électronique : en-têtes absents.");
  return msg;
}

}  // namespace

Result<ParsedMessage> ParseMessage(std::string_view raw, const MimeLimits& limits) {
  CADUCE_TRY(GPtr<GMimeMessage> msg, Construct(raw, limits));
  GMimeMessage* m = msg.get();
  ParsedMessage p;
  AddAddresses(g_mime_message_get_from(m), &p.from);
  AddAddresses(g_mime_message_get_to(m), &p.to);
  AddAddresses(g_mime_message_get_cc(m), &p.cc);
  AddAddresses(g_mime_message_get_bcc(m), &p.bcc);
  AddAddresses(g_mime_message_get_reply_to(m), &p.reply_to);
  AddAddresses(g_mime_message_get_sender(m), &p.sender);
  p.subject = Trim(ValidUtf8(g_mime_message_get_subject(m)));
  if (p.subject.size() > 4096) p.subject.resize(4096), p.subject = ValidUtf8(p.subject.c_str());
  if (GDateTime* d = g_mime_message_get_date(m)) {
    p.sent_at = static_cast<int64_t>(g_date_time_to_unix(d)) * 1000000;
  }
  p.message_id = ValidUtf8(g_mime_message_get_message_id(m));
  if (p.message_id.size() > 998) p.message_id.clear();
  GMimeObject* obj = GMIME_OBJECT(m);
  p.in_reply_to = ParseIds(g_mime_object_get_header(obj, "In-Reply-To"), limits.max_header_ids);
  p.references = ParseIds(g_mime_object_get_header(obj, "References"), limits.max_header_ids);
  Walk w;
  w.limits = &limits;
  w.out = &p;
  g_mime_message_foreach(m, Visit, &w);
  p.text = !w.plain.empty() ? std::move(w.plain) : HtmlToText(w.html);
  p.preview = MakePreview(p.text);
  return p;
}

Result<PartContent> ExtractPart(std::string_view raw, std::string_view part_id,
                                const MimeLimits& limits) {
  CADUCE_TRY(GPtr<GMimeMessage> msg, Construct(raw, limits));
  Walk w;
  w.limits = &limits;
  w.want_part = std::string(part_id);
  g_mime_message_foreach(msg.get(), Visit, &w);
  if (!w.found) return NotFoundError("Cette pièce jointe n'existe pas dans le message.");
  return std::move(*w.found);
}

std::string BaseSubject(std::string_view subject) {
  std::string s = Trim(subject);
  for (bool changed = true; changed;) {
    changed = false;
    // "[tag] " prefixes.
    if (!s.empty() && s[0] == '[') {
      size_t close = s.find(']');
      if (close != std::string::npos) {
        s = Trim(std::string_view(s).substr(close + 1));
        changed = true;
        continue;
      }
    }
    // "Re:", "RE :", "Fwd:", "Fw:", "TR:", "Réf:", "AW:", "Re[2]:".
    size_t i = 0;
    while (i < s.size() && (std::isalpha(static_cast<unsigned char>(s[i])))) ++i;
    std::string word = s.substr(0, i);
    std::transform(word.begin(), word.end(), word.begin(),
                   [](unsigned char c) { return std::tolower(c); });
    if (word == "re" || word == "fwd" || word == "fw" || word == "tr" || word == "aw" ||
        word == "wg" || word == "rv") {
      size_t j = i;
      if (j < s.size() && s[j] == '[') {
        size_t close = s.find(']', j);
        if (close != std::string::npos) j = close + 1;
      }
      while (j < s.size() && s[j] == ' ') ++j;
      if (j < s.size() && s[j] == ':') {
        s = Trim(std::string_view(s).substr(j + 1));
        changed = true;
      }
    }
  }
  // Fold blanks and case (ASCII; accents are kept as they are).
  std::string out;
  bool blank = false;
  for (unsigned char c : s) {
    if (std::isspace(c)) {
      blank = true;
      continue;
    }
    if (blank && !out.empty()) out += ' ';
    blank = false;
    out += static_cast<char>(std::tolower(c));
  }
  return out;
}

std::string HtmlToText(std::string_view html) {
  std::string out;
  out.reserve(html.size() / 2);
  size_t i = 0;
  auto lower_starts = [&](size_t at, std::string_view word) {
    if (at + word.size() > html.size()) return false;
    for (size_t k = 0; k < word.size(); ++k) {
      if (std::tolower(static_cast<unsigned char>(html[at + k])) != word[k]) return false;
    }
    return true;
  };
  while (i < html.size()) {
    char c = html[i];
    if (c == '<') {
      // Skip script and style with their content; comments whole.
      if (lower_starts(i, "<!--")) {
        size_t end = html.find("-->", i + 4);
        i = end == std::string_view::npos ? html.size() : end + 3;
        continue;
      }
      for (std::string_view skip : {std::string_view("script"), std::string_view("style")}) {
        if (lower_starts(i + 1, skip)) {
          std::string close = "</" + std::string(skip);
          size_t j = i + 1;
          while (j < html.size() && !lower_starts(j, close)) ++j;
          i = j;
          break;
        }
      }
      size_t end = html.find('>', i);
      std::string_view tag = html.substr(i, end == std::string_view::npos ? html.size() - i : end - i);
      i = end == std::string_view::npos ? html.size() : end + 1;
      std::string t;
      for (char k : tag.substr(1, 4)) t += static_cast<char>(std::tolower(static_cast<unsigned char>(k)));
      if (t.starts_with("br") || t.starts_with("p") || t.starts_with("/p") || t.starts_with("div") ||
          t.starts_with("/div") || t.starts_with("li") || t.starts_with("tr") || t.starts_with("h")) {
        out += '\n';
      }
      continue;
    }
    if (c == '&') {
      size_t semi = html.find(';', i);
      if (semi != std::string_view::npos && semi - i <= 10) {
        std::string_view ent = html.substr(i + 1, semi - i - 1);
        std::string rep;
        if (ent == "amp") rep = "&";
        else if (ent == "lt") rep = "<";
        else if (ent == "gt") rep = ">";
        else if (ent == "quot") rep = "\"";
        else if (ent == "apos") rep = "'";
        else if (ent == "nbsp") rep = " ";
        else if (ent == "eacute") rep = "é";
        else if (ent == "egrave") rep = "è";
        else if (ent == "agrave") rep = "à";
        else if (ent == "ccedil") rep = "ç";
        else if (!ent.empty() && ent[0] == '#') {
          unsigned long cp = 0;
          bool hex = ent.size() > 1 && (ent[1] == 'x' || ent[1] == 'X');
          std::string digits(ent.substr(hex ? 2 : 1));
          char* endp = nullptr;
          cp = std::strtoul(digits.c_str(), &endp, hex ? 16 : 10);
          if (!digits.empty() && endp != nullptr && *endp == '\0' && cp > 0 && cp < 0x110000 &&
              !(cp >= 0xD800 && cp <= 0xDFFF)) {
            char buf[8];
            int n = g_unichar_to_utf8(static_cast<gunichar>(cp), buf);
            rep.assign(buf, static_cast<size_t>(n));
          }
        }
        if (!rep.empty()) {
          out += rep;
          i = semi + 1;
          continue;
        }
      }
    }
    out += c;
    ++i;
  }
  return ValidUtf8(out.data(), static_cast<gssize>(out.size()));
}

std::string MakePreview(std::string_view text, size_t max_chars) {
  std::string out;
  size_t chars = 0;
  bool blank = false;
  for (size_t i = 0; i < text.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v') {
      blank = true;
      continue;
    }
    bool lead = (c & 0xC0) != 0x80;
    if (lead && c < 0x20) continue;  // other control characters
    if (lead && chars + (blank && !out.empty() ? 2 : 1) > max_chars) break;
    if (blank && !out.empty()) {
      out += ' ';
      ++chars;
    }
    blank = false;
    if (lead) ++chars;
    out += static_cast<char>(c);
  }
  return ValidUtf8(out.data(), static_cast<gssize>(out.size()));
}

}  // namespace caduce::mail
