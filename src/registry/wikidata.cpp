#include "registry/wikidata.h"

#include <set>

#include "core/ags.h"
#include "core/json.h"
#include "core/platform.h"
#include "core/strings.h"
#include "core/text_safety.h"

namespace muni::registry {

const std::vector<WikidataVariable>& wikidata_variables() {
  static const std::vector<WikidataVariable> kVariables = {
      {"mastodon", "mastodon", "P4033"},   {"bluesky", "bluesky", "P12361"},
      {"facebook", "facebook", "P2013"},   {"instagram", "instagram", "P2003"},
      {"youtube", "youtube", "P2397"},     {"x", "x", "P2002"},
      {"telegram", "telegram", "P3789"},   {"website", "website", "P856"},
  };
  return kVariables;
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
    for (const WikidataVariable& v : wikidata_variables()) {
      const std::string raw = std::string(trim(value_of(b, v.variable)));
      if (raw.empty()) continue;
      std::string handle = raw;
      if (std::string_view(v.platform) == "website") {
        if (!parse_url(raw)) {
          out.problems.push_back(who + " " + v.property + ": '" + printable(raw, 80) +
                                 "' is not an http(s) URL; skipped");
          continue;
        }
      } else {
        const PlatformDescriptor* d = find_platform(v.platform);
        auto c = d != nullptr ? d->canonicalize(raw) : Result<std::string>(raw);
        if (!c.ok()) {
          out.problems.push_back(who + " " + v.property + ": '" + printable(raw, 80) + "': " +
                                 c.error().message + "; skipped");
          continue;
        }
        handle = *c;
      }
      if (!seen.insert(ags + "|" + v.platform + "|" + handle).second) continue;
      AccountProposal p;
      p.ags = ags;
      p.platform = v.platform;
      p.handle = raw;  // as Wikidata has it; the configuration canonicalizes it again
      p.source = "https://www.wikidata.org/wiki/" + qid + " (" + v.property + ")";
      out.accounts.push_back(std::move(p));
    }
  }
  out.items = static_cast<int64_t>(items.size());
  return out;
}

}  // namespace muni::registry
