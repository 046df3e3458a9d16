// get and export: reading stored contexts.
#include "src/client/context_output.h"
#include "tools/slurpctl/commands.h"
#include "tools/slurpctl/table.h"

namespace slurpctl {

int run_get(const Flags& f, const std::string& address) {
  slurp::GetContext request;
  request.address = address;
  request.stale = f.stale;
  slurp::client::ClusterAnswer answer;
  if (int code = ask<slurp::ContextReply>(f, request, answer);
      code != exit_ok) {
    return code;
  }
  const auto& context = std::get<slurp::ContextReply>(answer.reply).context;
  std::cout << (f.json ? slurp::client::context_json(context) + "\n"
                       : slurp::client::context_text(context));
  return exit_ok;
}

namespace {

// Calls `each` with every context under `prefix`, a page at a time: the
// client holds one page (1 MiB at most), whatever the size of the tree.
template <class Each>
int for_each_context(const Flags& f, const std::string& prefix, Each each) {
  std::string after;
  for (;;) {
    slurp::ListContexts list;
    list.prefix = prefix;
    list.after = after;
    list.limit = 500;
    list.stale = f.stale;
    slurp::client::ClusterAnswer answer;
    if (int code = ask<slurp::ListReply>(f, list, answer); code != exit_ok) {
      return code;
    }
    auto& page = std::get<slurp::ListReply>(answer.reply);
    for (const auto& c : page.contexts) each(c);
    if (!page.next_after) return exit_ok;
    after = *page.next_after;
  }
}

}  // namespace

// json: one array; jsonl: one context per line; markdown: a table of
// everything, then a section each (two passes over the pages, so that
// neither needs the whole tree in memory). A prefix under which nothing
// is stored is an error (not_found), not an empty export.
int run_export(const Flags& f, const std::string& format,
               const std::string& prefix) {
  if (format == "jsonl") {
    return for_each_context(f, prefix, [](const slurp::Context& c) {
      std::cout << slurp::client::context_json(c) << "\n";
    });
  }
  if (format == "json") {
    bool first = true;
    std::cout << "[";
    const int code = for_each_context(f, prefix, [&](const slurp::Context& c) {
      std::cout << (first ? "\n" : ",\n") << slurp::client::context_json(c);
      first = false;
    });
    std::cout << "\n]\n";
    return code;
  }
  std::cout << "# Contexts" << (prefix.empty() ? "" : " under `" + prefix + "`")
            << "\n\n"
            << "| address | language | lines of code | summary |\n"
            << "|---|---|---|---|\n";
  std::uint64_t count = 0;
  if (int code = for_each_context(
          f, prefix,
          [&](const slurp::Context& c) {
            std::string summary = c.summary.substr(0, 120);
            for (char& ch : summary) {
              if (ch == '|' || ch == '\n') ch = ' ';
            }
            std::cout << "| `" << c.address << "` | " << c.language << " | "
                      << c.metrics.lines_code << " | " << summary << " |\n";
            ++count;
          });
      code != exit_ok) {
    return code;
  }
  std::cout << "\n" << count << " stored.\n\n";
  return for_each_context(f, prefix, [](const slurp::Context& c) {
    std::cout << slurp::client::context_markdown(c);
  });
}

}  // namespace slurpctl
