// Pull scanner for the XML of SpreadsheetML worksheets (see xml_scanner.h).
#include "import_export/formats/internal/xml_scanner.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>

#include "base/text.h"

namespace caduce::import_export::internal {
namespace {

constexpr size_t kChunk = 64 * 1024;
// The longest entity or character reference worth waiting for: "&#x0010FFFF;".
constexpr size_t kMaxEntity = 12;

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// a == b for the short names of a worksheet ("c", "row", "t"), without a call to
// memcmp for each.
bool SameName(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i] != b[i]) return false;
  }
  return true;
}

std::string_view LocalOf(std::string_view qname) {
  size_t colon = qname.rfind(':');
  return colon == std::string_view::npos ? qname : qname.substr(colon + 1);
}

// A name as XML 1.0 §2.3 allows it, checked on the ASCII characters that matter
// here: not empty, not starting with a digit, '-' or '.', and no delimiter inside.
bool IsName(std::string_view n) {
  if (n.empty()) return false;
  char f = n[0];
  if ((f >= '0' && f <= '9') || f == '-' || f == '.') return false;
  for (char c : n) {
    if (static_cast<unsigned char>(c) <= ' ' || c == '<' || c == '>' || c == '&' || c == '"' ||
        c == '\'' || c == '=' || c == '/' || c == '!' || c == '?') {
      return false;
    }
  }
  return true;
}

// XML 1.0 §2.2 Char.
bool IsXmlChar(uint32_t c) {
  return c == 0x9 || c == 0xA || c == 0xD || (c >= 0x20 && c <= 0xD7FF) ||
         (c >= 0xE000 && c <= 0xFFFD) || (c >= 0x10000 && c <= 0x10FFFF);
}

}  // namespace

XmlScanner::XmlScanner(ByteSource* source, std::string part, size_t max_token)
    : source_(source), part_(std::move(part)), max_token_(max_token), buf_(kChunk, '\0') {}

XmlScanner::Token XmlScanner::Fail(std::string detail) {
  if (status_.ok()) {
    uint64_t line =
        lines_before_ + static_cast<uint64_t>(std::count(buf_.data(), buf_.data() + pos_, '\n'));
    status_ = InvalidArgumentError(fmt::format(
        "Le fichier n'est pas un classeur Excel valide (.xlsx) : XML mal formé dans « {} » "
        "(ligne {} : {}).",
        part_, line, detail));
  }
  return Token::kError;
}

bool XmlScanner::Fill() {
  if (eof_ || !status_.ok()) return false;
  if (pos_ > 0) {
    lines_before_ += static_cast<uint64_t>(std::count(buf_.data(), buf_.data() + pos_, '\n'));
    std::memmove(buf_.data(), buf_.data() + pos_, end_ - pos_);
    end_ -= pos_;
    pos_ = 0;
  }
  if (end_ == buf_.size()) buf_.resize(buf_.size() * 2);
  Result<size_t> n = source_->Read(buf_.data() + end_, buf_.size() - end_);
  if (!n.ok()) {
    status_ = n.status();
    return false;
  }
  if (*n == 0) {
    eof_ = true;
    return false;
  }
  end_ += *n;
  return true;
}

size_t XmlScanner::FindMarkupEnd(std::string_view close, size_t from) const {
  std::string_view avail(buf_.data() + pos_, end_ - pos_);
  // One byte (an end tag's '>', most of the calls): no substring search.
  size_t at = close.size() == 1 ? avail.find(close[0], from) : avail.find(close, from);
  return at == std::string_view::npos ? 0 : pos_ + at + close.size();
}

