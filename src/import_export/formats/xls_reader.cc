// XLS reader: FreeXL in a forked child, rows back through a pipe (see
// xls_reader.h for why).
//
// Pipe records, all integers little-endian as the machine writes them (parent
// and child are the same binary):
//   'O' u32 len, sheet name          the workbook opened
//   'R' i64 number, u32 count, then count cells: u32 column, u8 kind, u32 len, text
//   'E'                              no more rows
//   'X' u8 code, u32 len, message    an error (a Code and its French message)
#include "import_export/formats/xls_reader.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <freexl.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <utility>
#include <vector>

#include "base/text.h"
#include "import_export/formats/internal/limit_errors.h"

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define CADUCE_XLS_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define CADUCE_XLS_ASAN 1
#endif
#ifdef CADUCE_XLS_ASAN
#include <sanitizer/common_interface_defs.h>
#endif

namespace caduce::import_export {
namespace {

// The child's budget: a workbook of 512 MiB parses in seconds.
constexpr rlim_t kChildCpuSeconds = 60;
// The parent gives up when the child sends nothing for this long.
constexpr int kReadTimeoutMs = 120 * 1000;

Status NotXls(std::string_view detail) {
  return InvalidArgumentError(
      fmt::format("Le fichier n'est pas un classeur Excel 97-2003 valide (.xls) : {}.", detail));
}

Status FreexlError(int code) {
  switch (code) {
    case FREEXL_INSUFFICIENT_MEMORY:
      return ResourceExhaustedError("Mémoire insuffisante pour lire le classeur .xls.");
    case FREEXL_INVALID_CFBF_HEADER:
    case FREEXL_CFBF_INVALID_SIGNATURE:
      return NotXls("ce n'est pas un fichier OLE2 (Excel 97-2003)");
    case FREEXL_BIFF_WORKBOOK_NOT_FOUND:
      // Also what a password-protected .xlsx looks like: an OLE2 file holding an
      // EncryptedPackage stream ([MS-OFFCRYPTO] §2.3.4.4) instead of a workbook.
      return NotXls(
          "le fichier ne contient pas de classeur (s'il est protégé par un mot de passe, "
          "enregistrez-le sans mot de passe)");
    case FREEXL_BIFF_INVALID_BOF:
      return NotXls("version d'Excel non prise en charge ou fichier corrompu");
    case FREEXL_UNSUPPORTED_CHARSET:
    case FREEXL_INVALID_CHARACTER:
      return NotXls("encodage des textes non pris en charge");
    case FREEXL_CRAFTED_FILE:
      return NotXls("fichier corrompu ou forgé");
    default:
      return NotXls(fmt::format("fichier corrompu (code FreeXL {})", code));
  }
}

// FreeXL's "YYYY-MM-DD HH:MM:SS" as ISO 8601, without the time at midnight
// (the XLSX reader's form).
std::string IsoDateTime(std::string_view s) {
  if (s.size() == 19 && s[10] == ' ') {
    if (s.substr(11) == "00:00:00") return std::string(s.substr(0, 10));
    std::string out(s);
    out[10] = 'T';
    return out;
  }
  return std::string(s);
}

// --- Child side ---------------------------------------------------------------

class Emitter {
 public:
  explicit Emitter(int fd) : fd_(fd) {}
  template <class T>
  void Put(T v) {
    buf_.append(reinterpret_cast<const char*>(&v), sizeof v);
  }
  void PutText(std::string_view s) {
    Put(static_cast<uint32_t>(s.size()));
    buf_.append(s);
  }
  // Writes what is buffered; false when the parent is gone.
  bool Flush() {
    size_t off = 0;
    while (off < buf_.size()) {
      ssize_t n = write(fd_, buf_.data() + off, buf_.size() - off);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return false;
      off += static_cast<size_t>(n);
    }
    buf_.clear();
    return true;
  }
  bool Error(const Status& s) {
    buf_.clear();
    Put('X');
    Put(static_cast<uint8_t>(s.code()));
    PutText(s.message());
    return Flush();
  }

