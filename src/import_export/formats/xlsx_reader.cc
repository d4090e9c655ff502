// XLSX reader: libzip for the OPC package, expat (SAX, no DTD) for the small XML
// parts, and the worksheet read with internal/xml_scanner.h one row per Next()
// (see xlsx_reader.h for the defences and the value rules).
#include "import_export/formats/xlsx_reader.h"

#include <expat.h>
#include <fmt/format.h>
#include <zip.h>

#include <algorithm>
#include <charconv>
#include <cstring>
#include <limits>
#include <map>
#include <vector>

#include "base/text.h"
#include "import_export/formats/internal/limit_errors.h"
#include "import_export/formats/internal/xml_scanner.h"

namespace caduce::import_export {
namespace {

constexpr size_t kChunk = 64 * 1024;
// Entries below this many bytes are exempt from the ratio check: whatever they
// inflate to is already bounded by the total cap, and tiny XML parts can have
// ratios no real sheet has.
constexpr uint64_t kRatioFloor = 1024 * 1024;
// Excel's last column is XFD (ECMA-376 Part 1 §18.3.1.4 ST_CellRef; 16,384 columns).
constexpr int32_t kExcelColumns = 16384;

Status NotXlsx(std::string_view detail) {
  return InvalidArgumentError(
      fmt::format("Le fichier n'est pas un classeur Excel valide (.xlsx) : {}.", detail));
}

std::string_view LocalName(const XML_Char* name) {
  std::string_view n(name);
  size_t bar = n.rfind('|');
  return bar == std::string_view::npos ? n : n.substr(bar + 1);
}

// The value of the attribute whose local name is `local` (any namespace), or null.
const char* Attr(const XML_Char** attrs, std::string_view local) {
  for (size_t i = 0; attrs[i] != nullptr; i += 2) {
    if (LocalName(attrs[i]) == local) return attrs[i + 1];
  }
  return nullptr;
}

// A relationship id attribute (r:id), whose namespace is the relationships one.
const char* RelIdAttr(const XML_Char** attrs) {
  for (size_t i = 0; attrs[i] != nullptr; i += 2) {
    std::string_view n(attrs[i]);
    if (LocalName(attrs[i]) == "id" && n.find("relationships") != std::string_view::npos) {
      return attrs[i + 1];
    }
  }
  return nullptr;
}

template <class Int>
bool ParseInt(std::string_view s, Int* out) {
  s = text::Trim(s);
  if (s.empty()) return false;
  auto r = std::from_chars(s.data(), s.data() + s.size(), *out);
  return r.ec == std::errc() && r.ptr == s.data() + s.size();
}

bool ParseDouble(std::string_view s, double* out) {
  s = text::Trim(s);
  if (!s.empty() && s[0] == '+') s.remove_prefix(1);
  if (s.empty()) return false;
  auto r = std::from_chars(s.data(), s.data() + s.size(), *out);
  return r.ec == std::errc() && r.ptr == s.data() + s.size();
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Reads "_xHHHH_" at s[i]; returns the code unit or -1.
int32_t EscapeAt(std::string_view s, size_t i) {
  if (i + 7 > s.size() || s[i] != '_' || s[i + 1] != 'x' || s[i + 6] != '_') return -1;
  int32_t v = 0;
  for (size_t k = i + 2; k < i + 6; ++k) {
    int h = HexValue(s[k]);
    if (h < 0) return -1;
    v = v * 16 + h;
  }
  return v;
}

// Decodes the ST_Xstring escapes _xHHHH_ (ECMA-376 Part 1 §22.9.2.19), with which
// Excel stores characters XML cannot carry (and "_x005F_" for a literal '_').
std::string UnescapeXstring(std::string s) {
  if (s.find("_x") == std::string::npos) return s;
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    int32_t u = EscapeAt(s, i);
    if (u < 0) {
      out.push_back(s[i++]);
      continue;
    }
    char32_t cp = static_cast<char32_t>(u);
    size_t used = 7;
    if (u >= 0xD800 && u <= 0xDBFF) {
      int32_t lo = EscapeAt(s, i + 7);
      if (lo >= 0xDC00 && lo <= 0xDFFF) {
        cp = 0x10000 + ((static_cast<char32_t>(u) - 0xD800) << 10) +
             (static_cast<char32_t>(lo) - 0xDC00);
        used = 14;
      } else {
        cp = 0xFFFD;
      }
    } else if (u >= 0xDC00 && u <= 0xDFFF) {
      cp = 0xFFFD;
    }
    text::AppendUtf8(cp, out);
    i += used;
  }
  return out;
}

// True when a number format code shows a date or a time: a d, m, y, h or s
// outside quoted literals, bracketed sections ([Red], [$-40C]), and escaped or
// padding characters (\x, _x, *x) (ECMA-376 Part 1 §18.8.31).
bool IsDateFormatCode(std::string_view code) {
  for (size_t i = 0; i < code.size(); ++i) {
    char c = code[i];
    switch (c) {
      case '"': {
        size_t end = code.find('"', i + 1);
        if (end == std::string_view::npos) return false;
        i = end;
        break;
      }
      case '[': {
        size_t end = code.find(']', i + 1);
        if (end == std::string_view::npos) return false;
        i = end;
        break;
      }
      case '\\':
      case '_':
      case '*':
        ++i;
        break;
      default:
        switch (c | 0x20) {
          case 'd':
          case 'm':
          case 'y':
          case 'h':
          case 's':
            return true;
          default:
            break;
        }
    }
  }
  return false;
}

// Built-in date and time formats (ECMA-376 Part 1 §18.8.30).
bool IsBuiltinDateFormat(int id) { return (id >= 14 && id <= 22) || (id >= 45 && id <= 47); }

// A part name resolved from a relationship target (ECMA-376 Part 2 §9.3: a
// relative target is relative to the source part's folder).
std::string ResolvePartName(std::string_view base_dir, std::string_view target) {
  std::string full = target.starts_with('/') ? std::string(target.substr(1))
                                             : std::string(base_dir) + std::string(target);
  std::vector<std::string> parts;
  size_t start = 0;
  while (start <= full.size()) {
    size_t slash = full.find('/', start);
    if (slash == std::string::npos) slash = full.size();
    std::string seg = full.substr(start, slash - start);
    if (seg == "..") {
      if (!parts.empty()) parts.pop_back();
    } else if (!seg.empty() && seg != ".") {
      parts.push_back(seg);
    }
    start = slash + 1;
  }
  std::string out;
  for (const auto& p : parts) {
    if (!out.empty()) out += '/';
    out += p;
  }
  return out;
}

std::string DirOf(std::string_view part) {
  size_t slash = part.rfind('/');
  return slash == std::string_view::npos ? std::string() : std::string(part.substr(0, slash + 1));
}

// ---------------------------------------------------------------------------
// ZIP entries, streamed with bomb checks.

struct ZipDiscard {
  void operator()(zip_t* z) const { zip_discard(z); }
};
struct ZipFileClose {
  void operator()(zip_file_t* f) const { zip_fclose(f); }
};

class EntryStream : public internal::ByteSource {
 public:
  EntryStream() = default;

