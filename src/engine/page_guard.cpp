#include "engine/page_guard.h"

#include <unordered_map>

#include "core/text_safety.h"

namespace muni {

namespace {

class Guard {
 public:
  Guard(TimeMs earliest, TimeMs now, PageAudit& audit)
      : earliest_(earliest), latest_(now + kMaxFutureSkew), audit_(audit) {}

  bool plausible(TimeMs t) const { return t >= earliest_ && t <= latest_; }

  // Returns true when the text had to be repaired.
  bool text(std::string& s) {
    if (!repair_utf8(s)) return false;
    ++audit_.texts_repaired;
    return true;
  }

  bool count(std::optional<int64_t>& v) {
    if (!v || (*v >= 0 && *v <= kMaxPlausibleCount)) return false;
    v.reset();
    ++audit_.counts_rejected;
    return true;
  }

  // An optional date that only describes (parent, edit, profile): an
  // implausible one becomes unknown.
  void date(std::optional<TimeMs>& t) {
    if (t && !plausible(*t)) {
      t.reset();
      ++audit_.dates_dropped;
    }
  }

  void snapshot(AccountSnapshot& s) {
    for (std::string* f : {&s.platform_id, &s.handle, &s.display_name, &s.profile_url}) text(*f);
    count(s.followers);
    count(s.following);
    count(s.posts);
    for (AccountCounter& c : s.counters) {
      text(c.name);
      count(c.value);
    }
    date(s.created_at);
    date(s.last_status_at);
  }

  // False when the post cannot be kept.
  bool post(PostRecord& p) {
    bool repaired = false;
    for (std::string* f : {&p.platform_post_id, &p.parent_post_id, &p.parent_author_id,
                           &p.quoted_post_id, &p.url, &p.text, &p.language}) {
      repaired = text(*f) || repaired;
    }
    if (repaired) p.quality |= kQualityTextRepaired;
    if (p.platform_post_id.empty()) {
      audit_.skipped.push_back({"", "post without an id"});
      return false;
    }
    if (p.mentions < 0 || p.mentions > 100000) p.mentions = 0;
    // The post's own date first: a post that cannot be kept is counted once,
    // as skipped, not also for its other dates and counts.
    if (!p.counts_only && !plausible(p.created_at)) {
      if (p.created_at_evidence && plausible(*p.created_at_evidence)) {
        p.created_at = *p.created_at_evidence;
        p.quality |= kQualityDateCorrected;
        ++audit_.dates_corrected;
      } else {
        audit_.skipped.push_back(
            {p.platform_post_id, "created_at " + format_iso8601(p.created_at) +
                                     " is outside the platform's plausible range and no "
                                     "independent evidence of the real time is available"});
        return false;
      }
    }
    bool counts = false;
    for (std::optional<int64_t>* c : {&p.engagement.likes, &p.engagement.replies,
                                      &p.engagement.reposts, &p.engagement.quotes,
                                      &p.engagement.views}) {
      counts = count(*c) || counts;
    }
    if (counts) p.quality |= kQualityCountsRejected;
    date(p.parent_created_at);
    date(p.edited_at);
    return true;
  }

 private:
  TimeMs earliest_;
  TimeMs latest_;
  PageAudit& audit_;
};

}  // namespace

std::string PageAudit::summary() const {
  std::string out;
  auto add = [&](int n, const char* what) {
    if (n == 0) return;
    if (!out.empty()) out += ", ";
    out += std::to_string(n) + " " + what;
  };
  add(texts_repaired, "text field(s) with invalid UTF-8 repaired");
  add(counts_rejected, "count(s) out of range stored as unknown");
  add(dates_corrected, "implausible created_at corrected from the post id or index time");
  add(dates_dropped, "implausible date(s) stored as unknown");
  add(duplicates_merged, "post(s) repeated within the page stored once");
  add(static_cast<int>(skipped.size()), "item(s) skipped");
  return out;
}

PageAudit guard_page(Page& page, TimeMs earliest_item_ms, TimeMs now) {
  PageAudit audit;
  Guard g(earliest_item_ms, now, audit);
  Batch& b = page.batch;
  if (b.snapshot) g.snapshot(*b.snapshot);
  if (page.platform_id) g.text(*page.platform_id);
  if (page.history_note) g.text(*page.history_note);
  if (page.expected_own_posts && (*page.expected_own_posts < 0 ||
                                  *page.expected_own_posts > kMaxPlausibleCount)) {
    page.expected_own_posts.reset();
    ++audit.counts_rejected;
  }

  // Keep the last occurrence of a repeated id: it is the later reading.
  std::unordered_map<std::string, size_t> last_index;
  std::vector<PostRecord> kept;
  kept.reserve(b.posts.size());
  for (PostRecord& p : b.posts) {
    if (!g.post(p)) continue;
    const auto [it, inserted] = last_index.emplace(p.platform_post_id, kept.size());
    if (inserted) {
      kept.push_back(std::move(p));
    } else {
      kept[it->second] = std::move(p);
      ++audit.duplicates_merged;
    }
  }
  b.posts = std::move(kept);

  std::vector<CommentRecord> comments;
  comments.reserve(b.comments.size());
  for (CommentRecord& c : b.comments) {
    for (std::string* f : {&c.platform_comment_id, &c.on_post_id, &c.author_id,
                           &c.reply_to_comment_id})
      g.text(*f);
    g.text(c.text);
    g.count(c.likes);
    if (!g.plausible(c.created_at)) {
      audit.skipped.push_back({c.platform_comment_id, "comment with an implausible date"});
      continue;
    }
    comments.push_back(std::move(c));
  }
  b.comments = std::move(comments);
  for (std::string& id : b.missing_post_ids) g.text(id);
  for (std::string& id : b.deleted_post_ids) g.text(id);
  for (AccountEvent& e : b.events) {
    g.text(e.kind);
    g.text(e.detail);
  }
  for (SkippedItem& s : audit.skipped) b.skipped.push_back(s);
  audit.skipped = b.skipped;
  return audit;
}

}  // namespace muni
