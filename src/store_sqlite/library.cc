// One-time set-up of the SQLite library (see library.h).
#include "store_sqlite/library.h"

#include <sqlite3.h>

#include <mutex>

namespace caduce::store_sqlite {

bool ConfigureSqliteLibrary() {
  static std::once_flag once;
  static bool configured = false;
  std::call_once(once,
                 [] { configured = sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0) == SQLITE_OK; });
  return configured;
}

}  // namespace caduce::store_sqlite