  // kNotFound (for the caller to handle) when the package has no such part.
  static Result<EntryStream> Open(zip_t* zip, const std::string& name, const ReadLimits& limits,
                                  uint64_t* total) {
    zip_int64_t index = zip_name_locate(zip, name.c_str(), ZIP_FL_NOCASE);
    if (index < 0) return NotFoundError(name);
    zip_stat_t st;
    zip_stat_init(&st);
    if (zip_stat_index(zip, static_cast<zip_uint64_t>(index), 0, &st) != 0 ||
        (st.valid & ZIP_STAT_SIZE) == 0 || (st.valid & ZIP_STAT_COMP_SIZE) == 0) {
      return NotXlsx(fmt::format("l'entrée « {} » de l'archive ZIP est illisible", name));
    }
    EntryStream e;
    e.name_ = name;
    e.limits_ = limits;
    e.total_ = total;
    e.declared_ = st.size;
    e.compressed_ = st.comp_size;
    // Checked on the declared sizes first, before inflating anything.
    if (st.size > limits.max_uncompressed_bytes - std::min(*total, limits.max_uncompressed_bytes)) {
      return internal::TooLarge(limits.max_uncompressed_bytes);
    }
    CADUCE_RETURN_IF_ERROR(e.CheckRatio(st.size));
    zip_file_t* f = zip_fopen_index(zip, static_cast<zip_uint64_t>(index), 0);
    if (f == nullptr) {
      zip_error_t* err = zip_get_error(zip);
      if (zip_error_code_zip(err) == ZIP_ER_ENCRNOTSUPP ||
          zip_error_code_zip(err) == ZIP_ER_NOPASSWD) {
        return NotXlsx("l'archive est chiffrée (classeur protégé par mot de passe ?)");
      }
      return NotXlsx(fmt::format("l'entrée « {} » de l'archive ZIP est illisible", name));
    }
    e.file_.reset(f);
    return e;
  }

  // Reads up to n bytes; 0 at the end of the entry. (The worksheet scanner's
  // byte source.)
  Result<size_t> Read(char* buf, size_t n) override {
    zip_int64_t got = zip_fread(file_.get(), buf, n);
    if (got < 0) {
      return NotXlsx(fmt::format("archive ZIP corrompue (entrée « {} »)", name_));
    }
    const auto g = static_cast<uint64_t>(got);
    inflated_ += g;
    *total_ += g;
    // The bytes actually inflated, because declared sizes can lie.
    if (*total_ > limits_.max_uncompressed_bytes) {
      return internal::TooLarge(limits_.max_uncompressed_bytes);
    }
    if (inflated_ > declared_) {
      return NotXlsx(fmt::format(
          "archive ZIP incohérente (l'entrée « {} » dépasse la taille qu'elle annonce)", name_));
    }
    CADUCE_RETURN_IF_ERROR(CheckRatio(inflated_));
    return static_cast<size_t>(g);
  }

  const std::string& name() const { return name_; }

 private:
  Status CheckRatio(uint64_t size) const {
    if (size <= kRatioFloor) return OkStatus();
    const uint64_t comp = std::max<uint64_t>(compressed_, 1);
    if (size / comp > limits_.max_ratio) {
      return ResourceExhaustedError(fmt::format(
          "Le fichier est refusé : l'entrée « {} » se décompresse plus de {} fois sa taille "
          "(limite de {} fois), signe d'une « bombe ZIP ».",
          name_, size / comp, limits_.max_ratio));
    }
    return OkStatus();
  }

  std::string name_;
  ReadLimits limits_;
  uint64_t* total_ = nullptr;
  uint64_t declared_ = 0;
  uint64_t compressed_ = 0;
  uint64_t inflated_ = 0;
  std::unique_ptr<zip_file_t, ZipFileClose> file_;
};

// ---------------------------------------------------------------------------
// XML parts through expat.

class XmlHandler {
 public:
  virtual ~XmlHandler() = default;
  virtual void OnStart(std::string_view name, const XML_Char** attrs) = 0;
  virtual void OnEnd(std::string_view name) = 0;
  virtual void OnText(std::string_view) {}

