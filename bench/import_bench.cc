// The bulk import and export of 100,000 accounts, measured as an administrator
// runs them: the `caduce` command as a separate process on a real SQLite file
// (synchronous=FULL). The file: a generated XLSX with all five types, 20,000 ORG rows
// naming 3 connection accounts each, ORG rows before the persons they name.
// Printed: the dry run, the import, both together (target <= 3 s), the peak memory
// of each process (target <= 256 MiB), the export (target <= 1.5 s), and, side by
// side, the time openpyxl (read-only mode) takes merely to read the same file
// (caduce's whole import must be at least 10 times faster). Also printed: the
// store's floor, what SQLite alone takes to write the rows that the import wrote
// (copied from the imported database into a new one, with the import's settings
// and its deferred index builds): the part of the apply that no import code can
// remove while the store keeps these rows.
#include <fcntl.h>
#include <sqlite3.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "bench/machine.h"
#include "directory/fields.h"
#include "import_export/formats/xlsx_writer.h"

namespace caduce {
namespace {

using directory::Field;
using directory::FieldIndex;

constexpr int kRows = 100000;
constexpr int kOrg = 20000;
constexpr int kApp = 2000;

const char* kFirst[] = {"Marie", "Jean", "Hélène", "Éloïse", "Paul", "Zoé", "Lucas", "Chloé",
                        "Mathis", "Léa", "Noémie", "François", "Anaïs", "Jérôme", "Inès"};
const char* kLast[] = {"Dupont", "Martin", "Lefèvre", "Bernard", "Durand", "Müller",
                       "Petit", "Roux", "Fournier", "Girard", "Bonnet", "Lambert", "Faure"};

struct Measure {
  double seconds = 0;
  double cpu_seconds = 0;  // user + system, every thread: what a busy machine does not inflate
  long max_rss_kib = 0;
  int exit_code = -1;
};

// Runs `argv` as a child process and measures its wall time and peak memory.
Measure RunProcess(const std::vector<std::string>& args) {
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  auto start = std::chrono::steady_clock::now();
  pid_t pid = fork();
  if (pid == 0) {
    int devnull = open("/dev/null", O_WRONLY);
    dup2(devnull, 1);
    execv(argv[0], argv.data());
    _exit(127);
  }
  int status = 0;
  struct rusage ru {};
  wait4(pid, &status, 0, &ru);
  Measure m;
  m.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  m.max_rss_kib = ru.ru_maxrss;
  auto secs = [](const timeval& tv) { return tv.tv_sec + tv.tv_usec / 1e6; };
  m.cpu_seconds = secs(ru.ru_utime) + secs(ru.ru_stime);
  m.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return m;
}

// Runs `body` in a child process and measures it as RunProcess does; the child
// exits with what `body` returns.
Measure RunInChild(const std::function<int()>& body) {
  std::fflush(stdout);
  auto start = std::chrono::steady_clock::now();
  pid_t pid = fork();
  if (pid == 0) _exit(body());
  int status = 0;
  struct rusage ru {};
  wait4(pid, &status, 0, &ru);
  Measure m;
  m.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  m.max_rss_kib = ru.ru_maxrss;
  auto secs = [](const timeval& tv) { return tv.tv_sec + tv.tv_usec / 1e6; };
  m.cpu_seconds = secs(ru.ru_utime) + secs(ru.ru_stime);
  m.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return m;
}

// The store's floor: into `floor_db` (the schema and the structure, nothing else),
// SQLite copies the accounts, search terms, connection rights and trail entries of
// `imported_db` in one transaction, as the import writes them: synchronous=FULL and
// the import's cache, the new accounts' counting trigger dropped and their
// rebuildable indexes built after the rows (all but the two that the import keeps,
// whose entries it appends), each table's rows in its key order, then the commit and
// the checkpoint at close. No parsing, validation, encoding or hashing: the rows are
// already records. Returns 0 when every statement succeeded.
int CopyImportedRows(const std::string& floor_db, const std::string& imported_db) {
  sqlite3* db = nullptr;
  if (sqlite3_open(floor_db.c_str(), &db) != SQLITE_OK) return 1;
  auto exec = [&](const std::string& sql) {
    char* err = nullptr;
    if (sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err) == SQLITE_OK) return true;
    std::fprintf(stderr, "floor: %s: %s\n", sql.c_str(), err ? err : "?");
    sqlite3_free(err);
    return false;
  };
  std::vector<std::string> drop, create;
  {
    sqlite3_stmt* st = nullptr;
    sqlite3_prepare_v2(db,
                       "SELECT name, sql FROM sqlite_schema WHERE type = 'index' AND "
                       "tbl_name = 'accounts' AND sql IS NOT NULL AND sql NOT LIKE "
                       "'CREATE UNIQUE%' AND sql NOT LIKE '% WHERE %' AND name NOT IN "
                       "('accounts_by_structure', 'accounts_by_structure_sign_in')",
                       -1, &st, nullptr);
    while (sqlite3_step(st) == SQLITE_ROW) {
      drop.push_back(std::string("DROP INDEX ") +
                     reinterpret_cast<const char*>(sqlite3_column_text(st, 0)));
      create.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(st, 1)));
    }
    sqlite3_finalize(st);
  }
  std::string trigger;
  {
    sqlite3_stmt* st = nullptr;
    sqlite3_prepare_v2(db,
                       "SELECT sql FROM sqlite_schema WHERE type = 'trigger' AND "
                       "name = 'account_counts_insert'",
                       -1, &st, nullptr);
    if (sqlite3_step(st) == SQLITE_ROW) {
      trigger = reinterpret_cast<const char*>(sqlite3_column_text(st, 0));
    }
    sqlite3_finalize(st);
  }
  bool ok = exec("PRAGMA journal_mode = WAL") && exec("PRAGMA synchronous = FULL") &&
            exec("PRAGMA cache_size = -16384") &&
            exec("ATTACH '" + imported_db + "' AS src") && exec("BEGIN IMMEDIATE");
  for (const std::string& sql : drop) ok = ok && exec(sql);
  if (!trigger.empty()) ok = ok && exec("DROP TRIGGER account_counts_insert");
  ok = ok &&
       exec("INSERT INTO accounts SELECT * FROM src.accounts "
            "WHERE id > (SELECT coalesce(max(id), 0) FROM main.accounts) ORDER BY id") &&
       exec("INSERT INTO audit SELECT * FROM src.audit "
            "WHERE seq > (SELECT coalesce(max(seq), 0) FROM main.audit) ORDER BY seq") &&
       exec("INSERT INTO account_search SELECT * FROM src.account_search "
            "ORDER BY term, account_id") &&
       exec("INSERT INTO connection_rights SELECT * FROM src.connection_rights "
            "ORDER BY mailbox_id, person_id");
  for (const std::string& sql : create) ok = ok && exec(sql);
  if (!trigger.empty()) {
    ok = ok &&
         exec("INSERT INTO account_counts (structure_id, type, status, n) "
              "SELECT structure_id, type, status, count(*) FROM src.accounts GROUP BY 1, 2, 3 "
              "ON CONFLICT (structure_id, type, status) DO UPDATE SET n = excluded.n") &&
         exec(trigger);
  }
  ok = ok && exec("COMMIT") && exec("DETACH src");
  return sqlite3_close(db) == SQLITE_OK && ok ? 0 : 1;
}

