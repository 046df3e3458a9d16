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

// Pages through `list` until the last page. json: one array; jsonl: one
// context per line; markdown: a table of everything, then a section each.
int run_export(const Flags& f, const std::string& format,
               const std::string& prefix) {
  std::vector<slurp::Context> all;
  std::string after;
  bool first_json = true;
  if (format == "json") std::cout << "[";
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
    for (auto& c : page.contexts) {
      if (format == "jsonl") {
        std::cout << slurp::client::context_json(c) << "\n";
      } else if (format == "json") {
        std::cout << (first_json ? "\n" : ",\n")
                  << slurp::client::context_json(c);
        first_json = false;
      } else {
        all.push_back(std::move(c));
      }
    }
    if (!page.next_after) break;
    after = *page.next_after;
  }
  if (format == "json") std::cout << "\n]\n";
  if (format != "markdown") return exit_ok;
  std::cout << "# Contexts" << (prefix.empty() ? "" : " under `" + prefix + "`")
            << "\n\n"
            << all.size() << " stored.\n\n"
            << "| address | language | lines of code | summary |\n"
            << "|---|---|---|---|\n";
  for (const auto& c : all) {
    std::string summary = c.summary.substr(0, 120);
    for (char& ch : summary) {
      if (ch == '|' || ch == '\n') ch = ' ';
    }
    std::cout << "| `" << c.address << "` | " << c.language << " | "
              << c.metrics.lines_code << " | " << summary << " |\n";
  }
  std::cout << "\n";
  for (const auto& c : all) std::cout << slurp::client::context_markdown(c);
  return exit_ok;
}

}  // namespace slurpctl
