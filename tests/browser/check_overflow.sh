#!/bin/sh
# Renders an HTML report in headless Chromium (Debian's `chromium`) at a
# given width and fails when anything is wider than the window (layout
# overflow), optionally saving a PNG screenshot.
#   check_overflow.sh REPORT.html [WIDTH] [SCREENSHOT.png]
# Exit status: 0 no overflow, 1 overflow (the widest elements are printed),
# 77 chromium not installed (the test suite reports it as skipped).
set -u
report=$1
width=${2:-1280}
shot=${3:-}
command -v chromium >/dev/null 2>&1 || { echo "chromium not installed"; exit 77; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# A copy with a probe: the report itself has no JavaScript; the probe writes
# the page's scroll width and the widest offending elements into the DOM.
sed 's#</body>#<script>(function(){var w=window.innerWidth,bad=[];document.querySelectorAll("body *").forEach(function(e){var r=e.getBoundingClientRect();if(r.right>w+1\&\&!e.closest(".scroll"))bad.push(e.tagName+"."+e.className+" right="+Math.round(r.right));});document.body.setAttribute("data-overflow",(document.documentElement.scrollWidth>w||bad.length)?"yes":"no");document.body.setAttribute("data-bad",bad.slice(0,5).join(" | "));})();</script></body>#' \
  "$report" > "$work/probe.html"
flags="--headless --no-sandbox --disable-gpu --hide-scrollbars --window-size=${width},1200"
dom=$(chromium $flags --virtual-time-budget=2000 --dump-dom "file://$work/probe.html" 2>/dev/null)
if [ -n "$shot" ]; then
  chromium $flags --screenshot="$shot" "file://$report" >/dev/null 2>&1
fi
case "$dom" in
  *'data-overflow="no"'*) echo "no overflow at ${width}px"; exit 0 ;;
  *'data-overflow="yes"'*)
    echo "layout overflow at ${width}px:"
    printf '%s\n' "$dom" | sed -n 's/.*data-bad="\([^"]*\)".*/\1/p' | head -1
    exit 1 ;;
  *) echo "chromium produced no DOM"; exit 1 ;;
esac
