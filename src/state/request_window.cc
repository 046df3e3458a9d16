#include "src/state/request_window.h"

#include <algorithm>
#include <cassert>

namespace slurp::state {

RequestWindow::RequestWindow(const RequestWindow& other) : jobs_(other.jobs_) {
  for (const auto& it : other.order_) order_.push_back(jobs_.find(it->first));
}

RequestWindow& RequestWindow::operator=(const RequestWindow& other) {
  if (this != &other) {
    RequestWindow copy(other);
    *this = std::move(copy);
  }
  return *this;
}

// swap, unlike move assignment, guarantees that iterators stay valid.
RequestWindow& RequestWindow::operator=(RequestWindow&& other) noexcept {
  jobs_.swap(other.jobs_);
  order_.swap(other.order_);
  return *this;
}

std::optional<std::uint64_t> RequestWindow::find(const Key& key) const {
  auto it = jobs_.find(key);
  if (it == jobs_.end()) return std::nullopt;
  return it->second;
}

void RequestWindow::remember(Key key, std::uint64_t job_id,
                             std::uint64_t keys_max) {
  auto [it, inserted] = jobs_.emplace(std::move(key), job_id);
  assert(inserted);
  (void)inserted;
  order_.push_back(it);
  while (order_.size() > keys_max) {
    jobs_.erase(order_.front());
    order_.pop_front();
  }
}

bool RequestWindow::operator==(const RequestWindow& other) const {
  return jobs_ == other.jobs_ &&
         std::equal(order_.begin(), order_.end(), other.order_.begin(),
                    other.order_.end(),
                    [](const auto& a, const auto& b) { return *a == *b; });
}

}  // namespace slurp::state
