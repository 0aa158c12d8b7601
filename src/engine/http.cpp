#include "engine/http.h"

#include "core/strings.h"

namespace muni {

std::optional<std::string> HttpResponse::header(std::string_view name) const {
  for (const HttpHeader& h : headers) {
    if (iequals(h.name, name)) return h.value;
  }
  return std::nullopt;
}

std::vector<std::pair<std::string, std::string>> parse_link_header(std::string_view value) {
  std::vector<std::pair<std::string, std::string>> out;
  size_t pos = 0;
  while (pos < value.size()) {
    const size_t lt = value.find('<', pos);
    if (lt == std::string_view::npos) break;
    const size_t gt = value.find('>', lt);
    if (gt == std::string_view::npos) break;
    const std::string url(value.substr(lt + 1, gt - lt - 1));
    // Parameters run until the next "<" that starts a new link.
    size_t end = value.find('<', gt);
    const std::string_view params =
        value.substr(gt + 1, end == std::string_view::npos ? std::string_view::npos : end - gt - 1);
    for (const std::string& param : split(params, ';')) {
      const std::string_view p = trim(param);
      if (!starts_with(to_lower_ascii(p), "rel=")) continue;
      std::string_view rels = trim(p.substr(4));
      if (!rels.empty() && rels.front() == '"') rels.remove_prefix(1);
      while (!rels.empty() && (rels.back() == '"' || rels.back() == ',' || rels.back() == ' '))
        rels.remove_suffix(1);
      for (const std::string& rel : split(rels, ' ')) {
        if (!rel.empty()) out.emplace_back(to_lower_ascii(rel), url);
      }
    }
    pos = end == std::string_view::npos ? value.size() : end;
  }
  return out;
}

std::optional<std::string> link_rel(std::string_view value, std::string_view rel) {
  for (auto& [r, url] : parse_link_header(value)) {
    if (r == rel) return url;
  }
  return std::nullopt;
}

}  // namespace muni
