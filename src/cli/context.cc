// Opening the store for a command, and printing results and findings.
#include "cli/context.h"

#include <iostream>

#include <fmt/format.h>

namespace caduce::cli {

using directory::Account;
using directory::Finding;
using directory::Severity;

int ExitCodeFor(const Status& status) {
  switch (status.code()) {
    case Code::kOk:
      return kExitOk;
    case Code::kInvalidArgument:
    case Code::kNotFound:
    case Code::kAlreadyExists:
    case Code::kPermissionDenied:
    case Code::kUnauthenticated:
    case Code::kFailedPrecondition:
    case Code::kResourceExhausted:
      return kExitRefused;
    default:
      return kExitFailure;
  }
}

boost::json::array FindingsJson(const std::vector<Finding>& findings) {
  boost::json::array out;
  for (const Finding& f : findings) {
    out.push_back(boost::json::object{
        {"field", std::string(directory::Spec(f.field).header)},
        {"severity", f.severity == Severity::kError ? "error" : "warning"},
        {"code", f.code},
        {"message", f.message},
    });
  }
  return out;
}

std::unique_ptr<Context> Context::Open(const GlobalOptions& options, int* exit_code) {
  std::unique_ptr<Context> ctx(new Context());
  ctx->options_ = options;
  std::string data_dir =
      options.data_dir.empty() ? directory::ReferenceData::DefaultDir() : options.data_dir;
  Result<directory::ReferenceData> ref = directory::ReferenceData::Load(data_dir);
  if (!ref.ok()) {
    std::cerr << "caduce: données de référence illisibles : " << ref.status().message() << "\n";
    *exit_code = kExitFailure;
    return nullptr;
  }
  ctx->ref_ = std::move(*ref);
  store_sqlite::Options db_options;
  db_options.path = options.db_path;
  Result<std::unique_ptr<store_sqlite::SqliteDatabase>> db =
      store_sqlite::SqliteDatabase::Open(db_options);
  if (!db.ok()) {
    std::cerr << "caduce: base de données " << options.db_path << " : " << db.status().message()
              << "\n";
    *exit_code = ExitCodeFor(db.status()) == kExitRefused ? kExitRefused : kExitFailure;
    return nullptr;
  }
  ctx->db_ = std::move(*db);
  ctx->audit_ = std::make_unique<audit::AuditLog>(ctx->audit_repo_, SystemClock::Get());
  ctx->service_ = std::make_unique<directory::DirectoryService>(
      *ctx->db_, ctx->directory_repo_, *ctx->audit_, ctx->ref_, SystemClock::Get());
  if (!options.as.empty()) {
    // Act as a person: every command is then authorised as that person would be
    // (an administrator sees only its structures).
    Result<std::unique_ptr<storage::Tx>> tx = ctx->db_->Begin(storage::TxMode::kRead);
    if (!tx.ok()) {
      *exit_code = ctx->Fail(tx.status());
      return nullptr;
    }
    Result<std::optional<Account>> person =
        ctx->directory_repo_.FindAccountByAddress(**tx, options.as);
    if (!person.ok() || !*person || !directory::IsNominative((*person)->type)) {
      std::cerr << "caduce: --as " << options.as << " : aucun compte nominatif à cette adresse.\n";
      *exit_code = kExitUsage;
      return nullptr;
    }
    ctx->actor_ = directory::Actor{directory::Actor::Kind::kPerson, (*person)->id,
                                   (*person)->address(), ""};
  }
  *exit_code = kExitOk;
  return ctx;
}

int Context::Fail(const Status& status, const std::vector<Finding>& findings) {
  if (json()) {
    boost::json::object o{{"ok", false},
                          {"error", std::string(CodeName(status.code()))},
                          {"message", status.message()},
                          {"findings", FindingsJson(findings)}};
    PrintJson(o);
  } else {
    std::cerr << "caduce: " << status.message() << "\n";
    for (const Finding& f : findings) {
      std::cerr << fmt::format("  {:9} [{}] {} ({})\n",
                               f.severity == Severity::kError ? "ERREUR" : "ATTENTION",
                               directory::Spec(f.field).header, f.message, f.code);
    }
  }
  return ExitCodeFor(status);
}

void Context::PrintFindings(const std::vector<Finding>& findings) {
  if (json()) return;  // included in the JSON result by the caller
  for (const Finding& f : findings) {
    std::cout << fmt::format("  {:9} [{}] {} ({})\n",
                             f.severity == Severity::kError ? "ERREUR" : "ATTENTION",
                             directory::Spec(f.field).header, f.message, f.code);
  }
}

void Context::Done(const boost::json::value& result, const std::string& text) {
  if (json()) {
    PrintJson(result);
  } else if (!text.empty()) {
    std::cout << text;
    if (text.back() != '\n') std::cout << '\n';
  }
}

void Context::PrintJson(const boost::json::value& v) {
  std::cout << boost::json::serialize(v) << "\n";
}

boost::json::object Context::AccountJson(const Account& a) {
  boost::json::object fields;
  for (const directory::FieldSpec& s : directory::FieldTable()) {
    if (s.field == directory::Field::kConnectionAccounts ||
        s.field == directory::Field::kStructure) {
      continue;
    }
    fields[s.key] = a.get(s.field);
  }
  fields["type"] = std::string(directory::AccountTypeCode(a.type));
  return boost::json::object{
      {"id", a.id},
      {"address", a.address()},
      {"type", std::string(directory::AccountTypeCode(a.type))},
      {"structure_id", a.structure_id},
      {"status", std::string(directory::AccountStatusName(a.status))},
      {"disabled_reason", a.disabled_reason},
      {"visible_in_directory", a.visible_in_directory},
      {"default_mailbox_id", a.default_mailbox_id},
      {"fields", std::move(fields)},
  };
}

Result<Account> Context::AccountByAddress(const std::string& address) {
  return service_->GetAccountByAddress(actor_, address);
}

Result<directory::Structure> Context::StructureByName(const std::string& name) {
  if (!name.empty()) return service_->FindStructure(actor_, name);
  CADUCE_TRY(std::vector<directory::Structure> all, service_->ListStructures(actor_));
  if (all.size() == 1) return all.front();
  if (all.empty()) {
    return NotFoundError("Aucune structure : créez-en une avec « caduce structure add ».");
  }
  return InvalidArgumentError(
      "Plusieurs structures : indiquez laquelle avec --structure \"Nom exact\".");
}

}  // namespace caduce::cli
