"""Several Workers in the in-process Emulator: service bindings (fetch and RPC, default and
named entrypoints), a workflow whose class lives in another Worker (script_name), shared
storage by binding id, and reloading one Worker alone."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import START
from tests.multiworker.projects import AUTH, write_auth, write_front
from wf.testing import Emulator


@pytest.fixture
async def emu(tmp_path: Path):  # type: ignore[no-untyped-def]
    write_front(tmp_path / "front")
    write_auth(tmp_path / "auth")
    async with Emulator(tmp_path / "front", others=[tmp_path / "auth"], now=START) as emu:
        yield emu


async def test_the_first_worker_serves_and_has_its_own_vars(emu: Emulator) -> None:
    answer = await emu.fetch("/")
    assert await answer.text() == "front front"
    assert emu.env_of("auth").WHO == "auth"
    assert emu.env.WHO == "front"


async def test_service_fetch_runs_the_target_fetch_with_its_env(emu: Emulator) -> None:
    answer = await emu.fetch("/check")
    assert answer.status == 201
    assert await answer.text() == "auth auth saw https://auth/check?user=ann token=t1"


async def test_storage_is_shared_by_binding_id(emu: Emulator) -> None:
    await emu.fetch("/check")  # auth writes KV shared-kv
    assert await (await emu.fetch("/kv")).text() == "written by auth"


async def test_rpc_converts_arguments_and_results(emu: Emulator) -> None:
    answer = await (await emu.fetch("/rpc")).json()
    assert answer == {"user": {"name": "ann", "deep": [1, 2]}, "total": 5, "type": "JsDict"}


async def test_a_named_entrypoint_is_its_class(emu: Emulator) -> None:
    assert await (await emu.fetch("/admin")).json() == {"role": "admin of auth"}
    assert await (await emu.fetch("/admin-fetch")).text() == "admin fetch"


async def test_a_named_entrypoint_the_target_lacks_fails_with_wranglers_words(
    emu: Emulator,
) -> None:
    answer = await emu.fetch("/no-entrypoint")
    assert answer.status == 502
    assert await answer.text() == (
        'Error: Worker "front"\'s binding "NOPE" refers to service "auth" with a named '
        'entrypoint "Missing", but "auth" has no such named entrypoint.'
    )


async def test_an_unknown_method_and_an_error_cross_rpc_as_js_errors(emu: Emulator) -> None:
    missing = await emu.fetch("/missing")
    assert missing.status == 502
    assert 'does not implement the method "nope"' in await missing.text()
    boom = await emu.fetch("/boom")
    assert "ValueError: auth exploded" in await boom.text()


async def test_a_worker_not_loaded_answers_as_wrangler_dev(emu: Emulator) -> None:
    answer = await emu.fetch("/ghost")
    assert answer.status == 503
    expected = 'Couldn\'t find a local dev session for the "default" entrypoint of service "ghost"'
    assert expected in await answer.text()
    rpc = await emu.fetch("/ghost-rpc")
    assert rpc.status == 502 and expected in await rpc.text()


async def test_a_workflow_of_another_worker_runs_its_code_and_env(emu: Emulator) -> None:
    answer = await emu.fetch("/signup")
    assert await answer.json() == {"id": "s1"}
    instance = emu.introspect_instance("SIGNUP", "s1")
    await instance.wait_for_status("complete")
    assert await instance.get_output() == "hello ann from auth"
    assert sorted(emu.engine.workflows) == ["nap", "signup"]
    assert emu.engine.workflows["signup"].script_name == "auth"


async def test_reloading_one_worker_keeps_the_others_state(emu: Emulator, tmp_path: Path) -> None:
    await emu.fetch("/")
    assert await (await emu.fetch("/version")).text() == "v1"
    (tmp_path / "auth" / "src" / "entry.py").write_text(
        AUTH.replace('VERSION = "v1"', 'VERSION = "v2"')
    )
    emu.reload_worker("auth")
    assert await (await emu.fetch("/version")).text() == "v2"
    # "/", "/version" twice and "/hits": front's module state survived auth's reload
    assert await (await emu.fetch("/hits")).json() == {"hits": 4}


async def test_a_workflow_without_its_worker_errors_saying_so(tmp_path: Path) -> None:
    write_front(tmp_path / "front")
    async with Emulator(tmp_path / "front", now=START) as emu:
        await emu.fetch("/signup")
        instance = emu.introspect_instance("SIGNUP", "s1")
        await instance.wait_for_status("errored")
        error = await instance.get_error()
        assert error["name"] == "WorkflowFatalError"
        assert (
            "runs in Worker 'auth' (script_name), which is not part of this session"
            in (error["message"])
        )


async def test_a_workflow_only_the_other_worker_binds_sleeps_on_the_shared_clock(
    emu: Emulator,
) -> None:
    await emu.env_of("auth").NAP.create(id="n1")
    instance = emu.introspect_instance("nap", "n1")
    await instance.wait_for_status("waiting")
    await emu.clock.advance("1 hour")
    await instance.wait_for_status("complete")
    assert await instance.get_output() == "auth rested"
    assert emu.engine.workflows["nap"].script_name == "auth"


COUNTER = """

