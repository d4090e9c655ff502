// CSV reader: encoding and separator detection, then an RFC 4180 state machine
// fed chunk by chunk (see csv_reader.h for what it accepts and why).
#include "import_export/formats/csv_reader.h"

#include <fmt/format.h>

#include <array>
#include <fstream>
#include <sstream>

#include "base/text.h"
#include "import_export/formats/internal/limit_errors.h"

namespace caduce::import_export {
namespace {

constexpr size_t kChunk = 64 * 1024;
// The separator is chosen from at most this much of the first line.
constexpr size_t kMaxSniff = 1024 * 1024;

// Windows-1252 bytes 0x80..0x9F (the WHATWG Encoding Standard's index); the five
// bytes the code page leaves undefined map to the C1 control of the same value.
constexpr std::array<char16_t, 32> kCp1252High = {
    0x20AC, 0x0081, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,  // 80
    0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0x008D, 0x017D, 0x008F,  // 88
    0x0090, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,  // 90
    0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x009D, 0x017E, 0x0178,  // 98
};

void AppendCp1252(std::string_view in, std::string& out) {
  for (unsigned char b : in) {
    if (b < 0x80) {
      out.push_back(static_cast<char>(b));
    } else if (b < 0xA0) {
      text::AppendUtf8(kCp1252High[b - 0x80], out);
    } else {
      text::AppendUtf8(b, out);  // 0xA0..0xFF are Latin-1
    }
  }
}

// Length of the UTF-8 sequence a lead byte announces (1 for anything else, so an
// invalid byte is judged by IsValidUtf8).
size_t SequenceLength(unsigned char b) {
  if ((b & 0xE0) == 0xC0) return 2;
  if ((b & 0xF0) == 0xE0) return 3;
  if ((b & 0xF8) == 0xF0) return 4;
  return 1;
}

// Bytes at the end of `s` that start a UTF-8 sequence not complete yet.
size_t IncompleteTail(std::string_view s) {
  for (size_t back = 1; back <= 3 && back <= s.size(); ++back) {
    auto b = static_cast<unsigned char>(s[s.size() - back]);
    if ((b & 0xC0) == 0x80) continue;  // continuation byte: look further back
    return SequenceLength(b) > back ? back : 0;
  }
  return 0;
}

bool IsBreak(char c) { return c == '\r' || c == '\n'; }

}  // namespace

CsvReader::CsvReader(std::unique_ptr<std::istream> in, const ReadLimits& limits)
    : in_(std::move(in)), limits_(limits) {}

CsvReader::~CsvReader() = default;

Result<std::unique_ptr<CsvReader>> CsvReader::Open(const std::string& path,
                                                   const ReadLimits& limits) {
  auto in = std::make_unique<std::ifstream>(path, std::ios::binary);
  if (!in->is_open()) {
    return NotFoundError(fmt::format("Impossible d'ouvrir le fichier « {} ».", path));
  }
  std::unique_ptr<CsvReader> r(new CsvReader(std::move(in), limits));
  CADUCE_RETURN_IF_ERROR(r->Prepare());
  return r;
}

Result<std::unique_ptr<CsvReader>> CsvReader::FromString(std::string data,
                                                         const ReadLimits& limits) {
  auto in = std::make_unique<std::istringstream>(std::move(data));
  std::unique_ptr<CsvReader> r(new CsvReader(std::move(in), limits));
  CADUCE_RETURN_IF_ERROR(r->Prepare());
  return r;
}

Status CsvReader::Prepare() {
  in_->seekg(0, std::ios::end);
  const std::streamoff size = in_->tellg();
  if (size < 0) return InternalError("Lecture du fichier CSV impossible.");
  if (static_cast<uint64_t>(size) > limits_.max_uncompressed_bytes) {
    return internal::TooLarge(limits_.max_uncompressed_bytes);
  }
  in_->seekg(0);
  char bom[3] = {0, 0, 0};
  in_->read(bom, 3);
  if (in_->gcount() == 3 && bom[0] == '\xEF' && bom[1] == '\xBB' && bom[2] == '\xBF') {
    data_start_ = 3;
  }
  if (size - data_start_ == 0) {
    return InvalidArgumentError("Le fichier CSV est vide.");
  }

  // Pass 1: is every byte valid UTF-8? A sequence may straddle two chunks, so the
  // incomplete tail of one chunk is carried to the next.
  in_->clear();
  in_->seekg(data_start_);
  std::string chunk;
  std::string carry;
  bool utf8 = true;
  while (utf8) {
    chunk.resize(kChunk);
    in_->read(chunk.data(), kChunk);
    chunk.resize(static_cast<size_t>(in_->gcount()));
    if (chunk.empty()) break;
    chunk.insert(0, carry);
    const size_t tail = IncompleteTail(chunk);
    carry = chunk.substr(chunk.size() - tail);
    chunk.resize(chunk.size() - tail);
    utf8 = text::IsValidUtf8(chunk);
  }
  if (!carry.empty()) utf8 = false;  // the file ends inside a sequence
  encoding_ = utf8 ? Encoding::kUtf8 : Encoding::kWindows1252;

  // The separator: counts on the first line, outside quotes. The three candidates
  // are ASCII, identical in both encodings, so raw bytes do.
  in_->clear();
  in_->seekg(data_start_);
  size_t semicolons = 0, commas = 0, tabs = 0, seen = 0;
  bool quoted = false, line_done = false;
  while (!line_done && seen < kMaxSniff) {
    chunk.resize(kChunk);
    in_->read(chunk.data(), kChunk);
    chunk.resize(static_cast<size_t>(in_->gcount()));
    if (chunk.empty()) break;
    for (char c : chunk) {
      if (++seen > kMaxSniff) break;
      if (c == '"') {
        quoted = !quoted;  // "" inside quotes toggles twice: same result
      } else if (!quoted) {
        if (IsBreak(c)) {
          line_done = true;
          break;
        }
        semicolons += c == ';';
        commas += c == ',';
        tabs += c == '\t';
      }
    }
  }
  if (commas > semicolons && commas >= tabs) {
    separator_ = ',';
  } else if (tabs > semicolons && tabs > commas) {
    separator_ = '\t';
  } else {
    separator_ = ';';
  }

  in_->clear();
  in_->seekg(data_start_);
  if (!*in_) return InternalError("Lecture du fichier CSV impossible.");
  return OkStatus();
}

Result<bool> CsvReader::Refill() {
  std::string chunk(kChunk, '\0');
  in_->read(chunk.data(), kChunk);
  chunk.resize(static_cast<size_t>(in_->gcount()));
  if (chunk.empty()) {
    if (in_->bad()) return InternalError("Lecture du fichier CSV impossible.");
    return false;
  }
  buf_.clear();
  pos_ = 0;
  if (encoding_ == Encoding::kUtf8) {
    buf_ = std::move(chunk);
  } else {
    AppendCp1252(chunk, buf_);
  }
  return true;
}

Status CsvReader::Fail(Status s) {
  failed_ = s;
  return s;
}

Status CsvReader::EndField() {
  const int64_t row = record_number_ + 1;
  if (field_oversize_) {
    return internal::CellTooLong(limits_.max_cell_chars, static_cast<int32_t>(cells_.size()), row);
  }
  if (cells_.size() >= static_cast<size_t>(limits_.max_columns)) {
    return internal::TooManyColumns(limits_.max_columns, row);
  }
  // The CSV-injection guard of CsvWriter: one apostrophe removed from
  // apostrophes followed by '=', '+', '-', '@', tab or CR.
  if (!field_.empty() && field_[0] == '\'') {
    const size_t first = field_.find_first_not_of('\'');
    if (first != std::string::npos) {
      const char c = field_[first];
      if (c == '=' || c == '+' || c == '-' || c == '@' || c == '\t' || c == '\r') {
        field_.erase(0, 1);
      }
    }
  }
  cells_.push_back(field_.empty() ? Cell::Empty() : Cell::Text(std::move(field_)));
  field_.clear();
  field_chars_ = 0;
  state_ = State::kFieldStart;
  return OkStatus();
}

Status CsvReader::EndRecord(std::optional<Row>* out) {
  ++record_number_;
  std::vector<Cell> cells = std::move(cells_);
  cells_.clear();
  // A line with nothing on it is a blank row: skipped, but counted.
  if (cells.size() == 1 && cells[0].kind == Cell::Kind::kEmpty) return OkStatus();
  if (record_number_ > limits_.max_rows) {
    return internal::TooManyRows(limits_.max_rows, record_number_);
  }
  *out = Row{record_number_, std::move(cells)};
  return OkStatus();
}

Result<std::optional<Row>> CsvReader::Next() {
  if (!failed_.ok()) return failed_;
  if (done_) return std::optional<Row>();
  std::optional<Row> out;
  while (!out) {
    if (pos_ == buf_.size()) {
      Result<bool> more = eof_ ? Result<bool>(false) : Refill();
      if (!more.ok()) return Fail(more.status());
      if (!*more) {
        eof_ = true;
        done_ = true;
        if (state_ == State::kQuoted) {
          return Fail(InvalidArgumentError(fmt::format(
              "Fichier CSV invalide : le guillemet ouvert à la ligne {} n'est jamais refermé.",
              quote_line_)));
        }
        if (state_ != State::kFieldStart || !cells_.empty()) {
          if (Status s = EndField(); !s.ok()) return Fail(s);
          if (Status s = EndRecord(&out); !s.ok()) return Fail(s);
        }
        return out;
      }
    }
    const char c = buf_[pos_++];
    if (pending_cr_) {
      pending_cr_ = false;
      if (c == '\n') {
        // Second half of CRLF: the line was counted on CR. Inside quotes the
        // break is data and kept as written.
        if (state_ == State::kQuoted) field_.push_back(c);
        continue;
      }
    }
    if (c == '\n') ++line_;
    if (c == '\r') {
      ++line_;
      pending_cr_ = true;
    }
    switch (state_) {
      case State::kQuoted:
        if (c == '"') {
          state_ = State::kQuoteInQuoted;
          continue;
        }
        break;  // append below
      case State::kQuoteInQuoted:
        if (c == '"') {  // "" is one quote
          state_ = State::kQuoted;
          break;
        }
        [[fallthrough]];
      case State::kFieldStart:
      case State::kUnquoted:
        if (c == separator_) {
          if (Status s = EndField(); !s.ok()) return Fail(s);
          continue;
        }
        if (IsBreak(c)) {
          if (Status s = EndField(); !s.ok()) return Fail(s);
          if (Status s = EndRecord(&out); !s.ok()) return Fail(s);
          continue;
        }
        if (state_ == State::kFieldStart && c == '"') {
          state_ = State::kQuoted;
          quote_line_ = line_;
          continue;
        }
        // Text after a closing quote, or any other character (a stray quote
        // included) in an unquoted field, is taken literally.
        state_ = State::kUnquoted;
        break;
    }
    if (field_oversize_) continue;
    field_.push_back(c);
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80 && ++field_chars_ > limits_.max_cell_chars) {
      field_oversize_ = true;
      // Reported when the field ends, with its row and column; stop growing now.
      field_.clear();
    }
  }
  return out;
}

}  // namespace caduce::import_export
