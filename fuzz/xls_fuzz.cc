// libFuzzer target for XlsReader (FreeXL). FreeXL only opens a path, so each
// input is written to a temporary file first.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "import_export/formats/xls_reader.h"

namespace {

// One file per fuzzing process, rewritten for every input.
const std::string& TempPath() {
  static const std::string path = [] {
    const char* dir = std::getenv("TMPDIR");
    std::string tmpl = std::string(dir && *dir ? dir : "/tmp") + "/caduce-xls-fuzz-XXXXXX";
    int fd = mkstemp(tmpl.data());
    if (fd >= 0) close(fd);
    return tmpl;
  }();
  return path;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using caduce::import_export::XlsReader;
  const std::string& path = TempPath();
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr) return 0;
  std::fwrite(data, 1, size, f);
  std::fclose(f);
  caduce::import_export::ReadLimits limits;
  limits.max_uncompressed_bytes = 1 << 20;
  limits.max_rows = 1000;
  limits.max_columns = 100;
  limits.max_cell_chars = 1000;
  auto reader = XlsReader::Open(path, limits);
  if (!reader.ok()) return 0;
  while (true) {
    auto row = (*reader)->Next();
    if (!row.ok() || !*row) break;
  }
  return 0;
}
