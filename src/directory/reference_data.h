// File: directory/reference_data.h
//
// The reference lists of data/ (departments, regions, professions, specialties,
// civilités d'exercice, structure identifier types), loaded once at start and
// read-only afterwards (thread-safe to share). Lists are matched "without regard
// to case, accents or extra spaces, by code or label" (FIELDS.md), and also as
// "code - label", the form the export writes.
#ifndef CADUCE_DIRECTORY_REFERENCE_DATA_H_
#define CADUCE_DIRECTORY_REFERENCE_DATA_H_

#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/status.h"

namespace caduce::directory {

struct ListEntry {
  std::string code;
  std::string label;
  // The file's third column where it has one: a department's region code, a
  // profession's category ("sante", "medico-social", "non-sante"), a specialty's status.
  std::string extra;
};

class ReferenceList {
 public:
  ReferenceList() = default;
  explicit ReferenceList(std::vector<ListEntry> entries);

  // The entry whose code or label matches `value` (case, accents and spaces
  // ignored), or "code - label"; nullptr when none does.
  const ListEntry* Find(std::string_view value) const;
  const ListEntry* FindCode(std::string_view code) const;
  const std::vector<ListEntry>& entries() const { return entries_; }

 private:
  std::vector<ListEntry> entries_;
  std::unordered_map<std::string, size_t> by_key_;  // folded code and label → index
};

class ReferenceData {
 public:
  // Loads every list from `dir` (data/ of the repository). Returns kDataLoss when a
  // file is missing or malformed, with a message that names the file and the line.
  static Result<ReferenceData> Load(const std::string& dir);

  // The data directory: $CADUCE_DATA_DIR when set, else the build-time default.
  static std::string DefaultDir();

  const ReferenceList& departements() const { return departements_; }  // extra: region code
  const ReferenceList& regions() const { return regions_; }
  const ReferenceList& professions() const { return professions_; }    // extra: category
  const ReferenceList& specialites() const { return specialites_; }    // extra: status
  const ReferenceList& civilites() const { return civilites_; }
  // Only the three codes the import file uses: 1 FINESS, 2 SIREN, 3 SIRET.
  const ReferenceList& types_id_structure() const { return types_id_structure_; }

 private:
  ReferenceList departements_, regions_, professions_, specialites_, civilites_,
      types_id_structure_;
};

}  // namespace caduce::directory

#endif  // CADUCE_DIRECTORY_REFERENCE_DATA_H_
