#include "core/strings.h"

#include <limits>

#include <algorithm>

#include <idn2.h>

#include <cctype>
#include <charconv>
#include <cstdint>
#include <cstdlib>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace muni {

Result<std::string> read_input_file(const std::string& path, int64_t max_bytes) {
  // O_NONBLOCK: opening a FIFO must not wait for a writer; the descriptor is
  // only read after fstat says it is a regular file.
  const int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) {
    return make_error(errno == ENOENT ? ErrorCode::kNotFound : ErrorCode::kIo,
                      path + ": cannot open (" + std::strerror(errno) + ")");
  }
  struct FdCloser {
    int fd;
    ~FdCloser() { ::close(fd); }
  } closer{fd};
  struct stat st {};
  if (::fstat(fd, &st) != 0)
    return make_error(ErrorCode::kIo, path + ": cannot stat (" + std::strerror(errno) + ")");
  if (S_ISDIR(st.st_mode)) return make_error(ErrorCode::kIo, path + " is a directory, not a file");
  if (!S_ISREG(st.st_mode)) {
    return make_error(ErrorCode::kIo,
                      path + " is not a regular file (a device, FIFO or socket); muniscope reads "
                             "configuration and data only from regular files");
  }
  if (st.st_size > max_bytes) {
    return make_error(ErrorCode::kIo, path + " is " + std::to_string(st.st_size) +
                                          " bytes, more than the limit of " +
                                          std::to_string(max_bytes) + " bytes for this input");
  }
  std::string out;
  out.reserve(static_cast<size_t>(st.st_size));
  char buf[65536];
  while (true) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      return make_error(ErrorCode::kIo, path + ": read failed (" + std::strerror(errno) + ")");
    }
    if (n == 0) break;
    // The file may grow while it is read; the limit holds regardless.
    if (static_cast<int64_t>(out.size()) + n > max_bytes) {
      return make_error(ErrorCode::kIo, path + " grew past the limit of " +
                                            std::to_string(max_bytes) + " bytes while being read");
    }
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

std::optional<std::string> read_file_text(const std::string& path) {
  auto r = read_input_file(path);
  if (!r.ok()) return std::nullopt;
  return std::move(*r);
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

std::string to_lower_ascii(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  }
  return true;
}

bool starts_with(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}
bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

std::vector<std::string> split(std::string_view s, char sep) {
  std::vector<std::string> out;
  size_t start = 0;
  while (true) {
    const size_t pos = s.find(sep, start);
    if (pos == std::string_view::npos) {
      out.emplace_back(s.substr(start));
      return out;
    }
    out.emplace_back(s.substr(start, pos - start));
    start = pos + 1;
  }
}

std::string join(const std::vector<std::string>& parts, std::string_view sep) {
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i) out += sep;
    out += parts[i];
  }
  return out;
}

std::optional<int64_t> parse_int64(std::string_view s) {
  s = trim(s);
  if (!s.empty() && s[0] == '+') s.remove_prefix(1);
  int64_t v = 0;
  const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || ptr != s.data() + s.size() || s.empty()) return std::nullopt;
  return v;
}

std::optional<int64_t> parse_count(std::string_view s) {
  s = trim(s);
  bool negative = false;
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
    negative = s[0] == '-';
    s.remove_prefix(1);
  }
  if (s.empty()) return std::nullopt;
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  int64_t v = 0;
  bool saturated = false;
  for (const char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    const int digit = c - '0';
    // Checked before multiplying: v * 10 + digit must not pass kMax.
    if (saturated || v > (kMax - digit) / 10) {
      saturated = true;
      continue;
    }
    v = v * 10 + digit;
  }
  if (saturated) return negative ? std::numeric_limits<int64_t>::min() : kMax;
  return negative ? -v : v;
}

std::optional<double> parse_double(std::string_view s) {
  s = trim(s);
  if (s.empty()) return std::nullopt;
  std::string copy(s);
  char* end = nullptr;
  const double v = std::strtod(copy.c_str(), &end);
  if (end != copy.c_str() + copy.size()) return std::nullopt;
  return v;
}

std::string url_encode(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (const unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::string url_decode(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && hex_value(s[i + 1]) >= 0 && hex_value(s[i + 2]) >= 0) {
      out += static_cast<char>(hex_value(s[i + 1]) * 16 + hex_value(s[i + 2]));
      i += 2;
    } else if (s[i] == '+') {
      out += ' ';
    } else {
      out += s[i];
    }
  }
  return out;
}


std::optional<std::string> url_query_param(std::string_view url, std::string_view key) {
  const size_t q = url.find('?');
  if (q == std::string_view::npos) return std::nullopt;
  std::string_view query = url.substr(q + 1);
  const size_t hash = query.find('#');
  if (hash != std::string_view::npos) query = query.substr(0, hash);
  for (const std::string& pair : split(query, '&')) {
    const size_t eq = pair.find('=');
    const std::string name = url_decode(pair.substr(0, eq));
    if (name == key)
      return eq == std::string::npos ? std::string() : url_decode(pair.substr(eq + 1));
  }
  return std::nullopt;
}