XmlScanner::Token XmlScanner::Next() {
  if (!status_.ok()) return Token::kError;
  if (pending_end_) {
    pending_end_ = false;
    --depth_;
    return Token::kEnd;
  }
  if (!started_) {
    started_ = true;
    while (end_ - pos_ < 3 && Fill()) {
    }
    if (!status_.ok()) return Token::kError;
    std::string_view head(buf_.data() + pos_, end_ - pos_);
    if (head.starts_with("\xEF\xBB\xBF")) {
      pos_ += 3;
    } else if (head.starts_with("\xFE\xFF") || head.starts_with("\xFF\xFE") ||
               head.starts_with(std::string_view("\0<", 2)) ||
               head.starts_with(std::string_view("<\0", 2))) {
      return Fail(
          "encodage UTF-16 non pris en charge ; enregistrez le classeur depuis Excel "
          "ou LibreOffice, qui écrivent de l'UTF-8");
    }
  }
  for (;;) {
    if (pos_ == end_ && !Fill()) {
      if (!status_.ok()) return Token::kError;
      if (depth_ > 0) {
        return Fail(fmt::format("fin du fichier dans l'élément <{}>", open_[depth_ - 1]));
      }
      if (!root_seen_) return Fail("aucun élément");
      return Token::kEof;
    }
    if (buf_[pos_] == '<') {
      skipped_ = false;
      Token t = ScanMarkup();
      if (skipped_) continue;  // a comment or a processing instruction
      return t;
    }
    const char* p = buf_.data() + pos_;
    const size_t avail = end_ - pos_;
    const void* lt = std::memchr(p, '<', avail);
    size_t n = lt != nullptr ? static_cast<size_t>(static_cast<const char*>(lt) - p) : avail;
    if (lt == nullptr && !eof_) {
      // Hold back an entity or a CR whose end may be in the next bytes.
      for (size_t k = n > kMaxEntity ? n - kMaxEntity : 0; k < n; ++k) {
        if (p[k] == '&' && std::memchr(p + k, ';', n - k) == nullptr) {
          n = k;
          break;
        }
      }
      if (n > 0 && p[n - 1] == '\r') --n;
      if (n == 0) {
        if (!Fill() && !status_.ok()) return Token::kError;
        continue;
      }
    }
    text_ = std::string_view(p, n);
    cdata_ = false;
    pos_ += n;
    if (depth_ == 0) {
      if (!IsWhitespace()) return Fail("texte hors de l'élément racine");
      continue;
    }
    return Token::kText;
  }
}

XmlScanner::Token XmlScanner::ScanMarkup() {
  // Waits for `close`, refilling; the offset survives the buffer's compaction.
  auto wait_for = [this](std::string_view close, size_t from) -> size_t {
    for (;;) {
      if (size_t end = FindMarkupEnd(close, from)) {
        if (end - pos_ <= max_token_) return end;
        Fail(fmt::format("balise de plus de {} octets", max_token_));
        return 0;
      }
      if (eof_) {
        Fail("fin du fichier dans une balise");
        return 0;
      }
      if (end_ - pos_ > max_token_) {
        Fail(fmt::format("balise de plus de {} octets", max_token_));
        return 0;
      }
      size_t scanned = end_ - pos_;
      from = scanned >= close.size() ? scanned - close.size() + 1 : from;
      if (!Fill() && !status_.ok()) return 0;
    }
  };
  auto ensure = [this](size_t k) {
    while (end_ - pos_ < k && Fill()) {
    }
    return status_.ok();
  };
  // Nine bytes tell "<![CDATA[" from "<!DOCTYPE"; two are enough for the rest.
  if (!ensure(2)) return Token::kError;
  text_ = {};
  cdata_ = false;
  // The second byte tells the markup apart: '/' an end tag, '?' a processing
  // instruction, '!' a comment, CDATA section or declaration, anything else a start
  // tag (most of a worksheet: tested first, without comparing strings).
  const char second = end_ - pos_ >= 2 ? buf_[pos_ + 1] : '\0';
  if (second == '/') {
    size_t end = wait_for(">", 2);
    if (end == 0) return Token::kError;
    return ScanEndTag(end);
  }
  if (second != '?' && second != '!') return ScanStartTagAt();
  if (second == '!' && !ensure(9)) return Token::kError;
  std::string_view head(buf_.data() + pos_, std::min<size_t>(end_ - pos_, 9));
  const bool first = !root_seen_ && depth_ == 0;
  if (head.starts_with("<?")) {
    size_t end = wait_for("?>", 2);
    if (end == 0) return Token::kError;
    std::string_view pi(buf_.data() + pos_ + 2, end - pos_ - 4);
    if (pi.starts_with("xml") && (pi.size() == 3 || IsSpace(pi[3]))) {
      if (!first || !CheckDeclaration(pi)) {
        return status_.ok() ? Fail("déclaration XML mal placée") : Token::kError;
      }
    }
    pos_ = end;
    skipped_ = true;
    return Token::kText;
  }
  if (head.starts_with("<!--")) {
    size_t end = wait_for("-->", 4);
    if (end == 0) return Token::kError;
    pos_ = end;
    skipped_ = true;
    return Token::kText;
  }
  if (head.starts_with("<![CDATA[")) {
    size_t end = wait_for("]]>", 9);
    if (end == 0) return Token::kError;
    if (depth_ == 0) return Fail("section CDATA hors de l'élément racine");
    text_ = std::string_view(buf_.data() + pos_ + 9, end - pos_ - 12);
    cdata_ = true;
    pos_ = end;
    return Token::kText;
  }
  if (head.starts_with("<!DOCTYPE") || head.starts_with("<!ENTITY")) {
    // No DTD at all, hence no entity to expand or fetch (billion laughs, XXE).
    status_ = InvalidArgumentError(
        fmt::format("Le fichier n'est pas un classeur Excel valide (.xlsx) : « {} » contient une "
                    "déclaration DOCTYPE, refusée par sécurité.",
                    part_));
    return Token::kError;
  }
  return Fail("déclaration inconnue");
}