std::string PersonAddress(int i) { return "personne" + std::to_string(i) + "@chu-bench.fr"; }

// Writes the 100,000-row file with every column of FIELDS.md.
void WriteFile(const std::string& path) {
  auto w = std::move(*import_export::XlsxWriter::Create(path, "Comptes"));
  std::vector<std::string> headers;
  for (const auto& s : directory::FieldTable()) headers.emplace_back(s.header);
  if (!w->SetColumns(headers, {}).ok()) std::abort();
  const int persons = kRows - kOrg - kApp;
  std::vector<std::string> row(headers.size());
  auto common = [&](std::vector<std::string>& r) {
    r[FieldIndex(Field::kRaisonSociale)] = "CHU de Bench";
    r[FieldIndex(Field::kAdresse1)] = "1 place du Docteur Baylac";
    r[FieldIndex(Field::kCp)] = "31059";
    r[FieldIndex(Field::kVille)] = "Toulouse";
    r[FieldIndex(Field::kDepartement)] = "31 - Haute-Garonne";
    r[FieldIndex(Field::kRegion)] = "76 - Occitanie";
  };
  // Shared mailboxes first: they name persons of later rows (one pass resolves them).
  for (int i = 0; i < kOrg + kApp; ++i) {
    std::fill(row.begin(), row.end(), "");
    common(row);
    bool org = i < kOrg;
    row[FieldIndex(Field::kType)] = org ? "ORG" : "APP";
    row[FieldIndex(Field::kAddress)] = (org ? "service" : "logiciel") + std::to_string(i) +
                                       "@chu-bench.fr";
    row[FieldIndex(Field::kTypeIdStructure)] = "2";
    row[FieldIndex(Field::kIdStructure)] = "310001235";
    row[FieldIndex(Field::kNomResp)] = kLast[i % 13];
    row[FieldIndex(Field::kPrenomResp)] = kFirst[i % 15];
    row[FieldIndex(Field::kProfessionResp)] = "Cadre de santé";
    row[FieldIndex(Field::kIdentifiantResp)] = "poste " + std::to_string(1000 + i % 9000);
    row[FieldIndex(Field::kDescription)] = "Secrétariat du service n°" + std::to_string(i);
    if (org) {
      row[FieldIndex(Field::kConnectionAccounts)] =
          PersonAddress((3 * i) % persons) + ";" + PersonAddress((3 * i + 1) % persons) + ";" +
          PersonAddress((3 * i + 2) % persons);
    }
    if (!w->WriteRow(row).ok()) std::abort();
  }
  for (int i = 0; i < persons; ++i) {
    std::fill(row.begin(), row.end(), "");
    common(row);
    int kind = i % 3;
    row[FieldIndex(Field::kType)] = kind == 0 ? "PER" : kind == 1 ? "INT" : "MED";
    row[FieldIndex(Field::kAddress)] = PersonAddress(i);
    row[FieldIndex(Field::kNom)] = kLast[i % 13];
    row[FieldIndex(Field::kPrenom)] = kFirst[(i / 13) % 15];
    row[FieldIndex(Field::kActiviteLiberale)] = "NON";
    row[FieldIndex(Field::kTelephone1)] = "05 61 00 " + std::to_string(10 + i % 90) + " 00";
    if (kind == 0) {
      row[FieldIndex(Field::kRpps)] = "10001234565";
      row[FieldIndex(Field::kProfession)] = "10 - Médecin";
      row[FieldIndex(Field::kSpecialite)] = "SM04";
    } else if (kind == 1) {
      row[FieldIndex(Field::kProfession)] = "Infirmier";
      row[FieldIndex(Field::kTypeIdStructure)] = "3";
      row[FieldIndex(Field::kIdStructure)] = "31000123500012";
    } else {
      row[FieldIndex(Field::kProfession)] = "Secrétaire médical";
    }
    if (!w->WriteRow(row).ok()) std::abort();
  }
  if (!w->Close().ok()) std::abort();
}

}  // namespace
}  // namespace caduce

