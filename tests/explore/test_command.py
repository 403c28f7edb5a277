"""``talentwar explore`` as a command: its address, bad input, a missing extra, Ctrl-C; and
the app's components in a notebook (rendered without a server)."""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import SCENARIOS

TALENTWAR = [sys.executable, "-c", "import sys; from sim.cli import main; sys.exit(main())"]
FLAGSHIP = str(SCENARIOS / "ai_talent_war_2024.toml")
WITHOUT_SOLARA = """
import sys
class Block:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("solara", "solara_assets"):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
sys.meta_path.insert(0, Block())
from sim.cli import main
sys.exit(main(sys.argv[1:]))
"""


def run(*args: str, code: list[str] = TALENTWAR) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*code, *args], capture_output=True, text=True, timeout=120)


def test_without_the_extra_it_says_which_command_installs_it() -> None:
    result = run("explore", FLAGSHIP, code=[sys.executable, "-c", WITHOUT_SOLARA])
    assert result.returncode == 2, result.stderr
    assert "pip install 'talentwar[explore]'" in result.stderr
    assert "Traceback" not in result.stderr


def in_process(*args: str) -> tuple[int, str]:
    """``talentwar ARGS`` through :func:`sim.cli.main` in this process: exit status and
    standard error (an exception that escapes ``main`` would be a traceback: it propagates).
    For input refused before the app's packages are imported or a server started."""
    from sim.cli import main

    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        try:
            status = main(list(args))
        except SystemExit as exit_:  # argparse refuses a value this way
            status = int(exit_.code or 0)
    return status, err.getvalue()


