// The RSS/Atom parser (make bench): feeds per second and memory, for a
// typical municipal feed (50 items) and for 5 MB feeds (RSS 2.0 in UTF-8,
// Atom 1.0, and RSS 2.0 declared ISO-8859-1 with windows-1252 bytes, which
// is read through a rewritten declaration). Each 5 MB feed's peak memory
// is measured in a child process of its own (fork, then wait4's rusage):
// the child's peak RSS, and how much parsing added to what the child held
// before it parsed (the feed text itself). docs/performance.md records the
// figures.
//
// The feeds are generated here: German press-release items with CDATA HTML
// descriptions, HTML character references, RFC 822 dates with German zone
// names (RSS) or RFC 3339 dates (Atom), guid or id.
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "connectors/rss/rss_parse.h"

using namespace muni;

namespace {

constexpr const char* kUrl = "https://www.musterstadt.example/aktuelles/feed.xml";

std::string paragraph(int i) {
  return "<p>Die Stadtverwaltung informiert: Wegen Bauarbeiten in der Hauptstra&szlig;e " +
         std::to_string(i % 90 + 1) +
         " ist die Zufahrt zum B&uuml;rgerb&uuml;ro &ndash; voraussichtlich bis Freitag &ndash; "
         "nur &uuml;ber die Marktstra&szlig;e m&ouml;glich. Weitere Informationen unter "
         "<a href=\"https://www.musterstadt.example/bau\">Baustellen</a>.</p>";
}

std::string two_digits(int v) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%02d", v);
  return buf;
}

std::string rss_feed(size_t target_bytes, bool windows1252) {
  std::string out;
  out.reserve(target_bytes + 65536);  // no doubling: the child's peak is the feed, then parsing
  out += windows1252 ? "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>\n"
                     : "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  out +=
      "<rss version=\"2.0\" xmlns:content=\"http://purl.org/rss/1.0/modules/content/\" "
      "xmlns:dc=\"http://purl.org/dc/elements/1.1/\">\n<channel>\n<title>Stadt Musterstadt"
      "</title>\n<link>https://www.musterstadt.example/</link>\n<description>Presse"
      "</description>\n";
  for (int i = 0; out.size() < target_bytes; ++i) {
    const std::string quote = windows1252 ? "\x84Stadtfest\x93 \x96 " : "„Stadtfest“ – ";
    out += "<item>\n<title>" + quote + "Meldung " + std::to_string(i) +
           ": Stra&#223;ensperrung</title>\n<link>https://www.musterstadt.example/aktuelles/" +
           std::to_string(i) + "</link>\n<guid isPermaLink=\"false\">news-" + std::to_string(i) +
           "</guid>\n<pubDate>Di, " + two_digits(i % 28 + 1) +
           " Nov 2026 10:00:00 MEZ</pubDate>\n<description><![CDATA[" + paragraph(i) +
           paragraph(i + 1) + "]]></description>\n</item>\n";
  }
  out += "</channel>\n</rss>\n";
  return out;
}

std::string atom_feed(size_t target_bytes) {
  std::string out;
  out.reserve(target_bytes + 65536);
  out +=
      "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\" "
      "xml:base=\"https://blog.musterstadt.example/\">\n<title>Musterstadt bloggt</title>\n"
      "<id>tag:blog.musterstadt.example,2026:feed</id><updated>2026-11-30T10:00:00Z</updated>\n";
  for (int i = 0; out.size() < target_bytes; ++i) {
    char date[40];
    std::snprintf(date, sizeof date, "2026-11-%02dT%02d:15:00+01:00", i % 28 + 1, i % 24);
    out += "<entry>\n<title type=\"text\">Eintrag " + std::to_string(i) +
           " &lt;Rathaus&gt;</title>\n<link href=\"2026/11/eintrag-" + std::to_string(i) +
           "\"/>\n<id>tag:blog.musterstadt.example,2026:" + std::to_string(i) +
           "</id>\n<published>" + date + "</published>\n<updated>" + date +
           "</updated>\n<content type=\"html\"><![CDATA[" + paragraph(i) + paragraph(i + 2) +
           "]]></content>\n</entry>\n";
  }
  out += "</feed>\n";
  return out;
}

double peak_mb_self() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_maxrss) / 1024.0;
}