  void Attach(XML_Parser parser) { parser_ = parser; }
  // Records the first error and stops the parser for good.
  void Fail(Status s) {
    if (!status_.ok()) return;
    status_ = std::move(s);
    XML_StopParser(parser_, XML_FALSE);
  }
  // Stops the parser without error: the rest of the part is not needed.
  void Finish() {
    if (finished_ || !status_.ok()) return;
    finished_ = true;
    XML_StopParser(parser_, XML_FALSE);
  }
  bool active() const { return status_.ok() && !finished_; }
  const Status& status() const { return status_; }
  bool finished() const { return finished_; }

 protected:
  XML_Parser parser_ = nullptr;

 private:
  Status status_;
  bool finished_ = false;
};

class XmlStream {
 public:
  XmlStream(EntryStream entry, XmlHandler* handler)
      : entry_(std::move(entry)), handler_(handler), buf_(kChunk, '\0') {
    parser_ = XML_ParserCreateNS(nullptr, '|');
    if (parser_ == nullptr) return;
    XML_SetUserData(parser_, this);
    XML_SetElementHandler(parser_, &XmlStream::Start, &XmlStream::End);
    XML_SetCharacterDataHandler(parser_, &XmlStream::Text);
    // No DTD at all: a DOCTYPE or an entity declaration ends the parse with an
    // error, and parameter entities are never read (billion laughs, XXE).
    XML_SetStartDoctypeDeclHandler(parser_, &XmlStream::Doctype);
    XML_SetEntityDeclHandler(parser_, &XmlStream::EntityDecl);
    XML_SetParamEntityParsing(parser_, XML_PARAM_ENTITY_PARSING_NEVER);
    handler_->Attach(parser_);
  }
  ~XmlStream() {
    if (parser_ != nullptr) XML_ParserFree(parser_);
  }
  XmlStream(const XmlStream&) = delete;
  XmlStream& operator=(const XmlStream&) = delete;

  // Parses until the handler suspends the parser, one chunk is consumed, or the
  // part ends. Returns true once the part is done (or the handler finished).
  Result<bool> Pump() {
    if (parser_ == nullptr) return InternalError("expat: mémoire insuffisante");
    if (done_) return true;
    XML_Status st;
    if (suspended_) {
      suspended_ = false;
      st = XML_ResumeParser(parser_);
    } else {
      CADUCE_TRY(size_t n, entry_.Read(buf_.data(), buf_.size()));
      final_ = n == 0;
      st = XML_Parse(parser_, buf_.data(), static_cast<int>(n), final_ ? XML_TRUE : XML_FALSE);
    }
    if (!handler_->status().ok()) return handler_->status();
    if (handler_->finished()) {
      done_ = true;
      return true;
    }
    switch (st) {
      case XML_STATUS_ERROR:
        return NotXlsx(fmt::format("XML mal formé dans « {} » (ligne {} : {})", entry_.name(),
                                   XML_GetCurrentLineNumber(parser_),
                                   XML_ErrorString(XML_GetErrorCode(parser_))));
      case XML_STATUS_SUSPENDED:
        suspended_ = true;
        return false;
      case XML_STATUS_OK:
        break;
    }
    if (final_) done_ = true;
    return done_;
  }

  Status ParseAll() {
    while (true) {
      CADUCE_TRY(bool done, Pump());
      if (done) return OkStatus();
    }
  }

  XML_Parser parser() const { return parser_; }

 private:
  static XmlStream* Self(void* user) { return static_cast<XmlStream*>(user); }
  static void Start(void* user, const XML_Char* name, const XML_Char** attrs) {
    XmlHandler* h = Self(user)->handler_;
    if (h->active()) h->OnStart(LocalName(name), attrs);
  }
  static void End(void* user, const XML_Char* name) {
    XmlHandler* h = Self(user)->handler_;
    if (h->active()) h->OnEnd(LocalName(name));
  }
  static void Text(void* user, const XML_Char* s, int len) {
    XmlHandler* h = Self(user)->handler_;
    if (h->active()) h->OnText(std::string_view(s, static_cast<size_t>(len)));
  }
  static void Doctype(void* user, const XML_Char*, const XML_Char*, const XML_Char*, int) {
    XmlStream* self = Self(user);
    self->handler_->Fail(NotXlsx(fmt::format(
        "« {} » contient une déclaration DOCTYPE, refusée par sécurité", self->entry_.name())));
  }
  static void EntityDecl(void* user, const XML_Char*, int, const XML_Char*, int, const XML_Char*,
                         const XML_Char*, const XML_Char*, const XML_Char*) {
    XmlStream* self = Self(user);
    self->handler_->Fail(NotXlsx(
        fmt::format("« {} » déclare une entité XML, refusée par sécurité", self->entry_.name())));
  }

  EntryStream entry_;
  XmlHandler* handler_;
  XML_Parser parser_ = nullptr;
  std::string buf_;
  bool suspended_ = false;
  bool final_ = false;
  bool done_ = false;
};

// Parses a whole part with `handler`. kNotFound when the part is absent.
Status ParsePart(zip_t* zip, const std::string& name, const ReadLimits& limits, uint64_t* total,
                 XmlHandler* handler) {
  CADUCE_TRY(EntryStream entry, EntryStream::Open(zip, name, limits, total));
  XmlStream stream(std::move(entry), handler);
  return stream.ParseAll();
}

// ---------------------------------------------------------------------------
// Package parts read before the sheet.

// *.rels (ECMA-376 Part 2 §9.3).
struct Relationship {
  std::string id;
  std::string type;
  std::string target;
};

class RelsHandler : public XmlHandler {
 public:
  void OnStart(std::string_view name, const XML_Char** attrs) override {
    if (name != "Relationship") return;
    const char* mode = Attr(attrs, "TargetMode");
    if (mode != nullptr && std::string_view(mode) == "External") return;
    const char* id = Attr(attrs, "Id");
    const char* type = Attr(attrs, "Type");
    const char* target = Attr(attrs, "Target");
    if (id == nullptr || target == nullptr) return;
    rels.push_back({id, type != nullptr ? type : "", target});
  }
  void OnEnd(std::string_view) override {}