def test_bad_input_is_refused_before_any_server(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    from sim.explore import server

    def no_server(*args: object, **kwargs: object) -> None:
        raise AssertionError("the input was accepted: a server would start here")

    monkeypatch.setattr(server, "bind", no_server)  # fail, not hang, if the input passes
    bad = tmp_path / "bad.toml"
    bad.write_text('name = "bad"\nmonths = 0\n')
    status, stderr = in_process("explore", str(bad), "--port", "0")
    assert status == 2 and "months" in stderr, stderr
    status, stderr = in_process("explore", str(tmp_path / "none.toml"), "--port", "0")
    assert status == 2 and "no such scenario file" in stderr, stderr
    sweep = SCENARIOS / "sweeps" / "gpu_threshold.toml"
    status, stderr = in_process("explore", str(sweep), "--port", "0")
    assert status == 2 and stderr.strip() == (
        f"talentwar: error: {sweep}: a sweep file (it has 'measures'), not a scenario; run "
        f"it with talentwar sweep {sweep}"), stderr
    status, stderr = in_process("explore", FLAGSHIP, "--port", "70000")
    assert status == 2 and "0 to 65535" in stderr, stderr
    for save_dir, problem in ((tmp_path / "none", "no such folder"),
                              (bad, "not a folder (a file)")):
        status, stderr = in_process("explore", FLAGSHIP, "--port", "0", "--save-dir",
                                    str(save_dir))
        assert status == 2 and f"--save-dir {save_dir}: {problem}" in stderr, stderr
    # a port taken by another program is found when binding, after the app's packages are
    # imported: in a process of its own, so that nothing of the app stays in this one
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        result = run("explore", FLAGSHIP, "--port", str(port))
    assert result.returncode == 2 and f"--port {port}" in result.stderr, result.stderr
    assert "Traceback" not in result.stderr
    # the one line of the error: no warning of the app's packages (Solara's hook check of
    # a Mesa component) before it
    assert result.stderr.strip().splitlines() == [
        line for line in result.stderr.strip().splitlines() if "error" in line], result.stderr


def test_ctrl_c_stops_the_server_and_leaves_no_process(tmp_path: Path) -> None:
    process = subprocess.Popen([*TALENTWAR, "explore", FLAGSHIP, "--port", "0", "--save-dir",
                                str(tmp_path)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, start_new_session=True)
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        found = re.search(r"http://127\.0\.0\.1:(\d+)/", line)
        assert found, line
        with socket.create_connection(("127.0.0.1", int(found.group(1))), timeout=30):
            pass  # it listens where it said
        process.send_signal(signal.SIGINT)
        status = process.wait(timeout=60)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    stderr = process.stderr.read() if process.stderr else ""
    assert status == 128 + signal.SIGINT, stderr
    assert "interrupted" in stderr and "Traceback" not in stderr
    with pytest.raises(ProcessLookupError):
        os.killpg(process.pid, 0)  # nothing of its process group is left


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_during_start_up_asks_the_server_to_stop_and_raises_only_after(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, signum: int) -> None:
    """A signal that comes while the server starts (before uvicorn's own handlers) must
    not land as an exception inside the start-up, which could leave the server's threads
    running: it sets ``should_exit``, the server stops in order, and only then does
    ``serve`` raise (Ctrl-C as KeyboardInterrupt, SIGTERM as Terminated), with the
    process's handlers back as they were."""
    uvicorn = pytest.importorskip("uvicorn", reason="the explore extra is not installed")
    from sim.errors import Terminated
    from sim.explore import server

    seen: dict[str, object] = {}

    def run(self: object, sockets: object = None) -> None:
        os.kill(os.getpid(), signum)  # handled at once, in this (the main) thread
        seen["should_exit"] = self.should_exit  # type: ignore[attr-defined]
        seen["still starting"] = True  # nothing was raised into the start-up

    monkeypatch.setattr(uvicorn.Server, "run", run)
    before = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    with contextlib.redirect_stdout(io.StringIO()), pytest.raises(
            Terminated if signum == signal.SIGTERM else KeyboardInterrupt) as raised:
        server.serve(Path(FLAGSHIP), port=0, save_dir=tmp_path)
    assert seen == {"should_exit": True, "still starting": True}
    assert (raised.type is Terminated) == (signum == signal.SIGTERM)
    assert {s: signal.getsignal(s) for s in before} == before


def test_the_components_render_in_a_notebook_without_a_server(tmp_path: Path) -> None:
    solara = pytest.importorskip("solara", reason="the explore extra is not installed")
    import ipyvuetify as v

    from sim.explore.app import ChartWidget, explore_page
    from sim.explore.session import Explorer

    explorer = Explorer.load(FLAGSHIP)
    _box, rc = solara.render(explore_page(explorer, tmp_path), handle_error=False)

    def month() -> str:
        texts = [str(w.unsafe_innerHTML) for w in rc.find(solara.widgets.HTML).widgets
                 if "talentwar-month" in str(w.unsafe_innerHTML)]
        assert len(texts) == 1
        return re.search(r"Month (\d+) of", texts[0]).group(1)  # type: ignore[union-attr]

    assert month() == "0"
    assert len(rc.find(solara.widgets.HTML, tag="table").widgets) == 1  # counter-offers
    redraw = rc.find(v.Slider, label="months per redraw while playing").widget
    redraw.v_model = 4
    rc.find(v.Btn, children=["Step"]).widget.click()
    assert month() == "1"  # a step is one month, whatever the months per redraw
    charts = rc.find(ChartWidget).widgets
    assert len(charts) == 4
    share = json.loads(charts[0].series_json)  # the tier shares: months 0 and 1 drawn
    assert {tuple(p[0] for p in s["data"]) for s in share} == {(0, 1)}
    assert charts[0].heading.startswith("Share of each tier by firm")
    assert "xAxis" in json.loads(charts[0].layout_json)
    toggle = rc.find(v.BtnToggle, class_="control-firms-Meta-policy-counter_offer").widget
    toggle.v_model = 2  # "beat"
    assert explorer.current.firms["Meta"].policy.counter_offer == "beat"  # type: ignore[attr-defined]
    assert month() == "0"  # a change starts the model again
    rc.find(v.Btn, children=["Save as scenario"]).widget.click()
    assert (tmp_path / "ai_talent_war_2024-explore.toml").is_file()
    rc.close()
