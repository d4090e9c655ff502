// File: import_export/formats/test_util.h
//
// Helpers for the formats tests only: drain a RowReader, write raw bytes, run the
// Debian Python that has openpyxl and xlwt to make fixtures with other programs.
#ifndef CADUCE_IMPORT_EXPORT_FORMATS_TEST_UTIL_H_
#define CADUCE_IMPORT_EXPORT_FORMATS_TEST_UTIL_H_

#include <zip.h>

#include <cstdlib>
#include <fstream>
#include <iterator>
#include <optional>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "base/status.h"
#include "import_export/formats/sheet.h"

namespace caduce::import_export::test {

// Reads every row, or the first error.
inline Result<std::vector<Row>> ReadAll(RowReader& reader) {
  std::vector<Row> rows;
  while (true) {
    CADUCE_TRY(std::optional<Row> row, reader.Next());
    if (!row) return rows;
    rows.push_back(std::move(*row));
  }
}

// The texts of a row's cells ("" for an empty cell).
inline std::vector<std::string> Texts(const Row& row) {
  std::vector<std::string> out;
  for (const Cell& c : row.cells) out.push_back(c.text);
  return out;
}

inline void WriteFile(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary);
  out << bytes;
}

inline std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// The Python interpreter that sees Debian's python3-openpyxl and python3-xlwt
// (/usr/bin/python3; a python3 earlier in PATH, e.g. from pyenv, may not).
// CADUCE_PYTHON overrides it.
inline std::string Python() {
  const char* p = std::getenv("CADUCE_PYTHON");
  return p && *p ? p : "/usr/bin/python3";
}

// Writes `script` to dir/name and runs it with `args`; returns its exit code and
// appends its output (stdout and stderr) to *output.
inline int RunPython(const std::string& dir, const std::string& name, const std::string& script,
                     const std::string& args, std::string* output) {
  const std::string path = dir + "/" + name;
  WriteFile(path, script);
  const std::string log = path + ".log";
  const std::string cmd = Python() + " '" + path + "' " + args + " >'" + log + "' 2>&1";
  const int rc = std::system(cmd.c_str());
  *output += ReadFile(log);
  return rc;
}

// Writes a ZIP archive holding `entries` (name, content), deflated unless `store`.
// Returns false when libzip fails.
inline bool WriteZip(const std::string& path,
                     const std::vector<std::pair<std::string, std::string>>& entries,
                     bool store = false) {
  int err = 0;
  zip_t* z = zip_open(path.c_str(), ZIP_CREATE | ZIP_TRUNCATE, &err);
  if (z == nullptr) return false;
  for (const auto& [name, content] : entries) {
    // libzip copies nothing until zip_close: the strings outlive it here.
    zip_source_t* src = zip_source_buffer(z, content.data(), content.size(), 0);
    if (src == nullptr) return false;
    zip_int64_t i = zip_file_add(z, name.c_str(), src, ZIP_FL_ENC_UTF_8);
    if (i < 0) {
      zip_source_free(src);
      return false;
    }
    zip_set_file_compression(z, static_cast<zip_uint64_t>(i), store ? ZIP_CM_STORE : ZIP_CM_DEFLATE,
                             store ? 0 : 9);
  }
  return zip_close(z) == 0;
}

// The parts of a minimal workbook (ECMA-376 Part 2 OPC package) whose XML the
// test writes itself: cached formula values, DTDs, odd references...
struct XlsxParts {
  std::string sheet_data = "<sheetData/>";  // the whole <sheetData> element
  std::string workbook_pr;                  // e.g. <workbookPr date1904="1"/>
  std::string sheets = R"(<sheet name="Feuil1" sheetId="1" r:id="rId1"/>)";
  std::string shared_strings;                              // the whole <sst>, or empty for none
  std::string styles;                                      // the whole <styleSheet>, or empty
  std::string sheet_prolog;                                // text before <worksheet> (a DOCTYPE...)
  std::vector<std::pair<std::string, std::string>> extra;  // more parts
};

inline std::vector<std::pair<std::string, std::string>> XlsxEntries(const XlsxParts& p) {
  const std::string ns =
      R"(xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" )"
      R"(xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships")";
  const std::string rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/";
  std::string rels =
      R"(<?xml version="1.0" encoding="UTF-8"?>)"
      R"(<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">)"
      R"(<Relationship Id="rId1" Type=")" +
      rel +
      R"(worksheet" Target="worksheets/sheet1.xml"/>)"
      R"(<Relationship Id="rId2" Type=")" +
      rel + R"(worksheet" Target="worksheets/sheet2.xml"/>)";
  if (!p.shared_strings.empty()) {
    rels += R"(<Relationship Id="rId8" Type=")" + rel +
            R"(sharedStrings" Target="sharedStrings.xml"/>)";
  }
  if (!p.styles.empty()) {
    rels += R"(<Relationship Id="rId9" Type=")" + rel + R"(styles" Target="styles.xml"/>)";
  }
  rels += "</Relationships>";
  std::vector<std::pair<std::string, std::string>> e = {
      {"[Content_Types].xml",
       R"(<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">)"
       R"(<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>)"
       R"(<Default Extension="xml" ContentType="application/xml"/></Types>)"},
      {"_rels/.rels",
       R"(<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">)"
       R"(<Relationship Id="rId1" Type=")" +
           rel + R"(officeDocument" Target="xl/workbook.xml"/></Relationships>)"},
      {"xl/workbook.xml", R"(<?xml version="1.0" encoding="UTF-8"?><workbook )" + ns + ">" +
                              p.workbook_pr + "<sheets>" + p.sheets + "</sheets></workbook>"},
      {"xl/_rels/workbook.xml.rels", rels},
      {"xl/worksheets/sheet1.xml", R"(<?xml version="1.0" encoding="UTF-8"?>)" + p.sheet_prolog +
                                       "<worksheet " + ns + ">" + p.sheet_data + "</worksheet>"},
  };
  if (!p.shared_strings.empty()) e.push_back({"xl/sharedStrings.xml", p.shared_strings});
  if (!p.styles.empty()) e.push_back({"xl/styles.xml", p.styles});
  for (const auto& x : p.extra) e.push_back(x);
  return e;
}

// The content of entry `name` of the ZIP file at `path` ("" when absent).
inline std::string ReadZipEntry(const std::string& path, const std::string& name) {
  int err = 0;
  zip_t* z = zip_open(path.c_str(), ZIP_RDONLY, &err);
  if (z == nullptr) return "";
  std::string out;
  if (zip_file_t* f = zip_fopen(z, name.c_str(), 0)) {
    char buf[65536];
    zip_int64_t n;
    while ((n = zip_fread(f, buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
    zip_fclose(f);
  }
  zip_discard(z);
  return out;
}

inline bool WriteXlsx(const std::string& path, const XlsxParts& parts) {
  return WriteZip(path, XlsxEntries(parts));
}

}  // namespace caduce::import_export::test

#endif  // CADUCE_IMPORT_EXPORT_FORMATS_TEST_UTIL_H_
