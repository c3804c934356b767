"""Command line: `python -m bot <command>`."""

from __future__ import annotations

import argparse
import logging
import signal
import sys
from datetime import date

from bot.config import PROJECT_ROOT, load_settings


def content_check(args: argparse.Namespace) -> int:
    from bot.content.check import check_content, readability_scores
    from bot.content.domain_sync import domain_findings
    from bot.content.loader import load_content

    settings = load_settings()
    content, load_findings = load_content(settings.content_dir)
    findings = check_content(content, load_findings, date.today())
    findings += domain_findings(content, PROJECT_ROOT / "domain.yml")
    if not args.quiet:
        print("Reading ease (Flesch, 60 or more needed) and length per message:")
        for score in readability_scores(content):
            shown = "short" if score.score is None else f"{score.score:5.1f}"
            print(f"  {shown:>5}  {score.characters:4d} chars  {score.file}, {score.where}")
        print()
    for finding in sorted(findings, key=lambda f: (not f.is_error, f.file, f.where)):
        print(finding)
    errors = sum(f.is_error for f in findings)
    warnings = len(findings) - errors
    print(
        f"\nContent check: {len(content.topics)} topics, {len(content.services)} services, "
        f"{errors} error(s), {warnings} warning(s)."
    )
    return 1 if errors else 0


def content_sync_domain(args: argparse.Namespace) -> int:
    from bot.content.domain_sync import sync_domain
    from bot.content.store import ContentStore

    content = ContentStore(load_settings().content_dir).get()
    changed = sync_domain(content, PROJECT_ROOT / "domain.yml")
    print("domain.yml updated: retrain with `make train`." if changed else "domain.yml already up to date.")
    return 0


def train(args: argparse.Namespace) -> int:
    from bot.training import train_if_needed

    train_if_needed(force=args.force)
    return 0


def web(args: argparse.Namespace) -> int:
    from aiohttp import web as aiohttp_web

    from bot.web.app import create_app

    settings = load_settings()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    aiohttp_web.run_app(create_app(settings), host=settings.web_host, port=settings.web_port, print=None)
    return 0


def run(args: argparse.Namespace) -> int:
    from bot.runner import run as run_all

    # `kill` (SIGTERM) stops the three services as cleanly as Ctrl-C does.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    return run_all()


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bot", description="Parent Support Assistant")
    commands = parser.add_subparsers(dest="command", required=True)

    content = commands.add_parser("content", help="work with the guidance content").add_subparsers(
        dest="content_command", required=True
    )
    check = content.add_parser("check", help="check the content and report problems with their location")
    check.add_argument("--quiet", action="store_true", help="only print problems")
    check.set_defaults(handler=content_check)
    content.add_parser("sync-domain", help="copy the help_now message into domain.yml").set_defaults(
        handler=content_sync_domain
    )

    train_parser = commands.add_parser("train", help="train a model if data, domain or config changed")
    train_parser.add_argument("--force", action="store_true")
    train_parser.set_defaults(handler=train)
    commands.add_parser("web", help="run the web service only").set_defaults(handler=web)
    commands.add_parser("run", help="run the Rasa server, action server and web service").set_defaults(handler=run)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.handler(args)


if __name__ == "__main__":
    sys.exit(main())