int main() {
  using caduce::Measure;
  using caduce::RunProcess;
  std::printf("machine: %s\n", caduce::bench::DescribeMachine().c_str());
  std::string dir = std::filesystem::temp_directory_path() / "caduce-bench-import";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  std::string file = dir + "/comptes-100k.xlsx";
  std::string db = dir + "/caduce.db";
  std::string out = dir + "/export.xlsx";
  std::string bin = CADUCE_BINARY;
  std::string data = CADUCE_DATA_DIR;

  caduce::WriteFile(file);
  std::printf("file: %s, %d rows (%d ORG with 3 connection accounts, %d APP), %.1f MiB\n",
              file.c_str(), caduce::kRows, caduce::kOrg, caduce::kApp,
              std::filesystem::file_size(file) / 1048576.0);
  auto caduce_cmd = [&](std::vector<std::string> args) {
    std::vector<std::string> a = {bin, "--db", db, "--data", data};
    a.insert(a.end(), args.begin(), args.end());
    return RunProcess(a);
  };
  Measure init = caduce_cmd({"structure", "add", "CHU de Bench"});
  if (init.exit_code != 0) {
    std::printf("could not create the structure\n");
    return 1;
  }
  Measure dry = caduce_cmd({"import", file, "--dry-run", "-q", "--structure", "CHU de Bench"});
  Measure apply = caduce_cmd({"import", file, "-q", "--structure", "CHU de Bench"});
  std::string floor_db = dir + "/floor.db";
  Measure floor_init = caduce::RunProcess(
      {bin, "--db", floor_db, "--data", data, "structure", "add", "CHU de Bench"});
  Measure floor = caduce::RunInChild([&] { return caduce::CopyImportedRows(floor_db, db); });
  if (floor_init.exit_code != 0) floor.exit_code = floor_init.exit_code;
  Measure exp = caduce_cmd({"export", "-o", out});
  Measure again = caduce_cmd({"import", out, "-q"});
  std::string py = "import openpyxl,sys\nwb=openpyxl.load_workbook(sys.argv[1],read_only=True)\n"
                   "n=sum(1 for _ in wb.active.iter_rows(values_only=True))\n";
  std::string script = dir + "/read.py";
  std::FILE* f = std::fopen(script.c_str(), "w");
  std::fputs(py.c_str(), f);
  std::fclose(f);
  Measure openpyxl = RunProcess({"/usr/bin/python3", script, file});

  double both = dry.seconds + apply.seconds;
  std::printf("\n%-46s %10s %10s %14s %6s\n", "step", "wall (s)", "cpu (s)", "peak RSS (MiB)",
              "exit");
  auto line = [](const char* name, const Measure& m) {
    std::printf("%-46s %10.3f %10.3f %14.1f %6d\n", name, m.seconds, m.cpu_seconds,
                m.max_rss_kib / 1024.0, m.exit_code);
  };
  line("caduce import --dry-run (100k rows)", dry);
  line("caduce import (100k rows, applied)", apply);
  line("store floor: SQLite copying the import's rows", floor);
  line("caduce export (100k accounts, xlsx)", exp);
  line("caduce import of the export (unchanged)", again);
  line("openpyxl read-only: reading the file only", openpyxl);
  double load[1] = {0};
  if (getloadavg(load, 1) == 1) {
    std::printf("\nload average (1 min) at the end: %.2f (wall times stretch when it exceeds "
                "the cores)\n", load[0]);
  }
  std::printf("\ndry run + import: %.3f s (target <= 3 s), cpu %.3f s\n", both,
              dry.cpu_seconds + apply.cpu_seconds);
  std::printf("peak memory: %.1f MiB (target <= 256 MiB)\n",
              std::max(dry.max_rss_kib, apply.max_rss_kib) / 1024.0);
  std::printf("export: %.3f s (target <= 1.5 s)\n", exp.seconds);
  // The figure: how many times faster caduce's whole import is than
  // openpyxl merely reading the file, in wall time (what the administrator waits)
  // and in CPU time (what a loaded machine does not inflate).
  std::printf("whole import (dry run + apply) vs openpyxl read: %.1fx wall, %.1fx cpu "
              "(target >= 10x)\n",
              openpyxl.seconds / both,
              openpyxl.cpu_seconds / (dry.cpu_seconds + apply.cpu_seconds));
  std::printf("apply-only import (caduce import FILE, no --dry-run) vs openpyxl read: %.1fx "
              "wall, %.1fx cpu\n",
              openpyxl.seconds / apply.seconds, openpyxl.cpu_seconds / apply.cpu_seconds);
  // The import's work above the store: what reading, checking, planning and the
  // trail's encoding and hashing add to the floor, and what 10x openpyxl leaves.
  std::printf("store floor (SQLite alone writing the imported rows): %.3f s wall, %.3f s cpu; "
              "the apply's time above it: %.3f s; 10x openpyxl leaves %.3f s for the whole "
              "import\n",
              floor.seconds, floor.cpu_seconds, apply.seconds - floor.seconds,
              openpyxl.seconds / 10);
  if (std::getenv("CADUCE_BENCH_KEEP") == nullptr) {
    std::filesystem::remove_all(dir);
  } else {
    std::printf("kept: %s\n", dir.c_str());
  }
  return (dry.exit_code | apply.exit_code | floor.exit_code | exp.exit_code | again.exit_code) == 0
             ? 0
             : 1;
}
