// File: notify/templates.h
//
// The French text of the two mails caduce sends: the activation of a new account
// (« Activez votre compte de messagerie sécurisée de santé ») and the password
// reset (« Réinitialisation de votre mot de passe »). Each names the person, the
// structure and the address, gives the link, how long it is valid, and what to do
// when the mail was not expected. Pure functions.
#ifndef CADUCE_NOTIFY_TEMPLATES_H_
#define CADUCE_NOTIFY_TEMPLATES_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "notify/message.h"
#include "notify/repository.h"

namespace caduce::notify {

inline constexpr std::string_view kActivationSubject =
    "Activez votre compte de messagerie sécurisée de santé";
inline constexpr std::string_view kResetSubject = "Réinitialisation de votre mot de passe";

struct MailContext {
  MailKind kind = MailKind::kActivation;
  std::string prenom;
  std::string nom;
  std::string address;
  std::string structure;  // the structure's name ("" when unknown)
  std::string link;       // <public_url>/#/activation/<token> or …/#/reinitialisation/<token>
  int64_t validity_seconds = 0;
  int64_t expires_at = 0;  // microseconds since the epoch
};

// "<public_url>/#/activation/<token>" or "<public_url>/#/reinitialisation/<token>"
// (hash routes of the web UI: the token is never sent to a server by the browser).
std::string LinkFor(std::string_view public_url, MailKind kind, std::string_view token);

// "7 jours", "1 heure", "90 minutes".
std::string ValidityText(int64_t seconds);

// Subject, text and HTML of the mail, addressed to the person (from, date and
// Message-ID are the caller's).
MailMessage BuildMail(const MailContext& context, const MailAddress& from);

}  // namespace caduce::notify

#endif  // CADUCE_NOTIFY_TEMPLATES_H_
