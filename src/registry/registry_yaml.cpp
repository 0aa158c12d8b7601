#include "registry/registry_yaml.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "core/platform.h"
#include "core/strings.h"

namespace muni::registry {

namespace {

// Keys whose values are digit strings with meaningful leading zeros.
bool key_is_code(const std::string& key) { return key == "ags" || key == "ars" || key == "kreis"; }

bool needs_quotes(const std::string& s) {
  if (s.empty()) return true;
  static const std::set<std::string> kWords = {"true", "false", "yes", "no", "on", "off",
                                               "null", "~", "y", "n"};
  if (kWords.count(to_lower_ascii(s))) return true;
  if (std::string("-?:,[]{}#&*!|>'\"%@`").find(s.front()) != std::string::npos) return true;
  if (s.front() == ' ' || s.back() == ' ') return true;
  if (s.find(": ") != std::string::npos || s.find(" #") != std::string::npos) return true;
  if (s.find('\n') != std::string::npos || s.find('\t') != std::string::npos) return true;
  if (s.back() == ':') return true;
  return false;
}

std::string quoted(const std::string& s) {
  std::string out = "\"";
  for (const char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else {
      out += c;
    }
  }
  return out + "\"";
}

std::string scalar_text(const std::string& key, const std::string& value) {
  return key_is_code(key) || needs_quotes(value) ? quoted(value) : value;
}

// A small emitter for configuration trees: block style, two spaces, the
// codes always quoted (yaml-cpp's own emitter would write 01001000 bare).
void emit(std::ostringstream& out, const YAML::Node& n, int indent, const std::string& key);

void emit_map(std::ostringstream& out, const YAML::Node& n, int indent, bool first_inline) {
  bool first = true;
  for (auto it = n.begin(); it != n.end(); ++it) {
    const std::string k = it->first.Scalar();
    if (!(first && first_inline)) out << std::string(static_cast<size_t>(indent), ' ');
    first = false;
    out << (needs_quotes(k) ? quoted(k) : k) << ":";
    const YAML::Node v = it->second;
    if (v.IsMap() && v.size() > 0) {
      out << "\n";
      emit_map(out, v, indent + 2, false);
    } else if (v.IsSequence() && v.size() > 0) {
      out << "\n";
      emit(out, v, indent + 2, k);
    } else if (v.IsMap()) {
      out << " {}\n";
    } else if (v.IsSequence()) {
      out << " []\n";
    } else if (v.IsNull()) {
      out << "\n";
    } else {
      out << " " << scalar_text(k, v.Scalar()) << "\n";
    }
  }
}

void emit(std::ostringstream& out, const YAML::Node& n, int indent, const std::string& key) {
  if (n.IsSequence()) {
    for (const auto& item : n) {
      out << std::string(static_cast<size_t>(indent), ' ') << "- ";
      if (item.IsMap() && item.size() > 0) {
        emit_map(out, item, indent + 2, true);
      } else if (item.IsSequence()) {
        out << "\n";
        emit(out, item, indent + 2, key);
      } else {
        out << scalar_text(key, item.IsNull() ? "" : item.Scalar()) << "\n";
      }
    }
  } else if (n.IsMap()) {
    emit_map(out, n, indent, false);
  }
}

YAML::Node entry_node(const GvEntry& e, const std::optional<CivilDate>& population_date) {
  YAML::Node n;
  n["id"] = registry_id(e);
  n["name"] = e.name;
  n["ags"] = e.ags;
  n["ars"] = e.ars;
  n["kreis"] = e.kreis;
  n["kind"] = std::string(municipality_kind_label(e.kind));
  const Land* land = find_land(e.land);
  n["state"] = land != nullptr ? std::string(land->iso) : e.land;
  if (e.population) n["population"] = std::to_string(*e.population);
  if (e.population && population_date) n["population_date"] = format_civil_date(*population_date);
  return n;
}

std::string header(const RegistryWriteOptions& options, const Land* land) {
  std::string h = "# " + std::string(land != nullptr ? land->name : "?") +
                  ": municipalities and Landkreise from the official directory.\n"
                  "# Written by `muniscope import gv` from " +
                  options.source + ".\n";
  if (options.population_date)
    h += "# Population as of " + format_civil_date(*options.population_date) + ".\n";
  h += "# Source: (c) Statistisches Bundesamt (Destatis), Gemeindeverzeichnis-Informationssystem\n"
       "# GV-ISys; reproduction and distribution permitted with the source named.\n"
       "# Add accounts under each entry (accounts: [...]); a later import merges by AGS\n"
       "# and keeps them (docs/import.md).\n";
  return h;
}

Status write_atomically(const std::string& path, const std::string& content) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << content;
    out.flush();
    if (!out) return make_error(ErrorCode::kIo, "cannot write " + tmp);
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) return make_error(ErrorCode::kIo, "cannot replace " + path + ": " + ec.message());
  return ok_status();
}

}  // namespace

