"""`PypdfTextExtractor`: the text of a PDF, with pypdf (pure Python, maintained, no system
libraries to install). Pages are read one at a time and reading stops at the text cap, so
a long document costs no more than the text it yields."""

from __future__ import annotations

import io
import logging

#: Pages past this are not read: a cap on the work one upload can cause.
MAX_PAGES = 2000


class PypdfTextExtractor:
    def extract(self, data: bytes, max_chars: int) -> tuple[str, bool]:
        # pypdf logs every oddity of a malformed file as a warning; they are not ours to act on.
        logging.getLogger("pypdf").setLevel(logging.ERROR)
        try:
            from pypdf import PdfReader  # ~7 MB resident: only once a PDF is uploaded

            reader = PdfReader(io.BytesIO(data))
            if reader.is_encrypted:
                raise ValueError("encrypted PDF")
            parts: list[str] = []
            length = 0
            for number, page in enumerate(reader.pages):
                if number >= MAX_PAGES:
                    return "\n\n".join(parts), True
                text = page.extract_text() or ""
                if length + len(text) > max_chars:
                    parts.append(text[: max_chars - length])
                    return "\n\n".join(parts), True
                parts.append(text)
                length += len(text) + 2
        except Exception as error:
            # A malformed file can fail anywhere in a parser (zlib, struct, recursion...).
            raise ValueError("unreadable PDF") from error
        return "\n\n".join(parts).strip(), False
