// The `caduce` command as an operator uses it: a separate process on a real
// database file, its exit codes (0 done, 1 refused, 2 usage) and what it prints.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>

#include "testing/temp_dir.h"

namespace caduce {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

struct CommandRun {
  int code = -1;
  std::string out;  // stdout and stderr together
};

class CliTest : public ::testing::Test {
 protected:
  // Runs caduce with `args` (a shell-quoted string) on this test's database.
  CommandRun Caduce(const std::string& args) {
    std::string cmd = std::string(CADUCE_BINARY) + " --db '" + dir_.File("c.db") + "' --data '" +
                      caduce::testing::DataDir() + "' " + args + " 2>&1";
    CommandRun r;
    FILE* p = popen(cmd.c_str(), "r");
    if (!p) return r;
    std::array<char, 4096> buf;
    size_t n;
    while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) r.out.append(buf.data(), n);
    int status = pclose(p);
    r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return r;
  }

  void SetUpDemo() {
    CommandRun r = Caduce("init --demo");
    ASSERT_EQ(r.code, 0) << r.out;
  }

  caduce::testing::TempDir dir_;
};

TEST_F(CliTest, InitDemoCreatesTheDemoStructure) {
  SetUpDemo();
  CommandRun r = Caduce("structure list");
  EXPECT_EQ(r.code, 0);
  EXPECT_THAT(r.out, HasSubstr("CHU de Démonstration"));
  CommandRun again = Caduce("init --demo");
  EXPECT_EQ(again.code, 0);
  EXPECT_THAT(again.out, HasSubstr("rien d'ajouté"));
}

TEST_F(CliTest, AccountAddShowsFindingsAndExitsOne) {
  SetUpDemo();
  CommandRun r = Caduce(
      "account add --type PER --set 'Adresse mail=dr.x@chu-demo.fr' --set NOM=X --set "
      "Prénom=Y --set CP=310 --set VILLE=Toulouse --set Département=31 --set Région=76 "
      "--set Profession=10 --set 'Activité libérale=NON'");
  EXPECT_EQ(r.code, 1) << r.out;
  EXPECT_THAT(r.out, HasSubstr("[CP]"));
  EXPECT_THAT(r.out, HasSubstr("ERREUR"));
  CommandRun show = Caduce("account show dr.x@chu-demo.fr");
  EXPECT_EQ(show.code, 1);
}

TEST_F(CliTest, AccountAddAndShowJson) {
  SetUpDemo();
  CommandRun r = Caduce(
      "--json account add --type MED --set 'Adresse mail=Nina.Roux@chu-demo.fr' --set "
      "NOM=Roux --set Prénom=Nina --set CP=31059 --set VILLE=Toulouse --set "
      "'Département=31 - Haute-Garonne' --set Région=Occitanie --set Profession=C01 --set "
      "'Activité libérale=non'");
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_THAT(r.out, HasSubstr("\"address\":\"nina.roux@chu-demo.fr\""));
  CommandRun show = Caduce("--json account show nina.roux@chu-demo.fr");
  EXPECT_EQ(show.code, 0);
  EXPECT_THAT(show.out, HasSubstr("\"nom\":\"ROUX\""));
  EXPECT_THAT(show.out, HasSubstr("\"departement\":\"31\""));
}

TEST_F(CliTest, UsageErrorsExitTwo) {
  EXPECT_EQ(Caduce("").code, 2);
  EXPECT_EQ(Caduce("account frobnicate").code, 2);
  EXPECT_EQ(Caduce("account add").code, 2);  // --type is required
  CommandRun bad_set = Caduce("init");
  EXPECT_EQ(bad_set.code, 0);
  EXPECT_EQ(Caduce("account add --type MED --set NOM").code, 1);
}

TEST_F(CliTest, RightsAndDefaultMailbox) {
  SetUpDemo();
  CommandRun add = Caduce("right add secretariat.cardiologie@chu-demo.fr lucas.bernard@chu-demo.fr");
  ASSERT_EQ(add.code, 0) << add.out;
  CommandRun between_persons = Caduce("right add jean.dupont@chu-demo.fr lucas.bernard@chu-demo.fr");
  EXPECT_EQ(between_persons.code, 1);
  EXPECT_THAT(between_persons.out, HasSubstr("ORG ou APP"));
  CommandRun def = Caduce("default set lucas.bernard@chu-demo.fr secretariat.cardiologie@chu-demo.fr");
  ASSERT_EQ(def.code, 0) << def.out;
  EXPECT_THAT(def.out, HasSubstr("A la prochaine connexion avec l'identifiant "
                                 "lucas.bernard@chu-demo.fr, le compte "
                                 "secretariat.cardiologie@chu-demo.fr sera affiché par défaut."));
  CommandRun no_right = Caduce("default set jean.dupont@chu-demo.fr laboratoire@chu-demo.fr");
  EXPECT_EQ(no_right.code, 1);
  CommandRun remove = Caduce("right remove secretariat.cardiologie@chu-demo.fr lucas.bernard@chu-demo.fr");
  ASSERT_EQ(remove.code, 0) << remove.out;
  CommandRun list = Caduce("right list lucas.bernard@chu-demo.fr");
  EXPECT_THAT(list.out, Not(HasSubstr("secretariat")));
}