  const Relationship* ById(std::string_view id) const {
    for (const auto& r : rels) {
      if (r.id == id) return &r;
    }
    return nullptr;
  }
  const Relationship* ByType(std::string_view suffix) const {
    for (const auto& r : rels) {
      if (std::string_view(r.type).ends_with(suffix)) return &r;
    }
    return nullptr;
  }

  std::vector<Relationship> rels;
};

struct SheetInfo {
  std::string name;
  std::string rel_id;
  bool visible = true;
};

// xl/workbook.xml (ECMA-376 Part 1 §18.2).
class WorkbookHandler : public XmlHandler {
 public:
  void OnStart(std::string_view name, const XML_Char** attrs) override {
    if (name == "workbookPr") {
      const char* v = Attr(attrs, "date1904");
      if (v != nullptr) date1904 = std::string_view(v) == "1" || std::string_view(v) == "true";
    } else if (name == "sheet") {
      SheetInfo s;
      if (const char* n = Attr(attrs, "name")) s.name = n;
      if (const char* id = RelIdAttr(attrs)) s.rel_id = id;
      if (const char* state = Attr(attrs, "state")) {
        std::string_view st(state);
        s.visible = st != "hidden" && st != "veryHidden";
      }
      sheets.push_back(std::move(s));
    }
  }
  void OnEnd(std::string_view name) override {
    if (name == "sheets") Finish();
  }

  bool date1904 = false;
  std::vector<SheetInfo> sheets;
};

// xl/styles.xml: which cell formats (cellXfs, §18.8.10) show dates.
class StylesHandler : public XmlHandler {
 public:
  void OnStart(std::string_view name, const XML_Char** attrs) override {
    if (name == "numFmt") {
      int id = 0;
      const char* id_text = Attr(attrs, "numFmtId");
      const char* code = Attr(attrs, "formatCode");
      if (id_text != nullptr && code != nullptr && ParseInt(id_text, &id)) {
        custom_date_[id] = IsDateFormatCode(code);
      }
    } else if (name == "cellXfs") {
      in_cell_xfs_ = true;
    } else if (name == "xf" && in_cell_xfs_) {
      int id = 0;
      const char* id_text = Attr(attrs, "numFmtId");
      if (id_text == nullptr || !ParseInt(id_text, &id)) id = 0;
      xf_num_fmt_.push_back(id);
    }
  }
  void OnEnd(std::string_view name) override {
    if (name == "cellXfs") {
      in_cell_xfs_ = false;
      Finish();  // numFmts comes before cellXfs (§18.8.39): nothing more needed
    }
  }

  std::vector<bool> DateStyles() const {
    std::vector<bool> out;
    out.reserve(xf_num_fmt_.size());
    for (int id : xf_num_fmt_) {
      auto it = custom_date_.find(id);
      out.push_back(it != custom_date_.end() ? it->second : IsBuiltinDateFormat(id));
    }
    return out;
  }

 private:
  bool in_cell_xfs_ = false;
  std::map<int, bool> custom_date_;
  std::vector<int> xf_num_fmt_;
};

// The shared strings table (§18.4.9), stored as one buffer and end offsets to
// keep the overhead per string at four bytes: the table is the one part held in
// memory whole.
class SharedStrings {
 public:
  size_t size() const { return ends_.size(); }
  std::string_view At(size_t i) const {
    uint32_t begin = i == 0 ? 0 : ends_[i - 1];
    return std::string_view(data_).substr(begin, ends_[i] - begin);
  }
  bool Oversize(size_t i) const {
    return std::binary_search(oversize_.begin(), oversize_.end(), static_cast<uint32_t>(i));
  }
  // False when the table outgrows 32-bit offsets.
  bool Add(std::string s, bool oversize) {
    if (oversize) {
      oversize_.push_back(static_cast<uint32_t>(ends_.size()));
      s.clear();
    }
    if (data_.size() + s.size() > std::numeric_limits<uint32_t>::max() ||
        ends_.size() >= std::numeric_limits<uint32_t>::max()) {
      return false;
    }
    data_ += s;
    ends_.push_back(static_cast<uint32_t>(data_.size()));
    return true;
  }

 private:
  std::string data_;
  std::vector<uint32_t> ends_;
  std::vector<uint32_t> oversize_;
};

class SharedStringsHandler : public XmlHandler {
 public:
  SharedStringsHandler(SharedStrings* out, size_t max_chars) : out_(out), max_chars_(max_chars) {}

  void OnStart(std::string_view name, const XML_Char**) override {
    if (name == "si") {
      in_si_ = true;
      current_.clear();
      oversize_ = false;
    } else if (name == "rPh") {
      ++rph_depth_;
    } else if (name == "t" && in_si_ && rph_depth_ == 0) {
      in_t_ = true;
    }
  }
  void OnEnd(std::string_view name) override {
    if (name == "t") {
      in_t_ = false;
    } else if (name == "rPh") {
      --rph_depth_;
    } else if (name == "si") {
      in_si_ = false;
      std::string s = UnescapeXstring(std::move(current_));
      current_.clear();
      bool oversize = oversize_ || internal::CountChars(s) > max_chars_;
      if (!out_->Add(std::move(s), oversize)) {
        Fail(ResourceExhaustedError(
            "Le fichier est refusé : sa table de textes partagés est trop grande."));
      }
    }
  }
  void OnText(std::string_view s) override {
    if (!in_t_ || oversize_) return;
    current_.append(s);
    // Bytes beyond 4 per allowed character cannot fit; stop storing them.
    if (current_.size() > max_chars_ * 4 + 28) {
      oversize_ = true;
      current_.clear();
    }
  }

