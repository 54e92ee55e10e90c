"""`evalkit serve`: the self-check and the assessment as web pages, for people who never open a terminal.

Needs the `serve` extra (Starlette, Jinja2, uvicorn, python-multipart); nothing here is imported by
`import evalkit` or by the other commands."""

from __future__ import annotations

import importlib.util
import logging
import os
from pathlib import Path

from ..errors import UsageError
from ..signals import Terminated

#: The modules the extra installs, by import name.
NEEDED = ("starlette", "jinja2", "uvicorn", "multipart")
LOOPBACK = ("127.0.0.1", "localhost", "::1")


def missing_modules() -> list[str]:
    return [name for name in NEEDED if importlib.util.find_spec(name) is None]


def serve(args) -> int:
    """Run the server the options describe until it is stopped (Ctrl-C, SIGTERM)."""
    if missing := missing_modules():
        raise UsageError(
            f"evalkit serve needs the serve extra ({', '.join(missing)} missing): pip install -e '.[serve]'",
            f"evalkit serve 需要安装 serve 扩展（缺少 {'、'.join(missing)}）：pip install -e '.[serve]'",
        )
    import uvicorn

    from .app import Settings, create_app
    from .uploads import UploadLimits
    from .work import Rules

    token = args.token or os.environ.get("EVALKIT_TOKEN") or None
    dataset = Path(args.serve_dataset) if args.serve_dataset else None
    if dataset is not None and not dataset.is_dir():
        raise UsageError(f"--dataset {dataset}: not a folder", f"--dataset {dataset}：不是文件夹")
    keep = Path(args.keep_uploads) if args.keep_uploads else None
    if keep is not None and not keep.is_dir():
        raise UsageError(f"--keep-uploads {keep}: not a folder", f"--keep-uploads {keep}：不是文件夹")
    modules = tuple(m for m in args.plugin if not m.startswith("no:"))
    blocked = tuple(m[3:] for m in args.plugin if m.startswith("no:"))
    rules = Rules(args.plugins_dir, args.rules_dir, modules, blocked)
    rules.session()  # a rule pack or plugin that does not load stops the server here, with its message
    settings = Settings(
        rules=rules,
        dataset=dataset,
        token=token,
        limits=UploadLimits(max_bytes=args.max_upload * 2**20),
        keep_uploads=keep,
        workers=args.serve_workers,
    )
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    log = logging.getLogger("evalkit.serve")
    if args.host not in LOOPBACK and token is None:
        log.warning(
            "listening on %s without a token: anyone who reaches it may upload ledgers (the office pages are off) / "
            "在 %s 上监听但未设置访问令牌：能访问该地址的任何人都可以上传台账（年度考核页面关闭）",
            args.host,
            args.host,
        )
    try:
        uvicorn.run(create_app(settings), host=args.host, port=args.port, log_level="info")
    except (KeyboardInterrupt, Terminated):  # uvicorn has shut down (uploads deleted) and re-raised the signal
        pass
    return 0
