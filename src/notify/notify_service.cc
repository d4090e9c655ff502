// The mail queue's rules and its delivery worker (see notify_service.h).
#include "notify/notify_service.h"

#include <algorithm>
#include <chrono>
#include <string>
#include <utility>

#include "auth/tokens.h"
#include "base/json.h"
#include "base/text.h"
#include "directory/fields.h"
#include "notify/templates.h"

namespace caduce::notify {
namespace {

constexpr int64_t kMicros = 1000000;
constexpr int64_t kHour = 3600 * kMicros;

auth::TokenPurpose PurposeOf(MailKind kind) {
  return kind == MailKind::kActivation ? auth::TokenPurpose::kActivate
                                       : auth::TokenPurpose::kReset;
}

std::string_view KindLabel(MailKind kind) {
  return kind == MailKind::kActivation ? "d'activation" : "de réinitialisation";
}

// Client-supplied text for the trail: printable ASCII, bounded.
std::string Printable(std::string_view s, size_t max = 256) {
  std::string out;
  for (char c : s) {
    if (out.size() >= max) break;
    out.push_back(c >= 0x20 && c <= 0x7e ? c : '?');
  }
  return out;
}

std::string AccountObject(int64_t id) { return "account:" + std::to_string(id); }

// Why an intent can no longer be delivered, or "" when it can.
std::string CancelReason(const std::optional<auth::Credentials>& c, MailKind kind) {
  if (!c) return "compte supprimé";
  if (!directory::IsNominative(c->type)) return "boîte organisationnelle ou applicative";
  if (c->status == directory::AccountStatus::kDisabled) return "compte désactivé";
  if (kind == MailKind::kActivation && c->status == directory::AccountStatus::kActive) {
    return "compte déjà activé";
  }
  return "";
}

}  // namespace

std::string_view MailKindName(MailKind kind) {
  return kind == MailKind::kActivation ? "activation" : "reset";
}

std::optional<MailKind> MailKindFromName(std::string_view name) {
  if (name == "activation") return MailKind::kActivation;
  if (name == "reset") return MailKind::kReset;
  return std::nullopt;
}

std::string_view IntentStateName(IntentState state) {
  switch (state) {
    case IntentState::kPending:
      return "pending";
    case IntentState::kSent:
      return "sent";
    case IntentState::kFailed:
      return "failed";
    case IntentState::kCancelled:
      return "cancelled";
  }
  return "pending";
}

Result<std::unique_ptr<NotifyService>> NotifyService::Create(
    storage::Database& db, NotifyRepository& repo, auth::AuthRepository& auth_repo,
    directory::DirectoryRepository& directory, audit::AuditLog& audit,
    auth::SignInService& sign_in, Mailer& mailer, const Clock& clock, NotifyOptions options) {
  CADUCE_TRY(MailAddress from, ParseMailAddress(options.mail_from));
  std::string_view url = options.public_url;
  bool scheme = url.rfind("http://", 0) == 0 || url.rfind("https://", 0) == 0;
  bool clean = !url.empty() && text::IsValidUtf8(url) && !text::HasControlChars(url) &&
               url.find_first_of(" #?\"<>") == std::string_view::npos;
  if (!scheme || !clean) {
    return InvalidArgumentError("public_url « " + Printable(url) +
                                " » : écrivez l'adresse de l'interface web, par exemple "
                                "https://messagerie.exemple.fr.");
  }
  if (options.max_attempts < 1 || options.retry_base_seconds < 1 || options.poll_seconds < 1 ||
      options.batch < 1 || options.lease_seconds < 1) {
    return InvalidArgumentError("Réglages de la file des courriels invalides (valeurs ≥ 1).");
  }
  return std::unique_ptr<NotifyService>(new NotifyService(db, repo, auth_repo, directory, audit,
                                                          sign_in, mailer, clock,
                                                          std::move(options), std::move(from)));
}

NotifyService::NotifyService(storage::Database& db, NotifyRepository& repo,
                             auth::AuthRepository& auth_repo,
                             directory::DirectoryRepository& directory, audit::AuditLog& audit,
                             auth::SignInService& sign_in, Mailer& mailer, const Clock& clock,
                             NotifyOptions options, MailAddress from)
    : db_(db),
      repo_(repo),
      auth_repo_(auth_repo),
      directory_(directory),
      audit_(audit),
      sign_in_(sign_in),
      mailer_(mailer),
      clock_(clock),
      options_(std::move(options)),
      from_(std::move(from)) {}

NotifyService::~NotifyService() { Stop(); }

void NotifyService::Log(const std::string& line) const {
  if (options_.log) options_.log(line);
}

// ---- Queueing ----------------------------------------------------------------------

Status NotifyService::QueueActivation(storage::Tx& tx, int64_t account_id, const QueuedBy& by) {
  CADUCE_TRY(std::optional<auth::Credentials> account,
             auth_repo_.FindCredentialsById(tx, account_id));
  if (!account) return NotFoundError("Ce compte n'existe pas.");
  if (!directory::IsNominative(account->type)) {
    return FailedPreconditionError(
        "Une boîte organisationnelle ou applicative ne reçoit pas de lien d'activation : seules "
        "les personnes (PER, INT, MED) choisissent un mot de passe.");
  }
  if (account->status == directory::AccountStatus::kDisabled) {
    return FailedPreconditionError(
        "Ce compte est désactivé : réactivez-le avant d'envoyer le lien d'activation.");
  }
  if (account->status == directory::AccountStatus::kActive) {
    return FailedPreconditionError(
        "Ce compte est déjà activé : la personne peut utiliser « Mot de passe oublié ? ».");
  }
  CADUCE_TRY(bool pending, repo_.HasPending(tx, account_id, MailKind::kActivation));
  if (pending) return OkStatus();
  int64_t now = clock_.NowMicros();
  CADUCE_TRY(int64_t id, repo_.Enqueue(tx, account_id, MailKind::kActivation, now));
  audit::Event e;
  e.actor_person_id = by.person_id;
  e.actor = by.label;
  e.mailbox_id = account_id;
  e.action = "mail.queued";
  e.object = AccountObject(account_id);
  e.ip = Printable(by.ip);
  JsonObject d;
  d.Add("kind", MailKindName(MailKind::kActivation)).Add("notification", id);
  if (!by.user_agent.empty()) d.Add("user_agent", Printable(by.user_agent));
  e.detail = d.str();
  return audit_.Append(tx, std::move(e)).status();
}

Status NotifyService::QueueActivation(int64_t account_id, const QueuedBy& by) {
  CADUCE_TRY(auto tx, db_.Begin(storage::TxMode::kWrite));
  CADUCE_RETURN_IF_ERROR(QueueActivation(*tx, account_id, by));
  CADUCE_RETURN_IF_ERROR(tx->Commit());
  Wake();
  return OkStatus();
}

Status NotifyService::RequestReset(std::string_view address, std::string_view ip,
                                   std::string_view user_agent) {
  std::string key = text::ToLowerAscii(text::Trim(address));
  std::string ip_key = Printable(ip, 64);
  int64_t now = clock_.NowMicros();
  bool queued = false;
  {
    CADUCE_TRY(auto tx, db_.Begin(storage::TxMode::kWrite));
    // Written for every request, known address or not: both answers cost one
    // committed write, so their time does not tell them apart.
    CADUCE_TRY(int64_t from_ip, repo_.CountResetRequests(*tx, ip_key, now - kHour));
    CADUCE_RETURN_IF_ERROR(repo_.RecordResetRequest(*tx, ip_key, now, now - kHour));
    CADUCE_TRY(std::optional<auth::Credentials> account, auth_repo_.FindCredentials(*tx, key));
    bool eligible = account && directory::IsNominative(account->type) &&
                    account->status != directory::AccountStatus::kDisabled &&
                    from_ip < options_.resets_per_ip_per_hour;
    if (eligible) {
      CADUCE_TRY(int64_t recent,
                 repo_.CountSince(*tx, account->account_id, MailKind::kReset, now - kHour));
      CADUCE_TRY(bool pending, repo_.HasPending(*tx, account->account_id, MailKind::kReset));
      eligible = recent < options_.resets_per_account_per_hour && !pending;
    }
    if (eligible) {
      CADUCE_TRY(int64_t id, repo_.Enqueue(*tx, account->account_id, MailKind::kReset, now));
      audit::Event e;
      e.actor = "anonymous";
      e.mailbox_id = account->account_id;
      e.action = "auth.reset_requested";
      e.object = AccountObject(account->account_id);
      e.ip = Printable(ip);
      JsonObject d;
      d.Add("notification", id);
      if (!user_agent.empty()) d.Add("user_agent", Printable(user_agent));
      e.detail = d.str();
      CADUCE_RETURN_IF_ERROR(audit_.Append(*tx, std::move(e)));
      queued = true;
    }
    CADUCE_RETURN_IF_ERROR(tx->Commit());
  }
  if (queued) Wake();
  return OkStatus();
}

// ---- Delivering --------------------------------------------------------------------

Result<DeliveryCounts> NotifyService::DeliverDue(int64_t max) {
  std::lock_guard<std::mutex> pass(deliver_mu_);
  DeliveryCounts counts;
  int64_t done = 0;
  while (max == 0 || done < max) {
    int64_t want = max == 0 ? options_.batch : std::min(options_.batch, max - done);
    std::vector<Intent> due;
    {
      CADUCE_TRY(auto tx, db_.Begin(storage::TxMode::kRead));
      CADUCE_TRY(due, repo_.Due(*tx, clock_.NowMicros(), want));
    }
    if (due.empty()) break;
    for (const Intent& intent : due) {
      CADUCE_TRY(Outcome o, DeliverOne(intent));
      switch (o) {
        case Outcome::kSent: ++counts.sent; break;
        case Outcome::kRetried: ++counts.retried; break;
        case Outcome::kFailed: ++counts.failed; break;
        case Outcome::kCancelled: ++counts.cancelled; break;
        case Outcome::kSkipped: ++counts.skipped; break;
      }
      ++done;
      std::lock_guard<std::mutex> lock(mu_);
      if (stopping_) return counts;
    }
    if (static_cast<int64_t>(due.size()) < want) break;
  }
  return counts;
}

Status NotifyService::EndIntent(const Intent& intent, IntentState state, std::string_view reason,
                                int64_t attempts) {
  int64_t now = clock_.NowMicros();
  CADUCE_TRY(auto tx, db_.Begin(storage::TxMode::kWrite));
  CADUCE_RETURN_IF_ERROR(repo_.MarkDone(*tx, intent.id, state, now, reason));
  CADUCE_RETURN_IF_ERROR(repo_.VoidTokens(*tx, intent.account_id, PurposeOf(intent.kind), now));
  audit::Event e;
  e.actor = "caduce";
  e.mailbox_id = intent.account_id;
  e.action = state == IntentState::kFailed ? "mail.failed" : "mail.cancelled";
  e.object = AccountObject(intent.account_id);
  JsonObject d;
  d.Add("kind", MailKindName(intent.kind))
      .Add("notification", intent.id)
      .Add("attempts", attempts)
      .Add("reason", Printable(reason, 300));
  e.detail = d.str();
  CADUCE_RETURN_IF_ERROR(audit_.Append(*tx, std::move(e)));
  return tx->Commit();
}

Result<NotifyService::Outcome> NotifyService::DeliverOne(const Intent& intent) {
  const auth::AuthOptions& auth_options = sign_in_.options();
  int64_t lifetime = intent.kind == MailKind::kActivation ? auth_options.activation_seconds
                                                          : auth_options.reset_seconds;
  int64_t now = clock_.NowMicros();
  int64_t attempts = intent.attempts + 1;
  MailContext context;
  context.kind = intent.kind;
  context.validity_seconds = lifetime;
  context.expires_at = now + lifetime * kMicros;
  std::string cancel;
  {
    CADUCE_TRY(auto tx, db_.Begin(storage::TxMode::kWrite));
    CADUCE_TRY(bool claimed,
               repo_.Claim(*tx, intent.id, now, now + options_.lease_seconds * kMicros));
    if (!claimed) {
      CADUCE_RETURN_IF_ERROR(tx->Commit());
      return Outcome::kSkipped;
    }
    CADUCE_TRY(std::optional<auth::Credentials> account,
               auth_repo_.FindCredentialsById(*tx, intent.account_id));
    cancel = CancelReason(account, intent.kind);
    if (cancel.empty()) {
      context.prenom = account->prenom;
      context.nom = account->nom;
      context.address = account->address;
      CADUCE_TRY(std::optional<directory::AccountBrief> brief,
                 directory_.FindAccountBrief(*tx, intent.account_id));
      if (brief) {
        CADUCE_TRY(std::optional<directory::Structure> s,
                   directory_.FindStructure(*tx, brief->structure_id));
        if (s) context.structure = s->name;
      }
      // A new link voids the unused ones of earlier mails of the same purpose.
      auth::TokenPurpose purpose = PurposeOf(intent.kind);
      CADUCE_RETURN_IF_ERROR(repo_.VoidTokens(*tx, intent.account_id, purpose, now));
      CADUCE_TRY(auth::NewToken token, auth::GenerateToken());
      auth::TokenRecord record;
      record.hash = token.hash;
      record.account_id = intent.account_id;
      record.purpose = purpose;
      record.created_at = now;
      record.expires_at = context.expires_at;
      CADUCE_RETURN_IF_ERROR(auth_repo_.InsertToken(*tx, record));
      context.link = LinkFor(options_.public_url, intent.kind, token.text);
    }
    CADUCE_RETURN_IF_ERROR(tx->Commit());
  }
  if (!cancel.empty()) {
    CADUCE_RETURN_IF_ERROR(EndIntent(intent, IntentState::kCancelled, cancel, attempts));
    Log("courriel " + std::string(KindLabel(intent.kind)) + " n°" + std::to_string(intent.id) +
        " annulé : " + cancel + ".");
    return Outcome::kCancelled;
  }

  MailMessage message = BuildMail(context, from_);
  if (!options_.html_part) message.html.clear();
  message.date_micros = now;
  Result<std::string> data = RenderMessage(message);
  Result<std::string> sent = data.status();
  if (data.ok()) {
    Outgoing out;
    out.from = from_.address;
    out.to = context.address;
    out.data = std::move(*data);
    out.id = intent.id;
    out.at = now;
    sent = mailer_.Send(out);
  }
  std::string who = std::string(KindLabel(intent.kind)) + " pour " + context.address + " (n°" +
                    std::to_string(intent.id) + ")";
  if (sent.ok() && mailer_.IsOutbox()) {
    // Development mode (no relay): the link goes to the log so that it can be followed.
    Log("courriel " + who + " écrit dans " + *sent + " ; lien : " + context.link);
  } else if (sent.ok()) {
    Log("courriel " + who + " remis au " + *sent + ".");
  }
  // Wiped as soon as the mail is out: the link exists nowhere else in clear.
  std::fill(context.link.begin(), context.link.end(), '\0');

  int64_t end = clock_.NowMicros();
  if (sent.ok()) {
    CADUCE_TRY(auto tx, db_.Begin(storage::TxMode::kWrite));
    CADUCE_RETURN_IF_ERROR(repo_.MarkSent(*tx, intent.id, end));
    audit::Event e;
    e.actor = "caduce";
    e.mailbox_id = intent.account_id;
    e.action = "mail.sent";
    e.object = AccountObject(intent.account_id);
    JsonObject d;
    d.Add("kind", MailKindName(intent.kind))
        .Add("notification", intent.id)
        .Add("attempts", attempts)
        .Add("link_expires_at", FormatRfc3339(context.expires_at));
    e.detail = d.str();
    CADUCE_RETURN_IF_ERROR(audit_.Append(*tx, std::move(e)));
    CADUCE_RETURN_IF_ERROR(tx->Commit());
    return Outcome::kSent;
  }

  const Status& st = sent.status();
  bool permanent = st.code() != Code::kUnavailable;
  if (permanent || attempts >= options_.max_attempts) {
    std::string reason = permanent ? st.message()
                                   : st.message() + " (abandon après " +
                                         std::to_string(attempts) + " essais)";
    CADUCE_RETURN_IF_ERROR(EndIntent(intent, IntentState::kFailed, reason, attempts));
    Log("courriel " + who + " abandonné : " + reason);
    return Outcome::kFailed;
  }
  int64_t delay = options_.retry_base_seconds;
  for (int64_t i = 1; i < attempts && delay < options_.retry_max_seconds; ++i) delay *= 2;
  delay = std::min(delay, options_.retry_max_seconds);
  {
    CADUCE_TRY(auto tx, db_.Begin(storage::TxMode::kWrite));
    CADUCE_RETURN_IF_ERROR(repo_.MarkRetry(*tx, intent.id, end + delay * kMicros, st.message()));
    CADUCE_RETURN_IF_ERROR(tx->Commit());
  }
  Log("courriel " + who + " reporté (essai " + std::to_string(attempts) + " sur " +
      std::to_string(options_.max_attempts) + ", nouvel essai dans " + ValidityText(delay) +
      ") : " + st.message());
  return Outcome::kRetried;
}

void NotifyService::Start() {
  std::lock_guard<std::mutex> lock(mu_);
  if (worker_.joinable()) return;
  stopping_ = false;
  mailer_.SetAborting(false);
  worker_ = std::thread([this] { Run(); });
}

void NotifyService::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  mailer_.SetAborting(true);
  cv_.notify_all();
  if (worker_.joinable()) worker_.join();
}

