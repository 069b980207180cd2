"""Land the small files a remote node sent back (runner part `remote`) in its local folder.

A node on a kernel behind a gateway ran in a temporary folder on the kernel's host; its result
carries the files under the size cap (base64) and names the ones left behind. Here they are
written into the node's folder of the local run folder, confined to it (a relative path that
climbs out or is absolute is refused and logged, never written).
"""

from __future__ import annotations

import base64
import binascii
import logging
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

LEFT_NOTE = "artifacts_left.txt"


def land(raw: dict[str, Any], workdir: str) -> dict[str, Any]:
    """Write `raw["artifacts"]` under `workdir`; return `raw` without the transfer keys."""
    files = raw.pop("artifacts", None)
    left = raw.pop("artifacts_left", None) or []
    remote_dir = raw.pop("remote_workdir", None)
    if files is None:
        return raw
    root = Path(workdir).resolve()
    root.mkdir(parents=True, exist_ok=True)
    for rel, b64 in dict(files).items():
        target = (root / str(rel)).resolve()
        if target == root or root not in target.parents:
            log.warning("remote node sent a file outside its folder: %r (ignored)", rel)
            continue
        try:
            data = base64.b64decode(b64, validate=True)
        except (binascii.Error, ValueError, TypeError):
            log.warning("remote node sent an undecodable file %r (ignored)", rel)
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    if left:
        lines = [f"{item.get('path')}\t{item.get('bytes')} bytes" for item in left]
        (root / LEFT_NOTE).write_text(
            f"Files this node wrote on the kernel's host (in {remote_dir}) that were over the "
            "size cap (c.AideExtension.remote_artifact_max_mb) and did not come back:\n"
            + "\n".join(lines)
            + "\n",
            encoding="utf-8",
        )
    return raw
