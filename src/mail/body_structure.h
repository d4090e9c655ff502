// File: mail/body_structure.h
//
// The MIME tree of a raw message for the JMAP layer (RFC 8621 §4.1.4,
// EmailBodyPart): each part's media type, charset, disposition, file name,
// Content-ID, decoded size, and for text parts their text converted to UTF-8.
// Leaf parts are numbered "1", "2" … in document order, exactly as ParseMessage
// numbers attachments (mime.h), so that a part id names the same part for
// DownloadAttachment. Exposure: reads untrusted input, bounded by MimeLimits
// before GMime sees it. GMime stays inside mail/: the JMAP layer reads this tree.
#ifndef CADUCE_MAIL_BODY_STRUCTURE_H_
#define CADUCE_MAIL_BODY_STRUCTURE_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "mail/mime.h"

namespace caduce::mail {

struct BodyPart {
  std::string part_id;  // "" for a multipart
  std::string type;     // "text/plain", "multipart/mixed" … lowercase
  std::string charset;  // for text parts ("utf-8" when none was given)
  std::string disposition;  // "attachment", "inline" or ""
  std::string name;         // file name, UTF-8
  std::string cid;          // Content-ID without < >
  std::string location;
  std::vector<std::string> language;
  int64_t size = 0;  // decoded bytes (leaf parts)
  std::vector<BodyPart> sub_parts;
  // For text/* leaf parts when asked: the decoded text in UTF-8 (invalid bytes
  // replaced, encoding_problem then set).
  std::string text;
  bool encoding_problem = false;
};

// The tree of `raw`. With `with_text`, text/* leaf parts carry their text.
// Errors as ParseMessage.
Result<BodyPart> ParseBodyStructure(std::string_view raw, bool with_text,
                                    const MimeLimits& limits = {});

}  // namespace caduce::mail

#endif  // CADUCE_MAIL_BODY_STRUCTURE_H_
