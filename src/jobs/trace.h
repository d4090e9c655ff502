// File: jobs/trace.h
//
// Audit entries for administration calls that change nothing in the directory but
// must be traced (DESIGN.md rule 3, issue 4 item 8): an export of the account list,
// an export of the audit trail, each import step. The entry names the person (the
// actor), its IP and user agent, and the structure concerned as its object
// ("structure:<id>"), so that the structure's trail lists it.
#ifndef CADUCE_JOBS_TRACE_H_
#define CADUCE_JOBS_TRACE_H_

#include <cstdint>
#include <string>

#include "base/json.h"
#include "base/status.h"
#include "directory/directory_service.h"

namespace caduce::jobs {

// Appends `action` on structure `structure_id` with `detail` (the actor's user
// agent is added) in a transaction of its own.
Status TraceStructureAction(directory::DirectoryService& service, const directory::Actor& actor,
                            std::string action, int64_t structure_id, JsonObject detail);

}  // namespace caduce::jobs

#endif  // CADUCE_JOBS_TRACE_H_
