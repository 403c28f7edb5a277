"""Serving the app: Solara's server (Starlette on uvicorn) in this process, offline.

Everything the page loads comes from installed packages: Solara's own files, the
``solara-assets`` package (the Vue, Vuetify and widget libraries that Solara would
otherwise fetch from a CDN, served under ``/_solara/cdn/``) and the widgets' JavaScript
inside ``ipyvue``, ``ipyvuetify``, ``anywidget`` and ``plotly``. Solara's usage telemetry is
switched off, and the page uses no component that loads files from elsewhere (see
:mod:`sim.explore.app`).

Ctrl-C and SIGTERM stop the server cleanly, whenever they come: from before the address is
printed to the end, a signal only asks the server to stop (uvicorn's own handlers do the
same while it serves), so no interrupt lands in the middle of the server's start-up or
shutdown, which could leave its threads running and the process alive. Once the server
has stopped, the command line ends any worker process of a comparison still running and
exits as interrupted (130) or terminated (143).
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import socket
import sys
import threading
import time
import warnings
import webbrowser
from pathlib import Path

from sim.errors import Terminated, UserError
from sim.files import not_a_folder

APP_MODULE = "sim.explore.app"
DEFAULT_PORT = 8765


def _configure_solara() -> None:
    """Solara's settings for a local, offline server (set before Solara is imported)."""
    os.environ["SOLARA_APP"] = APP_MODULE
    os.environ.setdefault("SOLARA_TELEMETRY_MIXPANEL_ENABLE", "False")
    os.environ.setdefault("SOLARA_THEME_LOADER", "plain")


def bind(host: str, port: int) -> socket.socket:
    """A listening socket on ``host:port`` (port 0: a free port), or a :class:`UserError`
    saying why not."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as err:
        raise UserError(f"not an address of this machine ({err})", option="host",
                        value=host) from None
    family, kind, proto, _, address = infos[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(128)
    except OSError as err:
        sock.close()
        raise UserError(f"cannot listen on {host}:{port} ({err.strerror or err}); choose "
                        "another port, or {option:port} 0 for a free one", option="port",
                        value=port) from None
    return sock


def serve(scenario: Path, *, host: str = "127.0.0.1", port: int = DEFAULT_PORT,
          open_browser: bool = False, save_dir: Path | None = None) -> None:
    """Serve the app on ``scenario`` until Ctrl-C or SIGTERM; print its address first.

    Raises
    ------
    UserError
        If the scenario is not valid, or the address cannot be used.
    KeyboardInterrupt
        When stopped (re-raised once the server has stopped).
    """
    from sim.explore.session import Explorer

    explorer = Explorer.load(scenario)  # a bad scenario stops here, before any server
    save_dir = Path(save_dir) if save_dir is not None else Path.cwd()
    problem = not_a_folder(save_dir)
    if problem is not None:
        raise UserError(problem, option="save_dir", value=save_dir)
    _configure_solara()
    import uvicorn
    from solara.server import settings

    from sim.explore import app

    settings.main.mode = "production"
    settings.telemetry.mixpanel_enable = False
    app.SCENARIO = (explorer.base, str(scenario))
    app.SAVE_DIR = save_dir

    config = uvicorn.Config("solara.server.starlette:app", log_level="warning",
                            lifespan="on")
    server = uvicorn.Server(config)
    stops: list[int] = []

    def stop(signum: int, _frame: object) -> None:
        """Ask the server to stop (a second Ctrl-C: at once, without waiting)."""
        server.force_exit = server.force_exit or (bool(stops) and signum == signal.SIGINT)
        server.should_exit = True
        stops.append(signum)

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    sock: socket.socket | None = None
    try:
        sock = bind(host, port)
        shown = f"[{host}]" if ":" in host else host
        url = f"http://{shown}:{sock.getsockname()[1]}/"
        print(f"talentwar explore: {explorer.base.name} at {url} (Ctrl-C to stop)",
              flush=True)
        if open_browser:
            threading.Thread(target=_open_when_started, args=(server, url),
                             daemon=True).start()
        if not stops:  # a signal before this point: stop without serving
            server.run(sockets=[sock])  # uvicorn re-raises its signals here, into stop()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        if sock is not None:
            sock.close()
        stop_workers()
    if stops:  # uvicorn re-raises what it caught last first: SIGTERM wins whenever it came
        raise Terminated() if signal.SIGTERM in stops else KeyboardInterrupt()


def _open_when_started(server: object, url: str) -> None:
    """Open ``url`` in the user's browser once the server answers."""
    for _ in range(600):
        if getattr(server, "started", False):
            webbrowser.open(url)
            return
        time.sleep(0.1)


def stop_workers() -> None:
    """End the worker processes of comparisons still running (their runs are lost; the
    comparison's temporary folders are removed by their owners)."""
    for process in multiprocessing.active_children():
        process.kill()
    for process in multiprocessing.active_children():
        process.join(timeout=5)


def missing_extra() -> str | None:
    """None if the app's packages are installed, else what to run to install them."""
    try:
        with warnings.catch_warnings():
            # Solara checks the hooks of the components Mesa defines as they are imported,
            # and warns of one (mesa/visualization/solara_viz.py) that is Mesa's to change.
            warnings.filterwarnings("ignore", message=".*found despite early return",
                                    category=UserWarning)
            import mesa.visualization  # noqa: F401
        import solara  # noqa: F401
        import solara_assets  # noqa: F401
        import tomli_w  # noqa: F401
        import uvicorn  # noqa: F401
    except ImportError as err:
        return (f"talentwar explore needs the 'explore' extra ({err.name} is missing): "
                f"{Path(sys.executable).name} -m pip install 'talentwar[explore]' (or, in "
                "a clone of the project: pip install -e \".[explore]\")")
    return None
