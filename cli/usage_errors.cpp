#include "cli/usage_errors.hpp"

#include <algorithm>
#include <cstdlib>
#include <string_view>
#include <utility>

#include <fmt/format.h>

#include "cli/ui/text.hpp"
#include "util/printable.hpp"

namespace offsite::cli {

const CLI::Option* option_in_scope(const CLI::App* command, const std::string& name) {
  for (; command != nullptr; command = command->get_parent())
    if (const auto* option = command->get_option_no_throw(name)) return option;
  return nullptr;
}

namespace {

// What a value of an option of type `type` looks like, for "needs ...".
std::string expectation(const std::string& type) {
  if (type == "N") return "a whole number";
  if (type == "NUMBER" || type == "SECONDS" || type == "PERCENT") return "a number";
  if (type.empty()) return "a value";
  return "a value of the form " + type;
}

std::string type_of(const CLI::Option* option) {
  if (option == nullptr) return "";
  return option->get_type_name(); // tidy_help() left no validator text in it
}

std::string in_quotes(std::string_view text) {
  return "\"" + util::printable(text, {0, true}) + "\"";
}

// "MESSAGE\nHINT" as a validator returns it.
std::pair<std::string, std::string> split_hint(const std::string& text) {
  const auto newline = text.find('\n');
  if (newline == std::string::npos) return {text, ""};
  return {text.substr(0, newline), text.substr(newline + 1)};
}

// The long option of `command` and its parents closest to `typed`
// ("--exclud" -> "--exclude"), or "" when none is close.
std::string closest_option(const CLI::App* command, std::string_view typed) {
  std::string best;
  std::size_t best_distance = 3;
  for (; command != nullptr; command = command->get_parent())
    for (const auto* option : command->get_options()) {
      for (const auto& lname : option->get_lnames()) {
        const std::string name = "--" + lname;
        const std::size_t d = name.rfind(typed, 0) == 0 ? 1 : edit_distance(typed, name);
        if (d < best_distance) {
          best_distance = d;
          best = name;
        }
      }
    }
  return best;
}

UsageText unexpected_arguments(const CLI::App& command, const std::string& path,
                               const std::string& what) {
  const std::string help = fmt::format("run \"{} --help\" to see its options", path);
  const auto colon = what.find(": ");
  const std::string list = colon == std::string::npos ? "" : what.substr(colon + 2);
  std::vector<std::string> words;
  for (std::size_t pos = 0; pos < list.size();) {
    const auto end = std::min(list.find(' ', pos), list.size());
    if (end > pos) words.push_back(list.substr(pos, end - pos));
    pos = end + 1;
  }
  for (const auto& word : words) {
    if (word.size() < 2 || word[0] != '-') continue;
    const std::string name = word.substr(0, word.find('='));
    const std::string message = fmt::format("unknown option {} for \"{}\"", in_quotes(name), path);
    if (name.rfind("--", 0) == 0)
      if (const std::string best = closest_option(&command, name); !best.empty())
        return {message, fmt::format("did you mean \"{}\"?", best)};
    return {message, help};
  }
  if (words.empty()) return {"unexpected arguments", help};
  return {fmt::format("unexpected argument {} for \"{}\"", in_quotes(words.back()), path), help};
}

} // namespace

CLI::Validator number_between(double low, double high, const std::string& unit) {
  return {[low, high, unit](std::string& value) -> std::string {
            char* end = nullptr;
            const double number = std::strtod(value.c_str(), &end);
            if (value.empty() || end != value.c_str() + value.size())
              return fmt::format("{} is not a number\ngive a number of {} from {:g} to {:g}",
                                 in_quotes(value), unit, low, high);
            if (!(number >= low && number <= high))
              return fmt::format("{} is out of range\ngive a number of {} from {:g} to {:g}",
                                 in_quotes(value), unit, low, high);
            return {};
          },
          ""};
}

CLI::Validator one_of(std::vector<std::string> choices) {
  return {[choices = std::move(choices)](std::string& value) -> std::string {
            std::string list;
            for (std::size_t k = 0; k < choices.size(); ++k) {
              if (choices[k] == value) return {};
              list += (k == 0 ? "" : k + 1 == choices.size() ? " or " : ", ") + choices[k];
            }
            return fmt::format("{} is not one of its choices\nuse {}", in_quotes(value), list);
          },
          ""};
}

void tidy_help(CLI::App& app) {
  for (auto* option : app.get_options()) {
    for (int k = 0;; ++k) {
      try {
        option->get_validator(k)->description("");
      } catch (const CLI::OptionNotFound&) {
        break;
      }
    }
    const std::string type = type_of(option);
    if (type == "INT" || type == "UINT") option->type_name("N");
    if (type == "FLOAT") option->type_name("NUMBER");
  }
  for (auto* sub : app.get_subcommands({}))
    tidy_help(*sub);
}

UsageText describe_option_error(const CLI::App& command, const std::string& path,
                                const CLI::ParseError& error) {
  const std::string what = error.what();
  const std::string help = fmt::format("run \"{} --help\"", path);
  if (dynamic_cast<const CLI::ExtrasError*>(&error) != nullptr)
    return unexpected_arguments(command, path, what);
  if (dynamic_cast<const CLI::ConversionError*>(&error) != nullptr) {
    // "Could not convert: --latest = x" or "The value x is not an allowed
    // value for --latest".
    std::string name, value;
    if (const auto eq = what.find(" = ");
        what.rfind("Could not convert: ", 0) == 0 && eq != std::string::npos) {
      name = what.substr(19, eq - 19);
      value = what.substr(eq + 3);
    } else if (const auto at = what.find(" is not an allowed value for ");
               what.rfind("The value ", 0) == 0 && at != std::string::npos) {
      value = what.substr(10, at - 10);
      name = what.substr(at + 29);
    }
    if (!name.empty()) {
      const auto* option = option_in_scope(&command, name);
      return {
          fmt::format("{} needs {}, not {}", name, expectation(type_of(option)), in_quotes(value)),
          help};
    }
    return {"an option has a value of the wrong kind", help};
  }
  if (dynamic_cast<const CLI::ValidationError*>(&error) != nullptr) {
    // "--compression: MESSAGE\nHINT" from one of our validators.
    auto [message, hint] = split_hint(what);
    return {message, hint.empty() ? help : hint};
  }
  if (dynamic_cast<const CLI::ArgumentMismatch*>(&error) != nullptr) {
    // "--latest: 1 required N missing", "Expected exactly 1 arguments to
    // --latest, got 0".
    std::string name = what.substr(0, what.find(':'));
    if (const auto to = what.find(" arguments to "); to != std::string::npos)
      name = what.substr(to + 14, what.find(',', to) - to - 14);
    const auto* option = option_in_scope(&command, name);
    if (option != nullptr)
      return {fmt::format("{} needs {}", name, expectation(type_of(option))),
              fmt::format("write it as \"{} {}\"; {}", name, type_of(option), help)};
    return {"an option is missing its value", help};
  }
  if (dynamic_cast<const CLI::RequiresError*>(&error) != nullptr) {
    const auto at = what.find(" requires ");
    if (at != std::string::npos) {
      const std::string other = what.substr(at + 10);
      return {fmt::format("{} works only with {}", what.substr(0, at), other),
              fmt::format("add {}, or leave {} out", other, what.substr(0, at))};
    }
  }
  if (dynamic_cast<const CLI::ExcludesError*>(&error) != nullptr) {
    const auto at = what.find(" excludes ");
    if (at != std::string::npos)
      return {fmt::format("{} and {} cannot be combined", what.substr(0, at), what.substr(at + 10)),
              fmt::format("leave one of them out; {}", help)};
  }
  if (dynamic_cast<const CLI::RequiredError*>(&error) != nullptr) {
    const auto at = what.find(" is required");
    if (at != std::string::npos) {
      const std::string name = what.substr(0, at);
      const auto* option = option_in_scope(&command, name);
      return {fmt::format("{} is required", name),
              option != nullptr && option->nonpositional()
                  ? fmt::format("add \"{} {}\"; {}", name, type_of(option), help)
                  : help};
    }
  }
  return {what, help};
}

} // namespace offsite::cli
