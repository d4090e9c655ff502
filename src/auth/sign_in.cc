// The sign-in service. Each call reads in a read transaction, does the slow work
// (argon2id) with no transaction open, then writes what it decided in a short write
// transaction together with its audit entry. Decisions made in the read step are
// checked again in the write step where a race could matter (a link used twice, a
// right revoked meanwhile); for throttling, a few attempts racing in parallel may
// slip past a count, which the lock then catches.
#include "auth/sign_in.h"

#include <fmt/format.h>
#include <sodium.h>

#include <algorithm>
#include <utility>

#include "auth/tokens.h"
#include "base/json.h"
#include "base/text.h"
#include "directory/fields.h"

namespace caduce::auth {

using directory::AccountStatus;
using directory::AccountType;
using directory::IsNominative;
using storage::TxMode;

namespace {

constexpr int64_t kMicros = 1000000;

constexpr std::string_view kPendingMessage =
    "Votre compte n'est pas encore activé : choisissez votre mot de passe avec le lien reçu "
    "par messagerie, ou demandez-en un nouveau avec « Mot de passe oublié ? ».";
constexpr std::string_view kDisabledMessage =
    "Votre compte est désactivé. Adressez-vous à l'administrateur de votre structure.";
constexpr std::string_view kExpiredMessage =
    "Votre compte a expiré (sa date de péremption est passée). Adressez-vous à "
    "l'administrateur de votre structure pour le prolonger.";
constexpr std::string_view kSessionMessage =
    "Votre session a expiré ou n'existe pas : connectez-vous à nouveau.";
constexpr std::string_view kBadLinkMessage =
    "Ce lien n'est pas valide. Demandez-en un nouveau avec « Mot de passe oublié ? ».";
constexpr std::string_view kUsedLinkMessage =
    "Ce lien a déjà servi : il ne s'utilise qu'une fois. Demandez-en un nouveau avec « Mot de "
    "passe oublié ? ».";
constexpr std::string_view kExpiredLinkMessage =
    "Ce lien a expiré. Demandez-en un nouveau avec « Mot de passe oublié ? ».";
constexpr std::string_view kNoRightMessage =
    "Vous n'avez pas de droit d'accès à cette boîte aux lettres.";
constexpr std::string_view kRevokedNotice =
    "Votre droit d'accès à la boîte aux lettres que vous utilisiez a été retiré : vous êtes "
    "revenu(e) dans votre boîte personnelle.";

// The key failures are counted on: the address as typed, trimmed and in lower case
// (addresses are stored lowercase), whether or not an account has it.
std::string AccountKey(std::string_view address) { return text::ToLowerAscii(text::Trim(address)); }

// What goes into the trail from the request: printable ASCII, bounded, so that a
// hostile header cannot break the entry's JSON or flood the trail.
std::string Printable(std::string_view s, size_t max = 256) {
  std::string out;
  for (char c : s) {
    if (out.size() >= max) break;
    out.push_back(c >= 0x20 && c <= 0x7e ? c : '?');
  }
  return out;
}

std::string AccountObject(int64_t id) { return fmt::format("account:{}", id); }

int64_t CeilSeconds(int64_t micros) { return (micros + kMicros - 1) / kMicros; }

std::string MinutesText(int64_t seconds) {
  int64_t minutes = std::max<int64_t>(1, (seconds + 59) / 60);
  return minutes == 1 ? "1 minute" : fmt::format("{} minutes", minutes);
}

}  // namespace

// Why an attempt is refused before the password is even looked at.
struct SignInService::Throttled {
  bool locked = false;
  int64_t wait_seconds = 0;
};

// ---- Helpers ----------------------------------------------------------------------

Result<std::string> SignInService::DummyHash() {
  // One hash of a random password, with this service's cost, so that an unknown
  // address costs exactly one verification like a known one.
  std::call_once(dummy_once_, [this] {
    uint8_t random[32];
    randombytes_buf(random, sizeof random);
    dummy_hash_ = hasher_.Hash(std::string_view(reinterpret_cast<const char*>(random), 32));
    sodium_memzero(random, sizeof random);
  });
  return dummy_hash_;
}

bool SignInService::IsExpired(const Credentials& c) const {
  if (c.status == AccountStatus::kDisabled && c.disabled_reason == "expired") return true;
  // Between the expiry date and the daily job that disables the account.
  return !c.date_peremption.empty() && c.date_peremption <= clock_.TodayLocal();
}

Result<std::optional<SignInService::Throttled>> SignInService::CheckThrottle(
    storage::Tx& tx, std::string_view account_key, std::string_view ip) {
  const ThrottleOptions& t = options_.throttle;
  int64_t now = clock_.NowMicros();
  Throttled out;
  auto check = [&](ThrottleScope scope, std::string_view key) -> Status {
    if (key.empty()) return OkStatus();
    CADUCE_TRY(int64_t until, repo_.LockedUntil(tx, scope, key));
    if (until > now) {
      out.locked = true;
      out.wait_seconds = std::max(out.wait_seconds, CeilSeconds(until - now));
      return OkStatus();
    }
    CADUCE_TRY(FailureCount f,
               repo_.CountFailures(tx, scope, key, now - t.window_seconds * kMicros));
    if (f.count >= t.delay_after) {
      // 1 s at the threshold, doubling with each further failure, up to the cap.
      int64_t shift = std::min<int64_t>(f.count - t.delay_after, 30);
      int64_t delay = std::min<int64_t>(int64_t{1} << shift, t.max_delay_seconds);
      int64_t allowed_at = f.last_at + delay * kMicros;
      if (allowed_at > now)
        out.wait_seconds = std::max(out.wait_seconds, CeilSeconds(allowed_at - now));
    }
    return OkStatus();
  };
  CADUCE_RETURN_IF_ERROR(check(ThrottleScope::kAccount, account_key));
  CADUCE_RETURN_IF_ERROR(check(ThrottleScope::kIp, ip));
  if (!out.locked && out.wait_seconds == 0) return std::optional<Throttled>();
  return std::optional<Throttled>(out);
}

// Counts a failed attempt on both keys, locks a key that reached the limit, and
// records the failure. Returns the refusal to give the caller (or the store's error).
Status SignInService::RecordFailure(std::string_view account_key, const Credentials* known,
                                    std::string_view ip, std::string_view user_agent,
                                    std::string_view reason, int64_t* retry_after_seconds) {
  const ThrottleOptions& t = options_.throttle;
  int64_t now = clock_.NowMicros();
  CADUCE_TRY(auto tx, db_.Begin(TxMode::kWrite));
  std::vector<audit::Event> events;
  audit::Event base;
  base.actor_person_id = known ? known->account_id : 0;
  base.actor = known ? known->address : "anonyme";
  base.object = known ? AccountObject(known->account_id) : "sign_in";
  base.ip = Printable(ip);

  audit::Event failed = base;
  failed.action = "auth.sign_in_failed";
  JsonObject detail;
  detail.Add("address", Printable(account_key))
      .Add("reason", reason)
      .Add("user_agent", Printable(user_agent));
  failed.detail = detail.str();
  events.push_back(std::move(failed));

  int64_t wait = 0;
  bool locked = false;
  auto count = [&](ThrottleScope scope, std::string_view key) -> Status {
    if (key.empty()) return OkStatus();
    CADUCE_RETURN_IF_ERROR(repo_.RecordFailure(*tx, scope, key, now));
    CADUCE_TRY(FailureCount f,
               repo_.CountFailures(*tx, scope, key, now - t.window_seconds * kMicros));
    if (f.count >= t.lock_after) {
      int64_t until = now + t.lock_seconds * kMicros;
      CADUCE_RETURN_IF_ERROR(repo_.SetLock(*tx, scope, key, now, until));
      // The count starts again once the lock ends.
      CADUCE_RETURN_IF_ERROR(repo_.ClearFailures(*tx, scope, key));
      locked = true;
      wait = std::max(wait, t.lock_seconds);
      audit::Event lock = base;
      lock.action = "auth.locked";
      JsonObject d;
      d.Add("scope", scope == ThrottleScope::kAccount ? "account" : "ip")
          .Add("key", Printable(key))
          .Add("failures", f.count)
          .Add("until", FormatRfc3339(until))
          .Add("user_agent", Printable(user_agent));
      lock.detail = d.str();
      events.push_back(std::move(lock));
    } else if (f.count >= t.delay_after) {
      int64_t shift = std::min<int64_t>(f.count - t.delay_after, 30);
      wait = std::max(wait, std::min<int64_t>(int64_t{1} << shift, t.max_delay_seconds));
    }
    return OkStatus();
  };
  CADUCE_RETURN_IF_ERROR(count(ThrottleScope::kAccount, account_key));
  CADUCE_RETURN_IF_ERROR(count(ThrottleScope::kIp, ip));
  CADUCE_RETURN_IF_ERROR(audit_.AppendAll(*tx, std::move(events)));
  CADUCE_RETURN_IF_ERROR(tx->Commit());
  if (retry_after_seconds) *retry_after_seconds = wait;
  if (locked) {
    return ResourceExhaustedError(fmt::format(
        "Trop de tentatives de connexion échouées : la connexion est bloquée pendant {}. "
        "Réessayez ensuite, ou choisissez un nouveau mot de passe avec « Mot de passe "
        "oublié ? ».",
        MinutesText(t.lock_seconds)));
  }
  return UnauthenticatedError(std::string(kBadCredentialsMessage));
}

// Records a refusal that is not a guess (shared mailbox, pending, disabled, expired):
// it goes to the trail but does not count towards a lock.
Status SignInService::RecordRefusal(const Credentials* known, std::string_view address,
                                    std::string_view ip, std::string_view user_agent,
                                    std::string_view reason) {
  CADUCE_TRY(auto tx, db_.Begin(TxMode::kWrite));
  audit::Event e;
  e.actor_person_id = known && IsNominative(known->type) ? known->account_id : 0;
  e.actor = known && IsNominative(known->type) ? known->address : "anonyme";
  e.mailbox_id = known && !IsNominative(known->type) ? known->account_id : 0;
  e.action = "auth.sign_in_failed";
  e.object = known ? AccountObject(known->account_id) : "sign_in";
  e.ip = Printable(ip);
  JsonObject d;
  d.Add("address", Printable(address))
      .Add("reason", reason)
      .Add("user_agent", Printable(user_agent));
  e.detail = d.str();
  CADUCE_RETURN_IF_ERROR(audit_.Append(*tx, std::move(e)));
  return tx->Commit();
}

// An active ORG/APP mailbox the person holds a right on, or the person itself.
Result<bool> SignInService::MayOpen(storage::Tx& tx, int64_t person_id, int64_t mailbox_id) {
  if (mailbox_id == person_id) return true;
  CADUCE_TRY(std::optional<Credentials> mailbox, repo_.FindCredentialsById(tx, mailbox_id));
  if (!mailbox || IsNominative(mailbox->type) || mailbox->status != AccountStatus::kActive) {
    return false;
  }
  return directory_.HasRight(tx, mailbox_id, person_id);
}

Result<int64_t> SignInService::LandingMailbox(storage::Tx& tx, const Credentials& person) {
  int64_t target = person.default_mailbox_id;
  if (target == 0 || target == person.account_id) return person.account_id;
  CADUCE_TRY(bool ok, MayOpen(tx, person.account_id, target));
  return ok ? target : person.account_id;
}

// ---- Signing in and out -----------------------------------------------------------

Result<Session> SignInService::SignIn(std::string_view address, std::string_view password,
                                      std::string_view ip, std::string_view user_agent,
                                      int64_t* retry_after_seconds) {
  if (retry_after_seconds) *retry_after_seconds = 0;
  std::string key = AccountKey(address);
  CADUCE_TRY(std::string dummy, DummyHash());

  std::optional<Credentials> found;
  {
    CADUCE_TRY(auto tx, db_.Begin(TxMode::kRead));
    // Throttling comes first and treats every typed address alike, known or not.
    CADUCE_TRY(std::optional<Throttled> throttled, CheckThrottle(*tx, key, ip));
    if (throttled) {
      if (retry_after_seconds) *retry_after_seconds = throttled->wait_seconds;
      if (throttled->locked) {
        return ResourceExhaustedError(fmt::format(
            "Trop de tentatives de connexion échouées : la connexion est bloquée. Réessayez "
            "dans {}, ou choisissez un nouveau mot de passe avec « Mot de passe oublié ? ».",
            MinutesText(throttled->wait_seconds)));
      }
      return UnavailableError(fmt::format(
          "Trop de tentatives de connexion échouées : patientez {} seconde{} avant de réessayer.",
          throttled->wait_seconds, throttled->wait_seconds > 1 ? "s" : ""));
    }
    CADUCE_TRY(found, repo_.FindCredentials(*tx, key));
  }

  if (found && !IsNominative(found->type)) {
    CADUCE_RETURN_IF_ERROR(RecordRefusal(&*found, key, ip, user_agent, "shared_mailbox"));
    return InvalidArgumentError(std::string(kSharedMailboxMessage));
  }

  // Always exactly one verification: against the account's hash, or against the
  // dummy one when there is no account or no password yet.
  bool has_hash = found && !found->password_hash.empty();
  bool match = hasher_.Verify(has_hash ? std::string_view(found->password_hash) : dummy, password);
  bool right = match && has_hash;

  if (found && !has_hash && found->status == AccountStatus::kPending) {
    // No password exists to guess; the person must use its link.
    CADUCE_RETURN_IF_ERROR(RecordRefusal(&*found, key, ip, user_agent, "pending"));
    return FailedPreconditionError(std::string(kPendingMessage));
  }
  if (!right) {
    return RecordFailure(key, found ? &*found : nullptr, ip, user_agent,
                         found ? "wrong_password" : "unknown_address", retry_after_seconds);
  }
  // The password was right: now the account's state may be told.
  if (IsExpired(*found)) {
    CADUCE_RETURN_IF_ERROR(RecordRefusal(&*found, key, ip, user_agent, "expired"));
    return PermissionDeniedError(std::string(kExpiredMessage));
  }
  if (found->status == AccountStatus::kDisabled) {
    CADUCE_RETURN_IF_ERROR(RecordRefusal(&*found, key, ip, user_agent, "disabled"));
    return PermissionDeniedError(std::string(kDisabledMessage));
  }
  if (found->status == AccountStatus::kPending) {
    CADUCE_RETURN_IF_ERROR(RecordRefusal(&*found, key, ip, user_agent, "pending"));
    return FailedPreconditionError(std::string(kPendingMessage));
  }

  // Stronger parameters since this hash was made: replace it while the password is
  // at hand (the only moment it is).
  std::optional<std::string> rehash;
  if (hasher_.NeedsRehash(found->password_hash)) {
    CADUCE_TRY(rehash, hasher_.Hash(password));
  }
  CADUCE_TRY(NewToken token, GenerateToken());
  int64_t now = clock_.NowMicros();
  CADUCE_TRY(auto tx, db_.Begin(TxMode::kWrite));
  CADUCE_RETURN_IF_ERROR(repo_.ClearFailures(*tx, ThrottleScope::kAccount, key));
  if (rehash) {
    CADUCE_RETURN_IF_ERROR(
        repo_.ReplacePasswordHash(*tx, found->account_id, found->password_hash, *rehash));
  }
  CADUCE_TRY(int64_t landing, LandingMailbox(*tx, *found));
  SessionRecord record;
  record.hash = token.hash;
  record.person_id = found->account_id;
  record.mailbox_id = landing;
  record.created_at = now;
  record.last_seen = now;
  record.ip = Printable(ip, 64);
  record.user_agent = Printable(user_agent);
  CADUCE_RETURN_IF_ERROR(repo_.InsertSession(*tx, record));
  audit::Event e;
  e.actor_person_id = found->account_id;
  e.actor = found->address;
  e.mailbox_id = landing == found->account_id ? 0 : landing;
  e.action = "auth.sign_in";
  e.object = AccountObject(found->account_id);
  e.ip = record.ip;
  JsonObject d;
  d.Add("mailbox_id", landing)
      .Add("user_agent", record.user_agent)
      .Add("rehashed", rehash.has_value());
  e.detail = d.str();
  CADUCE_RETURN_IF_ERROR(audit_.Append(*tx, std::move(e)));
  CADUCE_RETURN_IF_ERROR(tx->Commit());

  Session s;
  s.token = std::move(token.text);
  s.person_id = record.person_id;
  s.mailbox_id = landing;
  s.created_at = now;
  s.last_seen = now;
  return s;
}

Result<Session> SignInService::Resolve(std::string_view token) {
  std::optional<TokenHash> hash = HashOfToken(token);
  if (!hash) return UnauthenticatedError(std::string(kSessionMessage));
  return ResolveHash(*hash, token);
}

Result<Session> SignInService::ResolveHash(const TokenHash& hash, std::string_view token) {
  int64_t now = clock_.NowMicros();
  std::optional<SessionRecord> record;
  bool alive = false;
  {
    CADUCE_TRY(auto tx, db_.Begin(TxMode::kRead));
    CADUCE_TRY(record, repo_.FindSession(*tx, hash));
    if (!record) return UnauthenticatedError(std::string(kSessionMessage));
    bool idle = now - record->last_seen >= options_.session_idle_seconds * kMicros;
    bool old = now - record->created_at >= options_.session_absolute_seconds * kMicros;
    if (!idle && !old) {
      // A person disabled or expired since sign-in loses its sessions at once.
      CADUCE_TRY(std::optional<Credentials> person,
                 repo_.FindCredentialsById(*tx, record->person_id));
      alive = person && person->status == AccountStatus::kActive && !IsExpired(*person);
    }
  }
  if (!alive) {
    CADUCE_TRY(auto tx, db_.Begin(TxMode::kWrite));
    CADUCE_RETURN_IF_ERROR(repo_.DeleteSession(*tx, hash));
    CADUCE_RETURN_IF_ERROR(tx->Commit());
    return UnauthenticatedError(std::string(kSessionMessage));
  }
  if (now - record->last_seen >= options_.session_touch_seconds * kMicros) {
    CADUCE_TRY(auto tx, db_.Begin(TxMode::kWrite));
    CADUCE_RETURN_IF_ERROR(repo_.TouchSession(*tx, hash, now));
    CADUCE_RETURN_IF_ERROR(tx->Commit());
    record->last_seen = now;
  }
  Session s;
  s.token = std::string(token);
  s.person_id = record->person_id;
  s.mailbox_id = record->mailbox_id;
  s.created_at = record->created_at;
  s.last_seen = record->last_seen;
  return s;
}

Status SignInService::SignOut(std::string_view token, std::string_view ip,
                              std::string_view user_agent) {
  std::optional<TokenHash> hash = HashOfToken(token);
  if (!hash) return OkStatus();
  CADUCE_TRY(auto tx, db_.Begin(TxMode::kWrite));
  CADUCE_TRY(std::optional<SessionRecord> record, repo_.FindSession(*tx, *hash));
  if (!record) return OkStatus();
  CADUCE_RETURN_IF_ERROR(repo_.DeleteSession(*tx, *hash));
  CADUCE_TRY(std::optional<Credentials> person, repo_.FindCredentialsById(*tx, record->person_id));
  audit::Event e;
  e.actor_person_id = record->person_id;
  e.actor = person ? person->address : AccountObject(record->person_id);
  e.action = "auth.sign_out";
  e.object = AccountObject(record->person_id);
  e.ip = Printable(ip);
  JsonObject d;
  d.Add("user_agent", Printable(user_agent));
  e.detail = d.str();
  CADUCE_RETURN_IF_ERROR(audit_.Append(*tx, std::move(e)));
  return tx->Commit();
}

Result<int64_t> SignInService::SignOutEverywhere(int64_t person_id, std::string_view ip,
                                                 std::string_view user_agent) {
  CADUCE_TRY(auto tx, db_.Begin(TxMode::kWrite));
  CADUCE_TRY(std::optional<Credentials> person, repo_.FindCredentialsById(*tx, person_id));
  if (!person) return NotFoundError("Ce compte n'existe pas.");
  CADUCE_TRY(int64_t n, repo_.DeleteSessionsOf(*tx, person_id));
  audit::Event e;
  e.actor_person_id = person_id;
  e.actor = person->address;
  e.action = "auth.sign_out_everywhere";
  e.object = AccountObject(person_id);
  e.ip = Printable(ip);
  JsonObject d;
  d.Add("sessions", n).Add("user_agent", Printable(user_agent));
  e.detail = d.str();
  CADUCE_RETURN_IF_ERROR(audit_.Append(*tx, std::move(e)));
  CADUCE_RETURN_IF_ERROR(tx->Commit());
  return n;
}

// ---- Mailbox context --------------------------------------------------------------

Result<CurrentMailboxView> SignInService::CheckCurrent(const Session& session,
                                                      std::string_view ip,
                                                      std::string_view user_agent) {
  CurrentMailboxView view;
  view.person_id = session.person_id;
  view.mailbox_id = session.mailbox_id;
  if (session.mailbox_id == session.person_id) return view;
  {
    CADUCE_TRY(auto tx, db_.Begin(TxMode::kRead));
    CADUCE_TRY(bool ok, MayOpen(*tx, session.person_id, session.mailbox_id));
    if (ok) return view;
  }
  // The right went away: back to the person's own mailbox, at once, and said so.
  std::optional<TokenHash> hash = HashOfToken(session.token);
  if (!hash) return UnauthenticatedError(std::string(kSessionMessage));
  CADUCE_TRY(auto tx, db_.Begin(TxMode::kWrite));
  CADUCE_RETURN_IF_ERROR(repo_.SetSessionMailbox(*tx, *hash, session.person_id));
  CADUCE_TRY(std::optional<Credentials> person, repo_.FindCredentialsById(*tx, session.person_id));
  audit::Event e;
  e.actor_person_id = session.person_id;
  e.actor = person ? person->address : AccountObject(session.person_id);
  e.mailbox_id = session.mailbox_id;
  e.action = "auth.switch";
  e.object = AccountObject(session.mailbox_id);
  e.ip = Printable(ip);
  JsonObject d;
  d.Add("from", session.mailbox_id)
      .Add("to", session.person_id)
      .Add("reason", "right_revoked")
      .Add("user_agent", Printable(user_agent));
  e.detail = d.str();
  CADUCE_RETURN_IF_ERROR(audit_.Append(*tx, std::move(e)));
  CADUCE_RETURN_IF_ERROR(tx->Commit());
  view.mailbox_id = session.person_id;
  view.fell_back = true;
  view.notice = std::string(kRevokedNotice);
  return view;
}

Result<CurrentMailboxView> SignInService::CurrentMailbox(std::string_view token,
                                                        std::string_view ip,
                                                        std::string_view user_agent) {
  CADUCE_TRY(Session session, Resolve(token));
  return CheckCurrent(session, ip, user_agent);
}

Result<MeView> SignInService::Me(std::string_view token, std::string_view ip,
                                 std::string_view user_agent) {
  CADUCE_TRY(Session session, Resolve(token));
  CADUCE_TRY(CurrentMailboxView current, CheckCurrent(session, ip, user_agent));
  MeView me;
  me.current_mailbox_id = current.mailbox_id;
  me.notice = current.notice;
  CADUCE_TRY(auto tx, db_.Begin(TxMode::kRead));
  CADUCE_TRY(std::optional<MeView> view,
             ReadPersonView(*tx, repo_, directory_, session.person_id));
  if (!view) return UnauthenticatedError(std::string(kSessionMessage));
  view->current_mailbox_id = me.current_mailbox_id;
  view->notice = std::move(me.notice);
  return std::move(*view);
}

Result<std::optional<MeView>> ReadPersonView(storage::Tx& tx, AuthRepository& repo,
                                             directory::DirectoryRepository& directory,
                                             int64_t person_id) {
  CADUCE_TRY(std::optional<Credentials> person, repo.FindCredentialsById(tx, person_id));
  if (!person) return std::optional<MeView>();
  MeView me;
  me.person_id = person->account_id;
  me.address = person->address;
  me.type = person->type;
  me.nom = person->nom;
  me.prenom = person->prenom;
  me.current_mailbox_id = person->account_id;
  me.mailboxes.push_back(MailboxChoice{person->account_id, person->address, person->type, ""});
  CADUCE_TRY(std::vector<directory::ConnectionRight> rights,
             directory.RightsOfPerson(tx, person_id));
  for (const directory::ConnectionRight& r : rights) {
    CADUCE_TRY(std::optional<directory::Account> mailbox, directory.FindAccount(tx, r.mailbox_id));
    if (!mailbox || IsNominative(mailbox->type) || mailbox->status != AccountStatus::kActive) {
      continue;
    }
    me.mailboxes.push_back(MailboxChoice{mailbox->id, mailbox->address(), mailbox->type,
                                         mailbox->get(directory::Field::kDescription)});
    if (mailbox->id == person->default_mailbox_id) me.current_mailbox_id = mailbox->id;
  }
  return std::optional<MeView>(std::move(me));
}

Result<MailboxChoice> SignInService::Switch(std::string_view token, int64_t mailbox_id,
                                            std::string_view ip, std::string_view user_agent) {
  CADUCE_TRY(Session session, Resolve(token));
  std::optional<TokenHash> hash = HashOfToken(token);
  if (!hash) return UnauthenticatedError(std::string(kSessionMessage));
  CADUCE_TRY(auto tx, db_.Begin(TxMode::kWrite));
  CADUCE_TRY(bool ok, MayOpen(*tx, session.person_id, mailbox_id));
  if (!ok) return PermissionDeniedError(std::string(kNoRightMessage));
  CADUCE_TRY(std::optional<Credentials> person, repo_.FindCredentialsById(*tx, session.person_id));
  CADUCE_TRY(std::optional<directory::Account> mailbox, directory_.FindAccount(*tx, mailbox_id));
  if (!person || !mailbox) return PermissionDeniedError(std::string(kNoRightMessage));
  CADUCE_RETURN_IF_ERROR(repo_.SetSessionMailbox(*tx, *hash, mailbox_id));
  audit::Event e;
  e.actor_person_id = session.person_id;
  e.actor = person->address;
  // The shared mailbox concerned: the one entered, or the one left.
  e.mailbox_id = mailbox_id != session.person_id           ? mailbox_id
                 : session.mailbox_id != session.person_id ? session.mailbox_id
                                                           : 0;
  e.action = "auth.switch";
  e.object = AccountObject(mailbox_id);
  e.ip = Printable(ip);
  JsonObject d;
  d.Add("from", session.mailbox_id).Add("to", mailbox_id).Add("user_agent", Printable(user_agent));
  e.detail = d.str();
  CADUCE_RETURN_IF_ERROR(audit_.Append(*tx, std::move(e)));
  CADUCE_RETURN_IF_ERROR(tx->Commit());
  return MailboxChoice{
      mailbox->id, mailbox->address(), mailbox->type,
      IsNominative(mailbox->type) ? "" : mailbox->get(directory::Field::kDescription)};
}

// ---- Passwords --------------------------------------------------------------------

Result<std::string> SignInService::IssueToken(storage::Tx& tx, const Credentials& account,
                                              TokenPurpose purpose, std::string_view ip,
                                              std::string_view user_agent) {
  CADUCE_TRY(NewToken token, GenerateToken());
  int64_t now = clock_.NowMicros();
  TokenRecord record;
  record.hash = token.hash;
  record.account_id = account.account_id;
  record.purpose = purpose;
  record.created_at = now;
  int64_t lifetime =
      purpose == TokenPurpose::kActivate ? options_.activation_seconds : options_.reset_seconds;
  record.expires_at = now + lifetime * kMicros;
  CADUCE_RETURN_IF_ERROR(repo_.InsertToken(tx, record));
  audit::Event e;
  e.actor_person_id = purpose == TokenPurpose::kReset ? account.account_id : 0;
  e.actor = purpose == TokenPurpose::kReset ? account.address : "caduce";
  e.action = purpose == TokenPurpose::kReset ? "auth.reset_requested" : "auth.activation_issued";
  e.object = AccountObject(account.account_id);
  e.ip = Printable(ip);
  JsonObject d;
  d.Add("expires_at", FormatRfc3339(record.expires_at));
  if (!user_agent.empty()) d.Add("user_agent", Printable(user_agent));
  e.detail = d.str();
  CADUCE_RETURN_IF_ERROR(audit_.Append(tx, std::move(e)));
  return std::move(token.text);
}

Result<std::string> SignInService::IssueActivation(int64_t account_id) {
  CADUCE_TRY(auto tx, db_.Begin(TxMode::kWrite));
  CADUCE_TRY(std::optional<Credentials> account, repo_.FindCredentialsById(*tx, account_id));
  if (!account) return NotFoundError("Ce compte n'existe pas.");
  if (!IsNominative(account->type)) {
    return FailedPreconditionError(
        "Une boîte organisationnelle ou applicative n'a pas de mot de passe à choisir.");
  }
  if (account->status == AccountStatus::kDisabled) {
    return FailedPreconditionError(std::string(kDisabledMessage));
  }
  CADUCE_TRY(std::string token, IssueToken(*tx, *account, TokenPurpose::kActivate, "", ""));
  CADUCE_RETURN_IF_ERROR(tx->Commit());
  return token;
}

Result<std::optional<std::string>> SignInService::RequestReset(std::string_view address,
                                                               std::string_view ip,
                                                               std::string_view user_agent) {
  std::string key = AccountKey(address);
  CADUCE_TRY(auto tx, db_.Begin(TxMode::kWrite));
  CADUCE_TRY(std::optional<Credentials> account, repo_.FindCredentials(*tx, key));
  if (!account || !IsNominative(account->type) || account->status == AccountStatus::kDisabled ||
      IsExpired(*account)) {
    return std::optional<std::string>();
  }
  CADUCE_TRY(std::string token, IssueToken(*tx, *account, TokenPurpose::kReset, ip, user_agent));
  CADUCE_RETURN_IF_ERROR(tx->Commit());
  return std::optional<std::string>(std::move(token));
}

Result<TokenRecord> SignInService::UsableToken(storage::Tx& tx, const TokenHash& hash) {
  CADUCE_TRY(std::optional<TokenRecord> token, repo_.FindToken(tx, hash));
  if (!token) return InvalidArgumentError(std::string(kBadLinkMessage));
  if (token->used_at != 0) return FailedPreconditionError(std::string(kUsedLinkMessage));
  if (clock_.NowMicros() >= token->expires_at) {
    return FailedPreconditionError(std::string(kExpiredLinkMessage));
  }
  return *token;
}

Status SignInService::SetPassword(std::string_view token, std::string_view new_password,
                                  std::string_view ip, std::string_view user_agent) {
  std::optional<TokenHash> hash = HashOfToken(token);
  if (!hash) return InvalidArgumentError(std::string(kBadLinkMessage));
  Credentials account;
  {
    CADUCE_TRY(auto tx, db_.Begin(TxMode::kRead));
    CADUCE_TRY(TokenRecord record, UsableToken(*tx, *hash));
    CADUCE_TRY(std::optional<Credentials> found, repo_.FindCredentialsById(*tx, record.account_id));
    if (!found || !IsNominative(found->type)) {
      return InvalidArgumentError(std::string(kBadLinkMessage));
    }
    if (found->status == AccountStatus::kDisabled) {
      return PermissionDeniedError(std::string(kDisabledMessage));
    }
    account = std::move(*found);
  }
  CADUCE_RETURN_IF_ERROR(
      policy_.Check(new_password, PasswordOwner{account.address, account.nom, account.prenom}));
  CADUCE_TRY(std::string new_hash, hasher_.Hash(new_password));

  int64_t now = clock_.NowMicros();
  CADUCE_TRY(auto tx, db_.Begin(TxMode::kWrite));
  // Checked again under the write lock: only one of two racing requests wins.
  CADUCE_TRY(TokenRecord record, UsableToken(*tx, *hash));
  CADUCE_TRY(bool marked, repo_.MarkTokenUsed(*tx, *hash, now));
  if (!marked) return FailedPreconditionError(std::string(kUsedLinkMessage));
  CADUCE_RETURN_IF_ERROR(repo_.SetPasswordHash(*tx, record.account_id, new_hash, now));
  CADUCE_TRY(bool activated, repo_.ActivateIfPending(*tx, record.account_id, now));
  CADUCE_RETURN_IF_ERROR(repo_.VoidTokensOf(*tx, record.account_id, now));
  CADUCE_TRY(int64_t sessions, repo_.DeleteSessionsOf(*tx, record.account_id));
  audit::Event e;
  e.actor_person_id = record.account_id;
  e.actor = account.address;
  e.action =
      record.purpose == TokenPurpose::kActivate ? "auth.password_set" : "auth.password_reset";
  e.object = AccountObject(record.account_id);
  e.ip = Printable(ip);
  JsonObject d;
  d.Add("activated", activated)
      .Add("sessions_closed", sessions)
      .Add("user_agent", Printable(user_agent));
  e.detail = d.str();
  CADUCE_RETURN_IF_ERROR(audit_.Append(*tx, std::move(e)));
  return tx->Commit();
}

Status SignInService::ChangePassword(std::string_view token, std::string_view current,
                                     std::string_view new_password, std::string_view ip,
                                     std::string_view user_agent, int64_t* retry_after_seconds) {
  if (retry_after_seconds) *retry_after_seconds = 0;
  std::optional<TokenHash> hash = HashOfToken(token);
  if (!hash) return UnauthenticatedError(std::string(kSessionMessage));
  CADUCE_TRY(Session session, Resolve(token));
  Credentials person;
  std::string key;
  {
    CADUCE_TRY(auto tx, db_.Begin(TxMode::kRead));
    CADUCE_TRY(std::optional<Credentials> found,
               repo_.FindCredentialsById(*tx, session.person_id));
    // Resolve keeps only sessions of active nominative persons; checked again.
    if (!found || !IsNominative(found->type) || found->status != AccountStatus::kActive) {
      return UnauthenticatedError(std::string(kSessionMessage));
    }
    person = std::move(*found);
    key = AccountKey(person.address);
    // The same counters as sign-in: a stolen session cannot guess the password
    // faster than the sign-in page lets anyone.
    CADUCE_TRY(std::optional<Throttled> throttled, CheckThrottle(*tx, key, ip));
    if (throttled) {
      if (retry_after_seconds) *retry_after_seconds = throttled->wait_seconds;
      if (throttled->locked) {
        return ResourceExhaustedError(fmt::format(
            "Trop de tentatives échouées : le changement de mot de passe est bloqué. Réessayez "
            "dans {}.",
            MinutesText(throttled->wait_seconds)));
      }
      return UnavailableError(fmt::format(
          "Trop de tentatives échouées : patientez {} seconde{} avant de réessayer.",
          throttled->wait_seconds, throttled->wait_seconds > 1 ? "s" : ""));
    }
  }
  if (current.size() > PasswordPolicy::kMaxBytes ||
      !hasher_.Verify(person.password_hash, current)) {
    Status failed = RecordFailure(key, &person, ip, user_agent, "wrong_current_password",
                                  retry_after_seconds);
    if (failed.code() == Code::kUnauthenticated) {
      return PermissionDeniedError(std::string(kWrongCurrentMessage));
    }
    return failed;  // locked now (kResourceExhausted), or the store's error
  }
  if (new_password == current) {
    return InvalidArgumentError(
        "Le nouveau mot de passe doit être différent du mot de passe actuel.");
  }
  CADUCE_RETURN_IF_ERROR(
      policy_.Check(new_password, PasswordOwner{person.address, person.nom, person.prenom}));
  CADUCE_TRY(std::string new_hash, hasher_.Hash(new_password));

  int64_t now = clock_.NowMicros();
  CADUCE_TRY(auto tx, db_.Begin(TxMode::kWrite));
  // Checked again under the write lock: a change made meanwhile (a reset link,
  // another tab) is not silently overwritten, and the session still exists.
  CADUCE_TRY(std::optional<Credentials> again, repo_.FindCredentialsById(*tx, person.account_id));
  CADUCE_TRY(std::optional<SessionRecord> kept, repo_.FindSession(*tx, *hash));
  if (!kept) return UnauthenticatedError(std::string(kSessionMessage));
  if (!again || again->password_hash != person.password_hash) {
    return AbortedError(
        "Votre mot de passe vient d'être changé par ailleurs : reconnectez-vous, puis "
        "recommencez si besoin.");
  }
  CADUCE_RETURN_IF_ERROR(repo_.SetPasswordHash(*tx, person.account_id, new_hash, now));
  CADUCE_RETURN_IF_ERROR(repo_.ClearFailures(*tx, ThrottleScope::kAccount, key));
  CADUCE_RETURN_IF_ERROR(repo_.VoidTokensOf(*tx, person.account_id, now));
  // Every session of the person ends but this one, which is put back as it was.
  CADUCE_TRY(int64_t sessions, repo_.DeleteSessionsOf(*tx, person.account_id));
  CADUCE_RETURN_IF_ERROR(repo_.InsertSession(*tx, *kept));
  audit::Event e;
  e.actor_person_id = person.account_id;
  e.actor = person.address;
  e.action = "auth.password_changed";
  e.object = AccountObject(person.account_id);
  e.ip = Printable(ip);
  JsonObject d;
  d.Add("sessions_closed", sessions - 1).Add("user_agent", Printable(user_agent));
  e.detail = d.str();
  CADUCE_RETURN_IF_ERROR(audit_.Append(*tx, std::move(e)));
  return tx->Commit();
}

Result<int64_t> SignInService::Purge() {
  int64_t now = clock_.NowMicros();
  PurgeBefore before;
  before.session_last_seen = now - options_.session_idle_seconds * kMicros;
  before.session_created = now - options_.session_absolute_seconds * kMicros;
  before.token_expires = now;
  before.failure_at = now - options_.throttle.window_seconds * kMicros;
  before.lock_until = now;
  CADUCE_TRY(auto tx, db_.Begin(TxMode::kWrite));
  CADUCE_TRY(int64_t n, repo_.Purge(*tx, before));
  CADUCE_RETURN_IF_ERROR(tx->Commit());
  return n;
}

}  // namespace caduce::auth
