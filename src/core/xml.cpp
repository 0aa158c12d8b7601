#include "core/xml.h"

#include <libxml/HTMLparser.h>
#include <libxml/hash.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>

#include <mutex>

#include "core/strings.h"

namespace muni {

namespace {

// libxml2 reports errors through a global handler; muniscope reads the last
// error of the parse instead, so silence the default printing to stderr.
void quiet(void*, const char*, ...) {}

void init_libxml() {
  static std::once_flag once;
  std::call_once(once, [] {
    xmlInitParser();
    xmlSetGenericErrorFunc(nullptr, quiet);
  });
}

std::string to_string(const xmlChar* s) {
  return s == nullptr ? std::string() : std::string(reinterpret_cast<const char*>(s));
}

bool name_matches(const xmlNode* n, std::string_view name, std::string_view ns) {
  if (n->type != XML_ELEMENT_NODE) return false;
  if (!name.empty() && std::string_view(reinterpret_cast<const char*>(n->name)) != name)
    return false;
  if (!ns.empty()) {
    const std::string_view href = n->ns != nullptr && n->ns->href != nullptr
                                      ? std::string_view(reinterpret_cast<const char*>(n->ns->href))
                                      : std::string_view();
    if (href != ns) return false;
  }
  return true;
}

bool namespace_is(const xmlNode* n, std::string_view ns) {
  const std::string_view href = n->ns != nullptr && n->ns->href != nullptr
                                    ? std::string_view(reinterpret_cast<const char*>(n->ns->href))
                                    : std::string_view();
  return href == ns;
}

void collect(xmlNode* n, std::string_view name, std::vector<XmlNode>& out) {
  for (xmlNode* c = n->children; c != nullptr; c = c->next) {
    if (c->type != XML_ELEMENT_NODE) continue;
    if (name_matches(c, name, {})) out.emplace_back(c);
    collect(c, name, out);
  }
}

}  // namespace

std::string XmlNode::name() const { return node_ == nullptr ? "" : to_string(node_->name); }

std::string XmlNode::ns() const {
  return node_ == nullptr || node_->ns == nullptr ? "" : to_string(node_->ns->href);
}

std::string XmlNode::text() const {
  if (node_ == nullptr) return "";
  xmlChar* content = xmlNodeGetContent(node_);
  std::string out = to_string(content);
  xmlFree(content);
  return out;
}

std::optional<std::string> XmlNode::attr(std::string_view name) const {
  if (node_ == nullptr) return std::nullopt;
  for (xmlAttr* a = node_->properties; a != nullptr; a = a->next) {
    if (std::string_view(reinterpret_cast<const char*>(a->name)) == name) {
      xmlChar* v = xmlNodeListGetString(node_->doc, a->children, 1);
      std::string out = to_string(v);
      xmlFree(v);
      return out;
    }
  }
  return std::nullopt;
}

std::string XmlNode::base() const {
  if (node_ == nullptr) return "";
  xmlChar* b = xmlNodeGetBase(node_->doc, node_);
  std::string out = to_string(b);
  xmlFree(b);
  return out;
}

std::vector<XmlNode> XmlNode::children(std::string_view name, std::string_view ns) const {
  std::vector<XmlNode> out;
  if (node_ == nullptr) return out;
  for (xmlNode* c = node_->children; c != nullptr; c = c->next) {
    if (name_matches(c, name, ns)) out.emplace_back(c);
  }
  return out;
}

XmlNode XmlNode::child(std::string_view name, std::string_view ns) const {
  if (node_ == nullptr) return XmlNode();
  for (xmlNode* c = node_->children; c != nullptr; c = c->next) {
    if (name_matches(c, name, ns)) return XmlNode(c);
  }
  return XmlNode();
}

std::vector<XmlNode> XmlNode::children_in(std::string_view name, std::string_view ns) const {
  std::vector<XmlNode> out;
  if (node_ == nullptr) return out;
  for (xmlNode* c = node_->children; c != nullptr; c = c->next) {
    if (name_matches(c, name, {}) && namespace_is(c, ns)) out.emplace_back(c);
  }
  return out;
}

XmlNode XmlNode::child_in(std::string_view name, std::string_view ns) const {
  if (node_ == nullptr) return XmlNode();
  for (xmlNode* c = node_->children; c != nullptr; c = c->next) {
    if (name_matches(c, name, {}) && namespace_is(c, ns)) return XmlNode(c);
  }
  return XmlNode();
}

std::string XmlNode::child_text_in(std::string_view name, std::string_view ns) const {
  return child_in(name, ns).text();
}

std::string XmlNode::child_text(std::string_view name, std::string_view ns) const {
  return child(name, ns).text();
}

std::vector<XmlNode> XmlNode::descendants(std::string_view name) const {
  std::vector<XmlNode> out;
  if (node_ != nullptr) collect(node_, name, out);
  return out;
}

void XmlDocument::Free::operator()(_xmlDoc* d) const { xmlFreeDoc(d); }

Result<XmlDocument> XmlDocument::parse_xml(std::string_view text) {
  init_libxml();
  if (trim(text).empty()) return make_error(ErrorCode::kParse, "empty body where XML was expected");
  xmlResetLastError();
  xmlDoc* doc = xmlReadMemory(text.data(), static_cast<int>(text.size()), nullptr, nullptr,
                              XML_PARSE_NONET | XML_PARSE_NOWARNING | XML_PARSE_NOERROR);
  if (doc == nullptr) {
    const xmlError* e = xmlGetLastError();
    std::string what(e != nullptr && e->message != nullptr ? trim(e->message) : "unknown error");
    if (e != nullptr && e->line > 0) what = "line " + std::to_string(e->line) + ": " + what;
    return make_error(ErrorCode::kParse, "invalid XML (" + what + ")");
  }
  XmlDocument out;
  out.doc_ = std::shared_ptr<_xmlDoc>(doc, Free());
  // Entities declared in the document itself are never expanded by the
  // parser (no XML_PARSE_NOENT), but reading an element's text would expand
  // them ("billion laughs": a few hundred bytes that read as gigabytes).
  // Feeds and API answers have no use for them: such a document is refused.
  if (const xmlDtd* dtd = doc->intSubset; dtd != nullptr) {
    const auto declared = [](void* table) {
      return table != nullptr && xmlHashSize(static_cast<xmlHashTablePtr>(table)) > 0;
    };
    if (declared(dtd->entities) || declared(dtd->pentities))
      return make_error(ErrorCode::kParse,
                        "XML that declares its own entities (refused: entity expansion)");
  }
  if (xmlDocGetRootElement(doc) == nullptr)
    return make_error(ErrorCode::kParse, "XML without a root element");
  return out;
}

Result<XmlDocument> XmlDocument::parse_html(std::string_view text, std::string_view url) {
  init_libxml();
  if (trim(text).empty()) return make_error(ErrorCode::kParse, "empty HTML page");
  const std::string base(url);
  xmlDoc* doc = htmlReadMemory(text.data(), static_cast<int>(text.size()),
                               base.empty() ? nullptr : base.c_str(), nullptr,
                               HTML_PARSE_NONET | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING |
                                   HTML_PARSE_RECOVER | HTML_PARSE_NOBLANKS);
  if (doc == nullptr) return make_error(ErrorCode::kParse, "unreadable HTML page");
  XmlDocument out;
  out.doc_ = std::shared_ptr<_xmlDoc>(doc, Free());
  return out;
}

XmlNode XmlDocument::root() const {
  return XmlNode(doc_ ? xmlDocGetRootElement(doc_.get()) : nullptr);
}

}  // namespace muni
