// Benchmark of the directory autocomplete, SqliteDirectoryRepository::Search, over
// 1,000,000 accounts spread across eight structures of uneven size, with French
// names drawn from lists of about 200 first names and 550 last names (accents,
// compound and particle names included) and random digits in the addresses. Each
// query is what a request pays: begin a read transaction, search a random 2- or
// 3-letter prefix taken from an existing term (address, NOM or Prénom), limit 50,
// end the transaction. Every query is timed on its own; the median and the 99th
// percentile are reported as counters (microseconds) and again in a summary with
// the targets (median <= 1 ms, p99 <= 5 ms), after the machine's description.
// The last scenario is the recipient suggestions of GET /api/directory/suggestions
// (SearchDirectory: visible and not disabled accounts of every structure, 20).
//
// The database is built once (one write transaction, synchronous off) into
// bench_search_1M.db beside the binary, or $CADUCE_BENCH_SEARCH_DB, and reused by
// later runs; delete the file to rebuild it.
//
//   build/repo-rel/bench/bench_search
#include <benchmark/benchmark.h>
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <random>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "base/status.h"
#include "base/text.h"
#include "bench/machine.h"
#include "directory/fields.h"
#include "directory/model.h"
#include "directory/repository.h"
#include "store_sqlite/db.h"
#include "store_sqlite/directory_repo.h"

#ifndef CADUCE_BENCH_DIR
#define CADUCE_BENCH_DIR "."
#endif

