// File: mail/body_structure.cc
//
// The MIME tree of body_structure.h with GMime 3. The walk visits children in
// the order g_mime_multipart_foreach does and numbers every non-multipart part
// (an attached message/rfc822 is one leaf), as mime.cc does.
#include "mail/body_structure.h"
#include "mail/internal/gmime.h"

#include <gmime/gmime.h>

#include <algorithm>
#include <memory>
#include <mutex>

namespace caduce::mail {
namespace {

template <class T>
using Owned = internal::GPtr<T>;

std::string Utf8(const char* s, gssize len = -1, bool* problem = nullptr) {
  if (s == nullptr) return {};
  if (problem != nullptr && !g_utf8_validate(s, len, nullptr)) *problem = true;
  gchar* v = g_utf8_make_valid(s, len);
  std::string out(v);
  g_free(v);
  out.erase(std::remove(out.begin(), out.end(), '\0'), out.end());
  return out;
}

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

std::string Decoded(GMimePart* part, const char* charset_to_utf8) {
  GMimeDataWrapper* content = g_mime_part_get_content(part);
  if (content == nullptr) return {};
  Owned<GMimeStream> mem(g_mime_stream_mem_new());
  Owned<GMimeStream> filtered(g_mime_stream_filter_new(mem.get()));
  if (charset_to_utf8 != nullptr) {
    GMimeFilter* f = g_mime_filter_charset_new(charset_to_utf8, "UTF-8");
    if (f != nullptr) {
      g_mime_stream_filter_add(GMIME_STREAM_FILTER(filtered.get()), f);
      g_object_unref(f);
    }
  }
  g_mime_data_wrapper_write_to_stream(content, filtered.get());
  g_mime_stream_flush(filtered.get());
  GByteArray* bytes = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(mem.get()));
  return std::string(reinterpret_cast<const char*>(bytes->data), bytes->len);
}

void Common(GMimeObject* obj, BodyPart* p) {
  GMimeContentType* ct = g_mime_object_get_content_type(obj);
  if (ct != nullptr) {
    char* t = g_mime_content_type_get_mime_type(ct);
    p->type = t != nullptr ? Lower(Utf8(t)) : "application/octet-stream";
    g_free(t);
  } else {
    p->type = "text/plain";
  }
  GMimeContentDisposition* d = g_mime_object_get_content_disposition(obj);
  if (d != nullptr) p->disposition = Lower(Utf8(g_mime_content_disposition_get_disposition(d)));
  p->cid = Utf8(g_mime_object_get_content_id(obj));
  p->location = Utf8(g_mime_object_get_header(obj, "Content-Location"));
  if (const char* lang = g_mime_object_get_header(obj, "Content-Language")) {
    std::string all = Utf8(lang);
    size_t start = 0;
    while (start < all.size()) {
      size_t comma = all.find(',', start);
      std::string one = all.substr(start, comma == std::string::npos ? comma : comma - start);
      one.erase(0, one.find_first_not_of(' '));
      while (!one.empty() && one.back() == ' ') one.pop_back();
      if (!one.empty()) p->language.push_back(one);
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
  }
}

void Walk(GMimeObject* obj, bool with_text, int* counter, int depth, BodyPart* out) {
  Common(obj, out);
  if (GMIME_IS_MULTIPART(obj)) {
    GMimeMultipart* mp = GMIME_MULTIPART(obj);
    int n = g_mime_multipart_get_count(mp);
    for (int i = 0; i < n; ++i) {
      BodyPart child;
      if (depth < 64) {
        Walk(g_mime_multipart_get_part(mp, i), with_text, counter, depth + 1, &child);
        out->sub_parts.push_back(std::move(child));
      }
    }
    return;
  }
  out->part_id = std::to_string(++*counter);
  if (GMIME_IS_MESSAGE_PART(obj)) {
    GMimeMessage* inner = g_mime_message_part_get_message(GMIME_MESSAGE_PART(obj));
    if (inner != nullptr) {
      Owned<GMimeStream> mem(g_mime_stream_mem_new());
      g_mime_object_write_to_stream(GMIME_OBJECT(inner), nullptr, mem.get());
      out->size = static_cast<int64_t>(
          g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(mem.get()))->len);
      out->name = Utf8(g_mime_message_get_subject(inner));
      if (!out->name.empty()) out->name += ".eml";
    }
    return;
  }
  if (!GMIME_IS_PART(obj)) return;
  GMimePart* part = GMIME_PART(obj);
  out->name = Utf8(g_mime_part_get_filename(part));
  bool text = out->type.rfind("text/", 0) == 0;
  if (text) {
    const char* cs = g_mime_object_get_content_type_parameter(obj, "charset");
    out->charset = cs != nullptr ? Lower(Utf8(cs)) : "us-ascii";
  }
  if (text && with_text) {
    bool convert = out->charset != "utf-8" && out->charset != "us-ascii";
    std::string raw = Decoded(part, convert ? out->charset.c_str() : nullptr);
    out->size = static_cast<int64_t>(raw.size());
    out->text = Utf8(raw.data(), static_cast<gssize>(raw.size()), &out->encoding_problem);
  } else {
    out->size = static_cast<int64_t>(Decoded(part, nullptr).size());
  }
}

}  // namespace

Result<BodyPart> ParseBodyStructure(std::string_view raw, bool with_text,
                                    const MimeLimits& limits) {
  // Stored messages passed ParseMessage's limits at delivery; the walk also
  // stops at 64 levels of nesting.
  if (raw.size() > limits.max_message_bytes) {
    return ResourceExhaustedError("Le message dépasse la taille maximale.");
  }
  if (raw.empty()) return InvalidArgumentError("Le message est vide.");
  internal::InitGMime();
  Owned<GMimeStream> stream(g_mime_stream_mem_new_with_buffer(raw.data(), raw.size()));
  Owned<GMimeParser> parser(g_mime_parser_new_with_stream(stream.get()));
  g_mime_parser_set_format(parser.get(), GMIME_FORMAT_MESSAGE);
  Owned<GMimeMessage> msg(g_mime_parser_construct_message(parser.get(), nullptr));
  if (!msg) return InvalidArgumentError("Ce n'est pas un message électronique : en-têtes absents.");
  GMimeObject* body = g_mime_message_get_mime_part(msg.get());
  BodyPart root;
  if (body == nullptr) {
    root.type = "text/plain";
    root.part_id = "1";
    return root;
  }
  int counter = 0;
  Walk(body, with_text, &counter, 0, &root);
  return root;
}

}  // namespace caduce::mail
