// Plain text from the small HTML dialect platforms put into post bodies
// (Mastodon "content": <p>, <br>, <a>, <span class="invisible">, entities).
#pragma once

#include <string>
#include <string_view>

namespace muni {

// Strips tags, turns <br> and paragraph breaks into newlines, decodes named
// and numeric character references. Text inside "invisible" spans (Mastodon
// hides URL prefixes that way) is kept, so links come out whole.
std::string html_to_text(std::string_view html);

// Decodes &amp; &lt; &gt; &quot; &apos; &nbsp; &#NN; &#xHH; (others kept).
std::string decode_entities(std::string_view text);

// Counts <a href> links that are neither mentions nor hashtags (Mastodon marks
// those with class="mention" / "hashtag"; "u-url mention" for h-cards).
int count_external_links(std::string_view html);

}  // namespace muni
