// File: api/jmap/mailbox.cc
#include "api/jmap/method.h"

namespace caduce::api::jmap {

void RegisterMailboxMethods(MethodRegistry& registry) { (void)registry; }

}  // namespace caduce::api::jmap
