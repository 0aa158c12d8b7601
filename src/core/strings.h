// Small string helpers shared by config, connectors and output code.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace muni {

std::string_view trim(std::string_view s);
std::string to_lower_ascii(std::string_view s);
bool iequals(std::string_view a, std::string_view b);
bool starts_with(std::string_view s, std::string_view prefix);
bool ends_with(std::string_view s, std::string_view suffix);
std::vector<std::string> split(std::string_view s, char sep);
std::string join(const std::vector<std::string>& parts, std::string_view sep);
std::optional<int64_t> parse_int64(std::string_view s);
std::optional<double> parse_double(std::string_view s);
// A count as a server wrote it: optional sign, then decimal digits of any
// length. Saturates instead of overflowing (a 20-digit string is INT64_MAX,
// never a wrapped negative); nullopt for anything that is not a number. The
// caller keeps the sign: the page guard (engine/page_guard.h) stores a
// negative or absurd count as unknown. Every count of every connector goes
// through this (or json_count, which uses it).
std::optional<int64_t> parse_count(std::string_view s);

// Levenshtein distance (insertions, deletions, substitutions).
size_t edit_distance(std::string_view a, std::string_view b);
// " (did you mean 'x'?)" for the closest candidate within two edits of
// `word`, else "" (for unknown keys, metric names, platform ids).
std::string did_you_mean(std::string_view word, const std::vector<std::string_view>& candidates);
std::string did_you_mean(std::string_view word, const std::vector<std::string>& candidates);

// Local inputs (configuration, codebooks, answer files, credentials, imports)
// are read whole, but only from regular files and only up to a size cap: a
// path to /dev/zero, a FIFO or a directory is refused with a message instead
// of growing without bound or blocking forever.
constexpr int64_t kMaxInputFileBytes = 256LL * 1024 * 1024;  // docs/configuration.md
Result<std::string> read_input_file(const std::string& path,
                                    int64_t max_bytes = kMaxInputFileBytes);
// The same, for callers that only need to know whether it worked.
std::optional<std::string> read_file_text(const std::string& path);

// Percent-encoding for URL query values (RFC 3986 unreserved kept).
std::string url_encode(std::string_view s);
// Percent-decoding ("+" is a space, as in form-encoded queries).
std::string url_decode(std::string_view s);
// Value of `key` in a URL's query string, percent-decoded; nullopt if absent.
std::optional<std::string> url_query_param(std::string_view url, std::string_view key);

// Host names: lower-cases ASCII and converts non-ASCII labels to their
// Punycode "xn--" form through libidn2 (IDNA2008 with the UTS #46 mapping:
// lower case, NFC), so "bawü.social", "BAWÜ.social" and "xn--baw-joa.social"
// name the same host. Labels IDNA2008 forbids make the host invalid.
std::optional<std::string> normalize_host(std::string_view host);

// Splits "https://host:port/path?query" into origin ("https://host:port") and
// the rest. Returns nullopt for anything that is not http(s).
struct UrlParts {
  std::string scheme;          // "https"
  std::string host;            // normalized
  int port = 0;                // 0 = default for the scheme
  std::string path;            // "/..." including query, "" if none
  std::string origin() const;  // scheme://host[:port]
};
std::optional<UrlParts> parse_url(std::string_view url);

// Redacts values of query parameters whose names look like credentials
// (key, token, access_token, secret, password) for logs.
std::string redact_url(std::string_view url);

// `url` without the query parameters named `key` (every occurrence); the
// rest of the URL as it was.
std::string remove_query_param(std::string_view url, std::string_view key);

// FNV-1a, 64 bit: stable across builds and platforms (std::hash is not), so
// what is derived from it (feed entry keys, a schedule's phase) means the
// same after an upgrade.
uint64_t fnv1a64(std::string_view s);

// The absolute URL a reference points to, resolved against `base` (absolute,
// scheme-relative, absolute-path, query-only and relative references, as
// links in feeds and Location headers are written); nullopt when the result
// is not an http(s) URL.
std::optional<std::string> resolve_url(std::string_view base, std::string_view reference);

}  // namespace muni