namespace caduce {
namespace {

using directory::Account;
using directory::AccountStatus;
using directory::AccountType;
using directory::Field;
using store_sqlite::SqliteDatabase;
using store_sqlite::SqliteDirectoryRepository;
using store_sqlite::SqliteTx;
using store_sqlite::Stmt;

constexpr int kAccounts = 1000000;
constexpr int kWarmupQueries = 300;     // per scenario, not measured
constexpr int kMeasuredQueries = 3000;  // per scenario
constexpr int kPrefixesPerScenario = 1000;
constexpr double kTargetMedianUs = 1000;
constexpr double kTargetP99Us = 5000;

// ---- Data -------------------------------------------------------------------------

// Name lists, packed by hand (clang-format would put one name a line).
// clang-format off
constexpr std::string_view kFirstNames[] = {
    "Jean", "Marie", "Pierre", "Michel", "André", "Philippe", "Nathalie", "Isabelle", "Sylvie",
    "Catherine", "Françoise", "Christine", "Monique", "Valérie", "Sandrine", "Stéphanie",
    "Véronique", "Nicolas", "Christophe", "Frédéric", "Laurent", "Éric", "Stéphane", "David",
    "Olivier", "Julien", "Sébastien", "Thomas", "Alexandre", "Antoine", "Maxime", "Guillaume",
    "Romain", "Florian", "Kévin", "Mathieu", "Vincent", "Jérôme", "Patrick", "Alain", "Bernard",
    "Daniel", "Gérard", "Jacques", "René", "Claude", "Louis", "Lucas", "Hugo", "Léo", "Gabriel",
    "Raphaël", "Arthur", "Jules", "Adam", "Noé", "Théo", "Nathan", "Ethan", "Paul", "Mathis", "Tom",
    "Sacha", "Enzo", "Timéo", "Baptiste", "Clément", "Quentin", "Benjamin", "Damien", "Cédric",
    "Grégory", "Jérémy", "Anthony", "Fabrice", "Franck", "Thierry", "Pascal", "Didier", "Dominique",
    "Yves", "Hervé", "Serge", "Gilles", "Denis", "Emmanuel", "François", "Joël", "Marc", "Xavier",
    "Yann", "Loïc", "Gaël", "Hélène", "Anne", "Élodie", "Émilie", "Aurélie", "Céline", "Julie",
    "Camille", "Laura", "Manon", "Chloé", "Léa", "Emma", "Jade", "Louise", "Alice", "Lina", "Rose",
    "Anna", "Mila", "Ambre", "Inès", "Juliette", "Zoé", "Léna", "Agathe", "Margaux", "Clara",
    "Sarah", "Lucie", "Océane", "Mathilde", "Pauline", "Marine", "Charlotte", "Audrey", "Virginie",
    "Karine", "Laetitia", "Mélanie", "Caroline", "Delphine", "Corinne", "Martine", "Nicole",
    "Brigitte", "Chantal", "Annie", "Jacqueline", "Danielle", "Josiane", "Odile", "Ghislaine",
    "Bérénice", "Noémie", "Solène", "Maëlle", "Gaëlle", "Anaïs", "Clémence", "Coralie", "Estelle",
    "Fanny", "Gwenaëlle", "Héloïse", "Iris", "Jeanne", "Justine", "Laure", "Lise", "Maud",
    "Mireille", "Nadine", "Nadia", "Ophélie", "Perrine", "Rachel", "Sabrina", "Sophie", "Sonia",
    "Tiphaine", "Victoire", "Yasmine", "Fatima", "Karim", "Mohamed", "Mehdi", "Youssef", "Rachid",
    "Samir", "Nabil", "Amine", "Bilal", "Hamza", "Ibrahim", "Ali", "Omar", "Aïcha", "Myriam",
    "Leïla", "Salomé", "Capucine", "Apolline", "Bastien", "Cyril", "Dorian", "Fabien", "Gaëtan",
    "Hadrien", "Jean-Baptiste", "Jean-Pierre", "Marie-Claire", "Anne-Sophie", "Pierre-Yves",
    "Marie-Hélène",
};

constexpr std::string_view kLastNames[] = {
    "Martin", "Bernard", "Thomas", "Petit", "Robert", "Richard", "Durand", "Dubois", "Moreau",
    "Laurent", "Simon", "Michel", "Lefebvre", "Leroy", "Roux", "David", "Bertrand", "Morel",
    "Fournier", "Girard", "Bonnet", "Dupont", "Lambert", "Fontaine", "Rousseau", "Vincent",
    "Muller", "Lefèvre", "Faure", "André", "Mercier", "Blanc", "Guérin", "Boyer", "Garnier",
    "Chevalier", "François", "Legrand", "Gauthier", "Garcia", "Perrin", "Robin", "Clément", "Morin",
    "Nicolas", "Henry", "Roussel", "Mathieu", "Gautier", "Masson", "Marchand", "Duval", "Denis",
    "Dumont", "Marie", "Lemaire", "Noël", "Meyer", "Dufour", "Meunier", "Brun", "Blanchard",
    "Giraud", "Joly", "Rivière", "Lucas", "Brunet", "Gaillard", "Barbier", "Arnaud", "Martinez",
    "Gérard", "Roche", "Renard", "Schmitt", "Roy", "Leroux", "Colin", "Vidal", "Caron", "Picard",
    "Roger", "Fabre", "Aubert", "Lemoine", "Renaud", "Dumas", "Lacroix", "Olivier", "Philippe",
    "Bourgeois", "Pierre", "Benoît", "Rey", "Leclerc", "Payet", "Rolland", "Leclercq", "Guillaume",
    "Lecomte", "Lopez", "Jean", "Dupuy", "Guillot", "Hubert", "Berger", "Carpentier", "Sanchez",
    "Dupuis", "Moulin", "Louis", "Deschamps", "Huet", "Vasseur", "Perez", "Boucher", "Fleury",
    "Royer", "Klein", "Jacquet", "Adam", "Paris", "Poirier", "Marty", "Aubry", "Guyot", "Carré",
    "Charles", "Renault", "Charpentier", "Ménard", "Maillard", "Baron", "Bertin", "Bailly", "Hervé",
    "Schneider", "Fernandez", "Le Gall", "Collet", "Léger", "Bouvier", "Julien", "Prévost",
    "Millet", "Perrot", "Daniel", "Le Roux", "Cousin", "Germain", "Breton", "Besson", "Langlois",
    "Rémy", "Le Goff", "Pelletier", "Lévêque", "Perrier", "Leblanc", "Barré", "Lebrun", "Marchal",
    "Weber", "Mallet", "Hamon", "Boulanger", "Jacob", "Monnier", "Michaud", "Rodriguez", "Guichard",
    "Gillet", "Étienne", "Grondin", "Poulain", "Tessier", "Chevallier", "Collin", "Chauvin",
    "Da Silva", "Bouchet", "Gay", "Lemaître", "Bénard", "Maréchal", "Humbert", "Reynaud", "Antoine",
    "Hoarau", "Perret", "Barthélemy", "Cordier", "Pichon", "Lejeune", "Gilbert", "Lamy", "Delaunay",
    "Pasquier", "Carlier", "Laporte", "Gomez", "Rivet", "Leveque", "Maillot", "Hoareau", "Moreno",
    "Bousquet", "Navarro", "Riviere", "Duhamel", "Thibault", "Lebon", "Gros", "Vallée", "Besnard",
    "Buisson", "Turpin", "Marchetti", "Rossi", "Ferrand", "Leduc", "Brunel", "Tanguy", "Guillou",
    "Lemarchand", "Labbé", "Camus", "Girault", "Ollivier", "Hamel", "Prigent", "Jourdan", "Delmas",
    "Texier", "Pineau", "Joubert", "Devaux", "Sauvage", "Lacombe", "Leconte", "Bourdon", "Dumoulin",
    "Lemonnier", "Blondel", "Fabre-Martin", "Bigot", "Chauvet", "Vallet", "Gueguen", "Coulon",
    "Rigaud", "Raynaud", "Fort", "Laine", "Guillon", "Cohen", "Bouchard", "Goujon", "Morvan",
    "Hardy", "Lebreton", "Gaudin", "Allard", "Laurence", "Baudry", "Bodin", "Cornu", "Pons",
    "Rocher", "Marion", "Grenier", "Fleuriot", "Le Bihan", "Le Corre", "Kerjean", "Quéré",
    "Le Meur", "Le Guen", "Salaün", "Le Floch", "Cariou", "Le Berre", "Jaouen", "Cadiou", "Abgrall",
    "Guivarch", "Le Bras", "Le Du", "Guillerm", "Riou", "Nédélec", "Lagarde", "Delattre",
    "Dubreuil", "Lefort", "Delorme", "Chauveau", "Verdier", "Valentin", "Bouvet", "Barbe",
    "Maurice", "Pruvost", "Dujardin", "Benard", "Mas", "Thiebaut", "Vaillant", "Poulet", "Lenoir",
    "Fischer", "Wagner", "Hoffmann", "Koch", "Zimmermann", "Becker", "Wolff", "Kieffer", "Keller",
    "Lang", "Walter", "Fuchs", "Hartmann", "Meyer-Lévy", "Ortiz", "Diaz", "Martins", "Ferreira",
    "Pereira", "Dos Santos", "Rodrigues", "Gonçalves", "Lopes", "Costa", "Carvalho", "Fernandes",
    "Alves", "Ribeiro", "Pinto", "Teixeira", "Nguyen", "Tran", "Le", "Pham", "Hoang", "Vu", "Dang",
    "Bui", "Diallo", "Traoré", "Diop", "Ndiaye", "Camara", "Sylla", "Koné", "Touré", "Cissé",
    "Benali", "Haddad", "Mansour", "Bensaïd", "Amrani", "Belkacem", "Brahimi", "Cherif", "Hamidi",
    "Khelifi", "Mebarki", "Saïdi", "Ziani", "Boudjemaa", "Bouaziz", "Chaouch", "Ferhat", "Guerfi",
    "Aubin", "Baudouin", "Bazin", "Beaumont", "Bellanger", "Bérard", "Bernier", "Berthelot",
    "Bertrand-Roux", "Billard", "Blanchet", "Boisson", "Bonneau", "Bouillon", "Boutin", "Briand",
    "Bruneau", "Brunet-Petit", "Chabert", "Chapuis", "Charrier", "Chatelain", "Chevrier", "Chopin",
    "Clerc", "Combes", "Courtois", "Cuvelier", "Dalmas", "Delage", "Delahaye", "Delcourt",
    "Delhaye", "Deneuve", "Descamps", "Devos", "Didier", "Drouet", "Dubost", "Duchêne", "Duclos",
    "Dufresne", "Dugas", "Dupré", "Duret", "Esnault", "Fauré", "Favre", "Ferrer", "Foucher",
    "Fouquet", "Gallet", "Garreau", "Gasnier", "Gaubert", "Gervais", "Gibert", "Godard", "Godin",
    "Gosselin", "Goulet", "Granger", "Grégoire", "Guérard", "Guibert", "Guilbert", "Guyon",
    "Hébert", "Hennequin", "Hérault", "Hoche", "Imbert", "Jacquemin", "Jolly", "Jouan", "Jullien",
    "Lacoste", "Laffont", "Lagrange", "Lamotte", "Landry", "Laroche", "Lasalle", "Lavigne", "Lebas",
    "Lebœuf", "Leclère", "Lecoq", "Ledoux", "Lefranc", "Lemaitre", "Lemercier", "Lepage", "Lesage",
    "Letellier", "Lévy", "Loiseau", "Lombard", "Macé", "Maillet", "Manceau", "Marais", "Marechal",
    "Marin", "Martel", "Mathis", "Maurel", "Menard", "Mérieux", "Millot", "Moine", "Monier",
    "Montagne", "Moreau-Leroy", "Mouton", "Naudin", "Neveu", "Paquet", "Parent", "Pasteur", "Patin",
    "Pellerin", "Pepin", "Peltier", "Picot", "Pinel", "Piquet", "Poisson", "Pottier", "Prat",
    "Raymond", "Regnier", "Richer", "Rigal", "Rivals", "Roblin", "Rochette", "Roques", "Rousset",
    "Roussel-Dupont", "Sabatier", "Salmon", "Samson", "Sanson", "Sauvageot", "Savary", "Sellier",
    "Serre", "Servant", "Simonin", "Soulier", "Tardieu", "Tellier", "Teyssier", "Thierry",
    "Thomassin", "Tissot", "Toussaint", "Tournier", "Vacher", "Valette", "Vasseur-Noël", "Verger",
    "Vernet", "Vial", "Vignal", "Villard", "Voisin", "D'Almeida", "N'Diaye", "L'Hôte", "D'Arcy",
    "De La Fontaine", "De Saint-Exupéry", "Du Pont",
};
// clang-format on

struct StructureSpec {
  std::string_view name;
  std::string_view domain;
  std::string_view cp, ville, departement, region;
  int weight;  // share of the accounts, in percent
};

constexpr StructureSpec kStructures[] = {
    {"CHU de Lyon", "chu-lyon.mssante.fr", "69003", "LYON", "69", "84", 30},
    {"AP-HM Marseille", "ap-hm.mssante.fr", "13005", "MARSEILLE", "13", "93", 20},
    {"CH de Valence", "ch-valence.mssante.fr", "26000", "VALENCE", "26", "84", 15},
    {"Clinique du Parc", "clinique-parc.mssante.fr", "31000", "TOULOUSE", "31", "76", 10},
    {"Centre de santé Bellevue", "cds-bellevue.mssante.fr", "35000", "RENNES", "35", "53", 10},
    {"Groupe hospitalier de l'Est", "ghe.mssante.fr", "67000", "STRASBOURG", "67", "44", 5},
    {"Maison de santé des Alpes", "msp-alpes.mssante.fr", "38000", "GRENOBLE", "38", "84", 5},
    {"Laboratoire Biolab", "biolab.mssante.fr", "59000", "LILLE", "59", "32", 5},
};

constexpr std::string_view kServices[] = {
    "cardiologie", "pediatrie", "urgences",    "radiologie",  "oncologie", "neurologie",
    "maternite",   "chirurgie", "pneumologie", "psychiatrie", "geriatrie", "dermatologie",
    "laboratoire", "pharmacie", "accueil",     "secretariat", "bloc",      "reanimation"};

// "Jean-Baptiste" "De La Fontaine" → "jean-baptiste.de-la-fontaine": folded, with
// spaces and apostrophes as hyphens (FIELDS.md, MSSanté address generation).
std::string LocalPart(std::string_view prenom, std::string_view nom) {
  std::string out = text::Fold(prenom) + "." + text::Fold(nom);
  for (char& c : out) {
    if (c == ' ' || c == '\'') c = '-';
  }
  return out;
}

// `prefix` followed by `n` random digits.
std::string Digits(std::mt19937_64& rng, std::string_view prefix, int n) {
  std::string s(prefix);
  for (int i = 0; i < n; ++i) s += static_cast<char>('0' + rng() % 10);
  return s;
}

// One account of structure `sid` (1-based index into kStructures), unique address.
Account MakeAccount(std::mt19937_64& rng, int64_t sid, std::unordered_set<std::string>& taken) {
  const StructureSpec& st = kStructures[sid - 1];
  Account a;
  a.structure_id = sid;
  unsigned roll = rng() % 100;
  a.type = roll < 70   ? AccountType::kPer
           : roll < 82 ? AccountType::kMed
           : roll < 90 ? AccountType::kInt
           : roll < 97 ? AccountType::kOrg
                       : AccountType::kApp;
  a.status = rng() % 10 == 0 ? AccountStatus::kPending : AccountStatus::kActive;
  a.get(Field::kType) = std::string(directory::AccountTypeCode(a.type));
  a.get(Field::kRaisonSociale) = std::string(st.name);
  a.get(Field::kCp) = std::string(st.cp);
  a.get(Field::kVille) = std::string(st.ville);
  a.get(Field::kDepartement) = std::string(st.departement);
  a.get(Field::kRegion) = std::string(st.region);
  a.get(Field::kTelephone1) = Digits(rng, "04", 8);
  std::string address;
  if (directory::IsNominative(a.type)) {
    a.visible_in_directory = rng() % 100 < 85;
    std::string_view prenom = kFirstNames[rng() % std::size(kFirstNames)];
    std::string_view nom = kLastNames[rng() % std::size(kLastNames)];
    a.get(Field::kNom) = text::ToUpper(nom);
    a.get(Field::kPrenom) = std::string(prenom);
    a.get(Field::kProfession) = a.type == AccountType::kMed ? "" : "10";
    a.get(Field::kActiviteLiberale) = "NON";
    if (a.type == AccountType::kPer) a.get(Field::kRpps) = Digits(rng, "10", 9);
    std::string local = LocalPart(prenom, nom);
    do {
      address = fmt::format("{}{}@{}", local, rng() % 1000, st.domain);
    } while (!taken.insert(address).second);
  } else {
    a.visible_in_directory = rng() % 2 == 0;
    std::string_view service = kServices[rng() % std::size(kServices)];
    a.get(Field::kDescription) = fmt::format("Secrétariat {}", service);
    a.get(Field::kNomResp) = text::ToUpper(kLastNames[rng() % std::size(kLastNames)]);
    a.get(Field::kPrenomResp) = std::string(kFirstNames[rng() % std::size(kFirstNames)]);
    a.get(Field::kTypeIdStructure) = std::string("1");  // FINESS
    a.get(Field::kIdStructure) = Digits(rng, "", 9);
    do {
      address = fmt::format("{}.{}@{}", service, rng() % 100000, st.domain);
    } while (!taken.insert(address).second);
  }
  a.get(Field::kAddress) = address;
  a.created_at = a.updated_at = 1795770000LL * 1000000;
  return a;
}

int64_t PickStructure(std::mt19937_64& rng) {
  int roll = static_cast<int>(rng() % 100);
  for (size_t i = 0; i < std::size(kStructures); ++i) {
    roll -= kStructures[i].weight;
    if (roll < 0) return static_cast<int64_t>(i + 1);
  }
  return 1;
}

// Builds the database at `path` through the repository itself, in one write
// transaction with synchronous off; written under a temporary name and renamed
// when complete, so that an interrupted build is never reused.
Status Build(const std::string& path) {
  const std::string tmp = path + ".building";
  for (const char* suffix : {"", "-wal", "-shm"}) std::remove((tmp + suffix).c_str());
  store_sqlite::Options options;
  options.path = tmp;
  options.synchronous_full = false;
  auto start = std::chrono::steady_clock::now();
  {
    CADUCE_TRY(std::unique_ptr<SqliteDatabase> db, SqliteDatabase::Open(options));
    SqliteDirectoryRepository repo;
    CADUCE_TRY(std::unique_ptr<storage::Tx> tx, db->Begin(storage::TxMode::kWrite));
    // A page cache as large as the indexes keeps the build in memory.
    CADUCE_RETURN_IF_ERROR(SqliteTx::ConnOf(*tx).Exec("PRAGMA cache_size=-2097152"));
    for (const StructureSpec& spec : kStructures) {
      directory::Structure s;
      s.name = std::string(spec.name);
      s.mss_domain = std::string(spec.domain);
      s.id_type = "1";
      s.id_value = "690781810";
      CADUCE_RETURN_IF_ERROR(repo.InsertStructure(*tx, s));
    }
    std::mt19937_64 rng(20261127);
    std::unordered_set<std::string> taken;
    taken.reserve(kAccounts * 2);
    for (int i = 1; i <= kAccounts; ++i) {
      Account a = MakeAccount(rng, PickStructure(rng), taken);
      CADUCE_RETURN_IF_ERROR(repo.InsertAccount(*tx, a));
      if (i % 100000 == 0) {
        fmt::print(stderr, "  {} accounts ({:.0f} s)\n", i,
                   std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
      }
    }
    CADUCE_RETURN_IF_ERROR(tx->Commit());
  }  // closing the last connection checkpoints the WAL into the file
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) return UnavailableError(fmt::format("rename {} to {}: {}", tmp, path, ec.message()));
  fmt::print(stderr, "built {} in {:.0f} s\n", path,
             std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  return OkStatus();
}

// ---- Measurement ------------------------------------------------------------------

struct Scenario {
  std::string name;
  directory::SearchQuery query;  // everything but the prefix
  std::vector<std::string> prefixes;
  // SearchDirectory (the recipient suggestions: visible, not disabled, every
  // structure) with query.limit, instead of Search.
  bool directory = false;
};

struct Figures {
  std::string name;
  double median_us = 0;
  double p99_us = 0;
  double mean_results = 0;
};

SqliteDatabase* g_db = nullptr;
std::vector<Figures> g_figures;

// The first `n` code points of `s`.
std::string FirstCodePoints(std::string_view s, size_t n) {
  size_t i = 0;
  for (size_t k = 0; k < n && i < s.size(); ++k) text::DecodeUtf8(s, &i);
  return std::string(s.substr(0, i));
}

// Prefixes of `letters` code points taken from the terms of random accounts of
// `structures` (every structure when empty).
Result<std::vector<std::string>> SamplePrefixes(std::mt19937_64& rng, size_t letters,
                                                const std::vector<int64_t>& structures,
                                                int64_t max_id) {
  SqliteDirectoryRepository repo;
  CADUCE_TRY(std::unique_ptr<storage::Tx> tx, g_db->Begin(storage::TxMode::kRead));
  std::vector<std::string> out;
  while (out.size() < kPrefixesPerScenario) {
    int64_t id = 1 + static_cast<int64_t>(rng() % static_cast<uint64_t>(max_id));
    CADUCE_TRY(std::optional<Account> a, repo.FindAccount(*tx, id));
    if (!a) continue;
    if (!structures.empty() &&
        std::find(structures.begin(), structures.end(), a->structure_id) == structures.end()) {
      continue;
    }
    std::vector<std::string> terms = {text::Fold(a->address())};
    if (!a->get(Field::kNom).empty()) terms.push_back(text::Fold(a->get(Field::kNom)));
    if (!a->get(Field::kPrenom).empty()) terms.push_back(text::Fold(a->get(Field::kPrenom)));
    std::string prefix = FirstCodePoints(terms[rng() % terms.size()], letters);
    if (text::CodePointCount(prefix) == letters) out.push_back(std::move(prefix));
  }
  return out;
}

double Percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  size_t i = static_cast<size_t>(p * static_cast<double>(v.size() - 1) + 0.5);
  return v[std::min(i, v.size() - 1)];
}

void RunScenario(benchmark::State& state, const Scenario& sc) {
  SqliteDirectoryRepository repo;
  // One query: what a request pays, transaction included.
  auto query = [&](size_t i, size_t* results) -> Status {
    directory::SearchQuery q = sc.query;
    q.prefix = sc.prefixes[i % sc.prefixes.size()];
    CADUCE_TRY(std::unique_ptr<storage::Tx> tx, g_db->Begin(storage::TxMode::kRead));
    if (sc.directory) {
      CADUCE_TRY(std::vector<directory::DirectoryEntry> found,
                 repo.SearchDirectory(*tx, q.prefix, q.limit));
      *results = found.size();
      benchmark::DoNotOptimize(found.data());
      return OkStatus();
    }
    CADUCE_TRY(std::vector<Account> found, repo.Search(*tx, q));
    *results = found.size();
    benchmark::DoNotOptimize(found.data());
    return OkStatus();
  };
  size_t results = 0;
  // Warm-up on the last prefixes: SQLite's page cache starts empty.
  for (int i = 0; i < kWarmupQueries; ++i) {
    Status st =
        query(sc.prefixes.size() - 1 - static_cast<size_t>(i) % sc.prefixes.size(), &results);
    if (!st.ok()) {
      state.SkipWithError(st.ToString().c_str());
      return;
    }
  }
  std::vector<double> micros;
  micros.reserve(kMeasuredQueries);
  double total_results = 0;
  size_t i = 0;
  for (auto _ : state) {
    auto t0 = std::chrono::steady_clock::now();
    Status st = query(i++, &results);
    auto t1 = std::chrono::steady_clock::now();
    if (!st.ok()) {
      state.SkipWithError(st.ToString().c_str());
      return;
    }
    micros.push_back(std::chrono::duration<double, std::micro>(t1 - t0).count());
    total_results += static_cast<double>(results);
  }
  Figures f;
  f.name = sc.name;
  f.median_us = Percentile(micros, 0.50);
  f.p99_us = Percentile(micros, 0.99);
  f.mean_results = total_results / static_cast<double>(micros.size());
  state.counters["median_us"] = f.median_us;
  state.counters["p99_us"] = f.p99_us;
  state.counters["results"] = f.mean_results;
  g_figures.push_back(f);
}

int Main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  const std::string machine = bench::DescribeMachine();

