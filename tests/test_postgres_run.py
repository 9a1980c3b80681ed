"""make test's PostgreSQL pass (tests/postgres_run.py): what it runs; without PostgreSQL, one line, skip or fail."""

from __future__ import annotations

from tests import postgres_run


def test_without_postgresql_the_pass_says_it_is_skipped_in_one_line(monkeypatch, capsys):
    monkeypatch.setattr(postgres_run, "postgres_bindir", lambda: None)
    monkeypatch.delenv("REQUIRE_POSTGRES", raising=False)
    assert postgres_run.main([]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "PostgreSQL pass skipped: PostgreSQL is not installed (apt-get install postgresql)"
    ]


def test_with_require_postgres_a_missing_postgresql_fails_the_run(monkeypatch, capsys):
    monkeypatch.setattr(postgres_run, "postgres_bindir", lambda: None)
    monkeypatch.setenv("REQUIRE_POSTGRES", "1")
    assert postgres_run.main([]) == 1
    assert "REQUIRE_POSTGRES" in capsys.readouterr().out


def test_the_pass_runs_the_engine_dependent_suites_unless_files_are_named():
    command = postgres_run.pytest_command(["-q", "-p", "no:cacheprovider"])
    assert command[-3:] == ["-q", "-p", "no:cacheprovider"] and "tests" in command
    assert "--ignore-glob=tests/test_bridge_*.py" in command and "not browser" in command
    named = postgres_run.pytest_command(["tests/test_search.py::test_nothing_said_finds_nothing", "-x"])
    assert "tests" not in named and not any(arg.startswith("--ignore-glob") for arg in named)