 private:
  int fd_;
  std::string buf_;
};

// Opens the workbook with FreeXL and streams its first sheet to `out`.
Status ProduceRows(const std::string& path, const ReadLimits& limits, Emitter& out) {
  const void* handle = nullptr;
  int rc = freexl_open(path.c_str(), &handle);
  struct Closer {
    const void* h;
    ~Closer() {
      if (h != nullptr) freexl_close(h);
    }
  } closer{handle};
  if (rc == FREEXL_FILE_NOT_FOUND) {
    return NotFoundError(fmt::format("Impossible d'ouvrir le fichier « {} ».", path));
  }
  if (rc != FREEXL_OK) return FreexlError(rc);
  unsigned int info = 0;
  if (freexl_get_info(handle, FREEXL_BIFF_PASSWORD, &info) == FREEXL_OK &&
      info == FREEXL_BIFF_OBFUSCATED) {
    return NotXls("le classeur est protégé par un mot de passe");
  }
  unsigned int sheets = 0;
  if (freexl_get_info(handle, FREEXL_BIFF_SHEET_COUNT, &sheets) != FREEXL_OK || sheets == 0) {
    return NotXls("le classeur n'a aucune feuille");
  }
  // FreeXL cannot tell a hidden sheet: the first one is read.
  if ((rc = freexl_select_active_worksheet(handle, 0)) != FREEXL_OK) return FreexlError(rc);
  const char* name = nullptr;
  std::string sheet_name;
  if (freexl_get_worksheet_name(handle, 0, &name) == FREEXL_OK && name != nullptr &&
      text::IsValidUtf8(name)) {
    sheet_name = name;
  }
  unsigned int rows = 0;
  unsigned short columns = 0;
  if ((rc = freexl_worksheet_dimensions(handle, &rows, &columns)) != FREEXL_OK) {
    return FreexlError(rc);
  }
  out.Put('O');
  out.PutText(sheet_name);
  if (!out.Flush()) return OkStatus();

  for (uint32_t r = 0; r < rows; ++r) {
    const int64_t number = static_cast<int64_t>(r) + 1;
    std::vector<std::pair<uint16_t, Cell>> cells;
    for (uint16_t c = 0; c < columns; ++c) {
      FreeXL_CellValue v;
      rc = freexl_get_cell_value(handle, r, c, &v);
      if (rc != FREEXL_OK) return FreexlError(rc);
      Cell cell;
      switch (v.type) {
        case FREEXL_CELL_INT:
          cell = Cell::Number(v.value.int_value);
          break;
        case FREEXL_CELL_DOUBLE:
          cell = Cell::Number(v.value.double_value);
          break;
        case FREEXL_CELL_TEXT:
        case FREEXL_CELL_SST_TEXT:
        case FREEXL_CELL_DATE:
        case FREEXL_CELL_DATETIME:
        case FREEXL_CELL_TIME: {
          if (v.value.text_value == nullptr) break;
          std::string s = v.value.text_value;
          if (!text::IsValidUtf8(s)) {
            return NotXls(
                fmt::format("texte illisible dans la cellule {}{}", ColumnName(c), number));
          }
          if (internal::CountChars(s) > limits.max_cell_chars) {
            return internal::CellTooLong(limits.max_cell_chars, c, number);
          }
          if (v.type == FREEXL_CELL_TEXT || v.type == FREEXL_CELL_SST_TEXT) {
            if (!s.empty()) cell = Cell::Text(std::move(s));
          } else {
            cell = Cell::Date(IsoDateTime(s));
          }
          break;
        }
        default:  // FREEXL_CELL_NULL
          break;
      }
      if (cell.kind == Cell::Kind::kEmpty) continue;
      if (c >= limits.max_columns) return internal::TooManyColumns(limits.max_columns, number);
      if (number > limits.max_rows) return internal::TooManyRows(limits.max_rows, number);
      cells.emplace_back(c, std::move(cell));
    }
    if (cells.empty()) continue;
    out.Put('R');
    out.Put(number);
    out.Put(static_cast<uint32_t>(cells.size()));
    for (const auto& [c, cell] : cells) {
      out.Put(static_cast<uint32_t>(c));
      out.Put(static_cast<uint8_t>(cell.kind));
      out.PutText(cell.text);
    }
    if (!out.Flush()) return OkStatus();  // the parent stopped reading
  }
  out.Put('E');
  (void)out.Flush();
  return OkStatus();
}

[[noreturn]] void RunChild(const std::string& path, const ReadLimits& limits, int fd) {
  // Die as the signal says: handlers inherited from the parent (a server's, a
  // fuzzer's) must not run for a crash of FreeXL.
  for (int sig : {SIGABRT, SIGSEGV, SIGBUS, SIGILL, SIGFPE}) signal(sig, SIG_DFL);
#ifdef CADUCE_XLS_ASAN
  // A memory error of FreeXL is reported here and ends this process only; a
  // fuzzer's death callback must not run in the child.
  __sanitizer_set_death_callback(nullptr);
#else
  // Memory: the file (FreeXL reads it whole) and its cells, with a wide margin.
  // Sanitizers reserve terabytes of shadow memory, so no limit under them.
  rlimit as{};
  as.rlim_cur = as.rlim_max = static_cast<rlim_t>(
      std::min<uint64_t>(limits.max_uncompressed_bytes, 1ull << 30) * 4 + (512ull << 20));
  setrlimit(RLIMIT_AS, &as);
#endif
  rlimit cpu{};
  cpu.rlim_cur = cpu.rlim_max = kChildCpuSeconds;
  setrlimit(RLIMIT_CPU, &cpu);
  Emitter out(fd);
  Status s = ProduceRows(path, limits, out);
  if (!s.ok()) out.Error(s);
  close(fd);
  _exit(0);  // no atexit handlers, no destructors of the parent's objects
}

}  // namespace

// --- Parent side ----------------------------------------------------------------

Result<std::unique_ptr<XlsReader>> XlsReader::Open(const std::string& path,
                                                   const ReadLimits& limits) {
  std::error_code ec;
  const uintmax_t size = std::filesystem::file_size(path, ec);
  if (ec) return NotFoundError(fmt::format("Impossible d'ouvrir le fichier « {} ».", path));
  // FreeXL reads the whole file in memory.
  if (size > limits.max_uncompressed_bytes)
    return internal::TooLarge(limits.max_uncompressed_bytes);

  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) {
    return UnavailableError("Lecture du classeur .xls impossible (pipe).");
  }
  pid_t pid = fork();
  if (pid < 0) {
    close(fds[0]);
    close(fds[1]);
    return UnavailableError("Lecture du classeur .xls impossible (fork).");
  }
  if (pid == 0) {
    close(fds[0]);
    RunChild(path, limits, fds[1]);
  }
  close(fds[1]);
  std::unique_ptr<XlsReader> r(new XlsReader(limits));
  r->pid_ = pid;
  r->fd_ = fds[0];

