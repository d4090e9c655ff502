// The activation and reset mails (see templates.h). The HTML part says the same as
// the text part, with every interpolated value escaped.
#include "notify/templates.h"

#include <ctime>
#include <string>
#include <vector>

#include "base/text.h"

namespace caduce::notify {
namespace {

std::string HtmlEscape(std::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out.push_back(c);
    }
  }
  return out;
}

// "04/12/2026 à 10:00" in the server's local time (TZ).
std::string LocalDeadline(int64_t micros) {
  std::time_t t = static_cast<std::time_t>(micros / 1000000);
  std::tm tm{};
  localtime_r(&t, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%d/%m/%Y à %H:%M", &tm);
  return buf;
}

std::string FullName(const MailContext& c) {
  std::string name = text::CollapseSpaces(c.prenom + " " + c.nom);
  return name;
}

struct Paragraphs {
  std::string greeting;
  std::vector<std::string> before_link;
  std::string link_intro;
  std::vector<std::string> after_link;
};

Paragraphs Content(const MailContext& c) {
  Paragraphs p;
  std::string name = FullName(c);
  p.greeting = name.empty() ? "Bonjour," : "Bonjour " + name + ",";
  std::string structure = c.structure.empty() ? "" : " par la structure « " + c.structure + " »";
  std::string validity = "Ce lien est valable " + ValidityText(c.validity_seconds) + " (jusqu'au " +
                         LocalDeadline(c.expires_at) + ") et ne sert qu'une seule fois.";
  if (c.kind == MailKind::kActivation) {
    p.before_link = {"Un compte de messagerie sécurisée de santé a été créé pour vous" + structure +
                         ".",
                     "Votre adresse de messagerie : " + c.address};
    p.link_intro = "Pour activer votre compte, choisissez votre mot de passe en ouvrant ce lien :";
    p.after_link = {
        validity,
        "Votre mot de passe doit compter au moins 12 caractères et ne contenir ni votre adresse "
        "ni votre nom.",
        "Si vous n'attendiez pas ce message, ne cliquez pas sur le lien : sans mot de passe "
        "choisi, le compte reste inactif. En cas de doute, contactez l'administrateur de votre "
        "structure."};
  } else {
    std::string of_structure = c.structure.empty() ? "" : " (structure « " + c.structure + " »)";
    p.before_link = {"Une réinitialisation du mot de passe a été demandée pour votre compte de "
                     "messagerie sécurisée de santé " +
                     c.address + of_structure + "."};
    p.link_intro = "Pour choisir un nouveau mot de passe, ouvrez ce lien :";
    p.after_link = {
        validity,
        "Si vous n'êtes pas à l'origine de cette demande, ignorez ce message : votre mot de passe "
        "actuel reste valable et personne ne peut l'utiliser sans ce lien. Ne transférez jamais "
        "ce message. En cas de doute, contactez l'administrateur de votre structure."};
  }
  return p;
}

}  // namespace

std::string LinkFor(std::string_view public_url, MailKind kind, std::string_view token) {
  std::string base(public_url);
  while (!base.empty() && base.back() == '/') base.pop_back();
  return base + (kind == MailKind::kActivation ? "/#/activation/" : "/#/reinitialisation/") +
         std::string(token);
}

std::string ValidityText(int64_t seconds) {
  if (seconds >= 86400 && seconds % 86400 == 0) {
    int64_t d = seconds / 86400;
    return std::to_string(d) + (d == 1 ? " jour" : " jours");
  }
  if (seconds >= 3600 && seconds % 3600 == 0) {
    int64_t h = seconds / 3600;
    return std::to_string(h) + (h == 1 ? " heure" : " heures");
  }
  int64_t m = std::max<int64_t>(1, (seconds + 59) / 60);
  return std::to_string(m) + (m == 1 ? " minute" : " minutes");
}

MailMessage BuildMail(const MailContext& c, const MailAddress& from) {
  MailMessage m;
  m.from = from;
  m.to.display_name = FullName(c);
  m.to.address = c.address;
  m.subject = std::string(c.kind == MailKind::kActivation ? kActivationSubject : kResetSubject);
  Paragraphs p = Content(c);

  std::string& t = m.text;
  t = p.greeting + "\n\n";
  for (const std::string& s : p.before_link) t += s + "\n\n";
  t += p.link_intro + "\n" + c.link + "\n\n";
  for (const std::string& s : p.after_link) t += s + "\n\n";
  t += "-- \nMessagerie sécurisée de santé (message automatique, ne pas répondre)\n";

  std::string& h = m.html;
  h = "<!DOCTYPE html>\n<html lang=\"fr\"><head><meta charset=\"utf-8\"><title>" +
      HtmlEscape(m.subject) + "</title></head>\n<body>\n<p>" + HtmlEscape(p.greeting) + "</p>\n";
  for (const std::string& s : p.before_link) h += "<p>" + HtmlEscape(s) + "</p>\n";
  h += "<p>" + HtmlEscape(p.link_intro) + "<br>\n<a href=\"" + HtmlEscape(c.link) + "\">" +
       HtmlEscape(c.link) + "</a></p>\n";
  for (const std::string& s : p.after_link) h += "<p>" + HtmlEscape(s) + "</p>\n";
  h += "<p>-- <br>\nMessagerie sécurisée de santé (message automatique, ne pas répondre)</p>\n"
       "</body></html>\n";
  return m;
}

}  // namespace caduce::notify
