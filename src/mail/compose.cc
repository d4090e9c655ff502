// Writing messages with GMime 3 (compose.h). GMime objects are reference counted
// GObjects; each is held by a small owner so that every path releases it.
#include "mail/compose.h"
#include "mail/internal/gmime.h"

#include <gmime/gmime.h>

#include <memory>
#include <mutex>

namespace caduce::mail {
namespace {

using internal::GPtr;
using internal::GString;
using internal::InitGMime;

// Header values: no control character at all (CR and LF above all: a value can
// never start another header field), valid UTF-8, bounded.
Status CheckHeaderText(std::string_view field, std::string_view value, size_t max = 998) {
  if (value.size() > max) {
    return InvalidArgumentError(std::string(field) + " : le texte dépasse " + std::to_string(max) +
                                " caractères ; raccourcissez-le.");
  }
  for (unsigned char c : value) {
    if (c < 0x20 || c == 0x7f) {
      return InvalidArgumentError(std::string(field) +
                                  " : retirez les retours à la ligne et caractères de contrôle.");
    }
  }
  if (!IsValidUtf8(value)) {
    return InvalidArgumentError(std::string(field) + " : le texte n'est pas en UTF-8 valide.");
  }
  return OkStatus();
}

// An addr-spec as a client gives it: one @, no blank, no control or special
// character that would let it escape the address.
Status CheckAddress(std::string_view field, std::string_view addr) {
  auto bad = [&] {
    return InvalidArgumentError(std::string(field) + " : « " + std::string(addr.substr(0, 254)) +
                                " » n'est pas une adresse valide (forme nom@domaine).");
  };
  if (addr.empty() || addr.size() > 254) return bad();
  size_t at = addr.rfind('@');
  if (at == 0 || at == std::string_view::npos || at + 1 == addr.size()) return bad();
  if (addr.find('@') != at) return bad();
  for (unsigned char c : addr) {
    if (c <= 0x20 || c == 0x7f || c == '<' || c == '>' || c == ',' || c == ';' || c == '"' ||
        c == '(' || c == ')' || c == '\\' || c == '[' || c == ']' || c == ':') {
      return bad();
    }
  }
  if (!IsValidUtf8(addr)) return bad();
  std::string_view domain = addr.substr(at + 1);
  if (domain.front() == '.' || domain.back() == '.' ||
      domain.find("..") != std::string_view::npos) {
    return bad();
  }
  return OkStatus();
}

Status CheckAddresses(std::string_view field, const std::vector<EmailAddress>& list) {
  if (list.size() > 1000) {
    return InvalidArgumentError(std::string(field) + " : pas plus de 1000 adresses.");
  }
  for (const EmailAddress& a : list) {
    CADUCE_RETURN_IF_ERROR(CheckHeaderText(field, a.name, 255));
    CADUCE_RETURN_IF_ERROR(CheckAddress(field, a.email));
  }
  return OkStatus();
}

Status CheckMessageIds(std::string_view field, const std::vector<std::string>& ids) {
  if (ids.size() > 100)
    return InvalidArgumentError(std::string(field) + " : pas plus de 100 identifiants.");
  for (const std::string& id : ids) {
    bool ok = !id.empty() && id.size() <= 250 && id.find('@') != std::string::npos;
    for (unsigned char c : id) {
      if (c <= 0x20 || c >= 0x7f || c == '<' || c == '>' || c == '"' || c == '\\') ok = false;
    }
    if (!ok) {
      return InvalidArgumentError(std::string(field) +
                                  " : un identifiant de message a la forme partie@domaine, "
                                  "sans espace ni < >.");
    }
  }
  return OkStatus();
}

// "type/subtype" of RFC 2045 tokens.
bool IsMediaType(std::string_view t) {
  size_t slash = t.find('/');
  if (slash == 0 || slash == std::string_view::npos || slash + 1 == t.size() || t.size() > 127) {
    return false;
  }
  for (size_t i = 0; i < t.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(t[i]);
    if (i == slash) continue;
    bool token = (c > 0x20 && c < 0x7f) &&
                 std::string_view("()<>@,;:\\\"/[]?=").find(c) == std::string_view::npos;
    if (!token) return false;
  }
  return true;
}

void AddList(GMimeMessage* msg, GMimeAddressType type, const std::vector<EmailAddress>& list) {
  InternetAddressList* l = g_mime_message_get_addresses(msg, type);
  for (const EmailAddress& a : list) {
    InternetAddress* ia =
        internet_address_mailbox_new(a.name.empty() ? nullptr : a.name.c_str(), a.email.c_str());
    internet_address_list_add(l, ia);
    g_object_unref(ia);
  }
}

std::string JoinIds(const std::vector<std::string>& ids) {
  std::string out;
  for (const std::string& id : ids) {
    if (!out.empty()) out += ' ';
    out += "<" + id + ">";
  }
  return out;
}

GPtr<GMimeTextPart> TextPart(const char* subtype, const std::string& text) {
  GPtr<GMimeTextPart> part(g_mime_text_part_new_with_subtype(subtype));
  g_mime_text_part_set_text(part.get(), text.c_str());
  GMimePart* p = GMIME_PART(part.get());
  g_mime_part_set_content_encoding(
      p, g_mime_part_get_best_content_encoding(p, GMIME_ENCODING_CONSTRAINT_7BIT));
  return part;
}

}  // namespace

bool IsValidUtf8(std::string_view s) {
  return g_utf8_validate(s.data(), static_cast<gssize>(s.size()), nullptr) != 0;
}

Result<std::string> ComposeMessage(const Draft& d, const ComposeOptions& o) {
  // Every field is checked before anything is built.
  if (d.from.empty()) return InvalidArgumentError("De : indiquez l'adresse de l'expéditeur.");
  CADUCE_RETURN_IF_ERROR(CheckAddresses("De", d.from));
  CADUCE_RETURN_IF_ERROR(CheckAddresses("Expéditeur (Sender)", d.sender));
  CADUCE_RETURN_IF_ERROR(CheckAddresses("À", d.to));
  CADUCE_RETURN_IF_ERROR(CheckAddresses("Cc", d.cc));
  CADUCE_RETURN_IF_ERROR(CheckAddresses("Cci", d.bcc));
  CADUCE_RETURN_IF_ERROR(CheckAddresses("Répondre à", d.reply_to));
  if (d.sender.size() > 1) return InvalidArgumentError("Expéditeur (Sender) : une seule adresse.");
  CADUCE_RETURN_IF_ERROR(CheckHeaderText("Objet", d.subject));
  CADUCE_RETURN_IF_ERROR(CheckMessageIds("En réponse à", d.in_reply_to));
  CADUCE_RETURN_IF_ERROR(CheckMessageIds("Références", d.references));
  if (!d.message_id.empty()) CADUCE_RETURN_IF_ERROR(CheckMessageIds("Message-ID", {d.message_id}));
  if (!IsValidUtf8(d.text_body)) {
    return InvalidArgumentError("Texte du message : le texte n'est pas en UTF-8 valide.");
  }
  if (d.html_body && !IsValidUtf8(*d.html_body)) {
    return InvalidArgumentError("Texte HTML du message : le texte n'est pas en UTF-8 valide.");
  }
  if (d.attachments.size() > 500) {
    return InvalidArgumentError("Pièces jointes : pas plus de 500 par message.");
  }
  // Base64 grows 4/3 plus line ends: refuse early what cannot fit.
  size_t estimate = d.text_body.size() + (d.html_body ? d.html_body->size() : 0) + 4096;
  for (const DraftAttachment& a : d.attachments) {
    CADUCE_RETURN_IF_ERROR(CheckHeaderText("Nom de la pièce jointe", a.name, 255));
    CADUCE_RETURN_IF_ERROR(CheckHeaderText("Identifiant de contenu (cid)", a.cid, 250));
    if (!a.type.empty() && !IsMediaType(a.type)) {
      return InvalidArgumentError("Type de la pièce jointe : « " + a.type.substr(0, 127) +
                                  " » n'est pas un type de média (forme type/sous-type).");
    }
    estimate += a.bytes.size() / 3 * 4 + a.bytes.size() / 57 * 2 + 512;
  }
  std::string too_large = "Message trop volumineux : il dépasse la taille maximale de " +
                          std::to_string((o.max_message_bytes + (1 << 20) - 1) >> 20) +
                          " Mio. Réduisez ou retirez des pièces jointes.";
  if (estimate > o.max_message_bytes) return ResourceExhaustedError(too_large);

  InitGMime();
  GPtr<GMimeMessage> msg(g_mime_message_new(TRUE));
  AddList(msg.get(), GMIME_ADDRESS_TYPE_FROM, d.from);
  AddList(msg.get(), GMIME_ADDRESS_TYPE_SENDER, d.sender);
  AddList(msg.get(), GMIME_ADDRESS_TYPE_REPLY_TO, d.reply_to);
  AddList(msg.get(), GMIME_ADDRESS_TYPE_TO, d.to);
  AddList(msg.get(), GMIME_ADDRESS_TYPE_CC, d.cc);
  AddList(msg.get(), GMIME_ADDRESS_TYPE_BCC, d.bcc);
  g_mime_message_set_subject(msg.get(), d.subject.c_str(), "utf-8");
  int64_t at = d.sent_at.value_or(o.now_micros);
  GDateTime* date = g_date_time_new_from_unix_utc(at / 1000000);
  g_mime_message_set_date(msg.get(), date);
  g_date_time_unref(date);
  if (!d.message_id.empty()) {
    g_mime_message_set_message_id(msg.get(), d.message_id.c_str());
  } else {
    GString id(g_mime_utils_generate_message_id(o.domain.empty() ? "localhost" : o.domain.c_str()));
    g_mime_message_set_message_id(msg.get(), id.get());
  }
  GMimeObject* msg_obj = GMIME_OBJECT(msg.get());
  if (!d.in_reply_to.empty()) {
    g_mime_object_set_header(msg_obj, "In-Reply-To", JoinIds(d.in_reply_to).c_str(), nullptr);
  }
  if (!d.references.empty()) {
    g_mime_object_set_header(msg_obj, "References", JoinIds(d.references).c_str(), nullptr);
  }

  // Body: text, or text and HTML as alternatives; then attachments around it.
  GPtr<GMimeObject> body;
  if (d.html_body) {
    GPtr<GMimeMultipart> alt(g_mime_multipart_new_with_subtype("alternative"));
    auto text = TextPart("plain", d.text_body);
    auto html = TextPart("html", *d.html_body);
    g_mime_multipart_add(alt.get(), GMIME_OBJECT(text.get()));
    g_mime_multipart_add(alt.get(), GMIME_OBJECT(html.get()));
    body.reset(GMIME_OBJECT(alt.release()));
  } else {
    body.reset(GMIME_OBJECT(TextPart("plain", d.text_body).release()));
  }
  if (!d.attachments.empty()) {
    GPtr<GMimeMultipart> mixed(g_mime_multipart_new_with_subtype("mixed"));
    g_mime_multipart_add(mixed.get(), body.get());
    for (const DraftAttachment& a : d.attachments) {
      std::string type = a.type.empty() ? "application/octet-stream" : a.type;
      size_t slash = type.find('/');
      GPtr<GMimePart> part(
          g_mime_part_new_with_type(type.substr(0, slash).c_str(), type.substr(slash + 1).c_str()));
      GPtr<GMimeStream> stream(g_mime_stream_mem_new_with_buffer(a.bytes.data(), a.bytes.size()));
      GPtr<GMimeDataWrapper> wrapper(
          g_mime_data_wrapper_new_with_stream(stream.get(), GMIME_CONTENT_ENCODING_DEFAULT));
      g_mime_part_set_content(part.get(), wrapper.get());
      g_mime_part_set_content_encoding(part.get(), GMIME_CONTENT_ENCODING_BASE64);
      g_mime_object_set_disposition(GMIME_OBJECT(part.get()),
                                    a.inline_part ? "inline" : "attachment");
      if (!a.name.empty()) g_mime_part_set_filename(part.get(), a.name.c_str());
      if (!a.cid.empty()) g_mime_part_set_content_id(part.get(), a.cid.c_str());
      g_mime_multipart_add(mixed.get(), GMIME_OBJECT(part.get()));
    }
    body.reset(GMIME_OBJECT(mixed.release()));
  }
  g_mime_message_set_mime_part(msg.get(), body.get());

  GMimeFormatOptions* fo = g_mime_format_options_new();
  g_mime_format_options_set_newline_format(fo, GMIME_NEWLINE_FORMAT_DOS);
  GString text(g_mime_object_to_string(msg_obj, fo));
  g_mime_format_options_free(fo);
  if (text == nullptr) return InternalError("Le message n'a pas pu être écrit.");
  std::string out(text.get());
  if (out.size() > o.max_message_bytes) return ResourceExhaustedError(too_large);
  return out;
}

Result<std::string> SenderHeaderLine(const EmailAddress& sender) {
  CADUCE_RETURN_IF_ERROR(CheckHeaderText("Expéditeur (Sender)", sender.name, 255));
  CADUCE_RETURN_IF_ERROR(CheckAddress("Expéditeur (Sender)", sender.email));
  InitGMime();
  InternetAddress* ia = internet_address_mailbox_new(
      sender.name.empty() ? nullptr : sender.name.c_str(), sender.email.c_str());
  GString text(internet_address_to_string(ia, nullptr, TRUE));
  g_object_unref(ia);
  std::string line = "Sender: " + std::string(text ? text.get() : sender.email.c_str());
  line += "\r\n";
  return line;
}

std::string PrepareForSending(std::string_view raw, std::string_view prepend) {
  std::string out(prepend);
  out.reserve(raw.size() + prepend.size());
  size_t pos = 0;
  bool skipping = false;
  while (pos < raw.size()) {
    size_t eol = raw.find('\n', pos);
    size_t next = eol == std::string_view::npos ? raw.size() : eol + 1;
    std::string_view line = raw.substr(pos, next - pos);
    if (line == "\r\n" || line == "\n") {  // end of the header
      out.append(raw.substr(pos));
      return out;
    }
    bool continuation = line.front() == ' ' || line.front() == '\t';
    if (!continuation) {
      skipping =
          line.size() >= 4 && (line[0] == 'B' || line[0] == 'b') &&
          (line[1] == 'C' || line[1] == 'c') && (line[2] == 'C' || line[2] == 'c') &&
          line.find(':') != std::string_view::npos &&
          line.substr(3, line.find(':') - 3).find_first_not_of(" \t") == std::string_view::npos;
    }
    if (!skipping) out.append(line);
    pos = next;
  }
  return out;
}

}  // namespace caduce::mail
