// Personal access tokens. The secret is "cdc_pat_" followed by the base64url text
// of 32 random bytes (auth/tokens.h); the stored hash is BLAKE2b-256 of those
// bytes, so that only one spelling of a token exists. Authenticate reads in one
// read transaction and writes only when something must be recorded (a refusal, a
// lock, or the last use, at most once a minute).
#include "auth/access_tokens.h"

#include <fmt/format.h>

#include <algorithm>
#include <utility>

#include "auth/tokens.h"
#include "base/json.h"
#include "base/text.h"
#include "directory/fields.h"

namespace caduce::auth {

using directory::AccountStatus;
using directory::IsNominative;
using storage::TxMode;

namespace {

constexpr int64_t kMicros = 1000000;

// Request values bound for the trail and the table: printable ASCII, bounded.
std::string Printable(std::string_view s, size_t max = 256) {
  std::string out;
  for (char c : s) {
    if (out.size() >= max) break;
    out.push_back(c >= 0x20 && c <= 0x7e ? c : '?');
  }
  return out;
}

std::string TokenObject(int64_t id) { return fmt::format("access_token:{}", id); }

AccessTokenInfo InfoOf(const AccessTokenRecord& r, int64_t now) {
  AccessTokenInfo i;
  i.id = r.id;
  i.person_id = r.person_id;
  i.name = r.name;
  i.created_at = r.created_at;
  i.expires_at = r.expires_at;
  i.last_used_at = r.last_used_at;
  i.last_used_ip = r.last_used_ip;
  i.expired = r.expires_at != 0 && r.expires_at <= now;
  return i;
}

Status CheckName(std::string_view name) {
  if (!text::IsValidUtf8(name) || text::HasControlChars(name)) {
    return InvalidArgumentError(
        "Nom du jeton : caractères non valides. Utilisez du texte simple, par exemple « "
        "Thunderbird du poste 3 ».");
  }
  if (text::Trim(name).empty()) {
    return InvalidArgumentError(
        "Nom du jeton : obligatoire. Nommez le logiciel qui l'utilisera, par exemple « "
        "Thunderbird du poste 3 ».");
  }
  if (text::CodePointCount(name) > AccessTokenService::kMaxNameChars) {
    return InvalidArgumentError(fmt::format("Nom du jeton : {} caractères au plus.",
                                            AccessTokenService::kMaxNameChars));
  }
  return OkStatus();
}

}  // namespace

bool AccessTokenService::IsExpiredAccount(const Credentials& c) const {
  if (c.status == AccountStatus::kDisabled && c.disabled_reason == "expired") return true;
  return !c.date_peremption.empty() && c.date_peremption <= clock_.TodayLocal();
}

Result<CreatedAccessToken> AccessTokenService::Create(const directory::Actor& person,
                                                      std::string_view name, int64_t expires_at) {
  CADUCE_RETURN_IF_ERROR(CheckName(name));
  std::string clean_name(text::Trim(name));
  int64_t now = clock_.NowMicros();
  if (expires_at != 0 && expires_at <= now) {
    return InvalidArgumentError(
        "Date d'expiration du jeton : elle est déjà passée. Choisissez une date future, ou "
        "aucune.");
  }
  CADUCE_TRY(NewToken token, GenerateToken());
  CADUCE_TRY(auto tx, db_.Begin(TxMode::kWrite));
  CADUCE_TRY(std::optional<Credentials> who, auth_repo_.FindCredentialsById(*tx, person.person_id));
  if (!who || !IsNominative(who->type)) {
    return PermissionDeniedError(
        "Un jeton d'accès appartient à une personne : une boîte organisationnelle ou "
        "applicative n'en a pas. Créez-le depuis votre compte nominatif.");
  }
  if (who->status != AccountStatus::kActive || IsExpiredAccount(*who)) {
    return PermissionDeniedError(
        "Votre compte n'est pas actif : il ne peut pas créer de jeton d'accès.");
  }
  CADUCE_TRY(int64_t live, repo_.CountLiveAccessTokens(*tx, who->account_id, now));
  if (live >= kMaxLiveTokens) {
    return ResourceExhaustedError(fmt::format(
        "Vous avez déjà {} jetons d'accès actifs : révoquez ceux qui ne servent plus avant "
        "d'en créer un autre.",
        live));
  }
  AccessTokenRecord record;
  record.hash = token.hash;
  record.person_id = who->account_id;
  record.name = clean_name;
  record.created_at = now;
  record.expires_at = expires_at;
  record.created_ip = Printable(person.ip, 64);
  record.created_user_agent = Printable(person.user_agent);
  CADUCE_TRY(record.id, repo_.InsertAccessToken(*tx, record));

  audit::Event e;
  e.actor_person_id = who->account_id;
  e.actor = who->address;
  e.action = "auth.token_created";
  e.object = TokenObject(record.id);
  e.ip = record.created_ip;
  JsonObject d;
  d.Add("token_id", record.id).Add("name", record.name);
  if (expires_at != 0) d.Add("expires_at", FormatRfc3339(expires_at));
  d.Add("user_agent", record.created_user_agent);
  e.detail = d.str();
  CADUCE_RETURN_IF_ERROR(audit_.Append(*tx, std::move(e)));
  CADUCE_RETURN_IF_ERROR(tx->Commit());

  CreatedAccessToken out;
  out.info = InfoOf(record, now);
  out.secret = std::string(kPrefix) + token.text;
  return out;
}

Result<std::vector<AccessTokenInfo>> AccessTokenService::List(int64_t person_id) {
  int64_t now = clock_.NowMicros();
  CADUCE_TRY(auto tx, db_.Begin(TxMode::kRead));
  CADUCE_TRY(std::vector<AccessTokenRecord> rows, repo_.AccessTokensOf(*tx, person_id));
  std::vector<AccessTokenInfo> out;
  out.reserve(rows.size());
  for (const AccessTokenRecord& r : rows) out.push_back(InfoOf(r, now));
  return out;
}

Status AccessTokenService::Revoke(const directory::Actor& actor, int64_t person_id,
                                  int64_t token_id) {
  int64_t now = clock_.NowMicros();
  CADUCE_TRY(auto tx, db_.Begin(TxMode::kWrite));
  CADUCE_TRY(std::optional<AccessTokenRecord> token, repo_.FindAccessToken(*tx, token_id));
  if (!token || token->person_id != person_id || token->revoked_at != 0) {
    return NotFoundError("Ce jeton d'accès n'existe pas ou a déjà été révoqué.");
  }
  CADUCE_TRY(bool revoked, repo_.RevokeAccessToken(*tx, token_id, now));
  if (!revoked) return NotFoundError("Ce jeton d'accès n'existe pas ou a déjà été révoqué.");
  CADUCE_TRY(std::optional<Credentials> owner, auth_repo_.FindCredentialsById(*tx, person_id));
  audit::Event e;
  e.actor_person_id = actor.person_id;
  e.actor = actor.label.empty() ? fmt::format("account:{}", actor.person_id) : actor.label;
  e.action = "auth.token_revoked";
  e.object = TokenObject(token_id);
  e.ip = Printable(actor.ip, 64);
  JsonObject d;
  d.Add("token_id", token_id)
      .Add("name", token->name)
      .Add("person_id", person_id)
      .Add("person", owner ? owner->address : std::string())
      .Add("by", actor.person_id == person_id ? "person" : "administrator")
      .Add("user_agent", Printable(actor.user_agent));
  e.detail = d.str();
  CADUCE_RETURN_IF_ERROR(audit_.Append(*tx, std::move(e)));
  return tx->Commit();
}

Status AccessTokenService::RecordRefusal(const std::optional<AccessTokenRecord>& token,
                                         const std::optional<Credentials>& person,
                                         std::string_view reason, std::string_view ip,
                                         std::string_view user_agent) {
  const ThrottleOptions& t = options_.throttle;
  int64_t now = clock_.NowMicros();
  std::string clean_ip = Printable(ip, 64);
  CADUCE_TRY(auto tx, db_.Begin(TxMode::kWrite));
  std::vector<audit::Event> events;
  audit::Event e;
  e.actor_person_id = person ? person->account_id : 0;
  e.actor = person ? person->address : "anonyme";
  e.action = "auth.token_refused";
  e.object = token ? TokenObject(token->id) : "access_token";
  e.ip = clean_ip;
  JsonObject d;
  if (token) d.Add("token_id", token->id).Add("name", token->name);
  d.Add("reason", reason).Add("user_agent", Printable(user_agent));
  e.detail = d.str();
  events.push_back(std::move(e));
  if (!clean_ip.empty()) {
    CADUCE_RETURN_IF_ERROR(auth_repo_.RecordFailure(*tx, ThrottleScope::kIp, clean_ip, now));
    CADUCE_TRY(FailureCount f, auth_repo_.CountFailures(*tx, ThrottleScope::kIp, clean_ip,
                                                        now - t.window_seconds * kMicros));
    if (f.count >= t.lock_after) {
      int64_t until = now + t.lock_seconds * kMicros;
      CADUCE_RETURN_IF_ERROR(auth_repo_.SetLock(*tx, ThrottleScope::kIp, clean_ip, now, until));
      audit::Event lock;
      lock.actor = "anonyme";
      lock.action = "auth.locked";
      lock.object = "ip:" + clean_ip;
      lock.ip = clean_ip;
      JsonObject ld;
      ld.Add("scope", "ip")
          .Add("failures", f.count)
          .Add("until", FormatRfc3339(until))
          .Add("cause", "access_token")
          .Add("user_agent", Printable(user_agent));
      lock.detail = ld.str();
      events.push_back(std::move(lock));
    }
  }
  CADUCE_RETURN_IF_ERROR(audit_.AppendAll(*tx, std::move(events)));
  return tx->Commit();
}

Result<TokenPerson> AccessTokenService::Authenticate(std::string_view bearer,
                                                     std::string_view ip,
                                                     std::string_view user_agent) {
  int64_t now = clock_.NowMicros();
  std::string clean_ip = Printable(ip, 64);
  std::optional<TokenHash> hash;
  if (bearer.size() > kPrefix.size() && bearer.substr(0, kPrefix.size()) == kPrefix) {
    hash = HashOfToken(bearer.substr(kPrefix.size()));
  }
  std::optional<AccessTokenRecord> token;
  std::optional<Credentials> person;
  std::string_view reason;
  std::optional<MeView> view;
  {
    CADUCE_TRY(auto tx, db_.Begin(TxMode::kRead));
    if (!clean_ip.empty()) {
      CADUCE_TRY(int64_t until, auth_repo_.LockedUntil(*tx, ThrottleScope::kIp, clean_ip));
      if (until > now) {
        return ResourceExhaustedError(
            "Trop de tentatives refusées depuis cette adresse : réessayez dans quelques "
            "minutes.");
      }
    }
    if (!hash) {
      reason = "malformed";
    } else {
      CADUCE_TRY(token, repo_.FindAccessTokenByHash(*tx, *hash));
      if (!token) {
        reason = "unknown";
      } else {
        CADUCE_TRY(person, auth_repo_.FindCredentialsById(*tx, token->person_id));
        if (token->revoked_at != 0) {
          reason = "revoked";
        } else if (token->expires_at != 0 && token->expires_at <= now) {
          reason = "expired";
        } else if (!person || !IsNominative(person->type)) {
          reason = "not_a_person";
        } else if (IsExpiredAccount(*person)) {
          reason = "account_expired";
        } else if (person->status != AccountStatus::kActive) {
          reason = "account_disabled";
        } else {
          CADUCE_TRY(view, ReadPersonView(*tx, auth_repo_, directory_, person->account_id));
          if (!view) reason = "not_a_person";
        }
      }
    }
  }
  if (!reason.empty()) {
    CADUCE_RETURN_IF_ERROR(RecordRefusal(token, person, reason, clean_ip, user_agent));
    return UnauthenticatedError(std::string(kRefusedMessage));
  }
  if (now - token->last_used_at >= options_.touch_seconds * kMicros ||
      token->last_used_ip != clean_ip) {
    CADUCE_TRY(auto tx, db_.Begin(TxMode::kWrite));
    CADUCE_RETURN_IF_ERROR(repo_.TouchAccessToken(*tx, token->id, now, clean_ip));
    CADUCE_RETURN_IF_ERROR(tx->Commit());
  }
  TokenPerson out;
  out.me = std::move(*view);
  out.token_id = token->id;
  out.token_name = token->name;
  return out;
}

std::optional<std::string_view> BearerToken(std::string_view authorization) {
  authorization = text::Trim(authorization);
  constexpr std::string_view kScheme = "bearer";
  if (authorization.size() <= kScheme.size() + 1) return std::nullopt;
  for (size_t i = 0; i < kScheme.size(); ++i) {
    char c = authorization[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != kScheme[i]) return std::nullopt;
  }
  if (authorization[kScheme.size()] != ' ') return std::nullopt;
  std::string_view token = text::Trim(authorization.substr(kScheme.size() + 1));
  if (token.empty() || token.find(' ') != std::string_view::npos) return std::nullopt;
  return token;
}

Result<TokenPerson> AuthenticateBearer(AccessTokenService& tokens, std::string_view authorization,
                                       std::string_view ip, std::string_view user_agent) {
  std::optional<std::string_view> bearer = BearerToken(authorization);
  if (!bearer) {
    return UnauthenticatedError(
        "Authentification requise : envoyez « Authorization: Bearer » suivi de votre jeton "
        "d'accès personnel.");
  }
  return tokens.Authenticate(*bearer, ip, user_agent);
}

}  // namespace caduce::auth
