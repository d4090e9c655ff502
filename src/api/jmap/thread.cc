// File: api/jmap/thread.cc
#include "api/jmap/method.h"

namespace caduce::api::jmap {

void RegisterThreadMethods(MethodRegistry& registry) { (void)registry; }

}  // namespace caduce::api::jmap