 private:
  SharedStrings* out_;
  size_t max_chars_;
  bool in_si_ = false;
  bool in_t_ = false;
  int rph_depth_ = 0;
  bool oversize_ = false;
  std::string current_;
};

// ---------------------------------------------------------------------------
// The worksheet (§18.3.1.99 sheetData), one row per NextRow(). Read with the
// small scanner of internal/xml_scanner.h rather than expat: the worksheet is
// nearly all of a workbook's bytes, and SpreadsheetML needs only elements,
// attributes, text and the predefined entities.

// The longest tag the worksheet may hold, beyond a CDATA section holding a
// whole cell: far above what any generator writes.
constexpr size_t kMaxTag = 1 << 20;

class SheetParser {
 public:
  SheetParser(EntryStream entry, const ReadLimits& limits, const SharedStrings* strings,
              const std::vector<bool>* date_styles, bool date1904)
      : source_(std::move(entry)),
        scanner_(&source_, source_.name(), kMaxTag + limits.max_cell_chars * 4),
        limits_(limits),
        strings_(strings),
        date_styles_(date_styles),
        date1904_(date1904) {}

  // The next row holding a cell, std::nullopt after </sheetData> or at the end.
  Result<std::optional<Row>> NextRow() {
    using Token = internal::XmlScanner::Token;
    while (!done_) {
      switch (scanner_.Next()) {
        case Token::kError:
          return scanner_.status();
        case Token::kEof:
          done_ = true;
          break;
        case Token::kStart: {
          const Element e = Classify(scanner_.local_name());
          CADUCE_RETURN_IF_ERROR(OnStart(e));
          if (e == Element::kC && in_cell_) {
            if (TakeCellContent()) {
              bool row_ready = false;  // a cell's end never ends a row
              CADUCE_RETURN_IF_ERROR(OnEnd(Element::kC, &row_ready));
            } else if (!scanner_.status().ok()) {
              return scanner_.status();
            }
          }
          break;
        }
        case Token::kEnd: {
          bool row_ready = false;
          CADUCE_RETURN_IF_ERROR(OnEnd(Classify(scanner_.local_name()), &row_ready));
          if (row_ready) {
            std::optional<Row> r(std::move(row_));
            row_ = Row{};
            // The next row is likely as wide: one allocation instead of one per
            // doubling.
            row_.cells.reserve(r->cells.size());
            return r;
          }
          break;
        }
        case Token::kText:
          if (!(in_v_ || (in_is_ && in_t_ && rph_depth_ == 0)) || value_oversize_) break;
          if (!scanner_.AppendText(&value_)) return scanner_.status();
          if (value_.size() > limits_.max_cell_chars * 4 + 28) {
            // Bytes beyond 4 per allowed character cannot fit; stop storing them.
            value_oversize_ = true;
            value_.clear();
          }
          break;
      }
    }
    return std::optional<Row>();
  }

 private:
  enum class Element { kOther, kSheetData, kRow, kC, kV, kIs, kT, kRPh };
  // ST_CellType (§18.18.11); an unknown type is read as a number.
  enum class Type { kNumber, kShared, kInline, kStr, kBool, kError, kDate };

  // Compared a byte at a time: called for every tag of the sheet.
  static Element Classify(std::string_view n) {
    switch (n.size()) {
      case 1:
        return n[0] == 'c'   ? Element::kC
               : n[0] == 'v' ? Element::kV
               : n[0] == 't' ? Element::kT
                             : Element::kOther;
      case 2:
        return n[0] == 'i' && n[1] == 's' ? Element::kIs : Element::kOther;
      case 3:
        if (n[0] == 'r' && n[1] == 'o' && n[2] == 'w') return Element::kRow;
        return n[0] == 'r' && n[1] == 'P' && n[2] == 'h' ? Element::kRPh : Element::kOther;
      case 9:
        return n == "sheetData" ? Element::kSheetData : Element::kOther;
      default:
        return Element::kOther;
    }
  }

  static Type TypeOf(std::string_view t) {
    if (t.size() == 1) {
      switch (t[0]) {
        case 's':
          return Type::kShared;
        case 'b':
          return Type::kBool;
        case 'e':
          return Type::kError;
        case 'd':
          return Type::kDate;
        default:
          return Type::kNumber;
      }
    }
    if (t == "inlineStr") return Type::kInline;
    if (t == "str") return Type::kStr;
    return Type::kNumber;
  }

  Status OnStart(Element e) {
    if (!in_sheet_data_) {
      if (e == Element::kSheetData) in_sheet_data_ = true;
      return OkStatus();
    }
    switch (e) {
      case Element::kRow:
        return StartRow();
      case Element::kC:
        return StartCell();
      default:
        break;
    }
    if (!in_cell_) return OkStatus();
    switch (e) {
      case Element::kV:
        in_v_ = true;
        has_value_ = true;
        value_.clear();
        break;
      case Element::kIs:
        in_is_ = true;
        has_value_ = true;
        value_.clear();
        break;
      case Element::kRPh:
        ++rph_depth_;
        break;
      case Element::kT:
        if (in_is_ && rph_depth_ == 0) in_t_ = true;
        break;
      default:
        break;
    }
    return OkStatus();
  }