XmlScanner::Token XmlScanner::ScanStartTagAt() {
  // A start tag: its '>' is the first one outside quoted attribute values.
  size_t from = 1;
  char quote = 0;
  for (;;) {
    const char* p = buf_.data() + pos_;
    const size_t avail = end_ - pos_;
    size_t i = from;
    for (; i < avail; ++i) {
      char c = p[i];
      if (quote != 0) {
        if (c == quote) {
          quote = 0;
        } else if (c == '<') {
          return Fail("'<' dans une balise");  // not even in a value (XML 1.0 §3.1 AttValue)
        }
      } else if (c == '"' || c == '\'') {
        quote = c;
      } else if (c == '>') {
        if (i >= max_token_) return Fail(fmt::format("balise de plus de {} octets", max_token_));
        return ScanStartTag(pos_ + i + 1);
      } else if (c == '<') {
        return Fail("'<' dans une balise");
      }
    }
    if (eof_) return Fail("fin du fichier dans une balise");
    if (avail > max_token_) return Fail(fmt::format("balise de plus de {} octets", max_token_));
    from = i;
    if (!Fill() && !status_.ok()) return Token::kError;
  }
}

XmlScanner::Token XmlScanner::ScanStartTag(size_t end) {
  std::string_view t(buf_.data() + pos_ + 1, end - pos_ - 2);
  const bool empty_element = !t.empty() && t.back() == '/';
  if (empty_element) t.remove_suffix(1);
  size_t i = 0;
  while (i < t.size() && !IsSpace(t[i])) ++i;
  std::string_view qname = t.substr(0, i);
  if (!IsName(qname) || LocalOf(qname).empty()) {
    return Fail(fmt::format("nom d'élément invalide « {} »", qname.substr(0, 40)));
  }
  attrs_.clear();
  while (i < t.size()) {
    if (!IsSpace(t[i])) return Fail(fmt::format("attribut mal formé dans <{}>", qname));
    while (i < t.size() && IsSpace(t[i])) ++i;
    if (i == t.size()) break;
    size_t start = i;
    while (i < t.size() && !IsSpace(t[i]) && t[i] != '=') ++i;
    std::string_view aname = t.substr(start, i - start);
    while (i < t.size() && IsSpace(t[i])) ++i;
    if (!IsName(aname) || i == t.size() || t[i] != '=') {
      return Fail(fmt::format("attribut mal formé dans <{}>", qname));
    }
    ++i;
    while (i < t.size() && IsSpace(t[i])) ++i;
    if (i == t.size() || (t[i] != '"' && t[i] != '\'')) {
      return Fail(fmt::format("attribut mal formé dans <{}>", qname));
    }
    const char q = t[i++];
    size_t close = i;
    while (close < t.size() && t[close] != q) ++close;  // values are short: no call
    if (close == t.size()) return Fail(fmt::format("attribut mal formé dans <{}>", qname));
    // ScanStartTagAt() refused a '<' in the tag, values included.
    std::string_view value = t.substr(i, close - i);
    i = close + 1;
    // Namespace declarations are not attributes (Namespaces in XML §3).
    if (aname[0] == 'x' && (aname == "xmlns" || aname.starts_with("xmlns:"))) continue;
    attrs_.push_back({LocalOf(aname), value});
  }
  if (depth_ == 0 && root_seen_) return Fail("plusieurs éléments racines");
  root_seen_ = true;
  if (open_.size() <= depth_) open_.emplace_back();
  open_[depth_].assign(qname);
  ++depth_;
  local_name_ = LocalOf(qname);
  pos_ = end;
  pending_end_ = empty_element;
  return Token::kStart;
}

