// File: mail/model.h
//
// The mail store's vocabulary: mailboxes (folders) of an account, messages with the
// metadata parsed from their raw RFC 5322 bytes, keywords, queries and change sets.
// Shaped after JMAP (RFC 8621) so that the JMAP layer maps them one to one: every
// object has an id, each account a modification sequence (its state string), and
// each change an entry that `*/changes` can read back.
#ifndef CADUCE_MAIL_MODEL_H_
#define CADUCE_MAIL_MODEL_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace caduce::mail {

// The mailboxes every account has (created on first use), with their JMAP role.
enum class Role : uint8_t { kNone = 0, kInbox, kSent, kDrafts, kTrash, kArchive };
// "inbox", "sent", "drafts", "trash", "archive", "" for none.
std::string_view RoleName(Role r);
std::optional<Role> ParseRole(std::string_view s);
// The French name the mailbox gets at creation ("Boîte de réception" …).
std::string_view DefaultMailboxName(Role r);

struct Mailbox {
  int64_t id = 0;
  int64_t account_id = 0;
  int64_t parent_id = 0;  // 0: at the top
  std::string name;
  Role role = Role::kNone;
  int sort_order = 0;
  int64_t total_emails = 0;
  int64_t unread_emails = 0;  // for the person asking, when read state is per person
};

// Keywords (RFC 8621 §4.1.1): the ones caduce knows, kept as bits.
enum Keyword : uint32_t {
  kSeen = 1u << 0,
  kFlagged = 1u << 1,
  kAnswered = 1u << 2,
  kDraft = 1u << 3,
  kForwarded = 1u << 4,
  kJunk = 1u << 5,
  kNotJunk = 1u << 6,
};
// "$seen" → kSeen …; nullopt for a keyword caduce does not keep. Case-insensitive.
std::optional<uint32_t> ParseKeyword(std::string_view k);
// The names of the bits set in `bits`, lowercase, in bit order.
std::vector<std::string> KeywordNames(uint32_t bits);

struct EmailAddress {
  std::string name;   // display name, UTF-8 (RFC 2047 decoded), may be empty
  std::string email;  // addr-spec as written (may be empty for a broken address)
  bool operator==(const EmailAddress&) const = default;
};

struct Attachment {
  std::string part_id;  // "1", "2" … leaf parts in document order
  std::string name;     // file name, UTF-8 (may be empty)
  std::string type;     // "application/pdf"
  int64_t size = 0;     // decoded size in bytes
  bool operator==(const Attachment&) const = default;
};

// What the MIME parser extracts from a message (mail/mime.h).
struct ParsedMessage {
  std::vector<EmailAddress> from, to, cc, bcc, reply_to, sender;
  std::string subject;              // decoded, UTF-8
  std::optional<int64_t> sent_at;   // Date: header, microseconds since the epoch
  std::string message_id;           // without < >
  std::vector<std::string> in_reply_to;
  std::vector<std::string> references;
  std::vector<Attachment> attachments;
  std::string text;                 // the text of the text parts (HTML converted), UTF-8
  std::string preview;              // first 256 characters of `text`, blanks folded
};

// A stored message as the JMAP layer reads it.
struct Email {
  int64_t id = 0;
  int64_t account_id = 0;
  int64_t thread_id = 0;
  std::string blob_id;  // BLAKE2b-256 of the raw bytes, hex
  int64_t size = 0;
  int64_t received_at = 0;  // microseconds
  std::optional<int64_t> sent_at;
  std::string message_id;
  std::vector<std::string> in_reply_to, references;
  std::string subject;
  std::vector<EmailAddress> from, to, cc, bcc, reply_to, sender;
  bool has_attachment = false;
  std::vector<Attachment> attachments;
  std::string preview;
  uint32_t keywords = 0;  // for the person asking (per-person $seen applied)
  std::vector<int64_t> mailbox_ids;
};

// Email/query (RFC 8621 §4.4): every set condition must hold.
struct EmailFilter {
  std::optional<int64_t> in_mailbox;
  std::string text;     // full text: subject, addresses, text parts
  std::string from, to, subject;  // words in that field
  std::optional<int64_t> before, after;  // received_at < before, >= after (microseconds)
  uint32_t has_keywords = 0;  // all of these set
  uint32_t not_keywords = 0;  // none of these set
  std::optional<bool> has_attachment;
};

struct EmailQuery {
  int64_t account_id = 0;
  int64_t person_id = 0;  // whose $seen counts when the account's read state is per person
  EmailFilter filter;
  bool ascending = false;  // by received_at; newest first by default
  int64_t position = 0;
  int64_t limit = 50;
  bool want_total = true;
};

struct EmailQueryResult {
  std::vector<int64_t> ids;
  int64_t position = 0;
  int64_t total = -1;  // -1 when not asked for
  int64_t query_state = 0;
};

// */changes: ids created, updated and destroyed after `since`, oldest change first.
enum class ObjectType : uint8_t { kEmail = 1, kMailbox = 2, kThread = 3 };

struct Changes {
  int64_t old_state = 0;
  int64_t new_state = 0;
  bool has_more = false;
  std::vector<int64_t> created, updated, destroyed;
};

struct Snippet {
  int64_t email_id = 0;
  std::string subject;  // with <mark>…</mark> around matches; "" when none matched
  std::string preview;  // a piece of the text with <mark>…</mark>
};

// What was done to a message of a shared (ORG/APP) mailbox, read back for the team.
struct EmailAction {
  int64_t at = 0;  // microseconds
  int64_t person_id = 0;
  std::string person;  // the person's address
  std::string action;  // "opened", "answered", "moved", "flagged", "downloaded" …
  int64_t audit_seq = 0;
};

// A recipient outside caduce, kept for the SMTP delivery to come.
struct OutboundItem {
  int64_t id = 0;
  std::string blob_id;
  std::string mail_from;
  std::string rcpt_to;
  std::string state;  // "pending"
  int64_t created_at = 0;
};

}  // namespace caduce::mail

#endif  // CADUCE_MAIL_MODEL_H_
