"""The duplicate guard against what beat it: identical `send` processes started together, and a
clock stepped back between two sends.  Real processes on one cache, against the simulator,
whose ``platform.submissions`` counts what reached it per number."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

SEND = [sys.executable, "-m", "fivec_tui", "send", "--yes", "--content"]


def _send(env: dict[str, str], mobile: str, text: str) -> subprocess.Popen:
    return subprocess.Popen(
        [*SEND, text, "--to", mobile],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_concurrent_identical_sends_go_out_once(sim_thread, poll_env):
    env = poll_env(sim_thread)
    mobile, text = "13900139000", "竞态测试【公司】"
    procs = [_send(env, mobile, text) for _ in range(4)]
    results = [(p.wait(60), *p.communicate()) for p in procs]
    codes = sorted(code for code, _out, _err in results)
    assert codes == [0, 2, 2, 2], results
    refusals = [err for code, _out, err in results if code == 2]
    assert all("got the same text" in err and "--again" in err for err in refusals), refusals
    assert sim_thread.platform.submissions[mobile] == 1


def test_a_clock_stepped_back_does_not_turn_the_guard_off(sim_thread, poll_env, tmp_path):
    env = poll_env(sim_thread)
    mobile, text = "13722223333", "时钟测试【公司】"
    first = _send(env, mobile, text)
    assert first.wait(60) == 0, first.communicate()
    skew = Path(tmp_path / "skew")
    skew.mkdir()
    (skew / "sitecustomize.py").write_text(
        "import time\n_real = time.time\ntime.time = lambda: _real() - 120\n"
    )
    path = [str(skew), *filter(None, [env.get("PYTHONPATH")])]
    stepped = {**env, "PYTHONPATH": os.pathsep.join(path)}
    again = _send(stepped, mobile, text)
    code, (_out, err) = again.wait(60), again.communicate()
    assert code == 2 and "got the same text" in err, err
    assert sim_thread.platform.submissions[mobile] == 1
    # --again still sends it, clock stepped or not
    forced = subprocess.run(
        [*SEND, text, "--to", mobile, "--again"], env=stepped, capture_output=True, timeout=60
    )
    assert forced.returncode == 0 and sim_thread.platform.submissions[mobile] == 2