  Status OnEnd(Element e, bool* row_ready) {
    if (!in_sheet_data_) return OkStatus();
    switch (e) {
      case Element::kV:
        in_v_ = false;
        break;
      case Element::kT:
        in_t_ = false;
        break;
      case Element::kRPh:
        --rph_depth_;
        break;
      case Element::kIs:
        in_is_ = false;
        break;
      case Element::kC:
        return EndCell();
      case Element::kRow:
        in_row_ = false;
        // A row of only empty or styled cells: nothing to return.
        *row_ready = !row_.cells.empty();
        break;
      case Element::kSheetData:
        done_ = true;  // merged cells, validations... are not needed
        break;
      default:
        break;
    }
    return OkStatus();
  }

  Status StartRow() {
    int64_t number = last_row_ + 1;  // rows without r follow the previous one
    if (std::optional<std::string_view> r = scanner_.Attr("r")) {
      if (!ParseInt(*r, &number) || number < 1) {
        return NotXlsx(fmt::format("numéro de ligne invalide « {} »", r->substr(0, 40)));
      }
    }
    if (!scanner_.status().ok()) return scanner_.status();
    if (number > limits_.max_rows || ++rows_seen_ > limits_.max_rows) {
      return internal::TooManyRows(limits_.max_rows, number);
    }
    last_row_ = number;
    row_.number = number;
    row_.cells.clear();
    in_row_ = true;
    next_column_ = 0;
    return OkStatus();
  }

  Status StartCell() {
    if (!in_row_) return NotXlsx("cellule hors d'une ligne");
    int64_t column = next_column_;  // cells without r follow the previous one
    if (std::optional<std::string_view> r = scanner_.Attr("r")) {
      // ST_CellRef: column letters then the row number ("B12").
      std::string_view ref = *r;
      size_t i = 0;
      column = 0;
      while (i < ref.size() &&
             ((ref[i] >= 'A' && ref[i] <= 'Z') || (ref[i] >= 'a' && ref[i] <= 'z'))) {
        if (column <= kExcelColumns) column = column * 26 + ((ref[i] | 0x20) - 'a' + 1);
        ++i;
      }
      int64_t row_in_ref = 0;
      if (i == 0 || !ParseInt(ref.substr(i), &row_in_ref)) {
        return NotXlsx(fmt::format("référence de cellule invalide « {} »", ref.substr(0, 40)));
      }
      column -= 1;
    }
    if (column >= std::min<int64_t>(limits_.max_columns, kExcelColumns)) {
      return internal::TooManyColumns(std::min(limits_.max_columns, kExcelColumns), row_.number);
    }
    column_ = static_cast<int32_t>(column);
    next_column_ = column + 1;
    std::optional<std::string_view> t = scanner_.Attr("t");
    type_ = t ? TypeOf(*t) : Type::kNumber;
    style_ = 0;
    if (std::optional<std::string_view> s = scanner_.Attr("s")) {
      if (!ParseInt(*s, &style_)) style_ = 0;
    }
    if (!scanner_.status().ok()) return scanner_.status();
    in_cell_ = true;
    has_value_ = false;
    value_oversize_ = false;
    value_.clear();
    return OkStatus();
  }

  // Right after a cell's start tag: its value and its end tag at once when the
  // cell has the usual shape (<is><t>text</t></is> for an inline string, <v>…</v>
  // otherwise); false when it does not (its tokens then come one by one).
  bool TakeCellContent() {
    const bool inline_string = type_ == Type::kInline;
    if (!scanner_.TakeSimpleContent(inline_string ? "<is><t>" : "<v>",
                                    inline_string ? "</t></is>" : "</v>", &value_)) {
      return false;
    }
    has_value_ = true;
    if (value_.size() > limits_.max_cell_chars * 4 + 28) {
      value_oversize_ = true;  // as when the text comes in pieces (NextRow)
      value_.clear();
    }
    return true;
  }

  Status EndCell() {
    in_cell_ = in_v_ = in_is_ = in_t_ = false;
    rph_depth_ = 0;
    CADUCE_TRY(Cell cell, Resolve());
    if (cell.kind == Cell::Kind::kEmpty) return OkStatus();
    if (row_.cells.size() <= static_cast<size_t>(column_)) row_.cells.resize(column_ + 1);
    row_.cells[column_] = std::move(cell);
    return OkStatus();
  }

  Status TooLong() const {
    return internal::CellTooLong(limits_.max_cell_chars, column_, row_.number);
  }

  // The scanner hands out the bytes of the file as they are: the text kept must be
  // UTF-8 (expat checked it for the other parts).
  Status CheckUtf8(const std::string& s) const {
    if (text::IsValidUtf8(s)) return OkStatus();
    return NotXlsx(fmt::format("la cellule {} contient un texte qui n'est pas en UTF-8", Where()));
  }

  Result<Cell> TextCell(std::string s) const {
    s = UnescapeXstring(std::move(s));
    if (internal::CountChars(s) > limits_.max_cell_chars) return TooLong();
    CADUCE_RETURN_IF_ERROR(CheckUtf8(s));
    if (s.empty()) return Cell::Empty();
    return Cell::Text(std::move(s));
  }

  std::string Where() const { return fmt::format("{}{}", ColumnName(column_), row_.number); }

