"""Compatibility dates and flags: which production behaviours a config selects.

One table (``FLAGS``) of the flags that change Python Workers or Workflows, read from workerd
``src/workerd/io/compatibility-date.capnp`` (``compatEnableFlag``, ``compatDisableFlag``,
``compatEnableDate`` and ``impliedByAfterDate(name = "pythonWorkers", ...)``) and the
compatibility-flags page of Cloudflare's documentation. `Compat` answers, from
``compatibility_date`` + ``compatibility_flags``, whether each behaviour is on, as workerd
computes it: an explicit enable or disable flag wins; otherwise the flag is on from its date
(for ``implied_by`` flags: from its date, when the implying flag is on too).

`problems` lists what production would refuse (errors: `wf dev` and the test `Emulator` do not
start) or run differently from what the config seems to ask for (warnings, printed at start-up).
"""

from __future__ import annotations

import datetime
import difflib
from dataclasses import dataclass

__all__ = ["FLAGS", "Compat", "CompatProblem", "Flag"]

PYTHON_WORKERS = "python_workers"


@dataclass(frozen=True)
class Flag:
    """One compatibility flag: its enable and disable names and when it becomes the default."""

    name: str  # the enable flag, also the key `Compat.enabled` takes
    disable: str | None
    date: str | None  # on by default from this compatibility date (None: only by flag)
    what: str  # the behaviour it selects, for messages
    implied_by: str | None = None  # on from `date` only when this flag is on too
    experimental: bool = False  # production accepts it only from Cloudflare's test accounts


FLAGS: dict[str, Flag] = {
    flag.name: flag
    for flag in (
        Flag(PYTHON_WORKERS, None, None, "Python Workers"),
        Flag(
            "python_workflows",
            "disable_python_workflows",
            "2025-09-20",
            "Python Workflows",
            implied_by=PYTHON_WORKERS,
        ),
        Flag(
            "python_workflows_implicit_dependencies",
            "no_python_workflows_implicit_dependencies",
            "2026-02-25",
            "the implicit-dependencies step.do signature",
            implied_by=PYTHON_WORKERS,
        ),
        Flag(
            # The capnp marks it experimental; Cloudflare turns it on by date from 2026-04-21
            # (the Python SDK is then the external workers-runtime-sdk package).
            "enable_python_external_sdk",
            "disable_python_external_sdk",
            "2026-04-21",
            "the external Python SDK (workers-runtime-sdk)",
        ),
        Flag(
            "workflows_preserve_non_retryable_error_message",
            "workflows_replace_non_retryable_error_message",
            "2026-05-14",
            "NonRetryableError keeping its name and message",
        ),
        Flag(
            "python_workers_20250116",
            "no_python_workers_20250116",
            "2025-09-29",
            "the Pyodide 0.28 runtime (Python 3.13)",
            implied_by=PYTHON_WORKERS,
        ),
        Flag(
            "python_no_global_handlers",
            "disable_python_no_global_handlers",
            "2025-08-14",
            "class-only entrypoints (no top-level on_fetch)",
        ),
        Flag(
            "python_workers_force_new_vendor_path",
            None,
            "2025-08-11",
            "vendored packages only in python_modules/",
        ),
        Flag(
            "python_check_rng_state",
            "disable_python_check_rng_state",
            "2025-12-16",
            "the check of the random state at start-up",
            implied_by=PYTHON_WORKERS,
        ),
        Flag(
            "python_request_headers_preserve_commas",
            "disable_python_request_headers_preserve_commas",
            "2026-02-17",
            "request headers that keep their commas",
        ),
        Flag(
            "python_process_pth_files",
            "disable_python_process_pth_files",
            "2026-05-26",
            ".pth files in python_modules/ processed at start-up",
        ),
        Flag(
            "python_dedicated_snapshot",
            "disable_python_dedicated_snapshot",
            None,
            "dedicated memory snapshots",
            experimental=True,
        ),
        Flag(
            "python_workers_development",
            None,
            None,
            "the Pyodide development bundle",
            experimental=True,
        ),
        Flag(
            "enable_validate_workflow_entrypoint",
            "disable_validate_workflow_entrypoint",
            "2025-09-20",
            "the deploy-time check that Workflows are declared and exported",
        ),
    )
}

# Every name wf knows, so a near miss ("python_workflow") can be pointed out.
_KNOWN = {name for flag in FLAGS.values() for name in (flag.name, flag.disable) if name}


