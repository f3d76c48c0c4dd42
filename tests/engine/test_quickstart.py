from pathlib import Path

from tests.conftest import START
from wf.bindings import Env
from wf.clock import Clock
from wf.config import load_config
from wf.engine import Engine
from wf.project import Project

QUICKSTART = Path(__file__).resolve().parents[2] / "fixtures" / "quickstart"


async def test_quickstart_sleeps_a_week_then_checks_in():
    config = load_config(QUICKSTART)
    engine = Engine(
        config,
        Project(config).load().workflow_classes,
        clock=Clock("manual", now=START),
        make_env=Env,
    )
    await engine.start()
    try:
        handle = await engine.env.ONBOARDING.create(id="ada", params={"name": "Ada"})
        await engine.settle()
        assert (await handle.status())["status"] == "waiting"
        await engine.clock.advance("7 days")
        status = await handle.status()
        assert status["status"] == "complete"
        assert status["output"]["welcome"] == {"message": "Welcome, Ada!"}
        assert status["output"]["check_in"]["message"].startswith("One week in")
    finally:
        await engine.close()
