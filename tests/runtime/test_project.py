"""Loading and hot-reloading user code (wf.project)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from wf import project as project_module
from wf.project import LoadError, Project


@dataclass(frozen=True)
class Workflow:
    name: str
    binding: str
    class_name: str | None
    script_name: str | None = None


@dataclass(frozen=True)
class Config:
    root: Path
    main: Path
    workflows: tuple[Workflow, ...] = ()
    name: str = "my-worker"
    path: Path | None = None
    extra: dict[str, str] = field(default_factory=dict)


ENTRY = """\
from workers import WorkflowEntrypoint, WorkerEntrypoint, Response
from helper import greet


class MyWorkflow(WorkflowEntrypoint):
    async def run(self, event, step):
        return greet()


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        return Response(greet())
"""

HELPER_V1 = 'def greet():\n    return "v1"\n'
HELPER_V2 = 'def greet():\n    return "v2"\n'  # same size: a .pyc check by mtime would miss it


@pytest.fixture
def isolated() -> Iterator[None]:
    """Undo what loads do to this process: sys.path entries, user modules, registries."""
    saved_path = list(sys.path)
    saved_modules = set(sys.modules)
    saved_roots = set(project_module._ROOTS)
    yield
    sys.path[:] = saved_path
    for name in set(sys.modules) - saved_modules:
        if name != "workers" and not name.startswith(("workers.", "wf.")):
            del sys.modules[name]
    project_module._ROOTS.intersection_update(saved_roots)
    for root in set(project_module._ADDED_PATHS) - saved_roots:
        del project_module._ADDED_PATHS[root]


def make_project(root: Path, entry: str = ENTRY, **files: str) -> Config:
    src = root / "src"
    src.mkdir(parents=True)
    (src / "entry.py").write_text(entry)
    (src / "helper.py").write_text(files.pop("helper", HELPER_V1))
    for name, text in files.items():
        path = src / name.replace(".", "/")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.with_suffix(".py").write_text(text)
    (root / "wrangler.jsonc").write_text("{}")
    return Config(
        root=root,
        main=src / "entry.py",
        workflows=(Workflow("my-workflow", "MY_WORKFLOW", "MyWorkflow"),),
        path=root / "wrangler.jsonc",
    )


async def test_load_main_and_sibling(tmp_path: Path, isolated: None) -> None:
    project = Project(make_project(tmp_path))
    with pytest.raises(RuntimeError):
        _ = project.code
    code = project.load()
    assert project.code is code
    assert code.generation == 1
    workflow = code.workflow_classes["MyWorkflow"]
    workers = sys.modules["workers"]
    assert issubclass(workflow, workers.WorkflowEntrypoint)
    assert code.worker is not None and code.worker.__name__ == "Default"
    assert code.on_fetch is None
    assert {"entry", "helper"} <= set(code.modules)
    src = tmp_path.resolve() / "src"
    assert set(code.files) == {src / "entry.py", src / "helper.py"}
    assert await workflow(None, None).run({}, None) == "v1"


async def test_reload_picks_up_an_edit_at_once(tmp_path: Path, isolated: None) -> None:
    config = make_project(tmp_path)
    project = Project(config)
    first = project.load()
    (tmp_path / "src" / "helper.py").write_text(HELPER_V2)  # same second, same size
    second = project.load()
    assert second.generation == 2
    assert await second.workflow_classes["MyWorkflow"](None, None).run({}, None) == "v2"
    # The previous generation keeps its own modules.
    assert await first.workflow_classes["MyWorkflow"](None, None).run({}, None) == "v1"
    assert sys.modules["helper"] is second.modules["helper"]


def test_syntax_error_keeps_previous_code(tmp_path: Path, isolated: None) -> None:
    project = Project(make_project(tmp_path))
    good = project.load()
    (tmp_path / "src" / "helper.py").write_text('def greet():\n    return "v2"\nx = (\n')
    with pytest.raises(LoadError) as caught:
        project.load()
    err = caught.value
    assert str(err).startswith("src/helper.py:3: SyntaxError: ")
    assert err.line == 3
    assert err.path is not None and err.path.name == "helper.py"
    assert "SyntaxError" in err.traceback_text
    assert project.code is good
    assert sys.modules["helper"] is good.modules["helper"]
    assert sys.modules["entry"] is good.modules["entry"]
    (tmp_path / "src" / "helper.py").write_text(HELPER_V2)
    assert project.load().generation == 2


def test_exception_at_import_points_at_the_raising_line(tmp_path: Path, isolated: None) -> None:
    config = make_project(tmp_path, helper='X = 1\nraise ValueError("bad config")\n')
    with pytest.raises(LoadError) as caught:
        Project(config).load()
    assert str(caught.value) == "src/helper.py:2: ValueError: bad config"
    assert 'raise ValueError("bad config")' in caught.value.traceback_text
    assert "importlib" not in caught.value.traceback_text.split("\n")[1]
    assert "helper" not in sys.modules


def test_missing_import_is_a_load_error(tmp_path: Path, isolated: None) -> None:
    config = make_project(tmp_path, helper="import no_such_module_wf\n")
    with pytest.raises(LoadError, match=r"src/helper.py:1: ModuleNotFoundError: .*no_such"):
        Project(config).load()


def test_missing_class_names_both(tmp_path: Path, isolated: None) -> None:
    config = make_project(tmp_path)
    config = Config(
        root=config.root,
        main=config.main,
        workflows=(Workflow("w", "W", "MyWorkflow"), Workflow("other", "O", "Missing")),
        path=config.path,
    )
    with pytest.raises(LoadError) as caught:
        Project(config).load()
    message = str(caught.value)
    assert message.startswith('wrangler.jsonc: class "Missing" (workflows[1].class_name)')
    assert "not found in src/entry.py" in message
    assert "MyWorkflow" in message  # the hint lists the classes that are there


def test_class_must_subclass_workflow_entrypoint(tmp_path: Path, isolated: None) -> None:
    entry = ENTRY + "\n\nclass NotAWorkflow:\n    pass\n"
    config = make_project(tmp_path, entry=entry)
    config = Config(
        root=config.root,
        main=config.main,
        workflows=(Workflow("w", "W", "NotAWorkflow"),),
        path=config.path,
    )
    with pytest.raises(LoadError, match=r"src/entry.py:\d+: .*WorkflowEntrypoint") as caught:
        Project(config).load()
    assert caught.value.line is not None


def test_external_workflows_are_skipped(tmp_path: Path, isolated: None) -> None:
    config = make_project(tmp_path)
    config = Config(
        root=config.root,
        main=config.main,
        workflows=(
            Workflow("w", "W", "MyWorkflow"),
            Workflow("remote", "R", None, script_name="billing"),
            Workflow("remote2", "R2", "Billing", script_name="billing"),
        ),
    )
    code = Project(config).load()
    assert set(code.workflow_classes) == {"MyWorkflow"}


def test_old_style_on_fetch_and_subpackages(tmp_path: Path, isolated: None) -> None:
    entry = (
        "from lib.util import answer\n\n"
        "async def on_fetch(request, env, ctx=None):\n    return answer()\n"
    )
    config = make_project(tmp_path, entry=entry, **{"lib.__init__": "", "lib.util": ANSWER})
    config = Config(root=config.root, main=config.main)
    project = Project(config)
    code = project.load()
    assert code.worker is None
    assert code.on_fetch is not None
    assert {"lib", "lib.util"} <= set(code.modules)
    (tmp_path / "src" / "lib" / "util.py").write_text(ANSWER.replace("41", "42"))
    assert project.load().modules["lib.util"].answer() == 42


ANSWER = "def answer():\n    return 41\n"


def test_two_projects_do_not_see_each_other(tmp_path: Path, isolated: None) -> None:
    first = Project(make_project(tmp_path / "a"))
    second = Project(make_project(tmp_path / "b", helper='def greet():\n    return "b"\n'))
    a = first.load()
    b = second.load()
    assert a.modules["helper"].greet() == "v1"
    assert b.modules["helper"].greet() == "b"
    assert Path(b.modules["entry"].__file__).parent == (tmp_path / "b" / "src").resolve()


def test_foreign_workers_module_is_replaced(tmp_path: Path) -> None:
    # In a fresh process: replacing `workers` must not disturb this one's classes.
    config = make_project(tmp_path)
    script = textwrap.dedent(
        f"""
        import sys, types
        from dataclasses import dataclass
        from pathlib import Path
        sys.modules["workers"] = types.ModuleType("workers")  # e.g. an installed stub
        from wf.project import Project

        @dataclass
        class W:
            name: str
            binding: str
            class_name: str
            script_name: None = None

        @dataclass
        class C:
            root: Path
            main: Path
            workflows: tuple

        code = Project(C(Path({str(config.root)!r}), Path({str(config.main)!r}),
                         (W("w", "W", "MyWorkflow"),))).load()
        import workers
        assert hasattr(workers, "WorkflowEntrypoint")
        assert issubclass(code.workflow_classes["MyWorkflow"], workers.WorkflowEntrypoint)
        print("ok")
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=False
    )
    assert done.stdout.strip() == "ok", done.stderr
