// libFuzzer target for XlsxReader, parsing the ZIP from memory: any bytes must
// give rows or a clean error, within small limits. The same bytes also go
// straight to the worksheet's XML scanner (internal/xml_scanner.h), handed out
// in pieces whose size the first byte picks, since mutated ZIP entries seldom
// inflate to XML that reaches it (a cell's usual content taken at once too).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>

#include "import_export/formats/internal/xml_scanner.h"
#include "import_export/formats/xlsx_reader.h"

namespace {

class Pieces : public caduce::import_export::internal::ByteSource {
 public:
  Pieces(const uint8_t* data, size_t size, size_t step) : data_(data), size_(size), step_(step) {}
  caduce::Result<size_t> Read(char* buf, size_t n) override {
    size_t k = std::min({n, step_, size_ - pos_});
    std::memcpy(buf, data_ + pos_, k);
    pos_ += k;
    return k;
  }

 private:
  const uint8_t* data_;
  size_t size_;
  size_t step_;
  size_t pos_ = 0;
};

void ScanXml(const uint8_t* data, size_t size) {
  using caduce::import_export::internal::XmlScanner;
  if (size == 0) return;
  Pieces source(data + 1, size - 1, 1 + data[0] % 64);
  XmlScanner scanner(&source, "sheet.xml", 4096);
  std::string text;
  for (;;) {
    switch (scanner.Next()) {
      case XmlScanner::Token::kStart:
        (void)scanner.Attr("r");
        (void)scanner.Attr("t");
        // As the worksheet reader does after a cell's start tag.
        if (scanner.local_name() == "c" &&
            !scanner.TakeSimpleContent("<is><t>", "</t></is>", &text) &&
            !scanner.TakeSimpleContent("<v>", "</v>", &text) && !scanner.status().ok()) {
          return;
        }
        if (text.size() > 65536) text.clear();
        break;
      case XmlScanner::Token::kText:
        if (!scanner.AppendText(&text)) return;
        if (text.size() > 65536) text.clear();
        break;
      case XmlScanner::Token::kEnd:
        break;
      case XmlScanner::Token::kEof:
      case XmlScanner::Token::kError:
        return;
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using caduce::import_export::XlsxReader;
  ScanXml(data, size);
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
