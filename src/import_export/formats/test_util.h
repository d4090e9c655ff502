// File: import_export/formats/test_util.h
//
// Helpers for the formats tests only: drain a RowReader, write raw bytes, run the
// Debian Python that has openpyxl and xlwt to make fixtures with other programs.
#ifndef CADUCE_IMPORT_EXPORT_FORMATS_TEST_UTIL_H_
#define CADUCE_IMPORT_EXPORT_FORMATS_TEST_UTIL_H_

#include <cstdlib>
#include <fstream>
#include <iterator>
#include <optional>
#include <sstream>
#include <string>
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

}  // namespace caduce::import_export::test

#endif  // CADUCE_IMPORT_EXPORT_FORMATS_TEST_UTIL_H_
