#include "fake_telegram.h"

#include <algorithm>
#include <cstdio>

#include "core/strings.h"
#include "core/time_util.h"

namespace muni::test {

namespace {

std::string escape(const std::string& s) {
  std::string out;
  for (const char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\n':
        out += "<br/>";
        break;
      default:
        out += c;
    }
  }
  return out;
}

// "2026-11-20T08:15:00+00:00", as the preview writes <time datetime>.
std::string datetime(TimeMs t) {
  std::string iso = format_iso8601(t);  // 2026-11-20T08:15:00.000Z
  const size_t dot = iso.find('.');
  if (dot != std::string::npos) iso = iso.substr(0, dot);
  if (!iso.empty() && iso.back() == 'Z') iso.pop_back();
  return iso + "+00:00";
}

HttpResponse reply(int status, std::string body, const char* type) {
  HttpResponse r;
  r.status = status;
  r.body = std::move(body);
  r.headers.push_back({"Content-Type", type});
  return r;
}

std::string path_of(const std::string& url) {
  const size_t scheme = url.find("://");
  const size_t slash = url.find('/', scheme == std::string::npos ? 0 : scheme + 3);
  return slash == std::string::npos ? "/" : url.substr(slash);
}

}  // namespace

std::string telegram_shown_count(int64_t n) {
  if (n < 1000) return std::to_string(n);
  char buf[32];
  const char* unit = n >= 1000000 ? "M" : "K";
  const double v = static_cast<double>(n) / (n >= 1000000 ? 1e6 : 1e3);
  std::snprintf(buf, sizeof(buf), "%.1f", v);
  std::string s = buf;
  if (ends_with(s, ".0")) s.resize(s.size() - 2);
  return s + unit;
}

void FakeTelegram::add_channel(const std::string& name, const std::string& title,
                               int64_t subscribers, TimeMs created) {
  std::lock_guard<std::mutex> lock(mu_);
  Channel& c = channels_[name];
  c.title = title;
  c.subscribers = subscribers;
  Message created_msg;
  created_msg.id = c.next_id++;
  created_msg.at = created;
  created_msg.text = "Channel created";
  created_msg.service = true;
  c.messages[created_msg.id] = created_msg;
}

int64_t FakeTelegram::add_message(const std::string& name, TimeMs at, const std::string& text,
                                  int64_t views, const std::string& forwarded_from,
                                  int64_t reply_to, bool edited) {
  std::lock_guard<std::mutex> lock(mu_);
  Channel& c = channels_.at(name);
  Message m;
  m.id = c.next_id++;
  m.at = at;
  m.text = text;
  m.views = views;
  m.forwarded_from = forwarded_from;
  m.reply_to = reply_to;
  m.edited = edited;
  c.messages[m.id] = m;
  return m.id;
}

void FakeTelegram::delete_message(const std::string& name, int64_t id) {
  std::lock_guard<std::mutex> lock(mu_);
  channels_.at(name).messages.erase(id);
}

void FakeTelegram::set_subscribers(const std::string& name, int64_t subscribers) {
  std::lock_guard<std::mutex> lock(mu_);
  channels_.at(name).subscribers = subscribers;
}

void FakeTelegram::set_restricted(const std::string& name, bool restricted) {
  std::lock_guard<std::mutex> lock(mu_);
  channels_.at(name).restricted = restricted;
}

void FakeTelegram::set_page_size(int n) {
  std::lock_guard<std::mutex> lock(mu_);
  page_size_ = n;
}

void FakeTelegram::throttle(int requests, int retry_after_seconds) {
  std::lock_guard<std::mutex> lock(mu_);
  throttle_left_ = requests;
  retry_after_ = retry_after_seconds;
}

std::vector<std::string> FakeTelegram::ids(const std::string& name) const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::string> out;
  for (const auto& [id, m] : channels_.at(name).messages) {
    if (!m.service) out.push_back(std::to_string(id));
  }
  return out;
}

int64_t FakeTelegram::requests() const {
  std::lock_guard<std::mutex> lock(mu_);
  return requests_;
}

int64_t FakeTelegram::preview_requests() const {
  std::lock_guard<std::mutex> lock(mu_);
  return preview_requests_;
}