  char tag = 0;
  CADUCE_RETURN_IF_ERROR(r->ReadExact(&tag, 1));
  if (tag == 'X') return r->ReadError();
  if (tag != 'O') return r->ChildFailure();
  uint32_t len = 0;
  CADUCE_RETURN_IF_ERROR(r->ReadExact(&len, sizeof len));
  if (len > 1024) return r->ChildFailure();
  r->sheet_name_.resize(len);
  CADUCE_RETURN_IF_ERROR(r->ReadExact(r->sheet_name_.data(), len));
  if (!text::IsValidUtf8(r->sheet_name_)) r->sheet_name_.clear();
  return r;
}

XlsReader::~XlsReader() { Reap(/*kill_first=*/true); }

void XlsReader::Reap(bool kill_first) {
  if (fd_ >= 0) {
    close(fd_);
    fd_ = -1;
  }
  if (pid_ > 0) {
    if (kill_first) kill(pid_, SIGKILL);
    int status = 0;
    while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
    pid_ = -1;
  }
}

Status XlsReader::ChildFailure() {
  // Crashed (a FreeXL memory error), killed (CPU or memory limit), or sent
  // something malformed: in every case the file is what made it fail.
  Reap(/*kill_first=*/true);
  return NotXls("fichier corrompu ou forgé (sa lecture a échoué)");
}

