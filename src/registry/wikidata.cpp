#include "registry/wikidata.h"

#include <algorithm>
#include <set>

#include "core/ags.h"
#include "core/json.h"
#include "core/platform.h"
#include "core/strings.h"
#include "core/text_safety.h"

namespace muni::registry {

std::vector<WikidataVariable> wikidata_variables() {
  std::vector<WikidataVariable> out = {{"website", "", "P856", "official website"}};
  for (const PlatformDescriptor& d : platform_registry().all()) {
    if (d.links.wikidata_property.empty()) continue;
    out.push_back({d.id, d.id, d.links.wikidata_property, d.links.wikidata_label});
  }
  return out;
}

std::string wikidata_query() {
  const std::vector<WikidataVariable> vars = wikidata_variables();
  std::string select = "SELECT ?item ?itemLabel ?ags";
  size_t line = select.size();
  for (const WikidataVariable& v : vars) {
    const std::string word = " ?" + v.variable;
    if (line + word.size() > 72) {
      select += "\n      ";
      line = 6;
    }
    select += word;
    line += word.size();
  }
  std::string q = "# Every item with an AGS (P439), its official website and its accounts.\n";
  q += select + " WHERE {\n";
  q += "  ?item wdt:P439 ?ags .\n";
  q += "  FILTER NOT EXISTS { ?item wdt:P576 ?dissolved . }  # no longer existing\n";
  for (const WikidataVariable& v : vars) {
    std::string clause = "  OPTIONAL { ?item wdt:" + v.property + " ?" + v.variable + " . }";
    clause.resize(std::max<size_t>(clause.size() + 1, 46), ' ');
    q += clause + "# " + v.label + "\n";
  }
  q += "  SERVICE wikibase:label { bd:serviceParam wikibase:language \"de,en\". }\n}\n";
  return q;
}

namespace {

std::string value_of(const JsonValue& binding, const char* variable) {
  const JsonValue* v = json_object(binding, variable);
  return v != nullptr ? json_string(*v, "value").value_or("") : "";
}

}  // namespace

Result<WikidataImport> parse_wikidata_sparql(std::string_view json) {
  MUNI_TRY(auto doc, parse_json(json));
  const JsonValue* results = doc->IsObject() ? json_object(*doc, "results") : nullptr;
  const JsonValue* bindings = results != nullptr ? json_array(*results, "bindings") : nullptr;
  if (bindings == nullptr) {
    return make_error(ErrorCode::kParse,
                      "not a SPARQL JSON result (no results.bindings); export the query result as "
                      "JSON (docs/import.md)");
  }
  WikidataImport out;
  const std::vector<WikidataVariable> variables = wikidata_variables();
  std::set<std::string> seen;  // ags|platform|handle
  std::set<std::string> items;
  for (const auto& b : bindings->GetArray()) {
    ++out.rows;
    if (!b.IsObject()) continue;
    const std::string item_uri = value_of(b, "item");
    const std::string qid = item_uri.substr(item_uri.rfind('/') + 1);
    const std::string ags = std::string(trim(value_of(b, "ags")));
    const std::string label = printable(value_of(b, "itemLabel"), 80);
    const std::string who = (label.empty() ? qid : label + " (" + qid + ")");
    if (qid.empty() || qid[0] != 'Q') {
      out.problems.push_back("row " + std::to_string(out.rows) + ": no Wikidata item");
      continue;
    }
    items.insert(qid);
    if (ags.size() != 8 || ags.find_first_not_of("0123456789") != std::string::npos) {
      out.problems.push_back(who + ": AGS '" + printable(ags, 20) + "' is not 8 digits; skipped");
      continue;
    }
    for (const WikidataVariable& v : variables) {
      std::string raw = std::string(trim(value_of(b, v.variable.c_str())));
      if (raw.empty()) continue;
      const PlatformDescriptor* d = v.platform.empty() ? nullptr : find_platform(v.platform);
      if (d != nullptr && d->links.wikidata_handle) raw = d->links.wikidata_handle(raw);
      std::string handle = raw;
      if (v.platform.empty()) {
        if (!parse_url(raw)) {
          out.problems.push_back(who + " " + v.property + ": '" + printable(raw, 80) +
                                 "' is not an http(s) URL; skipped");
          continue;
        }
      } else {
        auto c = d != nullptr ? d->canonicalize(raw) : Result<std::string>(raw);
        if (!c.ok()) {
          out.problems.push_back(who + " " + v.property + ": '" + printable(raw, 80) +
                                 "': " + c.error().message + "; skipped");
          continue;
        }
        handle = *c;
      }
      const std::string platform = v.platform.empty() ? v.variable : v.platform;
      if (!seen.insert(ags + "|" + platform + "|" + handle).second) continue;
      AccountProposal p;
      p.ags = ags;
      p.platform = platform;  // the website goes by its variable's name (AccountProposal)
      p.handle = raw;         // as Wikidata has it; the configuration canonicalizes it again
      p.source = "https://www.wikidata.org/wiki/" + qid + " (" + v.property + ")";
      out.accounts.push_back(std::move(p));
    }
  }
  out.items = static_cast<int64_t>(items.size());
  return out;
}

}  // namespace muni::registry