void NotifyService::Wake() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    wake_ = true;
  }
  cv_.notify_all();
}

void NotifyService::Run() {
  for (;;) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stopping_) return;
      wake_ = false;
    }
    Result<DeliveryCounts> r = DeliverDue();
    if (!r.ok()) Log("file des courriels : " + r.status().message());
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait_for(lock, std::chrono::seconds(options_.poll_seconds),
                 [this] { return stopping_ || wake_; });
    if (stopping_) return;
  }
}

// ---- Links -------------------------------------------------------------------------

Result<LinkInfo> NotifyService::InspectLink(std::string_view token) {
  std::optional<auth::TokenHash> hash = auth::HashOfToken(token);
  if (!hash) return NotFoundError(std::string(kBadLinkMessage));
  CADUCE_TRY(auto tx, db_.Begin(storage::TxMode::kRead));
  CADUCE_TRY(std::optional<auth::TokenRecord> record, auth_repo_.FindToken(*tx, *hash));
  if (!record || record->used_at != 0 || clock_.NowMicros() >= record->expires_at) {
    return NotFoundError(std::string(kBadLinkMessage));
  }
  CADUCE_TRY(std::optional<auth::Credentials> account,
             auth_repo_.FindCredentialsById(*tx, record->account_id));
  if (!account || account->status == directory::AccountStatus::kDisabled) {
    return NotFoundError(std::string(kBadLinkMessage));
  }
  LinkInfo info;
  info.purpose = record->purpose;
  info.address = account->address;
  info.expires_at = record->expires_at;
  return info;
}

