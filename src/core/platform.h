// The platforms muniscope knows, as descriptors their connectors register.
//
// Everything src/ needs to know about a platform comes from its descriptor:
// the KGSt instrument category, how a handle is written canonically, which
// extra configuration keys it takes, what it can do (full history, comments,
// credentials), its units of work with priority and interval, its quota
// budgets and how a credential is attached. src/ names no platform; each
// connectors/<id>/ folder holds its platform's knowledge, and
// connectors/builtin.cpp registers them, one line each
// (docs/connectors.md, "Writing a connector").
//
// The seven categories are those of the KGSt study "Wie nutzen Kommunen Social
// Media?" (KGSt Bericht 8/2016): Wikis, Foren, soziale Netzwerke, Content
// Communities, Mikroblogs, Messenger-Dienste, Blogs.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "core/time_util.h"

namespace muni {

enum class Category {
  kSocialNetwork,
  kMicroblog,
  kContentCommunity,
  kBlog,
  kWiki,
  kForum,
  kMessenger,
};

// Stable identifiers used in config, the store and CLI output.
std::string_view category_id(Category c);        // "social_network", "microblog", ...
std::string_view category_label_de(Category c);  // "Soziale Netzwerke", ...
std::optional<Category> parse_category(std::string_view id);
const std::vector<Category>& all_categories();

// The units of work a connector performs, in the engine's priority order.
enum class WorkKind {
  kPoll,      // resolve if needed, profile snapshot, new items since the cursor
  kRefresh,   // updated counts (and deletions) of recent items
  kComments,  // a sweep of comments on recent items (citizens' questions, the account's answers)
  kBackfill,  // one step further back into the account's history
  // The comments of older items: every item of the history horizon read
  // once, then again at a slower interval. The engine picks the items from
  // the store's comment coverage (AccountView::comment_ids); a connector
  // serves it with the same session as kComments.
  kCommentBackfill,
};
constexpr int kWorkKinds = 5;
std::string_view work_kind_id(WorkKind w);

// WorkSpec::interval_ms: the configuration's general default for the kind
// (defaults.poll_interval, defaults.refresh_interval).
constexpr DurationMs kDefaultInterval = -1;

// How a platform's unit of work is scheduled.
struct WorkSpec {
  WorkKind kind = WorkKind::kPoll;
  // How often (for refresh and comments; poll's is the poll interval). 0:
  // off unless platforms.<id>.<kind>_interval turns it on.
  DurationMs interval_ms = kDefaultInterval;
  // Accounts per unit of work where the API takes many ids at once (1: none).
  int batch = 1;
};

// A quota budget (units, not requests), kept per platform and credential and
// persisted across restarts.
struct BudgetSpec {
  enum class Policy {
    kDaily,        // `units` per day, reset at `reset_minute` (minutes after local midnight) in `zone`
    kMonthly,      // `units` per calendar month of `zone` (paid plans)
    kRolling24h,   // at most `units` in any 24 hours
  } policy = Policy::kDaily;
  int64_t units = 0;
  std::string zone = "UTC";
  int reset_minute = 0;
  std::string source;  // where the figure is documented
};

// How the engine attaches a credential. Connectors only say whether a
// request needs it; the secret never reaches them.
struct AuthStyle {
  enum class Kind {
    kNone,
    kBearerHeader,    // Authorization: Bearer <token>
    kQueryParameter,  // ?<parameter>=<token>
    kSignedQuery,     // ?<parameter>=<token>&appsecret_proof=HMAC-SHA256(app_secret, token) (Graph API)
  } kind = Kind::kNone;
  std::string parameter;  // "key", "access_token"
};

// A configuration key a platform accepts under platforms.<id>, beyond the
// common ones (docs/configuration.md).
struct SettingSpec {
  enum class Type { kBool, kInteger, kDuration, kString };
  std::string key;
  Type type = Type::kString;
  std::string help;  // one line for errors and docs
  int64_t min = 0;
  int64_t max = 0;  // for integers and durations (0: no bound)
};

struct PlatformCapabilities {
  bool connector = false;         // compiled into this build
  bool full_history = false;      // backfill can reach the first item
  bool comments = false;          // citizens' comments on items are readable
  bool needs_credential = false;  // nothing works without one
  bool credential_optional = false;  // more with one, something without
};

// ------------------------------------------------------------------ links
//
// How to tell a platform's accounts from its other pages, for discovery on a
// municipality's website (src/registry/discovery.h) and for `import
// wikidata` (src/registry/wikidata.h). Each connectors/<id>/<id>_links.cpp
// fills one PlatformLinks; src/ only runs what it says (docs/connectors.md,
// "Links and Wikidata").

// What a link to a platform is. Only kAccount names an account; everything
// else is refused with a reason, so a researcher sees what was left out.
enum class LinkKind {
  kAccount,   // a profile: the account itself
  kShare,     // a share button (facebook.com/sharer.php, x.com/intent/tweet, t.me/share/url)
  kPost,      // one post, message or photo of an account
  kVideo,     // one video (youtube.com/watch, youtu.be/...)
  kHome,      // the platform's home page
  kPage,      // another page of the platform (help, login, search, hashtag, invitation)
  kRedirect,  // the platform's tracking redirect; its target (a query parameter) is judged instead
};

// How a user name captured by a LinkPattern must look; a capture that does
// not fit does not match (the next pattern is tried).
struct HandleShape {
  // Characters allowed besides ASCII letters and digits. nullopt: any text
  // (the platform's canonicalizer judges it).
  std::optional<std::string> punct;
  size_t min_length = 1;
  size_t max_length = 256;
  bool lower_case = false;  // case-insensitive names are proposed lower-case
};

// One rule of a platform's link patterns; the first that matches decides.
struct LinkPattern {
  // The path, segment by segment ('/' between), compared without case:
  //   "sharer.php"       a literal segment; "a|b|c" any of these
  //   "+*"               a segment starting with "+" (a trailing "*": any rest)
  //   "*"                any one segment
  //   "**"               any number of further segments, none included (last only)
  //   "{}"               the handle: one segment, decoded
  //   "@{}"              a segment "@name": the handle is "name"
  //   ""                 no segment at all (the platform's home page)
  // A suffix "?id={}" takes the handle from the query parameter `id` (the
  // path must match as well). A prefix "host:" limits the rule to one of the
  // platform's hosts ("youtu.be:**").
  std::string path;
  LinkKind kind = LinkKind::kAccount;
  // kAccount: the raw handle, "{}" replaced by the capture ("" : "{}"); the
  // descriptor's canonicalizer turns it into the stored handle. Otherwise:
  // the reason of the refusal ("": a sentence for the kind).
  std::string text;
  // For kAccount: the capture's shape; nullopt: PlatformLinks::shape.
  std::optional<HandleShape> shape;
};

// One link as a page shows it, for a platform's recognise() hook.
struct LinkContext {
  std::string url;     // absolute, as found
  std::string host;    // lower-case, without "www.", "m.", "mobile.", "de.", "de-de.", "web."
  std::string origin;  // scheme://host[:port], for handles that are URLs
  std::vector<std::string> segments;  // the path's non-empty segments, decoded
  std::string query;                  // after '?', without '#'
  std::string text;                   // the link's text (or its image's alt/title)
  std::vector<std::string> rels;      // rel="..." tokens, lower-case
  std::string type;                   // type="..." of a <link>, lower-case
  bool head = false;                  // a <link> element (not an <a>)
  bool rel_me = false;                // rel="me": the site says this is its own
  bool feed = false;                  // <link rel="alternate" type="application/rss+xml|atom+xml">
  bool same_site = false;             // on the municipality's own website
  bool claimed = false;               // another platform's `hosts` name this host
};

// What a pattern or hook says about a link.
struct LinkMatch {
  LinkKind kind = LinkKind::kAccount;
  std::string handle;  // kAccount: the raw handle (canonicalized by the descriptor)
  std::string reason;  // a refusal: why ("": a sentence for the kind)
  // kAccount: evidence that stands alone ("the site's own feed"); empty: the
  // account must meet discovery's usual evidence (rel="me", page chrome, ...).
  std::string evidence;
};

struct PlatformLinks {
  // Hosts of the platform's profile URLs, compared after LinkContext::host's
  // prefixes are removed. "*.wordpress.com": any subdomain (not the bare host).
  std::vector<std::string> hosts;
  // On those hosts, in order; a link on them that no pattern matches is
  // refused as "not a <name> account address".
  std::vector<LinkPattern> patterns;
  HandleShape shape;  // the default shape of "{}" captures
  // For what data cannot say (any host's /@user on the fediverse, a site's
  // own feed or WordPress API link). Called for every link, before `hosts`,
  // in registry order; nullopt: no opinion. Must be cheap and specific.
  std::function<std::optional<LinkMatch>(const LinkContext&)> recognise;
  // The account's name inside a canonical handle, for comparing it with the
  // municipality's name ("@stadt@host" -> "stadt"). Unset: the handle
  // itself. An empty answer: the handle carries no name (a feed URL).
  std::function<std::string(std::string_view handle)> account_name;

