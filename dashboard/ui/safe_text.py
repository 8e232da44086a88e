"""Text from users, uploads or the URL shown through markdown exactly as typed. Pure."""
import re
from typing import Any

# Markdown (and Streamlit's extensions: :colour[], $maths$, ~~) that could make a link, an image
# (fetched from outside: the app must stay offline), HTML or formatting out of plain text.
_MD_SPECIAL = re.compile(r"([\\`*_\[\]()<>#|~$:!{}])")


def md(text: Any) -> str:
    """`text` with every markdown control character escaped."""
    return _MD_SPECIAL.sub(r"\\\1", str(text))