XmlScanner::Token XmlScanner::ScanEndTag(size_t end) {
  std::string_view qname(buf_.data() + pos_ + 2, end - pos_ - 3);
  while (!qname.empty() && IsSpace(qname.back())) qname.remove_suffix(1);
  if (depth_ == 0 || !SameName(open_[depth_ - 1], qname)) {
    return Fail(fmt::format("balise fermante </{}> inattendue", qname.substr(0, 40)));
  }
  --depth_;
  local_name_ = LocalOf(qname);
  pos_ = end;
  return Token::kEnd;
}

bool XmlScanner::CheckDeclaration(std::string_view decl) {
  size_t at = decl.find("encoding");
  if (at == std::string_view::npos) return true;
  size_t q = decl.find_first_of("\"'", at);
  if (q == std::string_view::npos) return true;
  size_t close = decl.find(decl[q], q + 1);
  if (close == std::string_view::npos) return true;
  std::string enc = text::ToLowerAscii(decl.substr(q + 1, close - q - 1));
  if (enc == "utf-8" || enc == "utf8" || enc == "us-ascii" || enc == "ascii") return true;
  Fail(
      fmt::format("encodage « {} » non pris en charge ; enregistrez le classeur depuis Excel ou "
                  "LibreOffice, qui écrivent de l'UTF-8",
                  decl.substr(q + 1, std::min<size_t>(close - q - 1, 40))));
  return false;
}

std::optional<std::string_view> XmlScanner::Attr(std::string_view local) {
  for (const RawAttr& a : attrs_) {
    if (!SameName(a.local, local)) continue;  // most are one letter: "r", "t", "s"
    bool plain = true;
    for (char c : a.value) {
      if (c == '&' || static_cast<unsigned char>(c) < 0x20) {
        plain = false;
        break;
      }
    }
    if (plain) return a.value;
    attr_value_.clear();
    if (!Decode(a.value, Mode::kAttribute, &attr_value_)) return std::nullopt;
    return std::string_view(attr_value_);
  }
  return std::nullopt;
}

bool XmlScanner::AppendText(std::string* out) {
  if (!status_.ok()) return false;
  return Decode(text_, cdata_ ? Mode::kCdata : Mode::kText, out);
}

