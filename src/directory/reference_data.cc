// Loading and matching of the reference lists of data/ (data/README.md). The files
// are read once at start by a small RFC 4180 CSV reader: a header row that must be
// the expected one, quoted fields (some specialty labels hold commas), and a
// kDataLoss status naming the file and line for anything else, because a silently
// truncated list would make valid rows fail everywhere. Matching follows FIELDS.md
// ("without regard to case, accents or extra spaces, by code or label") plus the
// "code - label" form that the export writes.
#include "directory/reference_data.h"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <initializer_list>
#include <unordered_set>
#include <utility>

#include "base/text.h"

#ifndef CADUCE_DEFAULT_DATA_DIR
#define CADUCE_DEFAULT_DATA_DIR "data"
#endif

namespace caduce::directory {
namespace {

// The separator of the "code - label" form (DisplayValue writes it; text::Fold keeps
// it as is because it only collapses spaces).
constexpr std::string_view kCodeLabelSeparator = " - ";

struct CsvRecord {
  int line = 0;  // line where the record starts, 1-based
  std::vector<std::string> fields;
};

std::string AtLine(const std::string& path, int line, std::string_view what) {
  std::string m = path;
  m += " line ";
  m += std::to_string(line);
  m += ": ";
  m += what;
  return m;
}

Result<std::string> ReadFile(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) {
    return DataLossError(path + ": cannot open: " + std::strerror(errno));
  }
  std::string content;
  char buf[8192];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) content.append(buf, n);
  bool failed = std::ferror(f) != 0;
  std::fclose(f);
  if (failed) return DataLossError(path + ": read error");
  return content;
}

// Splits `content` into records (RFC 4180: ',' separators, CRLF or LF line ends,
// fields optionally enclosed in '"' with '""' for a quote). Blank lines are skipped.
Result<std::vector<CsvRecord>> ParseCsv(const std::string& path, std::string_view content) {
  if (content.substr(0, 3) == "\xEF\xBB\xBF") content.remove_prefix(3);  // UTF-8 BOM
  std::vector<CsvRecord> records;
  int line = 1;
  size_t i = 0;
  const size_t n = content.size();
  while (i < n) {
    CsvRecord rec;
    rec.line = line;
    bool end_of_record = false;
    while (!end_of_record) {
      std::string field;
      if (i < n && content[i] == '"') {
        ++i;
        for (;;) {
          if (i >= n) return DataLossError(AtLine(path, rec.line, "unterminated quoted field"));
          char c = content[i++];
          if (c == '"') {
            if (i < n && content[i] == '"') {
              field += '"';
              ++i;
              continue;
            }
            break;
          }
          if (c == '\n') ++line;
          field += c;
        }
        if (i < n && content[i] != ',' && content[i] != '\n' && content[i] != '\r') {
          return DataLossError(AtLine(path, line, "unexpected character after a closing quote"));
        }
      } else {
        while (i < n && content[i] != ',' && content[i] != '\n' && content[i] != '\r') {
          if (content[i] == '"') {
            return DataLossError(AtLine(path, line, "quote inside an unquoted field"));
          }
          field += content[i++];
        }
      }
      rec.fields.push_back(std::move(field));
      if (i < n && content[i] == ',') {
        ++i;
        continue;
      }
      // End of line or of file.
      if (i < n && content[i] == '\r') ++i;
      if (i < n && content[i] == '\n') ++i;
      ++line;
      end_of_record = true;
    }
    bool blank = rec.fields.size() == 1 && rec.fields[0].empty();
    if (!blank) records.push_back(std::move(rec));
  }
  return records;
}

// The layout of one file: its name, its header, and which column becomes `extra`.
struct ListFile {
  std::string_view name;
  std::initializer_list<std::string_view> header;
  int extra_column;  // -1: none
};

std::string JoinHeader(std::initializer_list<std::string_view> header) {
  std::string s;
  for (std::string_view h : header) {
    if (!s.empty()) s += ',';
    s += h;
  }
  return s;
}

// The entries of one file and the line each came from.
struct LoadedList {
  std::vector<ListEntry> entries;
  std::vector<int> lines;
};

// Reads one list. Each entry needs a code and a label, and no folded code or label
// may designate two entries (the match would be ambiguous).
Result<LoadedList> LoadList(const std::string& dir, const ListFile& file) {
  const std::string path = dir + "/" + std::string(file.name);
  CADUCE_TRY(std::string content, ReadFile(path));
  CADUCE_TRY(std::vector<CsvRecord> records, ParseCsv(path, content));
  const size_t columns = file.header.size();
  if (records.empty()) return DataLossError(path + ": empty file, expected a header row");
  {
    const CsvRecord& h = records.front();
    bool same = h.fields.size() == columns;
    for (size_t c = 0; same && c < columns; ++c) {
      same = text::Trim(h.fields[c]) == *(file.header.begin() + c);
    }
    if (!same) {
      std::string found;
      for (const std::string& f : h.fields) found += (found.empty() ? "" : ",") + f;
      return DataLossError(
          AtLine(path, h.line,
                 "expected header \"" + JoinHeader(file.header) + "\", found \"" + found + "\""));
    }
  }
  LoadedList list;
  std::unordered_map<std::string, std::string> key_owner;  // folded key → code
  for (size_t r = 1; r < records.size(); ++r) {
    const CsvRecord& rec = records[r];
    if (rec.fields.size() != columns) {
      return DataLossError(AtLine(path, rec.line,
                                  "expected " + std::to_string(columns) + " columns, found " +
                                      std::to_string(rec.fields.size())));
    }
    for (const std::string& f : rec.fields) {
      if (!text::IsValidUtf8(f)) return DataLossError(AtLine(path, rec.line, "invalid UTF-8"));
    }
    ListEntry e;
    e.code = std::string(text::Trim(rec.fields[0]));
    e.label = text::CollapseSpaces(rec.fields[1]);
    if (file.extra_column >= 0) e.extra = std::string(text::Trim(rec.fields[file.extra_column]));
    if (e.code.empty()) return DataLossError(AtLine(path, rec.line, "empty code"));
    if (e.label.empty()) return DataLossError(AtLine(path, rec.line, "empty label"));
    auto [code_it, code_new] = key_owner.emplace(text::Fold(e.code), e.code);
    if (!code_new) {
      return DataLossError(
          AtLine(path, rec.line,
                 code_it->second == e.code
                     ? "duplicate code \"" + e.code + "\""
                     : "code \"" + e.code + "\" already designates code " + code_it->second));
    }
    auto [label_it, label_new] = key_owner.emplace(text::Fold(e.label), e.code);
    if (!label_new && label_it->second != e.code) {
      return DataLossError(AtLine(
          path, rec.line, "label \"" + e.label + "\" already designates code " + label_it->second));
    }
    list.entries.push_back(std::move(e));
    list.lines.push_back(rec.line);
  }
  return list;
}

}  // namespace