int64_t FakeTelegram::throttled() const {
  std::lock_guard<std::mutex> lock(mu_);
  return throttled_;
}

std::vector<std::string> FakeTelegram::paths() const {
  std::lock_guard<std::mutex> lock(mu_);
  return paths_;
}

std::string FakeTelegram::preview_html(const std::string& name, int64_t before) const {
  std::lock_guard<std::mutex> lock(mu_);
  return preview_locked(name, before);
}

std::string FakeTelegram::channel_html(const std::string& name) const {
  std::lock_guard<std::mutex> lock(mu_);
  return channel_locked(name);
}

std::string FakeTelegram::preview_locked(const std::string& name, int64_t before) const {
  const Channel& c = channels_.at(name);
  // The page_size messages below `before` (0: the newest), oldest first.
  std::vector<const Message*> page;
  for (auto it = c.messages.rbegin(); it != c.messages.rend(); ++it) {
    if (before > 0 && it->first >= before) continue;
    if (static_cast<int>(page.size()) >= page_size_) break;
    page.push_back(&it->second);
  }
  std::reverse(page.begin(), page.end());
  const bool older = !page.empty() && c.messages.begin()->first < page.front()->id;
  std::string h = "<!DOCTYPE html>\n<html>\n<head>\n<meta charset=\"utf-8\">\n<title>" +
                  escape(c.title) + " – Telegram</title>\n<meta property=\"og:title\" content=\"" +
                  escape(c.title) + "\">\n";
  if (older)
    h += "<link rel=\"prev\" href=\"/s/" + name + "?before=" + std::to_string(page.front()->id) +
         "\">\n";
  h += "<link rel=\"canonical\" href=\"/s/" + name +
       (before > 0 ? "?before=" + std::to_string(before) : "") +
       "\">\n</head>\n<body class=\"widget_frame_base tgme_webpreview\">\n"
       "<header class=\"tgme_header\"><div class=\"tgme_container\"><section "
       "class=\"tgme_right_column\"><div class=\"tgme_channel_info\">\n"
       "<div class=\"tgme_channel_info_header\"><div "
       "class=\"tgme_channel_info_header_title\"><span dir=\"auto\">" +
       escape(c.title) +
       "</span></div></div>\n<div class=\"tgme_channel_info_counters\"><div "
       "class=\"tgme_channel_info_counter\"><span class=\"counter_value\">" +
       telegram_shown_count(c.subscribers) +
       "</span> <span class=\"counter_type\">subscribers</span></div></div>\n"
       "</div></section></div></header>\n<main class=\"tgme_main\" data-url=\"/" +
       name +
       "\"><div class=\"tgme_container\">\n<section class=\"tgme_channel_history "
       "js-message_history\">\n";
  if (older) {
    const std::string b = std::to_string(page.front()->id);
    h += "<div class=\"tgme_widget_message_centered js-messages_more_wrap\"><a href=\"/s/" + name +
         "?before=" + b + "\" class=\"tme_messages_more js-messages_more\" data-before=\"" + b +
         "\"></a></div>\n";
  }
  for (const Message* m : page) {
    const std::string id = std::to_string(m->id);
    h += "<div class=\"tgme_widget_message_wrap js-widget_message_wrap\">\n<div "
         "class=\"tgme_widget_message text_not_supported_wrap js-widget_message" +
         std::string(m->service ? " service_message" : "") + "\" data-post=\"" + name + "/" + id +
         "\">\n<div class=\"tgme_widget_message_bubble\">\n";
    if (!m->forwarded_from.empty())
      h += "<div class=\"tgme_widget_message_forwarded_from accent_color\">Forwarded "
           "from&nbsp;<a class=\"tgme_widget_message_forwarded_from_name\" "
           "href=\"https://t.me/" +
           m->forwarded_from + "\"><span dir=\"auto\">Quelle</span></a></div>\n";
    if (m->reply_to > 0)
      h += "<a class=\"tgme_widget_message_reply\" href=\"https://t.me/" + name + "/" +
           std::to_string(m->reply_to) +
           "\"><div class=\"tgme_widget_message_text js-message_reply_text\">…</div></a>\n";
    h += "<div class=\"tgme_widget_message_text js-message_text\" dir=\"auto\">" + escape(m->text) +
         "</div>\n<div class=\"tgme_widget_message_footer compact\"><div "
         "class=\"tgme_widget_message_info short js-message_info\">";
    if (!m->service)
      h += "<span class=\"tgme_widget_message_views\">" + telegram_shown_count(m->views) +
           "</span><span class=\"copyonly\"> views</span>";
    h += "<span class=\"tgme_widget_message_meta\">";
    if (m->edited) h += "<span class=\"tgme_widget_message_edited\">edited</span> ";
    h += "<a class=\"tgme_widget_message_date\" href=\"https://t.me/" + name + "/" + id +
         "\"><time datetime=\"" + datetime(m->at) +
         "\" class=\"time\">00:00</time></a></span></div></div>\n</div>\n</div>\n</div>\n";
  }
  h += "</section>\n</div></main>\n</body>\n</html>\n";
  return h;
}