struct Speed {
  double feeds_per_s = 0;  // per second of CPU time (the machine is shared)
  double mb_per_s = 0;
  double wall_feeds_per_s = 0;
  size_t items = 0;
};

double cpu_seconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

// Parses `feed` repeatedly for at least `min_seconds`.
Speed speed(const std::string& feed, double min_seconds) {
  rss::FeedContext c;
  c.now = 1796083200000;  // 2026-12-01
  Speed s;
  int runs = 0;
  const auto t0 = std::chrono::steady_clock::now();
  const double cpu0 = cpu_seconds();
  double elapsed = 0;
  do {
    auto parsed = rss::parse_feed(feed, kUrl, c);
    if (!parsed.ok()) {
      std::fprintf(stderr, "bench_rss: %s\n", parsed.error().message.c_str());
      std::exit(1);
    }
    s.items = parsed->items.size();
    ++runs;
    elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  } while (cpu_seconds() - cpu0 < min_seconds);
  s.wall_feeds_per_s = runs / elapsed;
  s.feeds_per_s = runs / (cpu_seconds() - cpu0);
  s.mb_per_s = s.feeds_per_s * static_cast<double>(feed.size()) / (1024.0 * 1024.0);
  return s;
}

struct Memory {
  double peak_mb = 0;   // the child's peak RSS
  double parse_mb = 0;  // what parsing added to the peak
};

// In a child of its own: build the feed, note the peak, parse once.
template <typename Make>
Memory memory(Make make) {
  int fds[2];
  if (pipe(fds) != 0) return {};
  const pid_t pid = fork();
  if (pid == 0) {
    close(fds[0]);
    const std::string feed = make();
    const double before = peak_mb_self();
    rss::FeedContext c;
    c.now = 1796083200000;
    auto parsed = rss::parse_feed(feed, kUrl, c);
    const double after = peak_mb_self();
    const double values[2] = {after, parsed.ok() ? after - before : -1};
    if (write(fds[1], values, sizeof values) != sizeof values) _exit(1);
    _exit(0);
  }
  close(fds[1]);
  double values[2] = {0, 0};
  const ssize_t got = read(fds[0], values, sizeof values);
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  if (got != sizeof values) return {};
  return {values[0], values[1]};
}

}  // namespace

int main() {
  constexpr size_t kFive = 5 * 1024 * 1024;
  std::printf("RSS/Atom parser (rss::parse_feed; one thread; %s build)\n",
#ifdef NDEBUG
              "optimized"
#else
              "debug"
#endif
  );
  std::printf("(feeds/s and MB/s per second of CPU time; wall: per second of wall time)\n");
  std::printf("%-46s %8s %6s %9s %7s %9s %8s %9s\n", "feed", "size", "items", "feeds/s", "MB/s",
              "wall f/s", "peak MB", "parse MB");
  const auto row = [](const char* name, const std::string& feed, double seconds, Memory m) {
    const Speed s = speed(feed, seconds);
    char size[16];
    if (feed.size() >= 1024 * 1024)
      std::snprintf(size, sizeof size, "%.1f MB", static_cast<double>(feed.size()) / 1048576.0);
    else
      std::snprintf(size, sizeof size, "%.0f KB", static_cast<double>(feed.size()) / 1024.0);
    char peak[16] = "-", parse[16] = "-";
    if (m.peak_mb > 0) {
      std::snprintf(peak, sizeof peak, "%.1f", m.peak_mb);
      std::snprintf(parse, sizeof parse, "%.1f", m.parse_mb);
    }
    std::printf("%-46s %8s %6zu %9.1f %7.1f %9.1f %8s %9s\n", name, size, s.items, s.feeds_per_s,
                s.mb_per_s, s.wall_feeds_per_s, peak, parse);
    std::fflush(stdout);
  };
  row("typical RSS 2.0 (50 items, UTF-8)", rss_feed(50 * 1200, false), 2.0, {});
  row("5 MB RSS 2.0 (UTF-8)", rss_feed(kFive, false), 3.0,
      memory([&] { return rss_feed(kFive, false); }));
  row("5 MB Atom 1.0 (xml:base, html content)", atom_feed(kFive), 3.0,
      memory([&] { return atom_feed(kFive); }));
  row("5 MB RSS 2.0 (ISO-8859-1 label, cp1252 bytes)", rss_feed(kFive, true), 3.0,
      memory([&] { return rss_feed(kFive, true); }));
  return 0;
}
