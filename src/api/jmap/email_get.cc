// File: api/jmap/email_get.cc
#include "api/jmap/method.h"

namespace caduce::api::jmap {

void RegisterEmailReadMethods(MethodRegistry& registry) { (void)registry; }

}  // namespace caduce::api::jmap
