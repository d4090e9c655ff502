// Request, Response and RouteParams helpers (see message.h).
#include "http/message.h"

#include <boost/json/serialize.hpp>

namespace caduce::http {

namespace {

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

}  // namespace

std::string_view Request::Header(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (EqualsIgnoreCase(k, name)) return v;
  }
  return {};
}

Response& Response::SetHeader(std::string_view name, std::string value) {
  for (auto& [k, v] : headers) {
    if (EqualsIgnoreCase(k, name)) {
      v = std::move(value);
      return *this;
    }
  }
  headers.emplace_back(std::string(name), std::move(value));
  return *this;
}

std::string_view Response::Header(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (EqualsIgnoreCase(k, name)) return v;
  }
  return {};
}

Response Response::Text(int status, std::string text) {
  Response r;
  r.status = status;
  r.SetHeader("Content-Type", "text/plain; charset=utf-8");
  r.body = std::move(text);
  return r;
}

Response Response::Json(int status, std::string json) {
  Response r;
  r.status = status;
  r.SetHeader("Content-Type", "application/json");
  r.body = std::move(json);
  return r;
}

Response Response::Json(int status, const boost::json::value& value) {
  return Json(status, boost::json::serialize(value));
}

bool EventStream::Send(std::string_view event, std::string_view data) {
  std::string text;
  text.reserve(event.size() + data.size() + 16);
  if (!event.empty()) {
    text += "event: ";
    for (char c : event) {
      if (c != '\r' && c != '\n') text += c;
    }
    text += '\n';
  }
  // Every line terminator of `data` starts a new data line, so that nothing in
  // it can start another field or end the event early (§9.2.6).
  std::size_t begin = 0;
  for (;;) {
    std::size_t end = data.find_first_of("\r\n", begin);
    text += "data: ";
    text.append(data.substr(begin, end == std::string_view::npos ? data.npos : end - begin));
    text += '\n';
    if (end == std::string_view::npos) break;
    begin = end + 1;
    if (data[end] == '\r' && begin < data.size() && data[begin] == '\n') ++begin;
  }
  text += '\n';
  std::lock_guard lock(mu_);
  if (gone_ || closed_) return false;
  if (queued_.size() + text.size() > kMaxQueuedBytes) {
    gone_ = true;
    queued_.clear();
    if (wake_) wake_();
    return false;
  }
  queued_ += text;
  if (wake_) wake_();
  return true;
}

void EventStream::Close() {
  std::lock_guard lock(mu_);
  if (closed_) return;
  closed_ = true;
  if (wake_) wake_();
}

void EventStream::Attach(std::function<void()> wake) {
  std::lock_guard lock(mu_);
  wake_ = std::move(wake);
}

std::string EventStream::Take(bool* closed) {
  std::lock_guard lock(mu_);
  *closed = closed_;
  std::string out;
  out.swap(queued_);
  return out;
}

void EventStream::Detach() {
  std::lock_guard lock(mu_);
  gone_ = true;
  queued_.clear();
  wake_ = nullptr;
}

bool EventStream::gone() const {
  std::lock_guard lock(mu_);
  return gone_;
}

std::string_view RouteParams::Get(std::string_view name) const {
  for (const auto& [k, v] : values_) {
    if (k == name) return v;
  }
  return {};
}

void RouteParams::Set(std::string name, std::string value) {
  values_.emplace_back(std::move(name), std::move(value));
}

}  // namespace caduce::http