std::string FakeTelegram::channel_locked(const std::string& name) const {
  const auto it = channels_.find(name);
  std::string h =
      "<!DOCTYPE html>\n<html>\n<head>\n<meta charset=\"utf-8\">\n<title>Telegram: "
      "Contact @" +
      name +
      "</title>\n</head>\n<body>\n<div class=\"tgme_page_wrap\"><div "
      "class=\"tgme_body_wrap\"><div class=\"tgme_page\">\n";
  if (it != channels_.end()) {
    h += "<div class=\"tgme_page_title\"><span dir=\"auto\">" + escape(it->second.title) +
         "</span></div>\n<div class=\"tgme_page_extra\">\n";
    // "12 345 subscribers": spaces as thousands separators.
    std::string digits = std::to_string(it->second.subscribers);
    std::string spaced;
    for (size_t i = 0; i < digits.size(); ++i) {
      if (i > 0 && (digits.size() - i) % 3 == 0) spaced += ' ';
      spaced += digits[i];
    }
    h += "  " + spaced + (it->second.subscribers == 1 ? " subscriber" : " subscribers") +
         "\n</div>\n";
    if (!it->second.restricted)
      h += "<div class=\"tgme_page_context_link_wrap\"><a class=\"tgme_page_context_link\" "
           "href=\"/s/" +
           name + "\">Preview channel</a></div>\n";
  } else {
    h += "<div class=\"tgme_page_description\">If you have <strong>Telegram</strong>, you can "
         "contact <a class=\"tgme_username_link\" href=\"tg://resolve?domain=" +
         name + "\">@" + name + "</a> right away.</div>\n";
  }
  h += "</div></div></div>\n</body>\n</html>\n";
  return h;
}

HttpResponse FakeTelegram::handle(const HttpRequest& request) {
  std::lock_guard<std::mutex> lock(mu_);
  ++requests_;
  const std::string path = path_of(request.url);
  paths_.push_back(path);
  if (throttle_left_ > 0) {
    --throttle_left_;
    ++throttled_;
    HttpResponse r = reply(429, "<html><body>Too Many Requests</body></html>", "text/html");
    r.headers.push_back({"Retry-After", std::to_string(retry_after_)});
    return r;
  }
  const std::string clean = path.substr(0, path.find('?'));
  if (starts_with(clean, "/s/")) {
    ++preview_requests_;
    const std::string name = to_lower_ascii(clean.substr(3));
    const auto it = channels_.find(name);
    if (it == channels_.end() || it->second.restricted) {
      HttpResponse r = reply(302, "", "text/html");
      r.headers.push_back({"Location", "/" + name});
      return r;
    }
    const auto before = url_query_param(request.url, "before");
    const int64_t b = before ? parse_int64(*before).value_or(0) : 0;
    return reply(200, preview_locked(name, b), "text/html; charset=utf-8");
  }
  const std::string name = to_lower_ascii(clean.substr(1));
  if (name.empty() || name.find('/') != std::string::npos)
    return reply(404, "<html><body>Not Found</body></html>", "text/html");
  return reply(200, channel_locked(name), "text/html; charset=utf-8");
}

}  // namespace muni::test
