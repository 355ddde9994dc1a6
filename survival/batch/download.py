"""The scored file a person downloads from the /batch page (both when it was scored in the
request and by a background job): every input row, in file order, with

    line           the row's line number in the uploaded file (the header is line 1)
    PassengerId…   the file's own id columns (PassengerId and/or name), when it has them
    survived       0 or 1 (empty for a rejected row)
    probability    of survival, 0–1, six decimals (empty for a rejected row)
    model_version  the version that scored the row (empty for a rejected row)
    error          why a row could not be scored (empty for a scored row)
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from survival.batch.services import ScoredTable

COLUMNS = ("line", "survived", "probability", "model_version", "error")


def scored_table_to_download(*, table: ScoredTable) -> bytes:
    import pandas as pd

    scored = table.scored
    lines = sorted({*scored.index.tolist(), *table.rejected})
    frame = pd.DataFrame(index=pd.Index(lines, name="line"))
    if table.ids is not None:
        frame = frame.join(table.ids)
    frame["survived"] = scored["Survived"].astype("Int64")
    frame["probability"] = scored["Probability"].map("{:.6f}".format)
    frame["model_version"] = pd.Series(table.version.version, index=scored.index, dtype="Int64")
    frame["error"] = pd.Series(
        {line: "; ".join(reasons) for line, reasons in table.rejected.items()}, dtype="string"
    )
    return frame.reset_index().to_csv(index=False, lineterminator="\n").encode()


def download_filename(*, upload_name: str) -> str:
    """ "passengers.csv" → "passengers-scored.csv", with only safe characters."""
    stem = re.sub(r"[^A-Za-z0-9._-]+", "_", upload_name.rsplit(".", 1)[0])[:80] or "passengers"
    return f"{stem}-scored.csv"