ReferenceList::ReferenceList(std::vector<ListEntry> entries) : entries_(std::move(entries)) {
  // Codes first, so that a code always wins over a label that happens to spell it.
  for (size_t i = 0; i < entries_.size(); ++i) by_key_.emplace(text::Fold(entries_[i].code), i);
  for (size_t i = 0; i < entries_.size(); ++i) by_key_.emplace(text::Fold(entries_[i].label), i);
}

const ListEntry* ReferenceList::Find(std::string_view value) const {
  std::string key = text::Fold(value);
  if (key.empty()) return nullptr;
  if (auto it = by_key_.find(key); it != by_key_.end()) return &entries_[it->second];
  // "code - label": both halves must designate the same entry, so that a stale or
  // edited label cannot silently change the code. Codes never hold " - ", hence the
  // first separator is the right one even in labels like "ORL - chir ...".
  size_t sep = key.find(kCodeLabelSeparator);
  if (sep == std::string::npos) return nullptr;
  auto code_it = by_key_.find(key.substr(0, sep));
  if (code_it == by_key_.end()) return nullptr;
  auto label_it = by_key_.find(key.substr(sep + kCodeLabelSeparator.size()));
  if (label_it == by_key_.end() || label_it->second != code_it->second) return nullptr;
  const ListEntry& e = entries_[code_it->second];
  // The first half must be the code itself, not a label.
  if (text::Fold(e.code) != std::string_view(key).substr(0, sep)) return nullptr;
  return &e;
}

const ListEntry* ReferenceList::FindCode(std::string_view code) const {
  std::string key = text::Fold(code);
  auto it = by_key_.find(key);
  if (it == by_key_.end()) return nullptr;
  const ListEntry& e = entries_[it->second];
  // by_key_ also holds labels; only an entry whose own code folds to `key` counts.
  if (text::Fold(e.code) != key) return nullptr;
  return &e;
}

Result<ReferenceData> ReferenceData::Load(const std::string& dir) {
  ReferenceData data;
  CADUCE_TRY(auto regions, LoadList(dir, {"regions.csv", {"code", "label"}, -1}));
  CADUCE_TRY(auto departements,
             LoadList(dir, {"departements.csv", {"code", "label", "region_code"}, 2}));
  CADUCE_TRY(auto professions,
             LoadList(dir, {"professions.csv", {"code", "label", "system", "category"}, 3}));
  CADUCE_TRY(auto specialites,
             LoadList(dir, {"specialites.csv", {"code", "label", "status", "source_version"}, 2}));
  CADUCE_TRY(auto civilites, LoadList(dir, {"civilites_exercice.csv", {"code", "label"}, -1}));
  CADUCE_TRY(auto types,
             LoadList(dir, {"types_identifiant_structure.csv", {"code", "label", "status"}, -1}));

  // A department in a region that does not exist would make every row of that
  // department fail the Région rule: refuse the data instead.
  std::unordered_set<std::string> region_codes;
  for (const ListEntry& r : regions.entries) region_codes.insert(r.code);
  for (size_t i = 0; i < departements.entries.size(); ++i) {
    const ListEntry& d = departements.entries[i];
    if (!region_codes.contains(d.extra)) {
      return DataLossError(AtLine(dir + "/departements.csv", departements.lines[i],
                                  "unknown region code \"" + d.extra + "\""));
    }
  }

  // The import file only uses 1 FINESS, 2 SIREN, 3 SIRET (seed annex, FIELDS.md row 20).
  std::vector<ListEntry> used_types;
  for (ListEntry& t : types.entries) {
    if (t.code == "1" || t.code == "2" || t.code == "3") used_types.push_back(std::move(t));
  }
  if (used_types.size() != 3) {
    return DataLossError(dir + "/types_identifiant_structure.csv: codes 1, 2 and 3 are required");
  }

  data.regions_ = ReferenceList(std::move(regions.entries));
  data.departements_ = ReferenceList(std::move(departements.entries));
  data.professions_ = ReferenceList(std::move(professions.entries));
  data.specialites_ = ReferenceList(std::move(specialites.entries));
  data.civilites_ = ReferenceList(std::move(civilites.entries));
  data.types_id_structure_ = ReferenceList(std::move(used_types));
  return data;
}

std::string ReferenceData::DefaultDir() {
  const char* env = std::getenv("CADUCE_DATA_DIR");
  if (env != nullptr && *env != '\0') return env;
  return CADUCE_DEFAULT_DATA_DIR;
}

}  // namespace caduce::directory
