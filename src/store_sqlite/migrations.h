// File: store_sqlite/migrations.h
//
// The numbered schema migrations of the SQLite backend. Each runs once, in order,
// in its own transaction, and records its number in schema_migrations. Never edit a
// migration that has shipped: add the next one.
#ifndef CADUCE_STORE_SQLITE_MIGRATIONS_H_
#define CADUCE_STORE_SQLITE_MIGRATIONS_H_

#include <string_view>
#include <vector>

namespace caduce::store_sqlite {

struct Migration {
  int version;
  std::string_view name;
  std::string_view sql;
};

const std::vector<Migration>& Migrations();

}  // namespace caduce::store_sqlite

#endif  // CADUCE_STORE_SQLITE_MIGRATIONS_H_
