// WordPress REST API answers (wp/v2) -> normalized records. Pure functions
// over response text and headers. Field meanings follow the REST API
// handbook (developer.wordpress.org/rest-api/reference/posts/ and
// /comments/: the schemas, "Pagination", "Global Parameters" for _fields)
// and the responses WordPress's own test suite records
// (../shared/api-samples/wordpress/, from wordpress-develop's
// tests/qunit/fixtures/wp-api-generated.js); fixtures and their sources are
// in tests/fixtures/wordpress/SOURCES.md.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/model.h"
#include "core/result.h"

namespace muni::wordpress {

// The fields muniscope asks for (the _fields global parameter, WordPress
// 4.9+; older sites ignore it and send every field, which parses the same).
inline constexpr const char* kPostFields =
    "id,date_gmt,modified_gmt,link,title,content,author,comment_status,featured_media,type";
inline constexpr const char* kCommentFields =
    "id,post,parent,author,author_name,date_gmt,content,status";

struct Posts {
  // Item type "article"; created_at from date_gmt (the site's local `date`
  // is never used: it carries no zone); edited_at from modified_gmt when it
  // differs; engagement empty (WordPress lists no counts with posts);
  // created_at_evidence from the local `date` read as UTC, which the page
  // guard uses only when date_gmt is implausible (off by the site's offset).
  std::vector<PostRecord> posts;
  std::vector<SkippedItem> skipped;  // no id, or no readable date_gmt
  // The `author` user ids of the posts: the site's staff for comments.
  std::set<std::string> authors;
  // id -> comment_status ("open", "closed") where the answer has it.
  std::map<std::string, std::string> comment_status;
};

// A posts collection (GET /wp/v2/posts): a JSON array. Anything else (an
// object, HTML) fails.
Result<Posts> parse_posts(std::string_view body);

// id -> comment_status of a posts collection asked with
// _fields=id,comment_status.
Result<std::map<std::string, std::string>> parse_comment_status(std::string_view body);

// How many entries a JSON array answer holds (0 for anything else): a page
// shorter than per_page is the last one, whatever its entries hold.
int count_entries(std::string_view body);

// Who answers for the site in its comments.
struct Staff {
  std::set<std::string> user_ids;  // post authors' user ids ("3")
  std::vector<std::string> names;  // configured author names, compared case-insensitively
  bool is_staff(int64_t author, std::string_view author_name) const;
};

struct Comments {
  // platform_comment_id = the comment id, on_post_id = `post`,
  // reply_to_comment_id = `parent` ("" for 0), author_id = the user id for
  // a logged-in author, else "guest:" + author_name; by_account for staff.
  // Comments whose status is given and not "approved" are left out (a
  // public answer holds approved ones only).
  std::vector<CommentRecord> comments;
  std::vector<SkippedItem> skipped;
  int64_t first_id = 0;  // the smallest comment id of the page (0: none)
  int64_t last_id = 0;   // the largest
};

// A comments collection (GET /wp/v2/comments?post=...).
Result<Comments> parse_comments(std::string_view body, const Staff& staff);

// The `post` of every approved comment of a comments collection asked
// with _fields=id,post,status (the refresh's count of comments per post).
Result<std::vector<std::string>> parse_comment_post_ids(std::string_view body);

// X-WP-Total and X-WP-TotalPages (nullopt: absent, unreadable, negative
// or beyond 10^12).
struct Paging {
  std::optional<int64_t> total;
  std::optional<int64_t> total_pages;
};
Paging parse_paging(const std::optional<std::string>& total,
                    const std::optional<std::string>& total_pages);

// The REST API's error shape {"code", "message", "data": {"status"}}.
struct ApiError {
  std::string code;     // "rest_post_invalid_page_number", "rest_no_route", ...
  std::string message;  // as sent
};
std::optional<ApiError> parse_error(std::string_view body);

// True for the answer to a page past the last one: HTTP 400 with a code
// ending in "_invalid_page_number" (rest_post_invalid_page_number). That is
// the end of a listing, not an error.
bool is_past_last_page(int status, std::string_view body);

// Why an answer shows that the site's REST API is switched off or hidden,
// or nullopt when the API answered. Off: 401 or 403 (a plugin that requires
// a login: rest_not_logged_in, rest_cannot_access, rest_forbidden, or no
// JSON at all), 404 rest_no_route (the route was removed), and an HTML page
// or other non-JSON body where JSON belongs (a 200 with the home page, a
// 404 page). `html_404` tells a 404 without JSON apart (a site without
// pretty permalinks, whose /wp-json/ path does not exist).
struct RestOff {
  std::string reason;  // "HTTP 404 rest_no_route (No route was found ...)"
  bool html_404 = false;
};
std::optional<RestOff> rest_off(int status, std::string_view body);

// The post id in a WordPress feed entry's guid ("https://site/?p=123" ->
// "123"), so that entries read from the feed and posts read from the API
// are one item; "" when the guid is not of that form.
std::string post_id_from_guid(std::string_view guid);

// The staff_names setting: "Name, Name" for every site, "host=Name" for
// the site on that host only; the names that apply to `site_host`.
std::vector<std::string> staff_names_for(std::string_view setting, std::string_view site_host);

}  // namespace muni::wordpress