  // Wikidata: the property holding the account ("P4033"); empty when
  // Wikidata has none (wikidata_note says so). `import wikidata` reads it
  // from the SPARQL variable named like the platform id.
  std::string wikidata_property;
  std::string wikidata_label;   // the property's English label, for docs and the query
  std::string wikidata_source;  // the property's page
  std::string wikidata_note;    // why there is none, or what the value holds
  // Turns the property's value into a raw handle; unset: the value as is.
  std::function<std::string(std::string_view value)> wikidata_handle;
};

// Runs `links`' hosts and patterns (not its hook) over a link; nullopt when
// the host is not one of `hosts`. A host match that no pattern accepts gives
// a kPage refusal saying so (`display_name` names the platform).
std::optional<LinkMatch> match_link_patterns(const PlatformLinks& links, const LinkContext& link,
                                             std::string_view display_name);
// Whether `host` (prefixes already removed) is one of `links.hosts`.
bool link_host_matches(const PlatformLinks& links, std::string_view host);
// The host of a link without the prefixes LinkContext::host removes.
std::string link_host(std::string_view host);
// A LinkContext from an absolute URL (no page facts); nullopt: not http(s).
std::optional<LinkContext> link_context(std::string_view url);

struct PlatformDescriptor {
  std::string id;  // lower-case ASCII, as config, store and CLI write it
  std::string display_name;
  // The name in German reports; empty: the same as display_name (most
  // platforms are proper names). Set by the connector, which owns the
  // platform's wording, so src/ names no platform.
  std::string display_name_de;
  Category category = Category::kMicroblog;
  // No item on this platform can be older than this (ms since the epoch).
  // Deliberately loose (the start of a year before the platform's public
  // launch): the bound only catches impossible dates such as 0001-01-01 or
  // 1970-01-01, it does not judge plausible ones.
  int64_t earliest_item_ms = 0;
  // Turns a handle as written into the canonical form muniscope stores and
  // deduplicates on; unset: the trimmed text (an empty one is an error).
  std::function<Result<std::string>(std::string_view)> canonical_handle;
  PlatformCapabilities capabilities;
  std::vector<SettingSpec> settings;
  std::vector<WorkSpec> work;  // empty: poll and backfill only
  std::vector<BudgetSpec> budgets;
  AuthStyle auth;
  // Requests per window per host before any response header says otherwise
  // (0: none known, only the concurrency cap applies).
  int rate_requests = 0;
  DurationMs rate_window_ms = 0;
  std::string default_base_url;
  // Shown by `status` for accounts of this platform, e.g. what a missing key costs.
  std::string note;
  // How discovery and `import wikidata` recognise its accounts (set from the
  // connector's <id>_links() by connectors/builtin.cpp).
  PlatformLinks links;

  const WorkSpec* work_spec(WorkKind kind) const;
  // The name to show in a text of language `lang` ("de", "en").
  const std::string& display_name_for(std::string_view lang) const;
  Result<std::string> canonicalize(std::string_view raw) const;
};

// The descriptors of this build, filled once at start-up by
// register_builtin_platforms() (connectors/builtin.h) and read-only after.
class PlatformRegistry {
 public:
  void add(PlatformDescriptor descriptor);
  const PlatformDescriptor* find(std::string_view id) const;
  const std::vector<PlatformDescriptor>& all() const { return platforms_; }
  // "mastodon, bluesky, ..." for error messages.
  std::string id_list() const;

 private:
  std::vector<PlatformDescriptor> platforms_;
};

PlatformRegistry& platform_registry();
// Shorthands over platform_registry().
const PlatformDescriptor* find_platform(std::string_view id);
std::string known_platform_list();
// "unknown platform 'mastdon' (did you mean 'mastodon'?); known platforms: ..."
std::string unknown_platform_message(std::string_view id);

// 00:00 UTC on 1 January of `year`, in ms since the epoch.
int64_t jan1_ms(int year);

}  // namespace muni
