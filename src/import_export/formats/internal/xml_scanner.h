// File: import_export/formats/internal/xml_scanner.h
//
// A pull scanner for the part of XML 1.0 that a SpreadsheetML worksheet uses:
// elements and their attributes (prefixes ignored: names are compared by local
// name, as the reader did with expat's namespace mode), character data, the five
// predefined entities and character references (&#NN; &#xHH;), CDATA sections,
// comments and processing instructions (skipped). It exists because the
// worksheet is most of an import's reading time and a general SAX parser spends
// it on what SpreadsheetML never needs. Private to formats/.
//
// Exposure: reads untrusted bytes. Strict where it matters:
// - No DTD: a <!DOCTYPE ...> is an error, so no entity can be declared,
//   expanded or fetched; an entity other than the five predefined ones is an
//   error.
// - Well-formed nesting: each end tag must close the element last opened; the
//   file may not end inside an element; one root element.
// - Text handed out holds only XML characters (no control characters other than
//   tab, line feed and carriage return; character references to XML Chars only),
//   with line ends normalised as XML requires (CR LF and CR become LF).
// - Bounded memory: a tag, comment, CDATA section or processing instruction
//   longer than `max_token` bytes is an error; text is handed out in pieces.
// - UTF-8 only (with or without a byte order mark; an XML declaration naming
//   another encoding is refused with a clear message). The bytes of the text
//   are not checked as UTF-8 here: the caller checks what it keeps.
//
//   XmlScanner s(&source, "xl/worksheets/sheet1.xml", 1 << 20);
//   for (;;) {
//     switch (s.Next()) {
//       case XmlScanner::Token::kStart: ... s.local_name(), s.Attr("r") ...
//       case XmlScanner::Token::kText: if (!s.AppendText(&value)) ... s.status()
//       case XmlScanner::Token::kEnd: ...
//       case XmlScanner::Token::kEof: return;
//       case XmlScanner::Token::kError: return s.status();
//     }
//   }
#ifndef CADUCE_IMPORT_EXPORT_FORMATS_INTERNAL_XML_SCANNER_H_
#define CADUCE_IMPORT_EXPORT_FORMATS_INTERNAL_XML_SCANNER_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace caduce::import_export::internal {

// Where the scanner's bytes come from (a ZIP entry being inflated, a string).
class ByteSource {
 public:
  virtual ~ByteSource() = default;
  // Reads up to `n` bytes into `buf`; 0 at the end; an error stops the scanner.
  virtual Result<size_t> Read(char* buf, size_t n) = 0;
};

class XmlScanner {
 public:
  enum class Token {
    kStart,  // a start tag (an empty-element tag <x/> gives kStart then kEnd)
    kEnd,    // an end tag
    kText,   // a piece of character data (a run may come in several pieces)
    kEof,    // the document ended, well formed
    kError,  // status() says why; every later call returns kError
  };

  // `part` names the part in error messages; `max_token` bounds one tag,
  // comment, CDATA section or processing instruction.
  XmlScanner(ByteSource* source, std::string part, size_t max_token);
  XmlScanner(const XmlScanner&) = delete;
  XmlScanner& operator=(const XmlScanner&) = delete;

  Token Next();

  // kStart, kEnd: the element's name without its prefix.
  std::string_view local_name() const { return local_name_; }
  // kStart: the value of the attribute whose local name is `local` (xmlns
  // declarations excluded), entities decoded; std::nullopt when absent. The view
  // lives until the next call of Attr() or Next(). A malformed value makes the
  // scanner fail: check status() when the answer matters.
  std::optional<std::string_view> Attr(std::string_view local);
  // kText: appends the text, entities decoded and line ends normalised, to *out.
  // False (and the scanner failed) on a malformed entity or a forbidden character.
  bool AppendText(std::string* out);
  // kText: true when the piece is only XML white space.
  bool IsWhitespace() const;

  // Right after the kStart of an element (not an empty-element tag): when the
  // bytes that follow are exactly `open` (start tags without attributes), text
  // without markup, `close` (the matching end tags) and the end tag of that
  // element, all already read, takes them at once: appends the text to *out as
  // AppendText would, and stands where the element's kEnd would have been
  // returned (local_name() names it). Otherwise takes nothing and returns false,
  // and the tokens come one by one from Next() as usual (also false, with
  // status() failed, on a malformed entity or a forbidden character). For the
  // usual shape of a worksheet's cells, `<is><t>…</t></is></c>` and
  // `<v>…</v></c>`: five tokens for the price of one.
  //   REQUIRES: `open` and `close` are well-formed, and close what `open` opens.
  bool TakeSimpleContent(std::string_view open, std::string_view close, std::string* out);

  // OK until a kError.
  const Status& status() const { return status_; }

 private:
  struct RawAttr {
    std::string_view local;
    std::string_view value;
  };

  Token Fail(std::string detail);
  // Fills the buffer after compacting it; false at the end of the source (or on
  // an error, then status_ is set).
  bool Fill();
  // The end (one past) of the markup starting at pos_ whose terminator is
  // `close`, or 0 when more bytes are needed.
  size_t FindMarkupEnd(std::string_view close, size_t from) const;
  Token ScanMarkup();
  // The start tag at pos_: finds its end, then ScanStartTag.
  Token ScanStartTagAt();
  Token ScanStartTag(size_t end);
  Token ScanEndTag(size_t end);
  bool CheckDeclaration(std::string_view decl);
  enum class Mode { kText, kCdata, kAttribute };
  bool Decode(std::string_view raw, Mode mode, std::string* out);

  ByteSource* source_;
  std::string part_;
  size_t max_token_;

  std::string buf_;
  size_t pos_ = 0;
  size_t end_ = 0;
  bool eof_ = false;
  bool started_ = false;
  uint64_t lines_before_ = 1;  // line number of buf_[0]

  std::vector<std::string> open_;  // qualified names of the open elements
  size_t depth_ = 0;
  bool root_seen_ = false;
  bool pending_end_ = false;
  bool skipped_ = false;  // ScanMarkup() consumed a comment or processing instruction

  std::string_view local_name_;
  std::vector<RawAttr> attrs_;
  std::string attr_value_;
  std::string_view text_;
  bool cdata_ = false;

  Status status_;
};

}  // namespace caduce::import_export::internal

#endif  // CADUCE_IMPORT_EXPORT_FORMATS_INTERNAL_XML_SCANNER_H_
