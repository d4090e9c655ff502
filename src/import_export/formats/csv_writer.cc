// CSV writer: BOM, ';', CRLF, RFC 4180 quoting and the CSV-injection guard
// (see csv_writer.h).
#include "import_export/formats/csv_writer.h"

#include <fmt/format.h>

#include "base/text.h"

namespace caduce::import_export {

Result<std::unique_ptr<CsvWriter>> CsvWriter::Create(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr) {
    return UnavailableError(fmt::format("Impossible de créer le fichier « {} ».", path));
  }
  std::unique_ptr<CsvWriter> w(new CsvWriter(f));
  if (std::fputs("\xEF\xBB\xBF", f) < 0) {
    (void)w->Close();
    return UnavailableError(fmt::format("Impossible d'écrire le fichier « {} ».", path));
  }
  return w;
}

CsvWriter::~CsvWriter() {
  if (!closed_) (void)Close();
}

std::string CsvWriter::EncodeField(const std::string& value) {
  auto guarded = [](char c) {
    return c == '=' || c == '+' || c == '-' || c == '@' || c == '\t' || c == '\r';
  };
  std::string v;
  // Apostrophes already followed by such a character get one more, because
  // CsvReader removes one.
  const size_t first = value.find_first_not_of('\'');
  if (first != std::string::npos && guarded(value[first])) v = "'";
  v += value;
  if (v.find_first_of(";\"\r\n") == std::string::npos) return v;
  std::string out = "\"";
  for (char c : v) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
  return out;
}

Status CsvWriter::WriteRow(const std::vector<std::string>& texts) {
  if (closed_) return FailedPreconditionError("Le fichier CSV est déjà fermé.");
  std::string line;
  for (size_t i = 0; i < texts.size(); ++i) {
    if (!text::IsValidUtf8(texts[i])) {
      return InvalidArgumentError(fmt::format("La cellule {} n'est pas du texte UTF-8 valide.",
                                              ColumnName(static_cast<int32_t>(i))));
    }
    if (i > 0) line += ';';
    line += EncodeField(texts[i]);
  }
  line += "\r\n";
  if (std::fwrite(line.data(), 1, line.size(), file_) != line.size()) {
    return UnavailableError("Écriture du fichier CSV impossible.");
  }
  return OkStatus();
}

Status CsvWriter::WriteRow(const std::vector<Cell>& cells) {
  std::vector<std::string> texts;
  texts.reserve(cells.size());
  for (const Cell& c : cells)
    texts.push_back(c.kind == Cell::Kind::kEmpty ? std::string() : c.text);
  return WriteRow(texts);
}

Status CsvWriter::Close() {
  if (closed_) return close_status_;
  closed_ = true;
  const bool flushed = std::fflush(file_) == 0;
  const bool closed = std::fclose(file_) == 0;
  if (!flushed || !closed) close_status_ = UnavailableError("Écriture du fichier CSV impossible.");
  return close_status_;
}

}  // namespace caduce::import_export
