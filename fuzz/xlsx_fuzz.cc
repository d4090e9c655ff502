// libFuzzer target for XlsxReader, parsing the ZIP from memory: any bytes must
// give rows or a clean error, within small limits.
#include <cstddef>
#include <cstdint>
#include <string>

#include "import_export/formats/xlsx_reader.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using caduce::import_export::XlsxReader;
  caduce::import_export::ReadLimits limits;
  limits.max_uncompressed_bytes = 4 << 20;
  limits.max_rows = 1000;
  limits.max_columns = 100;
  limits.max_cell_chars = 1000;
  auto reader =
      XlsxReader::FromString(std::string(reinterpret_cast<const char*>(data), size), limits);
  if (!reader.ok()) return 0;
  while (true) {
    auto row = (*reader)->Next();
    if (!row.ok() || !*row) break;
  }
  return 0;
}