bool XmlScanner::TakeSimpleContent(std::string_view open, std::string_view close,
                                   std::string* out) {
  if (!status_.ok() || pending_end_ || depth_ == 0) return false;
  const char* p = buf_.data() + pos_;
  const char* const stop = buf_.data() + end_;
  if (static_cast<size_t>(stop - p) < open.size() ||
      std::memcmp(p, open.data(), open.size()) != 0) {
    return false;
  }
  const char* text = p + open.size();
  const void* lt = std::memchr(text, '<', static_cast<size_t>(stop - text));
  if (lt == nullptr) return false;  // the text goes on past what was read
  const char* at = static_cast<const char*>(lt);
  // `close`, then "</" + the element's own name + ">".
  const std::string& element = open_[depth_ - 1];
  const size_t tail = close.size() + element.size() + 3;
  if (static_cast<size_t>(stop - at) < tail || std::memcmp(at, close.data(), close.size()) != 0) {
    return false;
  }
  const char* end_tag = at + close.size();
  if (end_tag[0] != '<' || end_tag[1] != '/' ||
      std::memcmp(end_tag + 2, element.data(), element.size()) != 0 ||
      end_tag[2 + element.size()] != '>') {
    return false;
  }
  if (!Decode(std::string_view(text, static_cast<size_t>(at - text)), Mode::kText, out)) {
    return false;
  }
  pos_ = static_cast<size_t>(at - buf_.data()) + tail;
  --depth_;
  local_name_ = LocalOf(element);
  return true;
}

bool XmlScanner::IsWhitespace() const { return std::all_of(text_.begin(), text_.end(), IsSpace); }

// Decodes entities (not in CDATA), normalises line ends (XML 1.0 §2.11) and, in an
// attribute value, white space (§3.3.3), and refuses characters XML forbids.
bool XmlScanner::Decode(std::string_view raw, Mode mode, std::string* out) {
  const bool attribute = mode == Mode::kAttribute;
  size_t start = 0;
  for (size_t i = 0; i < raw.size(); ++i) {
    const auto c = static_cast<unsigned char>(raw[i]);
    if (c >= 0x20 && (c != '&' || mode == Mode::kCdata)) continue;
    out->append(raw.data() + start, i - start);
    start = i + 1;
    if (c == '&') {
      size_t semi = raw.find(';', i + 1);
      if (semi == std::string_view::npos || semi - i > kMaxEntity) {
        Fail("entité mal formée");
        return false;
      }
      std::string_view name = raw.substr(i + 1, semi - i - 1);
      start = semi + 1;
      if (name == "amp") {
        out->push_back('&');
      } else if (name == "lt") {
        out->push_back('<');
      } else if (name == "gt") {
        out->push_back('>');
      } else if (name == "quot") {
        out->push_back('"');
      } else if (name == "apos") {
        out->push_back('\'');
      } else if (name.starts_with('#') && name.size() > 1) {
        uint32_t v = 0;
        const bool hex = name[1] == 'x';
        std::string_view digits = name.substr(hex ? 2 : 1);
        bool ok = !digits.empty();
        for (char d : digits) {
          int dv = -1;
          if (d >= '0' && d <= '9') {
            dv = d - '0';
          } else if (hex && d >= 'a' && d <= 'f') {
            dv = d - 'a' + 10;
          } else if (hex && d >= 'A' && d <= 'F') {
            dv = d - 'A' + 10;
          }
          if (dv < 0 || v > 0x10FFFF) {
            ok = false;
            break;
          }
          v = v * (hex ? 16 : 10) + static_cast<uint32_t>(dv);
        }
        if (!ok || !IsXmlChar(v)) {
          Fail(fmt::format("référence de caractère invalide « &{}; »", name));
          return false;
        }
        text::AppendUtf8(static_cast<char32_t>(v), *out);
      } else {
        // Only the predefined entities exist: there is no DTD to declare others.
        Fail(fmt::format("entité inconnue « &{}; »", name.substr(0, 10)));
        return false;
      }
      i = semi;
    } else if (c == '\r') {
      out->push_back(attribute ? ' ' : '\n');
      if (i + 1 < raw.size() && raw[i + 1] == '\n') start = ++i + 1;
    } else if (c == '\n' || c == '\t') {
      out->push_back(attribute ? ' ' : static_cast<char>(c));
    } else {
      Fail(fmt::format("caractère de contrôle U+{:04X} interdit", c));
      return false;
    }
  }
  out->append(raw.data() + start, raw.size() - start);
  return true;
}

}  // namespace caduce::import_export::internal