TEST_F(CliTest, AdministratorActsOnlyOnItsStructure) {
  SetUpDemo();
  ASSERT_EQ(Caduce("structure add 'Clinique du Parc'").code, 0);
  CommandRun r = Caduce(
      "--as claire.petit@chu-demo.fr account add --structure 'Clinique du Parc' --type MED "
      "--set 'Adresse mail=z@parc.fr'");
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.out, HasSubstr("Clinique du Parc"));
  CommandRun list = Caduce("--as claire.petit@chu-demo.fr structure list");
  EXPECT_THAT(list.out, Not(HasSubstr("Clinique du Parc")));
  CommandRun create_structure = Caduce("--as claire.petit@chu-demo.fr structure add Pirate");
  EXPECT_EQ(create_structure.code, 1);
}

TEST_F(CliTest, SearchTakesSqlLiterally) {
  SetUpDemo();
  CommandRun r = Caduce("account search \"'; DROP TABLE accounts; --\"");
  EXPECT_EQ(r.code, 0) << r.out;
  CommandRun again = Caduce("account search dup");
  EXPECT_THAT(again.out, HasSubstr("jean.dupont@chu-demo.fr"));
}

TEST_F(CliTest, AuditVerifyAndList) {
  SetUpDemo();
  CommandRun v = Caduce("audit verify");
  EXPECT_EQ(v.code, 0) << v.out;
  EXPECT_THAT(v.out, HasSubstr("Chaîne intacte"));
  CommandRun l = Caduce("audit list --action right.");
  EXPECT_EQ(l.code, 0);
  EXPECT_THAT(l.out, HasSubstr("right.granted"));
  CommandRun wrong_head = Caduce("audit verify --expect-head 00");
  EXPECT_EQ(wrong_head.code, 1);
}

TEST_F(CliTest, ExpireRuns) {
  SetUpDemo();
  CommandRun r = Caduce("expire");
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_THAT(r.out, HasSubstr("0 compte(s) désactivé(s)"));
}

TEST_F(CliTest, ExportThenImportChangesNothingAndReportIsWritten) {
  SetUpDemo();
  std::string xlsx = dir_.File("comptes.xlsx");
  CommandRun exp = Caduce("export -o '" + xlsx + "'");
  ASSERT_EQ(exp.code, 0) << exp.out;
  EXPECT_THAT(exp.out, HasSubstr("6 compte(s) exporté(s)"));
  CommandRun imp = Caduce("import -q '" + xlsx + "' --report '" + dir_.File("r.json") + "'");
  ASSERT_EQ(imp.code, 0) << imp.out;
  EXPECT_THAT(imp.out, HasSubstr("0 créé(s), 0 modifié(s), 6 inchangé(s), 0 rejeté(s)"));
  std::ifstream report(dir_.File("r.json"));
  std::string json((std::istreambuf_iterator<char>(report)), std::istreambuf_iterator<char>());
  EXPECT_THAT(json, HasSubstr("\"unchanged\":6"));
}

TEST_F(CliTest, ImportOfAMissingFileIsAUsageError) {
  EXPECT_EQ(Caduce("import /nonexistent.xlsx").code, 2);
}

TEST_F(CliTest, AllOrNothingImportExitsOneAndWritesNothing) {
  SetUpDemo();
  std::string csv = dir_.File("a.csv");
  std::ofstream(csv) << "Type de compte;Adresse mail;NOM;Prénom;CP;VILLE;Département;Région;"
                        "Profession;Activité libérale\n"
                        "MED;new.one@chu-demo.fr;One;New;31059;Toulouse;31;76;C01;NON\n"
                        "MED;bad;Two;Bad;31059;Toulouse;31;76;C01;NON\n";
  CommandRun r = Caduce("import -q --all-or-nothing '" + csv + "'");
  EXPECT_EQ(r.code, 1) << r.out;
  EXPECT_THAT(r.out, HasSubstr("ligne      3"));
  EXPECT_EQ(Caduce("account show new.one@chu-demo.fr").code, 1);
}

TEST_F(CliTest, MissingDataDirectoryStopsWithTheFileNamed) {
  std::string cmd = std::string(CADUCE_BINARY) + " --db '" + dir_.File("c.db") +
                    "' --data /nonexistent init 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  std::string out;
  std::array<char, 4096> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) out.append(buf.data(), n);
  int status = pclose(p);
  EXPECT_EQ(WEXITSTATUS(status), 3);
  EXPECT_THAT(out, HasSubstr("/nonexistent/"));
}

}  // namespace
}  // namespace caduce