  Result<Cell> Resolve() {
    if (!has_value_) return Cell::Empty();
    if (value_oversize_) return TooLong();
    switch (type_) {
      case Type::kShared: {
        size_t index = 0;
        if (!ParseInt(value_, &index) || index >= strings_->size()) {
          return NotXlsx(
              fmt::format("la cellule {} renvoie à un texte partagé inexistant", Where()));
        }
        if (strings_->Oversize(index)) return TooLong();
        std::string_view s = strings_->At(index);
        if (s.empty()) return Cell::Empty();
        return Cell::Text(std::string(s));  // already unescaped when loaded
      }
      case Type::kInline:
      case Type::kStr:
        return TextCell(std::move(value_));
      case Type::kBool: {
        std::string_view v = text::Trim(value_);
        if (v == "1" || v == "true") return Cell::Bool(true);
        if (v == "0" || v == "false") return Cell::Bool(false);
        return NotXlsx(fmt::format("valeur booléenne invalide dans la cellule {}", Where()));
      }
      case Type::kError:
        if (value_.empty()) return Cell::Empty();
        if (internal::CountChars(value_) > limits_.max_cell_chars) return TooLong();
        CADUCE_RETURN_IF_ERROR(CheckUtf8(value_));
        return Cell::Error(std::move(value_));
      case Type::kDate:
        return IsoDateCell();
      case Type::kNumber:
        break;
    }
    if (text::Trim(value_).empty()) return Cell::Empty();
    double v = 0;
    if (!ParseDouble(value_, &v)) {
      return NotXlsx(fmt::format("valeur numérique invalide dans la cellule {}", Where()));
    }
    if (style_ >= 0 && static_cast<size_t>(style_) < date_styles_->size() &&
        (*date_styles_)[static_cast<size_t>(style_)]) {
      if (std::optional<std::string> iso = SerialToIsoDate(v, date1904_)) {
        return Cell::Date(std::move(*iso), v);
      }
      // Out of the calendar (a negative serial): keep the number.
    }
    return Cell::Number(v);
  }

  // t="d": an ISO 8601 date or date-time (§18.18.11 ST_CellType); kept to the
  // second, the time dropped when it is midnight.
  Result<Cell> IsoDateCell() const {
    std::string_view v = text::Trim(value_);
    if (v.empty()) return Cell::Empty();
    auto digits = [&](size_t from, size_t n) {
      if (from + n > v.size()) return false;
      for (size_t i = from; i < from + n; ++i) {
        if (v[i] < '0' || v[i] > '9') return false;
      }
      return true;
    };
    if (!(digits(0, 4) && v.size() >= 10 && v[4] == '-' && digits(5, 2) && v[7] == '-' &&
          digits(8, 2))) {
      return NotXlsx(fmt::format("date invalide dans la cellule {}", Where()));
    }
    std::string iso(v.substr(0, 10));
    if (v.size() >= 19 && v[10] == 'T' && digits(11, 2) && v[13] == ':' && digits(14, 2) &&
        v[16] == ':' && digits(17, 2) && v.substr(11, 8) != "00:00:00") {
      iso = std::string(v.substr(0, 19));
    }
    return Cell::Date(std::move(iso));
  }

  EntryStream source_;
  internal::XmlScanner scanner_;
  ReadLimits limits_;
  const SharedStrings* strings_;
  const std::vector<bool>* date_styles_;
  bool date1904_;

  bool done_ = false;
  bool in_sheet_data_ = false;
  bool in_row_ = false;
  int64_t last_row_ = 0;
  int64_t rows_seen_ = 0;
  int64_t next_column_ = 0;
  Row row_;

  bool in_cell_ = false;
  int32_t column_ = 0;
  Type type_ = Type::kNumber;
  int64_t style_ = 0;
  bool has_value_ = false;
  bool in_v_ = false;
  bool in_is_ = false;
  bool in_t_ = false;
  int rph_depth_ = 0;
  bool value_oversize_ = false;
  std::string value_;
};

Status ZipOpenError(int code) {
  switch (code) {
    case ZIP_ER_NOENT:
    case ZIP_ER_OPEN:
      return NotFoundError("Impossible d'ouvrir le fichier.");
    case ZIP_ER_INCONS:
      return NotXlsx("archive ZIP incohérente (fichier corrompu ou tronqué)");
    case ZIP_ER_MEMORY:
      return ResourceExhaustedError("Mémoire insuffisante pour lire le classeur.");
    default:
      return NotXlsx("archive ZIP illisible");
  }
}

}  // namespace

// ---------------------------------------------------------------------------

class XlsxReader::Impl {
 public:
  explicit Impl(const ReadLimits& limits) : limits_(limits) {}

  Status OpenPath(const std::string& path) {
    int err = 0;
    zip_t* z = zip_open(path.c_str(), ZIP_RDONLY | ZIP_CHECKCONS, &err);
    if (z == nullptr) {
      Status s = ZipOpenError(err);
      if (s.code() == Code::kNotFound) {
        return NotFoundError(fmt::format("Impossible d'ouvrir le fichier « {} ».", path));
      }
      return s;
    }
    zip_.reset(z);
    return Load();
  }

  Status OpenBuffer(std::string data) {
    data_ = std::move(data);
    zip_error_t error;
    zip_error_init(&error);
    zip_source_t* src = zip_source_buffer_create(data_.data(), data_.size(), 0, &error);
    if (src == nullptr) {
      zip_error_fini(&error);
      return ResourceExhaustedError("Mémoire insuffisante pour lire le classeur.");
    }
    zip_t* z = zip_open_from_source(src, ZIP_RDONLY | ZIP_CHECKCONS, &error);
    if (z == nullptr) {
      zip_source_free(src);
      Status s = ZipOpenError(zip_error_code_zip(&error));
      zip_error_fini(&error);
      return s;
    }
    zip_error_fini(&error);
    zip_.reset(z);
    return Load();
  }