Status NotifyService::SetPasswordWithLink(auth::TokenPurpose purpose, std::string_view token,
                                          std::string_view password, std::string_view ip,
                                          std::string_view user_agent) {
  Result<LinkInfo> link = InspectLink(token);
  if (!link.ok()) {
    if (link.status().code() == Code::kNotFound) {
      return FailedPreconditionError(std::string(kBadLinkMessage));
    }
    return link.status();
  }
  if (link->purpose != purpose) return FailedPreconditionError(std::string(kBadLinkMessage));
  Status st = sign_in_.SetPassword(token, password, ip, user_agent);
  // The link was usable a moment ago: an invalid argument now is the password
  // policy; a link used or expired meanwhile (a race) is kFailedPrecondition already.
  return st;
}

// ---- Queue administration ------------------------------------------------------------

Result<std::vector<Intent>> NotifyService::List(const IntentFilter& filter) {
  CADUCE_TRY(auto tx, db_.Begin(storage::TxMode::kRead));
  return repo_.List(*tx, filter);
}

Result<int64_t> NotifyService::Requeue(int64_t id) {
  CADUCE_TRY(auto tx, db_.Begin(storage::TxMode::kWrite));
  CADUCE_TRY(int64_t n, repo_.Requeue(*tx, id, clock_.NowMicros()));
  CADUCE_RETURN_IF_ERROR(tx->Commit());
  if (n > 0) Wake();
  return n;
}

}  // namespace caduce::notify
