// File: jobs/trace.cc
//
// The audit entries of administration reads and import steps (see trace.h).
#include "jobs/trace.h"

#include <fmt/format.h>

#include <utility>

namespace caduce::jobs {

Status TraceStructureAction(directory::DirectoryService& service, const directory::Actor& actor,
                            std::string action, int64_t structure_id, JsonObject detail) {
  if (!actor.user_agent.empty()) detail.Add("user_agent", actor.user_agent);
  audit::Event e;
  e.actor_person_id = actor.person_id;
  e.actor = actor.label;
  e.action = std::move(action);
  e.object = fmt::format("structure:{}", structure_id);
  e.ip = actor.ip;
  e.detail = detail.str();
  CADUCE_TRY(auto tx, service.db().Begin(storage::TxMode::kWrite));
  CADUCE_RETURN_IF_ERROR(service.audit().Append(*tx, std::move(e)).status());
  return tx->Commit();
}

}  // namespace caduce::jobs
