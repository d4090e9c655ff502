// File: base/status.h
//
// Errors as values. Every expected failure in caduce returns a `Status` or a
// `Result<T>` whose code tells the caller what to do next (fix the input, retry,
// fix state first). Exceptions are reserved for bugs, exhaustion and the Asio
// boundary (STYLE.md convention 5).
//
//   caduce::Result<Account> r = service.Find(id);
//   if (!r.ok()) return r.status();
//   CADUCE_TRY(Account acc, service.Find(id));
#ifndef CADUCE_BASE_STATUS_H_
#define CADUCE_BASE_STATUS_H_

#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace caduce {

// The closed set of canonical codes (after abseil's StatusCode).
enum class Code {
  kOk = 0,
  kInvalidArgument,     // the input is wrong: fix it
  kNotFound,            // the object does not exist (or the caller may not know it does)
  kAlreadyExists,       // a unique key is taken
  kPermissionDenied,    // the caller is known but may not do this
  kUnauthenticated,     // the caller is not known
  kFailedPrecondition,  // the state does not allow it: change the state first
  kAborted,             // a concurrency conflict: retry the transaction
  kUnavailable,         // a transient failure: retry the call
  kResourceExhausted,   // a limit or quota was reached
  kDataLoss,            // stored data is corrupt
  kInternal,            // a bug or an unexpected failure of a dependency
};

// Returns the stable lowercase name of `code` ("invalid_argument").
std::string_view CodeName(Code code);

class [[nodiscard]] Status {
 public:
  // An OK status.
  Status() = default;
  Status(Code code, std::string message) : code_(code), message_(std::move(message)) {}

  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }

  // "invalid_argument: message", or "ok".
  std::string ToString() const;

  // Returns a status with the same code and `context` prepended to the message.
  Status WithContext(std::string_view context) const;

  // Lets code written for Result<T> also read a plain Status.
  const Status& status() const { return *this; }

  friend bool operator==(const Status& a, const Status& b) {
    return a.code_ == b.code_ && a.message_ == b.message_;
  }

 private:
  Code code_ = Code::kOk;
  std::string message_;
};

inline Status OkStatus() { return Status(); }
inline Status InvalidArgumentError(std::string m) { return {Code::kInvalidArgument, std::move(m)}; }
inline Status NotFoundError(std::string m) { return {Code::kNotFound, std::move(m)}; }
inline Status AlreadyExistsError(std::string m) { return {Code::kAlreadyExists, std::move(m)}; }
inline Status PermissionDeniedError(std::string m) { return {Code::kPermissionDenied, std::move(m)}; }
inline Status UnauthenticatedError(std::string m) { return {Code::kUnauthenticated, std::move(m)}; }
inline Status FailedPreconditionError(std::string m) {
  return {Code::kFailedPrecondition, std::move(m)};
}
inline Status AbortedError(std::string m) { return {Code::kAborted, std::move(m)}; }
inline Status UnavailableError(std::string m) { return {Code::kUnavailable, std::move(m)}; }
inline Status ResourceExhaustedError(std::string m) {
  return {Code::kResourceExhausted, std::move(m)};
}
inline Status DataLossError(std::string m) { return {Code::kDataLoss, std::move(m)}; }
inline Status InternalError(std::string m) { return {Code::kInternal, std::move(m)}; }

// A value or the Status that explains its absence; shaped like std::expected so
// that it can become an alias once the toolchain has it.
template <class T>
class [[nodiscard]] Result {
 public:
  // REQUIRES: !status.ok() (an OK status carries no value).
  Result(Status status) : v_(std::move(status)) {  // NOLINT: implicit by design
    if (std::get<Status>(v_).ok()) v_ = Status(Code::kInternal, "OK status given to Result<T>");
  }
  Result(T value) : v_(std::move(value)) {}  // NOLINT: implicit by design
  template <class U, class = std::enable_if_t<std::is_constructible_v<T, U&&> &&
                                              !std::is_same_v<std::decay_t<U>, Status> &&
                                              !std::is_same_v<std::decay_t<U>, T> &&
                                              !std::is_same_v<std::decay_t<U>, Result>>>
  Result(U&& value) : v_(T(std::forward<U>(value))) {}  // NOLINT

  bool ok() const { return std::holds_alternative<T>(v_); }
  bool has_value() const { return ok(); }
  explicit operator bool() const { return ok(); }

  // REQUIRES: ok().
  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  // By value, so that `for (auto& x : *Compute())` does not dangle.
  T value() && { return std::get<T>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  // OK when a value is held.
  Status status() const { return ok() ? Status() : std::get<Status>(v_); }
  // REQUIRES: !ok().
  const Status& error() const { return std::get<Status>(v_); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace caduce

#define CADUCE_INTERNAL_CONCAT2(a, b) a##b
#define CADUCE_INTERNAL_CONCAT(a, b) CADUCE_INTERNAL_CONCAT2(a, b)

// Returns the status of `expr` (a Status or a Result) from the enclosing function
// when it is not OK. An OK one is not copied: this runs for every token of a
// worksheet and every row of an import.
#define CADUCE_RETURN_IF_ERROR(expr)                                   \
  do {                                                                 \
    auto&& caduce_checked_ = (expr);                                   \
    if (!caduce_checked_.ok()) return ::caduce::Status(caduce_checked_.status()); \
  } while (0)

// CADUCE_TRY(auto x, Compute()); declares x from the value of a Result, or returns
// its status from the enclosing function.
#define CADUCE_TRY(lhs, expr) \
  CADUCE_INTERNAL_TRY(CADUCE_INTERNAL_CONCAT(caduce_result_, __LINE__), lhs, expr)
#define CADUCE_INTERNAL_TRY(tmp, lhs, expr) \
  auto tmp = (expr);                        \
  if (!tmp.ok()) return tmp.error();        \
  lhs = std::move(tmp).value()

#endif  // CADUCE_BASE_STATUS_H_
