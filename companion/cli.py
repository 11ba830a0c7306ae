"""The `unmask` command: serve, token, scan, train, evaluate.

Companion commands live in COMMANDS (name -> Command: help, add_arguments, run). The model commands
(train, evaluate) belong to models/ and need TensorFlow, so their modules are imported only when
called and parse their own arguments (`module.main(argv)`).
"""
from __future__ import annotations

import argparse
import importlib
import logging
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, TextIO

from companion.config import ConfigError, load_config

EXIT_FAILURE = 1
EXIT_USAGE = 2
# --host value -> the address to bind; only loopback addresses are accepted.
LOOPBACK_BIND = {"127.0.0.1": "127.0.0.1", "localhost": "127.0.0.1", "::1": "::1", "[::1]": "::1"}
EXTENSION_DIR = Path(__file__).resolve().parent.parent / "extension"


@dataclass(frozen=True)
class Command:
    """One subcommand: its one-line help, how it adds its arguments, and what it runs (-> exit status)."""

    help: str
    add_arguments: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace], int]


# ---------------------------------------------------------------- serve


def add_serve_arguments(parser: argparse.ArgumentParser) -> None:
    """--host and --port."""
    parser.add_argument("--host", help="loopback address to listen on: 127.0.0.1 (default), localhost or ::1")
    parser.add_argument("--port", type=int, help="TCP port (default 8765, setting PORT); 0 picks a free one")


def build_server(app, host: str, port: int):
    """A waitress server for the app on a loopback address (not started; its own errors are JSON)."""
    from companion.http_server import build_server as build_waitress

    return build_waitress(app, LOOPBACK_BIND[host], port)


def server_url(host: str, port: int) -> str:
    """The base URL of a server bound to a loopback address."""
    bound = LOOPBACK_BIND[host]
    return f"http://[{bound}]:{port}" if ":" in bound else f"http://{bound}:{port}"


def banner(url: str, token: str, allow_private: bool = False) -> str:
    """What `unmask serve` prints on start: address, pairing token, how to load the extension."""
    warning = (["WARNING: ALLOW_PRIVATE_ADDRESSES is on: the fetcher may reach this computer and your local "
                "network (meant for tests only)"] if allow_private else [])
    return "\n".join([
        f"Unmask companion listening on {url} (only this computer can connect)",
        *warning,
        f"Pairing token: {token}",
        "",
        f"Load the extension from the folder {EXTENSION_DIR}:",
        "  Chrome, Edge, Brave: open chrome://extensions, turn on Developer mode,",
        "    click \"Load unpacked\" and choose that folder.",
        "  Firefox: run `python3 scripts/build_extension.py`, open about:debugging#/runtime/this-firefox,",
        "    click \"Load Temporary Add-on...\" and choose build/firefox/manifest.json.",
        "Then paste the pairing token into the extension's options. Stop with Ctrl+C.",
    ])


def _refuse_host(host: str, stderr: TextIO) -> int:
    """Explain that only loopback hosts are allowed; the usage exit status."""
    stderr.write(f"unmask serve: refusing to listen on {host!r}: the companion only listens on this computer's "
                 f"loopback ({', '.join(sorted(LOOPBACK_BIND))}) so that no other machine can reach it\n")
    return EXIT_USAGE


def run_serve(args: argparse.Namespace, stdout: TextIO | None = None, stderr: TextIO | None = None) -> int:
    """Serve the API with waitress on 127.0.0.1 until interrupted."""
    from companion import create_app

    stdout, stderr = stdout or sys.stdout, stderr or sys.stderr
    if args.host is not None and args.host not in LOOPBACK_BIND:
        return _refuse_host(args.host, stderr)
    overrides = {key: value for key, value in (("HOST", args.host), ("PORT", args.port)) if value is not None}
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    app = create_app(overrides)
    host = app.config["HOST"]
    if host not in LOOPBACK_BIND:
        app.extensions["unmask"].close(wait=False)
        return _refuse_host(host, stderr)
    services = app.extensions["unmask"]
    try:
        server = build_server(app, host, app.config["PORT"])
    except OSError as exc:
        services.close(wait=False)
        stderr.write(f"unmask serve: cannot listen on {host} port {app.config['PORT']}: {exc.strerror or exc}\n")
        return 1
    stdout.write(banner(server_url(host, server.effective_port), services.token.current(),
                        app.config["ALLOW_PRIVATE_ADDRESSES"]) + "\n")
    stdout.flush()
    try:
        server.run()
    except KeyboardInterrupt:
        stderr.write("unmask serve: stopped\n")
    finally:
        server.close()
        services.close(wait=False)
    return 0