Status XlsReader::ReadError() {
  uint8_t code = 0;
  uint32_t len = 0;
  CADUCE_RETURN_IF_ERROR(ReadExact(&code, 1));
  CADUCE_RETURN_IF_ERROR(ReadExact(&len, sizeof len));
  if (len > 4096 || code == 0 || code > static_cast<uint8_t>(Code::kInternal)) {
    return ChildFailure();
  }
  std::string message(len, '\0');
  CADUCE_RETURN_IF_ERROR(ReadExact(message.data(), len));
  Reap(/*kill_first=*/false);
  return Status(static_cast<Code>(code), std::move(message));
}

Status XlsReader::ReadExact(void* out, size_t n) {
  auto* p = static_cast<char*>(out);
  while (n > 0) {
    pollfd pfd{fd_, POLLIN, 0};
    int ready = poll(&pfd, 1, kReadTimeoutMs);
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) {
      return ResourceExhaustedError(
          "Le fichier est refusé : sa lecture dépasse le temps autorisé.");
    }
    ssize_t got = read(fd_, p, n);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) return ChildFailure();  // the child ended before the record did
    p += got;
    n -= static_cast<size_t>(got);
  }
  return OkStatus();
}

Result<std::optional<Row>> XlsReader::ReadRecord() {
  char tag = 0;
  CADUCE_RETURN_IF_ERROR(ReadExact(&tag, 1));
  if (tag == 'E') return std::optional<Row>();
  if (tag == 'X') return ReadError();
  if (tag != 'R') return ChildFailure();
  // The child enforced the limits; they are checked again so that a child gone
  // wrong cannot make the parent allocate without bound.
  Row row;
  uint32_t count = 0;
  CADUCE_RETURN_IF_ERROR(ReadExact(&row.number, sizeof row.number));
  CADUCE_RETURN_IF_ERROR(ReadExact(&count, sizeof count));
  if (row.number < 1 || row.number > limits_.max_rows ||
      count > static_cast<uint32_t>(limits_.max_columns)) {
    return ChildFailure();
  }
  for (uint32_t i = 0; i < count; ++i) {
    uint32_t column = 0, len = 0;
    uint8_t kind = 0;
    CADUCE_RETURN_IF_ERROR(ReadExact(&column, sizeof column));
    CADUCE_RETURN_IF_ERROR(ReadExact(&kind, 1));
    CADUCE_RETURN_IF_ERROR(ReadExact(&len, sizeof len));
    if (column >= static_cast<uint32_t>(limits_.max_columns) || len > limits_.max_cell_chars * 4 ||
        kind > static_cast<uint8_t>(Cell::Kind::kError)) {
      return ChildFailure();
    }
    Cell cell;
    cell.kind = static_cast<Cell::Kind>(kind);
    cell.text.resize(len);
    CADUCE_RETURN_IF_ERROR(ReadExact(cell.text.data(), len));
    if (cell.kind == Cell::Kind::kNumber) {
      std::from_chars(cell.text.data(), cell.text.data() + cell.text.size(), cell.number);
    }
    if (row.cells.size() <= column) row.cells.resize(column + 1);
    row.cells[column] = std::move(cell);
  }
  return std::optional<Row>(std::move(row));
}

Result<std::optional<Row>> XlsReader::Next() {
  if (!failed_.ok()) return failed_;
  if (done_) return std::optional<Row>();
  Result<std::optional<Row>> r = ReadRecord();
  if (!r.ok()) {
    failed_ = r.status();
    Reap(/*kill_first=*/true);
    return failed_;
  }
  if (!*r) {
    done_ = true;
    Reap(/*kill_first=*/false);
  }
  return r;
}

}  // namespace caduce::import_export