std::optional<std::string> normalize_host(std::string_view host) {
  if (host.empty()) return std::nullopt;
  std::vector<std::string> out;
  for (const std::string& label : split(host, '.')) {
    if (label.empty()) return std::nullopt;
    bool ascii = true;
    for (const char c : label) {
      if (static_cast<unsigned char>(c) >= 0x80) ascii = false;
    }
    if (ascii) {
      for (const char c : label) {
        if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_'))
          return std::nullopt;
      }
      out.push_back(to_lower_ascii(label));
    } else {
      // IDNA2008 with the UTS #46 mapping (lower case, NFC) by libidn2, the
      // library curl itself uses for such hosts.
      char* ascii_label = nullptr;
      const int rc = idn2_to_ascii_8z(label.c_str(), &ascii_label,
                                      IDN2_NFC_INPUT | IDN2_NONTRANSITIONAL);
      if (rc != IDN2_OK || ascii_label == nullptr) {
        idn2_free(ascii_label);
        return std::nullopt;
      }
      out.push_back(to_lower_ascii(ascii_label));
      idn2_free(ascii_label);
    }
  }
  return join(out, ".");
}

std::string UrlParts::origin() const {
  std::string o = scheme + "://" + host;
  if (port != 0) o += ":" + std::to_string(port);
  return o;
}

std::optional<UrlParts> parse_url(std::string_view url) {
  UrlParts parts;
  const size_t sep = url.find("://");
  if (sep == std::string_view::npos) return std::nullopt;
  parts.scheme = to_lower_ascii(url.substr(0, sep));
  if (parts.scheme != "http" && parts.scheme != "https") return std::nullopt;
  std::string_view rest = url.substr(sep + 3);
  size_t end = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, end);
  parts.path = end == std::string_view::npos ? "" : std::string(rest.substr(end));
  if (authority.find('@') != std::string_view::npos) return std::nullopt;  // no userinfo
  std::string_view host = authority;
  const size_t colon = authority.rfind(':');
  if (colon != std::string_view::npos) {
    const auto port = parse_int64(authority.substr(colon + 1));
    if (!port || *port <= 0 || *port > 65535) return std::nullopt;
    parts.port = static_cast<int>(*port);
    host = authority.substr(0, colon);
    if ((parts.scheme == "https" && parts.port == 443) ||
        (parts.scheme == "http" && parts.port == 80)) {
      parts.port = 0;
    }
  }
  auto normalized = normalize_host(host);
  if (!normalized) return std::nullopt;
  parts.host = *normalized;
  return parts;
}

std::string redact_url(std::string_view url) {
  const size_t q = url.find('?');
  if (q == std::string_view::npos) return std::string(url);
  std::string out(url.substr(0, q + 1));
  const std::vector<std::string> pairs = split(url.substr(q + 1), '&');
  for (size_t i = 0; i < pairs.size(); ++i) {
    if (i) out += '&';
    const size_t eq = pairs[i].find('=');
    const std::string name = to_lower_ascii(pairs[i].substr(0, eq));
    const bool secret = name == "key" || name == "api_key" || name == "apikey" || name == "token" ||
                        name == "access_token" || name == "secret" || name == "password" ||
                        name == "client_secret";
    if (secret && eq != std::string::npos) {
      out += pairs[i].substr(0, eq) + "=REDACTED";
    } else {
      out += pairs[i];
    }
  }
  return out;
}

size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      cur[j] =
          std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

std::string did_you_mean(std::string_view word, const std::vector<std::string_view>& candidates) {
  std::string hint;
  size_t best = 3;
  for (const auto c : candidates) {
    const size_t d = edit_distance(word, c);
    if (d < best) {
      best = d;
      hint = " (did you mean '" + std::string(c) + "'?)";
    }
  }
  return hint;
}

std::string did_you_mean(std::string_view word, const std::vector<std::string>& candidates) {
  return did_you_mean(word, std::vector<std::string_view>(candidates.begin(), candidates.end()));
}

std::optional<std::string> resolve_url(std::string_view from_url, std::string_view location) {
  const std::string loc(trim(location));
  if (loc.empty()) return std::nullopt;
  if (loc.find("://") != std::string::npos) {
    if (!parse_url(loc)) return std::nullopt;
    return loc;
  }
  const auto from = parse_url(from_url);
  if (!from) return std::nullopt;
  if (starts_with(loc, "//")) {
    const std::string abs = from->scheme + ":" + loc;
    if (!parse_url(abs)) return std::nullopt;
    return abs;
  }
  if (loc[0] == '/') return from->origin() + loc;
  // Path without query or fragment of the original request.
  std::string path = from->path.substr(0, from->path.find_first_of("?#"));
  if (path.empty()) path = "/";
  if (loc[0] == '?') return from->origin() + path + loc;
  return from->origin() + path.substr(0, path.rfind('/') + 1) + loc;
}

uint64_t fnv1a64(std::string_view s) {
  uint64_t h = 14695981039346656037ULL;
  for (const char c : s) {
    h ^= static_cast<unsigned char>(c);
    h *= 1099511628211ULL;
  }
  return h;
}

std::string remove_query_param(std::string_view url, std::string_view key) {
  const size_t q = url.find('?');
  if (q == std::string_view::npos) return std::string(url);
  const size_t hash = url.find('#', q);
  const std::string_view query =
      url.substr(q + 1, hash == std::string_view::npos ? std::string_view::npos : hash - q - 1);
  std::string kept;
  for (const std::string& pair : split(query, '&')) {
    if (url_decode(pair.substr(0, pair.find('='))) == key) continue;
    kept += (kept.empty() ? "" : "&") + pair;
  }
  std::string out(url.substr(0, q));
  if (!kept.empty()) out += "?" + kept;
  if (hash != std::string_view::npos) out += url.substr(hash);
  return out;
}

}  // namespace muni
