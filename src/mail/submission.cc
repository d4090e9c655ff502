// Writing and sending (mail_service.h, "Writing and sending"): uploads, drafts,
// imports and submissions. Each write runs in one transaction after its blob is
// durable: a refusal (rights, From, recipients, size, quota) leaves nothing stored
// but possibly an unreferenced blob file, which the garbage collection removes.
#include <algorithm>
#include <cctype>
#include <set>

#include "base/json.h"
#include "mail/mail_service.h"

namespace caduce::mail {
namespace {

using directory::AccountBrief;
using directory::AccountType;

Status NoBlob() {
  return NotFoundError(
      "Ce fichier n'existe pas dans cette boîte aux lettres (ou son dépôt a expiré) : "
      "déposez-le à nouveau.");
}

bool IsShared(const AccountBrief& a) {
  return a.type == AccountType::kOrg || a.type == AccountType::kApp;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  return out;
}

// A recipient address: trimmed, without < >, lowercase; empty when malformed.
std::string NormaliseAddress(std::string_view raw) {
  while (!raw.empty() && std::isspace(static_cast<unsigned char>(raw.front())))
    raw.remove_prefix(1);
  while (!raw.empty() && std::isspace(static_cast<unsigned char>(raw.back()))) raw.remove_suffix(1);
  if (raw.size() >= 2 && raw.front() == '<' && raw.back() == '>')
    raw = raw.substr(1, raw.size() - 2);
  if (raw.empty() || raw.size() > 254) return {};
  size_t at = raw.rfind('@');
  if (at == 0 || at == std::string_view::npos || at + 1 == raw.size()) return {};
  if (raw.find('@') != at) return {};
  for (unsigned char c : raw) {
    if (c <= 0x20 || c == 0x7f || c == '<' || c == '>' || c == ',' || c == ';') return {};
  }
  std::string_view domain = raw.substr(at + 1);
  if (domain.front() == '.' || domain.back() == '.' ||
      domain.find("..") != std::string_view::npos) {
    return {};
  }
  return Lower(raw);
}

std::string MiB(int64_t bytes) { return std::to_string((bytes + (1 << 20) - 1) >> 20); }
// "25 Mio", or "64 Kio" under one mebibyte.
std::string SizeText(int64_t bytes) {
  if (bytes >= (1 << 20)) return MiB(bytes) + " Mio";
  return std::to_string((bytes + 1023) >> 10) + " Kio";
}

// A media type without parameters, lowercase; application/octet-stream when `t` is
// not one (RFC 2045 tokens).
std::string CleanType(std::string_view t) {
  t = t.substr(0, t.find(';'));
  while (!t.empty() && std::isspace(static_cast<unsigned char>(t.front()))) t.remove_prefix(1);
  while (!t.empty() && std::isspace(static_cast<unsigned char>(t.back()))) t.remove_suffix(1);
  size_t slash = t.find('/');
  bool ok = !t.empty() && t.size() <= 127 && slash != 0 && slash != std::string_view::npos &&
            slash + 1 < t.size() && t.find('/', slash + 1) == std::string_view::npos;
  for (unsigned char c : t) {
    if (c <= 0x20 || c >= 0x7f ||
        std::string_view("()<>@,;:\\\"[]?=").find(c) != std::string_view::npos) {
      ok = false;
    }
  }
  return ok ? Lower(t) : "application/octet-stream";
}

std::string TooLarge(int64_t max) {
  return "Message trop volumineux : il dépasse la taille maximale de " + SizeText(max) +
         ". Réduisez ou retirez des pièces jointes.";
}

}  // namespace

std::string PartBlobId(std::string_view message_blob_id, std::string_view part_id) {
  std::string out(message_blob_id);
  out += '_';
  for (char c : part_id) out += c == '.' ? '-' : c;
  return out;
}

bool ParsePartBlobId(std::string_view id, std::string* message_blob_id, std::string* part_id) {
  if (id.size() < 66 || id.size() > 64 + 1 + 64 || id[64] != '_') return false;
  if (!BlobStore::IsValidId(id.substr(0, 64))) return false;
  std::string part;
  for (char c : id.substr(65)) {
    if (c == '-') {
      if (part.empty() || part.back() == '.') return false;
      part += '.';
    } else if (std::isdigit(static_cast<unsigned char>(c))) {
      part += c;
    } else {
      return false;
    }
  }
  if (part.back() == '.') return false;
  *message_blob_id = std::string(id.substr(0, 64));
  *part_id = std::move(part);
  return true;
}

// ---------------------------------------------------------------------------
// Storing

Status MailService::EnsureBlob(std::string_view blob_id, std::string_view raw) {
  // Called under the write lock: no collection runs until the commit, so a file
  // seen now stays; one removed by an earlier collection is written again.
  if (blobs_.Exists(blob_id)) return OkStatus();
  return blobs_.Write(blob_id, raw, BlobStore::Durability::kSync);
}

Result<StoredMessage> MailService::StoreMessage(storage::Tx& tx, int64_t account_id,
                                                std::string_view blob_id, int64_t size,
                                                const ParsedMessage& parsed,
                                                const std::vector<int64_t>& mailbox_ids,
                                                uint32_t keywords, int64_t received_at) {
  CADUCE_TRY(AccountMailState st, EnsureAccount(tx, account_id));
  int64_t quota = st.quota_bytes > 0 ? st.quota_bytes : options_.default_quota_bytes;
  if (st.used_bytes + size > quota) {
    return ResourceExhaustedError(
        "La boîte est pleine (quota de " + MiB(quota) +
        " Mio atteint) : supprimez des messages, rien n'a été enregistré.");
  }
  if (mailbox_ids.empty()) return InvalidArgumentError("Dossiers : indiquez au moins un dossier.");
  for (int64_t mb : mailbox_ids) {
    CADUCE_TRY(auto found, repo_.FindMailbox(tx, account_id, mb));
    if (!found)
      return NotFoundError("Dossier : ce dossier n'existe pas dans cette boîte aux lettres.");
  }
  std::vector<std::string> ids;
  if (!parsed.message_id.empty()) ids.push_back(parsed.message_id);
  ids.insert(ids.end(), parsed.in_reply_to.begin(), parsed.in_reply_to.end());
  ids.insert(ids.end(), parsed.references.begin(), parsed.references.end());
  std::string base = BaseSubject(parsed.subject);
  CADUCE_TRY(int64_t m, repo_.NextModseq(tx, account_id, 1));
  CADUCE_TRY(int64_t thread, repo_.FindThread(tx, account_id, ids, base));
  if (thread == 0) {
    CADUCE_TRY(thread, repo_.InsertThread(tx, account_id, m));
  } else {
    CADUCE_RETURN_IF_ERROR(repo_.TouchThread(tx, thread, m));
  }
  NewEmail e;
  e.account_id = account_id;
  e.thread_id = thread;
  e.blob_id = std::string(blob_id);
  e.size = size;
  e.received_at = received_at;
  e.keywords = keywords;
  e.modseq = m;
  e.base_subject = base;
  e.parsed = &parsed;
  CADUCE_TRY(int64_t email_id, repo_.InsertEmail(tx, e));
  std::set<int64_t> unique(mailbox_ids.begin(), mailbox_ids.end());
  for (int64_t mb : unique) {
    CADUCE_RETURN_IF_ERROR(repo_.AddMembership(tx, email_id, mb));
    CADUCE_RETURN_IF_ERROR(repo_.TouchMailbox(tx, mb, m));
  }
  CADUCE_RETURN_IF_ERROR(repo_.AddUsedBytes(tx, account_id, size));
  CADUCE_RETURN_IF_ERROR(repo_.AddBlobRef(tx, blob_id, size, 1));
  return StoredMessage{email_id, thread, std::string(blob_id), size};
}

Result<StoredMessage> MailService::StoreNew(const MailActor& who, int64_t account_id,
                                            std::string_view raw, const NewMessage& where,
                                            Role default_role, uint32_t default_keywords,
                                            std::string_view action) {
  int64_t size = static_cast<int64_t>(raw.size());
  if (size > options_.max_message_bytes) {
    return ResourceExhaustedError(TooLarge(options_.max_message_bytes));
  }
  CADUCE_TRY(ParsedMessage parsed, ParseMessage(raw, limits_));
  std::string blob_id = BlobStore::IdOf(raw);
  CADUCE_RETURN_IF_ERROR(blobs_.Write(blob_id, raw, BlobStore::Durability::kSync));
  auto stored = [&]() -> Result<StoredMessage> {
    CADUCE_TRY(auto tx, db_.Begin(storage::TxMode::kWrite));
    CADUCE_TRY(AccountBrief account, CheckAccess(*tx, who, account_id));
    CADUCE_TRY(AccountMailState st, EnsureAccount(*tx, account_id));
    std::vector<int64_t> mailboxes = where.mailbox_ids;
    if (mailboxes.empty()) {
      CADUCE_TRY(int64_t mb, repo_.MailboxByRole(*tx, account_id, default_role));
      mailboxes.push_back(mb);
    }
    CADUCE_RETURN_IF_ERROR(EnsureBlob(blob_id, raw));
    uint32_t keywords = where.keywords != 0 ? where.keywords : default_keywords;
    CADUCE_TRY(StoredMessage s,
               StoreMessage(*tx, account_id, blob_id, size, parsed, mailboxes, keywords,
                            where.received_at.value_or(clock_.NowMicros())));
    if (IsShared(account)) {
      CADUCE_TRY(Email email, LoadEmail(*tx, who, account_id, s.email_id, st.seen_per_person));
      CADUCE_RETURN_IF_ERROR(Trace(*tx, who, account, email, action));
    }
    CADUCE_RETURN_IF_ERROR(tx->Commit());
    return s;
  }();
  if (!stored.ok()) {
    // A row without references lets the collection remove the file if nothing else
    // names it (best effort: the refusal is what the caller needs).
    if (auto tx = db_.Begin(storage::TxMode::kWrite); tx.ok()) {
      if (repo_.AddBlobRef(**tx, blob_id, size, 0).ok()) (void)(*tx)->Commit();
    }
  }
  return stored;
}

// ---------------------------------------------------------------------------
// Uploads and blobs

Result<Upload> MailService::UploadBlob(const MailActor& who, int64_t account_id,
                                       std::string_view type, std::string_view bytes) {
  int64_t size = static_cast<int64_t>(bytes.size());
  if (size > options_.max_upload_bytes) {
    return ResourceExhaustedError("Fichier trop volumineux : un dépôt est limité à " +
                                  SizeText(options_.max_upload_bytes) + ".");
  }
  {
    CADUCE_TRY(auto tx, db_.Begin(storage::TxMode::kRead));
    CADUCE_RETURN_IF_ERROR(CheckAccess(*tx, who, account_id));
  }
  Upload u;
  u.account_id = account_id;
  u.blob_id = BlobStore::IdOf(bytes);
  u.type = CleanType(type);
  u.size = size;
  u.person_id = who.person_id;
  u.created_at = clock_.NowMicros();
  u.expires_at = u.created_at + options_.upload_ttl_micros;
  CADUCE_RETURN_IF_ERROR(blobs_.Write(u.blob_id, bytes, BlobStore::Durability::kSync));
  CADUCE_TRY(auto tx, db_.Begin(storage::TxMode::kWrite));
  CADUCE_RETURN_IF_ERROR(CheckAccess(*tx, who, account_id));
  // Expired uploads are forgotten as new ones come (and by ExpireUploads).
  CADUCE_TRY(std::vector<Upload> expired, repo_.TakeExpiredUploads(*tx, u.created_at, 100));
  for (const Upload& old : expired) {
    CADUCE_RETURN_IF_ERROR(repo_.AddBlobRef(*tx, old.blob_id, old.size, -1));
  }
  CADUCE_RETURN_IF_ERROR(EnsureBlob(u.blob_id, bytes));
  CADUCE_TRY(bool added, repo_.PutUpload(*tx, u));
  CADUCE_RETURN_IF_ERROR(repo_.AddBlobRef(*tx, u.blob_id, size, added ? 1 : 0));
  CADUCE_RETURN_IF_ERROR(tx->Commit());
  return u;
}

Result<int> MailService::ExpireUploads() {
  CADUCE_TRY(auto tx, db_.Begin(storage::TxMode::kWrite));
  CADUCE_TRY(std::vector<Upload> expired, repo_.TakeExpiredUploads(*tx, clock_.NowMicros(), 1000));
  for (const Upload& old : expired) {
    CADUCE_RETURN_IF_ERROR(repo_.AddBlobRef(*tx, old.blob_id, old.size, -1));
  }
  CADUCE_RETURN_IF_ERROR(tx->Commit());
  return static_cast<int>(expired.size());
}

Result<MailService::UploadSweep> MailService::SweepUploads() {
  UploadSweep sweep;
  // Batches of 1,000 (ExpireUploads, CollectGarbage), so that the write lock is
  // held briefly each time and deliveries go on between batches.
  for (;;) {
    CADUCE_TRY(int n, ExpireUploads());
    sweep.uploads_expired += n;
    if (n < 1000) break;
  }
  for (;;) {
    CADUCE_TRY(int n, CollectGarbage());
    sweep.files_removed += n;
    if (n < 1000) break;
  }
  return sweep;
}

Result<MailService::BlobContent> MailService::ReadBlob(const MailActor& who, int64_t account_id,
                                                       std::string_view blob_id) {
  std::string message_blob, part_id;
  if (ParsePartBlobId(blob_id, &message_blob, &part_id)) {
    int64_t email_id = 0;
    {
      CADUCE_TRY(auto tx, db_.Begin(storage::TxMode::kRead));
      CADUCE_RETURN_IF_ERROR(CheckAccess(*tx, who, account_id));
      CADUCE_TRY(email_id, repo_.EmailWithBlob(*tx, account_id, message_blob));
    }
    if (email_id == 0) return NoBlob();
    auto part = DownloadAttachment(who, account_id, email_id, part_id);
    if (!part.ok() && part.status().code() == Code::kNotFound) return NoBlob();
    CADUCE_RETURN_IF_ERROR(part);
    return BlobContent{std::move(part->bytes), std::move(part->type), std::move(part->name)};
  }
  if (!BlobStore::IsValidId(blob_id)) return NoBlob();
  CADUCE_TRY(auto tx, db_.Begin(storage::TxMode::kWrite));
  CADUCE_TRY(AccountBrief account, CheckAccess(*tx, who, account_id));
  CADUCE_TRY(auto upload, repo_.FindUpload(*tx, account_id, blob_id));
  if (upload && upload->expires_at > clock_.NowMicros()) {
    CADUCE_TRY(std::string bytes, blobs_.Read(blob_id));
    return BlobContent{std::move(bytes), upload->type, ""};
  }
  CADUCE_TRY(int64_t email_id, repo_.EmailWithBlob(*tx, account_id, blob_id));
  if (email_id == 0) return NoBlob();
  CADUCE_TRY(AccountMailState st, EnsureAccount(*tx, account_id));
  CADUCE_TRY(Email email, LoadEmail(*tx, who, account_id, email_id, st.seen_per_person));
  CADUCE_TRY(std::string bytes, blobs_.Read(blob_id));
  CADUCE_RETURN_IF_ERROR(Trace(*tx, who, account, email, "opened"));
  CADUCE_RETURN_IF_ERROR(tx->Commit());
  return BlobContent{std::move(bytes), "message/rfc822", ""};
}

// ---------------------------------------------------------------------------
// Drafts and imports

Result<StoredMessage> MailService::CreateDraft(const MailActor& who, int64_t account_id,
                                               Draft draft, const NewMessage& where) {
  std::string domain;
  {
    CADUCE_TRY(auto tx, db_.Begin(storage::TxMode::kRead));
    CADUCE_TRY(AccountBrief account, CheckAccess(*tx, who, account_id));
    if (draft.from.empty()) draft.from.push_back({"", account.address});
    domain = account.address.substr(account.address.rfind('@') + 1);
    // Attachments: uploads of this account, or parts of its messages (a forward).
    int64_t total = 0;
    for (DraftAttachment& a : draft.attachments) {
      std::string message_blob, part_id;
      if (ParsePartBlobId(a.blob_id, &message_blob, &part_id)) {
        CADUCE_TRY(int64_t email_id, repo_.EmailWithBlob(*tx, account_id, message_blob));
        if (email_id == 0) {
          return NotFoundError("Pièce jointe : le fichier " + a.blob_id.substr(0, 140) +
                               " n'existe pas dans cette boîte aux lettres.");
        }
        CADUCE_TRY(std::string raw, blobs_.Read(message_blob));
        auto part = ExtractPart(raw, part_id, limits_);
        if (!part.ok()) {
          return NotFoundError("Pièce jointe : le fichier " + a.blob_id.substr(0, 140) +
                               " n'existe pas dans cette boîte aux lettres.");
        }
        a.bytes = std::move(part->bytes);
        if (a.type.empty()) a.type = part->type;
        if (a.name.empty()) a.name = part->name;
      } else {
        std::optional<Upload> upload;
        if (BlobStore::IsValidId(a.blob_id)) {
          CADUCE_TRY(upload, repo_.FindUpload(*tx, account_id, a.blob_id));
        }
        if (!upload || upload->expires_at <= clock_.NowMicros()) {
          return NotFoundError("Pièce jointe : le fichier " + a.blob_id.substr(0, 140) +
                               " n'existe pas dans cette boîte aux lettres (ou son dépôt a "
                               "expiré) : déposez-le à nouveau.");
        }
        total += upload->size;
        if (total > options_.max_message_bytes) {
          return ResourceExhaustedError(TooLarge(options_.max_message_bytes));
        }
        CADUCE_TRY(a.bytes, blobs_.Read(a.blob_id));
        if (a.type.empty()) a.type = upload->type;
      }
    }
  }
  ComposeOptions co;
  co.domain = domain;
  co.now_micros = clock_.NowMicros();
  co.max_message_bytes = static_cast<size_t>(options_.max_message_bytes);
  CADUCE_TRY(std::string raw, ComposeMessage(draft, co));
  return StoreNew(who, account_id, raw, where, Role::kDrafts, kDraft | kSeen, "drafted");
}

Result<StoredMessage> MailService::Import(const MailActor& who, int64_t account_id,
                                          std::string_view blob_id, const NewMessage& where) {
  std::string raw;
  {
    CADUCE_TRY(auto tx, db_.Begin(storage::TxMode::kRead));
    CADUCE_RETURN_IF_ERROR(CheckAccess(*tx, who, account_id));
    if (!BlobStore::IsValidId(blob_id)) return NoBlob();
    CADUCE_TRY(auto upload, repo_.FindUpload(*tx, account_id, blob_id));
    bool usable = upload && upload->expires_at > clock_.NowMicros();
    if (!usable) {
      CADUCE_TRY(int64_t email_id, repo_.EmailWithBlob(*tx, account_id, blob_id));
      usable = email_id != 0;
    }
    if (!usable) return NoBlob();
    if (upload && upload->size > options_.max_message_bytes) {
      return ResourceExhaustedError(TooLarge(options_.max_message_bytes));
    }
    CADUCE_TRY(raw, blobs_.Read(blob_id));
  }
  return StoreNew(who, account_id, raw, where, Role::kInbox, 0, "imported");
}

// ---------------------------------------------------------------------------
// Sending

Result<Submission> MailService::Submit(const MailActor& who, int64_t account_id,
                                       const SubmissionRequest& req,
                                       std::vector<std::string>* invalid_recipients) {
  Submission sub;
  std::string raw;
  std::vector<std::pair<int64_t, std::string>> local;
  std::vector<std::string> outside;
  bool adds_sender = false;
  {
    CADUCE_TRY(auto tx, db_.Begin(storage::TxMode::kRead));
    CADUCE_TRY(AccountBrief account, CheckAccess(*tx, who, account_id));
    bool created = false;
    CADUCE_TRY(AccountMailState st, repo_.EnsureAccount(*tx, account_id, &created));
    CADUCE_TRY(Email email, LoadEmail(*tx, who, account_id, req.email_id, st.seen_per_person));
    CADUCE_TRY(raw, blobs_.Read(email.blob_id));

    // From: only the account's own addresses (RFC 8621 §7.5 forbiddenFrom).
    auto own = [&](std::string_view address) -> Result<bool> {
      std::string a = NormaliseAddress(address);
      if (a.empty()) return false;
      CADUCE_TRY(int64_t id, repo_.ResolveLocalAddress(*tx, a));
      return id == account_id;
    };
    std::string forbidden =
        "De : depuis cette boîte aux lettres, un message part avec son adresse " + account.address +
        " ; corrigez l'expéditeur.";
    if (email.from.empty()) return PermissionDeniedError(forbidden);
    for (const EmailAddress& f : email.from) {
      CADUCE_TRY(bool mine, own(f.email));
      if (!mine) return PermissionDeniedError(forbidden);
    }
    // Sender: names the account or the person who sends, nobody else.
    for (const EmailAddress& f : email.sender) {
      CADUCE_TRY(bool mine, own(f.email));
      if (!mine && NormaliseAddress(f.email) != NormaliseAddress(who.address)) {
        return PermissionDeniedError("Expéditeur (Sender) : seule votre adresse " + who.address +
                                     " ou celle de la boîte aux lettres peut y figurer.");
      }
    }
    sub.mail_from = req.mail_from ? NormaliseAddress(*req.mail_from) : account.address;
    if (req.mail_from) {
      CADUCE_TRY(bool mine, own(*req.mail_from));
      if (!mine) return PermissionDeniedError(forbidden);
    }

    // Recipients: the envelope, or To, Cc and Bcc.
    std::vector<std::string> rcpts;
    if (req.rcpt_to) {
      rcpts = *req.rcpt_to;
    } else {
      for (const auto* list : {&email.to, &email.cc, &email.bcc}) {
        for (const EmailAddress& a : *list) rcpts.push_back(a.email);
      }
    }
    if (rcpts.empty()) {
      return InvalidArgumentError("Destinataires : indiquez au moins une adresse (À, Cc ou Cci).");
    }
    if (rcpts.size() > 1000) {
      return InvalidArgumentError("Destinataires : pas plus de 1000 adresses par message.");
    }
    std::set<int64_t> seen_accounts;
    std::set<std::string> seen_outside;
    std::vector<std::string> invalid;
    for (const std::string& r : rcpts) {
      std::string addr = NormaliseAddress(r);
      if (addr.empty()) {
        invalid.push_back(r.substr(0, 254));
        continue;
      }
      CADUCE_TRY(int64_t target, repo_.ResolveLocalAddress(*tx, addr));
      if (target != 0) {
        if (seen_accounts.insert(target).second) local.emplace_back(target, addr);
        continue;
      }
      std::string domain = addr.substr(addr.rfind('@') + 1);
      bool local_domain = std::find(options_.local_domains.begin(), options_.local_domains.end(),
                                    domain) != options_.local_domains.end();
      if (!local_domain) {
        CADUCE_TRY(local_domain, repo_.IsStructureDomain(*tx, domain));
      }
      if (local_domain) {
        invalid.push_back(addr);
      } else if (seen_outside.insert(addr).second) {
        outside.push_back(addr);
      }
    }
    if (!invalid.empty()) {
      std::string names;
      for (const std::string& a : invalid) names += (names.empty() ? "" : ", ") + a;
      if (invalid_recipients != nullptr) *invalid_recipients = invalid;
      return FailedPreconditionError("Destinataire inconnu : " + names +
                                     " n'existe pas dans caduce (ou l'adresse est mal formée). "
                                     "Vérifiez l'adresse.");
    }
    if (IsShared(account)) {
      CADUCE_TRY(adds_sender, repo_.StructureAddsSender(*tx, account.structure_id));
    }
    sub.account_id = account_id;
    sub.email_id = email.id;
    sub.thread_id = email.thread_id;
  }

  // What recipients get: Bcc removed, Sender: naming the person when asked for.
  std::string prepend;
  if (adds_sender) {
    CADUCE_TRY(prepend, SenderHeaderLine({"", who.address}));
  }
  std::string out = PrepareForSending(raw, prepend);
  int64_t size = static_cast<int64_t>(out.size());
  if (size > options_.max_message_bytes) {
    return ResourceExhaustedError(TooLarge(options_.max_message_bytes));
  }
  CADUCE_TRY(ParsedMessage parsed, ParseMessage(out, limits_));
  std::string out_id = BlobStore::IdOf(out);
  CADUCE_RETURN_IF_ERROR(blobs_.Write(out_id, out, BlobStore::Durability::kSync));

  auto sent = [&]() -> Result<Submission> {
    CADUCE_TRY(auto tx, db_.Begin(storage::TxMode::kWrite));
    // Checked again under the write lock: a right revoked meanwhile stops here.
    CADUCE_TRY(AccountBrief account, CheckAccess(*tx, who, account_id));
    CADUCE_TRY(AccountMailState st, EnsureAccount(*tx, account_id));
    CADUCE_TRY(Email email, LoadEmail(*tx, who, account_id, req.email_id, st.seen_per_person));
    CADUCE_RETURN_IF_ERROR(EnsureBlob(out_id, out));
    int64_t now = clock_.NowMicros();
    for (const auto& [target, addr] : local) {
      CADUCE_RETURN_IF_ERROR(EnsureAccount(*tx, target));
      CADUCE_TRY(int64_t inbox, repo_.MailboxByRole(*tx, target, Role::kInbox));
      auto s = StoreMessage(*tx, target, out_id, size, parsed, {inbox}, 0, now);
      if (!s.ok() && s.status().code() == Code::kResourceExhausted) {
        return ResourceExhaustedError("La boîte de " + addr +
                                      " est pleine : le message n'est pas envoyé.");
      }
      CADUCE_RETURN_IF_ERROR(s);
      sub.recipients.push_back({addr, true});
    }
    for (const std::string& rcpt : outside) {
      OutboundItem item;
      item.blob_id = out_id;
      item.mail_from = sub.mail_from;
      item.rcpt_to = rcpt;
      item.state = "pending";
      item.created_at = now;
      CADUCE_RETURN_IF_ERROR(repo_.EnqueueOutbound(*tx, item));
      CADUCE_RETURN_IF_ERROR(repo_.AddBlobRef(*tx, out_id, size, 1));
      sub.recipients.push_back({rcpt, false});
    }
    CADUCE_TRY(int64_t m, repo_.NextModseq(*tx, account_id, 1));
    sub.person_id = who.person_id;
    sub.person = who.address;
    sub.identity_id = req.identity_id;
    sub.send_at = now;
    sub.modseq = m;
    CADUCE_TRY(sub.id, repo_.InsertSubmission(*tx, sub));

    if (req.file_in_sent) {
      CADUCE_TRY(int64_t sent_box, repo_.MailboxByRole(*tx, account_id, Role::kSent));
      for (int64_t mb : email.mailbox_ids) {
        if (mb == sent_box) continue;
        CADUCE_RETURN_IF_ERROR(repo_.RemoveMembership(*tx, email.id, mb));
        CADUCE_RETURN_IF_ERROR(repo_.TouchMailbox(*tx, mb, m));
      }
      if (std::find(email.mailbox_ids.begin(), email.mailbox_ids.end(), sent_box) ==
          email.mailbox_ids.end()) {
        CADUCE_RETURN_IF_ERROR(repo_.AddMembership(*tx, email.id, sent_box));
        CADUCE_RETURN_IF_ERROR(repo_.TouchMailbox(*tx, sent_box, m));
      }
      CADUCE_TRY(auto shared, repo_.GetEmails(*tx, account_id, {email.id}, 0, false));
      CADUCE_RETURN_IF_ERROR(
          repo_.SetKeywords(*tx, email.id, (shared.front().keywords & ~kDraft) | kSeen, m));
      CADUCE_RETURN_IF_ERROR(repo_.TouchEmail(*tx, email.id, m));
      CADUCE_RETURN_IF_ERROR(repo_.TouchThread(*tx, email.thread_id, m));
    }
    JsonObject detail;
    detail.Add("submission", sub.id);
    detail.Add("local_recipients", static_cast<int64_t>(local.size()));
    detail.Add("outside_recipients", static_cast<int64_t>(outside.size()));
    CADUCE_RETURN_IF_ERROR(Trace(*tx, who, account, email, "sent", detail.str()));

    // The account's messages it answers get $answered (RFC 8621 §4.1.1).
    for (const std::string& id : parsed.in_reply_to) {
      CADUCE_TRY(std::vector<int64_t> answered, repo_.EmailsWithMessageId(*tx, account_id, id));
      for (int64_t a : answered) {
        if (a == email.id) continue;
        CADUCE_TRY(auto shared, repo_.GetEmails(*tx, account_id, {a}, 0, false));
        if (shared.empty() || (shared.front().keywords & kAnswered)) continue;
        CADUCE_RETURN_IF_ERROR(repo_.SetKeywords(*tx, a, shared.front().keywords | kAnswered, m));
        CADUCE_RETURN_IF_ERROR(repo_.TouchThread(*tx, shared.front().thread_id, m));
        CADUCE_RETURN_IF_ERROR(Trace(*tx, who, account, shared.front(), "answered"));
      }
    }
    CADUCE_RETURN_IF_ERROR(tx->Commit());
    return sub;
  }();
  if (!sent.ok()) {
    if (auto tx = db_.Begin(storage::TxMode::kWrite); tx.ok()) {
      if (repo_.AddBlobRef(**tx, out_id, size, 0).ok()) (void)(*tx)->Commit();
    }
  }
  return sent;
}

Result<std::vector<Submission>> MailService::Submissions(const MailActor& who, int64_t account_id,
                                                         const std::vector<int64_t>& ids) {
  CADUCE_TRY(auto tx, db_.Begin(storage::TxMode::kRead));
  CADUCE_RETURN_IF_ERROR(CheckAccess(*tx, who, account_id));
  return repo_.GetSubmissions(*tx, account_id, ids, 500);
}

Result<Changes> MailService::SubmissionChanges(const MailActor& who, int64_t account_id,
                                               int64_t since, int64_t max_changes) {
  if (max_changes <= 0) max_changes = 1000;
  CADUCE_TRY(auto tx, db_.Begin(storage::TxMode::kRead));
  CADUCE_RETURN_IF_ERROR(CheckAccess(*tx, who, account_id));
  bool created = false;
  CADUCE_TRY(AccountMailState st, repo_.EnsureAccount(*tx, account_id, &created));
  // Submissions are kept for good and never change: no tombstone horizon applies.
  if (since < 0 || since > st.modseq) {
    return FailedPreconditionError(
        "Cet état est inconnu ou trop ancien : rechargez la boîte aux lettres.");
  }
  CADUCE_TRY(auto rows, repo_.SubmissionsSince(*tx, account_id, since,
                                               static_cast<int>(max_changes) + 1));
  Changes c;
  c.old_state = since;
  c.new_state = st.modseq;
  if (static_cast<int64_t>(rows.size()) > max_changes) {
    // Each submission has its own modseq, so a page ends at a whole state.
    rows.resize(static_cast<size_t>(max_changes));
    c.has_more = true;
    c.new_state = rows.back().first;
  }
  for (const auto& row : rows) c.created.push_back(row.second);
  return c;
}

namespace {

// Whether `actor` administers `structure_id`, as directory::DirectoryService::ScopeOf
// decides it, read again inside the caller's write transaction.
Result<bool> Administers(storage::Tx& tx, directory::DirectoryRepository& dir,
                         const directory::Actor& actor, int64_t structure_id) {
  using Kind = directory::Actor::Kind;
  if (actor.kind == Kind::kSystem) return true;
  if (actor.kind == Kind::kOperator && actor.person_id == 0) return true;
  if (actor.person_id <= 0) return false;
  CADUCE_TRY(bool is_operator, dir.IsOperator(tx, actor.person_id));
  if (is_operator) return true;
  CADUCE_TRY(std::vector<int64_t> ids, dir.StructuresAdministeredBy(tx, actor.person_id));
  return std::find(ids.begin(), ids.end(), structure_id) != ids.end();
}

}  // namespace

Status MailService::SetStructureAddsSender(const directory::Actor& actor, int64_t structure_id,
                                           bool adds) {
  CADUCE_TRY(auto tx, db_.Begin(storage::TxMode::kWrite));
  CADUCE_TRY(bool allowed, Administers(*tx, dir_, actor, structure_id));
  if (!allowed) {
    return PermissionDeniedError(
        "Vous n'administrez pas cette structure : demandez à l'un de ses administrateurs ou à "
        "l'opérateur.");
  }
  CADUCE_TRY(bool before, repo_.StructureAddsSender(*tx, structure_id));
  CADUCE_RETURN_IF_ERROR(repo_.SetStructureAddsSender(*tx, structure_id, adds));
  if (before == adds) return OkStatus();  // nothing changed: nothing to trace
  audit::Event ev;
  ev.actor_person_id = actor.person_id;
  ev.actor = actor.label;
  ev.action = "structure.updated";
  ev.object = "structure:" + std::to_string(structure_id);
  ev.ip = actor.ip;
  JsonObject change;
  change.Add("before", before).Add("after", adds);
  JsonObject d;
  d.AddRaw("mail_adds_sender", change.str());
  if (!actor.user_agent.empty()) d.Add("user_agent", actor.user_agent);
  ev.detail = d.str();
  CADUCE_RETURN_IF_ERROR(audit_.Append(*tx, std::move(ev)));
  return tx->Commit();
}

Result<bool> MailService::StructureAddsSender(int64_t structure_id) {
  CADUCE_TRY(auto tx, db_.Begin(storage::TxMode::kRead));
  return repo_.StructureAddsSender(*tx, structure_id);
}

}  // namespace caduce::mail