  Result<std::optional<Row>> Next() {
    if (!failed_.ok()) return failed_;
    Result<std::optional<Row>> row = sheet_->NextRow();
    if (!row.ok()) failed_ = row.status();
    return row;
  }

  std::string sheet_name_;
  bool date1904_ = false;

 private:
  // Reads an optional part: kNotFound is not an error here.
  Status ParseOptional(const std::string& name, XmlHandler* h) {
    Status s = ParsePart(zip_.get(), name, limits_, &total_, h);
    if (s.code() == Code::kNotFound) return OkStatus();
    return s;
  }

  Status Load() {
    // LibreOffice's own format is a ZIP too (OpenDocument v1.2 Part 3 §3.3: a
    // first entry "mimetype"): tell the administrator what to do.
    if (zip_name_locate(zip_.get(), "mimetype", 0) >= 0 &&
        zip_name_locate(zip_.get(), "content.xml", 0) >= 0) {
      return InvalidArgumentError(
          "Les classeurs OpenDocument (.ods) ne sont pas pris en charge : enregistrez le "
          "fichier au format Excel (.xlsx).");
    }
    // The workbook part, from the package relationships (ECMA-376 Part 2 §9.3),
    // xl/workbook.xml when they do not say.
    std::string workbook_part = "xl/workbook.xml";
    RelsHandler package_rels;
    CADUCE_RETURN_IF_ERROR(ParseOptional("_rels/.rels", &package_rels));
    if (const Relationship* r = package_rels.ByType("/officeDocument")) {
      workbook_part = ResolvePartName("", r->target);
    }
    if (std::string_view(workbook_part).ends_with(".bin")) {
      return InvalidArgumentError(
          "Les classeurs binaires Excel (.xlsb) ne sont pas pris en charge : enregistrez le "
          "fichier au format Excel (.xlsx).");
    }
    WorkbookHandler workbook;
    Status s = ParsePart(zip_.get(), workbook_part, limits_, &total_, &workbook);
    if (s.code() == Code::kNotFound) {
      return NotXlsx(fmt::format("l'archive ne contient pas de classeur ({})", workbook_part));
    }
    CADUCE_RETURN_IF_ERROR(s);
    date1904_ = workbook.date1904;

    const std::string dir = DirOf(workbook_part);
    RelsHandler rels;
    CADUCE_RETURN_IF_ERROR(
        ParseOptional(dir + "_rels/" + workbook_part.substr(dir.size()) + ".rels", &rels));

    const SheetInfo* sheet = nullptr;
    for (const auto& info : workbook.sheets) {
      if (info.visible) {
        sheet = &info;
        break;
      }
    }
    if (sheet == nullptr) return NotXlsx("le classeur n'a aucune feuille visible");
    const Relationship* sheet_rel = rels.ById(sheet->rel_id);
    if (sheet_rel == nullptr) {
      return NotXlsx(fmt::format("la feuille « {} » est introuvable dans l'archive", sheet->name));
    }
    sheet_name_ = sheet->name;

    if (const Relationship* r = rels.ByType("/styles")) {
      StylesHandler styles;
      CADUCE_RETURN_IF_ERROR(ParseOptional(ResolvePartName(dir, r->target), &styles));
      date_styles_ = styles.DateStyles();
    }
    if (const Relationship* r = rels.ByType("/sharedStrings")) {
      SharedStringsHandler handler(&strings_, limits_.max_cell_chars);
      CADUCE_RETURN_IF_ERROR(ParseOptional(ResolvePartName(dir, r->target), &handler));
    }

    const std::string sheet_part = ResolvePartName(dir, sheet_rel->target);
    Result<EntryStream> entry = EntryStream::Open(zip_.get(), sheet_part, limits_, &total_);
    if (entry.status().code() == Code::kNotFound) {
      return NotXlsx(fmt::format("la feuille « {} » est introuvable dans l'archive", sheet->name));
    }
    CADUCE_RETURN_IF_ERROR(entry);
    sheet_ = std::make_unique<SheetParser>(std::move(*entry), limits_, &strings_, &date_styles_,
                                           date1904_);
    return OkStatus();
  }

  ReadLimits limits_;
  std::string data_;  // the file, when read from memory; outlives zip_
  std::unique_ptr<zip_t, ZipDiscard> zip_;
  uint64_t total_ = 0;
  SharedStrings strings_;
  std::vector<bool> date_styles_;
  std::unique_ptr<SheetParser> sheet_;  // declared last: destroyed first
  Status failed_;
};

XlsxReader::XlsxReader(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
XlsxReader::~XlsxReader() = default;

Result<std::unique_ptr<XlsxReader>> XlsxReader::Open(const std::string& path,
                                                     const ReadLimits& limits) {
  auto impl = std::make_unique<Impl>(limits);
  CADUCE_RETURN_IF_ERROR(impl->OpenPath(path));
  return std::unique_ptr<XlsxReader>(new XlsxReader(std::move(impl)));
}

Result<std::unique_ptr<XlsxReader>> XlsxReader::FromString(std::string data,
                                                           const ReadLimits& limits) {
  auto impl = std::make_unique<Impl>(limits);
  CADUCE_RETURN_IF_ERROR(impl->OpenBuffer(std::move(data)));
  return std::unique_ptr<XlsxReader>(new XlsxReader(std::move(impl)));
}

Result<std::optional<Row>> XlsxReader::Next() { return impl_->Next(); }
const std::string& XlsxReader::sheet_name() const { return impl_->sheet_name_; }
bool XlsxReader::date1904() const { return impl_->date1904_; }

}  // namespace caduce::import_export
