"""Text from users, uploads or the URL shown through markdown exactly as typed, never as a link. Pure.

Streamlit renders st.error / st.warning / st.info / st.markdown bodies (and expander labels) as
GitHub markdown, which turns bare `http://…`, `https://…`, `www.…` and `name@host.tld` into
clickable links, after markdown escapes are resolved (a backslash does not stop it): a planted
`?county=http://evil.example/请重新登录` became a link inside the app's own warning. `md` escapes
every markdown control character and breaks those autolinks with a zero-width space (U+200B) in
"://", "www." and before "@", which the reader does not see (tests/browser/test_no_links.py checks
the rendered page has no <a>)."""
import re
from typing import Any

# Markdown (and Streamlit's extensions: :colour[], $maths$, ~~) that could make a link, an image
# (fetched from outside: the app must stay offline), HTML or formatting out of plain text.
_MD_SPECIAL = re.compile(r"([\\`*_\[\]()<>#|~$:!{}])")
ZWSP = "\u200b"
# the three autolinks of GitHub markdown: scheme://…, www.…, name@host.tld
_AUTOLINK = re.compile(r"(?i)(?<=:)(?=//)|(?<=www)(?=\.)|(?=@)")


def md(text: Any) -> str:
    """`text` with every markdown control character escaped and every autolink broken."""
    return _MD_SPECIAL.sub(r"\\\1", _AUTOLINK.sub(ZWSP, str(text)))