  const char* env = std::getenv("CADUCE_BENCH_SEARCH_DB");
  const std::string path =
      env != nullptr && *env != '\0' ? env : std::string(CADUCE_BENCH_DIR) + "/bench_search_1M.db";
  if (!std::filesystem::exists(path)) {
    fmt::print(stderr, "building {} ({} accounts)...\n", path, kAccounts);
    Status st = Build(path);
    if (!st.ok()) {
      fmt::print(stderr, "build failed: {}\n", st.ToString());
      return 1;
    }
  } else {
    fmt::print(stderr, "reusing {}\n", path);
  }

  store_sqlite::Options options;
  options.path = path;
  Result<std::unique_ptr<SqliteDatabase>> db = SqliteDatabase::Open(options);
  if (!db.ok()) {
    fmt::print(stderr, "open failed: {}\n", db.status().ToString());
    return 1;
  }
  g_db = db->get();

  // Accounts per structure, to name the scenarios and pick the admin's structures.
  std::vector<std::pair<int64_t, int64_t>> sizes;  // (count, structure id)
  int64_t max_id = 0;
  {
    Result<std::unique_ptr<storage::Tx>> tx = g_db->Begin(storage::TxMode::kRead);
    if (!tx.ok()) return 1;
    Stmt st(SqliteTx::ConnOf(**tx),
            "SELECT structure_id, count(*) FROM accounts GROUP BY structure_id");
    while (st.Step()) sizes.emplace_back(st.Int64(1), st.Int64(0));
    Stmt mx(SqliteTx::ConnOf(**tx), "SELECT max(id) FROM accounts");
    if (mx.Step()) max_id = mx.Int64(0);
    if (!st.status().ok() || !mx.status().ok() || sizes.size() < 3 || max_id < kAccounts) {
      fmt::print(stderr, "{} is not a complete benchmark database: delete it\n", path);
      return 1;
    }
  }
  std::sort(sizes.rbegin(), sizes.rend());
  const std::vector<int64_t> largest = {sizes[0].second};
  const std::vector<int64_t> three = {sizes[0].second, sizes[1].second, sizes[2].second};
  const int64_t three_size = sizes[0].first + sizes[1].first + sizes[2].first;