std::string name_slug(std::string_view name) {
  const std::string base(trim(name.substr(0, name.find(','))));
  // Letters beyond ASCII that German and Sorbian place names use.
  static const std::map<std::string, std::string> kMap = {
      {"ä", "ae"}, {"ö", "oe"}, {"ü", "ue"}, {"Ä", "ae"}, {"Ö", "oe"}, {"Ü", "ue"}, {"ß", "ss"},
      {"é", "e"},  {"è", "e"},  {"ě", "e"},  {"á", "a"},  {"ó", "o"},  {"ć", "c"},  {"č", "c"},
      {"ł", "l"},  {"ń", "n"},  {"ř", "r"},  {"ś", "s"},  {"š", "s"},  {"ź", "z"},  {"ž", "z"},
      {"Č", "c"},  {"Š", "s"},  {"Ž", "z"},  {"Ł", "l"},  {"ô", "o"},  {"â", "a"},  {"ê", "e"}};
  std::string out;
  bool dash = false;
  for (size_t i = 0; i < base.size();) {
    const unsigned char c = static_cast<unsigned char>(base[i]);
    if (c < 0x80) {
      if (std::isalnum(c)) {
        if (dash && !out.empty()) out += '-';
        dash = false;
        out += static_cast<char>(std::tolower(c));
      } else {
        dash = true;
      }
      ++i;
      continue;
    }
    const size_t len = (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 1;
    const auto it = kMap.find(base.substr(i, len));
    if (it != kMap.end()) {
      if (dash && !out.empty()) out += '-';
      dash = false;
      out += it->second;
    }
    i += len;
  }
  if (out.size() > 40) out.resize(40);
  while (!out.empty() && out.back() == '-') out.pop_back();
  return out.empty() ? "m" : out;
}

std::string registry_id(const GvEntry& entry) { return name_slug(entry.name) + "-" + entry.ags; }

std::string land_file_name(std::string_view land_code) {
  const Land* land = find_land(land_code);
  std::string name = land != nullptr ? to_lower_ascii(land->ascii) : std::string(land_code);
  for (char& c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '-';
  }
  return std::string(land_code) + "-" + name + ".yaml";
}

Result<RegistryReport> write_registry(const GvDirectory& directory,
                                      const RegistryWriteOptions& options) {
  RegistryReport report;
  std::error_code ec;
  std::filesystem::create_directories(options.out_dir, ec);
  if (ec) return make_error(ErrorCode::kIo, "cannot create " + options.out_dir + ": " + ec.message());
  std::map<std::string, std::vector<const GvEntry*>> by_land;
  for (const GvEntry& e : directory.entries) by_land[e.land].push_back(&e);
  for (const auto& [code, entries] : by_land) {
    const Land* land = find_land(code);
    const std::string path = (std::filesystem::path(options.out_dir) / land_file_name(code)).string();
    YAML::Node root;
    const bool existing = std::filesystem::exists(path);
    if (existing) {
      try {
        root = YAML::LoadFile(path);
      } catch (const YAML::Exception& e) {
        return make_error(ErrorCode::kParse, path + ": cannot merge into it: " + e.what() +
                                                 " (fix the file or move it away)");
      }
      if (!root.IsMap() || (root["municipalities"] && !root["municipalities"].IsSequence())) {
        return make_error(ErrorCode::kParse,
                          path + ": cannot merge into it: not a map with a municipalities list");
      }
    }
    YAML::Node list = root["municipalities"];
    if (!list) {
      list = YAML::Node(YAML::NodeType::Sequence);
      root["municipalities"] = list;
    }
    std::map<std::string, YAML::Node> by_ags;
    for (YAML::Node item : list) {
      if (item.IsMap() && item["ags"] && item["ags"].IsScalar()) by_ags[item["ags"].Scalar()] = item;
    }
    std::set<std::string> in_directory;
    for (const GvEntry* e : entries) {
      in_directory.insert(e->ags);
      const YAML::Node fresh = entry_node(*e, options.population_date);
      const auto it = by_ags.find(e->ags);
      if (it == by_ags.end()) {
        list.push_back(fresh);
        ++report.added;
        continue;
      }
      YAML::Node item = it->second;
      bool changed = false;
      if (item["name"] && item["name"].IsScalar() && item["name"].Scalar() != e->name) {
        report.name_conflicts.push_back(e->ags + ": the file says '" + item["name"].Scalar() +
                                        "', the directory '" + e->name + "' (kept the file's)");
      }
      const std::string kind(municipality_kind_label(e->kind));
      if (item["kind"] && item["kind"].IsScalar() && item["kind"].Scalar() != kind) {
        report.kind_changes.push_back(e->ags + " " + e->name + ": " + item["kind"].Scalar() +
                                      " -> " + kind);
      }
      for (const char* key : {"ars", "kreis", "kind", "population", "population_date"}) {
        if (!fresh[key]) continue;
        if (!item[key] || !item[key].IsScalar() || item[key].Scalar() != fresh[key].Scalar()) {
          item[key] = fresh[key].Scalar();
          changed = true;
        }
      }
      changed ? ++report.updated : ++report.unchanged;
    }
    for (const auto& [ags, item] : by_ags) {
      if (in_directory.count(ags) == 0 && ags.rfind(code, 0) == 0) {
        report.vanished.push_back(ags + " " + (item["name"] ? item["name"].Scalar() : "") +
                                  " (" + path + "): not in the directory of " +
                                  format_civil_date(directory.gebietsstand) +
                                  "; kept. A merger? See docs/import.md");
      }
    }
    std::ostringstream out;
    out << header(options, land);
    emit(out, root, 0, "");
    if (existing) {
      std::filesystem::copy_file(path, path + ".bak",
                                 std::filesystem::copy_options::overwrite_existing, ec);
      if (ec) return make_error(ErrorCode::kIo, "cannot keep " + path + ".bak: " + ec.message());
    }
    MUNI_TRY_STATUS(write_atomically(path, out.str()));
    report.files_written.push_back(path);
  }
  return report;
}

namespace {

// The canonical form of a handle on a platform, or the text as written.
std::string canonical(const std::string& platform, const std::string& handle) {
  const PlatformDescriptor* d = find_platform(platform);
  if (d == nullptr) return handle;
  auto c = d->canonicalize(handle);
  return c.ok() ? *c : handle;
}

}  // namespace

Result<AccountMergeReport> merge_accounts(const std::string& registry_dir,
                                          const std::vector<AccountProposal>& proposals) {
  AccountMergeReport report;
  if (!std::filesystem::is_directory(registry_dir))
    return make_error(ErrorCode::kIo, registry_dir + " is not a directory (run `muniscope import gv` first)");
  struct Loaded {
    std::string path;
    YAML::Node root;
    std::string head;  // the leading comment block, kept
    bool changed = false;
  };
  std::vector<Loaded> files;
  std::map<std::string, std::pair<size_t, YAML::Node>> by_ags;
  std::vector<std::filesystem::path> paths;
  for (const auto& e : std::filesystem::directory_iterator(registry_dir)) {
    if (e.is_regular_file() && e.path().extension() == ".yaml") paths.push_back(e.path());
  }
  std::sort(paths.begin(), paths.end());
  for (const auto& p : paths) {
    Loaded f;
    f.path = p.string();
    try {
      f.root = YAML::LoadFile(f.path);
    } catch (const YAML::Exception& e) {
      return make_error(ErrorCode::kParse, f.path + ": " + e.what());
    }
    if (auto text = read_input_file(f.path); text.ok()) {
      std::istringstream in(*text);
      for (std::string line; std::getline(in, line) && line.rfind("#", 0) == 0;) f.head += line + "\n";
    }
    files.push_back(std::move(f));
    const size_t index = files.size() - 1;
    if (!files[index].root.IsMap() || !files[index].root["municipalities"]) continue;
    for (YAML::Node item : files[index].root["municipalities"]) {
      if (item.IsMap() && item["ags"] && item["ags"].IsScalar())
        by_ags[item["ags"].Scalar()] = {index, item};
    }
  }
  for (const AccountProposal& p : proposals) {
    const auto it = by_ags.find(p.ags);
    if (it == by_ags.end()) {
      report.no_entry.push_back(p.ags + " (" + p.platform + " " + p.handle + ")");
      continue;
    }
    YAML::Node entry = it->second.second;
    if (p.platform == "website") {
      if (entry["website"]) {
        ++report.already_there;
      } else {
        entry["website"] = p.handle;
        files[it->second.first].changed = true;
        ++report.added;
      }
      continue;
    }
    YAML::Node accounts = entry["accounts"];
    bool present = false;
    if (accounts && accounts.IsSequence()) {
      for (const YAML::Node& a : accounts) {
        if (!a.IsMap() || !a["platform"] || !a["handle"]) continue;
        const std::string platform = to_lower_ascii(a["platform"].Scalar());
        present = present || (platform == p.platform &&
                              canonical(platform, a["handle"].Scalar()) == canonical(p.platform, p.handle));
      }
    }
    if (present) {
      ++report.already_there;
      continue;
    }
    YAML::Node a;
    a["platform"] = p.platform;
    a["handle"] = p.handle;
    if (p.proposed) a["status"] = "proposed";
    if (!p.source.empty()) a["source"] = p.source;
    if (!p.evidence.empty()) a["evidence"] = p.evidence;
    if (!accounts || !accounts.IsSequence()) {
      entry["accounts"] = YAML::Node(YAML::NodeType::Sequence);
      accounts = entry["accounts"];
    }
    accounts.push_back(a);
    files[it->second.first].changed = true;
    ++report.added;
  }
  for (Loaded& f : files) {
    if (!f.changed) continue;
    std::ostringstream out;
    out << f.head;
    emit(out, f.root, 0, "");
    std::error_code ec;
    std::filesystem::copy_file(f.path, f.path + ".bak",
                               std::filesystem::copy_options::overwrite_existing, ec);
    if (ec) return make_error(ErrorCode::kIo, "cannot keep " + f.path + ".bak: " + ec.message());
    MUNI_TRY_STATUS(write_atomically(f.path, out.str()));
    report.files_written.push_back(f.path);
  }
  return report;
}

}  // namespace muni::registry