@dataclass(frozen=True)
class CompatProblem:
    """What production would do differently with this config; `field` is where to look."""

    field: str  # "compatibility_flags" or "compatibility_date"
    message: str
    error: bool  # True: production refuses it, so wf does not start


@dataclass(frozen=True)
class Compat:
    """The behaviours a ``compatibility_date`` and ``compatibility_flags`` select."""

    date: str | None
    flags: tuple[str, ...] = ()

    @property
    def effective_date(self) -> str:
        """The date flags are resolved against: wrangler uses today's when none is set."""
        return self.date or datetime.date.today().isoformat()

    def enabled(self, name: str) -> bool:
        """Whether flag `name` (its enable name) is on, as workerd resolves it."""
        flag = FLAGS[name]
        if name in self.flags:
            return True
        if flag.disable is not None and flag.disable in self.flags:
            return False
        if flag.date is None or self.effective_date < flag.date:
            return False
        return flag.implied_by is None or self.enabled(flag.implied_by)

    @property
    def python_workers(self) -> bool:
        return self.enabled(PYTHON_WORKERS)

    @property
    def python_workflows(self) -> bool:
        return self.enabled("python_workflows")

    @property
    def implicit_dependencies(self) -> bool:
        """`step.do` has the implicit-dependencies signature (else the legacy ``depends=``).

        Python Workers are the only kind wf runs, so ``python_workers`` counts as on here even
        when it is missing (that case is an error of its own, see `problems`).
        """
        return Compat(self.date, (*self.flags, PYTHON_WORKERS)).enabled(
            "python_workflows_implicit_dependencies"
        )

    @property
    def external_sdk(self) -> bool:
        """The external SDK's wrappers (python_from_rpc results); False: raw JsProxy objects."""
        return self.enabled("enable_python_external_sdk")

    @property
    def preserve_non_retryable_error_message(self) -> bool:
        return self.enabled("workflows_preserve_non_retryable_error_message")

    def contradictions(self) -> list[tuple[str, str]]:
        """Flags listed together with their own opposite (workerd refuses such a config)."""
        return [
            (flag.name, flag.disable)
            for flag in FLAGS.values()
            if flag.disable is not None and flag.name in self.flags and flag.disable in self.flags
        ]

    def problems(self, *, has_workflows: bool) -> list[CompatProblem]:
        """What production would refuse (``error``) or run otherwise than the config suggests."""
        found: list[CompatProblem] = []
        flags_field, date_field = "compatibility_flags", "compatibility_date"
        if not self.python_workers:
            found.append(
                CompatProblem(
                    flags_field,
                    'Python Workers need the "python_workers" flag: Cloudflare does not run '
                    "a Python Worker without it; add it to compatibility_flags",
                    error=True,
                )
            )
        elif has_workflows and not self.python_workflows:
            if "disable_python_workflows" in self.flags:
                why = '"disable_python_workflows" turns them off'
            else:
                why = (
                    f"compatibility_date {self.date} is before 2025-09-20, from which "
                    '"python_workers" implies it'
                )
            found.append(
                CompatProblem(
                    flags_field,
                    f'Python Workflows need the "python_workflows" flag ({why}): add '
                    '"python_workflows" or use a compatibility_date from 2025-09-20',
                    error=True,
                )
            )
        if self.date is None:
            found.append(
                CompatProblem(
                    date_field,
                    "not set: wf uses today's date, as wrangler dev does, so flags change "
                    "defaults as time passes; `wrangler deploy` refuses a config without one",
                    error=False,
                )
            )
        elif self.date > datetime.date.today().isoformat():
            found.append(
                CompatProblem(
                    date_field,
                    f"{self.date} is in the future: Cloudflare refuses to deploy it",
                    error=False,
                )
            )
        for name in self.flags:
            flag = FLAGS.get(name)
            if flag is not None and flag.experimental:
                found.append(
                    CompatProblem(
                        flags_field,
                        f'"{name}" is experimental ({flag.what}): Cloudflare accepts it only '
                        "from its own test accounts; wf ignores it",
                        error=False,
                    )
                )
            elif flag is None and name not in _KNOWN and _looks_python(name):
                near = difflib.get_close_matches(name, sorted(_KNOWN), n=1, cutoff=0.8)
                if near:
                    found.append(
                        CompatProblem(
                            flags_field,
                            f'unknown flag "{name}": did you mean "{near[0]}"? Cloudflare '
                            "refuses flags it does not know",
                            error=False,
                        )
                    )
        return found


def _looks_python(name: str) -> bool:
    # Only near misses of the flags wf reads are worth a word: wf does not know every flag.
    return "python" in name or "workflow" in name
