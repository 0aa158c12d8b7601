// XML and HTML as read-only trees, over libxml2 (Debian's libxml2-dev).
//
// Untrusted input throughout: no network access for DTDs or entities
// (XML_PARSE_NONET), no entity substitution (no XXE), documents declaring
// their own entities refused (no entity bombs when text is read), the
// parser's default depth limit, no recovery for XML (a broken feed is an
// error, not a guess). HTML is parsed leniently (it always is on the web).
// Text comes out as UTF-8 whatever the document's declared encoding; a
// document whose bytes contradict its declared encoding is an error.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

struct _xmlNode;
struct _xmlDoc;

namespace muni {

class XmlNode {
 public:
  XmlNode() = default;
  explicit XmlNode(_xmlNode* node) : node_(node) {}

  bool valid() const { return node_ != nullptr; }
  // The local name ("entry" for <atom:entry>) and the namespace URI ("" if none).
  std::string name() const;
  std::string ns() const;
  // Every text below this node, concatenated (CDATA included).
  std::string text() const;
  // An attribute by local name (any namespace), or nullopt.
  std::optional<std::string> attr(std::string_view name) const;
  // The xml:base in force here (for resolving relative links), or "".
  std::string base() const;
  // Element children, all of them or those with this local name (and, when
  // given, this namespace URI).
  std::vector<XmlNode> children(std::string_view name = {}, std::string_view ns = {}) const;
  XmlNode child(std::string_view name, std::string_view ns = {}) const;
  // The same with the namespace matched exactly, "" meaning no namespace:
  // RSS 2.0's own <title> and not <media:title>.
  std::vector<XmlNode> children_in(std::string_view name, std::string_view ns) const;
  XmlNode child_in(std::string_view name, std::string_view ns) const;
  std::string child_text_in(std::string_view name, std::string_view ns) const;
  // The text of the first child with this name, or "".
  std::string child_text(std::string_view name, std::string_view ns = {}) const;
  // Every element below this node with this local name (depth first).
  std::vector<XmlNode> descendants(std::string_view name) const;

 private:
  _xmlNode* node_ = nullptr;
};

class XmlDocument {
 public:
  // Fails with kParse and libxml2's first message (line included).
  static Result<XmlDocument> parse_xml(std::string_view text);
  // Never fails on broken markup; fails only for empty input.
  static Result<XmlDocument> parse_html(std::string_view text, std::string_view url = {});

  XmlNode root() const;

 private:
  struct Free {
    void operator()(_xmlDoc* d) const;
  };
  std::shared_ptr<_xmlDoc> doc_;
};

}  // namespace muni
