// The overload-set idiom for std::visit over the message variants.
#pragma once

namespace slurp::sim {

template <class... F>
struct Overloaded : F... {
  using F::operator()...;
};
template <class... F>
Overloaded(F...) -> Overloaded<F...>;

}  // namespace slurp::sim