  std::mt19937_64 rng(42);
  std::vector<Scenario> scenarios;
  auto add = [&](std::string name, size_t letters, std::vector<int64_t> structures,
                 bool filtered) -> bool {
    Result<std::vector<std::string>> prefixes = SamplePrefixes(rng, letters, structures, max_id);
    if (!prefixes.ok()) {
      fmt::print(stderr, "sampling failed: {}\n", prefixes.status().ToString());
      return false;
    }
    Scenario sc;
    sc.name = std::move(name);
    sc.query.structure_ids = std::move(structures);
    sc.query.only_visible = filtered;
    sc.query.only_nominative = filtered;
    sc.query.limit = 50;
    sc.prefixes = std::move(prefixes).value();
    scenarios.push_back(std::move(sc));
    return true;
  };
  const std::string admin = fmt::format("admin, 1 structure of {} accounts", sizes[0].first);
  const std::string op = fmt::format("operator, all {} accounts", max_id);
  if (!add("2 letters, " + admin, 2, largest, false) ||
      !add("3 letters, " + admin, 3, largest, false) || !add("2 letters, " + op, 2, {}, false) ||
      !add("3 letters, " + op, 3, {}, false) ||
      !add(fmt::format("2 letters, admin, 3 structures of {} accounts", three_size), 2, three,
           false) ||
      !add("2 letters, " + op + ", only visible nominative", 2, {}, true) ||
      !add("2 letters, directory suggestions (visible, not disabled), limit 20", 2, {}, true)) {
    return 1;
  }
  scenarios.back().directory = true;
  scenarios.back().query.limit = 20;
  for (const Scenario& sc : scenarios) {
    benchmark::RegisterBenchmark(("search/" + sc.name).c_str(),
                                 [&sc](benchmark::State& state) { RunScenario(state, sc); })
        ->Iterations(kMeasuredQueries)
        ->Unit(benchmark::kMicrosecond);
  }
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();

  fmt::print(
      "\nSearch latency per query (read transaction + Search, limit 50), {} queries "
      "each\nmachine: {}\n",
      kMeasuredQueries, machine);
  bool all_met = true;
  for (const Figures& f : g_figures) {
    bool met = f.median_us <= kTargetMedianUs && f.p99_us <= kTargetP99Us;
    all_met = all_met && met;
    fmt::print("  {:<72} median {:7.1f} us  p99 {:7.1f} us  ({:.1f} results)  {}\n", f.name,
               f.median_us, f.p99_us, f.mean_results, met ? "ok" : "OVER TARGET");
  }
  fmt::print("target: median <= {:.0f} us, p99 <= {:.0f} us: {}\n", kTargetMedianUs, kTargetP99Us,
             all_met ? "met" : "NOT met");
  return 0;
}

}  // namespace
}  // namespace caduce

int main(int argc, char** argv) { return caduce::Main(argc, argv); }