# ---------------------------------------------------------------- token


def add_token_arguments(parser: argparse.ArgumentParser) -> None:
    """--rotate."""
    parser.add_argument("--rotate", action="store_true",
                        help="replace the token with a new one (a running companion switches at once)")


def run_token(args: argparse.Namespace, stdout: TextIO | None = None, stderr: TextIO | None = None) -> int:
    """Print the pairing token alone on stdout (making it on first use, or a new one with --rotate)."""
    from companion.private_files import private_dir
    from companion.token import TokenFile

    stdout, stderr = stdout or sys.stdout, stderr or sys.stderr
    config = load_config()
    private_dir(config["DATA_DIR"])
    token_file = TokenFile(config["TOKEN_FILE"])
    token = token_file.rotate() if args.rotate else token_file.ensure()
    stdout.write(token + "\n")
    if args.rotate:
        stderr.write("unmask token: new token made; paste it into the extension's options\n")
    return 0


# ---------------------------------------------------------------- scan (companion.cli_scan)


def add_scan_arguments(parser: argparse.ArgumentParser) -> None:
    """The scan command's arguments (companion.cli_scan)."""
    from companion import cli_scan

    cli_scan.add_arguments(parser)


def run_scan(args: argparse.Namespace) -> int:
    """Analyse files, folders and URLs in this process (companion.cli_scan)."""
    from companion import cli_scan, opencv_pixel_limit

    config = load_config()
    opencv_pixel_limit(config["MAX_IMAGE_PIXELS"])  # before the analysis imports cv2
    return cli_scan.run(args, config)


# ---------------------------------------------------------------- the table and main


COMMANDS: dict[str, Command] = {
    "serve": Command("run the companion for the browser extension on 127.0.0.1", add_serve_arguments, run_serve),
    "token": Command("print the pairing token (--rotate: make a new one)", add_token_arguments, run_token),
    "scan": Command("analyse media files, folders or URLs without the server", add_scan_arguments, run_scan),
}

# name -> (module with main(argv) -> int, help); imported only when run.
MODEL_COMMANDS: dict[str, tuple[str, str]] = {
    "train": ("models.training.train", "train a detector from a config (needs TensorFlow)"),
    "evaluate": ("models.evaluation.evaluate", "evaluate detectors on a test set (needs TensorFlow)"),
}


def build_parser() -> argparse.ArgumentParser:
    """The top-level parser with one subparser per command."""
    parser = argparse.ArgumentParser(prog="unmask", description="Unmask: deepfake checks on your own machine.")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, command in COMMANDS.items():
        command.add_arguments(commands.add_parser(name, help=command.help, description=command.help))
    for name, (_, text) in MODEL_COMMANDS.items():
        commands.add_parser(name, help=text, add_help=False)
    return parser


def run_model_command(name: str, argv: list[str]) -> int:
    """Import models.<name> and hand it the remaining arguments."""
    module_name = MODEL_COMMANDS[name][0]
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name is None or not module_name.startswith(exc.name):
            raise
        sys.stderr.write(f"unmask {name}: not available in this installation ({module_name} is missing)\n")
        return EXIT_USAGE
    return int(module.main(argv) or 0)


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `unmask` command; returns the exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] in MODEL_COMMANDS:
        return run_model_command(argv[0], argv[1:])
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    from companion.store import DatabaseUnusable

    try:
        return COMMANDS[args.command].run(args)
    except ConfigError as exc:
        sys.stderr.write(f"unmask: bad configuration: {exc}\n")
        return EXIT_USAGE
    except DatabaseUnusable as exc:
        sys.stderr.write(f"unmask: {exc.message}\n")
        return EXIT_FAILURE