from workers import DurableObject


class Counter(DurableObject):
    async def increment(self, by):
        value = (await self.ctx.storage.get("n") or 0) + by
        await self.ctx.storage.put("n", value)
        return f"{self.env.WHO}:{value}"
"""


def _with_counter(tmp_path: Path) -> None:
    import json

    front = write_front(tmp_path / "front")
    data = json.loads(front.read_text())
    data["durable_objects"] = {
        "bindings": [{"name": "COUNTER", "class_name": "Counter", "script_name": "auth"}]
    }
    front.write_text(json.dumps(data))
    auth = write_auth(tmp_path / "auth", AUTH + COUNTER)
    data = json.loads(auth.read_text())
    data["durable_objects"] = {"bindings": [{"name": "COUNTER", "class_name": "Counter"}]}
    data["migrations"] = [{"tag": "v1", "new_sqlite_classes": ["Counter"]}]
    auth.write_text(json.dumps(data))


async def test_a_durable_object_of_another_worker_is_one_object_for_both(tmp_path: Path) -> None:
    _with_counter(tmp_path)
    async with Emulator(tmp_path / "front", others=[tmp_path / "auth"], now=START) as emu:
        # through front's binding (script_name): the class and env are auth's
        assert await emu.env.COUNTER.getByName("c").increment(1) == "auth:1"
        # the same object from auth's own binding
        assert await emu.env_of("auth").COUNTER.getByName("c").increment(2) == "auth:3"


async def test_a_durable_object_of_a_worker_not_in_the_session_says_so(tmp_path: Path) -> None:
    _with_counter(tmp_path)
    async with Emulator(tmp_path / "front", now=START) as emu:
        with pytest.raises(NotImplementedError, match="which is not part of this session"):
            emu.env.COUNTER.getByName("c")


async def test_reloading_a_worker_reads_its_config_again(emu: Emulator, tmp_path: Path) -> None:
    import json

    config = tmp_path / "auth" / "wrangler.jsonc"
    data = json.loads(config.read_text())
    data["vars"] = {"WHO": "auth2"}
    config.write_text(json.dumps(data))
    emu.reload_worker("auth")
    assert (await (await emu.fetch("/admin")).json()) == {"role": "admin of auth2"}
    assert emu.env.WHO == "front"


async def test_a_broken_other_worker_fails_the_emulator_with_its_error(tmp_path: Path) -> None:
    from wf.project import LoadError

    write_front(tmp_path / "front")
    write_auth(tmp_path / "auth", AUTH + "\nraise RuntimeError('auth cannot start')\n")
    with pytest.raises(LoadError, match="auth cannot start"):
        Emulator(tmp_path / "front", others=[tmp_path / "auth"], now=START)


async def test_a_sleeping_instance_continues_with_its_workers_new_code(
    emu: Emulator, tmp_path: Path
) -> None:
    await emu.env_of("auth").NAP.create(id="n2")
    instance = emu.introspect_instance("nap", "n2")
    await instance.wait_for_status("waiting")
    (tmp_path / "auth" / "src" / "entry.py").write_text(
        AUTH.replace('f"{who} rested"', 'f"{who} rested well"')
    )
    emu.reload_worker("auth")
    await emu.clock.advance("1 hour")
    await instance.wait_for_status("complete")
    assert await instance.get_output() == "auth rested well"  # "before" replayed from history
